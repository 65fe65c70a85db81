#!/bin/sh
# What a user of GNU parallel expects, each tried as such a user would:
# counts in English ("1 file"), times in the local time zone (UTC with
# --utc), -j relative to the CPUs (50%, +2, -1), and results of any outcome,
# in CSV or in a line of one's own (--status, --csv, --format).
. "$(dirname "$0")/lib-serve.sh"
unset CORRAL_SOCKET	# state directories first; the service at the end

mkdir in two
echo x > in/a
echo x > two/a
echo y > two/b

# ---- counts in English ----
"$CORRAL" run -q -s st -H sha256 in 2> one.err
like "$(cat one.err)" 'done: 1 of 1 file done: 1 ok' "one file is '1 of 1 file'"
like "$(cat one.err)" 'this run: 1 file in ' "... and 'this run: 1 file'"
"$CORRAL" run -q -s st -H sha256 two 2> two.err
like "$(cat two.err)" 'done: 2 of 2 files done: 2 ok' "two are '2 of 2 files'"
like "$(cat two.err)" 'this run: 2 files in ' "... and 'this run: 2 files'"

# ---- times: the local zone with its offset, or UTC ----
created=$("$CORRAL" status -s st --json | jq .created_ms)
secs=$((created / 1000))
want_utc=$(date -u -d "@$secs" '+%Y-%m-%d %H:%M:%S UTC')
want_ny=$(TZ=America/New_York date -d "@$secs" '+%Y-%m-%d %H:%M:%S %z')
is "$(TZ=America/New_York "$CORRAL" status -s st | sed -n 's/^created *//p')" "$want_ny" \
    "status shows times in TZ's zone, with its offset"
is "$(TZ=America/New_York "$CORRAL" status -s st --utc | sed -n 's/^created *//p')" "$want_utc" \
    "... and in UTC with --utc"
is "$(TZ=Asia/Kolkata "$CORRAL" status -s st | sed -n 's/^created *//p')" \
    "$(TZ=Asia/Kolkata date -d "@$secs" '+%Y-%m-%d %H:%M:%S %z')" "... another zone, another time"

# ---- -j relative to the CPUs ----
cpus=$(getconf _NPROCESSORS_ONLN)
clamp() { if [ "$1" -lt 1 ]; then echo 1; else echo "$1"; fi; }
workers() {	# workers J: how many children `run -j J` starts
	rm -rf stj
	"$CORRAL" run -v -s stj -j "$1" -H sha256 in 2>&1 | grep -c 'started worker'
}
is "$(workers 50%)" "$(clamp $((cpus / 2)))" "-j 50%: half the $cpus CPUs"
is "$(workers 200%)" "$((cpus * 2))" "-j 200%: twice them"
is "$(workers +2)" "$((cpus + 2))" "-j +2: two more"
is "$(workers -1)" "$(clamp $((cpus - 1)))" "-j -1: one fewer (at least one)"
is "$(workers -1000)" 1 "-j -1000: at least one"
is "$(workers 3)" 3 "-j 3: three, as before"
for bad in 0 abc 1025 +x 50%% ''; do
	"$CORRAL" run -q -s stj -j "$bad" -H sha256 in > /dev/null 2> bad.err
	is "$?" 2 "-j '$bad': a usage error"
done
like "$(cat bad.err)" "--workers: '' is not a count from 1 to 1024, a share of the CPUs like 50%" \
    "... saying what it takes"

# ---- GNU parallel's replacement strings, quoted ----
mkdir -p rep/sub
echo x > rep/sub/a.tar.gz
echo x > "rep/it's \$(touch pwned).txt"
echo x > rep/.profile
"$CORRAL" run -q -s sr -j 1 --json -x 'printf "%s|" {} {/} {.} {//} {/.} {#} {%}' rep 2> /dev/null |
    jq -r .result.stdout > rep.out
