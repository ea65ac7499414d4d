#!/usr/bin/env bash
# Validates every example under examples/ with real CLIs, offline: each
# configuration must be `fmt` clean and pass `validate` on every CLI, with
# no warning but the one about provider development overrides.
#
#   tools/examples.sh                       validate with every CLI (below)
#   EXAMPLES_CLIS="terraform" tools/examples.sh
#                                           only the CLIs named: terraform,
#                                           tofu (the newest OpenTofu) or
#                                           tofu-LINE, such as tofu-1.11
#
# By default the CLIs are Terraform from PATH (skipped, with a banner, when
# tools/clis.sh finds no terraform >= 1.10) and every OpenTofu release line
# of `tools/clis.sh tofu-lines`, each built when missing.
#
# What a configuration is:
#   - In the directories tfplugindocs reads (examples/provider/,
#     examples/data-sources/*/, examples/ephemeral-resources/*/,
#     examples/resources/*/, examples/functions/*/), every .tf file is a
#     configuration of its own, as the docs show it.
#   - Every other directory with .tf files (examples/quickstart/,
#     examples/guides/**) is one configuration, with every file in it.
# Each is validated in a copy in a temporary directory, so nothing is ever
# written into examples/. The copy gets one extra file with an oauth2_token
# data source per provider "oauth2" block: a CLI validates a provider block
# only when something uses it, and would otherwise pass a block with an
# unknown or invalid attribute. Validation runs with no OAUTH2_* variables
# set, so an example must be valid on its own.
#
# Providers, without `init` and without any registry: a CLI configuration
# with dev_overrides, for both registry.terraform.io and
# registry.opentofu.org, maps
#   tfoauth2/oauth2       -> the provider built from this tree, now;
#   hashicorp/<type>      -> bin/providers/terraform-provider-<type>, built
#                            from tools/providers/<type>/go.mod through the
#                            Go module proxy when missing or older than that
#                            go.mod / go.sum (see OTHER_PROVIDERS below).
#   hashicorp/aws, hashicorp/google
#                         -> schema stubs (STUB_PROVIDERS below), built from
#                            tools/providers/stubs/: servers of a schema
#                            transcribed by hand from each provider's
#                            source, the parts the examples use. The module
#                            proxy serves no release of either since 2019,
#                            so the real ones cannot be built here; with a
#                            stub, validate checks the example's blocks,
#                            names and types against that transcription,
#                            and everything else as usual.
# A CLI needs no `init` for overridden providers, and `validate` needs
# nothing else, so an example using any other provider fails, and says so.
set -euo pipefail

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The providers, besides this one, that examples may use: registry address
# (namespace/type), each built from tools/providers/<type>/.
OTHER_PROVIDERS="hashicorp/http hashicorp/kubernetes"

# The providers that examples may use but that cannot be built here: each is
# served by tools/providers/stubs/ with the schema in <type>.json there.
STUB_PROVIDERS="hashicorp/aws hashicorp/google"

# The tfplugindocs example directories, whose files stand alone.
standalone_dir() {
	case "$1" in
	examples/provider | examples/data-sources/* | examples/ephemeral-resources/* | examples/resources/* | examples/functions/*) return 0 ;;
	esac
	return 1
}

# No update checks (no internet here), nothing from the caller's CLI
# configuration or arguments, and no provider settings from the caller's
# environment: validation must not depend on who runs it.
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
unset TF_CLI_ARGS TF_CLI_ARGS_validate TF_CLI_ARGS_fmt TF_DATA_DIR TF_WORKSPACE
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(OAUTH2_|KUBE_)' || true)

say() { printf 'examples.sh: %s\n' "$*" >&2; }
die() {
	say "ERROR: $*"
	exit 1
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/oauth2-examples.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# build_other NAMESPACE/TYPE: bin/providers/terraform-provider-TYPE, built
# from tools/providers/TYPE when missing or stale, one builder at a time.
build_other() {
	local type="${1#*/}" dir bin pkg start out
	dir="$root/tools/providers/$type"
	bin="$root/bin/providers/terraform-provider-$type"
	[ -f "$dir/go.mod" ] || die "no tools/providers/$type/go.mod to build $1 from"
	pkg="$(sed -n 's/^import _ "\(.*\)"$/\1/p' "$dir/tools.go")"
	[ -n "$pkg" ] || die "tools/providers/$type/tools.go imports no provider package"
	mkdir -p "$root/bin/providers"
	exec 8>"$root/bin/providers/.$type.lock"
	flock 8
	if [ ! -x "$bin" ] || [ "$dir/go.mod" -nt "$bin" ] || [ "$dir/go.sum" -nt "$bin" ]; then
		say "building $1 from the Go module proxy (tools/providers/$type/go.mod -> bin/providers/)"
		start=$SECONDS
		out="$bin.tmp.$$"
		if ! (cd "$dir" && go build -trimpath -o "$out" "$pkg") >&2; then
			rm -f "$out"
			die "building $1 failed"
		fi
		mv -f "$out" "$bin"
		say "built $1 in $((SECONDS - start))s"
	fi
	exec 8>&-
}

