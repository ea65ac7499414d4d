terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
    http = {
      source  = "hashicorp/http"
      version = "~> 3.6"
    }
  }
}

# Copy it from the Relatics API key's detail page.
variable "relatics_token_url" {
  description = "Token endpoint URL of the Relatics API key."
  type        = string
  default     = "https://authenticate.relatics.com/auth/realms/myenvironment/protocol/openid-connect/token"
}

variable "relatics_client_id" {
  description = "Client ID of the Relatics API key."
  type        = string
}

# Shown once, when the API key is created. Leave unset to use the
# OAUTH2_CLIENT_SECRET environment variable.
variable "relatics_client_secret" {
  description = "Client secret of the Relatics API key."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

variable "relatics_export_url" {
  description = "URL of the Relatics service that provides data to this configuration."
  type        = string
}

variable "relatics_import_url" {
  description = "URL of the Relatics service that receives data from this configuration."
  type        = string
}

variable "assets" {
  description = "Assets to register in Relatics, by ID."
  type        = map(string)
  default     = {}
}

# Relatics runs a Keycloak realm per environment. Its API keys are
# confidential clients that get tokens with the client credentials grant,
# authenticated in an HTTP Basic header.
provider "oauth2" {
  token_url     = var.relatics_token_url
  client_id     = var.relatics_client_id
  client_secret = var.relatics_client_secret
  client_auth   = "client_secret_basic"
}

# Reading data during the plan: data "http" takes the data source's token,
# which is stored in the state. Relatics tokens live 10 minutes.
data "oauth2_token" "relatics" {}

data "http" "relatics_export" {
  url = var.relatics_export_url

  request_headers = {
    Accept        = "application/json"
    Authorization = data.oauth2_token.relatics.authorization_header
  }

  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "Relatics answered HTTP ${self.status_code}."
    }
  }
}

# Sending data during the apply: a provisioner takes the ephemeral
# resource's token, which is stored nowhere. In the plan it shares the
# data source's token, since both ask for the same thing.
ephemeral "oauth2_token" "relatics" {}

# What the service expects depends on how it is set up in Relatics; this
# one takes JSON.
locals {
  import_payload = jsonencode({
    assets = [for id, name in var.assets : { id = id, name = name }]
  })
}

resource "terraform_data" "relatics_import" {
  triggers_replace = [local.import_payload]

  provisioner "local-exec" {
    command = <<-EOT
      curl --fail --silent --show-error \
        --header "Authorization: $AUTHORIZATION" \
        --header "Content-Type: application/json" \
        --data "$PAYLOAD" \
        "$IMPORT_URL"
    EOT

    environment = {
      AUTHORIZATION = ephemeral.oauth2_token.relatics.authorization_header
      IMPORT_URL    = var.relatics_import_url
      PAYLOAD       = local.import_payload
    }
  }
}

output "relatics_token_scope" {
  value = data.oauth2_token.relatics.scope
}
