terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

# issuer_url instead of token_url: the provider reads the server's metadata
# once per run and takes the token endpoint, the revocation endpoint and,
# since client_auth is not set, a client authentication method the server
# supports from it. The issuer must be written exactly as the server
# publishes it, trailing slash included or not.
provider "oauth2" {
  # Or OAUTH2_ISSUER_URL.
  issuer_url = "https://auth.example.com/realms/platform"
  client_id  = "terraform-ci"
  # client_secret from OAUTH2_CLIENT_SECRET.
}
