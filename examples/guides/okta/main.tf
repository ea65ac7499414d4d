terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "okta_domain" {
  description = "The Okta org's domain, such as example.okta.com."
  type        = string
}

variable "client_id" {
  description = "Client ID of the API Services application."
  type        = string
}

variable "key_id" {
  description = "KID Okta shows for the public key registered on the application."
  type        = string
}

# Leave unset to use the OAUTH2_PRIVATE_KEY environment variable.
variable "private_key" {
  description = "PEM private key whose public key is registered on the application."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

# An API Services application with "Public key / Private key" client
# authentication (private_key_jwt), against the custom authorization server
# "default". Discovery finds its token and revocation endpoints.
provider "oauth2" {
  issuer_url     = "https://${var.okta_domain}/oauth2/default"
  client_id      = var.client_id
  client_auth    = "private_key_jwt"
  private_key    = var.private_key
  private_key_id = var.key_id
}

# An application with a client secret instead, without discovery. The
# secret goes in an HTTP Basic header (client_secret_basic, the default with
# a secret); set client_auth = "client_secret_post" for an application
# registered for that method.
provider "oauth2" {
  alias = "secret"

  token_url     = "https://${var.okta_domain}/oauth2/default/v1/token"
  client_id     = var.secret_client_id
  client_secret = var.client_secret
}

variable "secret_client_id" {
  description = "Client ID of an API Services application that uses a client secret."
  type        = string
}

# Leave unset to use the OAUTH2_CLIENT_SECRET environment variable.
variable "client_secret" {
  description = "Client secret of that application."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

# Custom scopes defined on the authorization server, which an access policy
# rule must grant to the client for the client credentials grant. Okta can
# revoke its access tokens, so this one ends with the run.
ephemeral "oauth2_token" "okta" {
  scopes          = ["reports.read"]
  revoke_on_close = true
}

ephemeral "oauth2_token" "okta_secret" {
  provider = oauth2.secret
  scopes   = ["reports.read"]
}

locals {
  reports_headers = {
    Authorization = ephemeral.oauth2_token.okta.authorization_header
  }
}
