package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/devcli"
)

// TestREADME holds the README's make server section to what the server
// serves: every endpoint, client, secret and user is listed there.
func TestREADME(t *testing.T) {
	root, err := devcli.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Trying a configuration: `make server`\n")
	if !ok {
		t.Fatal("README.md has no section \"Trying a configuration: `make server`\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")

	want := []string{"`POST /token`", "`GET /jwks`", "`GET " + metadataPath + "`", "`" + audience + "`"}
	for _, ep := range endpoints() {
		want = append(want, "`POST "+ep.opts.Path+"`")
		for _, c := range ep.opts.Clients {
			want = append(want, "| `"+c.ID+"` |", "`"+c.Auth+"`")
			if c.Secret != "" {
				want = append(want, "`"+c.Secret+"`")
			}
		}
		for _, u := range ep.opts.Users {
			want = append(want, "`"+u.Username+"` / `"+u.Password+"`")
		}
	}
	for _, w := range want {
		if !strings.Contains(section, w) {
			t.Errorf("README.md's make server section does not mention %s", w)
		}
	}
}
