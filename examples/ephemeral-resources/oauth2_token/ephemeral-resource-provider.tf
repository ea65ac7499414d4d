terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source = "tfoauth2/oauth2"
    }
    restapi = {
      source = "Mastercard/restapi"
    }
  }
}

provider "oauth2" {}

ephemeral "oauth2_token" "api" {
  scopes = ["inventory.write"]
}

# Terraform opens the ephemeral resource before it configures this provider,
# in plan and again in apply, and keeps the token out of the plan and the
# state. A provider block accepts ephemeral values whatever provider it is.
provider "restapi" {
  uri = "https://api.example.com/inventory/v2"

  headers = {
    Authorization = ephemeral.oauth2_token.api.authorization_header
  }
}

# Every restapi_object now calls the API with the token.
resource "restapi_object" "site" {
  path = "/sites"
  data = jsonencode({
    id   = "ams-01"
    name = "Amsterdam"
  })
}
