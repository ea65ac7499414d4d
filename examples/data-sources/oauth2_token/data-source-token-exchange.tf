# Token exchange (RFC 8693): trade a token you have, the subject token, for
# one the server issues for another audience or with other scopes.
# issued_token_type says what came back.
terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "ci_id_token" {
  description = "ID token the CI system issued to this job, a JWT."
  type        = string
  sensitive   = true
}

# The client that makes the exchange authenticates as usual; here with
# OAUTH2_CLIENT_SECRET in an HTTP Basic header.
provider "oauth2" {
  token_url = "https://sts.example.com/oauth2/token"
  client_id = "ci-exchange"
}

# Impersonation: the CI job's identity token becomes an access token for
# the billing API. audience and scopes go with the exchange request.
data "oauth2_token" "billing" {
  token_exchange_grant = {
    subject_token        = var.ci_id_token
    subject_token_type   = "urn:ietf:params:oauth:token-type:jwt"
    requested_token_type = "urn:ietf:params:oauth:token-type:access_token"
  }
  audience = "https://billing.example.com"
  scopes   = ["invoices.read"]
}

# Delegation: the token acts for the CI job (subject) and names this
# client's own token as the party acting (actor).
data "oauth2_token" "service" {
  scopes = ["exchange"]
}

data "oauth2_token" "billing_delegated" {
  token_exchange_grant = {
    subject_token      = var.ci_id_token
    subject_token_type = "urn:ietf:params:oauth:token-type:jwt"
    actor_token        = data.oauth2_token.service.access_token
    actor_token_type   = "urn:ietf:params:oauth:token-type:access_token"
  }
  audience = "https://billing.example.com"
}

output "billing_issued_token_type" {
  value = data.oauth2_token.billing.issued_token_type
}
