#!/bin/sh
# The systemd files (systemd/). corral.service, with @bindir@ set to the
# built corral's directory, and corral.socket pass `systemd-analyze verify`
# with nothing on stderr; `systemd-analyze security --offline=true` rates
# the service's exposure at 2.0 or lower (the score and the items counted
# against it are printed as diagnostics); the sysusers and tmpfiles snippets
# make the user corral and its directories in a scratch root; every key of
# the example corral.conf is one of corral's flags; `make install` puts
# every file in its place with @bindir@ replaced, and `make uninstall`
# takes each away again, and the directories install made, an edited
# config file excepted (tests/55-install-plugin.t builds a plugin against
# what is installed). Works where
# systemd is not PID 1 (a chroot, a container); without systemd-analyze the
# checks that need it are skipped.
. "$(dirname "$0")/lib.sh"

UNITS=$TOP/systemd

# @bindir@ is where `corral` is: the built one, by that name.
bindir=$(cd "$(dirname "$CORRAL")" && pwd)
if [ "$(basename "$CORRAL")" != corral ]; then
	mkdir bin
	ln -s "$CORRAL" bin/corral
	bindir=$T/bin
fi
mkdir units
sed "s|@bindir@|$bindir|g" "$UNITS/corral.service" > units/corral.service
cp "$UNITS/corral.socket" "$UNITS/corral-http.socket" units/
is "$(sed -n 's/^ExecStart=//p' units/corral.service)" \
    "$bindir/corral serve --state /var/lib/corral --socket /run/corral/control.sock --config /etc/corral/corral.conf" \
    "ExecStart names the built corral"
is "$(grep -c '@[a-z]*@' units/corral.service)" 0 "no placeholder is left"
is "$(sed -n 's/^ListenStream=//p' units/corral.socket)" "/run/corral/control.sock" \
    "corral.socket listens where corral.service's --socket points"
is "$(sed -n 's/^\(ListenStream\|FileDescriptorName\|Service\|IPAddressAllow\)=//p' units/corral-http.socket | tr '\n' ' ')" \
    "127.0.0.1:9464 http corral.service localhost " \
    "corral-http.socket: a loopback port, passed to corral.service as http, only loopback let in"

if have systemd-analyze; then
	systemd-analyze verify --man=no --recursive-errors=no units/corral.socket \
	    units/corral-http.socket units/corral.service \
	    > verify.out 2> verify.err
	is "$?" 0 "systemd-analyze verify: exit 0"
	# verify loads the host's units these name (sockets.target,
	# multi-user.target, ...) and warns about any of those it finds
	# wrong: lines that start with such a unit's path are the host's
	# business, not these units'.
	grep -v -E '^(/usr)?/lib/systemd/|^/etc/systemd/|^/run/systemd/' verify.err > ours.err
	is "$(cat verify.out ours.err)" "" "systemd-analyze verify: not a word about these units"
	grep -E '^(/usr)?/lib/systemd/|^/etc/systemd/|^/run/systemd/' verify.err | sed 's/^/# host unit: /'

	systemd-analyze security --offline=true units/corral.service > security.out 2> security.err
	score=$(sed -n 's/.*exposure level for corral\.service: \([0-9][0-9.]*\).*/\1/p' security.out)
	echo "# exposure score of corral.service: ${score:-none}"
	if have jq; then
		systemd-analyze security --offline=true --json=short units/corral.service 2> /dev/null |
		    jq -r '.[] | select(.set == false and .exposure != null and .exposure != "0.0") |
		    "#   \(.exposure) \(.name): \(.description)"'
	fi
	awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 2.0) }'
	ok "$?" "exposure score ${score:-none} is 2.0 or lower"

	# The calls the SystemCallFilter= lines allow, in their order: a
	# line adds its calls, a line starting with ~ takes them away.
	calls() {	# calls NAME...: each call, each group's calls
		for n in "$@"; do
			case $n in
			@*) calls $(systemd-analyze syscall-filter "$n" 2>/dev/null |
			    sed -n 's/^  *\([@a-z_][a-z0-9_-]*\)$/\1/p') ;;
			*) echo "$n" ;;
			esac
		done
	}
	: > allowed
	sed -n 's/^SystemCallFilter=//p' units/corral.service > filters
	while read -r line; do
		case $line in
		"~"*)	calls ${line#"~"} | sort -u > denied
			grep -v -x -F -f denied allowed > kept; mv kept allowed ;;
		*)	calls $line >> allowed; sort -u -o allowed allowed ;;
		esac
	done < filters
	# What a child calls to put up its own walls; without seccomp and
	# Landlock's calls, every child fails its set-up with EPERM.
	missing=""
	for c in seccomp landlock_create_ruleset landlock_add_rule landlock_restrict_self prctl prlimit64; do
		grep -q -x "$c" allowed || missing="$missing $c"
	done
	is "$missing" "" "SystemCallFilter= lets the children put up their sandbox ($(wc -l < allowed) calls allowed)"
	is "$(grep -x -E 'setresuid|setgroups|setpriority' allowed)" "" \
	    "... and not change user or priority (~@privileged @resources)"
else
	skip "systemd-analyze verify: no systemd-analyze here (Debian's systemd package)"
	for i in 1 2 3 4; do skip "systemd-analyze: no systemd-analyze here"; done
fi

