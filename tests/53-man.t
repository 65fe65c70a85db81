#!/bin/sh
# The man pages that `make man` builds from docs/*.scd render with man(1),
# and say what the program does. corral(1) and the --help texts list the
# same options, both ways: every option a --help names has an entry in
# corral(1) (an option list's term, a command's term, or the SYNOPSIS), and
# every option of such an entry is one some --help names. corral.conf(5)
# has an entry for every key of [serve] (cli/serve.c's flags) and of
# [defaults] (cli/run.c's job options), and no other; corral-plugin(3)'s
# SYNOPSIS declares every function of include/corral.h.
. "$(dirname "$0")/lib.sh"

MAN=$BUILD/man
if ! command -v man >/dev/null 2>&1; then
	echo "1..0 # SKIP no man(1) here (Debian's man-db; make deps installs it)"
	exit 0
fi
# In the C locale, as a plain CI shell has it: the page must render there
# too, with no character groff cannot draw in ASCII.
render() { LC_ALL=C MANWIDTH=80 man -l "$MAN/$1" 2>man.err; }

for page in corral.1 corral.conf.5 corral-plugin.3; do
	render "$page" > "$page.txt"
	ok $? "man -l renders $page"
	is "$(cat man.err)" "" "$page: man says nothing on stderr"
done

# A few entries, as a reader sees them: whole lines of the page.
has() {	# has PAGE LINE DESCRIPTION
	grep -qxF -- "$2" "$1.txt"
	ok $? "$3"
}
has corral.1 '       -j, --workers N' "corral(1): -j, --workers N"
has corral.1 '       --check-timeout DUR' "corral(1): --check-timeout DUR"
has corral.1 '       --extract-suspicious' "corral(1): --extract-suspicious"
has corral.1 '       corral retry [--quarantined] JOB' "corral(1): corral retry [--quarantined] JOB"
for section in SYNOPSIS 'EXIT STATUS' ENVIRONMENT FILES EXAMPLES 'SEE ALSO'; do
	has corral.1 "$section" "corral(1) has $section"
done
has corral.conf.5 '       allow-groups = LIST' "corral.conf(5): allow-groups = LIST"
has corral.conf.5 '       memory-limit = SIZE' "corral.conf(5): memory-limit = SIZE"
has corral-plugin.3 '       corral_result_set_error(r, fmt, ...)' "corral-plugin(3): corral_result_set_error"
has corral-plugin.3 '       E2BIG' "corral-plugin(3): E2BIG"

# Option names in a text: -X and --long-name, not the dash in a word.
options() {
	grep -oE '(^|[^[:alnum:]_-])(-[[:alnum:]]|--[a-z][a-z0-9-]*)([^[:alnum:]_-]|$)' |
		sed -E 's/^[^-]*//; s/[^[:alnum:]]$//' | sort -u
}

# Every --help there is: the program's, run's, serve's, and each command's.
for cmd in "" run serve submit jobs status results pause resume cancel delete retry workers \
	watch check replay; do
	# shellcheck disable=SC2086
	"$CORRAL" $cmd --help 2>&1
done > help.txt
options < help.txt > help.opts
ok "$([ "$(wc -l < help.opts)" -gt 40 ]; echo $?)" "the --help texts name $(wc -l < help.opts) options"

# corral(1)'s entries: a term is a line at the section's indent that the
# entry's body follows at once, one level in; and the SYNOPSIS.
awk '
	/^[A-Z]/ { syn = ($0 == "SYNOPSIS") }
	syn && /^    / { print }
	term != "" && /^           [^ ]/ { print term }
	{ term = ($0 ~ /^       (-|corral )/) ? $0 : "" }
' corral.1.txt > man-terms.txt
options < man-terms.txt > man.opts
ok "$([ "$(wc -l < man.opts)" -gt 40 ]; echo $?)" "corral(1)'s entries name $(wc -l < man.opts) options"

is "$(comm -23 help.opts man.opts | tr '\n' ' ')" "" "every option of a --help has an entry in corral(1)"
is "$(comm -13 help.opts man.opts | tr '\n' ' ')" "" "every option corral(1) has an entry for is in a --help"

# corral.conf(5): its keys are the service's flags but --config and --help,
# and the options of run that go into a job's spec.
sed -n '/serve_options\[\] = {/,/^};/p' "$TOP/cli/serve.c" |
	sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)",.*/\1/p' | grep -vx 'config\|help' > serve.keys
sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)",[^,]*,[^,]*, CTL_GIVEN_.*/\1/p' "$TOP/cli/run.c" > defaults.keys
ok "$([ "$(wc -l < serve.keys)" -gt 10 ] && [ "$(wc -l < defaults.keys)" -gt 15 ]; echo $?)" \
	"cli/ has $(wc -l < serve.keys) keys of [serve] and $(wc -l < defaults.keys) of [defaults]"
awk '
	/^[A-Z[]/ { sec = $0 }
	term != "" && /^           [^ ]/ { print sec "\t" term }
	{ term = ($0 ~ /^       [a-z]/) ? $0 : "" }
' corral.conf.5.txt > conf-terms.txt
for sec in serve defaults; do
	grep "^\\[$sec\\]	" conf-terms.txt | grep -oE '[a-z][a-z0-9-]* =' | sed 's/ =$//' | sort -u > "$sec.doc"
	is "$(sort -u "$sec.keys" | comm -3 - "$sec.doc" | tr '\n\t' '  ')" "" \
		"corral.conf(5) has an entry for each key of [$sec], and for no other"
done

# run's exit status 1 names every outcome that is not ok, and 3 every halt
# rule, in the man page and in the README.
sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' corral.1.txt | tr -s ' \n' '  ' > exit.txt
like "$(cat exit.txt)" "some files were not ok \(failed, crashed, .*, skipped or quarantined\)" \
	"corral(1): exit status 1 names quarantined files too"
like "$(tr -s ' \n' '  ' < "$TOP/README.md")" "3 halted by \`--halt-on-error\` or \`--halt\`" \
	"README: exit status 3 names --halt too"

# corral-plugin(3): every function of the header.
grep -oE 'corral_[a-z_]+\(' "$TOP/include/corral.h" | sort -u > api.fns
sed -n '/^SYNOPSIS/,/^[A-Z]/p' corral-plugin.3.txt | grep -oE 'corral_[a-z_]+\(' | sort -u > syn.fns
ok "$([ "$(wc -l < api.fns)" -ge 8 ]; echo $?)" "include/corral.h declares $(wc -l < api.fns) functions"
is "$(comm -3 api.fns syn.fns | tr '\n\t' '  ')" "" "corral-plugin(3)'s SYNOPSIS declares each of them"
done_testing