is "$(cat rep.out)" "rep/.profile|.profile|rep/.profile|rep|.profile|1|1|
rep/it's \$(touch pwned).txt|it's \$(touch pwned).txt|rep/it's \$(touch pwned)|rep|it's \$(touch pwned)|2|1|
rep/sub/a.tar.gz|a.tar.gz|rep/sub/a.tar|rep/sub|a.tar|3|1|" \
    "{} {/} {.} {//} {/.} {#} {%}: as parallel expands them"
ok "$([ ! -e pwned ]; echo $?)" "... each quoted: a name that holds \$(...) runs nothing"

# {%}: the slot, from 1 to -j. Each command waits for its gate, so that
# both children hold one.
mkdir slots gates
for i in 1 2 3 4; do echo "$i" > "slots/f$i"; done
"$CORRAL" run -q -s ss -j 2 --depth 1 --job 'habits <slots>' --json \
    -x 'while [ ! -e gates/{/} ]; do sleep 0.02; done; echo {%}' slots > slots.json 2> /dev/null &
run=$!
both_busy() { [ "$(pgrep -f -c 'corral worker: habits <slots>')" -ge 2 ]; }
wait_until both_busy
like "$(pgrep -f -a 'corral worker: habits' | head -1)" '^[0-9]+ corral worker: habits <slots>' \
    "a worker shows in ps as 'corral worker: JOB'"
: > gates/f1; : > gates/f2; : > gates/f3; : > gates/f4
wait "$run"
is "$(jq -j .result.stdout slots.json | sort -u | tr '\n' ' ')" "1 2 " "{%}: both slots, 1 and 2"

# ---- each command's output on stdout, whole, as parallel gives it ----
mkdir outs
for i in 1 2 3 4; do echo "$i" > "outs/f$i"; done
cmd='while [ ! -e gates/o{/} ]; do sleep 0.02; done; printf "%s says\nbye\n" {/}'
"$CORRAL" run -q -s so1 -j 2 --depth 1 -x "$cmd" outs > plain.out 2> /dev/null &
run=$!
# f2 ends first, then f1, f4, f3: the output comes in that order, each
# file's two lines together.
for f in f2 f1 f4 f3; do
	: > "gates/o$f"
	n=$(($(cat plain.out 2>/dev/null | wc -l) + 2))
	lines() { [ "$(wc -l < plain.out)" -ge "$n" ]; }
	wait_until lines
done
wait "$run"
is "$(tr '\n' ' ' < plain.out)" "f2 says bye f1 says bye f4 says bye f3 says bye " \
    "-x: each file's output on stdout once it is done, its lines together"
rm gates/o*
"$CORRAL" run -q -s so2 -j 2 --depth 1 -k --tag -x "$cmd" outs > kept.out 2> /dev/null &
run=$!
for f in f2 f4 f3; do : > "gates/o$f"; done
wait_until done_at_least so2 3
is "$(cat kept.out)" "" "-k: nothing before the first file is done"
: > gates/of1
wait "$run"
is "$(cat kept.out)" "outs/f1	f1 says
outs/f1	bye
outs/f2	f2 says
outs/f2	bye
outs/f3	f3 says
outs/f3	bye
outs/f4	f4 says
outs/f4	bye" "-k --tag: in the order of the files, each line after its path and a tab"
"$CORRAL" run -q -s so3 --no-output -x "$cmd" outs > none.out 2> /dev/null
is "$(wc -c < none.out)" 0 "--no-output: nothing on stdout"

# ---- --results DIR: each file's stdout, stderr and exit status in a tree ----
mkdir -p res/sub
echo 1 > res/one
echo 2 > "res/sub/it's two"
echo 3 > res/slow
"$CORRAL" run -q -s sres -r 0 -t 0.5s --results rtree --no-output \
    -x 'case $(cat {}) in 3) sleep 30;; esac; cat {}; echo "to stderr" >&2; [ "$(cat {})" = 2 ] && exit 4; exit 0' \
    res > /dev/null 2>&1
is "$(cat rtree/res/one/stdout):$(cat rtree/res/one/stderr):$(cat rtree/res/one/exit)" "1:to stderr:0" \
    "--results: a file's stdout, stderr and exit status under DIR/PATH/"
is "$(cat "rtree/res/sub/it's two/stdout"):$(cat "rtree/res/sub/it's two/exit")" "2:4" \
    "... a failed one's too, its path as it is"
is "$(cat rtree/res/slow/exit):$(wc -c < rtree/res/slow/stdout)" "timeout:0" \
    "... a file that timed out: its outcome in exit"
(cd res && "$CORRAL" run -q -s ../sres2 --results ../rtree2 --no-output -x 'echo up {/}' ../res/one > /dev/null 2>&1)
is "$(cat 'rtree2/%2E%2E/res/one/stdout')" "up one" "... a path with .. stays under DIR (as %2E%2E)"
mkdir -p rtree5/res
ln -s "$T/elsewhere" rtree5/res/one
mkdir elsewhere
"$CORRAL" run -q -s sres5 --results rtree5 --no-output -x 'echo x' res/one > /dev/null 2> link.err
is "$?:$(ls elsewhere | wc -l)" "0:0" "... a symbolic link under DIR is not followed: nothing written through it"
like "$(cat link.err)" "--results rtree5: unable to write the output of res/one" "... and that is said"
"$CORRAL" run -q -s sres6 --results rtree6 -H sha256 res > /dev/null 2> nox.err
like "$?:$(cat nox.err)" "^2:corral: --results: it keeps the output of -x's commands" "--results without -x: refused"
for o in --tag -k --keep-order --no-output; do
	"$CORRAL" run -q -s "sres7$o" "$o" -H sha256 res > /dev/null 2> nox.err
	rc=$?
	case $o in --keep-order) said=-k ;; *) said=$o ;; esac
	like "$rc:$(cat nox.err)" "^2:corral: $said: it is about the output of -x's" "$o without -x: refused"
