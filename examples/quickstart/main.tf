terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

# Configured entirely from the environment: OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET (`make run` sets them to a
# local token server). Keeping credentials out of the configuration is the
# recommended way to use the provider.
provider "oauth2" {}

data "oauth2_token" "example" {
  scopes = ["api.read"]
}

# The token itself (access_token, authorization_header) is sensitive and is
# deliberately not output; pass it straight to the provider or resource that
# needs it instead.
output "token_type" {
  value = data.oauth2_token.example.token_type
}

output "expires_at" {
  value = data.oauth2_token.example.expires_at
}

output "scope" {
  value = data.oauth2_token.example.scope
}
