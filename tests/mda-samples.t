#!/bin/sh
# mda-samples.t - the recipes quoted in man/unscatter.1 EXAMPLES and in the
# README are the sample files the delivery tests run (tests/mda-*.t), line
# for line, comments and blank lines left out.
. "$TOP/tests/lib.sh"
SAMPLES="procmailrc procmailrc-exitcode mailfilter mailfilter-exitcode
unscatter.sieve unscatter-terse.sieve dovecot-extprograms.conf"
plan 14

# code SAMPLE: its lines without comments and blank lines.
code() { grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$TOP/samples/$1"; }
# man_quote SAMPLE: the first literal display after ".Pa samples/SAMPLE",
# mdoc escapes undone.
man_quote() {
	awk -v name="samples/$1" '
		!state && $1 == ".Pa" && $2 == name { state = 1; next }
		state == 1 && /^\.Bd -literal/ { state = 2; next }
		state == 2 && /^\.Ed/ { exit }
		state == 2 { gsub(/\\&/, ""); gsub(/\\e/, "\\"); print }' "$TOP/man/unscatter.1"
}
# readme_quote SAMPLE: the first indented code block after the line that
# names `samples/SAMPLE`.
readme_quote() {
	awk -v name="\`samples/$1\`" '
		!state && index($0, name) == 1 { state = 1; next }
		state && /^    / { state = 2; print substr($0, 5); next }
		state == 2 { exit }' "$TOP/README.md"
}
for s in $SAMPLES; do
	code "$s" >"$TMP/code"
	man_quote "$s" | cmp -s - "$TMP/code"
	is "$?" 0 "man/unscatter.1 quotes samples/$s as it is"
	readme_quote "$s" | cmp -s - "$TMP/code"
	is "$?" 0 "README.md quotes samples/$s as it is"
done
