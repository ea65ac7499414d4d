terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

# The client secret never belongs in a .tf file. Leave this variable unset to
# fall back to the OAUTH2_CLIENT_SECRET environment variable, or set it from
# your pipeline's secret store (TF_VAR_oauth2_client_secret). `ephemeral`
# (Terraform 1.10+, OpenTofu 1.11+) also keeps the value out of saved plans.
variable "oauth2_client_secret" {
  description = "Client secret for the token endpoint."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

provider "oauth2" {
  # Each attribute falls back to an environment variable when unset:
  # OAUTH2_TOKEN_URL, OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET, OAUTH2_CLIENT_AUTH.
  token_url     = "https://auth.example.com/oauth2/token"
  client_id     = "terraform-ci"
  client_secret = var.oauth2_client_secret

  # The default when a secret is set; writing it out records which method
  # the client is registered for. The provider never tries another one.
  client_auth = "client_secret_basic"

  # Defaults for every oauth2_token; a token can replace them.
  scopes  = ["api.read"]
  timeout = "15s"
}
