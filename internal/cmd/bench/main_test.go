//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/testenv"
)

// TestMain lets the CLI and the tests run this test binary as the wrapper.
func TestMain(m *testing.M) {
	if provider := os.Getenv(envWrapProvider); provider != "" {
		os.Exit(wrap(provider, os.Getenv(envWrapRecord), os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestConfig(t *testing.T) {
	c := config(cached, 3)
	if got := strings.Count(c, "data \"oauth2_token\""); got != 3 {
		t.Errorf("%d data sources, want 3:\n%s", got, c)
	}
	if got := strings.Count(c, "input = data.oauth2_token.c"); got != 3 {
		t.Errorf("%d consumers of a token, want 3:\n%s", got, c)
	}
	if nc := config(noCache, 3); strings.Replace(nc, variants[noCache].providerBlock, variants[cached].providerBlock, 1) != c {
		t.Errorf("cache = false must differ from the provider as shipped in the provider block only:\n%s", nc)
	}
	if p := config(plain, 3); strings.Contains(p, "oauth2") || strings.Count(p, `input = "Bearer"`) != 3 {
		t.Errorf("plain must have 3 consumers of a plain value and no provider:\n%s", p)
	}
}

// TestWrapper runs this test binary as the wrapper around sh.
func TestWrapper(t *testing.T) {
	record := filepath.Join(t.TempDir(), "records")
	wrapSh := func(script string) (string, error) {
		cmd := exec.Command(os.Args[0], "-c", script)
		cmd.Env = append(os.Environ(), envWrapProvider+"=/bin/sh", envWrapRecord+"="+record)
		cmd.Stdin = strings.NewReader("in\n")
		out, err := cmd.Output()
		return string(out), err
	}
	// Streams and exit code pass through; the loop costs some CPU.
	out, err := wrapSh(`read l; echo "got $l"; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; exit 3`)
	var exit *exec.ExitError
	if out != "got in\n" || !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("wrapped sh: stdout %q, %v; want \"got in\\n\" and exit status 3", out, err)
	}
	if _, err := wrapSh("exit 0"); err != nil {
		t.Fatal(err)
	}
	u, err := readRecords(record)
	if err != nil || u.procs != 2 || u.cpu <= 0 || u.rssKiB <= 0 {
		t.Errorf("readRecords = %+v, %v; want 2 processes, with CPU time and peak RSS", u, err)
	}
	// A process that started and left no usage is an error, not a smaller sum.
	if err := appendLine(record, "start"); err != nil {
		t.Fatal(err)
	}
	if _, err := readRecords(record); err == nil {
		t.Error("readRecords of a start without usage: no error")
	}
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		950 * time.Microsecond:  "0.95 ms",
		1996 * time.Microsecond: "2.0 ms",
		9960 * time.Microsecond: "10 ms",
		1234 * time.Millisecond: "1234 ms",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestReport(t *testing.T) {
	ms := func(n int) []time.Duration { return []time.Duration{time.Duration(n) * time.Millisecond} }
	rows := []row{
		{n: 1, r: [len(variants)]result{
			plain:   {walls: ms(40)},
			cached:  {walls: ms(200), calls: 1, cpus: ms(60), procs: []int{3}, rss: 23 * 1024},
			noCache: {err: "plan failed: Unsupported argument"},
		}},
		{n: 100, r: [len(variants)]result{
			plain:   {walls: ms(100)},
			cached:  {walls: ms(450), calls: 1, cpus: ms(330), procs: []int{3}, rss: 33 * 1024},
			noCache: {walls: ms(860), calls: 100, cpus: ms(400), procs: []int{4}, rss: 35 * 1024},
		}},
	}
	var b strings.Builder
	report(&b, "Measured here.", rows)
	out := b.String()
	for _, want := range []string{
		"|   1 |                1 | 200 ms |           40 ms |        5.00x |                         failed |   failed | 23.0 MiB |       failed |             60 ms |        60 ms |",
		"| 100 |                1 | 450 ms |          100 ms |        4.50x |                            100 |   860 ms | 33.0 MiB |     35.0 MiB |            330 ms |       3.3 ms |",
		"(3 at N = 1, 3 at N = 100)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestMeasure plans with a real CLI and the provider built from this
// repository: what the CLI's provider processes did must reach the results.
func TestMeasure(t *testing.T) {
	cli, err := findCLI(os.Getenv("OAUTH2_BENCH_CLI"))
	testenv.Need(t, err == nil, "needs terraform or tofu on PATH, or OAUTH2_BENCH_CLI naming one")
	about, rows, err := measure(t.Context(), options{counts: []int{1, 3}, repeat: 1, cli: cli})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	report(&b, about, rows)
	t.Log("\n" + b.String())
	for _, r := range rows {
		for v, calls := range [len(variants)]int{plain: 0, cached: 1, noCache: r.n} {
			if res := r.r[v]; res.err != "" || res.calls != calls {
				t.Errorf("N=%d %s: %d token calls (%s), want %d", r.n, variants[v].name, res.calls, res.err, calls)
			}
		}
		if c := r.r[cached]; c.err == "" && (c.procs[0] < 1 || c.cpus[0] <= 0 || c.rss <= 0) {
			t.Errorf("N=%d: %d provider process(es), CPU %s, peak RSS %d KiB; want them measured", r.n, c.procs[0], c.cpus[0], c.rss)
		}
	}
}
