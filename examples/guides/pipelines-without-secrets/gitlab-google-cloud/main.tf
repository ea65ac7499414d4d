terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "project_number" {
  description = "Number (not ID) of the Google Cloud project that holds the workload identity pool."
  type        = string
}

variable "pool_id" {
  description = "ID of the workload identity pool."
  type        = string
  default     = "gitlab"
}

variable "pool_provider_id" {
  description = "ID of the OIDC provider in the pool that trusts https://gitlab.com."
  type        = string
  default     = "gitlab-com"
}

locals {
  # The provider's full resource name: the audience of the token exchange,
  # and the aud the job's id_tokens entry asks GitLab for.
  workload_identity_provider = "//iam.googleapis.com/projects/${var.project_number}/locations/global/workloadIdentityPools/${var.pool_id}/providers/${var.pool_provider_id}"
}

# Google's Security Token Service authenticates the subject token, not a
# client: there is no client ID and no client authentication.
provider "oauth2" {
  token_url   = "https://sts.googleapis.com/v1/token"
  client_auth = "none"
}

# Token exchange (RFC 8693): the job's GitLab ID token, read from the
# variable its id_tokens entry names, for a federated Google access token.
# The ID token appears in no argument, so neither the plan nor the state
# holds it.
ephemeral "oauth2_token" "gcp" {
  token_exchange_grant = {
    subject_token_source = {
      env = "GITLAB_OIDC_TOKEN"
    }
    subject_token_type   = "urn:ietf:params:oauth:token-type:jwt"
    requested_token_type = "urn:ietf:params:oauth:token-type:access_token"
  }

  audience = local.workload_identity_provider
  scopes   = ["https://www.googleapis.com/auth/cloud-platform"]
}

locals {
  # For a provider block or a provisioner: Google APIs take the federated
  # token as a bearer token, for the roles granted to the pool's principal.
  gcp_headers = {
    Authorization = ephemeral.oauth2_token.gcp.authorization_header
  }
}
