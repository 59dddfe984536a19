#!/bin/sh
# passthrough-corpus.t - every message of the shared corpus comes out of
# -p as it went in, byte for byte, but for our X-Unscatter-* fields: the
# output without them is the input without any it had. CR-only messages
# are compared with their CRs read as line ends (our fields take the
# message's own line ends). The config names no relay, so any evidence
# goes into the fields.
. "$TOP/tests/lib.sh"

if [ "${1:-}" = --batch ]; then
	# Internal: sh passthrough-corpus.t --batch CONF FILE... prints one
	# line per file that fails, "DIFF FILE" or "EXIT N FILE", then
	# "checked N".
	conf=$2
	shift 2
	strip() {
		awk 'h == 0 && /^[Xx]-[Uu]nscatter-/ { s = 1; next }
		     h == 0 && s && /^[ \t]/ { next }
		     { s = 0 }
		     h == 0 && /^\r?$/ { h = 1 }
		     { print }'
	}
	for f in "$@"; do
		"$UNSCATTER" -c "$conf" -p <"$f" >"$TMP/out"
		st=$?
		[ "$st" -eq 0 ] || { echo "EXIT $st $f"; continue; }
		# CR-only: line ends are CRs, and no LF at all.
		if [ "$(tr -cd '\n' <"$f" | wc -c)" -eq 0 ] && [ "$(tr -cd '\r' <"$f" | wc -c)" -gt 0 ]; then
			tr '\r' '\n' <"$TMP/out" | strip >"$TMP/got"
			tr '\r' '\n' <"$f" | strip >"$TMP/want"
		else
			strip <"$TMP/out" >"$TMP/got"
			strip <"$f" >"$TMP/want"
		fi
		cmp -s "$TMP/got" "$TMP/want" || echo "DIFF $f"
	done
	echo "checked $#"
	exit 0
fi

plan 2
conf=$(make_config)
awk -F '\t' '!/^#/ && NF >= 2 { print $1 }' "$CORPUS/labels.tsv" >"$TMP/list"
(cd "$CORPUS" && tr '\n' '\0' <"$TMP/list" |
	xargs -0 -n 100 -P 2 sh "$TOP/tests/passthrough-corpus.t" --batch "$conf") >"$TMP/bad"
is "$(awk '$1 == "checked" { n += $2 } END { print n + 0 }' "$TMP/bad")" "$(wc -l <"$TMP/list" | tr -d ' ')" \
	"every corpus message was checked"
is "$(grep -vc '^checked ' "$TMP/bad")" 0 "-p: every corpus message byte for byte, but for our fields"
grep -v '^checked ' "$TMP/bad" | sed -n '1,20s/^/#   /p'
