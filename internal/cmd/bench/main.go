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
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

const (
	modulePath   = "github.com/tfoauth2/terraform-provider-oauth2"
	providerName = "terraform-provider-oauth2"

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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted (%w)", err)
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "\nbench: FAILED: %v\n", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "==> "+format+"\n", args...)
}

// errSomeFailed is returned after the report when a variant could not be
// measured (for example cache = false on a provider without it).
var errSomeFailed = errors.New("some variants failed; see the report")

func run(ctx context.Context, opts options) error {
	cli, err := findCLI(opts.cli)
	if err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program's binary for the wrapper: %w", err)
	}
	tmp, err := os.MkdirTemp("", "oauth2-bench-")
	if err != nil {
		return err
	}
	if opts.keep {
		logf("keeping %s", tmp)
	} else {
		defer func() {
			if err := os.RemoveAll(tmp); err != nil {
				logf("warning: could not remove %s: %v", tmp, err)
			}
		}()
	}
	realDir, wrapDir := filepath.Join(tmp, "provider"), filepath.Join(tmp, "wrapper")
	for _, d := range []string{realDir, wrapDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	exe := providerName
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	realBin := filepath.Join(realDir, exe)
	if opts.provider != "" {
		logf("using the provider binary %s", opts.provider)
		err = copyFile(opts.provider, realBin)
	} else {
		err = buildProvider(ctx, root, realBin)
	}
	if err != nil {
		return err
	}
	if err := copyFile(self, filepath.Join(wrapDir, exe)); err != nil {
		return fmt.Errorf("installing the wrapper: %w", err)
	}
	realConfig, wrapConfig := filepath.Join(tmp, "provider.tfrc"), filepath.Join(tmp, "wrapper.tfrc")
	if err := os.WriteFile(realConfig, []byte(cliConfig(realDir)), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(wrapConfig, []byte(cliConfig(wrapDir)), 0o644); err != nil {
		return err
	}

	var calls atomic.Int64
	ts := tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{ID: clientID, Secret: clientSecret, Auth: tokenserver.AuthBasic}},
		Latency: opts.latency,
	})
	tokenURL, stopServer, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		ts.ServeHTTP(w, r)
	}))
	if err != nil {
		return err
	}
	defer stopServer()

	base := append(baseEnv(),
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"OAUTH2_TOKEN_URL="+tokenURL,
		"OAUTH2_CLIENT_ID="+clientID,
		"OAUTH2_CLIENT_SECRET="+clientSecret,
	)
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
	logf("%s, token server at %s with %s latency", mc.CLI, tokenURL, opts.latency)
	if mc.Startup, err = providerStartup(ctx, realBin, tmp, 5); err != nil {
		logf("warning: could not time the provider's start-up: %v", err)
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
				logf("N=%d %s: %s", n, v, r.M[v].Err)
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
					logf("N=%d %s: %s", n, v, m.Err)
					continue
				}
				m.Walls = append(m.Walls, res.Wall)
				m.CPUs = append(m.CPUs, res.CPU)
				m.Calls += int(calls.Load() - before)
				logf("N=%d %-11s plan %d/%d: %s (CPU %s), %d token call(s)", n, v, i+1, opts.repeat,
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
				logf("N=%d %s: the plan through the wrapper failed: %s", n, v, describe(err))
				continue
			}
			if m.Records, err = readRecords(record); err != nil {
				return err
			}
			logf("N=%d %-11s through the wrapper: %d provider process(es), peak RSS %s", n, v, len(m.Records), fmtRSS(m.peakRSSKiB()))
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

// repoRoot finds the provider's module root, from the working directory or
// this file's location.
func repoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if isProviderModule(filepath.Join(dir, "go.mod")) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("cannot find the repository root (a go.mod declaring module %s); run this from inside the repository", modulePath)
}

func isProviderModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == modulePath
		}
	}
	return false
}

func buildProvider(ctx context.Context, root, out string) error {
	logf("building the provider (go build -o %s .)", out)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the provider failed: %w", err)
	}
	logf("built in %s", time.Since(start).Round(100*time.Millisecond))
	return nil
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

// serve starts h on a free loopback port and returns its token URL and a
// function that stops it.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the local token server: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("token server: %v", err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String() + "/token", stop, nil
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