# sysusers and tmpfiles, in a scratch root (chown needs root).
if have systemd-sysusers && have systemd-tmpfiles && [ "$(id -u)" -eq 0 ]; then
	mkdir -p root/etc
	systemd-sysusers --root="$T/root" "$UNITS/corral.sysusers" 2> sysusers.err
	is "$?" 0 "systemd-sysusers takes corral.sysusers"
	like "$(grep '^corral:' root/etc/passwd)" '^corral:x:[0-9]+:[0-9]+:corral file processing:/var/lib/corral:' \
	    "... and makes the user corral, at home in its state directory"
	uid=$(grep '^corral:' root/etc/passwd | cut -d: -f3)
	gid=$(grep '^corral:' root/etc/group | cut -d: -f3)
	systemd-tmpfiles --root="$T/root" --create "$UNITS/corral.tmpfiles" 2> tmpfiles.err
	is "$?" 0 "systemd-tmpfiles takes corral.tmpfiles"
	is "$(stat -c '%u:%g %a' root/run/corral 2>&1)" "$uid:$gid 755" "... /run/corral is corral's"
	is "$(stat -c '%u:%g %a' root/etc/corral 2>&1)" "0:0 755" "... /etc/corral is root's"
else
	skip "sysusers and tmpfiles: needs root, systemd-sysusers and systemd-tmpfiles"
	skip "sysusers"
	skip "tmpfiles"
	skip "tmpfiles"
	skip "tmpfiles"
fi

# The example config: every key it documents is a flag (socket is serve's
# own), and each is under [serve] or [defaults].
help=$("$CORRAL" run --help)
bad=""
for k in $(sed -n 's/^#\([a-z][a-z0-9-]*\) = .*/\1/p' "$UNITS/corral.conf"); do
	[ "$k" = socket ] && continue
	printf '%s\n' "$help" | grep -q -- "--$k\b" || bad="$bad $k"
done
is "$bad" "" "every key of the example corral.conf is one of corral's flags"
is "$(grep -c '^#[a-z][a-z0-9-]* = ' "$UNITS/corral.conf")" \
    "$(sed -n 's/^#\([a-z][a-z0-9-]*\) = .*/\1/p' "$UNITS/corral.conf" | sort -u | wc -l)" \
    "... each documented once"
is "$(grep -v -e '^#' -e '^$' "$UNITS/corral.conf")" "[serve]
[defaults]" "... and all of them commented out, under [serve] and [defaults]"

# install and uninstall, into a scratch DESTDIR, with the corral built
# already (-o: never rebuilt from here).
if [ -x "$TOP/corral" ]; then
	mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP" -o corral "$@"; }
	mk install DESTDIR="$T/dest" PREFIX=/usr > install.out 2>&1
	is "$?" 0 "make install"
	# The units go to systemd's directory: /lib/systemd/system on Debian 12,
	# PREFIX/lib/systemd/system where systemd has no pkg-config file.
	is "$(cd dest && find . -type f | sed 's|^\./||; s|^usr/lib/systemd/|lib/systemd/|' | LC_ALL=C sort)" \
	    "etc/corral/corral.conf
lib/systemd/system/corral-http.socket
lib/systemd/system/corral.service
lib/systemd/system/corral.socket
usr/bin/corral
usr/include/corral.h
usr/lib/sysusers.d/corral.conf
usr/lib/tmpfiles.d/corral.conf
usr/share/bash-completion/completions/corral
usr/share/doc/corral/examples/README.md
usr/share/doc/corral/examples/count_bytes.c
usr/share/man/man1/corral.1
usr/share/man/man3/corral-plugin.3
usr/share/man/man5/corral.conf.5
usr/share/pkgconfig/corral.pc" \
	    "... puts the binary, the header, corral.pc, the example plugin, the units, sysusers, tmpfiles, the config, the completion and the man pages in place"
	svc=$(find dest -name corral.service)
	is "$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$svc")" "/usr/bin/corral" "... ExecStart is PREFIX's bin/corral"
	cmp -s "$UNITS/corral.conf" dest/etc/corral/corral.conf
	ok "$?" "... the config is the example"
	mk uninstall DESTDIR="$T/dest" PREFIX=/usr > uninstall.out 2>&1
	is "$?" 0 "make uninstall"
	is "$(cd dest && find . -mindepth 1)" "" "... takes every file away, and the directories install made"

	mk install DESTDIR="$T/dest" PREFIX=/usr > install.out 2>&1
	echo "workers = 2" >> dest/etc/corral/corral.conf
	cp dest/etc/corral/corral.conf edited.conf
	mk install DESTDIR="$T/dest" PREFIX=/usr > install.out 2>&1
	cmp -s edited.conf dest/etc/corral/corral.conf
	ok "$?" "install again: an edited config is not overwritten"
	mk uninstall DESTDIR="$T/dest" PREFIX=/usr > uninstall.out 2>&1
	is "$(cd dest && find . -mindepth 1 | LC_ALL=C sort)" "./etc
./etc/corral
./etc/corral/corral.conf" "uninstall keeps an edited config, and the directories it is in"
	like "$(cat uninstall.out)" "corral.conf was edited: kept" "... and says so"
else
	skip "make install: no corral built at $TOP/corral"
	for i in 1 2 3 4 5 6 7 8; do skip "make install"; done
fi
done_testing
