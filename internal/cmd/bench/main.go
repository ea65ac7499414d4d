// Command bench measures what N consumers of one oauth2_token cost a real
// `plan`: it builds the provider, starts the bundled token server with a
// configurable latency, generates configurations with N identical token
// consumers and runs `terraform plan` (or `tofu plan`) on them offline,
// through dev_overrides. For each N it compares
//
//   - the provider as shipped (cache on: identical requests share one
//     token request),
//   - (a) the same consumers given a plain value instead of a token, with no
//     oauth2 provider at all: the CLI's own cost, and
//   - (b) the provider with cache = false: one token request per consumer,
//     as other providers do,
//
// and prints a Markdown table of token endpoint calls per plan, median wall
// times and the provider process's peak memory. `make bench` runs it after
// the Go benchmarks.
//
// Usage:
//
//	go run ./internal/cmd/bench [-n 1,10,100] [-latency 50ms] [-repeat 3] [-cli /path/to/terraform]
//
// Peak memory comes from a wrapper: dev_overrides of one extra plan per
// cell point at a copy of this program, which runs the real provider as its
// child, passes its arguments, environment and standard streams through,
// and records the child's rusage (ru_maxrss) when it exits. Timed plans use
// the real provider directly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/devcli"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

const (
	clientID     = "bench"
	clientSecret = "bench-secret"
)

type options struct {
	counts   []int
	latency  time.Duration
	repeat   int
	cli      string
	provider string
	keep     bool
}

func main() {
	// Started by the CLI in place of the provider: be the wrapper.
	if target := os.Getenv(envWrapTarget); target != "" {
		os.Exit(wrap(target, os.Getenv(envWrapRecord), os.Args[1:]))
	}

	var opts options
	var counts string
	flag.StringVar(&counts, "n", "1,10,100", "comma-separated numbers of token consumers")
	flag.DurationVar(&opts.latency, "latency", 50*time.Millisecond, "the token server's latency per request")
	flag.IntVar(&opts.repeat, "repeat", 3, "timed plans per cell; the median is reported")
	flag.StringVar(&opts.cli, "cli", "", "terraform or tofu binary (default $OAUTH2_BENCH_CLI, else terraform or tofu on PATH)")
	flag.StringVar(&opts.provider, "provider", "", "a prebuilt provider binary to use instead of building this repository")
	flag.BoolVar(&opts.keep, "keep", false, "keep the temporary directory (configurations, CLI configs) and print its path")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./internal/cmd/bench [flags]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	var err error
	if opts.counts, err = parseCounts(counts); err == nil && opts.repeat < 1 {
		err = errors.New("-repeat must be at least 1")
	}
	if err == nil && flag.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}

	devcli.Main("bench", func(ctx context.Context) error { return run(ctx, opts) })
}

// errSomeFailed is returned after the report when a variant could not be
// measured (for example cache = false on a provider without it).
var errSomeFailed = errors.New("some variants failed; see the report")

