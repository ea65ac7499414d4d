package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
	"github.com/tfoauth2/terraform-provider-oauth2/internal/tokenfile"
)

// token_file: the ephemeral oauth2_token keeps its token in a file, which
// Renew replaces before the token expires, for consumers that re-read
// credential files. A provider block is configured once per run, and an
// ephemeral resource's Renew cannot change its result; it can change a file.
//
// Renew receives only private data, so what a renewal needs (the request,
// the file's settings, the current token) lives in this process, in
// providerData.files, under a random ID that private data carries together
// with the path, which is all Close needs to remove the file.

// What a token file can hold.
const (
	contentAccessToken         = "access_token"
	contentIDToken             = "id_token"
	contentAuthorizationHeader = "authorization_header"
)

var tokenFileContents = []string{contentAccessToken, contentIDToken, contentAuthorizationHeader}

// privateTokenFileKey holds, between Open and Close, the token file's ID in
// this process and its path: no token.
const privateTokenFileKey = "token_file"

type tokenFilePrivate struct {
	ID   string `json:"id"`
	Path string `json:"path"`
}

var tokenFileAttribute = tokenAttr{
	kind: kindObject, optional: true, ephemeralOnly: true,
	description: "Keeps the token in a file, and a fresh one there for as long as Terraform keeps the ephemeral " +
		"resource open, for consumers that re-read a credential file: a kubeconfig's `tokenFile` (client-go, so " +
		"the Kubernetes and Helm providers), the AWS provider's `web_identity_token_file`, Google's external " +
		"account `credential_source.file`, a script that reads the file each time it calls an API. The file is " +
		"written when Terraform opens the resource, replaced with a new token before the one it holds has " +
		"`min_validity` left or three quarters of its lifetime behind it (whichever comes first, and not " +
		"before half of it when it lives no longer than `min_validity`), and deleted when Terraform closes the " +
		"resource. A renewal makes a new request: with the refresh token when the server issued one, otherwise " +
		"(or when the server refuses it) with the same grant as the first. A token without `expires_in` is not " +
		"renewed. The result attributes stay those of the first token. The token is on disk, readable by the " +
		"user running Terraform, for as long as the run lasts; it is never in the plan or the state.",
	nested: map[string]tokenAttr{
		"path": {kind: kindString, required: true,
			stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)},
			description: "Where to write the token. A relative path is relative to the directory Terraform " +
				"runs in; `abspath(\"${path.root}/...\")` says so plainly. A missing directory is created with " +
				"mode `0700`. The file is written atomically (a temporary file in the same directory, then a " +
				"rename) with mode `0600`. The path must be free, or hold a regular file of the user running " +
				"Terraform with mode `0600`, such as one left by an earlier run, which is replaced; anything " +
				"else there (a symbolic link, a directory, another user's file, a file with another mode) is " +
				"refused and left alone. Each `oauth2_token` needs a path of its own."},
		"content": {kind: kindString, optional: true,
			stringValidators: []validator.String{stringvalidator.OneOf(tokenFileContents...)},
			description: "What the file holds, with no line break: " + codeList(tokenFileContents) + ". Defaults " +
				"to `access_token`. `id_token` needs a server that issues an OpenID Connect ID token for the " +
				"grant; `authorization_header` (`Bearer <token>`) needs a bearer token."},
	},
}

// tokenFileSettings is the token_file block of one oauth2_token.
type tokenFileSettings struct {
	// path is absolute; configured is the path as configured, for messages.
	path, configured string
	content          string
}

// readTokenFile reads the token_file block, nil when it is not set. The
// path is made absolute here, once, so a later change of directory cannot
// move the file.
func readTokenFile(in values) (*tokenFileSettings, diag.Diagnostics) {
	var diags diag.Diagnostics
	block, ok := in.object("token_file")
	if !ok {
		return nil, nil
	}
	s := &tokenFileSettings{configured: block.str("path"), content: contentAccessToken}
	if block.has("content") {
		s.content = block.str("content")
	}
	abs, err := filepath.Abs(s.configured)
	if err != nil {
		diags.AddAttributeError(tokenFilePath, "Invalid Token File Path", sentence(err.Error()))
		return nil, diags
	}
	s.path = filepath.Clean(abs)
	return s, diags
}

