#!/usr/bin/env bash
# Renders docs/ from templates/ and examples/ with tfplugindocs (pinned in
# tools/tfplugindocs/go.mod), fully offline.
#
#   tools/docs.sh generate   format examples/, then regenerate docs/
#   tools/docs.sh check      generate, then fail if docs/ or examples/ differ
#                            from what git has (modified or untracked files),
#                            and run `tfplugindocs validate` on docs/
#
# tfplugindocs would look for terraform on PATH and otherwise download the
# latest release. To never reach the network, this script exports the provider
# schema itself with a CLI from tools/clis.sh (terraform if usable, else the
# bin/tofu built from the Go module proxy) and hands it over through
# --providers-schema, which skips tfplugindocs' own build + download step.
set -euo pipefail

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# No update checks (no internet here), and an empty CLI config so that
# ~/.terraformrc (dev_overrides, mirrors) cannot change the exported schema.
export CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1
unset TF_CLI_ARGS TF_CLI_ARGS_init TF_CLI_ARGS_fmt TF_DATA_DIR

tmp="$(mktemp -d "${TMPDIR:-/tmp}/oauth2-docs.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

tfplugindocs() {
	(cd tools/tfplugindocs && go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs "$@")
}

generate() {
	local cli plugdir
	cli="$(tools/clis.sh any)"
	echo "docs.sh: using $cli" >&2

	# Same layout tfplugindocs uses: a local plugin dir, provider 0.0.1.
	plugdir="$tmp/plugins/registry.terraform.io/hashicorp/oauth2/0.0.1/$(go env GOOS)_$(go env GOARCH)"
	mkdir -p "$plugdir"
	go build -o "$plugdir/terraform-provider-oauth2" .
	cat >"$tmp/main.tf" <<-'EOF'
		terraform {
		  required_providers {
		    oauth2 = {
		      source = "registry.terraform.io/hashicorp/oauth2"
		    }
		  }
		}
	EOF
	(
		cd "$tmp"
		"$cli" init -input=false -no-color -plugin-dir="$tmp/plugins" >"$tmp/init.log" 2>&1 ||
			{ cat "$tmp/init.log" >&2; exit 1; }
		"$cli" providers schema -json >"$tmp/schema.json"
	)

	if [ -d examples ]; then "$cli" fmt -recursive ./examples/; fi
	tfplugindocs generate \
		--provider-dir "$root" \
		--provider-name oauth2 \
		--rendered-website-dir docs \
		--providers-schema "$tmp/schema.json"
}

check() {
	local drift
	generate
	drift="$(git status --porcelain --untracked-files=all -- docs/ examples/)"
	if [ -n "$drift" ]; then
		{
			echo "******************************************************************"
			echo "docs-check FAILED: docs/ or examples/ differ from the committed files."
			echo "Run 'make generate' and commit the result. Drift:"
			echo "$drift"
			git --no-pager diff -- docs/ examples/
			echo "******************************************************************"
		} >&2
		exit 1
	fi
	if ! tfplugindocs validate --provider-dir "$root" --provider-name oauth2 \
		--providers-schema "$tmp/schema.json" >"$tmp/validate.log" 2>&1; then
		cat "$tmp/validate.log" >&2
		echo "docs-check FAILED: tfplugindocs validate rejected docs/ (log above)." >&2
		exit 1
	fi
	echo "docs-check: docs/ and examples/ are up to date and valid." >&2
}

case "${1:-}" in
generate) generate ;;
check) check ;;
*)
	echo "usage: $0 generate|check" >&2
	exit 2
	;;
esac
