#!/bin/sh
# Takes docs/status-page.png: the status page of a service with three jobs
# (archives done, with the broken ones among the failures; a command per
# file half-way through; a paused one) seen in headless Chromium at
# 1280x1000. Needs ./corral built, chromium, curl and jq.
# Usage: sh scripts/screenshot.sh [OUT.png]
set -eu
cd "$(dirname "$0")/.."
out=${1:-docs/status-page.png}
browser=$(command -v chromium || command -v chromium-browser) ||
	{ echo "screenshot: no chromium" >&2; exit 2; }
T=$(mktemp -d)
chmod 755 "$T"	# children run as nobody when started as root
pid=
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
sh tests/mkcorpus.sh "$T/archives" 300 9 > /dev/null
mkdir -p "$T/gate" "$T/reports"
chmod -R a+rX "$T"
i=0
while [ $i -lt 40 ]; do
	printf 'report %d\n' $i > "$T/reports/report-$(printf %03d $i).txt"
	i=$((i + 1))
done
./corral serve -s "$T/st" --socket "$T/sock" -j 2 --check-workers 0 --http 0 2> "$T/log" &
pid=$!
until grep -q 'serving the status page' "$T/log"; do sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$T/log")
export CORRAL_SOCKET="$T/sock"
./corral submit --wait --job uploads-2026-12-06 "$T/archives" > /dev/null || true
./corral submit --job nightly-reports --priority 20 \
	-x "while [ ! -e $T/gate/\$(basename {}) ]; do sleep 0.05; done" "$T/reports" > /dev/null
./corral submit --job backfill -H sha256 /usr/share/doc > /dev/null
./corral pause backfill > /dev/null
for n in 000 001 002 003 004 005 006 007 008 009 010 011 012 013 014 015; do
	: > "$T/gate/report-$n.txt"
done
until [ "$(curl -s "${url}api/jobs/nightly-reports" | jq .done)" -ge 16 ]; do sleep 0.1; done
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$T/chromium" \
	--window-size=1280,1000 --virtual-time-budget=1500 --screenshot="$out" "$url" 2> /dev/null
echo "screenshot: $out"
