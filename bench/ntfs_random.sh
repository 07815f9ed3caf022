#!/usr/bin/env bash
# The random-content NTFS image of the one-read issue (run through
# bench/ntfs.sh random [FILES] [SIZE]): FILES files of 100 B to 20 KB of
# random content each, written through ntfs-3g, cached in BENCH_DIR.
set -euo pipefail
files=${1:-100000}
size=${2:-2G}
dir=${BENCH_DIR:-/tmp/triage-bench/ntfs}
img=$dir/ntfs-random-$files-$size.raw
mkdir -p "$dir"
root=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -s "$img" ]; then
  echo "building $img ($files files of random content; this takes a few minutes)..." >&2
  mnt=$(mktemp -d)
  trap 'mountpoint -q "$mnt" && umount "$mnt"; rmdir "$mnt" 2>/dev/null || true' EXIT
  truncate -s "$size" "$img.tmp"
  mkntfs -q -Q -F -L bench "$img.tmp" >/dev/null 2>&1
  ntfs-3g -o big_writes "$img.tmp" "$mnt"
  python3 - "$mnt" "$files" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(15)
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % 100))
    if i < 100:
        os.mkdir(d)
    with open(os.path.join(d, "f%06d.bin" % i), "wb") as f:
        f.write(rnd.randbytes(rnd.randint(100, 20000)))
PY
  umount "$mnt"
  rmdir "$mnt"
  mv "$img.tmp" "$img"
fi
e01=$dir/ntfs-random-$files-$size
if [ ! -s "$e01.E01" ]; then
  ewfacquire -u -q -c fast -t "$e01" "$img" >/dev/null
fi

. "$root/bench/tsk.sh"
bin=$dir/triage
(cd "$root" && go build -o "$bin" ./cmd/triage)
cat "$img" "$e01".E* >/dev/null # warm the page cache
echo "image: $img ($(du -h --apparent-size "$img" | cut -f1), $files files of random content); load: $(cut -d' ' -f1-3 /proc/loadavg)"
# BASELINE=/path/to/an/older/triage runs every measure with that binary
# too, in the same run (before and after a change).
measure() { # measure BIN LABEL
bin=$1
echo "== $2"
scan_default() { rm -rf "$dir/case"; "$bin" scan "$1" --case "$dir/case" -q; }
scan_files() { rm -rf "$dir/case"; "$bin" scan "$1" --case "$dir/case" -q --verify-image=false; }
fiw() { rm -f "$dir/fiwalk.xml"; fiwalk -X "$dir/fiwalk.xml" "$1"; }
export -f scan_default scan_files fiw
export dir bin
read -r def_w def_c < <(tsk_time bash -c 'scan_default "$0"' "$img")
read -r fil_w fil_c < <(tsk_time bash -c 'scan_files "$0"' "$img")
if [ -z "${fiw_w:-}" ]; then
  read -r fiw_w fiw_c < <(tsk_time bash -c 'fiw "$0"' "$img")
fi
echo "default scan (files + media hash)  ${def_w}s (cpu ${def_c}s)   fiwalk -X ${fiw_w}s (cpu ${fiw_c}s)   fiwalk/triage: wall $(tsk_ratio "$fiw_w" "$def_w"), cpu $(tsk_ratio "$fiw_c" "$def_c")"
echo "files only (--verify-image=false)  ${fil_w}s (cpu ${fil_c}s)   fiwalk/triage: wall $(tsk_ratio "$fiw_w" "$fil_w"), cpu $(tsk_ratio "$fiw_c" "$fil_c")"

# rchar and peak RSS of one default scan: /proc/PID/io read once the
# process has exited and before it is reaped (waitid WNOWAIT).
rm -rf "$dir/case"
python3 - "$bin" "$img" "$dir/case" <<'PY'
import os, resource, subprocess, sys
binp, img, case = sys.argv[1:]
p = subprocess.Popen([binp, "scan", img, "--case", case, "-q"], stdout=subprocess.DEVNULL)
os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
io = dict(l.split(": ") for l in open("/proc/%d/io" % p.pid).read().split("\n") if l)
p.wait()
size = os.path.getsize(img)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("default scan reads: rchar %d for %d bytes of image = %.2fx; peak RSS %d MB" % (int(io["rchar"]), size, int(io["rchar"]) / size, rss // 1024))
PY

read -r e_w e_c < <(tsk_time bash -c 'scan_default "$0"' "$e01.E01")
if [ -z "${v_w:-}" ]; then
  read -r v_w v_c < <(tsk_time ewfverify -q -d sha1 "$e01.E01")
fi
echo "E01 (-c fast): default scan ${e_w}s (cpu ${e_c}s)   ewfverify -d sha1 ${v_w}s (cpu ${v_c}s)   ewfverify/triage: wall $(tsk_ratio "$v_w" "$e_w"), cpu $(tsk_ratio "$v_c" "$e_c")"
}
measure "$dir/triage" "triage (this tree)"
if [ -n "${BASELINE:-}" ]; then
  measure "$BASELINE" "baseline $BASELINE"
fi
rm -rf "$dir/case" "$dir/fiwalk.xml" "$dir/time.out"
