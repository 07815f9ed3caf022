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

bin=$dir/triage
(cd "$root" && go build -o "$bin" ./cmd/triage)

# t CMD...: "WALL CPU" seconds, the best of 3 runs each. CPU (user+sys) is
# printed too because wall time means little on a loaded machine.
t() {
  local best_w= best_c=
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S" -o "$dir/time.out" "$@" >/dev/null 2>&1 || true
    read -r w u s <"$dir/time.out"
    best_w=$(python3 -c "import sys; a=float(sys.argv[1]); b=sys.argv[2]; print(a if b=='' or a<float(b) else b)" "$w" "$best_w")
    best_c=$(python3 -c "import sys; a=float(sys.argv[1])+float(sys.argv[2]); b=sys.argv[3]; print(round(a,2) if b=='' or a<float(b) else b)" "$u" "$s" "$best_c")
  done
  echo "$best_w $best_c"
}
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1])/float(sys.argv[2])))" "$1" "$2"; }

cat "$img" >/dev/null # warm the page cache for both tools
echo "image: $img ($(du -h --apparent-size "$img" | cut -f1), $files files); load: $(cut -d' ' -f1-3 /proc/loadavg)"

read -r ls_w ls_c < <(t "$bin" ls --files "$img")
read -r fls_w fls_c < <(t fls -r -p "$img")
echo "listing:  triage ls --files ${ls_w}s (cpu ${ls_c}s)   fls -r -p ${fls_w}s (cpu ${fls_c}s)   fls/triage: wall $(ratio "$fls_w" "$ls_w"), cpu $(ratio "$fls_c" "$ls_c")"

scan() { rm -rf "$dir/case"; "$bin" scan "$img" --case "$dir/case" -q --verify-image=false; }
fiw() { rm -f "$dir/fiwalk.xml"; fiwalk -X "$dir/fiwalk.xml" "$img"; }
export -f scan fiw
export dir bin img
read -r scan_w scan_c < <(t bash -c scan)
read -r fiw_w fiw_c < <(t bash -c fiw)
echo "hashing:  triage scan (md5+sha1+sha256) ${scan_w}s (cpu ${scan_c}s)   fiwalk -X (md5+sha1) ${fiw_w}s (cpu ${fiw_c}s)   fiwalk/triage: wall $(ratio "$fiw_w" "$scan_w"), cpu $(ratio "$fiw_c" "$scan_c")"
rm -rf "$dir/case" "$dir/fiwalk.xml" "$dir/time.out"
