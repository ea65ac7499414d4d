terraform {
  # Provider-defined functions need Terraform 1.8 or OpenTofu 1.7; the
  # ephemeral resource below needs Terraform 1.10 or OpenTofu 1.11.
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

# Reads OAUTH2_TOKEN_URL, OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET.
provider "oauth2" {}

ephemeral "oauth2_token" "api" {
  scopes = ["api.read"]
}

locals {
  # The function's result is ephemeral because its argument is: it can go
  # wherever the token can (provider blocks, write-only arguments, other
  # ephemeral values) and is never written to the plan or the state.
  claims = provider::oauth2::jwt_claims(ephemeral.oauth2_token.api.access_token)
}

# A sanity check on what the server issued, not an authorization decision:
# jwt_claims verifies nothing. aud may be a string or a list of strings,
# so flatten([...]) reads both.
check "token_audience" {
  assert {
    condition     = contains(flatten([local.claims.aud]), "https://api.example.com")
    error_message = "The authorization server issued a token for another audience; check the client's settings on the server."
  }
}

# The data source's access_token is sensitive, so the claims decoded from it
# are sensitive as a whole. nonsensitive() releases one claim that is safe
# to show.
data "oauth2_token" "reporting" {}

locals {
  reporting_claims = provider::oauth2::jwt_claims(data.oauth2_token.reporting.access_token)
}

output "reporting_token_subject" {
  value = nonsensitive(local.reporting_claims.sub)
}
