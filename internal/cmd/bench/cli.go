package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/devcli"
)

// findCLI returns the absolute path of the CLI to plan with: the -cli flag,
// else OAUTH2_BENCH_CLI, else terraform or tofu on PATH.
func findCLI(flagValue string) (string, error) {
	for _, src := range []struct{ name, value string }{{"-cli", flagValue}, {"OAUTH2_BENCH_CLI", os.Getenv("OAUTH2_BENCH_CLI")}} {
		if src.value == "" {
			continue
		}
		p := src.value
		if !strings.ContainsRune(p, filepath.Separator) {
			lp, err := exec.LookPath(p)
			if err != nil && !errors.Is(err, exec.ErrDot) {
				return "", fmt.Errorf("%s: %w", src.name, err)
			}
			p = lp
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("%s: %w", src.name, err)
		}
		if fi, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("%s: %w", src.name, err)
		} else if fi.IsDir() {
			return "", fmt.Errorf("%s=%s is a directory, not the terraform or tofu binary", src.name, abs)
		}
		return abs, nil
	}
	if cli, ok := devcli.FindOnPath("terraform", "tofu"); ok {
		return cli, nil
	}
	return "", errors.New("no terraform or tofu on PATH; pass -cli or set OAUTH2_BENCH_CLI " +
		"(`make bench` finds or builds one for you)")
}

// cliVersion returns e.g. "terraform 1.11.4" or "tofu 1.9.0".
func cliVersion(ctx context.Context, cli string) string {
	name := strings.TrimSuffix(filepath.Base(cli), ".exe")
	cmd := exec.CommandContext(ctx, cli, "version", "-json")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+os.DevNull)
	out, err := cmd.Output()
	if err != nil {
		return name + " (version unknown)"
	}
	var v struct {
		TerraformVersion string `json:"terraform_version"`
	}
	if json.Unmarshal(out, &v) != nil || v.TerraformVersion == "" {
		return name + " (version unknown)"
	}
	return name + " " + v.TerraformVersion
}

// dropFromEnv reports the variables that the CLI and provider processes
// bench starts do not inherit, besides those devcli.RedirectsCLI reports:
// logging (it slows them down), acceptance test settings, and go-plugin's
// handshake settings (providerStartup sets its own).
func dropFromEnv(name string) bool {
	return strings.HasPrefix(name, "TF_LOG") || strings.HasPrefix(name, "TF_ACC") || strings.HasPrefix(name, "PLUGIN_") ||
		slices.Contains([]string{"TF_REATTACH_PROVIDERS", "TF_PLUGIN_CACHE_DIR", "TF_PLUGIN_MAGIC_COOKIE", "TF_INPUT"}, name)
}

// planArgs are the same for every variant: no state refresh, no locking,
// no prompts; the CLI's default parallelism (10).
var planArgs = []string{"plan", "-input=false", "-lock=false", "-refresh=false", "-no-color"}

// planResult is what one plan cost.
type planResult struct {
	Wall time.Duration // from starting the CLI to its exit
	// CPU is the CLI's user and system time; on Linux it includes the
	// provider processes the CLI started and waited for.
	CPU time.Duration
}

// plan runs one plan in dir.
func plan(ctx context.Context, cli, dir string, env []string) (planResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := devcli.Command(ctx, cli, dir, env, planArgs...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	res := planResult{Wall: time.Since(start)}
	if ps := cmd.ProcessState; ps != nil {
		res.CPU = ps.UserTime() + ps.SystemTime()
	}
	if err != nil {
		return res, &planError{err: err, output: out.String()}
	}
	return res, nil
}

// planError is a failed plan, with the CLI's output.
type planError struct {
	err    error
	output string
}

func (e *planError) Error() string {
	return fmt.Sprintf("plan failed (%v): %s", e.err, e.Summary())
}

// Summary is the CLI's first error diagnostic, e.g. `Unsupported argument:
// An argument named "cache" is not expected here.`, or the output's last
// line when there is none.
func (e *planError) Summary() string {
	lines := strings.Split(strings.TrimSpace(e.output), "\n")
	for i, l := range lines {
		l = strings.Trim(strings.TrimSpace(l), "│╷╵ ")
		if !strings.HasPrefix(l, "Error: ") {
			continue
		}
		s := strings.TrimPrefix(l, "Error: ")
		// Add the first line of the detail, skipping the source excerpt
		// (lines with "on main.tf line ...", code, and blank lines).
		for _, d := range lines[i+1:] {
			d = strings.Trim(strings.TrimSpace(d), "│╷╵ ")
			if r, _ := utf8.DecodeRuneInString(d); d == "" || strings.HasPrefix(d, "on ") || unicode.IsDigit(r) || r == '├' {
				continue
			}
			return s + ": " + d
		}
		return s
	}
	if len(lines) == 0 {
		return "(no output)"
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
