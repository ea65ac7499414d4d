# A throwaway root module that shows what a CI token says about itself,
# to compare with the server's trust. Run `terraform plan` in its own
# directory, never with -out and never apply: the plan prints the claims
# and writes nothing.
terraform {
  # Provider-defined functions need Terraform 1.8 or OpenTofu 1.7.
  required_version = ">= 1.8"

  required_providers {
    oauth2 = {
      source  = "tfoauth2/oauth2"
      version = "~> 0.1"
    }
  }
}

# The CI token, from TF_VAR_ci_token. Sensitive, so Terraform never shows
# it; not ephemeral, because a root module output cannot be.
variable "ci_token" {
  description = "The CI system's identity token (a JWT)."
  type        = string
  sensitive   = true
}

# The claims alone. Without the signature they authenticate nothing, so
# they are safe to release with nonsensitive(). jwt_claims verifies
# nothing either: this shows what the token says, not whether it is true.
output "ci_token_claims" {
  value = nonsensitive(provider::oauth2::jwt_claims(var.ci_token))
}
