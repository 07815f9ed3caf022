#!/usr/bin/env bash
# Builds the NTFS test images of this folder with public tools, and their
# expected listings with the Sleuth Kit (never with triage itself).
#
# Needs: mkntfs and ntfs-3g (FUSE: /dev/fuse), sfdisk, sgdisk, mkfs.ext4,
# python3 (to set extended attributes), the Sleuth Kit (fls, icat, mmls),
# xorriso and isoinfo (genisoimage).
# Run as root from anywhere: bash testdata/images/make.sh
#
# Images (committed gzip-compressed):
#   ntfs-basic.raw   bare NTFS volume: resident and non-resident files, two
#                    alternate data streams, an LZNT1-compressed folder, a
#                    sparse file, unicode names, deleted files and a deleted
#                    folder with a file in it, and a file with a WOF reparse
#                    point (compression triage cannot decode), a hard link.
#   mbr-ntfs-ext4.raw  DOS partition table: NTFS primary partition, and an
#                    ext4 logical partition inside an extended partition.
#   gpt-ntfs.raw     GPT (protective MBR) with one named NTFS partition.
#   iso-rr-joliet.iso  ISO 9660 with Rock Ridge and Joliet (xorriso): a link,
#                    a non-ASCII name; with IMAGE.isoinfo.txt (isoinfo -R -l)
#                    and IMAGE.md5 (md5sum of its source files).
#   ext2-small.raw, ext4-small.raw  bare ext2 (1 KiB blocks, block maps)
#                    and ext4 (metadata_csum, 64bit, inline_data) volumes of
#                    512 KiB: hard and symbolic links, a sparse file, unicode
#                    names, two files deleted with debugfs (IMAGE.fls.txt).
#   vdisk-tiny*.{vhd,vhdx,vmdk,qcow2}  a 1 MiB MBR disk in each virtual-disk
#                    format qemu-img writes (needs qemu-utils), with
#                    vdisk-tiny.md5: md5sum of each logical disk as
#                    qemu-img convert -O raw gives it.
# Each IMAGE.gz has IMAGE.mmls.txt (mmls), IMAGE.fls.txt (fls -r -p per
# NTFS volume) and IMAGE.expected.tsv: volume offset (sectors), inode-type-id,
# deleted flag, size and MD5 (icat | md5sum) of every $DATA stream fls finds.
set -euo pipefail
cd "$(dirname "$0")"
out=$PWD
work=$(mktemp -d /tmp/triage-images.XXXXXX)
mnt=$work/mnt
mkdir -p "$mnt"
cleanup() { mountpoint -q "$mnt" && umount "$mnt"; rm -rf "$work"; }
trap cleanup EXIT

export SOURCE_DATE_EPOCH=1700000000

setxattr() { python3 -c 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]) if sys.argv[4]=="hex" else sys.argv[3].encode())' "$@"; }

# fill_basic MOUNTPOINT: the common file set.
fill_basic() {
  local m=$1
  printf 'Hello world\n' >"$m/hello.txt"
  mkdir -p "$m/docs" "$m/compressed" "$m/ünïcödé" "$m/deleted-dir"
  python3 -c 'import sys; sys.stdout.write("".join("line %05d of the report\n" % i for i in range(2000)))' >"$m/docs/report.txt"
  printf 'has streams\n' >"$m/docs/ads.txt"
  # Alternate data streams through streams_interface=xattr: user.NAME is stream NAME.
  setxattr "$m/docs/ads.txt" user.Zone.Identifier $'[ZoneTransfer]\r\nZoneId=3\r\n' text
  python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.secret", b"S" * 5000)' "$m/docs/ads.txt"
  # A compressed folder: new files in it are LZNT1-compressed.
  setxattr "$m/compressed" system.ntfs_attrib_be 00000810 hex
  python3 -c 'import sys; sys.stdout.write("compress me " * 20000)' >"$m/compressed/big.txt"
  head -c 70000 /dev/zero | tr '\0' 'z' >"$m/compressed/zeds.txt"
  # A sparse file: 1 MiB with data at 0 and at 768 KiB only.
  python3 -c '
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"start of sparse file\n")
    f.seek(768*1024); f.write(b"middle of sparse file\n")
    f.truncate(1024*1024)' "$m/sparse.bin"
  printf 'unicode content\n' >"$m/ünïcödé/日本語.txt"
  printf 'résumé\n' >"$m/ünïcödé/Ελληνικά.txt"
  # Deleted files: a resident one, a non-resident one, and a folder with a file.
  printf 'deleted resident\n' >"$m/gone-small.txt"
  python3 -c 'import sys; sys.stdout.write("deleted non-resident data %d\n" * 1 % 0 + "x" * 9000)' >"$m/docs/gone-big.txt"
  printf 'inside a deleted folder\n' >"$m/deleted-dir/inner.txt"
  sync
  rm "$m/gone-small.txt" "$m/docs/gone-big.txt"
  rm -r "$m/deleted-dir"
  sync
}

