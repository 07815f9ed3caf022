#!/usr/bin/env bash
# Benchmark: triage against the Sleuth Kit on an ext4 volume with 100,000
# files (built once with mkfs.ext4 -d, no mount, and cached).
#
#   listing:  triage ls --files IMAGE      vs  fls -r -p IMAGE
#   hashing:  triage scan IMAGE (MD5+SHA-1+SHA-256)  vs  fiwalk -X (MD5+SHA-1)
#
# Usage: bash bench/ext.sh [FILES] [SIZE]   (defaults 100000 2G)
# Env: BENCH_DIR (default /tmp/triage-bench/ext) holds the cached image.
# Needs mkfs.ext4 (e2fsprogs), python3, fls, fiwalk.
set -euo pipefail
files=${1:-100000}
size=${2:-2G}
dir=${BENCH_DIR:-/tmp/triage-bench/ext}
img=$dir/ext4-$files-$size.raw
mkdir -p "$dir"
root=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -s "$img" ]; then
  echo "building $img ($files files)..." >&2
  src=$(mktemp -d "$dir/src.XXXXXX")
  trap 'rm -rf "$src"' EXIT
  # Deterministic content: 100 folders, sizes from 0 to 64 KiB with a few
  # larger files, about 1 GB for 100,000 files (as bench/ntfs.sh).
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
  rm -f "$img.tmp"
  mkfs.ext4 -q -F -L bench -N $((files + 1000)) -d "$src" "$img.tmp" "$size"
  rm -rf "$src"
  mv "$img.tmp" "$img"
fi

. "$root/bench/tsk.sh"
compare_with_tsk "$root" "$dir" "$img" "$files"
