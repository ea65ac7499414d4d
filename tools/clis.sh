#!/usr/bin/env bash
# Finds or builds the Terraform-compatible CLIs that the GNUmakefile tests and
# generates docs with. Prints one absolute path on stdout (or nothing); all
# progress and warnings go to stderr.
#
#   tools/clis.sh terraform  absolute path of `terraform` on PATH if it is
#                            >= MIN_TERRAFORM, else nothing (and a warning)
#   tools/clis.sh tofu [LINE]
#                            absolute path of the OpenTofu of release line
#                            LINE (default 1.12, the newest), built first
#                            from the version pinned in its tools module
#                            when missing or older than that go.mod / go.sum:
#                              1.12  tools/tofu/go.mod       -> bin/tofu
#                              1.11  tools/tofu-1.11/go.mod  -> bin/tofu-1.11
#                            1.11 is the first OpenTofu with ephemeral
#                            resources, so the oldest the suite supports.
#   tools/clis.sh tofu-lines the release lines above, oldest first
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

# The OpenTofu release lines the acceptance suite runs on, oldest first, and
# where each is built from and to. Keep tofu_module and tofu_binary in step.
TOFU_LINES="1.11 1.12"
DEFAULT_TOFU_LINE=1.12

tofu_module() {
	case "$1" in
	1.11) printf '%s\n' "$root/tools/tofu-1.11" ;;
	1.12) printf '%s\n' "$root/tools/tofu" ;;
	*) die "unknown OpenTofu line '$1' (known: $TOFU_LINES)" ;;
	esac
}

tofu_binary() {
	case "$1" in
	1.11) printf '%s\n' "$root/bin/tofu-1.11" ;;
	1.12) printf '%s\n' "$root/bin/tofu" ;;
	*) die "unknown OpenTofu line '$1' (known: $TOFU_LINES)" ;;
	esac
}

cmd_tofu() {
	local line="${1:-$DEFAULT_TOFU_LINE}" bin dir name pinned tmp out first
	dir="$(tofu_module "$line")"
	bin="$(tofu_binary "$line")"
	name="$(basename -- "$bin")"
	pinned="$(sed -n 's|^require github.com/opentofu/opentofu \(v[^[:space:]]*\).*|\1|p; s|^[[:space:]]*github.com/opentofu/opentofu \(v[^[:space:]]*\).*|\1|p' "$dir/go.mod" | head -n 1)"
	[ -n "$pinned" ] || die "no github.com/opentofu/opentofu requirement in ${dir#"$root"/}/go.mod"
	mkdir -p "$root/bin"
	# One builder per binary at a time; others wait here and then find the
	# binary fresh. Different lines build in parallel.
	exec 9>"$root/bin/.$name.lock"
	flock 9
	if [ ! -x "$bin" ] || [ "$dir/go.mod" -nt "$bin" ] || [ "$dir/go.sum" -nt "$bin" ]; then
		warn "building OpenTofu $pinned from the Go module proxy, ~6 minutes the first time (${dir#"$root"/}/go.mod -> bin/$name)"
		tmp="$root/bin/.$name.tmp.$$"
		trap 'rm -f "$tmp"' EXIT
		(
			cd "$dir"
			go build -trimpath -ldflags "-X github.com/opentofu/opentofu/version.dev=no" \
				-o "$tmp" github.com/opentofu/opentofu/cmd/tofu
		) >&2 || die "building OpenTofu $pinned failed"
		mv -f "$tmp" "$bin"
		trap - EXIT
		warn "built $bin"
	fi
	out="$(TF_CLI_CONFIG_FILE=/dev/null timeout 60 "$bin" version 2>/dev/null)" ||
		die "'$bin version' does not run; delete bin/$name to rebuild it"
	# The binary must be the pinned release: "OpenTofu v1.11.6" for v1.11.6.
	first="$(printf '%s\n' "$out" | grep -m 1 '^OpenTofu v' || true)"
	[ "$first" = "OpenTofu $pinned" ] ||
		die "bin/$name says '${first:-no version}', but ${dir#"$root"/}/go.mod pins $pinned; delete bin/$name to rebuild it"
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
tofu) cmd_tofu "${2:-}" ;;
tofu-lines) printf '%s\n' "$TOFU_LINES" ;;
any) cmd_any ;;
*)
	echo "usage: $0 terraform | tofu [$(printf '%s' "$TOFU_LINES" | tr ' ' '|')] | tofu-lines | any" >&2
	exit 2
	;;
esac
