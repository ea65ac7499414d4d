package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ function.Function = (*jwtClaimsFunction)(nil)

// NewJWTClaimsFunction returns the jwt_claims function.
func NewJWTClaimsFunction() function.Function {
	return &jwtClaimsFunction{}
}

type jwtClaimsFunction struct{}

func (f *jwtClaimsFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "jwt_claims"
}

func (f *jwtClaimsFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Decodes the claims of a signed JWT without verifying anything",
		MarkdownDescription: "Decodes the payload of a signed JSON Web Token (RFC 7519, in the three-segment JWS " +
			"compact serialization) into an object, so a configuration can read claims such as `exp`, `aud`, " +
			"`scope` or `roles`. Unsecured JWTs (`\"alg\": \"none\"` with an empty signature segment) decode too; " +
			"encrypted JWTs (JWE, five segments) cannot be decoded.\n\n" +
			"**Nothing is verified**: not the signature, not the issuer, not the audience, not the expiry. " +
			"Anyone can write a token with any claims, so the result must not be used for authorization " +
			"decisions; it is for reading what a server that is trusted for other reasons issued.\n\n" +
			"The result holds the claims exactly as JSON has them: strings, numbers (exact, so `exp` keeps " +
			"every digit), booleans, null, lists (tuples) and nested objects. A claim name that is not a " +
			"valid identifier, such as `https://example.com/roles`, is read with an index: " +
			"`claims[\"https://example.com/roles\"]`.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name: "token",
				MarkdownDescription: "The JWT itself, such as the `access_token` or `id_token` of `oauth2_token`, " +
					"without an authorization scheme: pass `access_token`, not `authorization_header`.",
				AllowNullValue: false,
			},
		},
		Return: function.DynamicReturn{},
	}
}

func (f *jwtClaimsFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var token string
	resp.Error = req.Arguments.Get(ctx, &token)
	if resp.Error != nil {
		return
	}
	claims, problem := decodeJWTClaims(token)
	if problem != "" {
		resp.Error = function.NewArgumentFuncError(0, problem)
		return
	}
	value, err := jsonToValue(ctx, claims)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, "The token's payload cannot be represented in Terraform: "+err.Error())
		return
	}
	resp.Error = resp.Result.Set(ctx, types.DynamicValue(value))
}

// jwtSegmentNames names the three segments of a JWS compact serialization
// (RFC 7515 section 7.1) for error messages.
var jwtSegmentNames = [3]string{"header", "payload", "signature"}

// decodeJWTClaims returns the claims set of a JWS compact serialization
// without verifying anything: JSON objects as map[string]any, arrays as
// []any and numbers as json.Number. Otherwise it says what is wrong with
// the token, in sentences for the practitioner that never contain any part
// of it. Like every function error text, it has no final period: Terraform
// adds one.
func decodeJWTClaims(token string) (map[string]any, string) {
	if token == "" {
		return nil, "The token is an empty string. A JWT has three base64url segments separated by dots " +
			"(header.payload.signature)"
	}
	lower := strings.ToLower(token)
	for _, scheme := range []string{"Bearer", "DPoP"} {
		if strings.HasPrefix(lower, strings.ToLower(scheme)+" ") {
			return nil, fmt.Sprintf("The token starts with the %q authorization scheme: it looks like an "+
				"authorization_header value. Pass the token alone, such as the access_token attribute of "+
				"oauth2_token, not authorization_header", scheme)
		}
	}
	if i := strings.IndexFunc(token, unicode.IsSpace); i >= 0 {
		return nil, fmt.Sprintf("The token contains whitespace (at byte %d); a JWT has none. If it comes from a "+
			"file or a command's output, remove leading and trailing whitespace with trimspace(); if it is an "+
			"Authorization header value, pass the token alone", i)
	}

	segments := strings.Split(token, ".")
	switch n := len(segments); {
	case n == 5:
		return nil, "The token has five segments, so it is an encrypted JWT (JWE, RFC 7516). Encrypted tokens " +
			"cannot be decoded without the recipient's key; jwt_claims only decodes signed JWTs (JWS compact " +
			"serialization, three segments)"
	case n == 1:
		return nil, "The token has one segment and no dots, so it is not a JWT, which has three " +
			"(header.payload.signature). Not every access token is a JWT: many servers issue opaque tokens " +
			"that only the server itself can read"
	case n != 3:
		return nil, fmt.Sprintf("The token has %d dot-separated segments; a signed JWT has three "+
			"(header.payload.signature)", n)
	}

	var raw [3][]byte
	for i, seg := range segments {
		b, err := decodeBase64URLSegment(seg)
		if err != nil {
			return nil, fmt.Sprintf("Segment %d of the token (the %s) is not valid base64url (RFC 4648 section "+
				"5): %s", i+1, jwtSegmentNames[i], err)
		}
		raw[i] = b
	}
	if _, err := decodeJSONObject(raw[0]); err != nil {
		return nil, fmt.Sprintf("Segment 1 of the token (the header) is not a JWT header, which is a JSON "+
			"object (RFC 7515 section 4): %s", err)
	}
	claims, err := decodeJSONObject(raw[1])
	if err != nil {
		return nil, fmt.Sprintf("Segment 2 of the token (the payload) is not a JWT claims set, which is a JSON "+
			"object (RFC 7519 section 7.2): %s", err)
	}
	return claims, ""
}

