#!/bin/sh
# valgrind.t - memcheck finds no invalid access and no definite leak in a
# one-shot run of every mode over the samples and a few odd corpus messages
# (CRLF, CR-only, ARF, qmail) and the fuzzers' message regressions
# (tests/regress/classify). Skipped under the sanitizer build, where
# ASan does the same job for the whole suite.
. "$TOP/tests/lib.sh"

files="$TOP/samples/*.eml $CORPUS/sisimai-set-of-emails/maildir/dos/arf-01.eml
$CORPUS/sisimai-set-of-emails/maildir/mac/rfc3834-01.eml
$CORPUS/spamassassin/t.rules/BOUNCE_MESSAGE/2.eml
$TOP/tests/regress/classify/*"
count=0
for f in $files; do count=$((count + 1)); done
plan $((count * 2))
if [ -n "${SANITIZE:-}" ] || ! command -v valgrind >/dev/null 2>&1; then
	for f in $files; do pass "# SKIP valgrind not usable here: $(basename "$f")"; pass "# SKIP"; done
	exit 0
fi
conf=$(make_config mail.example.com)
for f in $files; do
	for mode in -p -t; do
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
			"$UNSCATTER" -c "$conf" $mode <"$f" >/dev/null 2>"$TMP/vg"
		st=$?
		is "$st" 0 "memcheck clean: $mode $(basename "$f")"
		[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/vg" | head -20
	done
done
