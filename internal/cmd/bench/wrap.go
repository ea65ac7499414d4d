//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// With envWrapProvider set, this program is the wrapper: the CLI starts it
// in place of the provider (named by envWrapProvider), and it appends what
// the provider used to the file named by envWrapRecord.
const (
	envWrapProvider = "OAUTH2_BENCH_WRAP_PROVIDER"
	envWrapRecord   = "OAUTH2_BENCH_RECORD_FILE"
)

// wrap runs provider with args, the wrapper's environment and its standard
// streams, so that go-plugin's handshake line reaches the CLI as the
// provider wrote it, and returns the provider's exit code. It appends
// "start" to record first and "<peak RSS in KiB> <user+system CPU in ns>"
// when the provider has exited, so that a provider process that left no
// usage behind is seen, not left out of the sum.
func wrap(provider, record string, args []string) int {
	// The CLI stops its providers over RPC; an interrupt from a terminal
	// reaches the whole process group and must not end the wrapper before
	// the provider (which ignores it).
	signal.Ignore(os.Interrupt)
	// Should the CLI kill the wrapper, the kernel kills the provider
	// (Pdeathsig, which belongs to the thread that starts the child).
	runtime.LockOSThread()
	cmd := exec.Command(provider, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := appendLine(record, "start")
	if err == nil {
		err = cmd.Run()
	}
	ps := cmd.ProcessState
	if ps == nil {
		fmt.Fprintf(os.Stderr, "bench wrapper: %v\n", err)
		return 1
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "bench wrapper: no rusage")
		return 1
	}
	if err := appendLine(record, fmt.Sprintf("%d %d", ru.Maxrss, ps.UserTime()+ps.SystemTime())); err != nil {
		fmt.Fprintf(os.Stderr, "bench wrapper: %v\n", err)
		return 1
	}
	return ps.ExitCode()
}

// appendLine appends one short line; with O_APPEND, the lines of provider
// processes that exit at the same time stay apart.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	return errors.Join(err, f.Close())
}

// usage is what the provider processes of one plan used.
type usage struct {
	procs  int
	cpu    time.Duration // the sum of their user+system time
	rssKiB int64         // the largest of their peak RSS
}

// wrappedPlan plans in dir with env, which has the CLI start the wrapper
// with envWrapRecord=records, and returns what the provider used.
func wrappedPlan(ctx context.Context, cli, dir string, env []string, records string) (usage, error) {
	if err := os.Remove(records); err != nil && !errors.Is(err, os.ErrNotExist) {
		return usage{}, err
	}
	if err := plan(ctx, cli, dir, env); err != nil {
		return usage{}, err
	}
	return readRecords(records)
}

// readRecords sums up a record file the wrappers of one plan wrote.
func readRecords(path string) (usage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return usage{}, fmt.Errorf("no provider process recorded its usage: %w", err)
	}
	var u usage
	starts := 0
	for line := range strings.Lines(string(data)) {
		if line == "start\n" {
			starts++
			continue
		}
		var rss, cpu int64
		if _, err := fmt.Sscanf(line, "%d %d\n", &rss, &cpu); err != nil {
			return usage{}, fmt.Errorf("bad record %q in %s: %w", line, path, err)
		}
		u.procs, u.cpu, u.rssKiB = u.procs+1, u.cpu+time.Duration(cpu), max(u.rssKiB, rss)
	}
	if starts != u.procs {
		return usage{}, fmt.Errorf("%d provider process(es) started, but %d recorded their usage (killed?)", starts, u.procs)
	}
	return u, nil
}
