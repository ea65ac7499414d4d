# The configuration that wrote terraform.tfstate next to this file, with the
# provider of the first release (commit 654b02d, "Docs, examples, README and
# CHANGELOG for the provider core"). TestAccTokenDataSource_stateFromFirstRelease
# plans and applies it again with the current provider; regenerate the state
# with `go run ./internal/cmd/statefixture` (see README.md).
#
# Keep this to what the first release supports: the fixture must be
# regenerable with that provider.

terraform {
  required_providers {
    oauth2 = {
      source = "tfoauth2/oauth2"
    }
  }
}

# token_url, client_id and client_secret come from OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET: the bundled token server listens
# on a different port every run.
provider "oauth2" {
  client_auth = "client_secret_basic"
}

data "oauth2_token" "api" {
  scopes       = ["api.read", "api.write"]
  audience     = "https://api.example.com"
  extra_params = { tenant = "fixture" }
  headers      = { X-Request-Source = "state-fixture" }
}

output "token_type" {
  value = data.oauth2_token.api.token_type
}

output "scope" {
  value = data.oauth2_token.api.scope
}

output "expires_in" {
  value = data.oauth2_token.api.expires_in
}

# extra is sensitive now (vendors put tokens there), so an output of all of
# it must say so; this works with the first release too.
output "extra" {
  value     = data.oauth2_token.api.extra
  sensitive = true
}
