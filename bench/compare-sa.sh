#!/bin/sh
# bench/compare-sa.sh [BINARY] - unscatter side by side with SpamAssassin's
# VBounce plugin on the same corpus messages (a benchmark, not a test).
#
# Installs SpamAssassin from Debian if it is missing (apt-get; as root),
# configures VBounce with the same relays as unscatter
# (whitelist_bounce_relays = unscatter's "relay" lines), classifies a
# deterministic sample of ../shared/corpus (bench/sample.awk) with both, and
# prints one table: per-kind precision/recall of each, and time per message:
# one-shot (one process per message: `unscatter -t`, `spamassassin -L`) and
# batch (`unscatter scan -`, and spamd on 127.0.0.1 fed by spamc). No network.
#
# VBounce rules map to unscatter's kinds: BOUNCE_MESSAGE -> dsn,
# CHALLENGE_RESPONSE and CRBOUNCE_MESSAGE -> challenge, VBOUNCE_MESSAGE ->
# virus, OOOBOUNCE_MESSAGE -> autoreply (the first of virus, challenge,
# autoreply, dsn that fired). VBounce has no feedback-report rule. Labels:
# arf -> feedback, ham and other -> none.
#
# Environment:
#   CORPUS       corpus folder (default: <project>/../shared/corpus)
#   SA_COUNT     about how many messages (default 300; small categories whole, up to 40)
#   SA_ONESHOT   messages timed one-shot with `spamassassin -L` (default 15)
#   SA_RELAYS    relays (default "soman.fdntech.com", those of SpamAssassin's own
#                BOUNCE_MESSAGE tests in the corpus)
#   SA_PORT      spamd port on 127.0.0.1 (default 17830)
#   OUT          where results go (default build/bench-sa): results.tsv
#                (path, label, unscatter kind, SpamAssassin kind, VBounce rules)
#                and table.txt (what is printed)
. "$(dirname "$0")/common.sh"
corpus=${CORPUS:-$top/../shared/corpus}
labels=$corpus/labels.tsv
[ -r "$labels" ] || { echo "$0: $labels: cannot read" >&2; exit 2; }
count=${SA_COUNT:-300}
oneshot=${SA_ONESHOT:-15}
relays=${SA_RELAYS:-soman.fdntech.com}
port=${SA_PORT:-17830}
out=${OUT:-$top/build/bench-sa}
runmany=$top/build/bench/runmany

if ! command -v spamassassin >/dev/null 2>&1 || ! command -v spamd >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "$0: spamassassin is not installed; as root: apt-get install -y spamassassin" >&2
		exit 2
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq spamassassin >/dev/null || exit 2
fi
[ -x "$runmany" ] || { echo "$0: $runmany missing (make bench-compare builds it)" >&2; exit 2; }

mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/unscatter-sa.XXXXXX") || exit 2
chmod 755 "$work"
spamd_pid=
cleanup() {
	[ -n "$spamd_pid" ] && kill "$spamd_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The same relays for both.
conf=$work/unscatter.conf
echo "rules $top/rules" >"$conf"
site=$work/site
mkdir "$site"
cp /etc/spamassassin/*.pre "$site/"
{
	echo "# local only: no Bayes, no network tests"
	echo "use_bayes 0"
	echo "bayes_auto_learn 0"
	echo "skip_rbl_checks 1"
	echo "use_razor2 0"
	echo "use_pyzor 0"
	echo "use_dcc 0"
	for r in $relays; do
		echo "relay $r" >>"$conf"
		echo "whitelist_bounce_relays $r"
	done
} >"$site/local.cf"
chmod -R a+rX "$site"

awk -F '\t' -v want="$count" -v least=40 -f "$here/sample.awk" "$labels" "$labels" >"$work/set"
: >"$work/list"
while IFS="$(printf '\t')" read -r cat p; do
	[ -r "$corpus/$p" ] && printf '%s\t%s\n' "$cat" "$p" >>"$work/list"
done <"$work/set"
n=$(wc -l <"$work/list")
[ "$n" -gt 0 ] || { echo "$0: no messages selected" >&2; exit 2; }

now_ns() { date +%s%N; }

# unscatter, one process per message: kind per message, and the time of
# the whole pass.
t0=$(now_ns)
while IFS="$(printf '\t')" read -r _ p; do
	v=$("$bin" -c "$conf" -t <"$corpus/$p" 2>/dev/null) || v="error error error"
	set -- $v
	printf '%s\n' "${2:-error}"
done <"$work/list" >"$work/us.kind"
t1=$(now_ns)
us_pass=$(( (t1 - t0) / n ))

# unscatter one-shot median: every 10th message of the sample, 21 runs each.
awk 'NR % 10 == 1' "$work/list" | while IFS="$(printf '\t')" read -r _ p; do
	"$runmany" 21 "$corpus/$p" "$bin" -c "$conf" -t | cut -d ' ' -f 1
done | sort -n >"$work/us.oneshot"
us_oneshot=$(awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' "$work/us.oneshot")
cat_oneshot=$(awk 'NR % 10 == 1' "$work/list" | while IFS="$(printf '\t')" read -r _ p; do
	"$runmany" 21 "$corpus/$p" cat | cut -d ' ' -f 1
done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')

# unscatter batch, if this build has the scan subcommand (issue 8's interface:
# unscatter scan [-c CONF] PATH... | -, TSV lines path, class, kind, ...).
us_batch=n/a
if "$bin" scan -c "$conf" - </dev/null >/dev/null 2>&1; then
	cut -f 2 "$work/list" | sed "s|^|$corpus/|" >"$work/paths"
	t0=$(now_ns)
	"$bin" scan -c "$conf" - <"$work/paths" >"$work/scan.tsv" 2>/dev/null
	t1=$(now_ns)
	us_batch=$(awk -v ns=$((t1 - t0)) -v n="$n" 'BEGIN { printf "%.2f", ns / n / 1e6 }')
fi

# SpamAssassin batch: spamd keeps the rules loaded; spamc -y prints the
# names of the rules that hit.
spamd -L --siteconfigpath="$site" -i 127.0.0.1 -p "$port" -m 2 -u nobody -x \
	--pidfile="$work/spamd.pid" -s stderr >"$work/spamd.log" 2>&1 &
spamd_pid=$!
i=0
until spamc -d 127.0.0.1 -p "$port" -K >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 120 ] || ! kill -0 "$spamd_pid" 2>/dev/null; then
		echo "$0: spamd did not start; see below" >&2
		tail -n 20 "$work/spamd.log" >&2
		exit 1
	fi
	sleep 1
done
t0=$(now_ns)
while IFS="$(printf '\t')" read -r _ p; do
	r=$(spamc -d 127.0.0.1 -p "$port" -y <"$corpus/$p" 2>/dev/null)
	printf '%s\n' "${r:-none}"
done <"$work/list" >"$work/sa.rules"
t1=$(now_ns)
sa_batch=$(( (t1 - t0) / n ))
kill "$spamd_pid" 2>/dev/null
wait "$spamd_pid" 2>/dev/null
spamd_pid=

# SpamAssassin one-shot: spamassassin -L per message, the first SA_ONESHOT
# of every 10th message.
awk 'NR % 10 == 1' "$work/list" | head -n "$oneshot" | while IFS="$(printf '\t')" read -r _ p; do
	t0=$(now_ns)
	spamassassin -L --siteconfigpath="$site" -x <"$corpus/$p" >/dev/null 2>&1
	t1=$(now_ns)
	echo $((t1 - t0))
done | sort -n >"$work/sa.oneshot"
sa_oneshot=$(awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] / 1e6 }' "$work/sa.oneshot")
sa_n1=$(wc -l <"$work/sa.oneshot")

paste "$work/list" "$work/us.kind" "$work/sa.rules" | awk -F '\t' -v OFS='\t' '
	function sa_kind(rules) {
		if (rules ~ /(^|,)VBOUNCE_MESSAGE(,|$)/) return "virus"
		if (rules ~ /(^|,)(CHALLENGE_RESPONSE|CRBOUNCE_MESSAGE)(,|$)/) return "challenge"
		if (rules ~ /(^|,)OOOBOUNCE_MESSAGE(,|$)/) return "autoreply"
		if (rules ~ /(^|,)BOUNCE_MESSAGE(,|$)/) return "dsn"
		return "none"
	}
	{
		label = $1 == "arf" ? "feedback" : ($1 == "ham" || $1 == "other") ? "none" : $1
		vb = ""
		n = split($4, r, ",")
		for (i = 1; i <= n; i++)
			if (r[i] ~ /BOUNCE_MESSAGE|CHALLENGE_RESPONSE/) vb = vb (vb ? "," : "") r[i]
		print $2, label, $3, sa_kind($4), vb ? vb : "-"
	}' >"$out/results.tsv"

{
	echo "unscatter vs SpamAssassin $(spamassassin -V 2>/dev/null | awk 'NR == 1 { print $3 }') VBounce"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC'); load avg $(cut -d ' ' -f 1-3 /proc/loadavg)"
	echo "machine:  $(uname -n), $(nproc) CPUs, $(awk -F ': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "messages: $n from $corpus ($(cut -f 1 "$work/list" | sort | uniq -c | awk '{ printf "%s%s %d", s, $2, $1; s = ", " }'))"
	echo "relays:   $relays (unscatter relay = VBounce whitelist_bounce_relays)"
	echo
	awk -F '\t' '
		{ lab[NR] = $2; us[NR] = $3; sa[NR] = $4 }
		function pr(tp, pos) { return pos ? sprintf("%5.1f%%", 100 * tp / pos) : "     -" }
		END {
			printf "%-10s %6s | %-16s | %-16s\n", "kind", "msgs", "unscatter P / R", "VBounce P / R"
			split("dsn autoreply challenge virus feedback", k, " ")
			for (j = 1; j <= 5; j++) {
				c = k[j]; t = 0; ut = 0; up = 0; st = 0; sp = 0
				for (i = 1; i <= NR; i++) {
					if (lab[i] == c) t++
					if (us[i] == c) { up++; if (lab[i] == c) ut++ }
					if (sa[i] == c) { sp++; if (lab[i] == c) st++ }
				}
				printf "%-10s %6d | %s / %s | %s / %s\n", c, t, pr(ut, up), pr(ut, t), pr(st, sp), pr(st, t)
			}
			t = 0; ut = 0; up = 0; st = 0; sp = 0
			for (i = 1; i <= NR; i++) {
				a = lab[i] != "none"
				if (a) t++
				if (us[i] != "none") { up++; if (a) ut++ }
				if (sa[i] != "none") { sp++; if (a) st++ }
			}
			printf "%-10s %6d | %s / %s | %s / %s\n", "any kind", t, pr(ut, up), pr(ut, t), pr(st, sp), pr(st, t)
		}' "$out/results.tsv"
	echo
	printf '%-38s | %12s | %12s\n' "time per message (wall)" "unscatter" "SpamAssassin"
	printf '%-38s | %9s ms | %9s ms\n' "one-shot, median" "$us_oneshot" "$sa_oneshot"
	[ "$us_batch" = n/a ] || us_batch="$us_batch ms"
	printf '%-38s | %12s | %9s ms\n' "batch (unscatter scan / spamd+spamc)" "$us_batch" \
		"$(awk -v v="$sa_batch" 'BEGIN { printf "%.1f", v / 1e6 }')"
	echo
	echo "one-shot: unscatter -t: median over every 10th message of its median of 21 runs"
	echo "          (cat on the same messages: $cat_oneshot ms; one sequential pass of unscatter -t"
	echo "          over all $n: $(awk -v v="$us_pass" 'BEGIN { printf "%.2f", v / 1e6 }') ms a message, shell loop included);"
	echo "          spamassassin -L -x: median of one run each of $sa_n1 messages."
	echo "batch:    unscatter scan - (file names on stdin), whole run / messages;"
	echo "          SpamAssassin: spamc -y per message to a local spamd -m 2, whole pass / messages."
	echo "VBounce stays silent on a bounce that quotes a whitelisted relay (a genuine"
	echo "bounce); unscatter still reports its kind (with provenance ours)."
} | tee "$out/table.txt"
