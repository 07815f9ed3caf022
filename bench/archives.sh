#!/usr/bin/env bash
# The cost of a byte inside an archive against the same byte as a plain file.
#
#   bench/archives.sh [SIZE_MB]     (default 384: bytes inside the archives)
#   TRIAGE=/path/to/triage bench/archives.sh   (a binary built before)
#
# Builds (once) under ${BENCH_DIR:-/tmp/triage-bench}/archives2-SIZE:
#   arch/   archives holding SIZE_MB of members: zip deflated, zip stored,
#           tar.gz, 7z (7zz -mx3), tar.xz (xz -3), tar.zst (zstd -3),
#           tar.gz archives holding zip archives (nested) and zips of small
#           files (2-24 KB, deflated), two of each;
#   plain/  the same members as plain files (a nested zip as its file and its
#           members), and a copy of every archive of arch/.
# The members are a mix: a third of the bytes log-like text (compresses about
# 4:1), a third binary-like (about 2:1), a third random (media, already
# compressed: 1:1); sizes from 4 KB to 16 MB (most files small, most bytes in
# the large ones).
#
# Then scans, warm cache, alternating, best of RUNS=3 each:
#   plain:    triage scan plain/ --archives=false  (every member, and the
#             archive files themselves, hashed as plain files)
#   archives: triage scan arch/                    (the archives hashed,
#             opened, every member hashed)
# Both sides hash the same bytes and make the same number of records: the
# archive side decompresses instead of reading members from files. Prints
# user+sys CPU and wall time of each, and the ratios archives/plain (at most
# 1.0: a byte inside an archive costs no more than a plain one); then the
# same per archive kind (BY_KIND=0 skips it), which shows what each
# decompressor adds. Per kind it also times the format's own tool decoding
# the same archives to /dev/null (unzip -p, gzip -dc, 7zz x -so, xz -dc,
# zstd -dc; for the nested kind gzip -dc of the outer archives and unzip -p
# of the inner zips), user+sys, best of RUNS: "extra" is what opening the
# archives adds to the plain scan (archives - plain), and extra/decode
# compares it with decoding alone (at most 1.0: triage adds no more than
# the decompressor's own work).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-384}
runs=${RUNS:-3}
work=${BENCH_DIR:-/tmp/triage-bench}
corpus=$work/archives3-$size_mb
mkdir -p "$work"
for t in 7zz xz zstd python3; do
  command -v $t >/dev/null || { echo "$t not installed (apt-get install 7zip xz-utils zstd python3)"; exit 1; }
done
# TRIAGE=BINARY measures a binary built before (of another commit).
if [ -n "${TRIAGE:-}" ]; then cp "$TRIAGE" "$work/triage"; else go build -o "$work/triage" ./cmd/triage; fi

if [ ! -f "$corpus/.done" ]; then
  echo "building corpus of ${size_mb} MB inside archives in $corpus ..."
  rm -rf "$corpus"; mkdir -p "$corpus/arch" "$corpus/plain/archives"
  python3 - "$corpus" "$size_mb" <<'PY'
import io, os, random, sys, tarfile, zipfile
root, mb = sys.argv[1], int(sys.argv[2])
rnd = random.Random(17)
# Pools the members are cut from.
words = ["user", "session", "opened", "closed", "accepted", "password", "for", "from", "port",
         "ssh2", "kernel", "eth0", "link", "up", "down", "GET", "POST", "/index.html", "/api/v1/items",
         "200", "404", "500", "Mozilla/5.0", "cron", "CMD", "backup", "started", "finished", "error", "warning"]
lines = []
n = 0
while n < 24 << 20:
    l = "2026-%02d-%02d %02d:%02d:%02d host%d %s[%d]: %s %d.%d.%d.%d\n" % (
        rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59),
        rnd.randint(1, 40), rnd.choice(words), rnd.randint(100, 65535),
        " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 12))),
        rnd.randint(1, 254), rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254))
    lines.append(l); n += len(l)
text = "".join(lines).encode()
rand = rnd.randbytes(48 << 20)
binp = bytearray()
while len(binp) < 24 << 20:
    k = rnd.random()
    o = rnd.randint(0, 1 << 20)
    if k < 0.45: binp += rand[o:o + rnd.randint(64, 512)]
    elif k < 0.75: binp += text[o:o + rnd.randint(64, 512)]
    else: binp += bytes(rnd.randint(16, 256))
