terraform {
  # Ephemeral resources need Terraform 1.10 or OpenTofu 1.11.
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

variable "role_arn" {
  description = "The IAM role Terraform assumes. Its trust policy names the IAM OIDC identity provider of the authorization server, with this client's ID as the audience."
  type        = string
}

variable "deployer_password" {
  description = "The password of the deployer service user."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# token_url, client_id and client_secret from OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET.
provider "oauth2" {}

# An OpenID Connect ID token of the deployer, whose aud is this client's ID,
# kept in a file. Renewals use the refresh token the password grant issues,
# and fall back to the password grant when the server refuses it.
ephemeral "oauth2_token" "aws" {
  scopes = ["openid"]

  password_grant = {
    username = "deployer"
    password = var.deployer_password
  }

  token_file = {
    path    = abspath("${path.root}/.oauth2/aws-web-identity-token")
    content = "id_token"
  }
}

# The AWS SDK reads the file each time it asks STS for credentials: at the
# start, and again when the role session (an hour here) runs out during a
# long apply, when the file holds a fresh ID token.
provider "aws" {
  region = "eu-west-1"

  assume_role_with_web_identity {
    role_arn                = var.role_arn
    session_name            = "terraform"
    duration                = "1h"
    web_identity_token_file = ephemeral.oauth2_token.aws.token_file.path
  }
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "reporting-artifacts-eu-west-1"
}
