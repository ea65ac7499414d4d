terraform {
  # Ephemeral resources need Terraform 1.10 or OpenTofu 1.11.
  required_version = ">= 1.10"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 3.2"
    }
  }
}

# token_url, client_id and client_secret from OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET.
provider "oauth2" {}

# The API server trusts JWTs from this authorization server. The token is
# kept in kubernetes-token, beside the kubeconfig, whose user reads it from
# there (tokenFile), and replaced before it has min_validity left.
# client-go keeps what it read for up to a minute, so min_validity leaves
# it more than that.
ephemeral "oauth2_token" "cluster" {
  audience     = "kubernetes"
  min_validity = "2m"

  token_file = {
    path = abspath("${path.module}/kubernetes-token")
  }
}

# The kubeconfig beside the token file. Taking its directory from the
# ephemeral resource makes this provider refer to it, so Terraform keeps
# the resource open, and the file fresh, until the provider's last
# resource is done; then it removes the file.
provider "kubernetes" {
  config_path = "${dirname(ephemeral.oauth2_token.cluster.token_file.path)}/kubeconfig"
}

# A migration that can run for longer than a token lives: the provider
# polls the job until it completes, re-reading the token file as it goes.
resource "kubernetes_job_v1" "migrate" {
  metadata {
    name      = "migrate-schema"
    namespace = "reporting"
  }

  spec {
    backoff_limit = 0

    template {
      metadata {}

      spec {
        restart_policy = "Never"

        container {
          name    = "migrate"
          image   = "registry.example.com/reporting/migrate:2.4.0"
          command = ["/migrate", "--to", "latest"]
        }
      }
    }
  }

  wait_for_completion = true

  timeouts {
    create = "2h"
  }
}
