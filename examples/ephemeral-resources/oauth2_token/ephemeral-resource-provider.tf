terraform {
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

provider "oauth2" {}

# For a cluster whose API server accepts JWTs from this authorization
# server (OIDC or structured authentication) with this audience.
ephemeral "oauth2_token" "cluster" {
  audience = "kubernetes"
}

# Terraform opens the ephemeral resource before it configures this provider,
# in plan and again in apply, and keeps the token out of the plan and the
# state. A provider block accepts ephemeral values whatever provider it is.
provider "kubernetes" {
  host                   = var.cluster_endpoint
  cluster_ca_certificate = var.cluster_ca_certificate
  token                  = ephemeral.oauth2_token.cluster.access_token
}

# Every kubernetes_* resource now calls the API server with the token.
resource "kubernetes_namespace_v1" "inventory" {
  metadata {
    name = "inventory"
  }
}
