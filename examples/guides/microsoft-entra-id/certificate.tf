# Client credentials with a certificate credential (private_key_jwt). The
# key and the certificate come from the environment or ephemeral variables,
# never from files committed with the configuration.
variable "certificate_key_pem" {
  description = "PEM private key of the certificate uploaded to the app registration."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "certificate_pem" {
  description = "The PEM certificate uploaded to the app registration (Certificates & secrets)."
  type        = string
}

provider "oauth2" {
  alias = "certificate"

  token_url                   = "https://login.microsoftonline.com/${var.tenant_id}/oauth2/v2.0/token"
  client_id                   = var.client_id
  client_auth                 = "private_key_jwt"
  private_key                 = var.certificate_key_pem
  private_key_certificate_pem = var.certificate_pem
}

ephemeral "oauth2_token" "with_certificate" {
  provider = oauth2.certificate
  scopes   = ["https://graph.microsoft.com/.default"]
}
