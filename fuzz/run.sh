#!/bin/sh
# fuzz/run.sh BUILD TARGET... - run each libFuzzer target BUILD/fuzz/TARGET
# (built from fuzz/TARGET.c) for FUZZ_SECONDS seconds (default 60), one
# at a time and under nice, seeded afresh from the files its
# "FUZZ-SEEDS:" line names (copied into BUILD/fuzz-work/TARGET/seeds; the
# shared corpus itself is only read). Inputs libFuzzer finds interesting are
# kept in BUILD/fuzz-work/TARGET/corpus between runs; crashes are written as
# BUILD/fuzz-work/TARGET/crash-* (see "Fuzzing" in README.md for what to do
# with one). Ends with one line per target and exits 1 if any crashed.
# Environment: FUZZ_SECONDS, CORPUS (default ../shared/corpus), FUZZ_NICE (19).
set -u
[ $# -ge 2 ] || { echo "usage: $0 BUILD TARGET..." >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
shift
TOP=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$TOP/../shared/corpus}
secs=${FUZZ_SECONDS:-60}
summary=$build/fuzz-work/summary
mkdir -p "$build/fuzz-work"
: >"$summary"
status=0

for t in "$@"; do
	src=$TOP/fuzz/$t.c
	bin=$build/fuzz/$t
	work=$build/fuzz-work/$t
	[ -f "$src" ] && [ -x "$bin" ] || { echo "$0: no target $t ($src, $bin)" >&2; exit 2; }
	seeds=$(sed -n '/FUZZ-SEEDS:/{s/^.*FUZZ-SEEDS: *//; s/ *\*\/.*$//; p;}' "$src" | head -n 1)
	opts=$(sed -n '/FUZZ-OPTIONS:/{s/^.*FUZZ-OPTIONS: *//; s/ *\*\/.*$//; p;}' "$src" | head -n 1)

	rm -rf "$work/seeds"
	mkdir -p "$work/seeds" "$work/corpus"
	# Expand $TOP, $CORPUS and globs of the seed line; folders are read whole.
	eval "set -- $seeds"
	i=0
	for w in "$@"; do
		if [ -d "$w" ]; then find "$w" -type f; elif [ -f "$w" ]; then echo "$w"; fi
	done | while IFS= read -r f; do
		i=$((i + 1))
		cp "$f" "$work/seeds/$i"
	done
	nseeds=$(ls "$work/seeds" | wc -l)

	echo "fuzz $t: $secs s, $nseeds seeds, options: $opts"
	# shellcheck disable=SC2086 # the options are separate words
	nice -n "${FUZZ_NICE:-19}" "$bin" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$work/" $opts "$work/corpus" "$work/seeds" >"$work/log" 2>&1
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	if [ "$st" -eq 0 ]; then
		line="$t: ${runs:-?} runs in $secs s, no crash"
	else
		status=1
		line="$t: FAILED (exit $st) after ${runs:-?} runs; see $work/log and $(ls "$work"/crash-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | tr '\n' ' ')"
		grep -m 3 -E 'ERROR|SUMMARY|assertion failed' "$work/log" | sed 's/^/    /'
	fi
	echo "$line" | tee -a "$summary"
done
echo "summary in $summary"
exit $status
