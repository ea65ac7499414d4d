terraform {
  # Ephemeral resources need Terraform 1.10 or OpenTofu 1.11.
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
  }
}

variable "workload_identity_provider" {
  description = "The workload identity pool provider that trusts the authorization server, as projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER."
  type        = string
}

variable "service_account" {
  description = "The e-mail address of the service account Terraform impersonates."
  type        = string
}

# token_url, client_id and client_secret from OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET.
provider "oauth2" {}

# A JWT access token whose iss is the pool provider's issuer and whose aud
# is one of its allowed audiences, kept in a file.
ephemeral "oauth2_token" "google" {
  audience = "https://iam.googleapis.com/${var.workload_identity_provider}"

  token_file = {
    path = abspath("${path.root}/.oauth2/google-subject-token")
  }
}

# An external account credential (workload identity federation) that reads
# its subject token from the file. Google's libraries read the file each
# time they exchange it at the STS for a Google access token, which lives an
# hour: an apply that lasts longer gets a fresh subject token.
provider "google" {
  project = "reporting-prod"
  region  = "europe-west1"

  credentials = jsonencode({
    type                              = "external_account"
    audience                          = "//iam.googleapis.com/${var.workload_identity_provider}"
    subject_token_type                = "urn:ietf:params:oauth:token-type:jwt"
    token_url                         = "https://sts.googleapis.com/v1/token"
    service_account_impersonation_url = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${var.service_account}:generateAccessToken"
    credential_source = {
      file = ephemeral.oauth2_token.google.token_file.path
    }
  })
}

resource "google_storage_bucket" "artifacts" {
  name                        = "reporting-artifacts-prod"
  location                    = "EU"
  uniform_bucket_level_access = true
}