binp = bytes(binp)
pools = [text, bytes(binp), rand]
def blob(sz):
    p = rnd.choice(pools)
    sz = min(sz, len(p))
    off = rnd.randint(0, len(p) - sz)
    return p[off:off + sz]
def size():
    k = rnd.random()
    if k < 0.6: return rnd.randint(4 << 10, 64 << 10)
    if k < 0.9: return rnd.randint(128 << 10, 1 << 20)
    return rnd.randint(2 << 20, 16 << 20)
def members(total, small=False):
    out, t, i = [], 0, 0
    while t < total:
        sz = rnd.randint(2 << 10, 24 << 10) if small else size()
        out.append(("d%d/f%05d.%s" % (i % 3, i, rnd.choice(["log", "bin", "dat", "txt"])), blob(sz)))
        t += sz; i += 1
    return out
def write(d, ms):
    for name, data in ms:
        p = os.path.join(d, name); os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "wb").write(data)
def mkzip(path, ms, method):
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in ms: z.writestr(name, data)
kinds = ["zip", "zip-stored", "tar.gz", "7z", "tar.xz", "tar.zst", "nested.tar.gz", "zip-small"]
per = (mb << 20) // (2 * len(kinds))
plain, arch = os.path.join(root, "plain"), os.path.join(root, "arch")
jobs = []
for i in range(2 * len(kinds)):
    kind = kinds[i % len(kinds)]
    stem = "a%02d" % i
    d = os.path.join(plain, stem)
    if kind == "nested.tar.gz":
        # tar.gz of zip archives and a few plain members
        ms = members(per // 4)
        write(d, ms)
        for k in range(3):
            inner = members(per // 4)
            write(os.path.join(d, "inner%d.zip.d" % k), inner)
            mkzip(os.path.join(d, "inner%d.zip" % k), inner, zipfile.ZIP_DEFLATED)
        with tarfile.open(os.path.join(arch, stem + ".tar.gz"), "w:gz", compresslevel=6) as tf:
            for name in sorted(os.listdir(d)):
                if not name.endswith(".d"): tf.add(os.path.join(d, name), name)
        continue
    ms = members(per, kind == "zip-small")
    write(d, ms)
    if kind in ("zip", "zip-small"): mkzip(os.path.join(arch, stem + ".zip"), ms, zipfile.ZIP_DEFLATED)
    elif kind == "zip-stored": mkzip(os.path.join(arch, stem + ".zip"), ms, zipfile.ZIP_STORED)
    elif kind == "tar.gz":
        with tarfile.open(os.path.join(arch, stem + ".tar.gz"), "w:gz", compresslevel=6) as tf:
            for name, _ in ms: tf.add(os.path.join(d, name), name)
    else: jobs.append((kind, stem))
open(os.path.join(root, ".jobs"), "w").write("".join("%s %s\n" % j for j in jobs))
PY
  while read -r kind stem; do
    d=$corpus/plain/$stem
    case $kind in
      7z) (cd "$d" && 7zz a -bd -bso0 -mx3 "$corpus/arch/$stem.7z" .) ;;
      tar.xz) tar -C "$d" -cf - . | xz -3 -T2 > "$corpus/arch/$stem.tar.xz" ;;
      tar.zst) tar -C "$d" -cf - . | zstd -q -3 > "$corpus/arch/$stem.tar.zst" ;;
    esac
  done < "$corpus/.jobs"
  cp "$corpus"/arch/* "$corpus/plain/archives/"
  touch "$corpus/.done"
fi

# The same split per archive kind, hard links to the files above.
kinds=(zip zip-stored tar.gz 7z tar.xz tar.zst nested zip-small)
if [ ! -d "$corpus/bykind" ]; then
  for f in "$corpus"/arch/a*; do
    b=$(basename "$f"); stem=${b%%.*}; k=${kinds[$((10#${stem#a} % ${#kinds[@]}))]}
    mkdir -p "$corpus/bykind/$k/arch" "$corpus/bykind/$k/plain/archives"
    ln "$f" "$corpus/bykind/$k/arch/"
    ln "$corpus/plain/archives/$b" "$corpus/bykind/$k/plain/archives/"
    cp -al "$corpus/plain/$stem" "$corpus/bykind/$k/plain/"
  done
fi

bytes() { du -sb "$1" | cut -f1; }
files() { find "$1" -type f | wc -l; }
echo "arch:  $(files "$corpus/arch") archives, $(bytes "$corpus/arch") bytes"
echo "plain: $(files "$corpus/plain") files, $(bytes "$corpus/plain") bytes (members, nested zips, archives)"
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cat $(find "$corpus/arch" "$corpus/plain" -type f) > /dev/null  # warm the page cache

# run NAME ARGS...: one scan; appends "wall cpu" to $work/NAME.times
run() {
  local name=$1; shift
  rm -rf "$work/case-$name"
  /usr/bin/time -f "%e %U %S" -o "$work/$name.t" "$work/triage" scan "$@" --case "$work/case-$name" -q > /dev/null 2>&1 || true
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/$name.t" >> "$work/$name.times"
  rm -rf "$work/case-$name"
}
best() { sort -g -k"$2" "$work/$1.times" | head -1 | cut -d' ' -f"$2"; }
# pair DIR RUNS: plain and archives scans of DIR alternating; sets pw pc aw ac.
pair() {
  rm -f "$work/plain.times" "$work/archives.times"
  for _ in $(seq "$2"); do
    run plain "$1/plain" --archives=false
    run archives "$1/arch"
  done
  pw=$(best plain 1); pc=$(best plain 2); aw=$(best archives 1); ac=$(best archives 2)
}
ratio() { echo "scale=2; $1 / $2" | bc -l; }

pair "$corpus" "$runs"
echo "runs (wall s, user+sys s): plain $(tr '\n' ';' < "$work/plain.times") archives $(tr '\n' ';' < "$work/archives.times")"
printf '%-10s wall %6.2f s   user+sys %6.2f s   (best of %d)\n' plain "$pw" "$pc" "$runs" archives "$aw" "$ac" "$runs"
printf 'archives/plain: wall %.2f   user+sys %.2f\n' "$(ratio "$aw" "$pw")" "$(ratio "$ac" "$pc")"

[ "${BY_KIND:-1}" = 0 ] && exit 0
# decode KIND DIR: the format's own tool decodes the archives of DIR/arch to
# /dev/null (for the nested kind also the inner zips, kept as plain files).
decode() {
  local f
  for f in "$2"/arch/*; do
    case $1 in
      zip | zip-stored | zip-small) unzip -p "$f" ;;
      tar.gz) gzip -dc "$f" ;;
      nested)
        gzip -dc "$f"
        find "$2/plain" -path "$2/plain/archives" -prune -o -name 'inner*.zip' -type f -print0 | xargs -0 -n1 unzip -p ;;
      7z) 7zz x -so "$f" ;;
      tar.xz) xz -dc "$f" ;;
      tar.zst) zstd -q -dc "$f" ;;
    esac > /dev/null
  done
}
export -f decode
# decodes KIND DIR: best user+sys CPU of RUNS decodings; sets dc.
decodes() {
  rm -f "$work/decode.times"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S" -o "$work/decode.t" bash -c 'decode "$0" "$1"' "$1" "$2"
    awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/decode.t" >> "$work/decode.times"
  done
  dc=$(best decode 2)
}

echo
echo "per kind (two archives each; best of $runs; user+sys s; ratio archives/plain;"
echo "decode: the format's own tool to /dev/null; extra: archives - plain):"
printf '%-11s %9s %9s %9s %7s %7s %7s %7s %12s\n' kind "inside MB" plain archives cpu wall decode extra extra/decode
for k in "${kinds[@]}"; do
  d=$corpus/bykind/$k
  inside=$(( ($(bytes "$d/plain") - $(bytes "$d/plain/archives")) >> 20 ))
  pair "$d" "$runs"
  decodes "$k" "$d"
  extra=$(echo "$ac - $pc" | bc -l)
  printf '%-11s %9d %9.2f %9.2f %7.2f %7.2f %7.2f %7.2f %12.2f\n' "$k" "$inside" "$pc" "$ac" "$(ratio "$ac" "$pc")" \
    "$(ratio "$aw" "$pw")" "$dc" "$extra" "$(ratio "$extra" "$dc")"
done