# mkvol FILE SIZE_MB START_SECTOR LABEL: an NTFS volume file filled with fill_basic.
mkvol() {
  local f=$1 mb=$2 start=$3 label=$4
  rm -f "$f"
  truncate -s "${mb}M" "$f"
  mkntfs -q -F -f -c 1024 -p "$start" -H 16 -S 63 -L "$label" "$f" >/dev/null 2>&1
  ntfs-3g -o streams_interface=xattr "$f" "$mnt"
  fill_basic "$mnt"
  umount "$mnt"
}

# expected IMAGE SECTOR...: TSK listings for the NTFS volumes at those sectors.
expected() {
  local img=$1; shift
  local base
  base=$(basename "$img")
  mmls "$img" >"$out/$base.mmls.txt" 2>&1 || echo "(mmls found no partition table)" >"$out/$base.mmls.txt"
  : >"$out/$base.fls.txt"
  printf 'offset\taddr\tdeleted\tsize\tmd5\tpath\n' >"$out/$base.expected.tsv"
  for off in "$@"; do
    echo "# fls -r -p -o $off" >>"$out/$base.fls.txt"
    fls -r -p -o "$off" "$img" >>"$out/$base.fls.txt"
    fls -r -p -o "$off" "$img" | while IFS=$'\t' read -r meta path; do
      # meta: "r/r 64-128-2:" or "r/r * 70-128-2:" or "-/r * 0:"
      case $meta in r/r*|-/r*) ;; *) continue ;; esac
      del=false
      case $meta in *'*'*) del=true ;; esac
      case $meta in *'(realloc)'*) continue ;; esac
      addr=${meta##* }; addr=${addr%:}
      case $addr in *-128-*) ;; *) continue ;; esac
      size=$(icat -o "$off" "$img" "$addr" | wc -c)
      md5=$(icat -o "$off" "$img" "$addr" | md5sum | cut -d' ' -f1)
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$off" "$addr" "$del" "$size" "$md5" "$path" >>"$out/$base.expected.tsv"
    done
  done
}

# 1. A bare NTFS volume.
mkvol "$work/ntfs-basic.raw" 8 0 basic
# A file with a Windows WOF reparse point (tag 0x80000017, XPRESS4K): its
# real content would be in the WofCompressedData stream, which triage cannot
# decode; it must be recorded as incomplete.
ntfs-3g "$work/ntfs-basic.raw" "$mnt"
printf 'stand-in for WOF data\n' >"$mnt/wof.txt"
python3 -c 'import os,struct,sys; d=struct.pack("<IIII",1,2,1,0); os.setxattr(sys.argv[1],"system.ntfs_reparse_data",struct.pack("<IHH",0x80000017,len(d),0)+d)' "$mnt/wof.txt"
ln "$mnt/hello.txt" "$mnt/docs/hello-link.txt" # a hard link
umount "$mnt"
expected "$work/ntfs-basic.raw" 0

