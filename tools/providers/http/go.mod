// Builds the hashicorp/http provider from the Go module proxy, so that
// tools/examples.sh can validate the examples that use data "http" without
// downloading a provider release. See tools/examples.sh.
//
// Pinned to release 3.6.1 (commit be89f04ea469, the newest release the proxy
// serves). The provider's go.mod still declares its old module path,
// github.com/terraform-providers/terraform-provider-http, but that path
// serves only a later commit; the release commit is served under the
// repository's current name, hence the replace.
module github.com/tfoauth2/terraform-provider-oauth2/tools/providers/http

go 1.26.6

require github.com/terraform-providers/terraform-provider-http v1.2.1-0.20260814132659-be89f04ea469

require (
	github.com/fatih/color v1.18.0 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-hclog v1.6.3 // indirect
	github.com/hashicorp/go-plugin v1.7.0 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/hashicorp/go-uuid v1.0.3 // indirect
	github.com/hashicorp/terraform-plugin-framework v1.19.0 // indirect
	github.com/hashicorp/terraform-plugin-framework-validators v0.19.0 // indirect
	github.com/hashicorp/terraform-plugin-go v0.31.0 // indirect
	github.com/hashicorp/terraform-plugin-log v0.11.0 // indirect
	github.com/hashicorp/terraform-registry-address v0.4.0 // indirect
	github.com/hashicorp/terraform-svchost v0.2.1 // indirect
	github.com/hashicorp/yamux v0.1.2 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/mitchellh/go-testing-interface v1.14.1 // indirect
	github.com/oklog/run v1.2.0 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	golang.org/x/net v0.58.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260414002931-afd174a4e478 // indirect
	google.golang.org/grpc v1.82.1 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)

replace github.com/terraform-providers/terraform-provider-http => github.com/hashicorp/terraform-provider-http v1.2.1-0.20260814132659-be89f04ea469
