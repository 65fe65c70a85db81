#!/bin/sh
# freshroot.sh [-r] [ROOT [MIRROR]]: checks the README's two commands the way
# a newcomer meets them. Builds a Debian 12 minbase root in ROOT (default
# /var/tmp/corral-freshroot, which must not exist yet), adds only make, gcc
# and libc6-dev, clones this checkout's HEAD into ROOT/corral, and runs
# `make demo` and then `make test` there under chroot, so every other package
# must come from scripts/deps.sh. MIRROR defaults to the first Debian mirror
# in /etc/apt/sources.list.d/ (or /etc/apt/sources.list). -r reuses an
# existing ROOT: its packages stay, the clone is made afresh. Needs root and
# debootstrap. Only committed work is cloned. Exits with make test's status.
set -eu

reuse=0
if [ "${1:-}" = -r ]; then reuse=1; shift; fi
ROOT=${1:-/var/tmp/corral-freshroot}
SUITE=bookworm
TOP=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "freshroot: $*" >&2; exit 2; }

# The first URI of a Debian main archive (not -security) the host uses.
host_mirror() {
	cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	    sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p'
}
MIRROR=${2:-$(host_mirror | grep -v -e security -e '^$' | grep debian | head -1)}
[ -n "$MIRROR" ] || die "no Debian mirror in /etc/apt/sources.list.d/: give one as the second argument"

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"
case $ROOT in /*) ;; *) ROOT=$(pwd)/$ROOT ;; esac

if [ "$reuse" -eq 1 ]; then
	[ -x "$ROOT/usr/bin/apt-get" ] || die "-r: $ROOT is not a Debian root"
else
	[ ! -e "$ROOT" ] || die "$ROOT exists: remove it, or give -r to reuse it"
	command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: apt-get install debootstrap"
	echo "== debootstrap --variant=minbase $SUITE $ROOT $MIRROR"
	debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR"
fi

# The tests need /proc and /dev; whatever happens, they are unmounted.
mounted=""
cleanup() {
	for m in $mounted; do
		umount "$m" 2>/dev/null || { echo "freshroot: $m busy, detaching it" >&2; umount -l "$m"; }
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mount -t proc proc "$ROOT/proc"
mounted="$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mounted="$ROOT/dev $mounted"
[ -s "$ROOT/etc/resolv.conf" ] || cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

inroot() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb "$@"; }

echo "== apt-get install make gcc libc6-dev"
inroot sh -c 'DEBIAN_FRONTEND=noninteractive apt-get update -q &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make gcc libc6-dev'

echo "== git clone $TOP at $(git -C "$TOP" rev-parse --short HEAD) into $ROOT/corral"
rm -rf "$ROOT/corral"
git clone -q "$TOP" "$ROOT/corral"
git -C "$ROOT/corral" checkout -q "$(git -C "$TOP" rev-parse HEAD)"

t0=$(date +%s)
echo "== make demo"
inroot sh -c 'cd /corral && make demo'
t1=$(date +%s)
echo "== make demo: done in $((t1 - t0)) s"
echo "== make test"
set +e
inroot sh -c 'cd /corral && make test'
rc=$?
set -e
t2=$(date +%s)
echo "== make test: exit status $rc in $((t2 - t1)) s"
echo "== $ROOT is kept (-r reuses it; rm -rf it when done)"
exit "$rc"
