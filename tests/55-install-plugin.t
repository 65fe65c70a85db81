#!/bin/sh
# A plugin author's path through `make install`: into a scratch DESTDIR,
# pkg-config finds corral.pc there (with that DESTDIR as its sysroot) and
# gives the installed include directory and corral's own version; the
# installed example plugin builds with those flags alone, against the
# installed corral.h, and runs under corral with its result keys in each
# file's result. `make uninstall` then leaves nothing in DESTDIR, neither a
# file nor a directory, but keeps a directory that holds someone else's
# file and that file.
. "$(dirname "$0")/lib.sh"

if [ ! -x "$TOP/corral" ] || ! have pkg-config || ! have cc; then
	for i in 1 2 3 4 5 6 7 8 9; do skip "needs corral built at $TOP/corral, pkg-config and cc"; done
	done_testing
fi
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP" -o corral "$@"; }

mk install DESTDIR="$T/dest" PREFIX=/usr > install.out 2>&1
is "$?" 0 "make install"
# PKG_CONFIG_LIBDIR, not _PATH: only DESTDIR's corral.pc, never the host's.
pc() { PKG_CONFIG_SYSROOT_DIR="$T/dest" PKG_CONFIG_LIBDIR="$T/dest/usr/share/pkgconfig" pkg-config "$@"; }
cflags=$(pc --cflags corral)
is "$(echo $cflags)" "-I$T/dest/usr/include" "pkg-config --cflags corral: DESTDIR's include directory"
version=$("$CORRAL" --version | sed -n '1s/^corral \([0-9][^ ]*\) .*/\1/p')
is "$(pc --modversion corral)" "${version:-none in corral --version}" \
    "pkg-config --modversion corral: the version corral --version prints"
is "$(pc --libs corral | tr -d ' ')" "" "... and no library to link: corral provides the API"

example=$T/dest/usr/share/doc/corral/examples/count_bytes.c
cc $cflags -shared -fPIC -o plug.so "$example" 2> cc.err
is "$?:$(cat cc.err)" "0:" "the installed example builds with those flags, without a word"
cc $cflags -M "$example" > deps.out 2>&1
like "$(tr -s ' \\\n' '\n\n' < deps.out)" "^$T/dest/usr/include/corral\.h$" "... against the installed corral.h"

mkdir in
printf 'hello\n' > in/a
printf 'x\ny\n' > in/b
"$CORRAL" run -q -s st -H ./plug.so in > run.out 2>&1
is "$?" 0 "corral runs the plugin"
is "$("$CORRAL" results -s st --json | jq -r '[.path, .status, .result.bytes, .result.lines] | map(tostring) | join(" ")' |
    LC_ALL=C sort)" "in/a ok 6 1
in/b ok 4 2" "... each file ok, with the example's bytes and lines"

# Someone else's file in a directory install shares: kept, with its parents.
mkdir -p dest/usr/share/doc/other
echo theirs > dest/usr/share/doc/other/file
mk uninstall DESTDIR="$T/dest" PREFIX=/usr > uninstall.out 2>&1
is "$(cd dest && find . -mindepth 1 | LC_ALL=C sort)" "./usr
./usr/share
./usr/share/doc
./usr/share/doc/other
./usr/share/doc/other/file" "make uninstall: no file and no directory of install's left, another's kept"
done_testing
