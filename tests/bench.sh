#!/bin/sh
# tests/bench.sh BINARY - one-shot timing of `BINARY -c CONF --terse < message`
# over a fixed set of corpus messages (not a test; nothing is asserted).
#
# The set is deterministic: about BENCH_COUNT messages spread evenly through
# labels.tsv within each category (at least 5 of each small category).
# After a warm-up pass (page cache, binary, rules), every message is run
# BENCH_RUNS times, each run timed on its own with `date +%s%N`; the median
# cost of one clock reading is measured and subtracted. Per message we keep the
# median of its runs, then report the median, 90th percentile and maximum of
# those over the set. Throughput comes from whole sequential passes over the
# set with no clock reading inside (median of 3 passes). The same is done
# for `cat < message > /dev/null` as the floor of any one-shot program.
#
# Environment:
#   CORPUS           corpus folder (default: <project>/../shared/corpus)
#   BENCH_RULES_DIR  rules directory for the config (default: <project>/rules)
#   BENCH_COUNT      about how many messages (default 200)
#   BENCH_RUNS       timed runs per message (default 5)
#   BENCH_RELAYS     space-separated relay names to add to the config (default none)
#
# Needs GNU date (+%N); POSIX sh + awk otherwise.

usage() {
	echo "usage: $0 BINARY   (env: BENCH_RULES_DIR, BENCH_COUNT, BENCH_RUNS, CORPUS)" >&2
	exit 2
}
. "$(dirname "$0")/bench-setup.sh"
count=${BENCH_COUNT:-200}

# The message set (bench/sample.awk): per category, quota = share of
# BENCH_COUNT (at least min(5, size)), evenly spaced in labels.tsv order.
awk -F '\t' -v want="$count" -f "$top/bench/sample.awk" "$labels" "$labels" >"$tmp/set"
: >"$tmp/list"
while IFS="$(printf '\t')" read -r _ p; do
	if [ -r "$corpus/$p" ]; then
		printf '%s\n' "$corpus/$p" >>"$tmp/list"
	else
		echo "$0: warning: $corpus/$p: cannot read, skipped" >&2
	fi
done <"$tmp/set"
nmsg=$(wc -l <"$tmp/list")
[ "$nmsg" -gt 0 ] || { echo "$0: no messages selected" >&2; exit 2; }

# Warm-up: page cache, then one run of each message (and check it works).
while IFS= read -r f; do cat <"$f" >/dev/null; done <"$tmp/list"
nfail=0
while IFS= read -r f; do
	"$bin" -c "$conf" --terse <"$f" >/dev/null 2>"$tmp/err"
	st=$?
	if [ "$st" -ne 0 ]; then
		nfail=$((nfail + 1))
		[ "$nfail" -le 5 ] && echo "$0: warning: exit $st on $f: $(head -n 1 "$tmp/err")" >&2
	fi
done <"$tmp/list"

# Cost of one clock reading: the median of 201 back-to-back intervals.
i=0
t0=$(date +%s%N)
while [ "$i" -lt 201 ]; do
	t1=$(date +%s%N)
	echo $((t1 - t0))
	t0=$t1
	i=$((i + 1))
done >"$tmp/clock"
clock=$(sort -n "$tmp/clock" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')

# timed MODE: one line per message, its BENCH_RUNS raw interval times in ns.
timed() {
	while IFS= read -r f; do
		i=0
		line=
		t0=$(date +%s%N)
		while [ "$i" -lt "$runs" ]; do
			if [ "$1" = bin ]; then
				"$bin" -c "$conf" --terse <"$f" >/dev/null 2>&1
			else
				cat <"$f" >/dev/null
			fi
			t1=$(date +%s%N)
			line="$line $((t1 - t0))"
			t0=$t1
			i=$((i + 1))
		done
		echo "$line"
	done <"$tmp/list"
}

# pass MODE: wall time in ns of one sequential pass over the set.
pass() {
	t0=$(date +%s%N)
	if [ "$1" = bin ]; then
		while IFS= read -r f; do "$bin" -c "$conf" --terse <"$f" >/dev/null 2>&1; done <"$tmp/list"
	else
		while IFS= read -r f; do cat <"$f" >/dev/null; done <"$tmp/list"
	fi
	t1=$(date +%s%N)
	echo $((t1 - t0))
}

# stats NAME < per-message lines: "NAME median p90 max msgs/s" figures.
# Per message: median of its runs minus the clock cost; then over messages.
stats() {
	awk -v name="$1" -v clock="$clock" -v pass_ns="$2" -v n="$nmsg" '
		function isort(a, m,   i, j, t) {
			for (i = 2; i <= m; i++) {
				t = a[i]
				for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
				a[j + 1] = t
			}
		}
		{
			for (i = 1; i <= NF; i++) r[i] = $i - clock
			isort(r, NF)
			med = NF % 2 ? r[(NF + 1) / 2] : (r[NF / 2] + r[NF / 2 + 1]) / 2
			v[NR] = med < 0 ? 0 : med
		}
		END {
			isort(v, NR)
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			k = int(0.9 * NR + 0.999999); if (k < 1) k = 1
			printf "%-22s %10.3f %10.3f %10.3f %12.0f\n", name, m / 1e6, v[k] / 1e6, v[NR] / 1e6, n / (pass_ns / 1e9)
		}'
}

median3() { printf '%s\n%s\n%s\n' "$1" "$2" "$3" | sort -n | sed -n 2p; }

timed bin >"$tmp/bin.times"
timed cat >"$tmp/cat.times"
pb=$(median3 "$(pass bin)" "$(pass bin)" "$(pass bin)")
pc=$(median3 "$(pass cat)" "$(pass cat)" "$(pass cat)")

cpu=$(awk -F ': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
[ -n "$cpu" ] || cpu=$(uname -p 2>/dev/null)
ncpu=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
nrules=$(find "$rules" -type f | wc -l)
bytes=$(while IFS= read -r f; do cat "$f"; done <"$tmp/list" | wc -c)
mix=$(cut -f 1 "$tmp/set" | sort | uniq -c | awk '{ printf "%s%s %d", sep, $2, $1; sep = ", " }')

echo "unscatter one-shot benchmark"
echo "date:      $started"
echo "machine:   $(uname -n), $ncpu CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
[ -n "$load0" ] && echo "load avg:  $load0 at start, $(cut -d " " -f 1-3 /proc/loadavg) at end (other work on the machine skews the figures)"
echo "binary:    $bin"
echo "rules:     $rules ($nrules files)"
echo "messages:  $nmsg from $corpus ($mix), $((bytes / 1024)) KiB in all"
echo "method:    $runs timed runs per message, per-message median; clock cost $(awk -v c="$clock" 'BEGIN { printf "%.3f", c / 1e6 }') ms subtracted;"
echo "           msgs/s from whole sequential passes (median of 3)"
[ "$nfail" -eq 0 ] || echo "WARNING:   $nfail of $nmsg warm-up runs exited non-zero (see stderr)"
echo
printf '%-22s %10s %10s %10s %12s\n' "per message, wall" "median ms" "p90 ms" "max ms" "msgs/s"
stats "unscatter --terse" "$pb" <"$tmp/bin.times"
stats "cat (baseline)" "$pc" <"$tmp/cat.times"
