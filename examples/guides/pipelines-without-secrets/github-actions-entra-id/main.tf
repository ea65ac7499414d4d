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
  description = "Application (client) ID of the app registration that holds the federated identity credential."
  type        = string
}

variable "api_app_id_uri" {
  description = "Application ID URI of your own API, such as api://<application-id>."
  type        = string
}

# No client secret and no certificate: the job's GitHub OIDC token is the
# client assertion. For every token request the provider asks the job's
# ACTIONS_ID_TOKEN_REQUEST_URL for a new token with this audience, which
# must be one of the federated credential's audiences. client_auth is
# private_key_jwt, the default with a client_assertion_source.
provider "oauth2" {
  token_url = "https://login.microsoftonline.com/${var.tenant_id}/oauth2/v2.0/token"
  client_id = var.client_id

  client_assertion_source = {
    github_actions = {
      audience = "api://AzureADTokenExchange"
    }
  }
}

# Client credentials, one resource per token: the application permissions
# granted to the app on Microsoft Graph, and on your own API.
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

  # The app roles Entra granted, from the token for your own API.
  # jwt_claims decodes without verifying anything.
  api_roles = try(provider::oauth2::jwt_claims(ephemeral.oauth2_token.api.access_token).roles, [])
}
