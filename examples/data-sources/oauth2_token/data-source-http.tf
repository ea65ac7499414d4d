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

provider "oauth2" {}

data "oauth2_token" "api" {
  scopes = ["reports.read"]
}

# data "http" does not accept ephemeral values, so it takes the token from the
# data source. authorization_header is the whole header value, "Bearer <token>",
# whatever letter case the server used for the token type.
data "http" "report" {
  url = "https://api.example.com/v1/reports/latest"

  request_headers = {
    Accept        = "application/json"
    Authorization = data.oauth2_token.api.authorization_header
  }

  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "The reports API answered with HTTP ${self.status_code}."
    }
  }
}

output "report" {
  value = jsondecode(data.http.report.response_body)
}
