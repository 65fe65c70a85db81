#!/bin/bash
# corpus.sh KIND DIR N: writes a deterministic benchmark corpus of N files.
#   zip    small zip archives of a few KB (a text entry, a binary one, a dir)
#   mix    the same, alternating zip and tar.gz
#   big    archives of about 1 MB of mixed entries (text, incompressible
#          bytes, zeros), alternating zip and tar.gz
#   tiny   text files of a few dozen bytes
#   empty  empty files
#   dup    small zip archives, one in five distinct and the rest copies of
#          those (for --reuse)
# Files are spread over subdirectories of 1,000. A few source variants are
# made once and copied, so generating 10,000 files takes seconds.
set -euo pipefail
kind=$1 dir=$2 n=$3
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Deterministic incompressible bytes: AES-CTR of zeros under a fixed key.
noise() {	# noise BYTES SEED
	openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$2")" \
		-iv 00000000000000000000000000000000 < /dev/zero 2>/dev/null | head -c "$1" || true
}

variant() {	# variant KIND I: makes $work/v$I.{zip,tgz}
	local i=$2 src=$work/src$2
	mkdir -p "$src/d/sub"
	case $1 in
	small)
		seq "$i" $((i + 400)) > "$src/d/text.txt"
		noise 1024 "$i" > "$src/d/sub/blob.bin"
		;;
	big)
		seq 1 70000 | sed "s/^/$i /" > "$src/d/text.txt"
		truncate -s 409600 "$src/d/text.txt"
		noise 716800 "$i" > "$src/d/sub/noise.bin"
		head -c 307200 /dev/zero > "$src/d/sub/zeros.bin"
		;;
	esac
	bsdtar -C "$src" --format zip -cf "$work/v$i.zip" d
	bsdtar -C "$src" -czf "$work/v$i.tgz" d
}

nvar=16
case $kind in
zip|mix) for i in $(seq 0 $((nvar - 1))); do variant small "$i"; done ;;
big) nvar=4; for i in $(seq 0 $((nvar - 1))); do variant big "$i"; done ;;
dup) nvar=$(( n / 5 > 0 ? n / 5 : 1 ))
	for i in $(seq 0 $((nvar - 1))); do variant small "$((100 + i))"; done ;;
tiny|empty) ;;
*) echo "corpus.sh: unknown kind $kind" >&2; exit 2 ;;
esac

i=0
while [ "$i" -lt "$n" ]; do
	sub=$dir/d$((i / 1000))
	mkdir -p "$sub"
	end=$((i + 1000 < n ? i + 1000 : n))
	case $kind in
	empty)
		(cd "$sub" && seq -f 'f%04g' "$i" $((end - 1)) | xargs touch)
		;;
	tiny)
		for ((j = i; j < end; j++)); do printf 'tiny file %d\n' "$j" > "$sub/f$j.txt"; done
		;;
	*)
		for ((j = i; j < end; j++)); do
			v=$((j % nvar))
			[ "$kind" = dup ] && v=$((100 + v))
			if [ "$kind" = zip ] || [ "$kind" = dup ] || [ $((j % 2)) -eq 0 ]; then
				cp "$work/v$v.zip" "$sub/a$j.zip"
			else
				cp "$work/v$v.tgz" "$sub/a$j.tar.gz"
			fi
		done
		;;
	esac
	i=$end
done