# 2. MBR: NTFS primary at sector 2048 (8 MiB) + extended with an ext4 logical.
img=$work/mbr-ntfs-ext4.raw
truncate -s 20M "$img"
sfdisk -q "$img" <<'PT'
label: dos
label-id: 0x1a2b3c4d
start=2048, size=16384, type=7
start=18432, size=22528, type=5
start=20480, size=20480, type=83
PT
mkvol "$work/p1.ntfs" 8 2048 mbrntfs
dd if="$work/p1.ntfs" of="$img" bs=512 seek=2048 conv=notrunc status=none
truncate -s 10M "$work/p5.ext4"
mkfs.ext4 -q -F -E root_owner=0:0 -U 01234567-89ab-cdef-0123-456789abcdef "$work/p5.ext4" >/dev/null
dd if="$work/p5.ext4" of="$img" bs=512 seek=20480 conv=notrunc status=none
expected "$img" 2048

# 3. GPT with one named NTFS partition.
img=$work/gpt-ntfs.raw
truncate -s 12M "$img"
sgdisk -U 11111111-2222-3333-4444-555555555555 -n 1:2048:18431 -t 1:0700 -c 1:"Evidence Data" \
  -u 1:AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE "$img" >/dev/null
mkvol "$work/g1.ntfs" 8 2048 gptntfs
dd if="$work/g1.ntfs" of="$img" bs=512 seek=2048 conv=notrunc status=none
expected "$img" 2048

# 4. ISO 9660 with Rock Ridge and Joliet names (xorriso, Debian package
# xorriso): the seed of the ISO 9660 fuzz test, and a disc its tests read
# when xorriso is not installed. isoinfo -R -l (genisoimage) records its
# listing, md5sum the content of its source files.
src=$work/isosrc
mkdir -p "$src/dir/sub"
printf 'hello\n' >"$src/hello.txt"
printf 'ünï\n' >"$src/dir/ünïcödé.txt"
ln -s ../hello.txt "$src/dir/link"
head -c 3000 /dev/zero | tr '\0' x >"$src/dir/sub/big.txt"
find "$src" -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
xorriso -as mkisofs -quiet -R -J -V SEED -o "$work/iso-rr-joliet.iso" "$src" 2>/dev/null
isoinfo -R -l -i "$work/iso-rr-joliet.iso" >"$out/iso-rr-joliet.iso.isoinfo.txt"
(cd "$src" && find . -type f -exec md5sum {} + | sort -k2) >"$out/iso-rr-joliet.iso.md5"

for f in ntfs-basic.raw mbr-ntfs-ext4.raw gpt-ntfs.raw iso-rr-joliet.iso; do
  gzip -9 -n -c "$work/$f" >"$out/$f.gz"
  printf '%s  %s\n' "$(sha256sum <"$work/$f" | cut -d' ' -f1)" "$f" >"$out/$f.sha256"
done
# 5. ext: small volumes made by e2fsprogs without mounting (mkfs -d), with
# files deleted by debugfs; the seeds of the ext fuzz tests, and
# cross-checked against the Sleuth Kit by triage/fs/ext. (Larger images
# are built by the tests themselves when e2fsprogs is installed.)
extsrc=$work/extsrc
mkdir -p "$extsrc/docs" "$extsrc/ünïcödé"
printf 'Hello world\n' >"$extsrc/hello.txt"
ln "$extsrc/hello.txt" "$extsrc/docs/hello-link.txt"
ln -s hello.txt "$extsrc/fast-link"
ln -s "$(printf 'x%.0s' $(seq 80))/slow/link/target" "$extsrc/slow-link"
printf 'unicode content\n' >"$extsrc/ünïcödé/日本語.txt"
python3 -c 'import sys; sys.stdout.write("".join("line %05d of the report\n" % i for i in range(800)))' >"$extsrc/docs/report.txt"
python3 -c 'import sys; f=open(sys.argv[1],"wb"); f.write(b"start\n"); f.seek(40*1024); f.write(b"end\n")' "$extsrc/sparse.bin"
printf 'deleted small\n' >"$extsrc/gone.txt"
python3 -c 'import sys; sys.stdout.write("deleted big %05d\n" * 1 % 0 + "y" * 20000)' >"$extsrc/docs/gone-big.txt"
find "$extsrc" -exec touch -h -d @1700000000 {} +
export E2FSPROGS_FAKE_TIME=1700000000
mkfs.ext2 -q -F -b 1024 -N 64 -L ext2small -U 22222222-2222-2222-2222-222222222222 -E hash_seed=22222222-2222-2222-2222-222222222222 \
  -d "$extsrc" "$work/ext2-small.raw" 512K
