// Command stubs serves a provider that has a schema and nothing else, for
// tools/examples.sh to validate the examples that use providers it cannot
// build: the Go module proxy this project builds from serves no release of
// hashicorp/aws or hashicorp/google since 2019 (v1.60.0 and v1.20.0), and
// their current modules are refused, so the real providers cannot be made
// here.
//
// Built as terraform-provider-<type>, it serves the schema in <type>.json
// (embedded): only the attributes and blocks the examples use, transcribed
// by hand from the provider's source, which each file names. `validate`
// then checks an example's blocks, attribute names, nesting and types
// against that transcription, and everything of this provider and
// Terraform's own against the real thing. It cannot check what only the
// provider knows (value validation, conflicts between attributes), and it
// configures, plans and applies nothing.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

//go:embed *.json
var schemas embed.FS

// stubSchema is one provider's transcribed schema.
type stubSchema struct {
	// Source names where the schema was read: repository, files, commit.
	Source      string           `json:"source"`
	Provider    block            `json:"provider"`
	Resources   map[string]block `json:"resources"`
	DataSources map[string]block `json:"data_sources"`
}

type block struct {
	Attributes map[string]attribute `json:"attributes"`
	Blocks     map[string]nested    `json:"blocks"`
}

type nested struct {
	block
	// Nesting is "list", "set" or "single".
	Nesting  string `json:"nesting"`
	MaxItems int64  `json:"max_items"`
}

type attribute struct {
	// Type is "string", "bool", "number", or "list(string)", "set(string)",
	// "map(string)".
	Type      string `json:"type"`
	Required  bool   `json:"required"`
	Optional  bool   `json:"optional"`
	Computed  bool   `json:"computed"`
	Sensitive bool   `json:"sensitive"`
}

func main() {
	typ := strings.TrimPrefix(filepath.Base(os.Args[0]), "terraform-provider-")
	data, err := schemas.ReadFile(typ + ".json")
	if err != nil {
		fmt.Fprintf(os.Stderr, "stubs: no schema for provider %q (run as terraform-provider-<type>)\n", typ)
		os.Exit(1)
	}
	var s stubSchema
	if err := json.Unmarshal(data, &s); err != nil {
		fmt.Fprintf(os.Stderr, "stubs: %s.json: %v\n", typ, err)
		os.Exit(1)
	}
	resp, err := s.response()
	if err != nil {
		fmt.Fprintf(os.Stderr, "stubs: %s.json: %v\n", typ, err)
		os.Exit(1)
	}
	if err := tf6server.Serve("registry.terraform.io/hashicorp/"+typ, func() tfprotov6.ProviderServer {
		return &server{schema: resp}
	}); err != nil {
		fmt.Fprintln(os.Stderr, "stubs:", err)
		os.Exit(1)
	}
}

func (s stubSchema) response() (*tfprotov6.GetProviderSchemaResponse, error) {
	provider, err := s.Provider.schema()
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	resp := &tfprotov6.GetProviderSchemaResponse{
		ServerCapabilities:       &tfprotov6.ServerCapabilities{GetProviderSchemaOptional: false},
		Provider:                 provider,
		ResourceSchemas:          map[string]*tfprotov6.Schema{},
		DataSourceSchemas:        map[string]*tfprotov6.Schema{},
		EphemeralResourceSchemas: map[string]*tfprotov6.Schema{},
		Functions:                map[string]*tfprotov6.Function{},
	}
	for name, b := range s.Resources {
		if resp.ResourceSchemas[name], err = b.schema(); err != nil {
			return nil, fmt.Errorf("resource %s: %w", name, err)
		}
	}
	for name, b := range s.DataSources {
		if resp.DataSourceSchemas[name], err = b.schema(); err != nil {
			return nil, fmt.Errorf("data source %s: %w", name, err)
		}
	}
	return resp, nil
}

func (b block) schema() (*tfprotov6.Schema, error) {
	sb, err := b.protoBlock()
	return &tfprotov6.Schema{Block: sb}, err
}

func (b block) protoBlock() (*tfprotov6.SchemaBlock, error) {
	out := &tfprotov6.SchemaBlock{}
	for _, name := range sortedKeys(b.Attributes) {
		a := b.Attributes[name]
		typ, err := parseType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out.Attributes = append(out.Attributes, &tfprotov6.SchemaAttribute{
			Name: name, Type: typ, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive,
		})
	}
	for _, name := range sortedKeys(b.Blocks) {
		n := b.Blocks[name]
		inner, err := n.protoBlock()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		mode := map[string]tfprotov6.SchemaNestedBlockNestingMode{
			"list": tfprotov6.SchemaNestedBlockNestingModeList, "set": tfprotov6.SchemaNestedBlockNestingModeSet,
			"single": tfprotov6.SchemaNestedBlockNestingModeSingle,
		}[n.Nesting]
		if mode == 0 {
			return nil, fmt.Errorf("%s: nesting %q is not list, set or single", name, n.Nesting)
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: name, Block: inner, Nesting: mode, MaxItems: n.MaxItems,
		})
	}
	return out, nil
}

func parseType(s string) (tftypes.Type, error) {
	switch s {
	case "string":
		return tftypes.String, nil
	case "bool":
		return tftypes.Bool, nil
	case "number":
		return tftypes.Number, nil
	case "list(string)":
		return tftypes.List{ElementType: tftypes.String}, nil
	case "set(string)":
		return tftypes.Set{ElementType: tftypes.String}, nil
	case "map(string)":
		return tftypes.Map{ElementType: tftypes.String}, nil
	}
	return nil, fmt.Errorf("type %q is not one the stubs know", s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// server answers what `validate` asks: the schema, and no objection to any
// configuration. Any other call fails, since the embedded interface is nil.
type server struct {
	tfprotov6.ProviderServer
	schema *tfprotov6.GetProviderSchemaResponse
}

func (s *server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp := &tfprotov6.GetMetadataResponse{ServerCapabilities: s.schema.ServerCapabilities}
	for name := range s.schema.ResourceSchemas {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: name})
	}
	for name := range s.schema.DataSourceSchemas {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return s.schema, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

func (s *server) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{Functions: map[string]*tfprotov6.Function{}}, nil
}

func (s *server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *server) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}
