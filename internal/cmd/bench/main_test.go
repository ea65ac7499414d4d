package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the tests run this test binary as the provider wrapper.
func TestMain(m *testing.M) {
	if target := os.Getenv(envWrapTarget); target != "" {
		os.Exit(wrap(target, os.Getenv(envWrapRecord), os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestConfig(t *testing.T) {
	cached := config(variantCached, 3)
	for _, want := range []string{
		`source = "tfoauth2/oauth2"`,
		`provider "oauth2" {}`,
		`data "oauth2_token" "c0" {}`,
		`data "oauth2_token" "c2" {}`,
		"resource \"terraform_data\" \"consumer2\" {\n  input = data.oauth2_token.c2.token_type\n}",
	} {
		if !strings.Contains(cached, want) {
			t.Errorf("cached config lacks %q:\n%s", want, cached)
		}
	}
	if strings.Contains(cached, "cache") || strings.Contains(cached, "c3") {
		t.Errorf("cached config must rely on the default cache and have 3 consumers:\n%s", cached)
	}
	if got := strings.Count(cached, `data "oauth2_token"`); got != 3 {
		t.Errorf("cached config has %d data sources, want 3", got)
	}

	nocache := config(variantNoCache, 2)
	if !strings.Contains(nocache, "provider \"oauth2\" {\n  cache = false\n}") {
		t.Errorf("cache=false config lacks the setting:\n%s", nocache)
	}
	if strings.Replace(nocache, "provider \"oauth2\" {\n  cache = false\n}", `provider "oauth2" {}`, 1) !=
		strings.Replace(config(variantCached, 2), "provider, 2", "cache=false, 2", 1) {
		t.Errorf("the cache=false config must differ from the cached one only in the provider block:\n%s", nocache)
	}

	plain := config(variantPlain, 2)
	if strings.Contains(plain, "oauth2_token") || strings.Contains(plain, "required_providers") {
		t.Errorf("plain config must not use the provider:\n%s", plain)
	}
	if got := strings.Count(plain, "input = \"Bearer\""); got != 2 {
		t.Errorf("plain config has %d plain consumers, want 2:\n%s", got, plain)
	}
}

// TestConfigIsCanonical checks the generated HCL with the CLI's formatter,
// when a CLI is around: it must parse and need no reformatting.
func TestConfigIsCanonical(t *testing.T) {
	cli, err := findCLI("")
	if err != nil {
		t.Skip(err)
	}
	for _, v := range variants {
		src := config(v, 2)
		cmd := exec.Command(cli, "fmt", "-")
		cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+os.DevNull)
		cmd.Stdin = strings.NewReader(src)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s fmt of the %s config: %v\n%s\n%s", filepath.Base(cli), v, err, out, src)
		}
		if string(out) != src {
			t.Errorf("the %s config is not in canonical form:\n%s\nformatted:\n%s", v, src, out)
		}
	}
}

func TestParseCounts(t *testing.T) {
	got, err := parseCounts(" 1, 10,100 ")
	if err != nil || len(got) != 3 || got[0] != 1 || got[1] != 10 || got[2] != 100 {
		t.Errorf("parseCounts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "1,x", "-5", ","} {
		if _, err := parseCounts(bad); err == nil {
			t.Errorf("parseCounts(%q) must fail", bad)
		}
	}
}

func ms(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, x := range n {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		walls []time.Duration
		want  time.Duration
	}{
		{ms(300), 300 * time.Millisecond},
		{ms(500, 100, 300), 300 * time.Millisecond},
		{ms(400, 100, 300, 200), 250 * time.Millisecond},
	} {
		m := &measurement{Walls: c.walls}
		if got := m.median(); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.walls, got, c.want)
		}
	}
}

func TestReport(t *testing.T) {
	rows := []row{
		{N: 1, M: map[variant]*measurement{
			variantPlain:   {Walls: ms(40, 42, 41)},
			variantCached:  {Walls: ms(100, 90, 95), Calls: 3, Records: []procRecord{{MaxRSSKiB: 20 * 1024}, {MaxRSSKiB: 25 * 1024}}},
			variantNoCache: {Err: `Unsupported argument: An argument named "cache" is not expected here.`},
		}},
		{N: 100, M: map[variant]*measurement{
			variantPlain:   {Walls: ms(1000, 1000, 1000)},
			variantCached:  {Walls: ms(1100, 1100, 1100), Calls: 3, Records: []procRecord{{MaxRSSKiB: 30 * 1024, CPU: 200 * time.Millisecond, Wall: time.Second}}},
			variantNoCache: {Walls: ms(1600, 1500, 1700), Calls: 301, Records: []procRecord{{MaxRSSKiB: 41 * 1024}}},
		}},
	}
	mc := machine{Date: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), CLI: "terraform 1.11.4", CPU: "Test CPU", Cores: 2,
		GoVersion: "go1.26.0", OSArch: "linux/amd64", Latency: 50 * time.Millisecond, Repeat: 3, Startup: 12 * time.Millisecond}
	var b bytes.Buffer
	report(&b, mc, rows)
	out := b.String()
	t.Log("\n" + out)
	for _, want := range []string{
		"Measured 2025-06-01 on Test CPU (2 cores, linux/amd64), terraform 1.11.4, provider built with go1.26.0; token server latency 50ms",
		"|   N | token calls/plan |    wall | (a) plain value | ratio to (a) |",
		"| --: | ---------------: | ------: |",
		"|   1 |                1 |   95 ms |           41 ms |        2.32x |                     failed |   failed | 25.0 MiB |       failed |",
		"| 100 |                1 | 1100 ms |         1000 ms |        1.10x |                     100.33 |  1600 ms | 30.0 MiB |     41.0 MiB |",
		"| 100 | provider    |  1100 ms | 1100 ms | 1100 ms |              – |                       1 |               1000 ms | 1000 ms |          200 ms |",
		"100.33",
		"| 100 | cache=false |  1500 ms | 1600 ms | 1700 ms |              – |",
		"12 ms",
		`- N=1 cache=false: Unsupported argument: An argument named "cache" is not expected here.`,
		"- N=100: 1 token call(s) per plan: met (1)",
		"- N=100: wall time within 1.15x of (a): met (1.10x, 1100 ms vs 1000 ms)",
		"- peak RSS of every provider process under 40 MiB: NOT met (largest 41.0 MiB)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Every line of a table has as many cells as the table's header.
	cells := 0
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "|") {
			cells = 0
			continue
		}
		if n := strings.Count(l, "|"); cells == 0 {
			cells = n
		} else if n != cells {
			t.Errorf("table line %q has %d separators, its header %d", l, n, cells)
		}
	}
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1500 * time.Microsecond: "1.5 ms",
		41 * time.Millisecond:   "41 ms",
		1234 * time.Millisecond: "1234 ms",
		12 * time.Second:        "12.0 s",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPlanErrorSummary(t *testing.T) {
	out := `
Warning: Provider development overrides are in effect

The following provider development overrides are set in the CLI
configuration:

Error: Unsupported argument

  on main.tf line 12, in provider "oauth2":
  12:   cache = false

An argument named "cache" is not expected here.
`
	e := &planError{err: errors.New("exit status 1"), output: out}
	want := `Unsupported argument: An argument named "cache" is not expected here.`
	if got := e.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	boxed := strings.ReplaceAll(out, "\n", "\n│ ")
	if got := (&planError{output: boxed}).Summary(); got != want {
		t.Errorf("Summary() of boxed output = %q, want %q", got, want)
	}
	if got := (&planError{output: "panic: boom\n"}).Summary(); got != "panic: boom" {
		t.Errorf("Summary() without an Error: line = %q", got)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := procRecord{MaxRSSKiB: 28000, CPU: 65 * time.Millisecond, Wall: 81 * time.Millisecond}
	got, err := parseRecord(r.line())
	if err != nil || got != r {
		t.Errorf("parseRecord(%q) = %+v, %v", r.line(), got, err)
	}
	if _, err := parseRecord("garbage"); err == nil {
		t.Error("parseRecord must reject garbage")
	}
}

// wrapperCmd runs this test binary as the wrapper around sh -c script.
func wrapperCmd(t *testing.T, script, record string) *exec.Cmd {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the wrapper's measurements are Linux only")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-c", script)
	cmd.Env = append(os.Environ(), envWrapTarget+"="+sh, envWrapRecord+"="+record)
	return cmd
}

func TestWrapperPassesThrough(t *testing.T) {
	record := filepath.Join(t.TempDir(), "records")
	cmd := wrapperCmd(t, `read line; echo "out:$line:$BENCH_TEST_VAR"; echo err >&2; exit 3`, record)
	cmd.Env = append(cmd.Env, "BENCH_TEST_VAR=v")
	cmd.Stdin = strings.NewReader("in\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("wrapper exit = %v, want exit status 3 (stderr %q)", err, stderr.String())
	}
	if stdout.String() != "out:in:v\n" || stderr.String() != "err\n" {
		t.Errorf("stdout %q, stderr %q: streams, arguments and environment must pass through", stdout.String(), stderr.String())
	}
	// A second process appends its own record.
	if err := wrapperCmd(t, "exit 0", record).Run(); err != nil {
		t.Fatal(err)
	}
	recs, err := readRecords(record)
	if err != nil || len(recs) != 2 {
		t.Fatalf("records = %+v, %v; want 2", recs, err)
	}
	for _, r := range recs {
		if r.MaxRSSKiB <= 0 || r.Wall <= 0 {
			t.Errorf("record %+v lacks the peak RSS or the wall time", r)
		}
	}
}

func TestWrapperForwardsSignals(t *testing.T) {
	record := filepath.Join(t.TempDir(), "records")
	cmd := wrapperCmd(t, `trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done`, record)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("child not ready: %q, %v", buf, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 7 {
			t.Errorf("wrapper exit = %v, want exit status 7 from the child's TERM trap", err)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("SIGTERM was not forwarded to the child")
	}
	if recs, err := readRecords(record); err != nil || len(recs) != 1 {
		t.Errorf("records = %+v, %v; want 1", recs, err)
	}
}

func TestWrapperDiesOfChildsSignal(t *testing.T) {
	cmd := wrapperCmd(t, `kill -KILL $$`, filepath.Join(t.TempDir(), "records"))
	err := cmd.Run()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if err == nil || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("wrapper ended with %v; want it killed by SIGKILL like its child", err)
	}
}

func TestProviderStartupNeedsHandshake(t *testing.T) {
	sh, err := exec.LookPath("true")
	if err != nil {
		t.Skip(err)
	}
	if _, err := providerStartup(context.Background(), sh, t.TempDir(), 1); err == nil {
		t.Error("a binary that prints no handshake line must be an error")
	}
}
