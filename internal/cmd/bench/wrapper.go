package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// The wrapper mode: dev_overrides point the CLI at a copy of this program,
// which the CLI starts as if it were the provider. With envWrapTarget set
// it runs the real provider as its child, with the same arguments,
// environment and standard streams (so go-plugin's handshake line, which
// the provider writes to stdout, reaches the CLI untouched), forwards the
// signals it gets, and when the child exits appends one record about it to
// the file named by envWrapRecord, then exits the way the child did.
const (
	envWrapTarget = "OAUTH2_BENCH_WRAP_PROVIDER"
	envWrapRecord = "OAUTH2_BENCH_RECORD_FILE"
)

// procRecord is what the wrapper records about one provider process.
type procRecord struct {
	MaxRSSKiB int64         // peak resident set size; 0 when unknown
	CPU       time.Duration // user + system time
	Wall      time.Duration // from the wrapper's start to the child's exit
}

func (r procRecord) line() string {
	return fmt.Sprintf("%d %d %d\n", r.MaxRSSKiB, r.CPU.Microseconds(), r.Wall.Microseconds())
}

func parseRecord(line string) (procRecord, error) {
	var rss, cpu, wall int64
	if _, err := fmt.Sscanf(line, "%d %d %d", &rss, &cpu, &wall); err != nil {
		return procRecord{}, fmt.Errorf("bad wrapper record %q: %w", line, err)
	}
	return procRecord{MaxRSSKiB: rss, CPU: time.Duration(cpu) * time.Microsecond, Wall: time.Duration(wall) * time.Microsecond}, nil
}

// readRecords reads the records of a record file; a missing file means no
// provider process was started.
func readRecords(path string) ([]procRecord, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []procRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		r, err := parseRecord(sc.Text())
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// forwardedSignals are relayed to the child. The provider shares the CLI's
// process group, so a terminal's interrupt reaches it directly too;
// go-plugin servers ignore interrupts and wait for the CLI to stop them.
var forwardedSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// wrap runs target with args as described above and returns the exit code.
func wrap(target, recordFile string, args []string) int {
	// On Linux the child is killed when the thread that started it exits
	// (Pdeathsig), so keep this goroutine on one thread.
	runtime.LockOSThread()
	start := time.Now()
	cmd := exec.Command(target, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = childSysProcAttr()

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "bench provider wrapper: %v\n", err)
		return 1
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	waitErr := cmd.Wait()
	close(done)
	signal.Stop(sigs)
	ps := cmd.ProcessState
	if ps == nil {
		fmt.Fprintf(os.Stderr, "bench provider wrapper: %v\n", waitErr)
		return 1
	}
	if recordFile != "" {
		rec := procRecord{CPU: ps.UserTime() + ps.SystemTime(), Wall: time.Since(start)}
		rec.MaxRSSKiB, _ = maxRSSKiB(ps)
		if err := appendLine(recordFile, rec.line()); err != nil {
			fmt.Fprintf(os.Stderr, "bench provider wrapper: %v\n", err)
		}
	}
	if sig, ok := exitSignal(ps); ok {
		// Die of the same signal, so the CLI sees what it would have.
		signal.Reset(sig)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Signal(sig)
			time.Sleep(time.Second)
		}
		return 128 + int(sig)
	}
	return ps.ExitCode()
}

// appendLine appends one short line; O_APPEND keeps the lines of
// concurrently exiting provider processes apart.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
