#!/usr/bin/env bash
# Builds the release files of .goreleaser.yml with GoReleaser (pinned in
# tools/goreleaser/go.mod, built into bin/goreleaser by the GNUmakefile) as a
# snapshot, and checks them. Offline: no tag, no token, no signing key of the
# project, and no network beyond the Go module proxy.
#
#   tools/release.sh snapshot  every platform's zip, the _SHA256SUMS and the
#                              _manifest.json into dist/, unsigned
#                              (make release-snapshot)
#   tools/release.sh check     build, then check the files (make release-check,
#                              part of make test)
#
# `check` has two modes:
#
#   RELEASE_CHECK=full  the whole matrix of .goreleaser.yml; every zip is checked.
#   unset (quick)       GoReleaser first resolves the real .goreleaser.yml (its
#                       effective config: every target, every template) with
#                       `build --single-target` of the first quick platform.
#                       Then a copy of .goreleaser.yml whose target matrix alone
#                       is replaced by the quick platforms (RELEASE_CHECK_PLATFORMS,
#                       default "linux_amd64 windows_amd64") goes through the
#                       whole release pipeline. The real config is held to
#                       exactly PLATFORMS and to the registries' naming
#                       templates, so every platform's name is checked; the
#                       quick platforms' files are checked as in full mode.
#
# Measured on 2 cores with an empty build cache (and bin/goreleaser built):
# the full matrix about 7.5 minutes, the quick check about 1.
#
# What is checked (tools/goreleaser/releasecheck): each zip is named
# terraform-provider-oauth2_<version>_<os>_<arch>.zip and holds only
# terraform-provider-oauth2_v<version> (.exe on Windows), built from this module
# for that OS and architecture with CGO_ENABLED=0, -trimpath and
# -X main.version=<version>; there is no other zip; _manifest.json is
# terraform-registry-manifest.json (protocol_versions ["6.0"]); _SHA256SUMS lists
# exactly the zips and the manifest, with their sums. If gpg is installed, the
# check also signs as a release does, with a throwaway key in a temporary
# GNUPGHOME (GPG_FINGERPRINT set to it), and verifies _SHA256SUMS.sig against
# the final _SHA256SUMS.
set -euo pipefail

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

project=terraform-provider-oauth2
goreleaser_bin="$root/bin/goreleaser"

# The platforms a release must have, as os_arch: what .goreleaser.yml must
# resolve to. GoReleaser drops windows_arm (no longer a Go port) by itself.
PLATFORMS="darwin_amd64 darwin_arm64
freebsd_386 freebsd_amd64 freebsd_arm freebsd_arm64
linux_386 linux_amd64 linux_arm linux_arm64
windows_386 windows_amd64 windows_arm64"

# The quick check's platforms: the CI host, and Windows for the .exe name.
QUICK_PLATFORMS="${RELEASE_CHECK_PLATFORMS:-linux_amd64 windows_amd64}"

