#!/bin/sh
# scan-corpus.t - `unscatter scan` gives every message of the shared corpus
# the same verdict (class, kind, provenance) as one-shot mode, one process
# per message (run through tests/accuracy.sh's batch mode), and the same
# again with the whole corpus in one mbox file. The config names relays
# that occur in the corpus, so that "ours" verdicts are compared too.
. "$TOP/tests/lib.sh"
plan 7

conf=$(make_config soman.fdntech.com baz.fi mail.homes-magazine.com mailgw02.wolfnettech.com \
	'smtp*.blackberry.com' '*.tcsn.net' 192.168.0.0/16)
awk -F '\t' '!/^#/ && NF >= 2 { print $1 }' "$CORPUS/labels.tsv" >"$TMP/list"
nlabels=$(wc -l <"$TMP/list" | tr -d ' ')

# One-shot: "path<TAB>exit<TAB>lines<TAB>stdout<TAB>stderr" per message.
mkdir "$TMP/parts"
tr '\n' '\0' <"$TMP/list" |
	xargs -0 -n 64 -P 2 sh "$TOP/tests/accuracy.sh" --batch "$UNSCATTER" "$conf" "$CORPUS" "$TMP/parts" 0
cat "$TMP/parts"/*.tsv | awk -F '\t' -v OFS='\t' '{ split($4, f, " "); print $1, f[1], f[2], f[3], $2 }' |
	sort >"$TMP/oneshot"
is "$(awk -F '\t' '$5 != 0' "$TMP/oneshot" | wc -l | tr -d ' ')" 0 "one-shot: every message exits 0 with --terse"

# Batch: the same names on stdin, every file one message as on stdin.
(cd "$CORPUS" && "$UNSCATTER" scan -c "$conf" --no-mbox - <"$TMP/list" >"$TMP/scan.tsv" 2>"$TMP/scan.err")
is "$?" 0 "scan over the corpus: exit 0"
is "$(wc -l <"$TMP/scan.tsv" | tr -d ' ')" "$nlabels" "scan: one line per corpus message"
cut -f 1-4 "$TMP/scan.tsv" | sort >"$TMP/batch"
cut -f 1-4 "$TMP/oneshot" | diff "$TMP/batch" - >"$TMP/diff"
is "$(grep -c '^[<>]' "$TMP/diff")" 0 "identical verdicts for all $nlabels messages"
sed -n '1,20s/^/#   /p' "$TMP/diff"
classes=$(cut -f 2 "$TMP/batch" | sort -u | tr '\n' ' ')
case $classes in
*backscatter*bounce*ordinary*) pass "the comparison covers backscatter, genuine bounces and ordinary mail ($classes)" ;;
*) fail "the comparison covers backscatter, genuine bounces and ordinary mail ($classes)" ;;
esac

# The corpus as one mbox, as an MDA writes one: a message's own "From "
# line is its separator, others get one; body lines that begin with
# "From " are quoted with ">". Each message must come out as its own file
# did, with no message lost to the framing.
(cd "$CORPUS" && tr '\n' '\0' <"$TMP/list" | xargs -0 awk '
	FNR == 1 { if (NR > 1) print ""
		   if (/^From /) { print; next }
		   print "From sender@example.com Tue Dec  1 10:00:00 2026" }
	/^From / { $0 = ">" $0 }
	{ print }') >"$TMP/corpus.mbox"
"$UNSCATTER" scan -c "$conf" "$TMP/corpus.mbox" >"$TMP/mbox.tsv" 2>"$TMP/mbox.err"
is "$?:$(wc -l <"$TMP/mbox.tsv" | tr -d ' ')" "0:$nlabels" "the corpus as one mbox: one line per message"
(cd "$CORPUS" && "$UNSCATTER" scan -c "$conf" --no-mbox - <"$TMP/list" 2>/dev/null) | cut -f 2-4 >"$TMP/in-order"
cut -f 2-4 "$TMP/mbox.tsv" | diff "$TMP/in-order" - >"$TMP/mbox.diff"
is "$(grep -c '^[<>]' "$TMP/mbox.diff")" 0 "the corpus as one mbox: every message as its own file"
sed -n '1,20s/^/#   /p' "$TMP/mbox.diff"
