terraform {
  # Ephemeral resources need Terraform 1.10 or OpenTofu 1.11.
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

# Never written to the plan or the state. Terraform opens it, and the
# provider requests a token, in the plan and again in the apply, whether or
# not anything refers to it. Refer to it where ephemeral values are allowed:
# a provider block, a provisioner, a write-only argument or an ephemeral
# local or output.
ephemeral "oauth2_token" "api" {
  scopes = ["api.read"]
}

locals {
  # A local that refers to an ephemeral value is ephemeral too.
  api_headers = {
    Authorization = ephemeral.oauth2_token.api.authorization_header
  }
}