die() { printf 'release.sh: ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf '\nrelease.sh: %s\n' "$*" >&2; }

[ -x "$goreleaser_bin" ] || die "$goreleaser_bin is missing: run this through make (release-snapshot, release-check)"

# GoReleaser reads the commit, its date and the tag from git. It also runs
# `git ls-remote --get-url` (which reads the config; no network), and in a
# snapshot it throws away all of the git information when that fails, as it
# does in a clone without a remote: the version then says "none" and
# mod_timestamp has no commit date. For the commands of this script only, give
# such a clone a stand-in origin URL (git >= 2.31 reads GIT_CONFIG_COUNT); the
# release repository is named in .goreleaser.yml, not taken from the remote.
if git rev-parse --git-dir >/dev/null 2>&1 && ! git ls-remote --get-url >/dev/null 2>&1; then
	n="${GIT_CONFIG_COUNT:-0}"
	export "GIT_CONFIG_KEY_$n=remote.origin.url"
	export "GIT_CONFIG_VALUE_$n=https://github.com/tfoauth2/terraform-provider-oauth2.git"
	export GIT_CONFIG_COUNT=$((n + 1))
fi

# A snapshot needs no token, so none is handed over: with GITLAB_TOKEN or
# GITEA_TOKEN set GoReleaser would also look for a GitLab/Gitea remote. TARGET
# and GOOS/GOARCH would pick the target of a --single-target build, and only
# the check's own throwaway key may sign.
goreleaser_env=(env -u GITHUB_TOKEN -u GITLAB_TOKEN -u GITEA_TOKEN -u GPG_FINGERPRINT
	-u TARGET -u GOOS -u GOARCH GORELEASER_FORCE_TOKEN=github)

releasecheck() {
	(cd tools/goreleaser && go run -trimpath ./releasecheck "$@")
}

tmp=""
cleanup() {
	if [ -n "$tmp" ]; then
		if [ -d "$tmp/gnupg" ]; then GNUPGHOME="$tmp/gnupg" gpgconf --kill gpg-agent >/dev/null 2>&1 || true; fi
		rm -rf -- "$tmp"
	fi
}
trap cleanup EXIT

# release CONFIG [GPG_FINGERPRINT]: the snapshot release pipeline into dist/
# (cleaned first), signed when a fingerprint is given. GoReleaser uploads the
# manifest from the repository on a real release (release.extra_files) and
# only sums it in a snapshot; it is copied into dist/ under its release name,
# so that dist/ holds every file a release publishes.
release() {
	local config="$1" fpr="${2:-}" version
	if [ -n "$fpr" ]; then
		"${goreleaser_env[@]}" GNUPGHOME="$tmp/gnupg" GPG_FINGERPRINT="$fpr" "$goreleaser_bin" \
			release --config "$config" --snapshot --clean --skip=publish,validate
	else
		"${goreleaser_env[@]}" "$goreleaser_bin" \
			release --config "$config" --snapshot --clean --skip=sign,publish,validate
	fi
	version="$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' dist/metadata.json)"
	[ -n "$version" ] || die "no version in dist/metadata.json"
	cp terraform-registry-manifest.json "dist/${project}_${version}_manifest.json"
}

cmd_snapshot() {
	local start=$SECONDS
	say "snapshot of every platform in .goreleaser.yml into dist/ (unsigned)"
	release .goreleaser.yml
	say "snapshot done in $((SECONDS - start))s:"
	printf '  %s\n' dist/*.zip dist/*_SHA256SUMS dist/*_manifest.json >&2
}

# throwaway_key: prints the fingerprint of a new passphrase-less signing key in
# $tmp/gnupg, or nothing (with a warning) when gpg is not installed.
throwaway_key() {
	if ! command -v gpg >/dev/null 2>&1 || ! command -v gpgconf >/dev/null 2>&1; then
		say "******************************************************************"
		say "NOT checking the signature: no gpg on PATH (SHA256SUMS.sig is not made)"
		say "******************************************************************"
		return 0
	fi
	mkdir -m 700 "$tmp/gnupg"
	if ! GNUPGHOME="$tmp/gnupg" gpg --batch --passphrase '' \
		--quick-gen-key 'terraform-provider-oauth2 release check <release-check@invalid>' ed25519 sign 1d \
		>"$tmp/gpg.log" 2>&1; then
		cat "$tmp/gpg.log" >&2
		die "could not make a throwaway gpg key"
	fi
	GNUPGHOME="$tmp/gnupg" gpg --batch --with-colons --list-secret-keys 2>/dev/null |
		awk -F: '$1 == "fpr" { print $10; exit }'
}

# verify_signature FPR: _SHA256SUMS.sig must be a good signature of the final
# _SHA256SUMS by FPR.
verify_signature() {
	local fpr="$1" sums
	sums="$(printf '%s\n' dist/*_SHA256SUMS)"
	[ -f "$sums.sig" ] || die "no $sums.sig"
	if ! GNUPGHOME="$tmp/gnupg" gpg --batch --status-fd 1 --verify "$sums.sig" "$sums" 2>"$tmp/gpg.log" |
		grep -q "^\[GNUPG:\] VALIDSIG $fpr "; then
		cat "$tmp/gpg.log" >&2
		die "$sums.sig is not a good signature of $sums: was SHA256SUMS changed after signing? (see checksum.ids in .goreleaser.yml)"
	fi
	# A signature by a key that is gone is no use to anyone: dist/ is left
	# as release-snapshot leaves it.
	rm -f -- "$sums.sig"
	echo "release check: $(basename -- "$sums").sig verifies (removed: a throwaway key's)"
}

cmd_check() {
	local start=$SECONDS mode="${RELEASE_CHECK:-quick}" first fpr
	tmp="$(mktemp -d "${TMPDIR:-/tmp}/oauth2-release.XXXXXX")"
	case "$mode" in
	full)
		fpr="$(throwaway_key)"
		say "full check: snapshot of every platform in .goreleaser.yml into dist/${fpr:+, signed with a throwaway key}"
		release .goreleaser.yml "$fpr"
		releasecheck check -dist "$root/dist" -manifest "$root/terraform-registry-manifest.json" \
			-platforms "$PLATFORMS" -built all
		;;
	quick)
		first="${QUICK_PLATFORMS%% *}"
		say "quick check (RELEASE_CHECK=full builds every platform): resolving .goreleaser.yml, building $first"
		# Writes GoReleaser's effective config of the real .goreleaser.yml (every
		# target resolved) to dist/config.yaml, and warms the build cache for
		# the release that follows.
		"${goreleaser_env[@]}" TARGET="$first" "$goreleaser_bin" build --config .goreleaser.yml \
			--snapshot --clean --single-target
		cp dist/config.yaml "$tmp/real-config.yaml"
		releasecheck trim -config "$root/.goreleaser.yml" -real "$tmp/real-config.yaml" \
			-platforms "$QUICK_PLATFORMS" -o "$tmp/goreleaser-quick.yml"
		fpr="$(throwaway_key)"
		say "snapshot release of $QUICK_PLATFORMS${fpr:+, signed with a throwaway key} (.goreleaser.yml with the target matrix trimmed)"
		release "$tmp/goreleaser-quick.yml" "$fpr"
		releasecheck check -dist "$root/dist" -real "$tmp/real-config.yaml" \
			-manifest "$root/terraform-registry-manifest.json" \
			-platforms "$PLATFORMS" -built "$QUICK_PLATFORMS"
		;;
	*) die "RELEASE_CHECK=$mode: want full, or unset for the quick check" ;;
	esac
	if [ -n "$fpr" ]; then verify_signature "$fpr"; fi
	say "release check ($mode) done in $((SECONDS - start))s"
}

case "${1:-}" in
snapshot) cmd_snapshot ;;
check) cmd_check ;;
*)
	echo "usage: $0 snapshot|check" >&2
	exit 2
	;;
esac
