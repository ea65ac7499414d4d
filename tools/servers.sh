#!/usr/bin/env bash
# Builds the real authorization servers that the integration tests of
# internal/hydratest and internal/dextest run on loopback. Prints one absolute
# path on stdout; all progress and errors go to stderr.
#
#   tools/servers.sh hydra   bin/hydra, Ory Hydra from tools/hydra/go.mod
#   tools/servers.sh dex     bin/dex, Dex from tools/dex/go.mod
#
# A binary is (re)built when it is missing or older than its module's go.mod or
# go.sum, and must then report the pinned release in its `version` output.
# Nothing is downloaded but Go modules, through the Go module proxy. Both need
# cgo (SQLite), so a C compiler.
set -euo pipefail

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"

warn() { printf 'servers.sh: %s\n' "$*" >&2; }
die() { warn "ERROR: $*"; exit 1; }

# pinned_version DIR MODULE: the version DIR/go.mod requires MODULE at.
pinned_version() {
	local v
	v="$(sed -n "s|^require $2 \(v[^[:space:]]*\).*|\1|p; s|^[[:space:]]*$2 \(v[^[:space:]]*\).*|\1|p" "$1/go.mod" | head -n 1)"
	[ -n "$v" ] || die "no $2 requirement in ${1#"$root"/}/go.mod"
	printf '%s\n' "$v"
}

# Dex's release tags are not module versions (tools/dex/go.mod), so the
# release name is kept here beside the pseudo-version of its commit; bump both
# together.
DEX_RELEASE=v2.45.1
DEX_PSEUDO_VERSION=v0.0.0-20260303133905-11d2eeb52b42

# build NAME DIR PACKAGE RELEASE "BUILD FLAGS..." ESTIMATE: builds bin/NAME
# from PACKAGE in the tools module DIR when needed, checks that `NAME version`
# names RELEASE, prints the path.
build() {
	local name="$1" dir="$2" pkg="$3" release="$4" estimate="$6" bin tmp out start
	local -a flags
	read -r -a flags <<<"$5"
	bin="$root/bin/$name"
	mkdir -p "$root/bin"
	# One builder at a time (bin/ may be shared by worktrees): the others
	# wait here and then find the binary fresh. The lock is on bin/ itself,
	# so nothing but the binaries is left in it.
	exec 9<"$root/bin"
	flock 9
	if [ ! -x "$bin" ] || [ "$dir/go.mod" -nt "$bin" ] || [ "$dir/go.sum" -nt "$bin" ]; then
		command -v "${CC:-gcc}" >/dev/null || die "building $name needs cgo and a C compiler (${CC:-gcc}), none found"
		warn "building $name $release from the Go module proxy, $estimate the first time (${dir#"$root"/}/go.mod -> bin/$name)"
		start=$SECONDS
		tmp="$root/bin/.$name.tmp.$$"
		trap 'rm -f "$tmp"' EXIT
		(
			cd "$dir"
			CGO_ENABLED=1 go build -trimpath "${flags[@]}" -o "$tmp" "$pkg"
		) >&2 || die "building $name $release failed"
		mv -f "$tmp" "$bin"
		trap - EXIT
		warn "built $bin in $((SECONDS - start))s"
	fi
	out="$(timeout 60 "$bin" version 2>&1)" ||
		die "'$bin version' does not run; delete bin/$name to rebuild it"
	case "$out" in
	*"$release"*) ;;
	*) die "bin/$name does not report $release ('$(printf '%s' "$out" | head -n 1)'); delete bin/$name to rebuild it" ;;
	esac
	exec 9>&-
	printf '%s\n' "$bin"
}

cmd_hydra() {
	local dir="$root/tools/hydra" v
	v="$(pinned_version "$dir" github.com/ory/hydra/v2)"
	# The sqlite tags give Hydra its in-memory database (DSN "memory").
	build hydra "$dir" github.com/ory/hydra/v2 "$v" \
		"-tags sqlite,sqlite_omit_load_extension -ldflags=-X=github.com/ory/hydra/v2/driver/config.Version=$v" \
		"~3 minutes"
}

cmd_dex() {
	local dir="$root/tools/dex" v
	v="$(pinned_version "$dir" github.com/dexidp/dex)"
	[ "$v" = "$DEX_PSEUDO_VERSION" ] ||
		die "tools/dex/go.mod pins github.com/dexidp/dex $v, but tools/servers.sh says $DEX_RELEASE is $DEX_PSEUDO_VERSION; update DEX_RELEASE and DEX_PSEUDO_VERSION together"
	build dex "$dir" github.com/dexidp/dex/cmd/dex "$DEX_RELEASE" \
		"-ldflags=-X=main.version=$DEX_RELEASE" \
		"~2 minutes"
}

case "${1:-}" in
hydra) cmd_hydra ;;
dex) cmd_dex ;;
*)
	echo "usage: $0 hydra | dex" >&2
	exit 2
	;;
esac
