#!/bin/sh
# Entry names are read as UTF-8 whatever the host's locale. Names in Latin
# accents, CJK and emoji, written by every writer that stores them as
# Unicode (Python's zipfile with the UTF-8 flag, bsdtar's and 7z's zip,
# Info-ZIP, 7z, GNU tar, Python's tarfile, and by tests/mkforeign.py a
# RAR5 archive and LHA archives with Shift-JIS and UTF-16 names under
# their code-page records), go through corral run in the C locale: each
# archive is ok and clean, its manifest holds exactly those names, and
# --extract writes them under exactly those names with the bytes the
# writer stored. Names in a legacy code page with no mark of their
# encoding (a zip of CP437 or Shift-JIS names, flag bit 11 clear) keep
# their documented reason, bad_name_encoding, and nothing of them is
# written.
. "$(dirname "$0")/lib.sh"
umask 022

utf8() { env -u LANGUAGE -u LC_CTYPE -u LC_MESSAGES LC_ALL=C.UTF-8 "$@"; }
# corral as CI runs it: the C locale, whatever this host's is.
corral_c() { env -u LANG -u LANGUAGE -u LC_CTYPE -u LC_MESSAGES LC_ALL=C "$CORRAL" "$@"; }

A='café-ñ.txt' J='日本語' K='日本語/文書.txt' E='emoji-😀.txt'
mkdir -p "src/$J" in ref exp
printf 'café\n' > "src/$A"
printf '文書\n' > "src/$K"
printf '😀\n' > "src/$E"
printf '%s\n' "$A" "$E" "$K" | LC_ALL=C sort > exp/std

# case NAME EXPECT TOOL CMD...: runs CMD in src/ to write in/NAME. EXPECT
# is the file in exp/ that lists the names of its files; a name starting
# with "legacy" expects bad_name_encoding instead.
: > cases
case_() {
	name=$1 want=$2 tool=$3
	shift 3
	if ! have "$tool"; then
		skip "$name: $tool is not installed"
		return
	fi
	if (cd src && "$@") > "log.$name" 2>&1 && [ -s "in/$name" ]; then
		printf '%s\t%s\n' "$name" "$want" >> cases
	else
		rm -f "in/$name"
		ok 1 "$name: written by $tool"
		sed 's/^/#   /' "log.$name" | head -10
	fi
}

pyzip() {
	utf8 python3 - "$@" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for n in ["café-ñ.txt", "日本語", "日本語/文書.txt", "emoji-😀.txt"]:
        z.write(n)
# zipfile marks every non-ASCII name with flag bit 11 and writes it as UTF-8.
assert all(i.flag_bits & 0x800 for i in zipfile.ZipFile(sys.argv[1]).infolist())
EOF
}
pytar() {
	utf8 python3 - "$@" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1], sys.argv[2], format=tarfile.PAX_FORMAT) as t:
    for n in ["café-ñ.txt", "日本語", "emoji-😀.txt"]:
        t.add(n)
EOF
}
case_ python-zipfile.zip std python3 pyzip ../in/python-zipfile.zip
case_ bsdtar-zip.zip std bsdtar utf8 bsdtar --format zip -cf ../in/bsdtar-zip.zip "$A" "$J" "$E"
case_ bsdtar-7zip.7z std bsdtar utf8 bsdtar --format 7zip -cf ../in/bsdtar-7zip.7z "$A" "$J" "$E"
case_ 7z.7z std 7z utf8 7z a -bd ../in/7z.7z "$A" "$J" "$E"
case_ 7z-zip.zip std 7z utf8 7z a -bd -tzip ../in/7z-zip.zip "$A" "$J" "$E"
case_ infozip.zip std zip utf8 zip -q -r ../in/infozip.zip "$A" "$J" "$E"
case_ gnutar-gnu.tar std tar tar --format=gnu -cf ../in/gnutar-gnu.tar "$A" "$J" "$E"
case_ gnutar-posix.tar.gz std tar tar --format=posix -czf ../in/gnutar-posix.tar.gz "$A" "$J" "$E"
case_ python-tarfile-pax.tar std python3 pytar ../in/python-tarfile-pax.tar w
case_ python-tarfile-pax.tar.xz std python3 pytar ../in/python-tarfile-pax.tar.xz w:xz

F="$TOP/tests/mkforeign.py"
if have python3; then
	for k in rar5-names lha-cp932 lha-utf16; do
		python3 "$F" names "$k" | grep -v '/$' | LC_ALL=C sort > "exp/$k"
	done
