# Before: the token requested with data "http" and read with jsondecode.
# This is the pattern the migration guide replaces; do not copy it.
terraform {
  required_providers {
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

variable "client_secret" {
  description = "Client secret at the authorization server."
  type        = string
  sensitive   = true
}

# The client secret is part of request_body, so the state holds it in
# plain text, and so does every saved plan. The secret is not
# form-encoded, so a secret with "&", "+" or "=" breaks the request.
data "http" "token" {
  url    = "https://auth.example.com/oauth2/token"
  method = "POST"

  request_headers = {
    Accept       = "application/json"
    Content-Type = "application/x-www-form-urlencoded"
  }

  request_body = "grant_type=client_credentials&scope=reports.read&client_id=${var.client_id}&client_secret=${var.client_secret}"
}

# An error response, or an HTML page from a proxy, surfaces only here, as
# a jsondecode or attribute error that does not say what the server said.
locals {
  access_token = jsondecode(data.http.token.response_body).access_token
}

data "http" "latest_report" {
  url = "https://api.example.com/v1/reports/latest"

  request_headers = {
    Accept        = "application/json"
    Authorization = "Bearer ${local.access_token}"
  }
}

output "latest_report" {
  value = jsondecode(data.http.latest_report.response_body)
}
