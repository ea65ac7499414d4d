terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "ca_certificate_pem" {
  description = "PEM certificate of the private CA that issued the server's certificate."
  type        = string
}

# The settings the troubleshooting guide points to, in one provider block.
# client_id and client_secret from OAUTH2_CLIENT_ID and
# OAUTH2_CLIENT_SECRET.
provider "oauth2" {
  token_url = "https://auth.example.com/oauth2/token"

  # Name the method the client is registered for: the provider never
  # tries another one.
  client_auth = "client_secret_post"

  # A server behind a private certificate authority: trust it in addition
  # to the system's roots, rather than setting insecure_skip_verify.
  ca_certificate_pem = var.ca_certificate_pem

  # Only when HTTPS_PROXY and NO_PROXY do not already say it.
  proxy_url = "http://proxy.example.com:3128"

  # Each attempt may take this long; a slow server needs more.
  timeout = "60s"

  # A server that limits the rate of requests: more attempts, and room
  # for the Retry-After it asks for.
  retry {
    attempts  = 5
    min_delay = "2s"
    max_delay = "2m"
  }
}

ephemeral "oauth2_token" "api" {
  scopes = ["api.read"]

  # Fail in the plan when the server issues tokens that cannot last the
  # apply, instead of with HTTP 401 at its end.
  min_validity = "20m"
}

# What the server issued, for a look at a token the API refuses. jwt_claims
# decodes without verifying anything, and only tokens that are JWTs.
locals {
  api_claims = provider::oauth2::jwt_claims(ephemeral.oauth2_token.api.access_token)
}

check "api_token" {
  assert {
    condition     = contains(flatten([local.api_claims.aud]), "https://api.example.com")
    error_message = "The token is for another audience; check audience, resource or scopes."
  }

  assert {
    condition     = strcontains(try(local.api_claims.scope, ""), "api.read")
    error_message = "The token does not carry the api.read scope."
  }
}
