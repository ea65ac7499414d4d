terraform {
  # Write-only arguments need Terraform 1.11 or OpenTofu 1.11.
  required_version = ">= 1.11"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 3.2"
    }
  }
}

variable "agent_username" {
  description = "Account the reporting agent signs in as."
  type        = string
}

# Ephemeral: the password reaches neither the plan nor the state. Set it
# with TF_VAR_agent_password from the pipeline's secret store.
variable "agent_password" {
  description = "Password of that account."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# Raise it to write a new refresh token into the secret: Terraform cannot
# compare a write-only value with what it wrote before.
variable "agent_credentials_revision" {
  description = "Revision of the refresh token in the reporting agent's secret."
  type        = number
  default     = 1
}

# token_url, client_id and client_secret from OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET; the kubernetes provider from
# KUBE_CONFIG_PATH.
provider "oauth2" {}

provider "kubernetes" {}

# A password grant that issues a refresh token. The agent redeems the
# refresh token itself, for as long as the server lets it.
ephemeral "oauth2_token" "agent" {
  password_grant = {
    username = var.agent_username
    password = var.agent_password
  }
  scopes = ["offline_access", "reports.read"]
}

# data_wo is write-only: the provider sends it to the cluster when the
# secret is created and whenever data_wo_revision changes, and Terraform
# stores neither it nor the token in the plan or the state.
resource "kubernetes_secret_v1" "reporting_agent" {
  metadata {
    name      = "reporting-agent-oauth2"
    namespace = "reporting"
  }

  data_wo = {
    refresh_token = ephemeral.oauth2_token.agent.refresh_token
  }
  data_wo_revision = var.agent_credentials_revision

  lifecycle {
    precondition {
      condition     = ephemeral.oauth2_token.agent.refresh_token != null
      error_message = "The server issued no refresh token: check that the client may use refresh tokens and the offline_access scope."
    }
  }
}