var (
	tokenFilePath    = path.Root("token_file").AtName("path")
	tokenFileContent = path.Root("token_file").AtName("content")
)

// contentOf is what the file holds for token, or an error diagnostic's
// summary and detail when the token has no such thing.
func (s *tokenFileSettings) contentOf(t *oauth2client.Token) ([]byte, error) {
	switch s.content {
	case contentIDToken:
		if t.IDToken == nil || *t.IDToken == "" {
			return nil, &noContentError{content: s.content}
		}
		return []byte(*t.IDToken), nil
	case contentAuthorizationHeader:
		h := t.AuthorizationHeader()
		if h == "" {
			return nil, &noContentError{content: s.content, tokenType: t.TokenType}
		}
		return []byte(h), nil
	}
	return []byte(t.AccessToken), nil
}

// noContentError says a token response lacks what token_file.content asks
// the file to hold.
type noContentError struct {
	content   string
	tokenType string
}

func (e *noContentError) Error() string { return "the token response has no " + e.content }

// tokenFiles are the token files this provider process keeps, by ID.
type tokenFiles struct {
	mu     sync.Mutex
	byID   map[string]*tokenFile
	byPath map[string]string
}

// tokenFile is one open token file and what renewing it needs.
type tokenFile struct {
	id       string
	settings tokenFileSettings
	// req is the first token's request; minValidity its min_validity.
	req         oauth2client.Request
	minValidity time.Duration
	revoke      bool

	mu sync.Mutex
	// current is the token the file holds.
	current *oauth2client.Token
	// refresh is the refresh token a renewal tries first, "" for none.
	refresh  string
	failures int
	// since is when the first failure of the current run of failures was.
	since time.Time
	// renewed are the tokens renewals issued, for revoke_on_close.
	renewed []*oauth2client.Token
	closed  bool
}

// register adds a token file for settings, refusing a path another open
// oauth2_token of this process writes.
func (fs *tokenFiles) register(f *tokenFile) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.byID == nil {
		fs.byID, fs.byPath = map[string]*tokenFile{}, map[string]string{}
	}
	if _, taken := fs.byPath[f.settings.path]; taken {
		return errPathInUse
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	f.id = hex.EncodeToString(b[:])
	fs.byID[f.id] = f
	fs.byPath[f.settings.path] = f.id
	return nil
}

var errPathInUse = errors.New("the path is another oauth2_token's token file")

func (fs *tokenFiles) get(id string) *tokenFile {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.byID[id]
}

// forget removes the token file id, returning it (nil when unknown) marked
// closed, so a renewal that waited for it does nothing.
func (fs *tokenFiles) forget(id string) *tokenFile {
	fs.mu.Lock()
	f := fs.byID[id]
	if f != nil {
		delete(fs.byID, id)
		if fs.byPath[f.settings.path] == id {
			delete(fs.byPath, f.settings.path)
		}
	}
	fs.mu.Unlock()
	if f != nil {
		f.mu.Lock()
		f.closed = true
		f.mu.Unlock()
	}
	return f
}

// openTokenFile writes the first token to the file and registers it for
// renewal. It returns when Terraform should renew (zero for never) and the
// private data that Close needs. Nothing is left on disk or registered when
// it fails.
func openTokenFile(ctx context.Context, data *providerData, call *tokenCall, s *tokenFileSettings, token *oauth2client.Token,
	revoke bool) (renewAt time.Time, private []byte, diags diag.Diagnostics) {
	content, err := s.contentOf(token)
	if err != nil {
		addTokenFileError(&diags, err, s)
		return time.Time{}, nil, diags
	}
	f := &tokenFile{settings: *s, req: call.req, minValidity: call.minValidity, revoke: revoke,
		current: token, refresh: valueOr(token.RefreshToken)}
	if err := data.files.register(f); err != nil {
		addTokenFileError(&diags, err, s)
		return time.Time{}, nil, diags
	}
	private, err = json.Marshal(tokenFilePrivate{ID: f.id, Path: s.path})
	if err == nil {
		err = tokenfile.Write(s.path, content)
	}
	if err != nil {
		data.files.forget(f.id)
		addTokenFileError(&diags, err, s)
		return time.Time{}, nil, diags
	}
	tflog.Debug(ctx, "Token file written", map[string]any{"path": s.path, "content": s.content})
	if token.ExpiresAt == nil {
		diags.Append(tokenFileNotRenewed(s))
		return time.Time{}, private, diags
	}
	return tokenfile.NextRenewal(data.now(), *token.ExpiresAt, lifetime(token), f.minValidity), private, diags
}

