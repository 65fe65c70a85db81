#!/bin/sh
# --include, --exclude, --min-size, --max-size (docs/filters.md): a file
# left out by them is no task at all, whatever its name (spaces, a
# newline, a carriage return, bytes that are not UTF-8, glob
# metacharacters); excludes win; a pattern that matches nothing leaves
# nothing; the size bounds hold their own value; the count left out is in
# the summary and the dry run. The filters are the job's: another set on
# the same job name is refused, another set under a derived name is
# another job, a run killed with -9 and run again keeps them (files added
# meanwhile are filtered the same way, and a file already a task is
# processed as it is when opened, whatever its size then). A service
# takes them from submit and from [defaults].
. "$(dirname "$0")/lib-serve.sh"
unset CORRAL_SOCKET

# paths FILE: the paths of a job's results, one JSON string a line
# (path_base64 for those that are not UTF-8), sorted.
paths() {
	"$CORRAL" results -s "$1" --json ${2:+"$2"} | jq -c '.path_base64 // .path' | LC_ALL=C sort
}

mkdir -p in/a/b "in/sp ace" in/c
echo 1 > in/top.zip
echo 1 > in/a/one.zip
echo 1 > in/a/b/two.zip
echo 1 > in/a/b/two.txt
echo 1 > "in/sp ace/th ree.zip"
echo 1 > "in/a/new
line.zip"
echo 1 > "$(printf 'in/c/bad\377.zip')"
echo 1 > "$(printf 'in/c/crlf.zip\r')"
echo 1 > "in/c/[x].zip"
echo 1 > "in/c/star*.zip"
echo 1 > in/c/skip-me.zip
echo 1 > in/notes.txt
bad=$(printf 'in/c/bad\377.zip' | base64 -w0)

# ---- include and exclude, nested, with hostile names ----
"$CORRAL" run -s st -H sha256 --include '*.zip' --exclude 'a/b/*' --exclude 'skip*' in \
    > /dev/null 2> run.err
is "$?" 0 "run --include '*.zip' --exclude 'a/b/*' --exclude 'skip*'"
want=$(LC_ALL=C sort <<EOF
"in/top.zip"
"in/a/one.zip"
"in/sp ace/th ree.zip"
"in/a/new\nline.zip"
"$bad"
"in/c/[x].zip"
"in/c/star*.zip"
EOF
)
is "$(paths st)" "$want" "exactly the .zip files, not under a/b/, not skip*, at any depth"
is "$("$CORRAL" status -s st --json | jq .total)" 7 "... and the job has 7 files, no other task"
like "$(cat run.err)" "this run: 7 files in .*; 5 files filtered out" \
    "the summary counts the 5 files left out"

# ---- the dry run shows the same ----
"$CORRAL" run -s dry -H sha256 --dry-run --include '*.zip' --exclude 'a/b/*' --exclude 'skip*' \
    in > dry.out 2> dry.err
like "$(cat dry.err)" "7 files would be processed; 5 files filtered out; nothing was run" \
    "--dry-run: 7 files, 5 filtered out"
ok "$(grep -c 'two\.\|skip-me\|notes' dry.out)" "... none of them listed"

# ---- metacharacters matched literally, an include that matches nothing ----
"$CORRAL" run -q -s meta -H sha256 --include '[[]x].zip' --include '*[*].zip' in 2> /dev/null
is "$(paths meta)" "$(printf '"in/c/[x].zip"\n"in/c/star*.zip"')" \
    "--include '[[]x].zip' --include '*[*].zip' match the names with [ and *"
"$CORRAL" run -s none -H sha256 --include 'nothing-is-called-this' in > /dev/null 2> none.err
is "$?" 0 "an --include that matches nothing: the run ends, status 0"
is "$("$CORRAL" status -s none --json | jq -r '"\(.state) \(.total)"')" "done 0" \
    "... its job done with no file"
like "$(cat none.err)" "this run: 0 files in .*; 12 files filtered out" "... every file filtered out"
"$CORRAL" run -q -s cr -H sha256 --include '*.zip' in/c 2> /dev/null
is "$("$CORRAL" results -s cr --json | jq -r .path | grep -c crlf)" 0 \
    "a name ending in a carriage return does not end in .zip"
"$CORRAL" run -q -s one -H sha256 --exclude '*.zip' in/top.zip 2> /dev/null
is "$("$CORRAL" status -s one --json | jq .total)" 0 "a file given directly is matched by its name"
printf 'in/top.zip\nin/a/one.zip\nin/notes.txt\n' |
    "$CORRAL" run -q -s list -H sha256 --include 'in/a/*' - 2> /dev/null
is "$(paths list)" '"in/a/one.zip"' "a path of the stdin list is matched as listed"

# ---- size bounds: inclusive, with suffixes ----
mkdir sz
head -c 9 /dev/zero > sz/s9
head -c 10 /dev/zero > sz/s10
head -c 20 /dev/zero > sz/s20
head -c 21 /dev/zero > sz/s21
head -c 1024 /dev/zero > sz/k1024
head -c 1025 /dev/zero > sz/k1025
"$CORRAL" run -q -s size -H sha256 --min-size 10 --max-size 20 sz 2> /dev/null
is "$(paths size | tr '\n' ' ')" '"sz/s10" "sz/s20" ' \
    "--min-size 10 --max-size 20: the files of 10 and 20 bytes, not 9 or 21"
