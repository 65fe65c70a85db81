#!/bin/sh
# 10,000 files with 2 workers: the job completes (no deadlock), every file
# once, and the supervisor leaks no descriptor: its open descriptors at the
# end equal those after start-up.
. "$(dirname "$0")/lib.sh"

mkdir -p in
i=0
while [ $i -lt 100 ]; do
	mkdir "in/d$i"
	j=0
	while [ $j -lt 100 ]; do : > "in/d$i/f$j"; j=$((j + 1)); done
	i=$((i + 1))
done
"$CORRAL" run -v -j 2 -H sha256 -s st --json in > out.jsonl 2> err.txt
is "$?" 0 "exit 0"
is "$(wc -l < out.jsonl)" 10000 "10,000 outcomes"
is "$(jq -r .path out.jsonl | sort -u | wc -l)" 10000 "each file once"
is "$(jq -r .result.sha256 out.jsonl | sort -u)" "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "sha256 of empty files"
fds=$(grep -o 'open descriptors: [0-9]* after start-up, [0-9]* at the end' err.txt)
like "$fds" "open descriptors" "descriptor counts logged"
a=$(echo "$fds" | sed 's/.*: \([0-9]*\) after.*/\1/')
b=$(echo "$fds" | sed 's/.*, \([0-9]*\) at the end/\1/')
is "$b" "$a" "no descriptor leaked"
is "$(jq -r .seq out.jsonl | sort -n | head -1)-$(jq -r .seq out.jsonl | sort -n | tail -1)" "1-10000" "sequence numbers 1..10000"
is "$("$CORRAL" results -s st --json | jq -r .path | head -3 | tr '\n' ' ')" "in/d0/f0 in/d0/f1 in/d0/f10 " "found in path order"
done_testing