func run(ctx context.Context, opts options) error {
	cli, err := findCLI(opts.cli)
	if err != nil {
		return err
	}
	root, err := devcli.RepoRoot()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program's binary for the wrapper: %w", err)
	}
	tmp, removeTmp, err := devcli.TempDir("oauth2-bench-", "provider", "wrapper")
	if err != nil {
		return err
	}
	if opts.keep {
		devcli.Logf("keeping %s", tmp)
	} else {
		defer removeTmp()
	}
	realDir, wrapDir := filepath.Join(tmp, "provider"), filepath.Join(tmp, "wrapper")
	exe := devcli.ProviderExe()
	realBin := filepath.Join(realDir, exe)
	if opts.provider != "" {
		devcli.Logf("using the provider binary %s", opts.provider)
		err = copyFile(opts.provider, realBin)
	} else {
		err = devcli.BuildProvider(ctx, root, realBin)
	}
	if err != nil {
		return err
	}
	if err := copyFile(self, filepath.Join(wrapDir, exe)); err != nil {
		return fmt.Errorf("installing the wrapper: %w", err)
	}
	realConfig, wrapConfig := filepath.Join(tmp, "provider.tfrc"), filepath.Join(tmp, "wrapper.tfrc")
	if err := devcli.WriteCLIConfig(realConfig, realDir); err != nil {
		return err
	}
	if err := devcli.WriteCLIConfig(wrapConfig, wrapDir); err != nil {
		return err
	}

	var calls atomic.Int64
	ts := tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{ID: clientID, Secret: clientSecret, Auth: tokenserver.AuthBasic}},
		Latency: opts.latency,
	})
	tokenURL, stopServer, err := devcli.StartTokenServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		ts.ServeHTTP(w, r)
	}))
	if err != nil {
		return err
	}
	defer stopServer()

	base := devcli.CLIEnv{
		Drop:         dropFromEnv,
		Automation:   true,
		TokenURL:     tokenURL,
		ClientID:     clientID,
		ClientSecret: clientSecret,
	}.Environ()
	env := append(slices.Clip(base), "TF_CLI_CONFIG_FILE="+realConfig)
	wrapEnv := func(recordFile string) []string {
		return append(slices.Clip(base), "TF_CLI_CONFIG_FILE="+wrapConfig,
			envWrapTarget+"="+realBin, envWrapRecord+"="+recordFile)
	}

	mc := machine{
		Date:      time.Now(),
		CLI:       cliVersion(ctx, cli),
		CPU:       cpuModel(),
		Cores:     runtime.NumCPU(),
		GoVersion: runtime.Version(),
		OSArch:    runtime.GOOS + "/" + runtime.GOARCH,
		Latency:   opts.latency,
		Repeat:    opts.repeat,
	}
	devcli.Logf("%s, token server at %s with %s latency", mc.CLI, tokenURL, opts.latency)
	if mc.Startup, err = providerStartup(ctx, realBin, tmp, 5); err != nil {
		devcli.Logf("warning: could not time the provider's start-up: %v", err)
	}

	var rows []row
	failed := false
	for _, n := range opts.counts {
		r := row{N: n, M: map[variant]*measurement{}}
		dirs := map[variant]string{}
		for _, v := range variants {
			dir := filepath.Join(tmp, v.dirName(n))
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config(v, n)), 0o644); err != nil {
				return err
			}
			dirs[v], r.M[v] = dir, &measurement{}
		}
		// One untimed plan each first: it warms the page cache and shows
		// whether the variant works at all.
		for _, v := range variants {
			if _, err := plan(ctx, cli, dirs[v], env); err != nil {
				if ctx.Err() != nil {
					return err
				}
				r.M[v].Err = describe(err)
				devcli.Logf("N=%d %s: %s", n, v, r.M[v].Err)
			}
		}
		// Interleave the variants, so that drift in the machine's speed
		// affects them alike.
		for i := range opts.repeat {
			for _, v := range variants {
				m := r.M[v]
				if m.Err != "" {
					continue
				}
				before := calls.Load()
				res, err := plan(ctx, cli, dirs[v], env)
				if err != nil {
					if ctx.Err() != nil {
						return err
					}
					m.Err = describe(err)
					devcli.Logf("N=%d %s: %s", n, v, m.Err)
					continue
				}
				m.Walls = append(m.Walls, res.Wall)
				m.CPUs = append(m.CPUs, res.CPU)
				m.Calls += int(calls.Load() - before)
				devcli.Logf("N=%d %-11s plan %d/%d: %s (CPU %s), %d token call(s)", n, v, i+1, opts.repeat,
					fmtDur(res.Wall), fmtDur(res.CPU), calls.Load()-before)
			}
		}
		for _, v := range variants {
			m := r.M[v]
			if !v.usesProvider() || m.Err != "" {
				continue
			}
			record := filepath.Join(tmp, v.dirName(n)+".records")
			if _, err := plan(ctx, cli, dirs[v], wrapEnv(record)); err != nil {
				if ctx.Err() != nil {
					return err
				}
				devcli.Logf("N=%d %s: the plan through the wrapper failed: %s", n, v, describe(err))
				continue
			}
			if m.Records, err = readRecords(record); err != nil {
				return err
			}
			devcli.Logf("N=%d %-11s through the wrapper: %d provider process(es), peak RSS %s", n, v, len(m.Records), fmtRSS(m.peakRSSKiB()))
		}
		for _, m := range r.M {
			failed = failed || m.Err != ""
		}
		rows = append(rows, r)
	}

	fmt.Println()
	report(os.Stdout, mc, rows)
	if failed {
		return errSomeFailed
	}
	return nil
}

func describe(err error) string {
	var pe *planError
	if errors.As(err, &pe) {
		return pe.Summary()
	}
	return err.Error()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// cpuModel is the first "model name" of /proc/cpuinfo, else the
// architecture.
func cpuModel() string {
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown " + runtime.GOARCH + " CPU"
}
