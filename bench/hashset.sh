#!/usr/bin/env bash
# Hash-set benchmarks: triage vs the Sleuth Kit's hfind on the same input.
#
#   bench/hashset.sh [LINES] [NSRL_ROWS] [SCAN_FILES]
#       LINES       md5sum lines to import        (default 10000000)
#       NSRL_ROWS   FILE rows of a synthetic RDSv3 (default 20000000; 0 skips;
#                   building the database takes ~8 s and ~390 MB per million rows)
#       SCAN_FILES  small files for the scan-overhead test (default 50000)
#
# Everything is generated deterministically by bench/hashsetgen under
# ${BENCH_DIR:-/tmp/triage-bench-hashset} and removed at the end (set KEEP=1
# to keep it). Prints, side by side with hfind: import wall time and peak
# RSS, index bytes per entry, lookups per second, then the RDSv3 import time
# and the scan throughput with every set attached against none.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-10000000}
nsrl_rows=${2:-20000000}
scan_files=${3:-50000}
work=${BENCH_DIR:-/tmp/triage-bench-hashset}
mkdir -p "$work"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT

command -v hfind >/dev/null || { echo "hfind not installed (apt-get install sleuthkit)"; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time not installed (apt-get install time)"; exit 1; }
go build -o "$work/triage" ./cmd/triage
go build -o "$work/hashsetgen" ./bench/hashsetgen
tri="$work/triage"
export TRIAGE_HASHSET_DIR="$work/lib"
rm -rf "$TRIAGE_HASHSET_DIR"

# measure CMD...: sets wall (s) and rss (MB) from GNU time
measure() {
  /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" >/dev/null 2>"$work/err.out" || { cat "$work/err.out"; exit 1; }
  read -r wall rss_kb < "$work/time.out"
  rss=$((rss_kb / 1024))
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }

echo "== generating $lines md5sum lines"
"$work/hashsetgen" md5sum "$lines" > "$work/set.md5"
cp "$work/set.md5" "$work/hfind.md5"
cat "$work/set.md5" > /dev/null # warm the cache for both

measure "$tri" hashset import "$work/set.md5" --name bench --category known-bad -q
t_wall=$wall t_rss=$rss
measure hfind -i md5sum "$work/hfind.md5"
h_wall=$wall h_rss=$rss
t_size=$(stat -c %s "$TRIAGE_HASHSET_DIR/bench.tset")
h_size=$(( $(stat -c %s "$work/hfind.md5-md5.idx") + $(stat -c %s "$work/hfind.md5-md5.idx2" 2>/dev/null || echo 0) ))

queries=$(( lines < 2000000 ? lines : 2000000 ))
"$work/hashsetgen" lookup "$queries" > "$work/queries.txt"
measure "$tri" hashset lookup - --hashset bench < "$work/queries.txt"
tl_wall=$wall
measure hfind -f "$work/queries.txt" "$work/hfind.md5"
hl_wall=$wall
# answers must agree: digests found by both
"$tri" hashset lookup - --hashset bench < "$work/queries.txt" | awk '$2 != "unknown"' | wc -l > "$work/t.found"
hfind -f "$work/queries.txt" "$work/hfind.md5" | grep -vc 'Hash Not Found' > "$work/h.found" || true

printf '\n%-34s %14s %14s %8s\n' "md5sum, $lines lines" triage hfind ratio
printf '%-34s %13ss %13ss %8s\n' "import wall time" "$t_wall" "$h_wall" "$(ratio "$h_wall" "$t_wall")"
printf '%-34s %12sMB %12sMB %8s\n' "import peak RSS" "$t_rss" "$h_rss" "$(ratio "$h_rss" "$t_rss")"
printf '%-34s %14s %14s %8s\n' "index bytes per entry" "$(awk -v s="$t_size" -v n="$lines" 'BEGIN{printf "%.2f", s/n}')" \
  "$(awk -v s="$h_size" -v n="$lines" 'BEGIN{printf "%.2f", s/n}')" "$(ratio "$h_size" "$t_size")"
printf '%-34s %14s %14s %8s\n' "lookups/s ($queries via CLI, 1/2 hit)" "$(awk -v q="$queries" -v w="$tl_wall" 'BEGIN{printf "%.0f", q/w}')" \
  "$(awk -v q="$queries" -v w="$hl_wall" 'BEGIN{printf "%.0f", q/w}')" "$(ratio "$hl_wall" "$tl_wall")"
printf '%-34s %14s %14s\n' "digests found" "$(cat "$work/t.found")" "$(cat "$work/h.found")"
rm -f "$work/hfind.md5"*

echo
echo "== in-process lookups (go test -bench, one core, warm cache, 10M-entry set)"
(cd hashset && go test -run XXX -bench 'BenchmarkLookup$' -benchtime 3000000x . | grep Benchmark)

if [ "$nsrl_rows" -gt 0 ]; then
  echo
  echo "== NSRL RDSv3 minimal, $nsrl_rows FILE rows (synthetic, real schema)"
  "$work/hashsetgen" nsrl "$nsrl_rows" "$work/rds.db"
  cat "$work/rds.db" > /dev/null
  measure "$tri" hashset import "$work/rds.db" --name nsrl --category known-good -q
  printf '%-34s %13ss, peak RSS %sMB (%s MB database)\n' "triage import" "$wall" "$rss" $(( $(stat -c %s "$work/rds.db") >> 20 ))
  echo "(hfind cannot read RDSv3)"
  rm -f "$work/rds.db"
fi

echo
echo "== scan overhead: $scan_files files of 1-8 KB, every set attached vs none"
mkdir -p "$work/ev"
awk -v n="$scan_files" -v d="$work/ev" 'BEGIN { srand(1); for (i = 0; i < n; i++) { f = sprintf("%s/d%02d", d, i % 50); if (i < 50) system("mkdir -p " f); s = ""; l = 1024 + int(rand() * 7168); while (length(s) < l) s = s sprintf("%d-%d ", i, rand() * 1e9); printf "%s", substr(s, 1, l) > (f "/f" i ".txt"); close(f "/f" i ".txt") } }'
# best of 5 wall times each, runs interleaved so that load from elsewhere
# hits both alike
s_none=999999 s_all=999999
for r in 1 2 3 4 5; do
  rm -rf "$work/case"; measure "$tri" scan "$work/ev" --case "$work/case" -q --no-hashsets
  s_none=$(awk -v a="$wall" -v b="$s_none" 'BEGIN { print (a < b) ? a : b }')
  rm -rf "$work/case"; measure "$tri" scan "$work/ev" --case "$work/case" -q
  s_all=$(awk -v a="$wall" -v b="$s_all" 'BEGIN { print (a < b) ? a : b }')
done
printf '%-34s %13ss\n%-34s %13ss  (%s slower)\n' "scan, no sets" "$s_none" "scan, all sets ($("$tri" hashset list | tail -n +2 | wc -l))" "$s_all" \
  "$(awk -v a="$s_all" -v b="$s_none" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }')"
# the fixed part: opening the sets, recording them in the case and custody log
mkdir -p "$work/empty"
e_none=999999 e_all=999999
for r in 1 2 3 4 5; do
  rm -rf "$work/case"; measure "$tri" scan "$work/empty" --case "$work/case" -q --no-hashsets
  e_none=$(awk -v a="$wall" -v b="$e_none" 'BEGIN { print (a < b) ? a : b }')
  rm -rf "$work/case"; measure "$tri" scan "$work/empty" --case "$work/case" -q
  e_all=$(awk -v a="$wall" -v b="$e_all" 'BEGIN { print (a < b) ? a : b }')
done
printf '%-34s %13ss vs %ss with no set (fixed cost per scan)\n' "scan of an empty folder, all sets" "$e_all" "$e_none"
