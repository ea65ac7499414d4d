package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	provschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/oauth2client"
)

// Identity token sources: one object type, used by the provider block's
// client_assertion_source, jwt_bearer_grant.assertion_source and
// token_exchange_grant's subject_token_source and actor_token_source. Each
// entry of identitySources is one way of getting the token: its attribute
// and how its value becomes an oauth2client.IdentitySource.
type identitySourceKind struct {
	name   string
	attr   tokenAttr
	source func(v values) oauth2client.IdentitySource
}

var identitySources = []identitySourceKind{
	{
		name: "env",
		attr: tokenAttr{kind: kindString, optional: true,
			description: "The name of an environment variable holding the token, such as `TFC_WORKLOAD_IDENTITY_TOKEN` " +
				"(HCP Terraform), a variable of GitLab's `id_tokens` keyword, `SPACELIFT_OIDC_TOKEN`, `CIRCLE_OIDC_TOKEN_V2` " +
				"or `BITBUCKET_STEP_OIDC_TOKEN`.",
			stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
		source: func(v values) oauth2client.IdentitySource { return oauth2client.EnvSource{Name: v.str("env")} },
	},
	{
		name: "file",
		attr: tokenAttr{kind: kindString, optional: true,
			description: "A path whose content is the token, read anew for every token request since such files are " +
				"rotated: a Kubernetes projected service account token, or the file `AZURE_FEDERATED_TOKEN_FILE` names.",
			stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
		source: func(v values) oauth2client.IdentitySource { return oauth2client.FileSource{Path: v.str("file")} },
	},
	{
		name: "command",
		attr: tokenAttr{kind: kindStringList, optional: true,
			description: "A command and its arguments, run without a shell, whose standard output, trimmed, is the " +
				"token, such as `[\"buildkite-agent\", \"oidc\", \"request-token\"]`. It runs for every token request, " +
				"within the provider's `timeout`; when it fails, its standard error is shown, redacted.",
			listValidators: []validator.List{listvalidator.SizeAtLeast(1), listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))}},
		source: func(v values) oauth2client.IdentitySource {
			args, _ := v.list("command")
			return oauth2client.CommandSource{Args: args}
		},
	},
	{
		name: "github_actions",
		attr: tokenAttr{kind: kindObject, optional: true,
			description: "Requests a token from the GitHub Actions job's token endpoint (`" +
				oauth2client.EnvGitHubRequestURL + "`, with `" + oauth2client.EnvGitHubRequestToken + "`), which GitHub " +
				"provides to jobs with `permissions: id-token: write`.",
			nested: map[string]tokenAttr{
				"audience": {kind: kindString, optional: true,
					description: "The token's `aud`, as the authorization server expects it (`api://AzureADTokenExchange` " +
						"for Microsoft Entra ID). Without it, GitHub's default: the repository owner's URL.",
					stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			}},
		source: func(v values) oauth2client.IdentitySource {
			gh, _ := v.object("github_actions")
			return oauth2client.GitHubActionsSource{Audience: gh.str("audience")}
		},
	},
	{
		name: "azure_devops",
		attr: tokenAttr{kind: kindObject, optional: true,
			description: "Requests a token for a service connection from the Azure Pipelines job's OIDC endpoint (`" +
				oauth2client.EnvAzureDevOpsURL + "`, with `" + oauth2client.EnvAzureDevOpsToken + "`, which the step must " +
				"map into its environment).",
			nested: map[string]tokenAttr{
				"service_connection_id": {kind: kindString, required: true,
					description: "The ID of an Azure Resource Manager service connection that uses workload identity " +
						"federation; the token's subject is `sc://<organization>/<project>/<service connection name>`.",
					stringValidators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			}},
		source: func(v values) oauth2client.IdentitySource {
			ado, _ := v.object("azure_devops")
			return oauth2client.AzureDevOpsSource{ServiceConnectionID: ado.str("service_connection_id")}
		},
	},
}

// sourceAttr is the attribute of an identity token source, for use.
func sourceAttr(use string) tokenAttr {
	nested := map[string]tokenAttr{}
	names := make([]string, 0, len(identitySources))
	for _, s := range identitySources {
		nested[s.name] = s.attr
		names = append(names, s.name)
	}
	return tokenAttr{kind: kindObject, optional: true, nested: nested,
		description: use + " Exactly one of " + valuesList(names) + ". The token is obtained for every token request " +
			"that needs it and kept no longer than that request: it never reaches the plan or the state, and it is " +
			"redacted from errors and logs.",
		objectValidators: []validator.Object{exactlyOneSource{}}}
}

// sourceFrom reads the source configured in v (nil when v is nil).
func sourceFrom(v values) oauth2client.IdentitySource {
	if v == nil {
		return nil
	}
	for _, s := range identitySources {
		if v.has(s.name) {
			return s.source(v)
		}
	}
	return nil
}

// exactlyOneSource checks that a source object sets exactly one way of
// getting the token.
type exactlyOneSource struct{}

func (exactlyOneSource) Description(context.Context) string {
	return "exactly one way of getting the token must be set"
}

func (v exactlyOneSource) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (exactlyOneSource) ValidateObject(_ context.Context, req validator.ObjectRequest, resp *validator.ObjectResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var set []string
	for name, a := range req.ConfigValue.Attributes() {
		if a.IsUnknown() {
			return
		}
		if !a.IsNull() {
			set = append(set, name)
		}
	}
	if len(set) == 1 {
		return
	}
	sort.Strings(set)
	names := make([]string, 0, len(identitySources))
	for _, s := range identitySources {
		names = append(names, s.name)
	}
	detail := fmt.Sprintf("%s sets %s; set exactly one of %s.", req.Path, strings.Join(quoteAll(set), " and "),
		strings.Join(names, ", "))
	if len(set) == 0 {
		detail = fmt.Sprintf("%s sets no way of getting the token; set exactly one of %s.", req.Path, strings.Join(names, ", "))
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid Identity Token Source", detail)
}

// providerAttribute renders a tokenAttr for the provider block's schema,
// for the kinds a source uses.
func (a tokenAttr) providerAttribute() provschema.Attribute {
	switch a.kind {
	case kindStringList:
		return provschema.ListAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Sensitive: a.sensitive, ElementType: types.StringType, Validators: a.listValidators}
	case kindObject:
		nested := map[string]provschema.Attribute{}
		for name, n := range a.nested {
			nested[name] = n.providerAttribute()
		}
		return provschema.SingleNestedAttribute{MarkdownDescription: a.description, Required: a.required,
			Optional: a.optional, Sensitive: a.sensitive, Attributes: nested, Validators: a.objectValidators}
	default:
		return provschema.StringAttribute{MarkdownDescription: a.description, Required: a.required, Optional: a.optional,
			Sensitive: a.sensitive, Validators: a.stringValidators}
	}
}
