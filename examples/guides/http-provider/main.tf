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

variable "api_url" {
  description = "Base URL of the API, without a trailing slash."
  type        = string
  default     = "https://api.example.com"
}

# token_url, client_id and client_secret from OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET: the provider block is not
# stored in the state, and neither are environment variables.
provider "oauth2" {}

# Read during every plan, before the data "http" blocks that use it. Its
# access_token and authorization_header are stored in the plan and the
# state, so ask for the narrowest scope the calls need.
data "oauth2_token" "reports" {
  scopes = ["reports.read"]
}

# A GET with the token in the Authorization header. data "http" does not
# fail on an error status, so the postcondition does.
data "http" "latest_report" {
  url = "${var.api_url}/v1/reports/latest"

  request_headers = {
    Accept        = "application/json"
    Authorization = data.oauth2_token.reports.authorization_header
  }

  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "GET ${self.url} answered HTTP ${self.status_code}."
    }
  }
}

# A POST, for a query that changes nothing on the server: data sources are
# read again at every plan, so never use one for a request with effects.
data "http" "open_incidents" {
  url    = "${var.api_url}/v1/incidents/search"
  method = "POST"

  request_headers = {
    Accept        = "application/json"
    Authorization = data.oauth2_token.reports.authorization_header
    Content-Type  = "application/json"
  }

  request_body = jsonencode({
    status = "open"
  })

  lifecycle {
    postcondition {
      condition     = contains([200, 201], self.status_code)
      error_message = "POST ${self.url} answered HTTP ${self.status_code}."
    }
  }
}

locals {
  latest_report  = jsondecode(data.http.latest_report.response_body)
  open_incidents = jsondecode(data.http.open_incidents.response_body)
}

output "latest_report_title" {
  value = local.latest_report.title
}

output "open_incident_count" {
  value = length(local.open_incidents.items)
}

# Only the token's metadata is safe to show.
output "reports_token_expires_at" {
  value = data.oauth2_token.reports.expires_at
}
