#!/usr/bin/env bash
# Builds the NTFS test images of this folder with public tools, and their
# expected listings with the Sleuth Kit (never with triage itself).
#
# Needs: mkntfs and ntfs-3g (FUSE: /dev/fuse), sfdisk, sgdisk, mkfs.ext4,
# python3 (to set extended attributes), and the Sleuth Kit (fls, icat, mmls).
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

for f in ntfs-basic.raw mbr-ntfs-ext4.raw gpt-ntfs.raw; do
  gzip -9 -n -c "$work/$f" >"$out/$f.gz"
  printf '%s  %s\n' "$(sha256sum <"$work/$f" | cut -d' ' -f1)" "$f" >"$out/$f.sha256"
done
# 4. Tiny virtual disks (qemu-img, Debian qemu-utils) of a 1 MiB MBR disk
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

ls -l "$out"
