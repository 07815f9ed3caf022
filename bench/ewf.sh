#!/usr/bin/env bash
# E01 read throughput: triage image verify vs libewf on the same image.
#
#   bench/ewf.sh [SIZE_MB]     (default 384)
#
# Builds (once) a raw medium of SIZE_MB under ${BENCH_DIR:-/tmp/triage-bench}
# (a third random bytes, a third base64 text, a third zeros, interleaved in
# 4 MiB runs, like a used disk) and acquires it with ewfacquire (deflate,
# fast) into ewf-SIZE.E01. Then times, after a warm-up read of the segment
# files:
#   ewfverify -q -d sha1,sha256 IMAGE          (libewf: MD5 + SHA-1 + SHA-256)
#   ewfexport -q -u -f raw -t - IMAGE > /dev/null  (libewf: decode only)
#   triage image verify IMAGE                  (MD5 + SHA-1 + SHA-256)
# (best of RUNS=3 each) and prints the throughputs and the ratios (>1:
# triage is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-384}
work=${BENCH_DIR:-/tmp/triage-bench}
img=$work/ewf-$size_mb
mkdir -p "$work"
for t in ewfacquire ewfverify ewfexport; do
  command -v $t >/dev/null || { echo "$t not installed (apt-get install ewf-tools)"; exit 1; }
done
go build -o "$work/triage" ./cmd/triage

if [ ! -f "$img.E01" ]; then
  echo "building a ${size_mb} MiB medium and acquiring it into $img.E01 ..."
  raw=$work/ewf-$size_mb.raw
  : > "$raw"
  runs=$((size_mb / 4))
  for i in $(seq 0 $((runs - 1))); do
    case $((i % 3)) in
      0) head -c 4M /dev/urandom ;;
      1) head -c 3M /dev/urandom | base64 -w0 ;;
      2) head -c 4M /dev/zero ;;
    esac >> "$raw"
  done
  ewfacquire -u -q -c fast -d sha1 -t "$img" "$raw" >/dev/null
  rm -f "$raw"
fi
cat "$img".E* > /dev/null # warm the page cache

# seconds CMD...: best wall time of ${RUNS:-3} runs (the machine may be shared).
seconds() {
  local best="" s e t
  for _ in $(seq "${RUNS:-3}"); do
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
t_verify=$(seconds ewfverify -q -d sha1,sha256 "$img.E01")
t_export=$(seconds sh -c "ewfexport -q -u -f raw -t - '$img.E01' > /dev/null")
t_triage=$(seconds "$work/triage" image verify "$img.E01")
ours=$("$work/triage" image verify "$img.E01" | grep -E "calculated" | awk '{print $NF}' | tr '\n' ' ')
theirs=$(ewfverify -q -d sha1,sha256 "$img.E01" 2>/dev/null | grep -E "calculated" | awk '{print $NF}' | tr '\n' ' ')
echo "triage:    $ours"
echo "ewfverify: $theirs"
[ "$ours" = "$theirs" ] && echo "digests agree" || echo "DIGESTS DIFFER"

mb() { echo "scale=1; $size_mb / $1" | bc -l; }
printf '%-44s %7.2f s %8s MiB/s\n' "ewfverify -d sha1,sha256 (MD5+SHA-1+SHA-256)" "$t_verify" "$(mb "$t_verify")"
printf '%-44s %7.2f s %8s MiB/s\n' "ewfexport to /dev/null (decode only)" "$t_export" "$(mb "$t_export")"
printf '%-44s %7.2f s %8s MiB/s\n' "triage image verify (MD5+SHA-1+SHA-256)" "$t_triage" "$(mb "$t_triage")"
printf 'ratio vs ewfverify: %.2f   vs ewfexport: %.2f\n' "$(echo "$t_verify / $t_triage" | bc -l)" "$(echo "$t_export / $t_triage" | bc -l)"
