//go:build linux

// Command bench measures what the README's performance table shows: what N
// identical oauth2_token data sources cost a real `plan`. `make bench` runs
// it after the Go benchmarks.
//
//	go run ./internal/cmd/bench [-n 1,10,100] [-latency 50ms] [-repeat 3] [-cli terraform] [-provider path]
//
// For each N it writes three configurations with N consumers each (one
// terraform_data per consumer, built into the CLI):
//
//   - the provider as shipped: each consumer reads its own, identical,
//     data "oauth2_token";
//   - (a) plain values instead of tokens and no oauth2 provider at all: the
//     CLI's own cost;
//   - (b) the provider as shipped with cache = false.
//
// It plans each -repeat times, offline through dev_overrides, against the
// bundled token server (internal/tokenserver), and reports the token
// endpoint calls per plan and the median wall time.
//
// Each timed plan that uses the provider is followed by one more whose
// dev_overrides point at this program instead (wrap): started by the CLI in
// place of the provider, it runs the real provider as its child and records
// the child's rusage. The CLI starts the provider several times per plan;
// the provider's CPU time is the sum over all of them, its peak memory the
// largest. Wall times come from the plans without the wrapper.
//
// Linux only: the peak RSS is ru_maxrss, in KiB there, and the wrapper relies
// on Pdeathsig (see unsupported.go).
package main

import (
	"context"
	"debug/buildinfo"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
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
	cli      string // a name on PATH or a path; "" for terraform or tofu on PATH
	provider string // a provider binary; "" to build this repository
}

