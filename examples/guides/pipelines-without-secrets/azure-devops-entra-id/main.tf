terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "tenant_id" {
  description = "Directory (tenant) ID, a GUID."
  type        = string
}

variable "client_id" {
  description = "Application (client) ID of the app registration the service connection uses (its Service Principal Id)."
  type        = string
}

variable "service_connection_id" {
  description = "ID of the workload identity federation service connection, a GUID."
  type        = string
}

variable "api_app_id_uri" {
  description = "Application ID URI of your own API, such as api://<application-id>."
  type        = string
}

# No client secret: for every token request the provider asks Azure DevOps
# (SYSTEM_OIDCREQUESTURI, authenticated with SYSTEM_ACCESSTOKEN) for a new
# OIDC token for this service connection, and sends it as the client
# assertion. client_auth is private_key_jwt, the default with a
# client_assertion_source.
provider "oauth2" {
  token_url = "https://login.microsoftonline.com/${var.tenant_id}/oauth2/v2.0/token"
  client_id = var.client_id

  client_assertion_source = {
    azure_devops = {
      service_connection_id = var.service_connection_id
    }
  }
}

ephemeral "oauth2_token" "graph" {
  scopes = ["https://graph.microsoft.com/.default"]
}

ephemeral "oauth2_token" "api" {
  scopes = ["${var.api_app_id_uri}/.default"]
}

locals {
  graph_headers = {
    Authorization = ephemeral.oauth2_token.graph.authorization_header
  }

  api_headers = {
    Authorization = ephemeral.oauth2_token.api.authorization_header
  }
}
