#!/bin/bash
# run.sh full|quick: corral side by side with the tools people use today,
# and its cost curve, measured in one run on this machine. Every contender
# works on the same generated corpus, in alternation (A B A B ...) for
# ROUNDS rounds after a warm-up round; the report gives medians, min-max and
# ratios. `full` writes docs/benchmarks.md; `quick` (smaller inputs, the
# same figures) writes build/bench/benchmarks-quick.md.
set -euo pipefail
mode=${1:-quick}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CORRAL_BUILD:-build}
CORRAL=$TOP/corral
FLOOR=$TOP/$BUILD/bench/floor
PLAIN=$TOP/$BUILD/bench/plain
# The version before (make's BENCH_BEFORE), one more contender in the
# same run, so that each before/after ratio comes from one run.
BEFORE=$TOP/$BUILD/bench/before/corral
BEFORE_REV=$(cat "$TOP/$BUILD/bench/before/commit" 2>/dev/null || echo "?")
PLUGIN=$TOP/$BUILD/tests/plugins/misbehave.so
FAKEWORKER=$TOP/$BUILD/tests/fakeworker
DATA=${BENCH_DATA:-$TOP/$BUILD/bench/data-$mode}
W=$(mktemp -d /tmp/corral-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
export LC_ALL=C

case $mode in
full)
	N_SMALL=10000 N_BIG=1000 N_TINY=10000 N_EMPTY=100000 N_DUP=2000 DUP_EXEC="corral_exec corral_exec_reuse" SCALE="1000 10000 100000 1000000"
	ROUNDS=5 HANGS=200 CRASHES=1000 RESUME_N=1000000 RESUME_LEFT=1000
	OUT=$TOP/docs/benchmarks.md ;;
quick)
	N_SMALL=1000 N_BIG=50 N_TINY=1000 N_EMPTY=10000 N_DUP=2000 DUP_EXEC="" SCALE="1000 10000"
	ROUNDS=5 HANGS=40 CRASHES=200 RESUME_N=10000 RESUME_LEFT=100
	OUT=$TOP/$BUILD/bench/benchmarks-quick.md ;;
*) echo "usage: run.sh full|quick" >&2; exit 2 ;;
esac
mkdir -p "$(dirname "$OUT")" "$DATA"
say() { printf 'bench: %s\n' "$*" >&2; }

# ---- corpora (kept between runs of the same mode) -------------------------
corpus() {	# corpus KIND N: $DATA/KIND-N, made once
	local d=$DATA/$1-$2
	if [ ! -f "$d.done" ]; then
		say "generating $2 $1 files"
		rm -rf "$d"
		bash "$TOP/bench/corpus.sh" "$1" "$d" "$2"
		find "$d" -type f -print0 | sort -z > "$d.list0"
		tr '\0' '\n' < "$d.list0" > "$d.list"
		touch "$d.done"
	fi
	echo "$d"
}

