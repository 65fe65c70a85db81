#!/bin/sh
# Installs the Debian packages corral needs to build, test and demo, if any
# are missing. Needs root (or sudo) only when something is missing.
set -eu

# Build: the libraries and pkg-config; libinih-dev reads the config file
# (cli/config.c), libsystemd-dev speaks sd_notify and takes the activated
# socket (supervisor/notify.c), libmicrohttpd-dev serves the status page
# (supervisor/http.c); scdoc makes the man pages (docs/*.scd).
# systemd: its pkg-config file says where `make install` puts the units,
# and tests/45-systemd-units.t runs its systemd-analyze, systemd-sysusers
# and systemd-tmpfiles (installed in a root where it is not PID 1, it
# starts nothing). Tests: zlib1g-dev
# (tests/mkhostile.c), bsdtar (libarchive-tools), prove (perl), pgrep and
# kill (procps; kill is also corral.service's ExecReload=, which
# systemd-analyze verify wants to find), jq, and clang with
# its sanitizer runtimes for the fuzz targets; lmdb-utils for the readers in
# docs/state.md; man-db, whose man renders the man pages in
# tests/53-man.t; curl, and chromium, the browser in which
# tests/58-http.t loads the status page. The rest the tests run
# (coreutils, util-linux's setpriv, mawk, diffutils, findutils, gzip) is
# in every Debian root, minbase too.
# The honest archives of tests/27-honest.t and 28-names.t are written by
# the tools of each platform: python3, Info-ZIP's zip and unzip, 7-Zip
# (p7zip-full), gcab and cabextract, genisoimage, rpmbuild (rpm), bzip2,
# xz-utils, zstd, and ar (binutils); tests/29-field.t compresses with lzop.
# jlha (jlha-utils, which brings a Java runtime) is left to those who have
# it: its cases are skipped without it.
# python3-prometheus-client parses the metrics in tests/57-metrics.t.
# gdb (with its Python) runs the worker in tests/63-replay.t's replay --gdb.
# python3-yaml parses docs/k8s-indexed-job.yaml in tests/60-shard-examples.t.
# scripts/freshroot.sh checks this list in such a root.
PKGS="pkg-config libev-dev libmsgpack-dev liblmdb-dev libarchive-dev libssl-dev libseccomp-dev
      libinih-dev libsystemd-dev libmicrohttpd-dev systemd scdoc
      zlib1g-dev libarchive-tools perl procps lmdb-utils jq man-db curl chromium
      clang libclang-rt-dev gdb
      python3 python3-prometheus-client python3-yaml zip unzip p7zip-full gcab cabextract genisoimage rpm bzip2 xz-utils zstd lzop binutils"
# `deps.sh bench`: what the benchmark's contenders need too.
[ "${1:-}" = bench ] && PKGS="$PKGS parallel coreutils findutils bc openssl"
# `deps.sh lint`: the static analyzers of `make lint`.
[ "${1:-}" = lint ] && PKGS="$PKGS cppcheck clang-tidy"
# `deps.sh valgrind`: memcheck, for `make valgrind`.
[ "${1:-}" = valgrind ] && PKGS="$PKGS valgrind"

# promtool, the other validator of tests/57-metrics.t, unless one is on
# PATH: the one binary out of Debian's prometheus package, into
# build/tools/, the package itself never installed (it would start a
# Prometheus). A best effort that never fails this script: the test
# validates with the Python parser alone without it.
promtool_fetch() {
	root=$(cd "$(dirname "$0")/.." && pwd)
	command -v promtool >/dev/null 2>&1 && return 0
	[ -x "$root/build/tools/promtool" ] && return 0
	command -v apt-get >/dev/null 2>&1 || return 0
	tmp=$(mktemp -d 2>/dev/null) || return 0
	if (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1) &&
	    mkdir -p "$tmp/x" && dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb |
	    tar -x -C "$tmp/x" ./usr/bin/promtool 2>/dev/null && mkdir -p "$root/build/tools" &&
	    cp "$tmp/x/usr/bin/promtool" "$root/build/tools/promtool.tmp" &&
	    mv "$root/build/tools/promtool.tmp" "$root/build/tools/promtool"; then
		echo "corral: promtool from Debian's prometheus package: build/tools/promtool"
	else
		echo "corral: no promtool (apt-get download prometheus failed): tests/57-metrics.t" \
		    "validates with the Python parser alone"
	fi
	rm -rf "$tmp"
	return 0
}
[ "${1:-}" = "" ] && promtool_fetch

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "corral: installing missing packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "corral: these packages are missing and I am not root:$missing" >&2
	echo "corral: run 'apt-get install$missing' as root, then try again" >&2
	exit 2
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
