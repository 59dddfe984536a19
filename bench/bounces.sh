#!/bin/sh
# bench/bounces.sh BINARY RUNMANY - one-shot wall time on the issue-8
# yardstick, "a typical 10 KB bounce": every corpus message labelled dsn
# of 8,000 to 12,500 bytes, each run RUNS times (BENCH_RUNS, default 201)
# in exit-code mode, with -t (bounce details), and as `cat`, interleaved
# message by message so that load affects all three alike. Prints each
# message's medians and, over the set, the median of those medians and of
# the ratio to cat. Not a test; nothing is asserted.
#
# Environment: CORPUS (default <project>/../shared/corpus), BENCH_RUNS,
# BENCH_MIN / BENCH_MAX (the size range in bytes).
[ $# -eq 2 ] || { echo "usage: $0 BINARY RUNMANY" >&2; exit 2; }
bin=$1 runmany=$2
top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
corpus=${CORPUS:-$top/../shared/corpus}
runs=${BENCH_RUNS:-201}
min=${BENCH_MIN:-8000} max=${BENCH_MAX:-12500}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/unscatter-bounces.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
printf 'rules %s\n' "$top/rules" >"$tmp/unscatter.conf"

awk -F '\t' '!/^#/ && $2 == "dsn" { print $1 }' "$corpus/labels.tsv" | while IFS= read -r p; do
	size=$(wc -c <"$corpus/$p" | tr -d ' ')
	[ "$size" -ge "$min" ] && [ "$size" -le "$max" ] && printf '%s %s\n' "$size" "$p"
done >"$tmp/set"
n=$(wc -l <"$tmp/set" | tr -d ' ')
echo "one-shot wall time, dsn messages of $min-$max bytes: $n, $runs runs each (median ms)"
echo "date: $(date '+%Y-%m-%d %H:%M:%S %z'); load: $(cut -d ' ' -f 1-3 /proc/loadavg)"
printf '%-6s %7s %7s %7s %6s %6s  %s\n' bytes exit -t cat exit/c -t/c message
"$bin" -c "$tmp/unscatter.conf" </dev/null >/dev/null 2>&1	# the rule cache
while read -r size p; do
	f=$corpus/$p
	e=$("$runmany" "$runs" "$f" "$bin" -c "$tmp/unscatter.conf" | cut -d ' ' -f 1)
	t=$("$runmany" "$runs" "$f" "$bin" -c "$tmp/unscatter.conf" -t | cut -d ' ' -f 1)
	c=$("$runmany" "$runs" "$f" cat | cut -d ' ' -f 1)
	awk -v s="$size" -v e="$e" -v t="$t" -v c="$c" -v p="$p" \
		'BEGIN { printf "%-6s %7s %7s %7s %6.2f %6.2f  %s\n", s, e, t, c, e / c, t / c, p }' 
done <"$tmp/set" | tee "$tmp/rows"
med() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'; }
printf 'median %7s %7s %7s %6s %6s\n' "$(awk '{print $2}' "$tmp/rows" | med)" \
	"$(awk '{print $3}' "$tmp/rows" | med)" "$(awk '{print $4}' "$tmp/rows" | med)" \
	"$(awk '{print $5}' "$tmp/rows" | med)" "$(awk '{print $6}' "$tmp/rows" | med)"
echo "load at end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
