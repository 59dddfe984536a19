#!/bin/sh
# tests/reasons.sh BINARY [OUTDIR] - how often unscatter's bounce reason
# agrees with the reason Sisimai's own test suite expects.
#
# ../shared/corpus/labels.tsv notes carry "sisimai expected reason=R" (or
# "reason=R1,R2" when a bounce names several recipients) for the sisimai
# samples. Every such message labelled dsn is run through
#   BINARY -c CONF -p < message
# and the distinct reasons of its X-Unscatter-Reason field are compared with
# Sisimai's: they agree when the two sets are equal. A message that does not
# come out as kind dsn counts as reason "none" (a disagreement).
#
# Writes OUTDIR/results.tsv (path, sisimai, ours, agree 1/0) and prints the
# agreement, the confusion of ours against Sisimai's, and every disagreement.
# Environment: CORPUS (default ../shared/corpus), REASONS_JOBS (default 2).
set -u

if [ "${1:-}" = --batch ]; then
	bin=$2 conf=$3 corpus=$4 part=$5
	shift 5
	for p in "$@"; do
		# CRLF and CR-only messages pass through with their own line endings.
		reasons=$("$bin" -c "$conf" -p <"$corpus/$p" 2>/dev/null |
			sed 's/\r$//' | tr '\r' '\n' | sed -n '/^$/q;s/^X-Unscatter-Reason: //p' | head -n 1)
		printf '%s\t%s\n' "$p" "${reasons:-none}" >>"$part.$$"
	done
	exit 0
fi

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BINARY [OUTDIR]" >&2; exit 2; }
bin=$1
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/.." && pwd) || exit 2
corpus=${CORPUS:-$top/../shared/corpus}
labels=$corpus/labels.tsv
[ -r "$labels" ] || { echo "$0: $labels: cannot read" >&2; exit 2; }
if [ $# -ge 2 ]; then
	out=$2
	mkdir -p "$out" || exit 2
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/unscatter-reasons.XXXXXX") || exit 2
fi
out=$(cd "$out" && pwd) || exit 2
echo "rules $top/rules" >"$out/unscatter.conf"
rm -f "$out"/part.*

# path <TAB> sisimai reasons (comma separated), for the dsn-labelled messages.
awk -F '\t' '!/^#/ && $2 == "dsn" && match($3, /sisimai expected reason=[a-z,]+/) {
	print $1 "\t" substr($3, RSTART + 24, RLENGTH - 24)
}' "$labels" >"$out/expected.tsv"
cut -f 1 "$out/expected.tsv" | tr '\n' '\0' |
	xargs -0 -n 32 -P "${REASONS_JOBS:-2}" sh "$here/reasons.sh" --batch "$bin" \
		"$out/unscatter.conf" "$corpus" "$out/part"

cat "$out"/part.* 2>/dev/null | awk -F '\t' -v OFS='\t' '
	# Sorted, comma-joined set of a list separated by commas and blanks.
	function set(s,   a, n, i, j, t, r) {
		gsub(/[ ,]+/, ",", s)
		n = split(s, a, ",")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		r = ""
		for (i = 1; i <= n; i++) if (a[i] != "" && a[i] != a[i - 1]) r = r (r == "" ? "" : ",") a[i]
		return r
	}
	FILENAME == "-" { ours[$1] = set($2); next }
	{
		o = ($1 in ours) ? ours[$1] : "missing"
		e = set($2)
		print $1, e, o, (o == e) ? 1 : 0
	}' - "$out/expected.tsv" >"$out/results.tsv"

awk -F '\t' '
	{ n++; if ($4 == 1) agree++; conf[$3 "\t" $2]++; bad[n] = $4 == 1 ? "" : $0 }
	END {
		printf "reason agreement with Sisimai: %d of %d (%.1f %%)\n\n", agree, n, n ? 100 * agree / n : 0
		print "confusion (ours <TAB> sisimai <TAB> messages), most frequent first:"
		for (k in conf) printf "%6d\t%s\n", conf[k], k | "sort -rn"
		close("sort -rn")
		print "\ndisagreements (path <TAB> sisimai <TAB> ours):"
		for (i = 1; i <= n; i++) if (bad[i] != "") { split(bad[i], f, "\t"); print f[1] "\t" f[2] "\t" f[3] }
	}' "$out/results.tsv"