func main() {
	if provider := os.Getenv(envWrapProvider); provider != "" {
		os.Exit(wrap(provider, os.Getenv(envWrapRecord), os.Args[1:]))
	}
	var opts options
	counts := flag.String("n", "1,10,100", "comma-separated numbers of token consumers")
	flag.DurationVar(&opts.latency, "latency", 50*time.Millisecond, "the token server's latency per request")
	flag.IntVar(&opts.repeat, "repeat", 3, "timed plans per configuration and N; the median is reported")
	flag.StringVar(&opts.cli, "cli", os.Getenv("OAUTH2_BENCH_CLI"), "terraform or tofu binary (default $OAUTH2_BENCH_CLI, else terraform or tofu on PATH)")
	flag.StringVar(&opts.provider, "provider", "", "a provider binary to measure instead of building this repository")
	flag.Parse()
	var err error
	switch opts.counts, err = parseCounts(*counts); {
	case err != nil:
	case opts.repeat < 1:
		err = errors.New("-repeat must be at least 1")
	case flag.NArg() > 0:
		err = fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	devcli.Main("bench", func(ctx context.Context) error {
		about, rows, err := measure(ctx, opts)
		if err != nil {
			return err
		}
		fmt.Println()
		report(os.Stdout, about, rows)
		for _, r := range rows {
			for _, res := range r.r {
				if res.err != "" {
					return errors.New("some configurations could not be measured (see the log above)")
				}
			}
		}
		return nil
	})
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-n: %q is not a positive number of consumers", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// The configurations, indexes into row.r.
const (
	plain = iota
	cached
	noCache
)

var variants = [...]struct{ name, providerBlock string }{
	plain:   {"plain", ""},
	cached:  {"provider", "provider \"oauth2\" {}\n"},
	noCache: {"cache=false", "provider \"oauth2\" {\n  cache = false\n}\n"},
}

// config is the main.tf of variant v with n consumers. The provider reads
// its settings from OAUTH2_TOKEN_URL, OAUTH2_CLIENT_ID and
// OAUTH2_CLIENT_SECRET.
func config(v, n int) string {
	var b strings.Builder
	if v != plain {
		b.WriteString("terraform {\n  required_providers {\n    oauth2 = {\n      source = \"tfoauth2/oauth2\"\n    }\n  }\n}\n\n")
		b.WriteString(variants[v].providerBlock)
	}
	for i := range n {
		input := `"Bearer"` // what the token server's token_type is
		if v != plain {
			fmt.Fprintf(&b, "\ndata \"oauth2_token\" \"c%d\" {}\n", i)
			input = fmt.Sprintf("data.oauth2_token.c%d.token_type", i)
		}
		fmt.Fprintf(&b, "\nresource \"terraform_data\" \"consumer%d\" {\n  input = %s\n}\n", i, input)
	}
	return b.String()
}

// result is what one configuration gave for one N.
type result struct {
	walls []time.Duration // of the timed plans
	calls int             // token endpoint calls in the timed plans
	cpus  []time.Duration // provider CPU (all its processes) of each wrapped plan
	procs []int           // provider processes of each wrapped plan
	rss   int64           // the largest peak RSS of a provider process, KiB
	err   string          // why it could not be measured; "" when it was
}

type row struct {
	n int
	r [len(variants)]result
}

// measure builds the provider (or takes opts.provider), starts the token
// server and plans every configuration for every N. It returns a line saying
// what was measured where, and the results.
func measure(ctx context.Context, opts options) (string, []row, error) {
	cli, err := findCLI(opts.cli)
	if err != nil {
		return "", nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	tmp, removeTmp, err := devcli.TempDir("oauth2-bench-", "provider", "wrapper")
	if err != nil {
		return "", nil, err
	}
	defer removeTmp()
	provider := filepath.Join(tmp, "provider", devcli.ProviderExe())
	source := opts.provider
	if opts.provider != "" {
		err = symlinkAbs(opts.provider, provider)
	} else {
		source, err = build(ctx, provider)
	}
	if err != nil {
		return "", nil, err
	}
	if err := symlinkAbs(self, filepath.Join(tmp, "wrapper", devcli.ProviderExe())); err != nil {
		return "", nil, err
	}

	ts := tokenserver.New(tokenserver.Options{
		Clients: []tokenserver.Client{{ID: clientID, Secret: clientSecret, Auth: tokenserver.AuthBasic}},
		Latency: opts.latency,
	})
	tokenURL, stopServer, err := devcli.StartTokenServer(ts)
	if err != nil {
		return "", nil, err
	}
	defer stopServer()

	// env has the CLI run the provider itself, wrapEnv the wrapper around it.
	cliEnv := func(pluginDir string) ([]string, error) {
		cliConfig := filepath.Join(tmp, pluginDir+".tfrc")
		err := devcli.WriteCLIConfig(cliConfig, filepath.Join(tmp, pluginDir))
		return devcli.CLIEnv{Drop: dropFromEnv, CLIConfigFile: cliConfig, Automation: true,
			TokenURL: tokenURL, ClientID: clientID, ClientSecret: clientSecret}.Environ(), err
	}
	env, err := cliEnv("provider")
	if err != nil {
		return "", nil, err
	}
	wrapEnv, err := cliEnv("wrapper")
	if err != nil {
		return "", nil, err
	}
	records := filepath.Join(tmp, "records")
	wrapEnv = append(wrapEnv, envWrapProvider+"="+provider, envWrapRecord+"="+records)

	about := fmt.Sprintf("Measured %s on %s (%d cores, %s/%s), %s, provider from %s built with %s; token server latency %s; "+
		"wall times are the median of %d `plan -refresh=false` runs.", time.Now().Format("2006-01-02"),
		cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, cliVersion(ctx, cli), source, goVersion(provider),
		opts.latency, opts.repeat)
	devcli.Logf("%s", about)

	var rows []row
	for _, n := range opts.counts {
		r := row{n: n}
		var dirs [len(variants)]string
		for v := range variants {
			dirs[v] = filepath.Join(tmp, fmt.Sprintf("n%d-v%d", n, v))
			if err := os.Mkdir(dirs[v], 0o755); err != nil {
				return "", nil, err
			}
			if err := os.WriteFile(filepath.Join(dirs[v], "main.tf"), []byte(config(v, n)), 0o644); err != nil {
				return "", nil, err
			}
		}
		// Plan 0 is untimed: it warms the page cache and shows whether the
		// configuration works at all. The configurations take turns, so
		// that drift in the machine's speed affects them alike.
		for i := range opts.repeat + 1 {
			for v := range variants {
				res := &r.r[v]
				if res.err != "" {
					continue
				}
				calls := len(ts.Requests())
				start := time.Now()
				err := plan(ctx, cli, dirs[v], env)
				wall, calls := time.Since(start), len(ts.Requests())-calls
				var u usage
				if err == nil && v != plain && i > 0 {
					u, err = wrappedPlan(ctx, cli, dirs[v], wrapEnv, records)
				}
				switch {
				case ctx.Err() != nil:
					return "", nil, ctx.Err()
				case err != nil:
					res.err = err.Error()
					devcli.Logf("N=%d %s: %v", n, variants[v].name, err)
				case i > 0:
					res.walls, res.calls = append(res.walls, wall), res.calls+calls
					line := fmt.Sprintf("N=%d %-11s plan %d/%d: %s, %d token call(s)", n, variants[v].name, i, opts.repeat, fmtDur(wall), calls)
					if v != plain {
						res.cpus, res.procs, res.rss = append(res.cpus, u.cpu), append(res.procs, u.procs), max(res.rss, u.rssKiB)
						line += fmt.Sprintf("; through the wrapper: %d provider process(es), CPU %s, peak RSS %s", u.procs, fmtDur(u.cpu), fmtRSS(u.rssKiB))
					}
					devcli.Logf("%s", line)
				}
			}
		}
		rows = append(rows, r)
	}
	return about, rows, nil
}

// dropFromEnv names what the CLI must not inherit besides what devcli
// always drops: logging slows CLI and provider down, and reattached
// providers would bypass dev_overrides.
func dropFromEnv(name string) bool {
	return strings.HasPrefix(name, "TF_LOG") || name == "TF_REATTACH_PROVIDERS"
}

// plan runs one plan in dir; its error holds the start of the CLI's first
// error.
func plan(ctx context.Context, cli, dir string, env []string) error {
	out, err := devcli.Command(ctx, cli, dir, env, "plan", "-input=false", "-lock=false", "-refresh=false", "-no-color").CombinedOutput()
	if err == nil {
		return nil
	}
	msg := string(out)
	if i := strings.Index(msg, "Error: "); i >= 0 {
		msg = msg[i:]
	} else {
		msg = msg[max(0, len(msg)-300):]
	}
	return fmt.Errorf("plan failed (%v): %s", err, strings.Join(strings.Fields(msg[:min(len(msg), 300)]), " "))
}

// findCLI returns the absolute path of name (a name on PATH or a path), or
// of terraform or tofu on PATH when name is "".
func findCLI(name string) (string, error) {
	if name == "" {
		if p, ok := devcli.FindOnPath("terraform", "tofu"); ok {
			return p, nil
		}
		return "", errors.New("no terraform or tofu on PATH; pass -cli or set OAUTH2_BENCH_CLI (`make bench` finds or builds one)")
	}
	p, err := exec.LookPath(name)
	if err != nil && !errors.Is(err, exec.ErrDot) {
		return "", fmt.Errorf("-cli: %w", err)
	}
	return filepath.Abs(p)
}

func symlinkAbs(target, link string) error {
	abs, err := filepath.Abs(target)
	if err != nil {
		return err
	}
	return os.Symlink(abs, link)
}

// cliVersion is the first line of `cli version`, e.g. "Terraform v1.11.4".
func cliVersion(ctx context.Context, cli string) string {
	env := append(devcli.ScrubbedEnviron(nil), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+os.DevNull)
	out, err := devcli.Command(ctx, cli, "", env, "version").Output()
	if err != nil {
		return filepath.Base(cli) + " (version unknown)"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return first
}

// build builds this repository's provider into out and says from which
// commit.
func build(ctx context.Context, out string) (string, error) {
	root, err := devcli.RepoRoot()
	if err == nil {
		err = devcli.BuildProvider(ctx, root, out)
	}
	if err != nil {
		return "", err
	}
	rev, err := exec.CommandContext(ctx, "git", "-C", root, "describe", "--always", "--dirty", "--abbrev=12").Output()
	if err != nil {
		devcli.Logf("warning: no commit for the report: git describe: %v", err)
		return "this repository", nil
	}
	return "commit " + strings.TrimSpace(string(rev)), nil
}

// goVersion is the Go release that built the binary at path.
func goVersion(path string) string {
	if bi, err := buildinfo.ReadFile(path); err == nil {
		return bi.GoVersion
	}
	return "an unknown Go"
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for l := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "an unknown CPU"
}

func median(d []time.Duration) time.Duration {
	d = slices.Sorted(slices.Values(d))
	return (d[(len(d)-1)/2] + d[len(d)/2]) / 2
}
