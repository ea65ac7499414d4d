# d.vinci: the client credentials grant with the API user's name as client_id
# and its API token as client_secret, both sent in the form body.
terraform {
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

variable "dvinci_api_user" {
  description = "Username of the d.vinci API user with OAuth2 enabled."
  type        = string
}

variable "dvinci_api_token" {
  description = "API token generated for that user."
  type        = string
  sensitive   = true
}

provider "oauth2" {
  token_url     = "https://jobboard.exampleclient.com/plt/oauth2/token"
  client_id     = var.dvinci_api_user
  client_secret = var.dvinci_api_token

  # d.vinci reads client_id and client_secret from the request body.
  client_auth = "client_secret_post"
}

data "oauth2_token" "dvinci" {}

# The token's lifetime is the user's Access Token TTL setting in d.vinci.
data "http" "dvinci_users" {
  url = "https://jobboard.exampleclient.com/restApi/dvinciUsers/"

  request_headers = {
    Authorization = data.oauth2_token.dvinci.authorization_header
    Content-Type  = "application/json"
  }
}

output "dvinci_users_status" {
  value = data.http.dvinci_users.status_code
}