done

# ---- stdout that is not text: stdout_base64, the exact bytes ----
mkdir bytes
echo x > bytes/f
"$CORRAL" run -q -s sb --json -x "printf 'caf\\351\\000!'" bytes > bytes.json 2> /dev/null
is "$(jq -r '.result | has("stdout")' bytes.json):$(jq -r .result.stdout_base64 bytes.json | base64 -d | od -An -c | tr -s ' ')" \
    "false: c a f 351 \\0 !" "stdout that is not UTF-8 is stdout_base64, its bytes exact"
"$CORRAL" run -q -s sb2 --json -x "printf 'caf\\303\\251'" bytes > text.json 2> /dev/null
is "$(jq -r '(.result | has("stdout_base64") | tostring) + " " + .result.stdout' text.json)" "false café" \
    "... text stays stdout"

# ---- --dry-run: what would run, running and writing nothing ----
echo x > "$(printf 'rep/new\nline')"
"$CORRAL" run --dry-run -s sd -x 'wc -c {} > /dev/null; touch ran' rep > dry.out 2> dry.err
is "$?" 0 "--dry-run: exit 0"
like "$(cat dry.err)" "dry run: job rep-[0-9a-f]+ would be new, in sd" "... names the job, and that it is new"
is "$(cat dry.out)" "wc -c 'rep/.profile' > /dev/null; touch ran
wc -c 'rep/it'\\''s \$(touch pwned).txt' > /dev/null; touch ran
wc -c 'rep/new\\nline' > /dev/null; touch ran
wc -c 'rep/sub/a.tar.gz' > /dev/null; touch ran" \
    "... lists each file's command, as sh -c would run it (a line break shown escaped)"
ok "$([ ! -e sd ] && [ ! -e ran ]; echo $?)" "... and runs nothing, writes nothing"
# A job stopped half-way: the dry run lists the files still to do.
mkdir half
for i in 1 2 3 4; do echo "$i" > "half/f$i"; done
"$CORRAL" run -q -s sh -j 1 --depth 1 --job half -x 'while [ ! -e gates/h{/} ]; do sleep 0.02; done' half > /dev/null 2>&1 &
run=$!
: > gates/hf1
wait_until done_at_least sh 1
kill -INT "$run"
wait "$run"
"$CORRAL" run --dry-run -s sh -j 1 --depth 1 --job half -x 'while [ ! -e gates/h{/} ]; do sleep 0.02; done' half \
    > half.out 2> half.err
like "$(cat half.err)" "job half \(interrupted, [1-3] of 4 files done\) would be resumed" \
    "a dry run of an interrupted job: it would be resumed"
is "$(grep -c . half.out):$(grep -c f1 half.out)" "$((4 - $("$CORRAL" status -s sh --json | jq .done))):0" \
    "... with the files still to do, and not those done"
"$CORRAL" run --dry-run -s sh --job half -x 'true' half > /dev/null 2> refused.err
like "$?:$(cat refused.err)" "^2:corral: dry run: job half would be refused: job half was run with -x" \
    "... and of the same name with another command: it would be refused"
"$CORRAL" run --dry-run -s sh -x 'true' half nowhere > nowhere.out 2> nowhere.err
like "$?:$(cat nowhere.err)" "would be refused: nowhere: No such file or directory$" \
    "... and with an input that is not there, as the run refuses it"
is "$(cat nowhere.out)" "" "... listing nothing"
echo x > notadir
"$CORRAL" run --dry-run -s notadir -H sha256 half > notadir.out 2> notadir.err
like "$?:$(cat notadir.err)" "^2:corral: dry run: job .* would be refused: unable to .* state dir notadir: Not a directory$" \
    "... and with a state dir that cannot be one, as the run refuses it"
