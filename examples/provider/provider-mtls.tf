terraform {
  required_providers {
    oauth2 = {
      source = "tfoauth2/oauth2"
    }
  }
}

variable "client_key_pem" {
  description = "Private key of the client certificate, PEM."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# Mutual TLS client authentication (RFC 8705): the TLS client certificate
# is the client's credential, and no secret is sent. The provider presents
# the certificate whenever a server asks for one, for token, metadata and
# revocation requests alike.
provider "oauth2" {
  token_url   = "https://mtls.auth.example.com/oauth2/token"
  client_id   = "payments-terraform"
  client_auth = "tls_client_auth"

  # The client's certificate first, then any intermediates.
  client_certificate_pem = file("${path.module}/certs/payments-terraform.crt")
  client_key_pem         = var.client_key_pem

  # The server's certificate is issued by a private CA: trust it on top of
  # the system's roots.
  ca_certificate_pem = file("${path.module}/certs/internal-ca.crt")
}
