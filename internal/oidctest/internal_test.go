package oidctest

import "testing"

func TestGoModModule(t *testing.T) {
	for in, want := range map[string]string{
		"module github.com/tfoauth2/terraform-provider-oauth2\n\ngo 1.26\n": modulePath,
		"// c\nmodule \"example.com/x\" // trailing\n":                      "example.com/x",
		"modules x\n": "",
		"go 1.26\n":   "",
	} {
		if got := goModModule([]byte(in)); got != want {
			t.Errorf("goModModule(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNodeVersion(t *testing.T) {
	for in, want := range map[string][2]int{"v20.20.2": {20, 20}, "v22.12.0": {22, 12}, "v24.1.0": {24, 1}} {
		major, minor, ok := parseNodeVersion(in)
		if !ok || major != want[0] || minor != want[1] {
			t.Errorf("parseNodeVersion(%q) = %d, %d, %v; want %v", in, major, minor, ok, want)
		}
	}
	if _, _, ok := parseNodeVersion("garbage"); ok {
		t.Error("parseNodeVersion(garbage) ok")
	}
}
