# The module a Stack component uses (modules/inventory). The Stack
# configures the oauth2 provider and hands the deployment's identity token
# in as an ephemeral input, so the token never reaches the Stack's state.
terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "identity_token" {
  description = "The deployment's workload identity token, identity_token.<name>.jwt in the deployment configuration."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# A Stack token is a value, not an environment variable, so it goes in as
# the grant's assertion. For a server that trades tokens (RFC 8693), use
# token_exchange_grant with subject_token = var.identity_token and
# subject_token_type = "urn:ietf:params:oauth:token-type:jwt" instead.
ephemeral "oauth2_token" "inventory" {
  jwt_bearer_grant = {
    assertion = var.identity_token
  }

  scopes = ["inventory.read", "inventory.write"]
}

locals {
  inventory_headers = {
    Authorization = ephemeral.oauth2_token.inventory.authorization_header
  }
}
