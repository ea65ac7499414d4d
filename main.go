package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/tfoauth2/terraform-provider-oauth2/internal/provider"
)

// version is set at release time through -ldflags "-X main.version=...".
var version = "dev"

func main() {
	quietSDKLogs()

	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/tfoauth2/oauth2",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// logSettings are the variables through which Terraform, OpenTofu or a user
// asks for logs from this process.
var logSettings = []string{
	"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PROVIDER_OAUTH2", "TF_LOG_SDK", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_PROTO",
}

// quietSDKLogs turns off the plugin libraries' own logging when nobody asked
// for logs. Left unset, they log every RPC and attribute at TRACE, which the
// CLI then discards: make bench measured that work as a quarter of a plan
// with 100 tokens. Any TF_LOG setting leaves everything as it was.
func quietSDKLogs() {
	for _, name := range logSettings {
		if os.Getenv(name) != "" {
			return
		}
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_PROTO"} {
		_ = os.Setenv(name, "OFF")
	}
}