"$CORRAL" run -q -s size2 -H sha256 --min-size 21 --max-size 1K sz 2> /dev/null
is "$(paths size2 | tr '\n' ' ')" '"sz/k1024" "sz/s21" ' \
    "--min-size 21 --max-size 1K: 1K is 1024 bytes, in; 1025 out"
"$CORRAL" run -q -s size3 -H sha256 --max-size 0 sz in/notes.txt 2> /dev/null
is "$("$CORRAL" status -s size3 --json | jq .total)" 0 "--max-size 0: no file that is not empty"

# ---- the filters are the job's spec ----
out=$("$CORRAL" run -q -s st -H sha256 --job "$("$CORRAL" status -s st --json | jq -r .job)" \
    --include '*.zip' in 2>&1)
is "$?" 2 "the same job with other filters is refused"
like "$out" "was run with --include/--exclude --include '\*.zip' --exclude 'a/b/\*' --exclude 'skip\*'; this command has --include/--exclude --include '\*.zip'" \
    "... naming both sets"
"$CORRAL" run -q -s st -H sha256 --include '*.txt' in 2> /dev/null
is "$("$CORRAL" jobs -s st --json | jq -s length)" 2 "another set under a derived name: another job"

# ---- killed with -9 mid-run, run again: the same filters ----
mkdir gate
: > gate/0-await.zip		# holds its child until it is not empty
for i in 1 2 3 4 5; do echo "$i" > "gate/f$i.zip"; echo "$i" > "gate/f$i.txt"; done
set -- -s kill -j 1 --depth 1 -t 1h -H "$PLUGIN" --include '*.zip' --max-size 100 gate
"$CORRAL" run "$@" > /dev/null 2> kill.err &
RPID=$!
wait_until grep -q 'await: waiting' kill.err
wait_until sh -c '"$CORRAL" status -s kill --json | jq -e ".total == 6"'
kill -9 "$RPID"
wait "$RPID" 2> /dev/null
is "$("$CORRAL" status -s kill --json | jq -r .state)" interrupted "killed -9 while a file is held"
head -c 200 /dev/zero > gate/0-await.zip	# released, and past --max-size now
echo 6 > gate/f6.zip
echo 6 > gate/f6.txt
head -c 101 /dev/zero > gate/big.zip
"$CORRAL" run "$@" > /dev/null 2> again.err
is "$?" 0 "the same command again finishes the job"
is "$(paths kill | tr '\n' ' ')" \
    '"gate/0-await.zip" "gate/f1.zip" "gate/f2.zip" "gate/f3.zip" "gate/f4.zip" "gate/f5.zip" "gate/f6.zip" ' \
    "its files: the .zip ones, f6.zip found on the way, not the .txt ones nor big.zip"
is "$("$CORRAL" results -s kill --json | jq -r 'select(.path == "gate/0-await.zip") | .status')" ok \
    "... the file held at the kill processed as opened, though past --max-size by then"

# ---- through a service: submit's filters, and [defaults] ----
CONF=$T/corral.conf
echo 1 > "$T/in/c/x.tar"
printf '[defaults]\nhandler = sha256\ninclude = *.zip\nexclude = skip*\ninclude = *.tar\nmin-size = 1\n' \
    > "$CONF"
start --config "$CONF" --check-workers 0
ok $? "the service starts with [defaults] include twice, exclude and min-size"
export CORRAL_SOCKET=$SOCK
"$CORRAL" submit --wait -q --job d "$T/in/c" > /dev/null 2>&1
is "$?" 0 "submit without filters"
is "$("$CORRAL" results --json d | jq -c '.path_base64 // .path' | LC_ALL=C sort | tr '\n' ' ')" \
    "$(printf '"%s/in/c/[x].zip"\n"%s"\n"%s/in/c/star*.zip"\n"%s/in/c/x.tar"\n' "$T" \
    "$(printf '%s/in/c/bad\377.zip' "$T" | base64 -w0)" "$T" "$T" | LC_ALL=C sort | tr '\n' ' ')" \
    "... takes [defaults]' include (given twice) and exclude"
"$CORRAL" submit --wait -q --job e --include '*.txt' --max-size 1 "$T/in" "$T/sz" > /dev/null 2>&1
is "$?" 0 "submit --include '*.txt' --max-size 1"
is "$("$CORRAL" results --json e | jq -r .path | sed "s|^$T/||" | LC_ALL=C sort | tr '\n' ' ')" \
    "" "... its own patterns and bounds: no .txt of at most 1 byte, so none"
"$CORRAL" submit --wait -q --job f --include '*.txt' --min-size 2 "$T/in" > /dev/null 2>&1
is "$("$CORRAL" results --json f | jq -r .path | sed "s|^$T/||" | LC_ALL=C sort | tr '\n' ' ')" \
    "in/a/b/two.txt in/notes.txt " "submit --include '*.txt' --min-size 2: the .txt files, no skip*"
out=$("$CORRAL" submit --wait -q --job f --include '*.zip' "$T/in" 2>&1)
is "$?" 2 "a job submitted again with other filters is refused"
like "$out" "was run with --include/--exclude --include '\*.txt'" "... naming them"
out=$("$CORRAL" submit -q --job g --include '' "$T/in" 2>&1)
is "$?" 2 "submit --include '' is refused"
like "$out" "^corral: --include: an empty GLOB matches nothing$" "... in one line"

alive "$DPID" && kill -TERM "$DPID"
wait "$DPID"
stop_notify
done_testing
