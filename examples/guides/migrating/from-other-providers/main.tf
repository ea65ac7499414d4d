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

# Leave unset to use OAUTH2_CLIENT_SECRET.
variable "client_secret" {
  description = "Client secret of the terraform client at auth.example.com."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

variable "partner_client_secret" {
  description = "Client secret issued by the partner."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# The endpoint and the client move from each token into a provider block.
# client_auth is written out: the provider sends the credentials exactly
# one way, and never retries with another.
provider "oauth2" {
  token_url     = "https://auth.example.com/oauth2/token"
  client_id     = "terraform"
  client_secret = var.client_secret
  client_auth   = "client_secret_basic"
}

# A second server, or a second client, is a second provider block with an
# alias. Settings every token of it needs, such as audience, go here too.
provider "oauth2" {
  alias = "partner"

  token_url     = "https://login.partner.example/oauth/token"
  client_id     = "example-corp"
  client_secret = var.partner_client_secret
  client_auth   = "client_secret_post"
  audience      = "https://api.partner.example"
}

# Where the old token was a data source read by data "http", this one is.
data "oauth2_token" "reports" {
  scopes = ["reports.read"]
}

data "http" "latest_report" {
  url = "https://api.example.com/v1/reports/latest"

  request_headers = {
    Accept        = "application/json"
    Authorization = data.oauth2_token.reports.authorization_header
  }
}

# Everywhere else, the ephemeral resource, which the plan and the state
# never see.
ephemeral "oauth2_token" "partner" {
  provider = oauth2.partner
  scopes   = ["orders.write"]
}

resource "terraform_data" "partner_order_sync" {
  triggers_replace = [data.http.latest_report.response_body]

  provisioner "local-exec" {
    command = <<-EOT
      printf '%s' "$REPORT" | curl --fail --silent --show-error \
        --header "Authorization: $AUTHORIZATION" \
        --header "Content-Type: application/json" \
        --data-binary @- \
        https://api.partner.example/v1/orders/sync
    EOT

    environment = {
      AUTHORIZATION = ephemeral.oauth2_token.partner.authorization_header
      REPORT        = data.http.latest_report.response_body
    }
  }
}
