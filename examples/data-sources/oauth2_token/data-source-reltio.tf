# Reltio: a resource owner password grant for a user who signs in through a
# third-party identity provider (idp_system), with every grant parameter in
# the URL's query string and the client in an HTTP Basic header. Reltio
# answers with expires_in as a string, scope as an array, a refresh token
# and the user's entityURI.
terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "reltio_client_id" {
  description = "Client identifier provided by Reltio."
  type        = string
}

variable "reltio_client_secret" {
  description = "Client secret provided by Reltio."
  type        = string
  sensitive   = true
}

variable "reltio_username" {
  description = "User registered in Reltio and in the identity provider."
  type        = string
}

variable "reltio_password" {
  description = "The user's password (or access token) at the identity provider."
  type        = string
  sensitive   = true
}

# Reltio hands out the client as a ready "Basic ..." header value: decode its
# base64 to get client_id:client_secret.
provider "oauth2" {
  token_url     = "https://auth.reltio.com/oauth/token"
  client_id     = var.reltio_client_id
  client_secret = var.reltio_client_secret

  # Reltio reads grant_type, username, password and the rest from the query
  # string. The client credentials stay in the Basic header.
  params_in = "query"
}

data "oauth2_token" "reltio" {
  password_grant = {
    username = var.reltio_username
    password = var.reltio_password
  }
  extra_params = {
    idp_system = "salesforce"
  }
}

# A new access token from the refresh token of the first. Within one run the
# first token is still fresh; the refresh grant earns its keep when the
# refresh token comes from elsewhere, such as a secret store. Reltio's refresh
# request takes grant_type and refresh_token in the form body, with the same
# Basic header and no idp_system.
data "oauth2_token" "reltio_refreshed" {
  refresh_token_grant = {
    refresh_token = data.oauth2_token.reltio.refresh_token
  }
  params_in = "body"
}

output "reltio_entity_uri" {
  value = nonsensitive(data.oauth2_token.reltio.extra["entityURI"])
}

# The scope array comes back joined with spaces, and the string expires_in
# as a number.
output "reltio_scope" {
  value = data.oauth2_token.reltio.scope
}

output "reltio_expires_in" {
  value = data.oauth2_token.reltio_refreshed.expires_in
}
