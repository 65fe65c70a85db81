#!/bin/sh
# Honest archives are clean. One small tree is archived, at test time, by
# the usual writers of each platform (bsdtar in every format it writes,
# GNU tar with its compressors, Info-ZIP, Python's zipfile and tarfile, 7z,
# gcab, genisoimage, dpkg-deb, rpmbuild, ar, jlha) and, for the Windows
# tools no Debian package has, by tests/mkforeign.py (a RAR5 archive as
# WinRAR writes it, a 7z archive as 7-Zip on Windows writes it). Every one
# is `ok`, `clean` and without a reason. Packages are looked into: the
# tars inside a .deb and the cpio inside an .rpm are named in the
# manifest. With --extract every one is written out whole: the same
# files, bytes, symlinks, directories and modes (as far as corral keeps
# them: docs/extract.md) as the writing tool's own extractor gives, or
# bsdtar where the tool has none or refuses a symlink that goes up a level
# (7-Zip). A writer or extractor that is not installed skips its cases; it
# never fails them.
. "$(dirname "$0")/lib.sh"
umask 022


# The tree: files, an executable, an empty directory, two levels of
# subdirectory, a symlink beside its target and one that goes up a level.
mkdir -p src/sub/deeper src/empty in ref
printf 'hello\n' > src/a.txt
printf '#!/bin/sh\necho hi\n' > src/run.sh
chmod 755 src/run.sh
seq 1 3000 > src/sub/b.txt
awk 'BEGIN { for (i = 0; i < 512; i++) printf "%07d\n", i * 7919 % 10007 }' > src/sub/deeper/c.dat
ln -s a.txt src/link
ln -s ../a.txt src/sub/up
FILES="a.txt run.sh link sub empty"

# case NAME REF TOOL CMD...: runs CMD in src/ to write in/NAME; REF is how
# the reference tree is extracted (ref_extract). TOOL absent: a skip.
: > cases
case_() {
	name=$1 refx=$2 tool=$3
	shift 3
	for t in "$tool" "$refx"; do
		if ! have "$t"; then
			skip "$name: $t is not installed"
			return
		fi
	done
	if (cd src && "$@") > "log.$name" 2>&1 && [ -s "in/$name" ]; then
		printf '%s\t%s\n' "$name" "$refx" >> cases
	else
		rm -f "in/$name"
		ok 1 "$name: written by $tool"
		sed 's/^/#   /' "log.$name" | head -10
	fi
}

for f in ustar.tar pax.tar gnutar.tar v7tar.tar cpio.cpio newc.cpio zip.zip 7zip.7z iso9660.iso xar.xar; do
	case_ "bsdtar-$f" bsdtar bsdtar bsdtar --format "${f%.*}" -cf "../in/bsdtar-$f" $FILES
done
case_ bsdtar-pax.tar.gz bsdtar bsdtar bsdtar --format pax -czf ../in/bsdtar-pax.tar.gz $FILES
case_ bsdtar-pax.tar.xz bsdtar bsdtar bsdtar --format pax -cJf ../in/bsdtar-pax.tar.xz $FILES
case_ bsdtar-gnutar.tar.bz2 bsdtar bsdtar bsdtar --format gnutar -cjf ../in/bsdtar-gnutar.tar.bz2 $FILES
case_ bsdtar-pax.tar.zst bsdtar bsdtar bsdtar --format pax --zstd -cf ../in/bsdtar-pax.tar.zst $FILES
case_ bsdtar-ustar.tar.lz4 bsdtar bsdtar bsdtar --format ustar --lz4 -cf ../in/bsdtar-ustar.tar.lz4 $FILES
case_ bsdtar-zip-stored.zip bsdtar bsdtar bsdtar --format zip --options zip:compression=store -cf ../in/bsdtar-zip-stored.zip $FILES

for f in gnu posix ustar oldgnu v7; do
	case_ "gnutar-$f.tar" tar tar tar --format="$f" -cf "../in/gnutar-$f.tar" $FILES
done
case_ gnutar-gnu.tar.gz tar tar tar --format=gnu -czf ../in/gnutar-gnu.tar.gz $FILES
case_ gnutar-posix.tar.bz2 tar bzip2 tar --format=posix -cjf ../in/gnutar-posix.tar.bz2 $FILES
case_ gnutar-posix.tar.xz tar xz tar --format=posix -cJf ../in/gnutar-posix.tar.xz $FILES
case_ gnutar-gnu.tar.zst tar zstd tar --format=gnu --zstd -cf ../in/gnutar-gnu.tar.zst $FILES

case_ infozip-symlinks.zip unzip zip zip -q -r -y ../in/infozip-symlinks.zip $FILES
case_ infozip-followed.zip unzip zip zip -q -r ../in/infozip-followed.zip $FILES
case_ infozip-stored.zip unzip zip zip -q -r -y -0 ../in/infozip-stored.zip $FILES
case_ infozip-bzip2.zip unzip zip zip -q -r -y -Z bzip2 ../in/infozip-bzip2.zip $FILES