# ---- timing ---------------------------------------------------------------
now() { date +%s.%N; }
elapsed() {	# elapsed CMD...: runs it, prints its wall seconds
	local t0 t1
	t0=$(now)
	"$@" > /dev/null 2>&1 || true
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
minmax() { tr ' ' '\n' | grep . | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.3f–%.3f", lo, hi}'; }
fmt() { printf '%.3f' "$1"; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }

# A group: contenders run in alternation on one corpus. Each contender is a
# name and a shell function run_NAME; the state it leaves is cleaned first.
# A corral contender's --stats of each round are kept too: the
# supervisor's CPU per file (CPU) and its first dispatch (FD).
declare -A T CPU FD
group() {	# group GROUP NAME...
	local g=$1 r c
	shift
	for c in "$@"; do T[$g:$c]="" CPU[$g:$c]="" FD[$g:$c]=""; done
	for r in $(seq 0 "$ROUNDS"); do
		for c in "$@"; do
			rm -rf "$W/st" "$W/joblog" "$W/stats.json"
			t=$(elapsed "run_$c")
			[ "$r" -gt 0 ] || continue
			T[$g:$c]="${T[$g:$c]} $t"
			if [ -s "$W/stats.json" ]; then
				cp "$W/stats.json" "$W/last-$g-$c.json"
				CPU[$g:$c]="${CPU[$g:$c]} $(jq -r .cpu_us_per_file "$W/stats.json")"
				FD[$g:$c]="${FD[$g:$c]} $(jq -r .first_dispatch_ms "$W/stats.json")"
			fi
		done
		say "$g: round $r done"
	done
}
med() { echo "${T[$1]}" | median; }
cpu() { echo "${CPU[$1]}" | median | xargs printf '%.2f'; }
fd() { echo "${FD[$1]}" | median | xargs printf '%.2f'; }

table() {	# table GROUP NFILES BASE NAME... : markdown rows with ratios to BASE
	local g=$1 n=$2 base=$3 c m bm
	shift 3
	bm=$(med "$g:$base")
	echo "| contender | median s | min–max s | files/s | vs $base |"
	echo "|---|---|---|---|---|"
	for c in "$@"; do
		m=$(med "$g:$c")
		echo "| $c | $(fmt "$m") | $(echo "${T[$g:$c]}" | minmax) | $(echo "$n / $m" | bc -l | xargs printf '%.0f') | $(ratio "$bm" "$m")× |"
	done
}

stat_of() { jq -r "$2" "$1"; }

# ---- contenders -----------------------------------------------------------
CUR=""	# the corpus dir under test
run_floor() {
	"$FLOOR" "$CUR.list0" 0 2 & "$FLOOR" "$CUR.list0" 1 2 & wait
}
run_plain() {
	"$PLAIN" "$CUR.list0" 0 2 & "$PLAIN" "$CUR.list0" 1 2 & wait
}
run_corral() { "$CORRAL" run -q -j 2 -s "$W/st" --stats "$W/stats.json" "$CUR"; }
run_corral_before() { "$BEFORE" run -q -j 2 -s "$W/st" --stats "$W/stats.json" "$CUR"; }
# Progress frames off in the children (CORRAL_NO_PROGRESS, a benchmark's
# switch): what they cost.
run_corral_noprogress() { CORRAL_NO_PROGRESS=1 "$CORRAL" run -q -j 2 -s "$W/st" --stats "$W/stats.json" "$CUR"; }
# The supervisor's own cost: sha256 of empty files.
run_empty() { "$CORRAL" run -q -j 2 -H sha256 -s "$W/st" --stats "$W/stats.json" "$CUR"; }
run_empty_before() { "$BEFORE" run -q -j 2 -H sha256 -s "$W/st" --stats "$W/stats.json" "$CUR"; }
run_corral_nosync() { CORRAL_NOSYNC=1 "$CORRAL" run -q -j 2 -s "$W/st" "$CUR"; }
run_parallel() { parallel -j2 --timeout 60 --joblog "$W/joblog" bsdtar -tf {} < "$CUR.list"; }
run_xargs() { xargs -0 -P2 -n1 bsdtar -tf < "$CUR.list0"; }
run_corral_exec() { "$CORRAL" run -q -j 2 -s "$W/st" -x 'bsdtar -tf {}' "$CUR"; }
run_corral_reuse() { "$CORRAL" run -q -j 2 -s "$W/st" --reuse "$CUR"; }
run_corral_exec_reuse() { "$CORRAL" run -q -j 2 -s "$W/st" --reuse -x 'bsdtar -tf {}' "$CUR"; }
run_corral_sha256() { "$CORRAL" run -q -j 2 -H sha256 -s "$W/st" --stats "$W/stats.json" "$CUR"; }
run_corral_sha256_before() { "$BEFORE" run -q -j 2 -H sha256 -s "$W/st" --stats "$W/stats.json" "$CUR"; }
run_xargs_sha256sum() { xargs -0 -P2 -n1 sha256sum < "$CUR.list0"; }
run_parallel_sha256sum() { parallel -j2 sha256sum {} < "$CUR.list"; }
run_xargs_sha256sum_n500() { xargs -0 -P2 -n500 sha256sum < "$CUR.list0"; }

# ---- the machine ----------------------------------------------------------
machine() {
	echo "- cores: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "- kernel: $(uname -sr); memory: $(free -g | awk '/Mem:/{print $2}') GiB"
	echo "- corral: $("$CORRAL" --version | head -1); $("$CORRAL" --version | sed -n 2p)"
	echo "- sandbox: $("$CORRAL" --version | tail -n +3 | paste -sd ";" - | sed "s/;/; /g")"
	echo "- $(parallel --version | head -1); $(bsdtar --version); $(xargs --version | head -1); $(sha256sum --version | head -1)"
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); mode: $mode; rounds: $ROUNDS after a warm-up"
}

# ---- the runs -------------------------------------------------------------
say "mode $mode, rounds $ROUNDS, corpora in $DATA"
ZIP=$(corpus zip "$N_SMALL")
MIX=$(corpus mix "$N_SMALL")
BIG=$(corpus big "$N_BIG")
TINY=$(corpus tiny "$N_TINY")
DUP=$(corpus dup "$N_DUP")

EMPTY=$(corpus empty "$N_EMPTY")
ONE=$(corpus tiny 1)

CUR=$ZIP; group zip floor plain corral corral_before corral_noprogress parallel xargs corral_exec
ZIP_STATS=$(cat "$W/last-zip-corral.json")
CUR=$MIX; group mix floor plain corral corral_before parallel xargs corral_exec
CUR=$BIG; group big floor plain corral corral_before corral_noprogress
CUR=$TINY; group tiny corral_sha256 corral_sha256_before xargs_sha256sum parallel_sha256sum xargs_sha256sum_n500
CUR=$EMPTY; group empty empty empty_before
CUR=$ONE; group start corral_sha256 corral_sha256_before
CUR=$ZIP; group sync corral corral_nosync
# The exec pair (~45 s) only in full: quick stays under 3 minutes.
CUR=$DUP
# shellcheck disable=SC2086
group dup corral corral_reuse $DUP_EXEC

# The cost curve: sha256 of empty files, one run per size.
CURVE=""
for n in $SCALE; do
	CUR=$(corpus empty "$n")
	rm -rf "$W/st"
	"$CORRAL" run -q -j 2 -H sha256 -s "$W/st" --stats "$W/c.json" "$CUR" > /dev/null 2>&1 || true
	rm -rf "$W/curve-st"
	cp -r "$W/st" "$W/curve-st"
	CURVE="$CURVE| $n | $(stat_of "$W/c.json" .files_per_s | xargs printf '%.0f') | $(stat_of "$W/c.json" .cpu_us_per_file) | $(( $(stat_of "$W/c.json" .maxrss_kb) / 1024 )) | $(( $(du -sk "$W/st" | cut -f1) / 1024 )) |
"
	say "curve: $n done"
done

# Resume: a job of RESUME_N empty files and RESUME_LEFT slow ones after
# them (the test plugin sleeps 300 ms on files named slow-*), killed with
# kill -9 once the fast ones are done; run again, the time from start to the
# first dispatch of a pending file. Then a re-run of the finished sha256 job
# of the cost curve's largest size.
CUR=$(corpus empty "$RESUME_N")
RERUN=$(elapsed "$CORRAL" run -q -j 2 -H sha256 -s "$W/curve-st" "$CUR")
mkdir -p "$W/slow"
for i in $(seq 1 "$RESUME_LEFT"); do : > "$W/slow/slow-$i"; done
rm -rf "$W/st"
"$CORRAL" run -q -j 2 -H "$PLUGIN" -s "$W/st" "$CUR" "$W/slow" > /dev/null 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	d=$("$CORRAL" status -s "$W/st" --json 2>/dev/null | jq -r .done 2>/dev/null || echo 0)
	[ -n "$d" ] && [ "$d" -ge "$RESUME_N" ] && break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
LEFT=$("$CORRAL" status -s "$W/st" --json | jq -r .pending)
"$CORRAL" run -q -j 2 -H "$PLUGIN" -s "$W/st" --stats "$W/r.json" "$CUR" "$W/slow" > /dev/null 2>&1 &
pid=$!
sleep 1.5
kill -INT "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
RESUME_FIRST=$(stat_of "$W/r.json" .first_dispatch_ms)
# The same for GNU parallel: a finished joblog, then --resume.
CUR=$ZIP
rm -rf "$W/joblog"
parallel -j2 --joblog "$W/joblog" bsdtar -tf {} < "$CUR.list" > /dev/null 2>&1 || true
rm -rf "$W/st"
run_corral > /dev/null 2>&1 || true
cp -r "$W/st" "$W/st-done"
PRESUME=""
CRESUME=""
for r in $(seq 1 "$ROUNDS"); do
	PRESUME="$PRESUME $(elapsed sh -c "parallel -j2 --resume --joblog '$W/joblog' bsdtar -tf {} < '$CUR.list'")"
	CRESUME="$CRESUME $(elapsed "$CORRAL" run -q -j 2 -s "$W/st-done" "$CUR")"
done
say "resume done"

# Timeouts: files that hang, a 100 ms timeout. Each beside an ok one (in
# path order), so that crash-loop damping, which pauses a job whose
# children die on many different files in a row, stays out of it: these
# figures are the supervisor's kill and replacement times.
mkdir -p "$W/hang"
for i in $(seq 1 "$HANGS"); do
	n=$(printf %05d "$i")
	echo x > "$W/hang/f$n-hang"
	echo x > "$W/hang/f$n-ok"
done
rm -rf "$W/st"
"$CORRAL" run -q -j 2 -t 100ms -r 0 -H "$PLUGIN" -s "$W/st" --stats "$W/h.json" "$W/hang" > /dev/null 2>&1 || true
say "timeouts done"

# Crash churn: files whose handler crashes at once, each beside an ok one
# as above.
mkdir -p "$W/crash"
for i in $(seq 1 "$CRASHES"); do
	n=$(printf %05d "$i")
	echo x > "$W/crash/f$n-segv"
	echo x > "$W/crash/f$n-ok"
done
rm -rf "$W/st"
"$CORRAL" run -q -j 2 -r 0 -H "$PLUGIN" -s "$W/st" --stats "$W/x.json" "$W/crash" > /dev/null 2>&1 || true
# The crash-loop back-off: a worker that dies before its hello, every time.
rm -rf "$W/st"
BACKOFF=$(elapsed env FAKEWORKER_NOHELLO=1 CORRAL_WORKER="$FAKEWORKER" "$CORRAL" run -q -s "$W/st" "$W/crash")
say "crashes done"

# ---- upload checks: `corral check` against a service busy with a batch -----
# The service runs -j 2 and its check lane; two batch jobs over the small
# zips (the archive handler, and bsdtar per file, which takes longer) keep
# both workers busy while one client, then eight, check a small zip again
# and again; the report says whether the batch outlasted the measurement.
CHECKBENCH=$TOP/$BUILD/bench/checkbench
check_measure() {	# check_measure N CLIENTS: checkbench's JSON, batch running
	local zip
	zip=$(head -1 "$ZIPS.list")
	"$CHECKBENCH" "$W/ctl.sock" "$zip" "$1" "$2"
}
ZIPS=$(corpus zip "$N_SMALL")
rm -rf "$W/svc"
"$CORRAL" serve -s "$W/svc" --socket "$W/ctl.sock" -j 2 2> "$W/serve.log" &
SVC=$!
for i in $(seq 1 200); do [ -S "$W/ctl.sock" ] && break; sleep 0.05; done
CORRAL_SOCKET=$W/ctl.sock "$CORRAL" submit -q --job batch1 "$ZIPS" > /dev/null
CORRAL_SOCKET=$W/ctl.sock "$CORRAL" submit -q --job batch2 -x 'bsdtar -tf {}' "$ZIPS" > /dev/null
CHECK1=$(check_measure 1000 1)
CHECK8=$(check_measure 2000 8)
BATCH_STATE=$(CORRAL_SOCKET=$W/ctl.sock "$CORRAL" status --json batch2 | jq -r .state)
kill -TERM $SVC
wait $SVC || true
say "checks done (batch: $BATCH_STATE at the end)"

# ---- the report -----------------------------------------------------------
zf=$(med zip:floor) zc=$(med zip:corral) zp=$(med zip:parallel) zx=$(med zip:xargs) ze=$(med zip:corral_exec)
zl=$(med zip:plain) zb=$(med zip:corral_before) zn=$(med zip:corral_noprogress)
mf=$(med mix:floor) mc=$(med mix:corral) ml=$(med mix:plain) mb=$(med mix:corral_before)
bf=$(med big:floor) bc_=$(med big:corral) bl=$(med big:plain) bb=$(med big:corral_before) bn=$(med big:corral_noprogress)
# The supervisor's ceiling: one thread that spends CPU_S seconds of CPU on
# each file it dispatches and records cannot pass 1 / CPU_S files a second,
# however many cores feed it. (The children's CPU is not to be had from
# the run's rusage: those killed at the end are not reaped into it.)
e_sup=$(cpu empty:empty) e_supb=$(cpu empty:empty_before)
ceil() { echo "1000000 / $1" | bc -l | xargs printf '%.0f'; }
ts=$(med tiny:corral_sha256) tx=$(med tiny:xargs_sha256sum)
ss=$(med sync:corral) sn=$(med sync:corral_nosync)
dc=$(med dup:corral) dr=$(med dup:corral_reuse) dup_exec_row=""
[ -n "$DUP_EXEC" ] && dup_exec_row=$'\n'"| the same, \`-x 'bsdtar -tf {}'\` | $(ratio "$(med dup:corral_exec)" "$(med dup:corral_exec_reuse)")× | — |"
{
cat <<EOF
# Benchmarks

Generated by \`bench/run.sh $mode\` (\`make bench\`); nothing here is typed by
hand. Every contender ran on the same generated corpus, in alternation, $ROUNDS
rounds after a warm-up round; times are wall-clock seconds, medians with the
min–max beside them. Two workers everywhere (the machine has 2 cores).

## Machine

$(machine)

## Headlines

| figure | measured | target |
|---|---|---|
| \`corral -H archive\` vs the handler floor (its function in-process), $N_SMALL small zips | $(ratio "$zf" "$zc")× (before: $(ratio "$zf" "$zb")×) | ≥ 0.8× |
| the same vs the plain floor (a bare libarchive lister) | $(ratio "$zl" "$zc")× (before: $(ratio "$zl" "$zb")×) | ≥ 0.75× |
| the same, zip/tar.gz mix: handler floor; plain floor | $(ratio "$mf" "$mc")×; $(ratio "$ml" "$mc")× (before: $(ratio "$mf" "$mb")×; $(ratio "$ml" "$mb")×) | ≥ 0.8×; ≥ 0.75× |
| the same, $N_BIG archives of ~1 MB: handler floor; plain floor | $(ratio "$bf" "$bc_")×; $(ratio "$bl" "$bc_")× (before: $(ratio "$bf" "$bb")×; $(ratio "$bl" "$bb")×) | ≥ 0.95× |
| supervisor CPU per file, small zips (median of rounds) | $(cpu zip:corral) µs (before: $(cpu zip:corral_before) µs) | ≤ 3 µs |
| supervisor CPU per file, $N_EMPTY empty files, \`-H sha256\` | $e_sup µs (before: $e_supb µs) | ≤ 3 µs |
| supervisor ceiling (1 / its CPU per file), the projection for 64 cores | $(ceil "$e_sup") files/s (before: $(ceil "$e_supb")) | — |
| first dispatch after start, fresh state directory (median) | $(fd start:corral_sha256) ms (before: $(fd start:corral_sha256_before) ms) | ≤ 5 ms |
| progress frames: small zips with them vs without (time ratio) | $(ratio "$zn" "$zc")× | nothing measurable |
| \`corral -H archive\` vs GNU parallel + bsdtar, small zips | $(ratio "$zp" "$zc")× | ≥ 50× |
| \`corral -H archive\` vs \`xargs -P2 -n1 bsdtar\`, small zips | $(ratio "$zx" "$zc")× | ≥ 20× |
| \`corral -H sha256\` vs \`xargs -P2 -n1 sha256sum\`, $N_TINY tiny files | $(ratio "$tx" "$ts")× | ≥ 10× |
| durable commits vs unsynced (time ratio) | $(ratio "$ss" "$sn")× | ≤ 1.05× |
| \`--reuse\` on $N_DUP small zips, 80% copies: time without / with, \`-H archive\` | $(ratio "$dc" "$dr")× | — |$dup_exec_row
| timeout: deadline → kill, p99 | $(stat_of "$W/h.json" .deadline_to_kill_ms.p99) ms | < 100 ms |
| timeout: kill → replacement ready, p99 | $(stat_of "$W/h.json" .kill_to_ready_ms.p99) ms | < 100 ms |
| resume, $RESUME_N done and $LEFT pending: first dispatch | $(fmt "$RESUME_FIRST") ms | < 1000 ms |
| re-run of a finished $N_SMALL-file job vs \`parallel --resume\` | $(fmt "$(echo "$CRESUME" | median)") s vs $(fmt "$(echo "$PRESUME" | median)") s | no slower |
| \`corral check\` latency during a batch, p99 | $(echo "$CHECK1" | jq -r .p99_ms) ms | < 10 ms |
| checks per second, 8 clients, during a batch | $(echo "$CHECK8" | jq -r .checks_per_s) | — |

\`floor\` is the archive handler's own function in-process; \`plain\` a bare
libarchive lister reading every entry (bench/plain.c); \`corral_before\` the
same command of corral $BEFORE_REV, built from git by make
(\`BENCH_BEFORE\`); \`corral_noprogress\` corral with its children's
progress frames off (\`CORRAL_NO_PROGRESS=1\`, a benchmark's switch).

## $N_SMALL small zip archives (a few KB each)

$(table zip "$N_SMALL" floor floor plain corral corral_before corral_noprogress parallel xargs corral_exec)

## $N_SMALL small archives, zip and tar.gz alternating

$(table mix "$N_SMALL" floor floor plain corral corral_before parallel xargs corral_exec)

## $N_BIG archives of about 1 MB (text, incompressible and zero entries)

$(table big "$N_BIG" floor floor plain corral corral_before corral_noprogress)

## $N_TINY tiny text files, SHA-256

$(table tiny "$N_TINY" corral_sha256 corral_sha256 corral_sha256_before xargs_sha256sum parallel_sha256sum xargs_sha256sum_n500)

## Before and after ($BEFORE_REV and this build, in alternation in this run)

| figure | before | after |
|---|---|---|
| supervisor CPU per file, small zips (µs, median of rounds) | $(cpu zip:corral_before) | $(cpu zip:corral) |
| supervisor CPU per file, zip/tar.gz mix (µs) | $(cpu mix:corral_before) | $(cpu mix:corral) |
| supervisor CPU per file, $N_EMPTY empty files \`-H sha256\` (µs) | $e_supb | $e_sup |
| supervisor ceiling, 1 / its CPU per file (files/s) | $(ceil "$e_supb") | $(ceil "$e_sup") |
| what a child may spend on a file while 63 children keep up with it (63 × its CPU per file, µs) | $(echo "63 * $e_supb" | bc -l | xargs printf '%.0f') | $(echo "63 * $e_sup" | bc -l | xargs printf '%.0f') |
| small zips, median s | $(fmt "$zb") | $(fmt "$zc") |
| zip/tar.gz mix, median s | $(fmt "$mb") | $(fmt "$mc") |
| $N_BIG archives of ~1 MB, median s | $(fmt "$bb") | $(fmt "$bc_") |
| $N_EMPTY empty files \`-H sha256\`, median s | $(fmt "$(med empty:empty_before)") | $(fmt "$(med empty:empty)") |
| first dispatch, 1 file, fresh state directory (ms, median) | $(fd start:corral_sha256_before) | $(fd start:corral_sha256) |
| that whole run, 1 file (s, median) | $(fmt "$(med start:corral_sha256_before)") | $(fmt "$(med start:corral_sha256)") |

The ceiling is the supervisor's alone: one thread, so however many cores
feed it, it dispatches and records at most 1 / (its CPU seconds per file)
files a second. Its CPU per file counts the kernel's work on its behalf:
the open, fstat and close of each file and passing its descriptor, which
it does itself by design (children have no file system), and the state's
writes. On 64 cores it is also the projection, for any handler whose
files take a child less than 63 times the supervisor's CPU per file (the
row above): then 63 children keep up with it, and it is the bound. Not
counted: the disk (one fdatasync a commit, a commit per few hundred
files) and the directory walk's reads of a cold cache.

## Durable commits

$(table sync "$N_SMALL" corral_nosync corral_nosync corral)

\`corral_nosync\` is the same run with \`CORRAL_NOSYNC=1\` (LMDB's MDB_NOSYNC).

## $N_DUP small zips, one in five distinct, the rest copies: \`--reuse\`

$(table dup "$N_DUP" corral corral corral_reuse $DUP_EXEC)

\`corral_reuse\` and \`corral_exec_reuse\` are the same runs with \`--reuse\`, from an empty state
directory each round: each file is hashed in its child first, and a copy
whose original's outcome is already recorded is recorded from it, its
handler not run.

## The supervisor alone (\`--stats\`, last round on the small zips)

| figure | value |
|---|---|
| CPU per file (user + system of the supervisor process) | $(echo "$ZIP_STATS" | jq -r .cpu_us_per_file) µs |
| peak RSS | $(( $(echo "$ZIP_STATS" | jq -r .maxrss_kb) / 1024 )) MiB |
| outcomes per commit | $(echo "$ZIP_STATS" | jq -r .outcomes_per_commit) |
| commit latency p50 / p99 | $(echo "$ZIP_STATS" | jq -r '"\(.commit_ms.p50) / \(.commit_ms.p99)"') ms |

## Cost curve: \`corral run -H sha256\` on empty files

| files | files/s | supervisor CPU µs/file | supervisor peak RSS MiB | LMDB MiB |
|---|---|---|---|---|
$CURVE
## Resume

- A job of $((RESUME_N + RESUME_LEFT)) files killed with kill -9 once $RESUME_N were done ($LEFT pending), run again: its first dispatch came $(fmt "$RESUME_FIRST") ms after start.
- Re-running the finished $RESUME_N-file sha256 job of the cost curve (prints its summary, processes nothing): $(fmt "$RERUN") s.
- Re-running the finished $N_SMALL-zip job: corral median $(fmt "$(echo "$CRESUME" | median)") s ($(echo "$CRESUME" | minmax)); \`parallel --resume\` on its finished joblog median $(fmt "$(echo "$PRESUME" | median)") s ($(echo "$PRESUME" | minmax)).

## Timeouts and crashes

| figure | p50 | p99 | max | n |
|---|---|---|---|---|
| deadline → kill (ms), $HANGS hanging files, \`-t 100ms\` | $(stat_of "$W/h.json" .deadline_to_kill_ms.p50) | $(stat_of "$W/h.json" .deadline_to_kill_ms.p99) | $(stat_of "$W/h.json" .deadline_to_kill_ms.max) | $(stat_of "$W/h.json" .deadline_to_kill_ms.n) |
| kill → replacement ready for its next task (ms) | $(stat_of "$W/h.json" .kill_to_ready_ms.p50) | $(stat_of "$W/h.json" .kill_to_ready_ms.p99) | $(stat_of "$W/h.json" .kill_to_ready_ms.max) | $(stat_of "$W/h.json" .kill_to_ready_ms.n) |
| crash → replacement ready (ms), $CRASHES files that crash at once | $(stat_of "$W/x.json" .kill_to_ready_ms.p50) | $(stat_of "$W/x.json" .kill_to_ready_ms.p99) | $(stat_of "$W/x.json" .kill_to_ready_ms.max) | $(stat_of "$W/x.json" .kill_to_ready_ms.n) |

- Crash churn: $CRASHES crashing files, each beside an ok one, in $(stat_of "$W/x.json" .wall_s) s, $(echo "$(stat_of "$W/x.json" .respawns) / $(stat_of "$W/x.json" .wall_s)" | bc -l | xargs printf '%.0f') replacements per second (a child that dies on a file is replaced at once, with no back-off).
- Crash-loop back-off, shown apart: children that die without a file to blame are restarted after 0 s, then 0.1 s doubling up to 10 s; a worker program that dies before saying hello every time ends the run with exit status 2 after three such deaths (over both slots): $(fmt "$BACKOFF") s from start to exit.

## Upload checks

\`corral serve -j 2\` (its check lane: one more child, for checks only) with
two batch jobs of the $N_SMALL small zips submitted (the archive handler, and
\`-x 'bsdtar -tf {}'\`); while they run, one
client, then eight, each keep one \`CHECK\` of a small zip under way
(\`bench/checkbench SOCKET ZIP N CLIENTS\`: the descriptor passed, latency
from the request's send to its verdict). The batch was still \`$BATCH_STATE\`
when the measurement ended.

| clients | checks | p50 ms | p99 ms | max ms | checks/s |
|---|---|---|---|---|---|
| 1 | $(echo "$CHECK1" | jq -r .n) | $(echo "$CHECK1" | jq -r .p50_ms) | $(echo "$CHECK1" | jq -r .p99_ms) | $(echo "$CHECK1" | jq -r .max_ms) | $(echo "$CHECK1" | jq -r .checks_per_s) |
| 8 | $(echo "$CHECK8" | jq -r .n) | $(echo "$CHECK8" | jq -r .p50_ms) | $(echo "$CHECK8" | jq -r .p99_ms) | $(echo "$CHECK8" | jq -r .max_ms) | $(echo "$CHECK8" | jq -r .checks_per_s) |

## Commands

- floor: \`bench/floor LIST 0 2 & bench/floor LIST 1 2 & wait\` (the archive handler's own function, in-process, two processes on a static split)
- plain: \`bench/plain LIST 0 2 & bench/plain LIST 1 2 & wait\` (every entry of every archive read to its end with libarchive's defaults, nothing else)
- corral: \`corral run -q -j 2 -s STATE --stats FILE DIR\` (a fresh state directory each round); corral_before: the same with corral $BEFORE_REV; corral_noprogress: the same with \`CORRAL_NO_PROGRESS=1\`
- empty: \`corral run -q -j 2 -H sha256 -s STATE --stats FILE DIR\` on $N_EMPTY empty files; start: the same on one file
- parallel: \`parallel -j2 --timeout 60 --joblog FILE bsdtar -tf {} < LIST\`
- xargs: \`xargs -0 -P2 -n1 bsdtar -tf < LIST0\`
- corral_exec: \`corral run -q -j 2 -s STATE -x 'bsdtar -tf {}' DIR\`
- corral_sha256: \`corral run -q -j 2 -H sha256 -s STATE DIR\`; xargs_sha256sum: \`xargs -0 -P2 -n1 sha256sum\`; parallel_sha256sum: \`parallel -j2 sha256sum {}\`; xargs_sha256sum_n500: \`xargs -0 -P2 -n500 sha256sum\`
- Corpora: \`bench/corpus.sh KIND DIR N\` (deterministic).
EOF
} > "$OUT"
say "wrote $OUT"
