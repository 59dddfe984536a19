# tests/bench-setup.sh - the common start of bench.sh and bench-scan.sh
# (sourced; the caller defines usage()). Checks the arguments (one BINARY)
# and GNU date, then sets bin, here, top, corpus, labels, rules, runs
# (BENCH_RUNS, default 5), started, load0, tmp (a folder removed at exit)
# and conf (a config with the rules and the relays of BENCH_RELAYS).
[ $# -eq 1 ] || usage
bin=$1
case $bin in
*/*) [ -x "$bin" ] || { echo "$0: $bin: not an executable" >&2; exit 2; } ;;
*) command -v "$bin" >/dev/null 2>&1 || { echo "$0: $bin: not found" >&2; exit 2; } ;;
esac
case $(date +%s%N) in
*[!0-9]* | '') echo "$0: date +%s%N gives no nanoseconds here (GNU date needed)" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/.." && pwd) || exit 2
corpus=${CORPUS:-$top/../shared/corpus}
labels=$corpus/labels.tsv
[ -r "$labels" ] || { echo "$0: $labels: cannot read" >&2; exit 2; }
rules=${BENCH_RULES_DIR:-$top/rules}
[ -d "$rules" ] || { echo "$0: $rules: not a directory" >&2; exit 2; }
rules=$(cd "$rules" && pwd)
runs=${BENCH_RUNS:-5}

started=$(date "+%Y-%m-%d %H:%M:%S %z")
load0=$(cut -d " " -f 1-3 /proc/loadavg 2>/dev/null)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/unscatter-$(basename "$0" .sh).XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
conf=$tmp/unscatter.conf
echo "rules $rules" >"$conf"
for r in ${BENCH_RELAYS:-}; do echo "relay $r" >>"$conf"; done
