#!/usr/bin/env bash
# Report benchmark: a DFXML listing of a folder, triage vs hashdeep.
#
#   bench/report.sh [FILES]     (default 20000)
#   bench/report.sh pdf [RECORDS]  (default 100000)
#
# The pdf variant writes a synthetic case of RECORDS records (bench/casegen,
# no scan) and measures the peak memory (maximum resident set size,
# /usr/bin/time -v) and time of "triage report -f pdf" with its listing,
# next to "-f csv" (a listing streamed from the case) as the baseline, and
# prints the ratio of the two peaks.
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
if [ "${1:-}" = pdf ]; then
  n=${2:-100000}
  work=${BENCH_DIR:-/tmp/triage-bench}
  [ -x /usr/bin/time ] || { echo "/usr/bin/time not installed (apt-get install time)"; exit 1; }
  mkdir -p "$work"
  go build -o "$work/triage" ./cmd/triage
  go build -o "$work/casegen" ./bench/casegen
  c=$work/report-case-$n
  [ -f "$c/case.db" ] || { echo "writing a case of $n records in $c ..."; "$work/casegen" "$c" "$n"; }
  out=$work/report-pdf-out; rm -rf "$out"; mkdir -p "$out"
  peak() { # peak RSS in MB and wall time of a report run: peak FORMAT
    /usr/bin/time -v "$work/triage" report "$c" -f "$1" -o "$out/r-$1" >/dev/null 2>"$out/time-$1.txt"
    awk '/Maximum resident/{rss=$6} /Elapsed/{w=$8} END{printf "%d %s", rss/1024, w}' "$out/time-$1.txt"
  }
  read -r rss_pdf wall_pdf <<<"$(peak pdf)"
  read -r rss_csv wall_csv <<<"$(peak csv)"
  pages=$(pdfinfo "$out/r-pdf.pdf" 2>/dev/null | awk '/^Pages/{print $2}')
  printf 'records: %d\n' "$n"
  printf 'triage report -f pdf: peak RSS %6d MB, %s wall, %s pages, %d MB\n' "$rss_pdf" "$wall_pdf" "${pages:-?}" "$(( $(stat -c %s "$out/r-pdf.pdf") >> 20 ))"
  printf 'triage report -f csv: peak RSS %6d MB, %s wall\n' "$rss_csv" "$wall_csv"
  printf 'ratio pdf / csv peak RSS: %.2f\n' "$(echo "$rss_pdf / $rss_csv" | bc -l)"
  exit 0
fi
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