// decodeBase64URLSegment decodes unpadded base64url. Padding is tolerated,
// since some issuers add it. Errors say where, never what.
func decodeBase64URLSegment(seg string) ([]byte, error) {
	if i := strings.IndexAny(seg, "+/"); i >= 0 {
		return nil, fmt.Errorf("byte %d is '+' or '/', which standard base64 uses; base64url uses '-' and '_'", i)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		var corrupt base64.CorruptInputError
		if errors.As(err, &corrupt) {
			return nil, fmt.Errorf("it is malformed at byte %d", int64(corrupt))
		}
		return nil, errors.New("it is malformed")
	}
	return b, nil
}

// decodeJSONObject decodes exactly one JSON object, keeping numbers as
// json.Number so that large integers such as exp keep every digit. Its
// errors describe the problem without quoting the input.
func decodeJSONObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, describeJSONError(err, len(b))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("there is more data after the JSON value (at byte %d)", dec.InputOffset())
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("it is a JSON %s, not an object", jsonKind(v))
	}
	return obj, nil
}

func describeJSONError(err error, size int) error {
	var syntax *json.SyntaxError
	switch {
	case size == 0, errors.Is(err, io.EOF):
		return errors.New("it is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("its JSON ends too early")
	case errors.As(err, &syntax):
		return fmt.Errorf("it is not valid JSON (syntax error at byte %d)", syntax.Offset)
	default:
		return errors.New("it is not valid JSON")
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	default:
		return "value"
	}
}

// jsonToValue converts a value from decodeJSONObject into the framework
// value Terraform's jsondecode would give for it: objects, tuples, numbers,
// strings, bools and untyped nulls.
func jsonToValue(ctx context.Context, v any) (attr.Value, error) {
	switch v := v.(type) {
	case nil:
		return types.DynamicNull(), nil
	case bool:
		return types.BoolValue(v), nil
	case string:
		return types.StringValue(v), nil
	case json.Number:
		// 512 bits of mantissa, as Terraform's own numbers use.
		f, _, err := big.ParseFloat(string(v), 10, 512, big.ToNearestEven)
		if err != nil || f.IsInf() {
			// An overflow becomes infinity, which no plan can hold.
			n := string(v)
			if len(n) > 20 {
				n = n[:20] + "..."
			}
			return nil, fmt.Errorf("the number %s is out of range: it overflows every number Terraform can hold", n)
		}
		return types.NumberValue(f), nil
	case []any:
		elemTypes := make([]attr.Type, len(v))
		elems := make([]attr.Value, len(v))
		for i, e := range v {
			ev, err := jsonToValue(ctx, e)
			if err != nil {
				return nil, err
			}
			elems[i], elemTypes[i] = ev, ev.Type(ctx)
		}
		tuple, diags := types.TupleValue(elemTypes, elems)
		if diags.HasError() {
			return nil, errors.New("an array could not be converted")
		}
		return tuple, nil
	case map[string]any:
		attrTypes := make(map[string]attr.Type, len(v))
		attrs := make(map[string]attr.Value, len(v))
		for k, e := range v {
			ev, err := jsonToValue(ctx, e)
			if err != nil {
				return nil, err
			}
			attrs[k], attrTypes[k] = ev, ev.Type(ctx)
		}
		obj, diags := types.ObjectValue(attrTypes, attrs)
		if diags.HasError() {
			return nil, errors.New("an object could not be converted")
		}
		return obj, nil
	default:
		return nil, fmt.Errorf("unexpected JSON value of type %T", v)
	}
}
