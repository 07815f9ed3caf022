#!/usr/bin/env bash
# Scan throughput: triage scan vs hashdeep on the same corpus, warm cache.
#
#   bench/scan.sh [--fuzzy] [SIZE_MB]     (default 2048)
#
# Builds (once) a corpus of mixed large and small files of pseudo-random
# content under ${BENCH_DIR:-/tmp/triage-bench}/corpus-SIZE, then times
#   triage scan CORPUS --case NEW -q            (MD5 + SHA-1 + SHA-256)
#   hashdeep -r -c md5,sha1,sha256 CORPUS
# each after a warm-up read, and prints the throughputs and their ratio.
# With --fuzzy it also times
#   triage scan CORPUS --case NEW -q --fuzzy    (the same plus ssdeep and TLSH)
#   ssdeep -r CORPUS; tlsh -r CORPUS             (the peers, one after the other)
# and prints what the similarity digests add to the scan time.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzzy=
if [ "${1:-}" = --fuzzy ]; then fuzzy=1; shift; fi
size_mb=${1:-2048}
work=${BENCH_DIR:-/tmp/triage-bench}
corpus=$work/corpus-$size_mb
mkdir -p "$work"

command -v hashdeep >/dev/null || { echo "hashdeep not installed (apt-get install hashdeep)"; exit 1; }
go build -o "$work/triage" ./cmd/triage

if [ ! -f "$corpus/.done" ]; then
  echo "building corpus of ~${size_mb} MB in $corpus ..."
  rm -rf "$corpus"; mkdir -p "$corpus"
  # half the bytes in 8 large files, a quarter in 1 MB files, a quarter in
  # 4-64 KB files spread over folders (openssl-free: from /dev/urandom seeded copies)
  head -c 64M /dev/urandom > "$work/seed"
  large=$((size_mb / 2 / 8))
  for i in $(seq 1 8); do
    # (a cat cut short by head is not a failure)
    { for j in $(seq 1 $(( (large + 63) / 64 ))); do cat "$work/seed"; done || true; } | head -c "${large}M" > "$corpus/large-$i.bin"
  done
  mid=$((size_mb / 4))
  mkdir -p "$corpus/mid"
  for i in $(seq 1 "$mid"); do
    dd if="$work/seed" of="$corpus/mid/m$i.dat" bs=1M count=1 skip=$((i % 63)) status=none
  done
  python3 - "$corpus" "$work/seed" $((size_mb / 4)) <<'PY'
import os, sys, random
root, seed, mb = sys.argv[1], open(sys.argv[2], 'rb').read(), int(sys.argv[3])
rnd = random.Random(1); total = 0; n = 0
while total < mb << 20:
    d = os.path.join(root, 'small', 'd%03d' % (n // 500))
    os.makedirs(d, exist_ok=True)
    sz = rnd.randint(4 << 10, 64 << 10); off = rnd.randint(0, len(seed) - sz)
    open(os.path.join(d, 'f%06d.txt' % n), 'wb').write(seed[off:off + sz])
    total += sz; n += 1
print(n, "small files")
PY
  rm -f "$work/seed"
  touch "$corpus/.done"
fi

bytes=$(du -sb --exclude=.done "$corpus" | cut -f1)
files=$(find "$corpus" -type f ! -name .done | wc -l)
echo "corpus: $files files, $bytes bytes; $(nproc) cores"
cat $(find "$corpus" -type f) > /dev/null  # warm the page cache

t() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
rm -rf "$work/case"
tt=$(t "$work/triage" scan "$corpus" --case "$work/case" -q)
th=$(t hashdeep -r -c md5,sha1,sha256 "$corpus")
rm -rf "$work/case"
rate() { echo "scale=1; $bytes / $1 / 1000000" | bc; }
printf "triage scan (md5+sha1+sha256): %6.2f s  %7s MB/s\n" "$tt" "$(rate "$tt")"
printf "hashdeep -c md5,sha1,sha256:   %6.2f s  %7s MB/s\n" "$th" "$(rate "$th")"
printf "ratio (hashdeep time / triage time): %.2fx\n" "$(echo "$th / $tt" | bc -l)"

if [ -n "$fuzzy" ]; then
  rm -rf "$work/case"
  tf=$(t "$work/triage" scan "$corpus" --case "$work/case" -q --fuzzy)
  rm -rf "$work/case"
  printf "triage scan --fuzzy (+ssdeep+tlsh): %6.2f s  %7s MB/s\n" "$tf" "$(rate "$tf")"
  printf "fuzzy / plain scan time: %.2fx\n" "$(echo "$tf / $tt" | bc -l)"
  if command -v ssdeep >/dev/null && command -v tlsh >/dev/null; then
    ts=$(t ssdeep -r "$corpus")
    tl=$(t tlsh -r "$corpus")
    printf "ssdeep -r:                  %6.2f s  %7s MB/s\n" "$ts" "$(rate "$ts")"
    printf "tlsh -r:                    %6.2f s  %7s MB/s\n" "$tl" "$(rate "$tl")"
    printf "ratio (ssdeep + tlsh + hashdeep time / triage --fuzzy time): %.2fx\n" "$(echo "($ts + $tl + $th) / $tf" | bc -l)"
  else
    echo "ssdeep or tlsh not installed (apt-get install ssdeep tlsh-tools): no peer timing"
  fi
fi
