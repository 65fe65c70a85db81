#!/bin/sh
# The status page (run --http, serve --http), seen as a person sees it: a
# headless Chromium loads it during a running job, and its DOM shows the
# job's name, a progress figure that moves between two loads, the page's
# own live update, and a failure with its reason; files named as HTML or
# script show as text. Then its JSON API, paging, its refusals (another
# Host, a method that writes, a bad address), and a few stalled clients
# that never hold the loop.
. "$(dirname "$0")/lib-serve.sh"

have curl || { skip "no curl"; done_testing; }
BROWSER=$(command -v chromium || command -v chromium-browser || true)

# The files: each one's command waits until its gate is opened, so the
# test decides how far the job has gone. The two named as markup fail.
mkdir -p in gate
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16; do echo "$i" > "in/f$i"; done
bad1='<script>alert(1)'
bad2='<img src=x onerror=alert(2)>'
echo x > "in/$bad1"
echo x > "in/$bad2"
cat > cmd.sh <<'EOF'
n=$(basename "$1")
while [ ! -e "gate/$n" ]; do sleep 0.02; done
case $n in *'<'*) echo "refused <b>$n</b>" >&2; exit 3;; esac
exit 0
EOF
open_gate() { for n in "$@"; do : > "gate/$n"; done; }
done_is() { [ "$(env -u CORRAL_SOCKET "$CORRAL" status -s rst --json | jq .done)" -ge "$1" ]; }

"$CORRAL" run -q -j 2 -s rst --http 0 --job "page <test>" -x "sh cmd.sh {}" in > run.out 2> run.err &
run=$!
url_known() { grep -q 'serving the status page on http://127.0.0.1:[0-9]*/' run.err; }
wait_until url_known
URL=$(grep -o 'http://127.0.0.1:[0-9]*/' run.err)
like "$URL" '^http://127\.0\.0\.1:[0-9]+/$' "run --http 0 listens on loopback and logs its URL"

# Files are in path order: '<img..' and '<script..' come first.
open_gate "$bad2" "$bad1" f01 f02
wait_until done_is 4

curl -s -D head.txt -o page.html "$URL"
like "$(cat head.txt)" 'HTTP/1.1 200' "the page answers"
like "$(cat head.txt)" "Content-Security-Policy: default-src 'none'; script-src 'self'" \
    "... with a policy that allows no inline script"
like "$(cat page.html)" 'page &lt;test&gt;' "the job's name is escaped in the HTML"
ok "$(grep -c '<img src=x' page.html)" "no file name reaches the HTML as markup"

# dom FILE: what Chromium shows after the page's script has run a while.
dom() {
	"$BROWSER" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
	    --user-data-dir="$T/chromium" --virtual-time-budget=2500 --dump-dom "$URL" \
	    > "$1" 2> chromium.err
}
# figure FILE: the done count of the job's row, as the page shows it.
figure() { sed -n 's/.*<td class="done" data-done="\([0-9]*\)".*/\1/p' "$1" | head -1; }

if [ -n "$BROWSER" ]; then
	dom dom1.html
	ok $? "Chromium loads the page during the run"
	like "$(cat dom1.html)" '<a href="/job/1">page &lt;test&gt;</a>' "the DOM shows the job's name as text"
	first=$(figure dom1.html)
	like "$first" '^[0-9]+$' "the DOM shows a done figure ($first)"
	like "$(grep -o 'data-updates="[0-9]*"' dom1.html)" 'data-updates="[1-9]' \
	    "the page updated itself from the server without a reload"
	like "$(cat dom1.html)" 'class="path">in/&lt;script&gt;alert\(1\)</td>' \
	    "a file named <script>... is listed among the failures as text"
	like "$(cat dom1.html)" 'class="path">in/&lt;img src=x onerror=alert\(2\)&gt;</td>' \
	    "... and one named <img onerror=...> too"
	like "$(cat dom1.html)" 'class="error">exit status 3: refused &lt;b&gt;' \
	    "a failure is listed with its error, as text"
	ok "$(grep -c -e '<img src="x"' -e '<script>alert' -e '<b>' dom1.html)" \
	    "no element was made from a file's name or error"

	open_gate f03 f04 f05 f06 f07 f08
	wait_until done_is 10
	dom dom2.html
	second=$(figure dom2.html)
	ok "$([ "${second:-0}" -gt "${first:-0}" ]; echo $?)" \
	    "the progress figure moved between two loads ($first, then $second)"