# The CLIs to validate with: "name path" lines.
clis=()
add_cli() {
	local name="$1" path
	case "$name" in
	terraform)
		path="$(tools/clis.sh terraform)"
		if [ -z "$path" ]; then
			say "******************************************************************"
			say "SKIPPING Terraform: no terraform >= 1.10 on PATH (see above)"
			say "******************************************************************"
			return 0
		fi
		;;
	tofu) path="$(tools/clis.sh tofu)" ;;
	tofu-*) path="$(tools/clis.sh tofu "${name#tofu-}")" ;;
	*) die "unknown CLI '$name' in EXAMPLES_CLIS (terraform, tofu, tofu-LINE)" ;;
	esac
	clis+=("$name $path")
}
if [ -n "${EXAMPLES_CLIS:-}" ]; then
	for name in $EXAMPLES_CLIS; do add_cli "$name"; done
else
	add_cli terraform
	if lines="$(tools/clis.sh tofu-lines 2>/dev/null)" && [ -n "$lines" ]; then
		for line in $lines; do add_cli "tofu-$line"; done
	else
		add_cli tofu
	fi
fi
[ "${#clis[@]}" -gt 0 ] || die "no CLI to validate with"

# The providers.
mkdir -p "$tmp/plugins"
go build -o "$tmp/plugins/terraform-provider-oauth2" . || die "building this provider failed"
for p in $OTHER_PROVIDERS; do build_other "$p"; done
mkdir -p "$tmp/stubs"
go build -o "$tmp/stubs/stub" ./tools/providers/stubs || die "building the schema stubs failed"
for p in $STUB_PROVIDERS; do
	[ -f "tools/providers/stubs/${p#*/}.json" ] || die "no tools/providers/stubs/${p#*/}.json for $p"
	cp "$tmp/stubs/stub" "$tmp/stubs/terraform-provider-${p#*/}"
done
{
	echo 'provider_installation {'
	echo '  dev_overrides {'
	for host in registry.terraform.io registry.opentofu.org; do
		printf '    "%s/tfoauth2/oauth2" = "%s"\n' "$host" "$tmp/plugins"
		for p in $OTHER_PROVIDERS; do
			printf '    "%s/%s" = "%s"\n' "$host" "$p" "$root/bin/providers"
		done
		for p in $STUB_PROVIDERS; do
			printf '    "%s/%s" = "%s"\n' "$host" "$p" "$tmp/stubs"
		done
	done
	echo '  }'
	echo '  direct {}'
	echo '}'
} >"$tmp/cli.tfrc"
export TF_CLI_CONFIG_FILE="$tmp/cli.tfrc"

# The configurations: "file PATH" or "dir PATH" lines, sorted.
configs=()
while IFS= read -r dir; do
	if standalone_dir "$dir"; then
		for f in "$dir"/*.tf; do configs+=("file $f"); done
	else
		configs+=("dir $dir")
	fi
done < <(find examples -name '*.tf' -not -path '*/.terraform/*' -printf '%h\n' | LC_ALL=C sort -u)
[ "${#configs[@]}" -gt 0 ] || die "no .tf files under examples/"

# probes FILE...: a data source per provider "oauth2" block of the files,
# default and aliased, since a CLI validates a provider block only when
# something uses it (and an unused block would go unchecked).
probes() {
	awk '
		/^provider "oauth2" \{\}/ { print "default"; next }
		/^provider "oauth2" \{/ { inside = 1; alias = "default"; next }
		inside && /^  alias *= *"/ { alias = $0; sub(/^  alias *= *"/, "", alias); sub(/".*/, "", alias); next }
		inside && /^\}/ { print alias; inside = 0 }
	' "$@" | awk '{
		printf "data \"oauth2_token\" \"examples_check_%d\" {\n", NR
		if ($0 != "default") printf "  provider = oauth2.%s\n", $0
		printf "}\n\n"
	}'
}

