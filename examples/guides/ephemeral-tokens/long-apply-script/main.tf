terraform {
  # Ephemeral resources need Terraform 1.10 or OpenTofu 1.11.
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "release" {
  description = "The release being deployed."
  type        = string
}

# token_url, client_id and client_secret from OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET.
provider "oauth2" {}

ephemeral "oauth2_token" "deploy" {
  scopes = ["deployments.write"]

  token_file = {
    path = abspath("${path.root}/.oauth2/deploy-token")
  }
}

# A migration in batches that can take longer than a token lives. The
# script reads the file before each call, so every call carries a token
# that is still valid. The file's path comes from the ephemeral resource,
# so Terraform keeps it open, and the file fresh, until the script is done.
resource "terraform_data" "migrate" {
  triggers_replace = [var.release]

  provisioner "local-exec" {
    command = <<-EOT
      set -eu
      for batch in $(seq 1 200); do
        curl --fail --silent --show-error \
          --header "Authorization: Bearer $(cat "$TOKEN_FILE")" \
          --data "release=$RELEASE&batch=$batch" \
          https://deploy.example.com/v1/migrations
      done
    EOT

    environment = {
      TOKEN_FILE = ephemeral.oauth2_token.deploy.token_file.path
      RELEASE    = var.release
    }
  }
}