else
	skip "no chromium: the page is not loaded in a browser"
	open_gate f03 f04 f05 f06 f07 f08
	wait_until done_is 10
fi

# The API: the same data as JSON.
curl -s "${URL}api/status" > status.json
is "$(jq -r '.jobs[0].job' status.json)" "page <test>" "/api/status names the job"
is "$(jq -r '.jobs[0].state' status.json)" "running" "... running"
ok "$(jq -e '.jobs[0].done >= 10 and .jobs[0].total == 18' status.json > /dev/null; echo $?)" \
    "... with its done and total"
is "$(jq '.workers | length' status.json)" 2 "... and its two workers"
is "$(jq -r '[.failures[].path] | sort | join(",")' status.json)" "in/$bad2,in/$bad1" \
    "... and the two recent failures, paths as they are"
is "$(jq -r '.failures[0].error' status.json)" "exit status 3: refused <b>$bad1</b>" \
    "... each with its error"
curl -s "${URL}api/jobs/1" > job.json
is "$(jq -r '.job + " " + (.id|tostring) + " " + .handler' job.json)" "page <test> 1 exec" \
    "/api/jobs/1 is the job, as status --json from a service"
ok "$(jq -e '.rate_per_s > 0 and (.workers | length) == 2' job.json > /dev/null; echo $?)" \
    "... with its rate and its workers"
is "$(curl -s "${URL}api/jobs/page%20%3Ctest%3E" | jq -r .id)" 1 "a job is found by its name too"
curl -s "${URL}api/jobs/1/failed?limit=1" > p1.json
is "$(jq '.files | length' p1.json)" 1 "the failed files come a page at a time"
next=$(jq .next p1.json)
curl -s "${URL}api/jobs/1/failed?limit=1&after=$next" > p2.json
is "$(jq -r '.files[0].path' p2.json)" "in/$bad1" "... the next page after the first"
curl -s "${URL}api/jobs/1/failed?limit=1&after=$(jq .next p2.json)" > p3.json
is "$(jq -c '[(.files | length), .next]' p3.json)" "[0,0]" "... and the last says so"
curl -s "${URL}job/1?limit=1" > jobpage.html
like "$(cat jobpage.html)" "rel=\"next\" href=\"/job/1\?after=$next&amp;limit=1\"" \
    "the job's page links its next page of failed files"
curl -s "${URL}job/1?limit=1&after=$next" > jobpage2.html
like "$(cat jobpage2.html)" 'class="path">in/&lt;script&gt;' "... which lists the next one"

# The metrics, on the same server.
curl -s -D mhead.txt -o metrics.txt "${URL}metrics"
like "$(cat mhead.txt)" 'Content-Type: text/plain; version=0.0.4' "/metrics is the Prometheus text format"
like "$(cat metrics.txt)" 'corral_job_files\{job="page <test>",outcome="failed"\} 2' \
    "... with the job's files by outcome"
/usr/bin/python3 "$TOP/tests/promcheck.py" metrics.txt
ok $? "... valid by prometheus_client's parser and the format's rules"

# Refusals.
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example:80' "$URL")" 403 \
    "a Host that is not loopback is refused (DNS rebinding)"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: localhost' "$URL")" 200 \
    "... localhost is served"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "${URL}api/status")" 405 \
    "a POST is refused: the server is read-only"
is "$(curl -s -o /dev/null -w '%{http_code}' "${URL}nowhere")" 404 "an unknown path is 404"
is "$(curl -s "${URL}api/jobs/99" | jq -r .error)" "no such job" "... an unknown job too, in JSON"

# What a request may not say.
is "$(curl -s -o /dev/null -w '%{http_code}' "${URL}api/jobs/1/failed?limit=abc")" 400 "a limit that is no number: 400"
is "$(curl -s -o /dev/null -w '%{http_code}' "${URL}api/jobs/1/failed?limit=0")" 400 "... nor is 0"
is "$(curl -s "${URL}api/jobs/1/failed?limit=99999999999999999999999" | jq '.files | length')" 2 \
    "a limit past the most: the most"
is "$(curl -s -o /dev/null -w '%{http_code}' "${URL}api/jobs/1/failed?after=99999999999999999999999")" 400 \
    "an after past 2^64: 400, not the first page again"
