# private_key_jwt (RFC 7523 section 2.2): the client has no secret. For
# every request the provider signs a short-lived JWT with the client's
# private key, and the server checks it against the public key registered
# for the client. Make a key pair with
#
#   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client.key
#   openssl pkey -in client.key -pubout -out client.pub
#
# register client.pub (or a JWKS made from it) with the server, and keep
# client.key in a secret store.
terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

# Leave it unset to fall back to the OAUTH2_PRIVATE_KEY environment variable.
# A PEM text with literal "\n" sequences instead of line breaks, as some
# secret stores hand it out, is read too.
variable "client_private_key" {
  description = "PEM private key registered for the client."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

provider "oauth2" {
  token_url   = "https://auth.example.com/oauth2/token"
  client_id   = "inventory-reporter"
  client_auth = "private_key_jwt"

  private_key = var.client_private_key
  # The ID the server knows the public key by, sent as the kid header of
  # each assertion. Leave it out when the client has a single key.
  private_key_id = "inventory-reporter-2025-01"
  # Follows from the key when unset: RS256 for RSA, ES256 for P-256,
  # EdDSA for Ed25519. Set it when the server expects another, e.g. PS256.
  # signing_algorithm = "PS256"
}

# Each request carries a new assertion: iss and sub are the client ID, aud
# is the token endpoint, and it expires after 60 seconds.
data "oauth2_token" "inventory" {
  scopes = ["inventory.read"]
}

output "inventory_token_expires_at" {
  value = data.oauth2_token.inventory.expires_at
}
