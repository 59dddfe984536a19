#!/bin/sh
# regress.t - inputs that once crashed a fuzz target (or broke one of its
# checks), replayed through the same target built as a plain program
# ($UNIT_DIR/fuzz-NAME, from fuzz/NAME.c and fuzz/replay.c; under
# make check-sanitize with ASan + UBSan). tests/regress/NAME/ holds the
# inputs of target NAME, each named after what it broke. Message inputs are
# also run through the command in every mode.
. "$TOP/tests/lib.sh"

targets=
for src in "$TOP"/fuzz/*.c; do
	t=$(basename "$src" .c)
	[ "$t" = replay ] || targets="$targets $t"
done
count=0
for t in $targets; do
	count=$((count + 1))
	for f in "$TOP/tests/regress/$t"/*; do [ -f "$f" ] && count=$((count + 1)); done
done
nmsg=0
for f in "$TOP"/tests/regress/classify/* "$TOP"/tests/regress/input/*; do [ -f "$f" ] && nmsg=$((nmsg + 1)); done
plan $((count + nmsg * 2))

conf=$(make_config mail.example.com 192.0.2.0/24)
for t in $targets; do
	bin=$UNIT_DIR/fuzz-$t
	[ -x "$bin" ]; is "$?" 0 "replay program for fuzz target $t is built"
	for f in "$TOP/tests/regress/$t"/*; do
		[ -f "$f" ] || continue
		"$bin" "$f" >"$TMP/out" 2>&1; st=$?
		is "$st" 0 "fuzz-$t replays $(basename "$f")"
		[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/out" | head -20
		case $t in classify | input) ;; *) continue ;; esac
		"$UNSCATTER" -c "$conf" -t <"$f" >"$TMP/out" 2>"$TMP/err"; st=$?
		is "$st:$(wc -l <"$TMP/out")" "0:1" "terse run on $t/$(basename "$f"): exit 0, one verdict line"
		"$UNSCATTER" -c "$conf" -p <"$f" >"$TMP/out" 2>"$TMP/err"; st=$?
		is "$st" 0 "passthrough run on $t/$(basename "$f"): exit 0"
	done
done
