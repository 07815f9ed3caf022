#!/usr/bin/env bash
# Benchmark: triage against the Sleuth Kit on a 2 GB NTFS image with 100,000
# files (built once with mkntfs + ntfs-3g and cached).
#
#   listing:  triage ls --files IMAGE      vs  fls -r -p IMAGE
#   hashing:  triage scan IMAGE (MD5+SHA-1+SHA-256)  vs  fiwalk -X (MD5+SHA-1)
#
# Usage: bash bench/ntfs.sh [FILES] [SIZE]   (defaults 100000 2G)
#
# With "random" first, the image of the one-read issue instead: FILES files
# of 100 B to 20 KB of random content each (defaults 100000 files, 2G), and
#
#   default scan (files and media hash, one read)  vs  fiwalk -X
#   files only (--verify-image=false)              vs  fiwalk -X
#   bytes read by the default scan (rchar of /proc/PID/io) / image size
#   the same disk as an E01 (ewfacquire -c fast): default scan  vs  ewfverify -d sha1
#
#   bash bench/ntfs.sh random 25000 500M    (a smaller run)
#
# Env: BENCH_DIR (default /tmp/triage-bench/ntfs) holds the cached images.
# Needs root (FUSE mount), mkntfs, ntfs-3g, python3, fls, fiwalk (and
# ewfacquire, ewfverify for "random").
set -euo pipefail
if [ "${1:-}" = random ]; then
  shift
  exec bash "$(dirname "$0")/ntfs_random.sh" "$@"
fi
files=${1:-100000}
size=${2:-2G}
dir=${BENCH_DIR:-/tmp/triage-bench/ntfs}
img=$dir/ntfs-$files-$size.raw
mkdir -p "$dir"
root=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -s "$img" ]; then
  echo "building $img ($files files; this takes a few minutes)..." >&2
  mnt=$(mktemp -d)
  trap 'mountpoint -q "$mnt" && umount "$mnt"; rmdir "$mnt" 2>/dev/null || true' EXIT
  truncate -s "$size" "$img.tmp"
  mkntfs -q -Q -F -L bench "$img.tmp" >/dev/null 2>&1
  ntfs-3g -o big_writes "$img.tmp" "$mnt"
  # Deterministic content: 100 folders, sizes from 0 to 64 KiB with a few
  # larger files, about 1 GB in all.
  python3 - "$mnt" "$files" <<'PY'
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
  umount "$mnt"
  rmdir "$mnt"
  mv "$img.tmp" "$img"
fi

. "$root/bench/tsk.sh"
compare_with_tsk "$root" "$dir" "$img" "$files"