func lifetime(t *oauth2client.Token) time.Duration {
	return time.Duration(valueOf(t.ExpiresIn)) * time.Second
}

func valueOf(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// renew puts a fresh token in the file. It returns when to renew next (zero
// for never). A failure leaves the file as it is and is a warning while the
// token there has life left, with the next attempt sooner than the usual
// schedule; once that token has expired, it is an error, and Terraform
// stops renewing.
func (f *tokenFile) renew(ctx context.Context, data *providerData) (time.Time, diag.Diagnostics) {
	var diags diag.Diagnostics
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.current.ExpiresAt == nil {
		return time.Time{}, nil
	}
	ctx = maskSecrets(ctx, append(f.secrets(), data.secrets()...)...)
	ctx = maskSecrets(ctx, append(f.req.Secrets(), ciSecrets(f.req)...)...)
	token, err := f.fetch(ctx, data)
	var content []byte
	if err == nil {
		ctx = maskSecrets(ctx, token.AccessToken, valueOr(token.RefreshToken), valueOr(token.IDToken))
		content, err = f.settings.contentOf(token)
	}
	if err == nil {
		err = tokenfile.Write(f.settings.path, content)
	}
	now := data.now()
	if err != nil {
		if f.failures == 0 {
			f.since = now
		}
		f.failures++
		at, expired := tokenfile.Retry(now, *f.current.ExpiresAt, f.failures)
		fields := map[string]any{"path": f.settings.path, "failures": f.failures,
			"file_token_expires_at": f.current.ExpiresAt.Format(time.RFC3339)}
		if expired {
			tflog.Error(ctx, "Token file renewal failed, and the token in the file has expired", fields)
			diags.Append(tokenFileExpired(&f.settings, err, f.since, *f.current.ExpiresAt, f.failures))
			return time.Time{}, diags
		}
		fields["retry_at"] = at.Format(time.RFC3339Nano)
		tflog.Warn(ctx, "Token file renewal failed; the file keeps its token", fields)
		diags.Append(tokenFileRenewalFailed(&f.settings, err, now, *f.current.ExpiresAt, at))
		return at, diags
	}
	f.failures = 0
	f.current = token
	if f.revoke {
		f.renewed = slices.DeleteFunc(f.renewed, func(t *oauth2client.Token) bool {
			return t.ExpiresAt != nil && !t.ExpiresAt.After(now)
		})
		f.renewed = append(f.renewed, token)
	}
	tflog.Debug(ctx, "Token file renewed", map[string]any{"path": f.settings.path})
	if token.ExpiresAt == nil {
		diags.Append(tokenFileNotRenewed(&f.settings))
		return time.Time{}, diags
	}
	return tokenfile.NextRenewal(now, *token.ExpiresAt, lifetime(token), f.minValidity), diags
}

// fetch requests the renewal's token: with the refresh token when there is
// one, and with the first token's request when there is none or the server
// refuses it. It keeps the refresh token to use next time.
func (f *tokenFile) fetch(ctx context.Context, data *providerData) (*oauth2client.Token, error) {
	if f.refresh != "" {
		req := f.req
		req.Grant = oauth2client.RefreshToken{RefreshToken: f.refresh}
		token, err := f.send(ctx, data, req)
		if err == nil {
			if _, cerr := f.settings.contentOf(token); cerr == nil {
				if token.RefreshToken == nil {
					// RFC 6749 section 6: without a new one, the client
					// keeps the refresh token it has (a copy: f.refresh
					// changes with the next renewal).
					kept := f.refresh
					token.RefreshToken = &kept
				}
				f.refresh = valueOr(token.RefreshToken)
				return token, nil
			}
			// A server may leave the ID token out of a refresh response;
			// the first grant issued one.
			tflog.Debug(ctx, "The refresh response lacks the token file's content; renewing with the first grant",
				map[string]any{"content": f.settings.content})
		} else if !refused(err) {
			return nil, err
		}
		f.refresh = ""
	}
	if f.req.Grant != nil && !f.req.Grant.Replayable() {
		// A refresh token, ready-made assertion or subject token of the
		// configuration was used by the first request; many servers accept
		// each once, and some revoke the grant when it comes back.
		return nil, fmt.Errorf("the %s grant of the first token cannot be sent again, and the server issued no "+
			"usable refresh token to renew with", f.req.GrantType())
	}
	token, err := f.send(ctx, data, f.req)
	if err != nil {
		return nil, err
	}
	f.refresh = valueOr(token.RefreshToken)
	return token, nil
}

// send makes one renewal request, logged as the first token's are.
func (f *tokenFile) send(ctx context.Context, data *providerData, req oauth2client.Request) (*oauth2client.Token, error) {
	token, outcome, err := data.client.Fetch(ctx, req)
	fields := map[string]any{
		"token_url": oauth2client.RedactURL(req.TokenURL), "grant_type": req.GrantType(),
		"client_auth": req.ClientAuthMethod(), "status": outcome.Status,
		"duration_ms": outcome.Duration.Milliseconds(), "source": "token file renewal",
	}
	if err != nil {
		tflog.Debug(ctx, "Token request failed", fields)
		return nil, err
	}
	tflog.Debug(ctx, "Token request succeeded", fields)
	return token, nil
}

// refused says whether the server answered a token request with a refusal
// (an OAuth 2.0 error, or a 4xx other than 429), as it does for a refresh
// token that expired, was revoked or was used already; a request that got
// no answer, a rate limit or a server failure is no refusal.
func refused(err error) bool {
	var e *oauth2client.Error
	if !errors.As(err, &e) || e.Kind != oauth2client.KindToken {
		return false
	}
	if e.Code != "" {
		return e.Code != "temporarily_unavailable" && e.Code != "server_error"
	}
	return e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != 429
}

// secrets are the tokens the file's renewals know, for masking.
func (f *tokenFile) secrets() []string {
	s := append([]string{f.refresh, f.current.AccessToken, valueOr(f.current.RefreshToken), valueOr(f.current.IDToken)},
		f.req.Secrets()...)
	for _, t := range f.renewed {
		s = append(s, t.AccessToken, valueOr(t.RefreshToken))
	}
	return s
}

// revocable are the tokens renewals issued that revoke_on_close must
// revoke besides the first: every access token that has not expired yet,
// and the last refresh token.
func (f *tokenFile) revocable(now time.Time) (refresh string, access []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.revoke {
		return "", nil
	}
	for _, t := range f.renewed {
		if t.ExpiresAt == nil || t.ExpiresAt.After(now) {
			access = append(access, t.AccessToken)
		}
	}
	return f.refresh, access
}

// closeTokenFile forgets the token file of private and removes it from
// disk. It returns the file's renewal state, nil when this process has none.
func closeTokenFile(ctx context.Context, data *providerData, raw []byte) (*tokenFile, diag.Diagnostics) {
	var diags diag.Diagnostics
	var p tokenFilePrivate
	if err := json.Unmarshal(raw, &p); err != nil {
		diags.AddWarning("Token File Not Removed", "The data kept for the token file could not be read: "+err.Error())
		return nil, diags
	}
	f := data.files.forget(p.ID)
	settings := tokenFileSettings{path: p.Path, configured: p.Path}
	if f != nil {
		settings = f.settings
	}
	if err := tokenfile.Remove(p.Path); err != nil {
		diags.Append(tokenFileNotRemoved(&settings, err))
		return f, diags
	}
	tflog.Debug(ctx, "Token file removed", map[string]any{"path": p.Path})
	return f, diags
}

// renewTokenFile renews the token file that private names.
func renewTokenFile(ctx context.Context, data *providerData, raw []byte) (time.Time, diag.Diagnostics) {
	var diags diag.Diagnostics
	var p tokenFilePrivate
	if err := json.Unmarshal(raw, &p); err != nil {
		diags.AddError("Token File Not Renewed", "The data kept for the token file could not be read: "+err.Error())
		return time.Time{}, diags
	}
	f := data.files.get(p.ID)
	if f == nil {
		diags.Append(tokenFileUnknown(p.Path))
		return time.Time{}, diags
	}
	return f.renew(ctx, data)
}
