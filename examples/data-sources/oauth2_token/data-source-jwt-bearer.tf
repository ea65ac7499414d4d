# The JWT bearer grant (RFC 7523 section 2.1): the client presents a signed
# JWT, the assertion, and receives an access token for the subject the
# assertion names. The server must be set up to trust the assertion's
# issuer and to accept this grant for the client.
terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

# A JWT another party issued, such as the ID token a CI system gives each
# job (GitLab CI's id_tokens, for example), passed in as TF_VAR_ci_id_token.
# Data source arguments are stored in the state, so this variable cannot be
# ephemeral; the ephemeral resource takes the same block and stores nothing.
variable "ci_id_token" {
  description = "ID token the CI system issued to this job."
  type        = string
  sensitive   = true
}

# The assertion is the grant, not the client's credential: the client is
# authenticated by client_auth, as in any other grant. Here it is a public
# client that sends only its client_id, which RFC 7523 section 2.1 allows.
# For a server that also wants the client to prove itself, set
# client_secret (client_secret_basic), or client_auth = "private_key_jwt" to
# sign a client assertion with the same private_key.
provider "oauth2" {
  token_url   = "https://auth.example.com/oauth2/token"
  client_id   = "release-bot"
  client_auth = "none"
  # Signs the assertions built from claims below; from OAUTH2_PRIVATE_KEY.
  private_key_id = "release-bot-1"
}

# The provider builds and signs the assertion. Claims you leave out are
# filled in: iss is the client ID, aud the token endpoint, iat now, exp
# five minutes later, and jti a random ID. Time claims you set yourself
# must be numbers of seconds since 1970, not timestamps.
data "oauth2_token" "on_behalf_of_service_account" {
  jwt_bearer_grant = {
    claims = {
      sub   = "svc-release-notes"
      roles = ["changelog.write"]
    }
  }
  scopes = ["changelog.write"]
}

# A ready assertion is sent as it is; the provider signs nothing.
data "oauth2_token" "from_ci_job" {
  jwt_bearer_grant = {
    assertion = var.ci_id_token
  }
  scopes = ["artifacts.read"]
}

output "service_account_scope" {
  value = data.oauth2_token.on_behalf_of_service_account.scope
}

output "ci_token_expires_at" {
  value = data.oauth2_token.from_ci_job.expires_at
}
