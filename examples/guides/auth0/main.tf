terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "auth0_domain" {
  description = "The tenant's domain, such as example.eu.auth0.com, or its custom domain."
  type        = string
}

variable "client_id" {
  description = "Client ID of the Machine to Machine application."
  type        = string
}

# Leave unset to use the OAUTH2_CLIENT_SECRET environment variable.
variable "client_secret" {
  description = "Client secret of the Machine to Machine application."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

# Client credentials for a Machine to Machine application. audience is the
# Identifier of the API (Applications > APIs), and the application must be
# authorized for that API. client_auth must match the application's
# authentication method: Client Secret (Post) or Client Secret (Basic).
provider "oauth2" {
  token_url     = "https://${var.auth0_domain}/oauth/token"
  client_id     = var.client_id
  client_secret = var.client_secret
  client_auth   = "client_secret_post"
  audience      = "https://api.example.com"
}

# The same with discovery. Auth0's issuer ends with a slash, and the
# provider compares it character for character.
provider "oauth2" {
  alias = "discovered"

  issuer_url    = "https://${var.auth0_domain}/"
  client_id     = var.client_id
  client_secret = var.client_secret
  client_auth   = "client_secret_post"
  audience      = "https://api.example.com"
}

# Without scopes, Auth0 grants every scope the application is authorized
# for on the API; with scopes, those of them that are authorized.
ephemeral "oauth2_token" "api" {
  scopes = ["read:reports"]
}

# A token for another API of the same tenant: audience replaces the
# provider's.
ephemeral "oauth2_token" "billing" {
  provider = oauth2.discovered
  audience = "https://billing.example.com"
}

locals {
  # Auth0 access tokens for an API are JWTs; aud holds the API identifier.
  # jwt_claims decodes without verifying anything.
  api_claims = provider::oauth2::jwt_claims(ephemeral.oauth2_token.api.access_token)

  billing_headers = {
    Authorization = ephemeral.oauth2_token.billing.authorization_header
  }
}

check "api_token_audience" {
  assert {
    condition     = contains(flatten([local.api_claims.aud]), "https://api.example.com")
    error_message = "Auth0 issued a token for another API; check audience."
  }
}
