#!/bin/sh
# The live progress on a terminal 40 columns wide is fitted to it: no line
# of the block is longer (in characters, not bytes), a long path is
# shortened in the middle with "…", and the headline has the ok count and
# the elapsed time. Waiting for a stdin list that has nothing yet, the
# run says so. (That the rate leaves out a Ctrl-Z stop is in
# tests/unit_progress.c.)
. "$(dirname "$0")/lib.sh"

if ! have script || ! script -q -c true /dev/null < /dev/null > /dev/null 2>&1; then
	skip "no util-linux script to make a terminal"
	done_testing
fi
# tty CMD: runs CMD on a terminal of 40 columns; what it shows goes to stdout.
tty() { script -q -c "stty cols 40 rows 20; $1" /dev/null < /dev/null; }
# The block's lines, escape sequences gone, log lines ("corral: ...") left out.
block() {
	sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1" | tr '\r' '\n' | grep -v '^corral: ' | grep -v '^$'
}

long=in/a-directory-with-a-long-name/and-another-one-below-it
mkdir -p "$long"
for i in 1 2 3 4 5 6; do echo x > "$long/slow-$i"; done
echo x > in/short
tty "'$CORRAL' run -j 2 -s st -H '$PLUGIN' in > out" > tty.out
is "$(grep -c 'job in-.* 7 ok' tty.out)" 1 "the job ran on the terminal, all ok"
block tty.out > lines
like "$(cat lines)" '^[0-9]+/7 ok [0-9]+ ' "the headline has the ok count"
like "$(cat lines)" '^[0-9]+/7 ok [0-9]+ elapsed [0-9]+\.[0-9]s ' "... and the elapsed time, in tenths"
like "$(cat lines)" '\[[01]\] pid [0-9]+ [0-9]+\.[0-9]s in/a-d.*….*slow-[1-6]$' \
    "a long path is shortened in the middle with …"
longest=$(while IFS= read -r l; do printf '%s' "$l" | LC_ALL=C.UTF-8 wc -m; done < lines | sort -n | tail -1)
ok "$([ "${longest:-99}" -le 40 ]; echo $?)" "no line of the block is longer than 40 columns (longest $longest)"

# The stdin list: a FIFO that gets its paths only once the line is shown.
mkfifo list
tty "'$CORRAL' run -j 2 -s st2 -H '$PLUGIN' - < list > out2" > tty2.out &
pid=$!
exec 3> list
waiting() { grep -q 'waiting for paths on stdin' tty2.out; }
wait_until -t 30 waiting
ok $? "with nothing on stdin yet, the block says it waits for paths"
printf '%s\n' "$long/slow-1" in/short >&3
exec 3>&-
wait "$pid"
is "$(grep -c 'job .* 2 ok' tty2.out)" 1 "then the paths given are processed"
done_testing
