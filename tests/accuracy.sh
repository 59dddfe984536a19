#!/bin/sh
# tests/accuracy.sh BINARY [OUTDIR] - classify every message of the shared corpus
# and report how the detected KIND compares with the labels.
#
#   BINARY   the unscatter binary (run as: BINARY -c CONF --terse < message)
#   OUTDIR   where results.tsv and the report go (default: a new temp dir)
#
# Environment:
#   CORPUS            corpus folder (default: <project>/../shared/corpus)
#   ACCURACY_JOBS     parallel jobs (default 2)
#   ACCURACY_TIMEOUT  seconds allowed per message when timeout(1) exists
#                     (default 20; 0 = no limit); a timeout shows as exit 124
#
# Writes OUTDIR/results.tsv: one line per labelled message, in labels.tsv order,
#   path  label  kind  class  provenance  exit  note
# ("-" for a missing field; note holds the first stderr line or a bad stdout),
# OUTDIR/report.txt (the report printed on stdout) and OUTDIR/unscatter.conf.
# Exit status: 0 when every message ran, exited 0 and printed a well-formed
# verdict; 1 otherwise (misclassifications alone do not fail: see accuracy.t).
#
# POSIX sh + awk; needs xargs -0 -P (GNU, BSD and busybox have them).

# Internal mode, one per xargs batch:
#   accuracy.sh --batch BINARY CONF CORPUS PARTSDIR TIMEOUT path...
# appends "path<TAB>exit<TAB>lines<TAB>stdout<TAB>stderr" per message
# to PARTSDIR/<pid>.tsv.
if [ "${1:-}" = --batch ]; then
	bin=$2 conf=$3 corpus=$4 parts=$5 tmo=$6
	shift 6
	part=$parts/$$.tsv
	o=$parts/$$.out
	e=$parts/$$.err
	for p in "$@"; do
		: >"$o"
		# The braces catch the shell's own message when the file is missing.
		if [ "$tmo" -gt 0 ]; then
			{ timeout "$tmo" "$bin" -c "$conf" --terse <"$corpus/$p" >"$o"; } 2>"$e"
		else
			{ "$bin" -c "$conf" --terse <"$corpus/$p" >"$o"; } 2>"$e"
		fi
		st=$?
		l1='' l2='' el=''
		{ IFS= read -r l1; IFS= read -r l2; } <"$o"
		lines=1
		[ -n "$l2" ] && lines=2
		[ -s "$e" ] && IFS= read -r el <"$e"
		printf '%s\t%s\t%s\t%s\t%s\n' "$p" "$st" "$lines" "$l1" "$el" >>"$part"
	done
	rm -f "$o" "$e"
	exit 0
fi

