#!/usr/bin/env bash
# Memory with many files: peak RSS of triage scan over N small files
# (default 1,000,000), measured with GNU time.
#
#   bench/scan_many.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${BENCH_DIR:-/tmp/triage-bench}
dir=$work/many-$n
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "GNU time not installed (apt-get install time)"; exit 1; }
go build -o "$work/triage" ./cmd/triage
if [ ! -f "$dir/.done" ]; then
  echo "creating $n small files in $dir ..."
  python3 - "$dir" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, 'd%04d' % (i // 1000))
    if i % 1000 == 0: os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'f%07d.txt' % i), 'w') as f: f.write('file %d\n' % i)
PY
  touch "$dir/.done"
fi
rm -rf "$work/case-many"
/usr/bin/time -v "$work/triage" scan "$dir" --case "$work/case-many" -q 2> "$work/time.txt" || true
grep -E "Maximum resident|Elapsed" "$work/time.txt"
rss=$(awk '/Maximum resident/ {print $6}' "$work/time.txt")
echo "peak RSS: $((rss / 1024)) MB for $n files (target: under 150 MB)"
rm -rf "$work/case-many"
