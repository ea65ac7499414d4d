terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

# Reads OAUTH2_TOKEN_URL, OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET.
provider "oauth2" {}

# A client credentials grant: the default when no other grant is set.
data "oauth2_token" "api" {
  scopes = ["api.read", "api.write"]
}

# Only the non-secret fields are safe to show.
output "token_type" {
  value = data.oauth2_token.api.token_type
}

output "expires_at" {
  value = data.oauth2_token.api.expires_at
}

output "granted_scope" {
  value = data.oauth2_token.api.scope
}
