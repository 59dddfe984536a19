#!/bin/sh
# tests/bench-scan.sh BINARY - throughput of `BINARY scan` over the whole
# shared corpus (not a test; nothing is asserted).
#
# The message list is labels.tsv's, passed on stdin (scan --no-mbox -), so
# every corpus file is one message, as in one-shot mode. After a warm-up
# pass (page cache, binary), the scan runs BENCH_RUNS times with the default
# number of threads (one per CPU) and BENCH_RUNS times with one thread
# (-j 1); each run's wall time is taken around the whole process (start,
# rule loading, walk, classification, output to /dev/null) and also
# read from the scan's own summary line (walk to last output line). The
# medians are reported, with user and system CPU seconds of the median run
# when /usr/bin/time is there, and messages per CPU second: on a machine
# shared with other work that is the steadier figure, and N idle CPUs give
# at most N times it.
#
# Environment:
#   CORPUS           corpus folder (default: <project>/../shared/corpus)
#   BENCH_RULES_DIR  rules directory for the config (default: <project>/rules)
#   BENCH_RUNS       runs of each kind (default 5)
#   BENCH_RELAYS     space-separated relay names to add to the config (default none)
#
# Needs GNU date (+%N); POSIX sh + awk otherwise.

usage() {
	echo "usage: $0 BINARY   (env: BENCH_RULES_DIR, BENCH_RUNS, CORPUS)" >&2
	exit 2
}
. "$(dirname "$0")/bench-setup.sh"
case $bin in */*) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;; esac
awk -F '\t' '!/^#/ && NF >= 2 { print $1 }' "$labels" >"$tmp/list"
nmsg=$(wc -l <"$tmp/list" | tr -d ' ')
bytes=$(cd "$corpus" && tr '\n' '\0' <"$tmp/list" | xargs -0 cat | wc -c)
timer=
[ -x /usr/bin/time ] && timer="/usr/bin/time -f %U\ %S -o $tmp/cpu"

# one JOBS: "wall_ms scan_ms user_s sys_s" of one run ("-" when unknown).
one() {
	t0=$(date +%s%N)
	(cd "$corpus" && eval $timer '"$bin"' scan -c '"$conf"' --no-mbox -j "$1" - <"$tmp/list" >/dev/null 2>"$tmp/err")
	st=$?
	t1=$(date +%s%N)
	[ "$st" -eq 0 ] || { echo "$0: scan exited $st: $(head -n 1 "$tmp/err")" >&2; exit 2; }
	in=$(sed -n 's/^[0-9]* messages in \([0-9.]*\) s:.*/\1/p' "$tmp/err")
	cpu="- -"
	[ -n "$timer" ] && cpu=$(tail -n 1 "$tmp/cpu")
	echo "$(( (t1 - t0) / 1000000 )) $(awk -v s="$in" 'BEGIN { printf "%d", s * 1000 }') $cpu"
}

# series JOBS: BENCH_RUNS runs; prints the median run's line (by wall time).
series() {
	i=0
	while [ "$i" -lt "$runs" ]; do one "$1"; i=$((i + 1)); done |
		sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2)'
}

ncpu=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
one "$ncpu" >/dev/null	# warm-up
all=$(series "$ncpu")
single=$(series 1)

cpu=$(awk -F ': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
echo "unscatter scan benchmark"
echo "date:      $started"
echo "machine:   $(uname -n), $ncpu CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
[ -n "$load0" ] && echo "load avg:  $load0 at start, $(cut -d " " -f 1-3 /proc/loadavg) at end (other work on the machine skews the figures)"
echo "binary:    $bin"
echo "messages:  $nmsg from $corpus, $((bytes / 1024)) KiB in all"
echo "method:    scan -c CONF --no-mbox -j N - < list > /dev/null, median of $runs runs"
echo
printf '%-8s %8s %12s %8s %12s %7s %7s %12s\n' threads "wall ms" "msgs/s wall" "scan ms" "msgs/s scan" "user s" "sys s" "msgs/CPU-s"
for line in "$ncpu $all" "1 $single"; do
	echo "$line" | awk -v n="$nmsg" '{
		cpu = $4 + $5
		printf "%-8s %8d %12.0f %8d %12.0f %7s %7s %12s\n", $1, $2, n / ($2 / 1000), $3, ($3 > 0 ? n / ($3 / 1000) : 0), $4, $5, (cpu > 0 ? sprintf("%.0f", n / cpu) : "-")
	}'
done
