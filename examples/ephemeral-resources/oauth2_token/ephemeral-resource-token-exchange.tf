terraform {
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

# The pipeline's own token, broad enough to be exchanged.
ephemeral "oauth2_token" "pipeline" {
  scopes = ["token-exchange"]
}

# Exchanged (RFC 8693) for a token that only the metrics API accepts and
# that carries only the scope this run needs. Both tokens are ephemeral:
# neither reaches the plan or the state.
ephemeral "oauth2_token" "metrics" {
  token_exchange_grant = {
    subject_token        = ephemeral.oauth2_token.pipeline.access_token
    subject_token_type   = "urn:ietf:params:oauth:token-type:access_token"
    requested_token_type = "urn:ietf:params:oauth:token-type:access_token"
  }
  audience = "https://metrics.example.com"
  scopes   = ["dashboards.write"]
}

locals {
  # Ephemeral too, so it can go to a provider block or a write-only
  # argument. issued_token_type says what the server issued.
  metrics_headers = {
    Authorization = ephemeral.oauth2_token.metrics.authorization_header
  }
}

check "metrics_token_type" {
  assert {
    condition     = ephemeral.oauth2_token.metrics.issued_token_type == "urn:ietf:params:oauth:token-type:access_token"
    error_message = "The server issued another type of token than the access token asked for."
  }
}