fi
case_ rar5-names.rar rar5-names python3 python3 "$F" rar5-names ../in/rar5-names.rar
case_ lha-cp932.lzh lha-cp932 python3 python3 "$F" lha-cp932 ../in/lha-cp932.lzh
case_ lha-utf16.lzh lha-utf16 python3 python3 "$F" lha-utf16 ../in/lha-utf16.lzh
case_ legacy-cp437.zip - python3 python3 "$F" zip-cp437 ../in/legacy-cp437.zip
case_ legacy-sjis.zip - python3 python3 "$F" zip-sjis ../in/legacy-sjis.zip

corral_c run -q -j 2 -s st --json in > out.jsonl 2> err.txt
ok "$([ "$(wc -l < out.jsonl)" -eq "$(wc -l < cases)" ]; echo $?)" "one outcome per archive ($(wc -l < cases))"
corral_c run -q -j 2 -s stx --job x --extract out --json in > x.jsonl 2> xerr.txt
# And once in a UTF-8 locale: the host's locale changes nothing.
utf8 "$CORRAL" run -q -j 2 -s stu --json in > u.jsonl 2> uerr.txt

verdict() {	# verdict JSONL NAME: status, verdict, reasons with entries
	jq -r --arg p "in/$2" 'select(.path==$p) | .status + " " + (.result.verdict // "-") + " " +
		([.result.reasons[]? | .code + "(" + (.entry // "") + (if .detail then ": " + .detail else "" end) + ")"] | join(" "))' "$1"
}
tab=$(printf '\t')
while IFS=$tab read -r name want; do
	judged='.path + " " + .status + " " + .result.verdict + " " +
		([.result.reasons[]?.code] | join(",")) + " " + ([.result.files[]?.name] | join("|"))'
	is "$(jq -r --arg p "in/$name" "select(.path==\$p) | $judged" u.jsonl)" \
		"$(jq -r --arg p "in/$name" "select(.path==\$p) | $judged" out.jsonl)" \
		"$name: judged the same in C.UTF-8 as in C"
	case $name in
	legacy*)
		like "$(verdict out.jsonl "$name")" '^ok suspicious .*bad_name_encoding\(' \
			"$name: suspicious, bad_name_encoding"
		is "$(find "out/x/in/$name" -mindepth 1 2>/dev/null | head -3)" "" "$name: nothing extracted"
		continue ;;
	esac
	is "$(verdict out.jsonl "$name")" "ok clean " "$name: ok, clean, no reason"
	files=$(jq -r --arg p "in/$name" 'select(.path==$p) | .result.files[]? |
		select(.flags | index("dir") | not) | .name' out.jsonl | LC_ALL=C sort)
	is "$files" "$(cat "exp/$want")" "$name: the manifest names its files exactly"
	dirs=$(jq -r --arg p "in/$name" 'select(.path==$p) | [.result.files[]? |
		select(.flags | index("dir")) | .name | rtrimstr("/")] | unique | join(",")' out.jsonl)
	case $dirs in "" | "$J") ok 0 "$name: the manifest names its directory exactly" ;;
	*) is "$dirs" "$J" "$name: the manifest names its directory exactly" ;; esac

	got=$(jq -r --arg p "in/$name" 'select(.path==$p) | .status + " " +
		((.result.extracted // false) | tostring) + " " + (.result.extract_reason // "") + " " + (.result.extract_entry // "")' x.jsonl)
	is "$got" "ok true  " "$name: extracted"
	[ -d "out/x/in/$name" ] || continue
	made=$(cd "out/x/in/$name" 2>/dev/null && find . -mindepth 1 ! -type d -printf '%P\n' | LC_ALL=C sort)
	is "$made" "$(cat "exp/$want")" "$name: written under exactly those names"
	mkdir -p "ref/$name"
	if utf8 bsdtar -xf "in/$name" -C "ref/$name" > "log.x.$name" 2>&1; then
		d=$(diff -r --no-dereference "ref/$name" "out/x/in/$name" 2>&1)
		is "$d" "" "$name: the same names and bytes as bsdtar's in a UTF-8 locale"
	else
		ok 1 "$name: bsdtar extracts it in a UTF-8 locale"
		sed 's/^/#   /' "log.x.$name" | head -5
	fi
done < cases
done_testing
