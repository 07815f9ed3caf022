#!/usr/bin/env bash
# Report benchmark: a DFXML listing of a folder, triage vs hashdeep.
#
#   bench/report.sh [FILES]     (default 20000)
#
# Builds (once) a folder of FILES small files (1-8 KiB, random) under
# ${BENCH_DIR:-/tmp/triage-bench}/report-FILES, then times (best of RUNS=3):
#   hashdeep -c md5,sha1,sha256 -r -d DIR > out.xml    (hash + DFXML)
#   triage scan DIR --case C && triage report C -f dfxml   (hash + case + DFXML)
#   triage report C -f dfxml                  (the report alone, from the case)
#   triage report C -f html,csv,json           (other listing formats)
# and prints the times and the ratio hashdeep/triage (>1: triage is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
runs=${RUNS:-3}
work=${BENCH_DIR:-/tmp/triage-bench}
dir=$work/report-$n
command -v hashdeep >/dev/null || { echo "hashdeep not installed (apt-get install hashdeep)"; exit 1; }
mkdir -p "$work"
go build -o "$work/triage" ./cmd/triage
if [ ! -d "$dir" ]; then
  echo "building $n files in $dir ..."
  mkdir -p "$dir"
  python3 - "$dir" "$n" <<'PY'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(42)
for i in range(n):
    sub = os.path.join(d, "d%03d" % (i % 200))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%06d.bin" % i), "wb") as f:
        f.write(r.randbytes(r.randint(1024, 8192)))
PY
fi
cat "$dir"/*/* >/dev/null  # warm the page cache

best() { # best wall time of $runs runs of "$@", in seconds
  local b=
  for _ in $(seq "$runs"); do
    local s=$(date +%s.%N); "$@" >/dev/null 2>&1; local e=$(date +%s.%N)
    local t=$(echo "$e - $s" | bc)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}
out=$work/report-out; rm -rf "$out"; mkdir -p "$out"
scan_report() {
  rm -rf "$out/case"
  "$work/triage" scan "$dir" --case "$out/case" -q --workers 2
  "$work/triage" report "$out/case" -f dfxml -o "$out/r"
}
t_hd=$(best sh -c "hashdeep -c md5,sha1,sha256 -r -d '$dir' > '$out/hashdeep.xml'")
t_tr=$(best scan_report)
t_rep=$(best "$work/triage" report "$out/case" -f dfxml -o "$out/r2")
t_other=$(best "$work/triage" report "$out/case" -f html,csv,json -o "$out/r3")
printf 'files: %d\n' "$n"
printf 'hashdeep -d (hash + DFXML):          %6.2f s\n' "$t_hd"
printf 'triage scan + report -f dfxml:        %6.2f s\n' "$t_tr"
printf 'triage report -f dfxml (from case):  %6.2f s\n' "$t_rep"
printf 'triage report -f html,csv,json:      %6.2f s\n' "$t_other"
printf 'ratio hashdeep / triage (scan+dfxml): %.2f\n' "$(echo "$t_hd / $t_tr" | bc -l)"
