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

variable "dvinci_url" {
  description = "Base URL of the d.vinci system, without a trailing slash."
  type        = string
  default     = "https://jobboard.exampleclient.com"
}

variable "dvinci_api_user" {
  description = "Username of the d.vinci API user with OAuth2 enabled."
  type        = string
}

# Generated on the API user's page, shown once. Leave unset to use the
# OAUTH2_CLIENT_SECRET environment variable.
variable "dvinci_api_token" {
  description = "API token generated for that user."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

# d.vinci is its own authorization server. It issues tokens to API users
# with the client credentials grant, and reads client_id (the user's name)
# and client_secret (the API token) from the request body.
provider "oauth2" {
  token_url     = "${var.dvinci_url}/plt/oauth2/token"
  client_id     = var.dvinci_api_user
  client_secret = var.dvinci_api_token
  client_auth   = "client_secret_post"
}

# For data "http": the token is read during the plan and stored in the
# state. It lives as long as the API user's Access Token TTL setting.
data "oauth2_token" "dvinci" {}

data "http" "dvinci_users" {
  url = "${var.dvinci_url}/restApi/dvinciUsers/"

  request_headers = {
    Accept        = "application/json"
    Authorization = data.oauth2_token.dvinci.authorization_header
  }

  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "d.vinci answered HTTP ${self.status_code}."
    }
  }
}

# For provisioners: the same token request, stored nowhere.
ephemeral "oauth2_token" "dvinci" {}

resource "terraform_data" "dvinci_user_export" {
  triggers_replace = [timestamp()]

  provisioner "local-exec" {
    command = <<-EOT
      curl --fail --silent --show-error \
        --header "Authorization: $AUTHORIZATION" \
        --header "Accept: application/json" \
        --output dvinci-users.json \
        "$DVINCI_URL/restApi/dvinciUsers/"
    EOT

    environment = {
      AUTHORIZATION = ephemeral.oauth2_token.dvinci.authorization_header
      DVINCI_URL    = var.dvinci_url
    }
  }
}

output "dvinci_token_expires_at" {
  value = data.oauth2_token.dvinci.expires_at
}
