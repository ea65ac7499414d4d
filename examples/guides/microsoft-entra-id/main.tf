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
  description = "Directory (tenant) ID, a GUID. Not the domain name, not common or organizations."
  type        = string
}

variable "client_id" {
  description = "Application (client) ID of the app registration Terraform signs in as."
  type        = string
}

variable "api_app_id_uri" {
  description = "Application ID URI of the API the token is for, such as api://<application-id>."
  type        = string
}

# Leave unset to use the OAUTH2_CLIENT_SECRET environment variable.
variable "client_secret" {
  description = "Client secret of the app registration (Certificates & secrets)."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

# Client credentials with a client secret, sent in the request body as
# Microsoft's own examples do.
provider "oauth2" {
  token_url     = "https://login.microsoftonline.com/${var.tenant_id}/oauth2/v2.0/token"
  client_id     = var.client_id
  client_secret = var.client_secret
  client_auth   = "client_secret_post"
}

# The same with discovery. The v2.0 issuer names the tenant by its ID, so
# issuer_url must use the ID too for the issuer check to pass.
provider "oauth2" {
  alias = "discovered"

  issuer_url    = "https://login.microsoftonline.com/${var.tenant_id}/v2.0"
  client_id     = var.client_id
  client_secret = var.client_secret
  client_auth   = "client_secret_post"
}

# The client credentials grant takes exactly one scope, <resource>/.default:
# the application permissions (app roles) granted to the app registration
# on that API, after admin consent.
ephemeral "oauth2_token" "api" {
  scopes = ["${var.api_app_id_uri}/.default"]
}

ephemeral "oauth2_token" "graph" {
  provider = oauth2.discovered
  scopes   = ["https://graph.microsoft.com/.default"]
}

locals {
  # The app roles granted to the client, from the token for your own API.
  # jwt_claims decodes without verifying anything.
  api_roles = try(provider::oauth2::jwt_claims(ephemeral.oauth2_token.api.access_token).roles, [])

  graph_headers = {
    Authorization = ephemeral.oauth2_token.graph.authorization_header
  }
}
