# bench/sample.awk - a deterministic, representative sample of the corpus.
#
#   awk -F '\t' -v want=N [-v least=M] -f bench/sample.awk labels.tsv labels.tsv
#
# Per category, quota = its share of N (at least min(M, size), M = 5 by
# default, so that small categories are seen at all), taken at
# evenly spaced positions of that category in labels.tsv order. Prints
# "category<TAB>path" lines. Used by tests/bench.sh and bench/*.sh.
/^#/ || NF < 2 || $2 == "category" { next }
NR == FNR { size[$2]++; total++; next }
{
	c = $2
	if (!(c in quota)) {
		q = int(size[c] * want / total + 0.5)
		if (least == "") least = 5
		m = size[c] < least ? size[c] : least
		quota[c] = q < m ? m : q
	}
	i = seen[c]++
	# take the k-th message of the category at position int((k + 0.5) * size / quota)
	k = taken[c]
	if (k < quota[c] && i == int((k + 0.5) * size[c] / quota[c])) {
		taken[c]++
		print c "\t" $1
	}
}
