#!/bin/sh
# bench/rules-scaling.sh [BINARY] - how a one-shot run's cost grows with the
# number of rules (a benchmark, not a test; issue 3 wants it flat, within
# ~10 %, from 50 to 500 rules).
#
# Builds rule sets of 50, 100, 200 and 500 rules (SCALING_SIZES) of the
# shipped rules' shape: the shipped rules first, then copies of them under
# new names whose regexes have every letter outside brackets and escapes
# rotated (a different letter per copy), so that each copy has literals of
# its own, the same structure, and, like most extra rules, rarely matches;
# each copy goes into the file of its original (as many files as shipped).
# For each set and each message of samples/ it reports the callgrind
# instruction count of `BINARY -c CONF -t < message` with the rule cache
# built (the normal case) and without it (UNSCATTER_NO_CACHE=1: every file
# parsed, every regex analysed), and the median wall time of 51 cached runs.
#
# Environment: SCALING_SIZES (default "50 100 200 500"), SCALING_RUNS (51),
# SCALING_DIR (keep the rule sets and configs there, rules-N/ and conf-N).
# Needs valgrind and perl; build/bench/runmany (make bench-rules builds it).
. "$(dirname "$0")/common.sh"
sizes=${SCALING_SIZES:-50 100 200 500}
runs=${SCALING_RUNS:-51}
runmany=$top/build/bench/runmany
[ -x "$runmany" ] || { echo "$0: $runmany missing (make bench-rules builds it)" >&2; exit 2; }
command -v valgrind >/dev/null 2>&1 || { echo "$0: valgrind needed" >&2; exit 2; }
if [ -n "${SCALING_DIR:-}" ]; then
	mkdir -p "$SCALING_DIR" && work=$(cd "$SCALING_DIR" && pwd) || exit 2
	rm -rf "$work"/rules-*
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/unscatter-scaling.XXXXXX") || exit 2
	trap 'rm -rf "$work"' EXIT
fi
trap 'exit 130' INT TERM

# make_set N DIR: the first N rules of shipped, copy 1, copy 2, ...
make_set() {
	mkdir -p "$2"
	perl -e '
		use strict;
		my ($want, $dir, @files) = @ARGV;
		my (@rules, $cur, $file);
		for my $f (@files) {
			open my $in, "<", $f or die "$f: $!";
			(my $base = $f) =~ s{.*/}{};
			while (<$in>) {
				if (/^rule\s/) { $cur = { file => $base, text => "" }; push @rules, $cur; }
				$cur->{text} .= $_ if $cur && !/^\s*#/;
			}
		}
		# Rotates letters outside brackets and escapes by K.
		sub rot {
			my ($re, $k) = @_;
			my ($out, $in_bracket, $esc) = ("", 0, 0);
			for my $c (split //, $re) {
				if ($esc) { $out .= $c; $esc = 0; next; }
				if ($c eq "\\") { $out .= $c; $esc = 1; next; }
				if ($in_bracket) { $in_bracket = 0 if $c eq "]"; $out .= $c; next; }
				if ($c eq "[") { $in_bracket = 1; $out .= $c; next; }
				if ($c =~ /[a-z]/) { $c = chr((ord($c) - 97 + $k) % 26 + 97); }
				elsif ($c =~ /[A-Z]/) { $c = chr((ord($c) - 65 + $k) % 26 + 65); }
				$out .= $c;
			}
			return $out;
		}
		my %out;
		for (my $i = 0; $i < $want; $i++) {
			my $copy = int($i / @rules);
			my $r = $rules[$i % @rules];
			my $text = $r->{text};
			if ($copy > 0) {
				my $k = ($copy * 7) % 25 + 1;
				$text =~ s/^(rule\s+\S+)/$1-v$copy/m;
				$text =~ s{^(\s*(?:header\s+\S+|body|sender|parts)\s+[=!]~\s+/)((?:[^/\\]|\\.)*)(/)}{$1 . rot($2, $k) . $3}gme;
			}
			$out{$r->{file}} .= $text . "\n";
		}
		for my $name (keys %out) {
			open my $o, ">", "$dir/$name" or die;
			print $o $out{$name};
		}
	' "$1" "$2" "$top"/rules/*.rules
}

count_ir() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		awk '/Collected :/ { print $NF }'
}

msgs=$(ls "$top"/samples/*.eml)
echo "unscatter rule-count scaling"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'); load avg $(cut -d ' ' -f 1-3 /proc/loadavg) (wall times are skewed by load)"
echo "machine: $(uname -n), $(nproc) CPUs, $(awk -F ': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "binary:  $bin"
echo "columns: instructions (callgrind) of one one-shot run -t, with the rule cache and without it"
echo "         (UNSCATTER_NO_CACHE=1), and the median wall time of $runs runs with the cache"
echo
printf '%-6s %-24s %14s %14s %10s\n' rules message "Ir, cache" "Ir, no cache" "wall ms"
for n in $sizes; do
	d=$work/rules-$n
	make_set "$n" "$d"
	# Every regex must compile (75: lint ran out of time on a loaded machine).
	got=$("$bin" --lint-rules "$d" 2>&1)
	case $? in
	0) ;;
	75) echo "# set $n: lint ran out of time ($got); not checked" ;;
	*) echo "$0: set $n does not lint: $got" >&2; exit 1 ;;
	esac
	conf=$work/conf-$n
	printf 'rules %s\nrelay mail.example.com 192.0.2.0/24\n' "$d" >"$conf"
	for m in $msgs; do
		"$bin" -c "$conf" -t <"$m" >/dev/null 2>&1	# builds the cache
		with=$(count_ir "$bin" -c "$conf" -t <"$m")
		without=$(UNSCATTER_NO_CACHE=1 count_ir "$bin" -c "$conf" -t <"$m")
		wall=$("$runmany" "$runs" "$m" "$bin" -c "$conf" -t | cut -d ' ' -f 1)
		printf '%-6s %-24s %14s %14s %10s\n' "$(grep -c '^rule' "$d"/*.rules | awk -F: '{ s += $2 } END { print s }')" \
			"$(basename "$m")" "$with" "$without" "$wall"
	done
done
