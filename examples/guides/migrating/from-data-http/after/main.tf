# After: the same calls with the oauth2 provider.
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

variable "client_id" {
  description = "Client ID at the authorization server."
  type        = string
}

# Ephemeral: the provider block takes it, and neither the plan nor the
# state keeps it. Leave it unset to use OAUTH2_CLIENT_SECRET.
variable "client_secret" {
  description = "Client secret at the authorization server."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

# The old request sent client_id and client_secret in the form body:
# client_secret_post. The scope moves to the token.
provider "oauth2" {
  token_url     = "https://auth.example.com/oauth2/token"
  client_id     = var.client_id
  client_secret = var.client_secret
  client_auth   = "client_secret_post"
}

# Still stored in the state, as the token was in data.http.token's
# response_body; the client secret no longer is.
data "oauth2_token" "reports" {
  scopes = ["reports.read"]
}

data "http" "latest_report" {
  url = "https://api.example.com/v1/reports/latest"

  request_headers = {
    Accept        = "application/json"
    Authorization = data.oauth2_token.reports.authorization_header
  }

  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "The reports API answered HTTP ${self.status_code}."
    }
  }
}

output "latest_report" {
  value = jsondecode(data.http.latest_report.response_body)
}
