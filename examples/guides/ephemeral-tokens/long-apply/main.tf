terraform {
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

variable "longest_apply" {
  description = "How long an apply of this configuration can take, as a duration such as 45m."
  type        = string
  default     = "45m"
}

# token_url, client_id and client_secret from OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET.
provider "oauth2" {}

# Terraform may open the token early in the apply, and the last step uses
# it at the very end. min_validity makes sure the token handed out has at
# least that much life left. When the server issues tokens that live
# shorter, the plan, which opens the token too, fails with "Token Lives
# Shorter Than min_validity" before anything is changed, instead of the
# last step failing with HTTP 401.
ephemeral "oauth2_token" "deploy" {
  scopes       = ["deployments.write"]
  min_validity = var.longest_apply
}

# Stands for the slow part of the apply, such as a data migration.
resource "terraform_data" "migrate" {
  triggers_replace = [var.release]

  provisioner "local-exec" {
    command = "echo migrating to $RELEASE"

    environment = {
      RELEASE = var.release
    }
  }
}

# Runs last, with the token opened for this apply.
resource "terraform_data" "announce_release" {
  triggers_replace = [var.release]
  depends_on       = [terraform_data.migrate]

  provisioner "local-exec" {
    command = <<-EOT
      curl --fail --silent --show-error \
        --header "Authorization: $AUTHORIZATION" \
        --data "release=$RELEASE" \
        https://deploy.example.com/v1/releases
    EOT

    environment = {
      AUTHORIZATION = ephemeral.oauth2_token.deploy.authorization_header
      RELEASE       = var.release
    }
  }
}