# Python's writers, as a script does it: every file and directory of the
# tree in walk order, symlinks stored as what they point to (zipfile) or as
# links (tarfile).
pyzip() {	# pyzip OUT COMPRESSION
	python3 - "$1" "$2" <<'EOF'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", getattr(zipfile, sys.argv[2])) as z:
    for top in sys.argv[3:] or ["a.txt", "run.sh", "link", "sub", "empty"]:
        z.write(top)
        for root, dirs, files in os.walk(top):
            dirs.sort()
            for n in sorted(dirs + files):
                z.write(os.path.join(root, n))
EOF
}
pytar() {	# pytar OUT MODE FORMAT
	python3 - "$1" "$2" "$3" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1], sys.argv[2], format=getattr(tarfile, sys.argv[3])) as t:
    for top in ["a.txt", "run.sh", "link", "sub", "empty"]:
        t.add(top)
EOF
}
for c in ZIP_DEFLATED ZIP_STORED ZIP_BZIP2 ZIP_LZMA; do
	case_ "python-$c.zip" bsdtar python3 pyzip "../in/python-$c.zip" "$c"
done
case_ python-pax.tar bsdtar python3 pytar ../in/python-pax.tar w PAX_FORMAT
case_ python-gnu.tar.gz bsdtar python3 pytar ../in/python-gnu.tar.gz w:gz GNU_FORMAT
case_ python-ustar.tar.bz2 bsdtar python3 pytar ../in/python-ustar.tar.bz2 w:bz2 USTAR_FORMAT
case_ python-pax.tar.xz bsdtar python3 pytar ../in/python-pax.tar.xz w:xz PAX_FORMAT

case_ 7z-lzma2.7z bsdtar 7z 7z a -bd -snl ../in/7z-lzma2.7z $FILES
case_ 7z-copy.7z bsdtar 7z 7z a -bd -snl -mx=0 ../in/7z-copy.7z $FILES
case_ 7z-ppmd.7z bsdtar 7z 7z a -bd -snl -m0=PPMd ../in/7z-ppmd.7z $FILES
case_ 7z-bzip2.7z bsdtar 7z 7z a -bd -snl -m0=BZip2 ../in/7z-bzip2.7z $FILES
case_ 7z-solid-bcj.7z bsdtar 7z 7z a -bd -ms=on -mf=BCJ ../in/7z-solid-bcj.7z $FILES
case_ 7z-zip.zip unzip 7z 7z a -bd -tzip ../in/7z-zip.zip $FILES

case_ gcab.cab cabextract gcab gcab -c ../in/gcab.cab a.txt run.sh
case_ gcab-mszip.cab cabextract gcab gcab -c -z ../in/gcab-mszip.cab a.txt sub/b.txt sub/deeper/c.dat

case_ genisoimage-rr-joliet.iso bsdtar genisoimage genisoimage -quiet -R -J -o ../in/genisoimage-rr-joliet.iso .
case_ genisoimage-plain.iso bsdtar genisoimage genisoimage -quiet -o ../in/genisoimage-plain.iso .

# A .deb is an ar archive of two compressed tars.
mkdir -p pkg/DEBIAN pkg/usr/share/doc/honest
printf 'Package: honest\nVersion: 1.0\nArchitecture: all\nMaintainer: corral tests <t@example.org>\nDescription: an honest package\n' \
	> pkg/DEBIAN/control
cp src/a.txt src/sub/b.txt pkg/usr/share/doc/honest/
ln -s b.txt pkg/usr/share/doc/honest/c.txt
case_ dpkg-deb.deb ar dpkg-deb dpkg-deb --root-owner-group -b ../pkg ../in/dpkg-deb.deb
case_ dpkg-deb-gzip.deb ar dpkg-deb dpkg-deb --root-owner-group -Zgzip -b ../pkg ../in/dpkg-deb-gzip.deb
# The same package put together with Debian's ar, as build scripts do
# (deterministic mode: members stored with permissions and no file type).
mkdeb_ar() {
	mkdir -p ../debparts &&
	(cd ../debparts && ar x ../in/dpkg-deb.deb && ar rc ../in/ar-deb.deb debian-binary control.tar.xz data.tar.xz)
}
case_ ar-deb.deb ar ar mkdeb_ar

mkrpm() {
	mkdir -p ../rpm/SPECS
	cat > ../rpm/SPECS/honest.spec <<EOF
Name: honest
Version: 1.0
Release: 1
Summary: an honest package
License: MIT
BuildArch: noarch
%description
An honest package.
%install
mkdir -p %{buildroot}/usr/share/honest/sub
cp $PWD/a.txt $PWD/run.sh %{buildroot}/usr/share/honest/
cp $PWD/sub/b.txt %{buildroot}/usr/share/honest/sub/
ln -s a.txt %{buildroot}/usr/share/honest/link
%files
/usr/share/honest
EOF
	HOME=$T rpmbuild -bb --quiet --define "_topdir $T/rpm" --define '_binary_payload w2.xzdio' \
		--define '__os_install_post %{nil}' --define 'debug_package %{nil}' \
		../rpm/SPECS/honest.spec &&
	cp ../rpm/RPMS/noarch/honest-1.0-1.noarch.rpm ../in/rpmbuild.rpm
}
case_ rpmbuild.rpm bsdtar rpmbuild mkrpm