# check KIND PATH CLI_NAME CLI_PATH N: validates one configuration with one
# CLI, in a copy with the probes added; prints nothing and returns 0 when
# it passes, else the CLI's output.
check() {
	local kind="$1" path="$2" name="$3" cli="$4" n="$5" work out rc warnings
	work="$tmp/work/$n-$name"
	mkdir -p "$work/src" "$work/data"
	if [ "$kind" = file ]; then
		cp "$path" "$work/src/"
	else
		cp -R "$path/." "$work/src/"
	fi
	probes "$work"/src/*.tf >"$work/src/zz_examples_check.tf"
	set +e
	out="$(cd "$work/src" && TF_DATA_DIR="$work/data" "$cli" validate -no-color 2>&1)"
	rc=$?
	set -e
	warnings="$(printf '%s\n' "$out" | grep '^Warning: ' | grep -v '^Warning: Provider development overrides are in effect' || true)"
	if [ "$rc" -ne 0 ] || [ -n "$warnings" ]; then
		printf '%s\n' "$out"
		if printf '%s\n' "$out" | grep -q 'Missing required provider'; then
			printf '\nThe example uses a provider that tools/examples.sh does not build. Use one of\n'
			printf 'tfoauth2/oauth2 %s, or one with a schema stub (%s), or add the\n' "$OTHER_PROVIDERS" "$STUB_PROVIDERS"
			printf 'provider to tools/providers/ and OTHER_PROVIDERS (or its schema to\ntools/providers/stubs/ and STUB_PROVIDERS).\n'
		fi
		[ "$rc" -ne 0 ] || printf '\nValid, but with the warnings above, which an example must not have.\n'
		return 1
	fi
}

# fmt is the same formatter in every CLI; the first one checks it.
fmt_cli="${clis[0]#* }"
failed=()
passed=0
n=0
printf '\nEach .tf file below is validated alone, each "(module)" directory as one configuration;\n'
printf 'all in a copy with an oauth2_token data source per provider "oauth2" block, with no\n'
printf 'OAUTH2_* variables, after fmt -check with %s.\n' "${clis[0]%% *}"
printf '\n%-80s %s\n' "example" "result"
for c in "${configs[@]}"; do
	kind="${c%% *}"
	path="${c#* }"
	n=$((n + 1))
	results=()
	ok=1
	if ! out="$("$fmt_cli" fmt -check -diff -no-color "$path" 2>&1)"; then
		ok=0
		results+=("fmt FAILED")
		failed+=("$path: not fmt clean (run 'make generate'):"$'\n'"$out")
	fi
	for entry in "${clis[@]}"; do
		name="${entry%% *}"
		cli="${entry#* }"
		if out="$(check "$kind" "$path" "$name" "$cli" "$n")"; then
			results+=("$name ok")
		else
			ok=0
			results+=("$name FAILED")
			failed+=("$path: $name validate:"$'\n'"$out")
		fi
	done
	[ "$ok" -eq 0 ] || passed=$((passed + 1))
	label="$path"
	if [ "$kind" = dir ]; then label="$path/ (module)"; fi
	summary="${results[0]}"
	for r in "${results[@]:1}"; do summary+=", $r"; done
	printf '%-80s %s\n' "$label" "$summary"
done

# Nothing may have been written into examples/.
if stray="$(find examples \( -name .terraform -o -name .terraform.lock.hcl -o -name 'terraform.tfstate*' \) -print)" && [ -n "$stray" ]; then
	failed+=("files written into examples/: $stray")
fi

echo
printf 'Validated with:'
for entry in "${clis[@]}"; do printf ' %s (%s)' "${entry%% *}" "${entry#* }"; done
printf '\nProviders: tfoauth2/oauth2 built from this tree; %s from bin/providers/;\n' "$OTHER_PROVIDERS"
printf '%s as schema stubs (tools/providers/stubs/), not the providers\n' "$STUB_PROVIDERS"
if [ "${#failed[@]}" -gt 0 ]; then
	{
		echo
		echo "******************************************************************"
		echo "examples-check FAILED: ${#failed[@]} problem(s)"
		echo "******************************************************************"
		for f in "${failed[@]}"; do
			echo
			echo "--- $f"
		done
	} >&2
	echo "examples: $passed passed, $((${#configs[@]} - passed)) failed"
	exit 1
fi
echo "examples: $passed passed, 0 failed"
