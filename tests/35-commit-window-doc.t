#!/bin/sh
# The group commit's window, as the code sets it (supervisor/sup.c:
# COMMIT_WINDOW, COMMIT_COUNT, COMMIT_BYTES), is what README.md,
# docs/corral.1.scd (corral(1)) and docs/state.md say it is.
. "$(dirname "$0")/lib.sh"

sup=$TOP/supervisor/sup.c
define() { sed -n "s/^#define[[:space:]]*$1[[:space:]]*\([^/]*[^/[:space:]]\)[[:space:]]*\(\/\*.*\)\{0,1\}$/\1/p" "$sup"; }
window=$(define COMMIT_WINDOW)
count=$(define COMMIT_COUNT)
bytes=$(define COMMIT_BYTES)
ms=$(awk -v w="$window" 'BEGIN { printf "%d", w * 1000 + 0.5 }')
mib=$(printf '%s\n' "$bytes" | sed -n 's/^(\([0-9]*\)u << 20)$/\1/p')
ok "$([ -n "$window" ] && [ -n "$count" ] && [ -n "$mib" ]; echo $?)" \
	"sup.c defines the window ($window s), the count ($count) and the bytes ($bytes)"

like "$(cat "$TOP/README.md")" "within about $ms ms" "README.md: the window is $ms ms"
like "$(cat "$TOP/docs/corral.1.scd")" "within $ms ms \\(or $count of them, or $mib MiB\\)" \
	"corral.1.scd: $ms ms, $count outcomes, $mib MiB"
like "$(cat "$TOP/docs/state.md")" "closes $ms ms after its first write, or at $count outcomes, or at $mib MiB" \
	"state.md: $ms ms, $count outcomes, $mib MiB"
# No other figure for the window anywhere in the docs: a line on the group
# commit or its window that gives milliseconds gives these.
other=$(grep -rniE '(group commit|commit window|window).*[0-9]+ ?ms|[0-9]+ ?ms.*(group commit|window)' \
	"$TOP/README.md" "$TOP/docs" | grep -v "[^0-9]$ms ms" || true)
is "$other" "" "no other commit window in README.md or docs/"
done_testing
