#!/usr/bin/env bash
# Finds or builds the Terraform-compatible CLIs that the GNUmakefile tests and
# generates docs with. Prints one absolute path on stdout (or nothing); all
# progress and warnings go to stderr.
#
#   tools/clis.sh terraform  absolute path of `terraform` on PATH if it is
#                            >= MIN_TERRAFORM, else nothing (and a warning)
#   tools/clis.sh tofu       absolute path of bin/tofu, built first from the
#                            version pinned in tools/tofu/go.mod when missing
#                            or older than that go.mod / go.sum
#   tools/clis.sh any        the terraform path if usable, else the tofu path
#
# Nothing here downloads a CLI release: Terraform must already be installed,
# and OpenTofu is compiled from its Go module through the Go module proxy.
set -euo pipefail

MIN_TERRAFORM=1.10.0
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"

# No update checks against checkpoint-api: the machine has no internet.
export CHECKPOINT_DISABLE=1

warn() { printf 'clis.sh: %s\n' "$*" >&2; }
die() { warn "ERROR: $*"; exit 1; }

# version_ge A B: true when dotted version A >= B (any -suffix ignored).
version_ge() {
	local a="${1%%-*}" b="${2%%-*}"
	[ "$(printf '%s\n%s\n' "$b" "$a" | sort -V | head -n 1)" = "$b" ]
}

skip_terraform() {
	warn "******************************************************************"
	warn "SKIPPING the Terraform leg: $*"
	warn "(needs terraform >= ${MIN_TERRAFORM} on PATH; it is never downloaded)"
	warn "******************************************************************"
}

cmd_terraform() {
	local tf out ver
	if ! tf="$(command -v terraform)"; then
		skip_terraform "no terraform on PATH"
		return 0
	fi
	case "$tf" in
	/*) ;;
	*) tf="$(realpath -s -- "$tf")" ;;
	esac
	if ! out="$(timeout 60 "$tf" version -json 2>/dev/null)"; then
		skip_terraform "'$tf version -json' failed"
		return 0
	fi
	ver="$(printf '%s\n' "$out" | sed -n 's/.*"terraform_version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)"
	if [ -z "$ver" ]; then
		skip_terraform "could not read a version from '$tf version -json'"
		return 0
	fi
	if ! version_ge "$ver" "$MIN_TERRAFORM"; then
		skip_terraform "$tf is version $ver"
		return 0
	fi
	printf '%s\n' "$tf"
}

cmd_tofu() {
	local bin="$root/bin/tofu" dir="$root/tools/tofu" tmp
	mkdir -p "$root/bin"
	# One builder at a time; others wait here and then find the binary fresh.
	exec 9>"$root/bin/.tofu.lock"
	flock 9
	if [ ! -x "$bin" ] || [ "$dir/go.mod" -nt "$bin" ] || [ "$dir/go.sum" -nt "$bin" ]; then
		warn "building OpenTofu from the Go module proxy, ~6 minutes the first time (tools/tofu/go.mod -> bin/tofu)"
		tmp="$root/bin/.tofu.tmp.$$"
		trap 'rm -f "$tmp"' EXIT
		(
			cd "$dir"
			go build -trimpath -ldflags "-X github.com/opentofu/opentofu/version.dev=no" \
				-o "$tmp" github.com/opentofu/opentofu/cmd/tofu
		) >&2 || die "building OpenTofu failed"
		mv -f "$tmp" "$bin"
		trap - EXIT
		warn "built $bin"
	fi
	timeout 60 "$bin" version >/dev/null 2>&1 || die "'$bin version' does not run; delete bin/tofu to rebuild it"
	exec 9>&-
	printf '%s\n' "$bin"
}

cmd_any() {
	local tf
	tf="$(cmd_terraform 2>/dev/null)"
	if [ -n "$tf" ]; then
		printf '%s\n' "$tf"
	else
		cmd_tofu
	fi
}

case "${1:-}" in
terraform) cmd_terraform ;;
tofu) cmd_tofu ;;
any) cmd_any ;;
*)
	echo "usage: $0 terraform|tofu|any" >&2
	exit 2
	;;
esac
