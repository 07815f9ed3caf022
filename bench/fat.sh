#!/usr/bin/env bash
# Benchmark: triage against the Sleuth Kit on a FAT32 volume with 100,000
# files (built once and cached: mkfs.vfat -F 32, then the files, generated
# by python3 in a temporary folder, copied in with one recursive mcopy).
#
#   listing:  triage ls --files IMAGE      vs  fls -r -p IMAGE
#   hashing:  triage scan IMAGE (MD5+SHA-1+SHA-256)  vs  fiwalk -X (MD5+SHA-1)
#
# Usage: bash bench/fat.sh [FILES] [SIZE]   (defaults 100000 2G)
# Env: BENCH_DIR (default /tmp/triage-bench/fat) holds the cached image.
# Needs mkfs.vfat (dosfstools), mcopy (mtools), python3, fls, fiwalk.
set -euo pipefail
files=${1:-100000}
size=${2:-2G}
dir=${BENCH_DIR:-/tmp/triage-bench/fat}
img=$dir/fat32-$files-$size.raw
mkdir -p "$dir"
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$PATH:/usr/sbin:/sbin

if [ ! -s "$img" ]; then
  echo "building $img ($files files; this takes a few minutes)..." >&2
  src=$(mktemp -d "$dir/src.XXXXXX")
  trap 'rm -rf "$src"' EXIT
  rm -f "$img.tmp"
  mkfs.vfat -C -F 32 -s 8 -n BENCH "$img.tmp" $(( $(numfmt --from=iec "$size") / 1024 )) >/dev/null
  # Deterministic content: 100 folders, sizes from 0 to 16 KiB with a few
  # up to 64 KiB and 4 MiB, about 0.8 GB in all.
  python3 - "$src" "$files" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
block = bytes(rnd.getrandbits(8) for _ in range(1 << 20))
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % 100))
    if i < 100:
        os.mkdir(d)
    r = rnd.random()
    size = rnd.randint(0, 1024) if r < 0.3 else rnd.randint(1024, 16384) if r < 0.9 else rnd.randint(16384, 65536) if r < 0.9995 else rnd.randint(1 << 20, 4 << 20)
    off = rnd.randint(0, len(block) - 1)
    data = (block[off:] + block)[:size] if size <= len(block) else (block * (size // len(block) + 1))[:size]
    with open(os.path.join(d, "f%06d.bin" % i), "wb") as f:
        f.write(data)
PY
  MTOOLS_SKIP_CHECK=1 mcopy -s -Q -i "$img.tmp" "$src"/* ::/
  rm -rf "$src"
  mv "$img.tmp" "$img"
fi

. "$root/bench/tsk.sh"
compare_with_tsk "$root" "$dir" "$img" "$files"
n_triage=$("$dir/triage" ls --files "$img" | wc -l)
n_fls=$(fls -r -p "$img" | grep -vc -e '^v/v' -e '^V/V' -e 'Volume Label Entry')
echo "entries:  triage ls --files $n_triage   fls -r -p $n_fls"
