#!/usr/bin/env bash
# The cost of opening archives: triage scan of the same corpus with
# --archives=false and with archives opened, warm cache.
#
#   bench/archives.sh [SIZE_MB]     (default 512)
#
# Builds (once) under ${BENCH_DIR:-/tmp/triage-bench}/archives-SIZE a corpus
# of pseudo-random files: half the bytes as plain files (1 MB and 4-64 KB),
# half as zip archives (deflated members of the same kinds, so members hold
# about the archives' own bytes) and .tar.gz archives. Prints both times, the
# bytes inside the archives, and the cost of the archives per byte inside
# them against the plain scan's cost per byte (1.0: the same cost).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-512}
work=${BENCH_DIR:-/tmp/triage-bench}
corpus=$work/archives-$size_mb
mkdir -p "$work"
go build -o "$work/triage" ./cmd/triage

if [ ! -f "$corpus/.done" ]; then
  echo "building corpus of ~${size_mb} MB in $corpus ..."
  rm -rf "$corpus"; mkdir -p "$corpus"
  python3 - "$corpus" "$size_mb" <<'PY'
import os, sys, random, zipfile, tarfile, io
root, mb = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1)
seed = rnd.randbytes(64 << 20)
def blob(sz):
    off = rnd.randint(0, len(seed) - sz); return seed[off:off + sz]
def sizes(total):
    out, t = [], 0
    while t < total:
        sz = 1 << 20 if rnd.random() < 0.5 else rnd.randint(4 << 10, 64 << 10)
        out.append(sz); t += sz
    return out
half = (mb << 20) // 2
for i, sz in enumerate(sizes(half)):
    d = os.path.join(root, 'plain', 'd%03d' % (i // 500)); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, 'f%06d.bin' % i), 'wb').write(blob(sz))
os.makedirs(os.path.join(root, 'arch'), exist_ok=True)
members, n, t = sizes(half), 0, 0
while members:
    part, members = members[:64], members[64:]
    if n % 4 == 3:
        with tarfile.open(os.path.join(root, 'arch', 'a%04d.tar.gz' % n), 'w:gz', compresslevel=1) as tf:
            for j, sz in enumerate(part):
                ti = tarfile.TarInfo('in/m%03d.bin' % j); ti.size = sz; tf.addfile(ti, io.BytesIO(blob(sz)))
    else:
        with zipfile.ZipFile(os.path.join(root, 'arch', 'a%04d.zip' % n), 'w', zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for j, sz in enumerate(part):
                zf.writestr('in/m%03d.bin' % j, blob(sz))
    n += 1; t += sum(part)
open(os.path.join(root, '.members'), 'w').write(str(t))
print(n, "archives holding", t, "bytes")
PY
  touch "$corpus/.done"
fi

bytes=$(du -sb --exclude=.done --exclude=.members "$corpus" | cut -f1)
inside=$(cat "$corpus/.members")
echo "corpus: $bytes bytes, $inside bytes inside archives; $(nproc) cores"
cat $(find "$corpus" -type f) > /dev/null  # warm the page cache

t() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
rm -rf "$work/case-a" "$work/case-b"
off=$(t "$work/triage" scan "$corpus" --case "$work/case-a" -q --archives=false)
on=$(t "$work/triage" scan "$corpus" --case "$work/case-b" -q)
rm -rf "$work/case-a" "$work/case-b"
echo "archives off: ${off} s ($(echo "$bytes / $off / 1000000" | bc) MB/s)"
echo "archives on:  ${on} s"
echo "cost of the archives: $(echo "$on - $off" | bc) s for $inside bytes inside them"
echo "cost per byte inside archives / cost per byte of the plain scan: $(echo "scale=2; ($on - $off) * $bytes / ($inside * $off)" | bc)"
