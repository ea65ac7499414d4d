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

# Leave unset to use the OAUTH2_CLIENT_SECRET environment variable.
variable "client_secret" {
  description = "Secret of the terraform client (Credentials tab)."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

# Client secret, with discovery. The issuer is the realm URL; the provider
# reads its openid-configuration document for the token and revocation
# endpoints, and picks client_secret_basic, which Keycloak accepts for a
# client with the "Client Id and Secret" authenticator.
provider "oauth2" {
  issuer_url    = "${var.keycloak_url}/realms/${var.realm}"
  client_id     = "terraform"
  client_secret = var.client_secret
}

# The same without discovery: the token endpoint named directly.
provider "oauth2" {
  alias = "static"

  token_url      = "${var.keycloak_url}/realms/${var.realm}/protocol/openid-connect/token"
  revocation_url = "${var.keycloak_url}/realms/${var.realm}/protocol/openid-connect/revoke"
  client_id      = "terraform"
  client_secret  = var.client_secret
  client_auth    = "client_secret_basic"
}

# A client with the "Signed JWT" authenticator (private_key_jwt): no secret,
# an assertion signed with the private key whose certificate or JWKS URL is
# set on the client's Keys tab. The key comes from OAUTH2_PRIVATE_KEY.
provider "oauth2" {
  alias = "signed_jwt"

  issuer_url  = "${var.keycloak_url}/realms/${var.realm}"
  client_id   = "terraform-jwt"
  client_auth = "private_key_jwt"
}

# Keycloak issues a token for the client's service account. Its roles
# decide what the token may do; scopes adds optional client scopes.
ephemeral "oauth2_token" "keycloak" {
  revoke_on_close = true
}

ephemeral "oauth2_token" "keycloak_signed_jwt" {
  provider = oauth2.signed_jwt
}

locals {
  # Keycloak access tokens are JWTs: azp is the client the token was
  # issued to. jwt_claims only decodes; it verifies nothing.
  keycloak_claims = provider::oauth2::jwt_claims(ephemeral.oauth2_token.keycloak.access_token)
}

check "keycloak_token_client" {
  assert {
    condition     = local.keycloak_claims.azp == "terraform"
    error_message = "Keycloak issued the token to another client than terraform."
  }
}
