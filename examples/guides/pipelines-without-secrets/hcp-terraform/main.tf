terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "hydra_url" {
  description = "Public URL of the Ory Hydra server, without a trailing slash."
  type        = string
  default     = "https://auth.example.com"
}

variable "hydra_client_id" {
  description = "Hydra client allowed the urn:ietf:params:oauth:grant-type:jwt-bearer grant."
  type        = string
  default     = "hcp-terraform"
}

# Leave unset to use the OAUTH2_CLIENT_SECRET environment variable, a
# sensitive workspace variable.
variable "hydra_client_secret" {
  description = "Secret of the Hydra client. Hydra authenticates every client of this grant."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

variable "tenant_id" {
  description = "Directory (tenant) ID of the Entra tenant, a GUID."
  type        = string
}

variable "entra_client_id" {
  description = "Application (client) ID of the app registration that trusts https://app.terraform.io."
  type        = string
}

# Ory Hydra, JWT bearer grant (RFC 7523 section 2.1): the run phase's
# workload identity token is the grant's assertion. HCP Terraform sets
# TFC_WORKLOAD_IDENTITY_TOKEN because the workspace sets
# TFC_WORKLOAD_IDENTITY_AUDIENCE, here to Hydra's token endpoint URL,
# which Hydra requires in the assertion's aud.
provider "oauth2" {
  token_url     = "${var.hydra_url}/oauth2/token"
  client_id     = var.hydra_client_id
  client_secret = var.hydra_client_secret
}

# One token per run phase: the phase has one workload identity token, and
# Hydra accepts each assertion (its jti) once. Request every scope the run
# needs here, and let every consumer use this token.
ephemeral "oauth2_token" "inventory" {
  jwt_bearer_grant = {
    assertion_source = {
      env = "TFC_WORKLOAD_IDENTITY_TOKEN"
    }
  }

  scopes = ["inventory.read", "inventory.write"]
}

# Microsoft Entra ID, client assertion (RFC 7523 section 2.2): a second
# token, TFC_WORKLOAD_IDENTITY_TOKEN_ENTRA, from the workspace variable
# TFC_WORKLOAD_IDENTITY_AUDIENCE_ENTRA = api://AzureADTokenExchange. No
# secret at all.
provider "oauth2" {
  alias = "entra"

  token_url = "https://login.microsoftonline.com/${var.tenant_id}/oauth2/v2.0/token"
  client_id = var.entra_client_id

  client_assertion_source = {
    env = "TFC_WORKLOAD_IDENTITY_TOKEN_ENTRA"
  }
}

ephemeral "oauth2_token" "graph" {
  provider = oauth2.entra
  scopes   = ["https://graph.microsoft.com/.default"]
}

locals {
  inventory_headers = {
    Authorization = ephemeral.oauth2_token.inventory.authorization_header
  }

  graph_headers = {
    Authorization = ephemeral.oauth2_token.graph.authorization_header
  }
}
