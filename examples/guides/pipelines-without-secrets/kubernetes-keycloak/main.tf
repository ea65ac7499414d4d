terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "keycloak_url" {
  description = "Base URL of the Keycloak server, without a trailing slash."
  type        = string
  default     = "https://keycloak.example.com"
}

variable "realm" {
  description = "The realm the client belongs to."
  type        = string
  default     = "platform"
}

# A Keycloak client whose Client Authenticator is "Signed JWT - Federated":
# the pod's projected service account token is its client assertion. The
# kubelet rewrites the file before the token expires; the provider reads it
# anew for every token request, so a long run always sends a valid token.
# client_auth is private_key_jwt, the default with a client_assertion_source.
provider "oauth2" {
  token_url = "${var.keycloak_url}/realms/${var.realm}/protocol/openid-connect/token"
  client_id = "terraform"

  client_assertion_source = {
    file = "/var/run/secrets/tokens/oauth2"
  }
}

# Client credentials: a token for the client's service account, with its
# service account roles.
ephemeral "oauth2_token" "keycloak" {}

locals {
  keycloak_headers = {
    Authorization = ephemeral.oauth2_token.keycloak.authorization_header
  }

  # azp names the client Keycloak issued the token to. jwt_claims decodes
  # without verifying anything.
  keycloak_client = provider::oauth2::jwt_claims(ephemeral.oauth2_token.keycloak.access_token).azp
}

check "keycloak_client" {
  assert {
    condition     = local.keycloak_client == "terraform"
    error_message = "Keycloak issued the token to another client than terraform."
  }
}
