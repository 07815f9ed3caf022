#!/usr/bin/env bash
# make_val.sh builds the reference images of the validation suite (triage
# validate) that the other scripts of this folder do not make, and records
# their expected contents with peer tools (never with triage itself).
#
# Needs: mkfs.fat (dosfstools), mtools, the Sleuth Kit (fls, icat), lvm2
# (pvcreate, vgcreate, lvcreate over a loop device; no device-mapper: the
# logical volume is never activated), sqlite3, ewfverify (ewf-tools),
# coreutils. Run as root from anywhere: bash testdata/images/make_val.sh
#
#   fat-small.raw      a 3 MiB FAT12 volume (mkfs.fat, files copied by
#                      mtools): a long name, non-ASCII names, a file of
#                      several clusters, a deleted file and a deleted
#                      folder with a file in it. fat-small.raw.expected.tsv
#                      holds address, deleted flag, size and MD5
#                      (icat | md5sum) of every file fls -r -p lists.
#   fat-small.raw.001..003  the same volume split in 1 MiB segments (split);
#                      its media MD5 is md5sum of fat-small.raw.
#   lvm-fat.raw        an LVM2 physical volume (8 MiB) with a logical
#                      volume vgval/data of two segments out of order on
#                      the disk, holding fat-small.raw's bytes, copied to
#                      the physical extents lvs reports (lvm-fat.raw.lvs.txt).
#   nsrl-v3.db         an NSRL RDSv3 database (sqlite3, NIST's METADATA
#                      table and FILE view) listing docs/report.txt of
#                      fat-small.raw with its SHA-256, SHA-1, MD5 (icat |
#                      sha256sum, sha1sum, md5sum) and size.
#   ewf-tiny.E01.ewfverify.txt, ewf-split-none.E01.ewfverify.txt
#                      ewfverify -d sha1 of the E01 fixtures made by
#                      make_ewf.sh: their stored and computed hashes.
# The peer tools' versions are appended to peer-versions.txt.
set -euo pipefail
cd "$(dirname "$0")"
out=$PWD
work=$(mktemp -d /tmp/triage-val-images.XXXXXX)
loop=
cleanup() {
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT
export LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 LVM_SUPPRESS_FD_WARNINGS=1

# 1. FAT12 with mtools.
img=$work/fat-small.raw
mkfs.fat -C -n FATVOL -i 1234ABCD -S 512 -s 2 "$img" 3072 >/dev/null
src=$work/src
mkdir -p "$src"
printf 'hello FAT\n' >"$src/hello.txt"
python3 -c 'import sys; sys.stdout.write("".join("line %04d of the FAT report\n" % i for i in range(300)))' >"$src/report.txt"
printf 'a long name\n' >"$src/long.txt"
printf 'unicode content\n' >"$src/uni.txt"
python3 -c 'import sys; sys.stdout.write("".join("deleted line %04d\n" % i for i in range(100)))' >"$src/gone.txt"
printf 'inside a deleted folder\n' >"$src/inner.txt"
mmd -i "$img" ::/docs ::/ünïcödé-名前 ::/olddir
mcopy -i "$img" "$src/hello.txt" ::/hello.txt
mcopy -i "$img" "$src/report.txt" ::/docs/report.txt
mcopy -i "$img" "$src/long.txt" "::/docs/A long name for a FAT file.txt"
mcopy -i "$img" "$src/uni.txt" "::/ünïcödé-名前/日本語.txt"
mcopy -i "$img" "$src/gone.txt" ::/gone.txt
mcopy -i "$img" "$src/inner.txt" ::/olddir/inner.txt
mdel -i "$img" ::/gone.txt
mdeltree -i "$img" ::/olddir

base=fat-small.raw
printf 'addr\tdeleted\tsize\tmd5\tpath\n' >"$out/$base.expected.tsv"
fls -r -p "$img" | while IFS=$'\t' read -r meta path; do
  case $meta in r/r*) ;; *) continue ;; esac
  del=false
  case $meta in *'*'*) del=true ;; esac
  addr=${meta##* }; addr=${addr%:}
  size=$(icat "$img" "$addr" | wc -c)
  md5=$(icat "$img" "$addr" | md5sum | cut -d' ' -f1)
  printf '%s\t%s\t%s\t%s\t%s\n' "$addr" "$del" "$size" "$md5" "$path" >>"$out/$base.expected.tsv"
done
gzip -9 -n -c "$img" >"$out/$base.gz"
printf '%s  %s\n' "$(sha256sum <"$img" | cut -d' ' -f1)" "$base" >"$out/$base.sha256"

# 2. The same volume as split raw segments, and its md5sum.
(cd "$work" && split -b 1M -d -a 3 --numeric-suffixes=1 fat-small.raw fat-small.raw.)
for s in "$work"/fat-small.raw.0*; do gzip -9 -n -c "$s" >"$out/$(basename "$s").gz"; done
(cd "$work" && md5sum fat-small.raw) >"$out/fat-small.raw.md5"

# 3. LVM2: vgval/data of 3 extents (1 MiB each) in two segments with
# another volume between them; fat-small.raw's bytes go to the physical
# extents lvs reports.
pv=$work/lvm-fat.raw
truncate -s 8M "$pv"
loop=$(losetup -f --show "$pv")
lv() { "$@" --config 'global{activation=0} devices{use_devicesfile=0} backup{backup=0 archive=0}' 2>/dev/null; }
lv pvcreate -q -y -u 5a1e0000-0000-4000-8000-000000000001 --norestorefile --dataalignment 1m "$loop" >/dev/null
lv vgcreate -q -s 1m vgval "$loop" >/dev/null
lv lvcreate -q -an -Zn -y -L 2m -n data vgval >/dev/null
lv lvcreate -q -an -Zn -y -L 1m -n other vgval >/dev/null
lv lvextend -q -y -L 3m vgval/data >/dev/null
pestart=$(lv pvs -o pe_start --noheadings --units b --nosuffix "$loop" | tr -d ' ')
lv lvs -o lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges --noheadings vgval | sed "s|$loop|PV|" >"$out/lvm-fat.raw.lvs.txt"
printf 'pe_start %s\n' "$pestart" >>"$out/lvm-fat.raw.lvs.txt"
# Each segment of data: LV extents [le, le+n) are at PV extents [pe, pe+n).
while read -r name le n ranges; do
  [ "$name" = data ] || continue
  pe=${ranges#*:}; pe=${pe%-*}
  dd if="$img" of="$loop" bs=1M skip="$le" seek=$((pestart / 1048576 + pe)) count="$n" conv=notrunc status=none
done < <(lv lvs -o lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges --noheadings vgval)
sync
losetup -d "$loop"
loop=
gzip -9 -n -c "$pv" >"$out/lvm-fat.raw.gz"
printf '%s  %s\n' "$(sha256sum <"$pv" | cut -d' ' -f1)" lvm-fat.raw >"$out/lvm-fat.raw.sha256"

# 4. NSRL RDSv3 with the layout NIST publishes (METADATA table, FILE view).
addr=$(awk -F'\t' '$5 == "docs/report.txt" {print $1}' "$out/$base.expected.tsv")
icat "$img" "$addr" >"$work/report.txt"
sha256=$(sha256sum <"$work/report.txt" | cut -d' ' -f1 | tr a-f A-F)
sha1=$(sha1sum <"$work/report.txt" | cut -d' ' -f1 | tr a-f A-F)
md5=$(md5sum <"$work/report.txt" | cut -d' ' -f1 | tr a-f A-F)
size=$(wc -c <"$work/report.txt")
rm -f "$work/nsrl-v3.db"
sqlite3 "$work/nsrl-v3.db" <<EOF
CREATE TABLE METADATA (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL, crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, package_id INTEGER NOT NULL);
CREATE VIEW FILE AS SELECT sha256, sha1, md5, crc32, file_name, file_size, package_id FROM METADATA;
INSERT INTO METADATA VALUES ('$sha256', '$sha1', '$md5', '00000000', 'report.txt', $size, 1);
INSERT INTO METADATA VALUES ('$(printf '%064d' 1)', '$(printf '%040d' 1)', '$(printf '%032d' 1)', '00000000', 'other.bin', 1, 1);
EOF
gzip -9 -n -c "$work/nsrl-v3.db" >"$out/nsrl-v3.db.gz"
printf '%s  %s\n' "$(sha256sum <"$work/nsrl-v3.db" | cut -d' ' -f1)" nsrl-v3.db >"$out/nsrl-v3.db.sha256"

# 5. ewfverify of the E01 fixtures of make_ewf.sh.
cp ewf-tiny.E01 "$work/"
for s in E01 E02 E03; do gunzip -c "ewf-split-none.$s.gz" >"$work/ewf-split-none.$s"; done
(cd "$work" && ewfverify -q -d sha1 ewf-tiny.E01) >"$out/ewf-tiny.E01.ewfverify.txt"
(cd "$work" && ewfverify -q -d sha1 ewf-split-none.E01) >"$out/ewf-split-none.E01.ewfverify.txt"

# 6. The versions of these peer tools (replacing those a previous run wrote).
sed -i '/^\(ewfverify\|lvm\|mkfs.fat\|mtools\|sqlite3\|sha256sum\)\t/d' "$out/peer-versions.txt"
{
  printf 'ewfverify\t%s\n' "$(ewfverify -V 2>&1 | head -1)"
  printf 'lvm\t%s\n' "$(lvm version 2>/dev/null | head -1 | sed 's/^ *//')"
  printf 'mkfs.fat\t%s\n' "dosfstools $(dpkg-query -W -f '${Version}' dosfstools)"
  printf 'mtools\t%s\n' "$(mtools --version 2>&1 | head -1)"
  printf 'sqlite3\t%s\n' "$(sqlite3 --version | cut -d' ' -f1)"
  printf 'sha256sum\t%s\n' "$(sha256sum --version | head -1)"
} >>"$out/peer-versions.txt"
ls -l "$out"/fat-small.raw* "$out"/lvm-fat.raw* "$out"/nsrl-v3.db* "$out"/*.ewfverify.txt
