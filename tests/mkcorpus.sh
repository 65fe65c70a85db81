#!/bin/sh
# mkcorpus.sh DIR N [BAD]: writes N small archives of mixed formats (zip,
# tar.gz, tar.xz, tar.bz2, 7z) under DIR, spread over a few subdirectories,
# and BAD broken files (truncated, garbage, plain text). Deterministic.
set -eu
dir=$1 n=$2 bad=${3:-0}
mkdir -p "$dir"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
mkdir -p "$src/d/sub"
i=0
while [ "$i" -lt "$n" ]; do
	sub="$dir/part$((i % 4))"
	mkdir -p "$sub"
	printf 'entry %d\n' "$i" > "$src/d/a.txt"
	seq 1 $((i % 50 + 1)) > "$src/d/sub/b.txt"
	name=$(printf 'a%06d' "$i")
	case $((i % 5)) in
	0) bsdtar -C "$src" --format zip -cf "$sub/$name.zip" d ;;
	1) bsdtar -C "$src" -czf "$sub/$name.tar.gz" d ;;
	2) bsdtar -C "$src" -cJf "$sub/$name.tar.xz" d ;;
	3) bsdtar -C "$src" -cjf "$sub/$name.tar.bz2" d ;;
	4) bsdtar -C "$src" --format 7zip -cf "$sub/$name.7z" d ;;
	esac
	i=$((i + 1))
done
i=0
while [ "$i" -lt "$bad" ]; do
	name=$(printf 'bad%03d' "$i")
	case $((i % 3)) in
	0) seq 1 2000 | bsdtar -C "$src" -czf - d | head -c 60 > "$dir/$name-truncated.tar.gz" ;;
	1) printf 'PK\003\004this is not really a zip file at all\n' > "$dir/$name-garbage.zip" ;;
	2) printf 'just some text, not an archive\n' > "$dir/$name-text.txt" ;;
	esac
	i=$((i + 1))
done
