terraform {
  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

variable "client_certificate_pem" {
  description = "The client's PEM certificate, followed by any intermediates."
  type        = string
}

variable "client_key_pem" {
  description = "Private key of the client certificate, PEM."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "ca_certificate_pem" {
  description = "PEM certificate of the private CA that issued the server's certificate."
  type        = string
}

# Mutual TLS client authentication (RFC 8705): the TLS client certificate
# is the client's credential, and no secret is sent. The provider presents
# the certificate whenever a server asks for one, for token, metadata and
# revocation requests alike.
provider "oauth2" {
  token_url   = "https://mtls.auth.example.com/oauth2/token"
  client_id   = "payments-terraform"
  client_auth = "tls_client_auth"

  # The client's certificate first, then any intermediates. A file of the
  # configuration works too: file("${path.module}/certs/client.crt").
  client_certificate_pem = var.client_certificate_pem
  client_key_pem         = var.client_key_pem

  # The server's certificate is issued by a private CA: trust it on top of
  # the system's roots.
  ca_certificate_pem = var.ca_certificate_pem
}
