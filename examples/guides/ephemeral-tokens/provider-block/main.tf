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

variable "cluster_endpoint" {
  description = "URL of the cluster's API server."
  type        = string
}

variable "cluster_ca_certificate" {
  description = "PEM certificate of the authority that signed the API server's certificate."
  type        = string
}

# token_url, client_id and client_secret from OAUTH2_TOKEN_URL,
# OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET.
provider "oauth2" {}

# The API server must trust JWTs from this authorization server (OIDC or
# structured authentication configuration) and accept their audience; the
# token's claims name the Kubernetes user, whose RBAC bindings decide what
# Terraform may do.
ephemeral "oauth2_token" "cluster" {
  audience = "kubernetes"

  # Long enough for every request of the apply: the kubernetes provider
  # is configured once, with this token, and never asks for another.
  min_validity = "30m"
}

# Terraform opens the ephemeral resource before it configures this
# provider, in the plan and again in the apply. The token is in neither
# the plan nor the state.
provider "kubernetes" {
  host                   = var.cluster_endpoint
  cluster_ca_certificate = var.cluster_ca_certificate
  token                  = ephemeral.oauth2_token.cluster.access_token
}

resource "kubernetes_namespace_v1" "reporting" {
  metadata {
    name = "reporting"
  }
}