mkfs.ext4 -q -F -b 1024 -N 64 -I 256 -O metadata_csum,64bit,inline_data,^has_journal -L ext4small \
  -U 44444444-4444-4444-4444-444444444444 -E hash_seed=44444444-4444-4444-4444-444444444444 \
  -d "$extsrc" "$work/ext4-small.raw" 512K
for f in ext2-small.raw ext4-small.raw; do
  debugfs -w -R "rm /gone.txt" "$work/$f" 2>/dev/null
  debugfs -w -R "rm /docs/gone-big.txt" "$work/$f" 2>/dev/null
  fls -r -p "$work/$f" >"$out/$f.fls.txt"
  gzip -9 -n -c "$work/$f" >"$out/$f.gz"
  printf '%s  %s\n' "$(sha256sum <"$work/$f" | cut -d' ' -f1)" "$f" >"$out/$f.sha256"
done
unset E2FSPROGS_FAKE_TIME
# 6. Tiny virtual disks (qemu-img, Debian qemu-utils) of a 1 MiB MBR disk
# with text in two places, for the virtual-disk readers' tests and fuzz
# seeds; vdisk-tiny.md5 holds md5sum of each one's logical disk as
# qemu-img convert -O raw writes it.
raw=$work/vdisk-tiny.raw
truncate -s 1M "$raw"
echo 'start=64, type=83' | sfdisk -q "$raw"
printf 'triage virtual disk fixture: first partition\n' | dd of="$raw" bs=512 seek=64 conv=notrunc status=none
printf 'triage virtual disk fixture: at 640 KiB\n' | dd of="$raw" bs=1024 seek=640 conv=notrunc status=none
vd() { # vd NAME FORMAT [OPTIONS...]
  local name=$1 fmt=$2; shift 2
  qemu-img convert -O "$fmt" "$@" "$raw" "$work/$name"
  gzip -9 -n -c "$work/$name" >"$out/$name.gz"
  qemu-img convert -f "$fmt" -O raw "$work/$name" "$work/$name.raw"
  printf '%s  %s\n' "$(md5sum <"$work/$name.raw" | cut -d' ' -f1)" "$name" >>"$out/vdisk-tiny.md5"
}
: >"$out/vdisk-tiny.md5"
vd vdisk-tiny.vhd vpc -o subformat=dynamic
vd vdisk-tiny-fixed.vhd vpc -o subformat=fixed
vd vdisk-tiny.vhdx vhdx -o block_size=1048576
vd vdisk-tiny.vmdk vmdk -o subformat=monolithicSparse
vd vdisk-tiny-stream.vmdk vmdk -o subformat=streamOptimized
vd vdisk-tiny.qcow2 qcow2 -o cluster_size=4096
vd vdisk-tiny-c.qcow2 qcow2 -c -o cluster_size=4096

# 7. The versions of the peer tools that recorded the expectations above,
# named by the validation suite (triage validate) with each expectation.
{
  printf 'fls\t%s\n' "$(fls -V | head -1)"
  printf 'icat\t%s\n' "$(icat -V | head -1)"
  printf 'mmls\t%s\n' "$(mmls -V | head -1)"
  printf 'md5sum\t%s\n' "$(md5sum --version | head -1)"
  printf 'ewfacquire\t%s\n' "$(ewfacquire -V 2>&1 | head -1)"
  printf 'qemu-img\t%s\n' "$(qemu-img --version | head -1)"
} >"$out/peer-versions.txt"

ls -l "$out"

# 8. The reference images of the validation suite that the sections above
# and make_fat.sh, make_ewf.sh do not make (FAT, split raw, LVM, NSRL RDSv3,
# ewfverify of the E01 fixtures): make_val.sh.
bash "$out/make_val.sh"