usage() {
	echo "usage: $0 BINARY [OUTDIR]" >&2
	exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
bin=$1
case $bin in
*/*) [ -x "$bin" ] || { echo "$0: $bin: not an executable" >&2; exit 2; } ;;
*) command -v "$bin" >/dev/null 2>&1 || { echo "$0: $bin: not found" >&2; exit 2; } ;;
esac

here=$(cd "$(dirname "$0")" && pwd) || exit 2
self=$here/$(basename "$0")
top=$(cd "$here/.." && pwd) || exit 2
corpus=${CORPUS:-$top/../shared/corpus}
labels=$corpus/labels.tsv
# The project's corrections of corpus labels it believes wrong (path, label, reason).
fixes=$(cd "$(dirname "$0")" && pwd)/label-fixes.tsv
[ -r "$fixes" ] || { echo "$0: $fixes: cannot read" >&2; exit 2; }
[ -r "$labels" ] || { echo "$0: $labels: cannot read" >&2; exit 2; }
jobs=${ACCURACY_JOBS:-2}
tmo=${ACCURACY_TIMEOUT:-20}
command -v timeout >/dev/null 2>&1 || tmo=0

if [ $# -ge 2 ]; then
	out=$2
	mkdir -p "$out" || exit 2
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/unscatter-accuracy.XXXXXX") || exit 2
fi
out=$(cd "$out" && pwd) || exit 2

now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*[!0-9]* | '') echo $(($(date +%s) * 1000)) ;;
	*) echo $((t / 1000000)) ;;
	esac
}

conf=$out/unscatter.conf
echo "rules $top/rules" >"$conf"
parts=$out/parts
rm -rf "$parts"
mkdir "$parts" || exit 2

start=$(now_ms)
# One path per NUL-terminated record, so blanks in names are safe.
awk -F '\t' '!/^#/ && NF >= 2 { print $1 }' "$labels" | tr '\n' '\0' |
	xargs -0 -n 32 -P "$jobs" sh "$self" --batch "$bin" "$conf" "$corpus" "$parts" "$tmo"
xstatus=$?
end=$(now_ms)

# Join the batch records with the labels, in labels.tsv order.
results=$out/results.tsv
cat "$parts"/*.tsv 2>/dev/null | awk -F '\t' -v OFS='\t' -v tmo="$tmo" '
	phase == 0 {
		if (!/^#/ && NF >= 3) fixed[$1] = $2
		next
	}
	phase == 1 {
		if (NF < 5) { junk++; next }
		if (NF > 5) { $4 = $4 "<TAB>..."; $5 = $NF }  # a tab in the output
		st[$1] = $2; nl[$1] = $3; so[$1] = $4; se[$1] = $5
		next
	}
	/^#/ || NF < 2 { next }
	{
		p = $1; label = $2
		if (p in fixed) label = fixed[p]
		if (!(p in st)) {
			print p, label, "-", "-", "-", "-", "no result recorded"
			next
		}
		n = split(so[p], f, " ")
		class = n >= 1 ? f[1] : "-"
		kind = n >= 2 ? f[2] : "-"
		prov = n >= 3 ? f[3] : "-"
		note = ""
		# Three words, then (bounces) NAME=VALUE fields, see unscatter(1).
		if (n < 3 || nl[p] != 1 || so[p] !~ /^[a-z]+ [a-z]+ [a-z]+( [a-z]+=[^ ]+)*$/)
			note = "bad stdout: [" so[p] "]" (nl[p] > 1 ? " (+ more lines)" : "")
		if (st[p] == 124 && tmo > 0)
			note = note (note != "" ? "; " : "") "timed out after " tmo " s"
		if (se[p] != "")
			note = note (note != "" ? "; " : "") "stderr: " se[p]
		print p, label, kind, class, prov, st[p], note
	}
	END { if (junk) printf "accuracy.sh: %d unparsable batch records\n", junk > "/dev/stderr" }
' phase=0 "$fixes" phase=1 - phase=2 "$labels" >"$results.body"
{
	printf '# path\tlabel\tkind\tclass\tprovenance\texit\tnote\n'
	cat "$results.body"
} >"$results"
rm -f "$results.body"
rm -rf "$parts"

# The report.
nfixed=$(grep -vc '^#' "$fixes")
awk -F '\t' -v nfixed="$nfixed" -v ms=$((end - start)) -v jobs="$jobs" -v bin="$bin" -v corpus="$corpus" -v out="$out" -v xstatus="$xstatus" '
	function kindof(label) {
		if (label == "arf") return "feedback"
		if (label == "ham" || label == "other") return "none"
		if (label ~ /^(dsn|challenge|autoreply|virus)$/) return label
		return "?"
	}
	function pct(a, b) { return b > 0 ? sprintf("%.2f%%", 100 * a / b) : "-" }
	function rep(c, k,   s) { s = ""; while (k-- > 0) s = s c; return s }
	/^#/ { next }
	{
		total++
		p = $1; label = $2; kind = $3; st = $6; note = $7
		want = kindof(label)
		got = (kind in valid) ? kind : "?"
		if (st != "0" || note ~ /bad stdout|no result/) {
			nerr++
			err[nerr] = p "\t" label "\t" (st == "-" ? "none" : st) "\t" note
			if (length(p) > ewidth) ewidth = length(p)
		}
		cm[want, got]++
		nexp[want]++
		ngot[got]++
		if (want == got) tp[want]++
		else {
			nmis[want]++
			mis[want, nmis[want]] = p "\t" label "\t" kind
			if (length(p) > mwidth) mwidth = length(p)
		}
		if (label == "ham") {
			nham++
			if (got != "none" && got != "?") hamfp++
		}
		nlabel[label]++
	}
	BEGIN {
		nk = split("none dsn autoreply challenge virus feedback", K, " ")
		for (i = 1; i <= nk; i++) valid[K[i]] = 1
		K[nk + 1] = "?"
	}
	END {
		printf "unscatter accuracy: %d messages from %s\n", total, corpus
		printf "binary %s, %d jobs, %.1f s wall time\n\n", bin, jobs, ms / 1000
		if (xstatus != 0) printf "WARNING: xargs exited %d (a batch failed)\n\n", xstatus

		# Confusion matrix; column "?" = no valid KIND printed.
		printf "Confusion matrix of KIND (rows: expected from label, columns: detected)\n"
		printf "%-12s", "expected"
		for (j = 1; j <= nk + 1; j++) if (j <= nk || ngot["?"]) printf " %9s", K[j]
		printf " %9s\n", "total"
		for (i = 1; i <= nk + 1; i++) {
			if (i > nk && !nexp["?"]) continue
			printf "%-12s", K[i]
			for (j = 1; j <= nk + 1; j++) if (j <= nk || ngot["?"]) printf " %9d", cm[K[i], K[j]]
			printf " %9d\n", nexp[K[i]]
		}
		printf "%-12s", "total"
		for (j = 1; j <= nk + 1; j++) if (j <= nk || ngot["?"]) printf " %9d", ngot[K[j]]
		printf " %9d\n\n", total

		printf "%-12s %9s %9s %9s %10s %10s\n", "kind", "expected", "detected", "correct", "precision", "recall"
		for (i = 1; i <= nk; i++) {
			k = K[i]
			printf "%-12s %9d %9d %9d %10s %10s\n", k, nexp[k], ngot[k], tp[k], pct(tp[k], ngot[k]), pct(tp[k], nexp[k])
		}
		printf "\nlabels:"
		nl = split("dsn challenge autoreply virus arf ham other", L, " ")
		for (i = 1; i <= nl; i++) if (nlabel[L[i]]) printf " %s=%d", L[i], nlabel[L[i]]
		for (l in nlabel) if (kindof(l) == "?") printf " %s=%d(unknown label)", l, nlabel[l]
		printf " (arf->feedback; ham,other->none)\n"
		printf "labels corrected by the project: %d (tests/label-fixes.tsv)\n", nfixed
		printf "ham detected as an automated kind: %d of %d (%s%%)\n", hamfp, nham, nham ? sprintf("%.2f", 100 * hamfp / nham) : "-"

		w = mwidth < 20 ? 20 : mwidth
		fmt3 = "    %-" w "s  %-10s %s\n"
		nm = 0
		for (i = 1; i <= nk + 1; i++) nm += nmis[K[i]]
		printf "\nMisclassified: %d\n", nm
		for (i = 1; i <= nk + 1; i++) {
			k = K[i]
			if (!nmis[k]) continue
			printf "\n  expected %s (%d):\n", k, nmis[k]
			printf fmt3, "path", "label", "got kind"
			for (m = 1; m <= nmis[k]; m++) {
				split(mis[k, m], f, "\t")
				printf fmt3, f[1], f[2], f[3]
			}
		}

		w = ewidth < 20 ? 20 : ewidth
		fmt4 = "    %-" w "s  %-10s %-5s %s\n"
		printf "\nRuns that failed (non-zero exit, no or bad verdict): %d\n", nerr
		if (nerr) printf fmt4, "path", "label", "exit", "note"
		for (m = 1; m <= nerr; m++) {
			split(err[m], f, "\t")
			printf fmt4, f[1], f[2], f[3], f[4]
		}
		printf "\nresults: %s/results.tsv\n", out

	}
' "$results" | tee "$out/report.txt"
# Exit status: every labelled message ran, exited 0 and printed a good verdict.
[ "$xstatus" -eq 0 ] || exit 1
awk -F '\t' '
	/^#/ { next }
	{ total++ }
	$6 != "0" || $7 ~ /^(bad stdout|no result)/ { bad++ }
	END { exit (total == 0 || bad > 0) }
' "$results"