mkar() {	# mkar OUT FLAGS: a static library of two objects
	printf 'int one(void) { return 1; }\n' > ../one.c
	printf 'int two(void) { return 2; }\n' > ../two.c
	cc -c -o ../one.o ../one.c && cc -c -o ../two.o ../two.c &&
	(cd .. && ar "$2" "in/$1" one.o two.o)
}
case_ ar-rcs.a ar cc mkar ar-rcs.a rcs
case_ ar-rcS.a ar cc mkar ar-rcS.a rcS

case_ jlha.lzh jlha jlha jlha a ../in/jlha.lzh a.txt run.sh sub
case_ jlha-level2.lzh jlha jlha jlha a2 ../in/jlha-level2.lzh a.txt run.sh sub
case_ jlha-stored.lzh jlha jlha jlha az ../in/jlha-stored.lzh a.txt run.sh sub

case_ rar5-winrar.rar bsdtar python3 python3 "$TOP/tests/mkforeign.py" rar5 ../in/rar5-winrar.rar
case_ 7z-windows.7z bsdtar python3 python3 "$TOP/tests/mkforeign.py" 7z-windows ../in/7z-windows.7z

# One inspection of them all.
"$CORRAL" run -q -j 2 -s st --json in > out.jsonl 2> err.txt
ok "$([ "$(wc -l < out.jsonl)" -eq "$(wc -l < cases)" ]; echo $?)" "one outcome per archive ($(wc -l < cases))"
tab=$(printf '\t')
while IFS=$tab read -r name refx; do
	got=$(jq -r --arg p "in/$name" 'select(.path==$p) | .status + " " + (.result.verdict // "-") + " " +
		([.result.reasons[]? | .code + "(" + (.entry // "") + (if .detail then ": " + .detail else "" end) + ")"] | join(" "))' out.jsonl)
	is "$got" "ok clean " "$name: ok, clean, no reason"
done < cases

# Inside the packages: the payload's files are in the manifest.
inside() {	# inside NAME ENTRY: ENTRY is in NAME's manifest
	cut -f1 cases | grep -qxF "$1" || { skip "$1: not written"; return; }
	n=$(jq -r --arg p "in/$1" 'select(.path==$p) | .result.files[]?.name' out.jsonl | grep -cxF "$2")
	is "$n" 1 "$1: its manifest names $2"
}
inside dpkg-deb.deb "data.tar.xz!/./usr/share/doc/honest/a.txt"
inside dpkg-deb-gzip.deb "data.tar.gz!/./usr/share/doc/honest/b.txt"
inside ar-deb.deb "data.tar.xz!/./usr/share/doc/honest/c.txt"
inside ar-deb.deb "control.tar.xz!/./control"
inside rpmbuild.rpm "./usr/share/honest/sub/b.txt"

# Then extraction: every one is written out as its writer reads it.
ref_extract() {	# ref_extract HOW ARCHIVE DIR
	case $1 in
	bsdtar) bsdtar -xf "$2" -C "$3" ;;
	tar) tar -xf "$2" -C "$3" ;;
	unzip) unzip -q "$2" -d "$3" ;;
	cabextract) cabextract -q -d "$3" "$2" ;;
	ar) (cd "$3" && ar x "$T/$2") ;;
	jlha) (cd "$3" && jlha xq "$T/$2") ;;
	esac
}
# A tree as corral keeps it: kind, mode as docs/extract.md sets it (files
# mode & 0755 | 0600, directories mode & 0755 | 0700), name, link target.
tree_of() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %P %l\n') | LC_ALL=C sort -k3 |
	perl -ane '$m = oct($F[1]) & 0755; $m |= $F[0] eq "d" ? 0700 : 0600;
		$F[1] = $F[0] eq "l" ? "-" : sprintf("%o", $m); print "@F\n"'
}
"$CORRAL" run -q -j 2 -s stx --job x --extract out --json in > x.jsonl 2> xerr.txt
while IFS=$tab read -r name refx; do
	got=$(jq -r --arg p "in/$name" 'select(.path==$p) | .status + " " +
		((.result.extracted // false) | tostring) + " " + (.result.extract_reason // "") + " " + (.result.extract_entry // "")' x.jsonl)
	is "$got" "ok true  " "$name: extracted"
	[ -d "out/x/in/$name" ] || continue
	mkdir -p "ref/$name"
	if ! ref_extract "$refx" "in/$name" "ref/$name" > "log.x.$name" 2>&1; then
		ok 1 "$name: the reference extraction ($refx) works"
		sed 's/^/#   /' "log.x.$name" | head -5
		continue
	fi
	is "$(tree_of "out/x/in/$name" 2>&1)" "$(tree_of "ref/$name")" "$name: the same names, kinds, modes and links as $refx's"
	d=$(diff -r --no-dereference "ref/$name" "out/x/in/$name" 2>&1)
	is "$d" "" "$name: the same bytes as $refx's"
done < cases
done_testing