is "$(curl -s -o /dev/null -w '%{http_code}' "${URL}api/jobs/1%00x")" 404 "a %00 in a name names nothing"
for h in '127.0.0.1:8080@evil.com' 'localhost:evil.com' '127.0.0.1:80.evil.com' '[::1].evil.com'; do
	is "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $h" "$URL")" 403 "Host: $h is refused"
done
for h in '127.0.0.1' '[::1]:8080' 'LOCALHOST:1'; do
	is "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $h" "$URL")" 200 "Host: $h is served"
done
port=$(echo "$URL" | sed 's/.*:\([0-9]*\)\/$/\1/')
raw() {	# raw REQUEST: the status line of the answer to it (\r \n in it as such)
	perl -MIO::Socket::INET -e '
		my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or die "$!\n";
		my $r = $ARGV[1];
		$r =~ s/\\r/\r/g;
		$r =~ s/\\n/\n/g;
		print $c $r;
		my $l = <$c>;
		$l =~ s/\r?\n$//;
		print "$l\n";' "$port" "$1"
}
is "$(raw 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n')" "HTTP/1.1 400 Bad Request" \
    "HTTP/1.1 without a Host: 400"
is "$(raw 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.com\r\nConnection: close\r\n\r\n')" \
    "HTTP/1.1 400 Bad Request" "two Host headers: 400"
is "$(raw 'GET / HTTP/1.0\r\n\r\n')" "HTTP/1.1 200 OK" "HTTP/1.0 without a Host: served"

# Stalled clients: half a request, and a request never read. The job and
# the page go on.
port=$(echo "$URL" | sed 's/.*:\([0-9]*\)\/$/\1/')
mkfifo hold
perl -MIO::Socket::INET -e '
	my @held;
	for my $req ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n",
	    "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") {
		my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or die "$!\n";
		print $c $req;
		$c->flush;
		push @held, $c;
	}
	$| = 1;
	print "held\n";
	<STDIN>;' "$port" < hold > stall.out &
stall=$!
exec 6> hold
wait_until grep -q held stall.out
open_gate f09 f10 f11 f12
wait_until done_is 14
ok "$(curl -s -m 30 "${URL}api/status" | jq -e '.jobs[0].done >= 14' > /dev/null; echo $?)" \
    "with two clients stalled, files are recorded and the page answers"
exec 6>&-
wait "$stall"

open_gate f13 f14 f15 f16
wait "$run"
is $? 1 "the run ends: some files not ok"

# Bad addresses: one line, exit 2.
"$CORRAL" run -q -s st2 --http nonsense -H sha256 in > /dev/null 2> bad.err
is $? 2 "--http nonsense: a usage error"
like "$(cat bad.err)" "http: 'nonsense' is no address" "... that says what an address is"
mkdir in3
echo x > in3/never-opened
"$CORRAL" run -q -s st3 --http 0 -x "sh cmd.sh {}" in3 > /dev/null 2> held.err &
held=$!
held_url() { grep -q 'serving the status page' held.err; }
wait_until held_url
hport=$(grep -o 'http://127.0.0.1:[0-9]*/' held.err | sed 's/.*:\([0-9]*\)\/$/\1/')
"$CORRAL" run -q -s st4 --http "127.0.0.1:$hport" -H sha256 in > /dev/null 2> busy.err
is $? 2 "a port in use: a usage error"
like "$(cat busy.err)" "http: cannot listen on 127.0.0.1:$hport: Address already in use" \
    "... saying so in one line"
kill -INT "$held"
wait "$held"
is $? 130 "the run that held the port is interrupted, resumable"

# A service serves the same page for every job it runs.
start --http 0
ok $? "serve --http 0 starts"
surl=$(grep -o 'http://127.0.0.1:[0-9]*/' serve.log | head -1)
like "$surl" '^http://127\.0\.0\.1:[0-9]+/$' "serve --http 0 logs its URL"
"$CORRAL" submit --socket "$SOCK" --wait --job svc -H sha256 "$T/in" > /dev/null 2>&1
is "$(curl -s "${surl}api/jobs" | jq -r '.jobs[] | select(.job == "svc") | .state + " " + (.ok|tostring)')" \
    "done 18" "the service's page has the job it ran, done"