mkdir grown
echo a > grown/a
"$CORRAL" run -q -s sg -H sha256 grown > /dev/null 2>&1
echo b > grown/b
"$CORRAL" run --dry-run -s sg -H sha256 grown > grown.out 2> grown.err
is "$(cat grown.out)" "grown/b" "a dry run of a done job lists the file added under its inputs since"
like "$(cat grown.err)" "1 file would be processed" "... and counts it, as the run processes it"
printf 'grown/a\ngrown/a\n./grown/b\ngrown/b\n' > twice.lst
"$CORRAL" run --dry-run -s stw -x 'echo {#} {}' - < twice.lst > twice.out 2> twice.err
"$CORRAL" run -q -k -s stw -x 'echo {#} {}' - < twice.lst > twice.run 2> /dev/null
is "$(cat twice.out | sh)" "$(cat twice.run)" "a dry run lists a path listed twice once, with the seq the run gives"
"$CORRAL" run --dry-run -s stw2 -H sha256 grown grown > /dev/null 2> twice.err
like "$(cat twice.err)" "2 files would be processed" "... and an input named twice, once"

long=$(head -c 5000 /dev/zero | tr '\0' a)
"$CORRAL" run -q -s slong -x "echo $long" half > /dev/null 2> long.err
like "$?:$(cat long.err)" "^2:corral: -x: a command of 5005 bytes; 4095 at most$" \
    "a command too long to keep whole in the job's record: refused, not cut short"

# ---- results: any outcome, a line of one's own, CSV ----
mkdir mix
echo ok > mix/good
echo ok > 'mix/a, "quoted" name'
echo bad > mix/bad
echo slow > mix/slow
printf 'ok\n' > "$(printf 'mix/new\nline')"
cat > judge.sh <<'EOF'
case $(cat "$1") in bad) echo "it is bad" >&2; exit 3;; slow) sleep 30;; esac
EOF
"$CORRAL" run -q -s sm -r 0 -t 0.5s -x "sh $T/judge.sh {}" mix > /dev/null 2>&1
is "$("$CORRAL" results -s sm --status timeout --format '{status} {path}')" "timeout mix/slow" \
    "--status timeout: the timed-out file alone"
is "$("$CORRAL" results -s sm --status failed,timeout --format '{status}' | sort | tr '\n' ' ')" \
    "failed timeout " "--status failed,timeout: both"
is "$("$CORRAL" results -s sm --status ok --format '{path}' | sort | tr '\n' '|')" \
    'mix/a, "quoted" name|mix/good|mix/new\nline|' "--status ok, and a path with a line break shown escaped on one line"
is "$("$CORRAL" results -s sm --status failed --format '{seq}\t{attempts}\t{error}')" \
    "$(printf '2\t1\texit status 3: it is bad')" "--format: fields and a tab"
"$CORRAL" results -s sm --status crashedd > /dev/null 2> bad.err
is "$?:$(cat bad.err)" "2:corral: results: --status: 'crashedd' is no outcome (ok, failed, crashed, timeout, skipped, quarantined)" \
    "an outcome that does not exist: one line, exit 2"
"$CORRAL" results -s sm --format '{pathh}' > /dev/null 2> bad.err
like "$?:$(cat bad.err)" "^2:corral: results: --format: '\{pathh\}' is no field" "a field that does not exist: one line, exit 2"
"$CORRAL" results -s sm --csv --json > /dev/null 2> bad.err
is "$?" 2 "--csv and --json at once: exit 2"
"$CORRAL" results -s sm --csv > mix.csv
/usr/bin/python3 - mix.csv > csv.out <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
print(','.join(rows[0]))
for r in sorted(rows[1:], key=lambda r: r[2]):
    print(len(r), r[2], r[3], r[9], r[10])
EOF
is "$(cat csv.out)" "job,seq,path,status,attempts,duration_ms,finished_ms,signal,exit_code,error,limit
11 mix/a, \"quoted\" name ok  
11 mix/bad failed exit status 3: it is bad 
11 mix/good ok  
11 mix/new\\nline ok  
11 mix/slow timeout timeout after 0.5s total" "--csv: a header, then eleven fields a file, quoted as RFC 4180 says"
is "$(grep -c "$(printf '\r')\$" mix.csv):$(wc -l < mix.csv)" "6:6" "... every line ends in CRLF"

# The same from a service.
export CORRAL_SOCKET=$SOCK
start
"$CORRAL" submit --wait -r 0 -t 0.5s --job mix -x "sh $T/judge.sh {}" "$T/mix" > /dev/null 2>&1
is "$("$CORRAL" results --status timeout --format '{status} {job}' mix)" "timeout mix" \
    "from a service: --status and --format"
is "$("$CORRAL" results --csv mix | wc -l)" 6 "... and --csv: a header and five files"
is "$("$CORRAL" results --status ok mix | wc -l)" 3 "... --status ok: the three ok"
kill -TERM "$DPID"
wait "$DPID"
stop_notify

done_testing
