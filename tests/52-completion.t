#!/bin/bash
# Bash completion (completion/corral.bash), driven as bash drives it: the
# function `complete -p corral` names, called with COMP_WORDS, COMP_CWORD,
# COMP_LINE and COMP_POINT. Commands, options read from the binary's help,
# the values of -H and --fail-on, directories for -s, job names from a real
# state dir (one with a space and quotes in its name), paths with spaces,
# and nothing at all, quickly, where no state dir or service answers. The
# same again with bash-completion's helpers when it is installed.
. "$(dirname "$0")/lib.sh"
unset CORRAL_SOCKET

. "$TOP/completion/corral.bash"
registered=$(complete -p corral)
like "$registered" '^complete -F [_a-z]+ corral$' "the script registers a function for corral"
fn=${registered#complete -F }
fn=${fn%% *}

# comp WORD...: what the function offers for the last WORD, one a line,
# sorted. A word "=" stands for the shell's split of --opt=value.
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_LINE=${COMP_LINE// = /=}
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$fn" 2>/dev/null
	[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
}

mkdir -p in 'in dir' nost
echo one > in/a
echo two > 'in dir/b'
touch plug.so notes.txt
"$CORRAL" run -q -s st -H sha256 --job 'two "words"' in > /dev/null 2>&1
ok $? "a job in the state dir st"

checks() {	# checks MODE: the assertions, with MODE's helpers
	local m=$1
	is "$(comp "$CORRAL" st)" status "$m: 'st' is status"
	like "$(comp "$CORRAL" '')" '^check$' "$m: every command: check..."
	like "$(comp "$CORRAL" '')" '^watch$' "$m: ... and watch"
	is "$(comp "$CORRAL" run --ti)" --timeout "$m: run --ti is --timeout"
	is "$(comp "$CORRAL" submit --wa)" --wait "$m: submit --wa is --wait, a client option"
	is "$(comp "$CORRAL" run --wa)" "" "$m: run has no --wait"
	is "$(comp "$CORRAL" serve --check-t)" --check-timeout "$m: serve's options from serve --help"
	is "$(comp "$CORRAL" met)" metrics "$m: 'met' is metrics"
	is "$(comp "$CORRAL" rep)" replay "$m: 'rep' is replay"
	is "$(comp "$CORRAL" replay --gdb)" "$(printf -- '--gdb\n--gdb-batch\n--gdb-ex')" \
	    "$m: replay --gdb is --gdb, --gdb-batch or --gdb-ex"
	is "$(comp "$CORRAL" replay in/)" in/a "$m: replay takes a FILE"
	is "$(comp "$CORRAL" run --metrics-f):$(comp "$CORRAL" serve --metrics-f)" --metrics-file:--metrics-file \
	    "$m: run and serve have --metrics-file"
	is "$(comp "$CORRAL" metrics -)" "$(printf -- '--help\n--socket\n--state\n-s')" \
	    "$m: metrics takes -s, and --socket as a client"
	is "$(comp "$CORRAL" results --f)" "$(printf -- '--failed\n--format')" \
	    "$m: results --f is --failed or --format, no run option"
	is "$(comp "$CORRAL" -H '')" "" "$m: no values before a command"
	is "$(comp "$CORRAL" run -H '')" "archive
exec
in
in dir
nost
plug.so
sha256
st" "$m: -H: the handlers, plugins and directories, not notes.txt"
	is "$(comp "$CORRAL" check --fail-on '')" suspicious "$m: --fail-on suspicious"
	is "$(comp "$CORRAL" run --halt '')" "$(printf 'now,fail=\nsoon,fail=')" "$m: --halt now,fail= or soon,fail="
	is "$(comp "$CORRAL" submit --halt s)" "soon,fail=" "$m: submit --halt s is soon,fail="
	is "$(comp "$CORRAL" run --inc):$(comp "$CORRAL" run --exc):$(comp "$CORRAL" submit --min-s)" \
	    "--include:--exclude:--min-size" "$m: run and submit have the filters"
	is "$(comp "$CORRAL" run --include '')" "" "$m: --include takes a GLOB: nothing offered"
	is "$(comp "$CORRAL" run -s n)" nost "$m: -s: directories"
	is "$(comp "$CORRAL" run -j '')" "" "$m: -j takes a number: nothing offered"
	is "$(comp "$CORRAL" status -s st '')" 'two\ \"words\"' "$m: status: the job name, quoted"
	is "$(comp "$CORRAL" results --json -s st 'two\ \"w')" 'two\ \"words\"' "$m: from a quoted prefix"
	is "$(comp "$CORRAL" watch --json --state = st x)" "" "$m: no job starts with x"
	is "$(comp "$CORRAL" status --state = st '')" 'two\ \"words\"' "$m: --state=st is read too"
	is "$(comp "$CORRAL" status -s nost '')" "" "$m: a dir with no state: nothing"
	is "$(comp "$CORRAL" pause --socket "$T/nosock" '')" "" "$m: no service: nothing"
}
checks plain
is "$(comp "$CORRAL" run 'in\ d')" "in dir" "plain: a path with a space"
is "$(comp "$CORRAL" check "'in d")" "in dir" "plain: ... from a quoted prefix"

# A service that takes the connection and never answers: given up on.
python3 -c 'import socket, time
s = socket.socket(socket.AF_UNIX); s.bind("hang.sock"); s.listen(); time.sleep(30)' &
wait_until -t 10 test -S hang.sock
start=$(now_ms)
is "$(comp "$CORRAL" cancel --socket hang.sock '')" "" "a service that never answers: nothing"
took=$(($(now_ms) - start))
ok $((took > 5000)) "... within the two seconds' bound (${took} ms)"
kill %1

bc=/usr/share/bash-completion/bash_completion
if [ -r "$bc" ]; then
	# shellcheck disable=SC1090
	. "$bc"
	checks bash-completion
else
	skip "bash-completion is not installed"
fi
done_testing
