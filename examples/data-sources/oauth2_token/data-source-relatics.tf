# Relatics: a Keycloak realm per environment, the client credentials grant,
# and the client authenticated with an HTTP Basic header. Copy the Client ID
# and the Token endpoint URL from the Relatics API key's detail page; the
# client secret is shown once, when the key is created.
terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "relatics_client_id" {
  description = "Client ID of the Relatics API key."
  type        = string
}

variable "relatics_client_secret" {
  description = "Client secret of the Relatics API key."
  type        = string
  sensitive   = true
}

provider "oauth2" {
  token_url     = "https://authenticate.relatics.com/auth/realms/myenvironment/protocol/openid-connect/token"
  client_id     = var.relatics_client_id
  client_secret = var.relatics_client_secret

  # The default with a secret; written out because Relatics requires it.
  client_auth = "client_secret_basic"
}

# Sends grant_type=client_credentials in the body, the credentials in
# "Authorization: Basic ...".
data "oauth2_token" "relatics" {}

# Keycloak answers with expires_in = 600 and scope = "DataExchange"; its
# other fields, such as not-before-policy, are in extra.
output "relatics_token_expires_at" {
  value = data.oauth2_token.relatics.expires_at
}

output "relatics_scope" {
  value = data.oauth2_token.relatics.scope
}