like "$(curl -s "${surl}")" '<a href="/job/[0-9]*">svc</a>' "... on its status page"
is "$(curl -s "${surl}api/jobs/svc" | jq .rate_per_s)" 0 "a job that ended has no rate"
like "$(curl -s "${surl}job/svc" | grep -o '<td class="rate">[^<]*</td>')" '<td class="rate">—</td>' \
    "... on its page either"

# Failures that say a lot: a page stops at 1 MiB, and a result map above
# 16 KiB is left out of the API, its size given.
# Their paths are long too: 7 directories of 240 characters.
deep=many
for d in 1 2 3 4 5 6 7; do deep=$deep/$(printf "%0240d" "$d"); done
mkdir -p "$deep"
i=0; while [ $i -lt 600 ]; do : > "$deep/f$i"; i=$((i + 1)); done
cat > loud.sh <<'EOF'
head -c 40000 /dev/zero | tr '\0' o
head -c 3000 /dev/zero | tr '\0' e >&2
exit 3
EOF
"$CORRAL" submit --socket "$SOCK" --wait --job loud -x "sh $T/loud.sh" "$T/many" > /dev/null 2>&1
curl -s "${surl}api/jobs/loud/failed?limit=500" > loud.json
n=$(jq '.files | length' loud.json)
ok "$([ "$n" -gt 0 ] && [ "$n" -lt 500 ] && [ "$(jq .next loud.json)" -gt 0 ]; echo $?)" \
    "a page of 500 large failures stops early ($n of them) and says where the next starts"
ok "$([ "$(wc -c < loud.json)" -lt $((1100 * 1024)) ]; echo $?)" "... at about 1 MiB ($(wc -c < loud.json) bytes)"
ok "$(jq -e '.files[0].result == {} and .files[0].result_omitted_bytes > 40000' loud.json > /dev/null; echo $?)" \
    "... each result map above 16 KiB left out, its size given"
# An archive that is cut short: its verdict and reason on the page.
mkdir -p arch/d
i=0; while [ $i -lt 400 ]; do echo "line $i of a file long enough to be cut"; i=$((i + 1)); done > arch/d/a.txt
tar -czf whole.tar.gz -C arch d
rm -r arch/d
head -c 600 whole.tar.gz > arch/cut.tar.gz
"$CORRAL" submit --socket "$SOCK" --wait --job arch -H archive "$T/arch" > /dev/null 2>&1
like "$(curl -s "${surl}")" 'class="path">[^<]*/arch/cut.tar.gz</td><td class="outcome failed">failed</td><td>1</td><td class="error">truncated: [^<]*</td><td class="reasons">malformed: truncated</td>' \
    "a failed archive is listed with its error, verdict and reason"
kill -TERM "$DPID"
wait "$DPID"
is $? 0 "the service stops with its page"
stop_notify

# Under systemd, corral-http.socket's listener is passed beside
# corral.socket's, named http (FileDescriptorName=http): the service serves
# the page on it with no --http, and no network of its own.
if have systemd-socket-activate; then
	# It takes no port 0: a port the kernel just gave and took back.
	free=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
	    LocalAddr => "127.0.0.1:0")->sockport')
	systemd-socket-activate -l "$T/act.sock" -l "127.0.0.1:$free" --fdname=corral.socket:http \
	    -E ASAN_OPTIONS -E UBSAN_OPTIONS -E CORRAL_WORKER \
	    "$CORRAL" serve -s "$T/act" --socket "$T/act.sock" -j 1 --check-workers 0 2> act.log &
	apid=$!
	wait_until test -S "$T/act.sock"
	"$CORRAL" submit --socket "$T/act.sock" --wait --job act -H sha256 "$T/in" > /dev/null 2>&1
	aurl=$(grep -o 'http://127.0.0.1:[0-9]*/' act.log | head -1)
	is "$aurl" "http://127.0.0.1:$free/" "socket activation: the listener named http serves the page"
	is "$(curl -s "${aurl}api/jobs/act" | jq -r .state)" done "... with the service's jobs"
	kill -TERM "$apid"
	wait "$apid"
	is $? 0 "... and the service stops cleanly"
else
	skip "no systemd-socket-activate"
	skip "no systemd-socket-activate"
	skip "no systemd-socket-activate"
fi

done_testing
