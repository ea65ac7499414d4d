terraform {
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

# With issuer_url the provider reads the server's metadata, which names the
# token endpoint and, on most servers, the revocation endpoint too. The
# client ID and secret come from OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET.
provider "oauth2" {
  issuer_url = "https://auth.example.com/realms/platform"
}

# A server without metadata: name both endpoints.
provider "oauth2" {
  alias = "legacy"

  token_url      = "https://legacy.example.com/oauth/token"
  revocation_url = "https://legacy.example.com/oauth/revoke"
  client_id      = "terraform-deploy"
  client_secret  = var.legacy_client_secret
}

variable "legacy_client_secret" {
  description = "Client secret at the legacy server."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# Revoked, with its refresh token if one was issued, as soon as Terraform
# closes the resource at the end of the plan or the apply: the token does
# not outlive the run that needed it.
ephemeral "oauth2_token" "deploy" {
  scopes          = ["deployments.write"]
  revoke_on_close = true
}

ephemeral "oauth2_token" "legacy" {
  provider        = oauth2.legacy
  revoke_on_close = true
}

resource "terraform_data" "announce_release" {
  triggers_replace = [var.release]

  provisioner "local-exec" {
    command = <<-EOT
      curl --fail --silent --show-error \
        --header "Authorization: $DEPLOY_AUTH" \
        --data "release=$RELEASE" https://deploy.example.com/v1/releases
      curl --fail --silent --show-error \
        --header "Authorization: $LEGACY_AUTH" \
        --data "release=$RELEASE" https://legacy.example.com/api/notify
    EOT

    environment = {
      DEPLOY_AUTH = ephemeral.oauth2_token.deploy.authorization_header
      LEGACY_AUTH = ephemeral.oauth2_token.legacy.authorization_header
      RELEASE     = var.release
    }
  }
}

variable "release" {
  description = "The release being deployed."
  type        = string
}
