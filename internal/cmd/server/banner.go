package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenserver"
)

// writeBanner prints what a user needs to point a configuration at the
// server at base: its endpoints, the exports for the default client, and
// every client with its secret, method, grants and settings, then note
// when there is one. Its last line is bannerEnd.
func writeBanner(w io.Writer, base string, eps []endpoint, note string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	def, defEP := eps[0].opts.Clients[0], eps[0]

	p("Token server (internal/tokenserver) listening on %s", base)
	p("")
	p("Endpoints:")
	for _, ep := range eps {
		p("  POST %-40s the token endpoint %s", ep.opts.Path, ep.dialect)
		if ep.opts.JWT != nil {
			p("  GET  %-40s the JWK Set that verifies the JWT access tokens of %s", jwksPath(ep.opts), ep.opts.Path)
		}
	}
	p("  GET  %-40s metadata of %s (RFC 8414), for issuer_url = %q", metadataPath, defEP.opts.Path, base)
	p("")
	p("An empty provider \"oauth2\" {} block reads its settings from these; for the client %s:", def.ID)
	p("")
	p("  unset OAUTH2_ISSUER_URL OAUTH2_CLIENT_AUTH OAUTH2_PRIVATE_KEY")
	p("  export OAUTH2_TOKEN_URL=%s", shellQuote(base+defEP.opts.Path))
	p("  export OAUTH2_CLIENT_ID=%s", shellQuote(def.ID))
	p("  export OAUTH2_CLIENT_SECRET=%s", shellQuote(def.Secret))
	p("")
	p("or, to find the token endpoint by discovery: unset OAUTH2_TOKEN_URL; export OAUTH2_ISSUER_URL=%s", shellQuote(base))

	for _, ep := range eps {
		p("")
		p("Clients of %s:", ep.opts.Path)
		for _, c := range ep.opts.Clients {
			p("")
			if c.Secret == "" {
				p("  %s (no secret)", c.ID)
			} else {
				p("  %s (secret %s)", c.ID, c.Secret)
			}
			p("    client_auth  %s", authText(c.Auth))
			scopes := "any scope"
			if len(c.Scopes) > 0 {
				scopes = "scopes " + strings.Join(c.Scopes, ", ") + " only"
			}
			p("    grants       %s; %s", strings.Join(grants(ep.opts, c), ", "), scopes)
			p("    tokens       %s", tokensText(ep.opts, c))
			if cfg := configText(ep.opts); cfg != "" {
				p("    config       %s", cfg)
			}
			p("    env          %s", envText(base, ep, c))
		}
		p("")
		for _, u := range ep.opts.Users {
			p("  User for password_grant: username %s, password %s", u.Username, u.Password)
		}
		if ep.opts.RefreshTokens {
			p("  Refresh tokens come with each password grant and rotate: each works once, for the client it was issued to.")
		}
		if r := responseText(ep.opts); r != "" {
			p("  Responses: %s.", r)
		}
	}
	p("")
	p("Try it without Terraform:")
	p("")
	p("  curl -s -u %s:%s -d grant_type=client_credentials %s", def.ID, def.Secret, base+defEP.opts.Path)
	if note != "" {
		p("")
		p("Note: %s", note)
	}
	p("")
	p("%s", bannerEnd)
}

// bannerEnd ends the banner: the server is ready when it is printed.
const bannerEnd = "Every request is logged below, without secrets or tokens. Ctrl-C stops the server."

func authText(auth string) string {
	switch auth {
	case tokenserver.AuthBasic:
		return auth + ": client_id and secret in an HTTP Basic header"
	case tokenserver.AuthPost:
		return auth + ": client_id and client_secret in the form body"
	default:
		return auth + ": a public client, only client_id is sent"
	}
}

func tokensText(opts tokenserver.Options, c tokenserver.Client) string {
	life := "expires_in " + strconv.Itoa(cmp.Or(opts.ExpiresIn, 3600))
	if opts.ExpiresIn < 0 {
		life = "never expire"
	}
	if !c.JWTAccessTokens {
		return "opaque, " + life
	}
	aud := "aud " + strings.Join(opts.JWT.Audience, ", ")
	if len(opts.JWT.Audience) == 0 {
		aud = "no aud"
	}
	return fmt.Sprintf("JWTs signed with RS256, keys at %s: iss, sub, %s unless the request names an audience or resource, "+
		"scope, client_id, exp, iat, jti; %s", jwksPath(opts), aud, life)
}

// configText is what a configuration must set for the endpoint's dialect,
// beyond the environment variables.
func configText(opts tokenserver.Options) string {
	var parts []string
	if opts.ParamsIn == tokenserver.ParamsInQuery {
		parts = append(parts, `params_in = "query"`)
	}
	if len(opts.RequiredParams) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(opts.RequiredParams)) {
			kv = append(kv, fmt.Sprintf("%s = %q", k, opts.RequiredParams[k]))
		}
		where := ""
		if len(opts.RequiredParamsFor) > 0 {
			where = " on the " + strings.Join(opts.RequiredParamsFor, " and ") + " grant"
		}
		parts = append(parts, "extra_params = { "+strings.Join(kv, ", ")+" }"+where)
	}
	return strings.Join(parts, "; ")
}

// envText is the shell line that points an empty provider block at c.
func envText(base string, ep endpoint, c tokenserver.Client) string {
	vars := []string{
		"OAUTH2_TOKEN_URL=" + shellQuote(base+ep.opts.Path),
		"OAUTH2_CLIENT_ID=" + shellQuote(c.ID),
	}
	line := "export "
	if c.Secret == "" {
		line = "unset OAUTH2_CLIENT_SECRET; export "
	} else {
		vars = append(vars, "OAUTH2_CLIENT_SECRET="+shellQuote(c.Secret))
	}
	vars = append(vars, "OAUTH2_CLIENT_AUTH="+c.Auth)
	return line + strings.Join(vars, " ")
}

// responseText lists how the endpoint's answers differ from RFC 6749's.
func responseText(opts tokenserver.Options) string {
	var parts []string
	if opts.TokenType != "" && opts.TokenType != "Bearer" {
		parts = append(parts, fmt.Sprintf("token_type %q", opts.TokenType))
	}
	if opts.ExpiresInAsString {
		parts = append(parts, "expires_in as a string")
	}
	if opts.ScopeAsArray {
		parts = append(parts, "scope as an array")
	}
	if opts.OmitScope {
		parts = append(parts, "no scope")
	}
	if opts.FormResponse {
		parts = append(parts, "form-encoded instead of JSON")
	}
	if len(opts.ExtraFields) > 0 {
		parts = append(parts, "extra fields "+strings.Join(slices.Sorted(maps.Keys(opts.ExtraFields)), ", "))
	}
	return strings.Join(parts, ", ")
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
