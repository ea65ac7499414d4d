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

# Reltio hands out the client as a ready "Basic ..." header value. The
# base64 after "Basic " decodes to client_id:client_secret.
variable "reltio_client_id" {
  description = "Client ID, the part before the colon."
  type        = string
}

variable "reltio_client_secret" {
  description = "Client secret, the part after the colon."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "reltio_username" {
  description = "User registered in Reltio and in the third-party identity provider."
  type        = string
}

# The data source below stores it in the state; the ephemeral resource
# does not.
variable "reltio_password" {
  description = "The user's password, or access token, at the identity provider."
  type        = string
  sensitive   = true
}

variable "reltio_api_url" {
  description = "Base URL of the tenant's API, such as https://<environment>.reltio.com/reltio/api/<tenant ID>."
  type        = string
}

# Reltio reads every grant parameter from the URL's query string. The
# client credentials stay in the Basic header.
provider "oauth2" {
  token_url     = "https://auth.reltio.com/oauth/token"
  client_id     = var.reltio_client_id
  client_secret = var.reltio_client_secret
  client_auth   = "client_secret_basic"
  params_in     = "query"
}

# Only if Reltio refuses the header the provider builds from the two parts
# (see the guide): the ready header value, sent as it is, with
# client_auth = "none" so that the provider adds no credentials of its own.
variable "reltio_client_header" {
  description = "The whole Authorization header value Reltio provided, \"Basic ...\"."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

provider "oauth2" {
  alias = "ready_header"

  token_url   = "https://auth.reltio.com/oauth/token"
  client_auth = "none"
  params_in   = "query"
  headers = {
    Authorization = var.reltio_client_header
  }
}

# For data "http": a password grant read during the plan. Reltio answers
# expires_in as a string and scope as an array, which the provider turns
# into a number and a space-delimited string; entityURI lands in extra.
data "oauth2_token" "reltio" {
  password_grant = {
    username = var.reltio_username
    password = var.reltio_password
  }
  # The identity provider that checks the password.
  extra_params = {
    idp_system = "salesforce"
  }
}

data "http" "reltio_entities" {
  url = "${var.reltio_api_url}/entities?max=10"

  request_headers = {
    Accept        = "application/json"
    Authorization = data.oauth2_token.reltio.authorization_header
  }

  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "Reltio answered HTTP ${self.status_code}."
    }
  }
}

# For provisioners and provider blocks: the same grant, with neither the
# password nor the tokens in the plan or the state.
ephemeral "oauth2_token" "reltio" {
  password_grant = {
    username = var.reltio_username
    password = var.reltio_password
  }
  extra_params = {
    idp_system = "salesforce"
  }
}

resource "terraform_data" "reltio_export" {
  triggers_replace = [timestamp()]

  provisioner "local-exec" {
    command = <<-EOT
      curl --fail --silent --show-error \
        --header "Authorization: $AUTHORIZATION" \
        --output entities.json \
        "$API_URL/entities?max=100"
    EOT

    environment = {
      AUTHORIZATION = ephemeral.oauth2_token.reltio.authorization_header
      API_URL       = var.reltio_api_url
    }
  }
}

output "reltio_entity_uri" {
  value = nonsensitive(data.oauth2_token.reltio.extra["entityURI"])
}

output "reltio_scope" {
  value = data.oauth2_token.reltio.scope
}
