#!/usr/bin/env bash
# Virtual-disk read throughput: triage against qemu-img on the same images.
#
#   bench/vdisk.sh [SIZE_MB]     (default 512)
#
# Builds (once) a raw medium of SIZE_MB under ${BENCH_DIR:-/tmp/triage-bench}
# (a third random bytes, a third base64 text, a third zeros, interleaved in
# 4 MiB runs, like a used disk) and converts it with qemu-img into each
# container: vpc (dynamic), vhdx, vmdk (monolithicSparse, streamOptimized),
# qcow2 (plain, compressed). For each, after a warm-up read of the file,
# times (best of RUNS=3):
#   triage image verify -q IMAGE     the whole logical disk read and hashed
#                                    (MD5 + SHA-1 + SHA-256)
#   triage read                      the whole logical disk read only, as
#                                    image verify reads it (the container's
#                                    parallel stream), through image.Open:
#                                    the reader alone, no hashing
#                                    (BenchmarkRead in triage/image)
#   qemu-img convert -n IMAGE null-co  the whole logical disk read by qemu and
#                                    written to its null driver (qemu-img
#                                    convert cannot write a raw image to
#                                    /dev/null: "Cannot grow device files")
# and prints MB/s of the logical disk and the ratios qemu-time/triage-time
# (>1: triage is faster), and the bytes image verify reads (rchar of
# /proc/PID/io) over the size of the container's files:
# about 1 when the files are hashed from the stream's own reads.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-512}
runs=${RUNS:-3}
work=${BENCH_DIR:-/tmp/triage-bench}/vdisk-$size_mb
mkdir -p "$work"
command -v qemu-img >/dev/null || { echo "qemu-img not installed (apt-get install qemu-utils)"; exit 1; }
go build -o "$work/triage" ./cmd/triage
go test -c -o "$work/image.test" ./triage/image

raw=$work/medium.raw
if [ ! -f "$raw" ]; then
  echo "building a ${size_mb} MiB medium in $raw ..."
  : >"$raw.tmp"
  for i in $(seq 0 $((size_mb / 4 - 1))); do
    case $((i % 3)) in
      0) head -c 4M /dev/urandom ;;
      1) head -c 3M /dev/urandom | base64 -w0 ;;
      2) head -c 4M /dev/zero ;;
    esac >>"$raw.tmp"
  done
  truncate -s "${size_mb}M" "$raw.tmp"
  mv "$raw.tmp" "$raw"
fi

best() { # best CMD...: the shortest wall time of $runs runs, in seconds
  local b=
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e" -o "$work/time.out" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; cat "$work/time.out" >&2; exit 1; }
    b=$(python3 -c "import sys; a=float(open(sys.argv[1]).read().split()[-1]); b=sys.argv[2]; print(a if b=='' or a<float(b) else b)" "$work/time.out" "$b")
  done
  echo "$b"
}
mbs() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / 1048576 / max(float(sys.argv[2]), 0.001)))" "$1" "$2"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.001)))" "$1" "$2"; }

echo "medium: ${size_mb} MiB; runs: best of $runs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# rchar of one run: /proc/PID/io read once the process has exited and
# before it is reaped (waitid WNOWAIT).
reads() {
  python3 - "$@" <<'PY'
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
io = dict(l.split(": ") for l in open("/proc/%d/io" % p.pid).read().split("\n") if l)
p.wait()
print(int(io["rchar"]))
PY
}
printf '%-22s %10s %9s %12s %12s %12s %9s %9s %8s\n' container file_MiB disk_MiB verify_MB/s read_MB/s qemu_MB/s q/verify q/read reads
for c in "vhd vpc -o subformat=dynamic" "vhdx vhdx" "vmdk vmdk -o subformat=monolithicSparse" \
         "stream.vmdk vmdk -o subformat=streamOptimized" "qcow2 qcow2" "c.qcow2 qcow2 -c"; do
  set -- $c
  ext=$1 fmt=$2; shift 2
  img=$work/medium.$ext
  [ -f "$img" ] || qemu-img convert -O "$fmt" "$@" "$raw" "$img"
  size=$(qemu-img info -f "$fmt" --output=json "$img" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
  cat "$img" >/dev/null
  v=$(best "$work/triage" image verify -q "$img")
  r=$(best env TRIAGE_BENCH_IMAGE="$img" "$work/image.test" -test.run '^$' -test.bench '^BenchmarkRead$' -test.benchtime 1x)
  q=$(best qemu-img convert -n -f "$fmt" --target-image-opts "$img" "driver=null-co,size=$size")
  rd=$(reads "$work/triage" image verify -q "$img")
  printf '%-22s %10s %9s %12s %12s %12s %9s %9s %8s\n' "$ext ($fmt)" "$(( $(stat -c %s "$img") >> 20 ))" "$((size >> 20))" \
    "$(mbs "$size" "$v")" "$(mbs "$size" "$r")" "$(mbs "$size" "$q")" "$(ratio "$q" "$v")" "$(ratio "$q" "$r")" "$(ratio "$rd" "$(stat -c %s "$img")")"
done
rm -f "$work/time.out"
