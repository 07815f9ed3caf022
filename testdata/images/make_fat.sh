#!/usr/bin/env bash
# make_fat.sh builds the exFAT test image of this folder and its expected
# listing with the Sleuth Kit (never with triage itself). FAT images need no
# fixture: the tests make them with mkfs.vfat and mtools when they run.
#
# Needs: mkfs.exfat (exfatprogs), mount.exfat-fuse (exfat-fuse, over a loop
# device: /dev/fuse and losetup), and the Sleuth Kit (fls, icat).
# Run as root from anywhere: bash testdata/images/make_fat.sh
#
# exfat-basic.raw (committed gzip-compressed, 4 MiB, 4 KiB clusters, label
# EXVOL): a file, a long name in a folder, non-ASCII names, a file
# fragmented in the FAT, a deleted file and a deleted folder with a file in
# it. exfat-basic.raw.fls.txt is fls -r -p; exfat-basic.raw.expected.tsv
# holds the address, deleted flag, size and MD5 (icat | md5sum) of every
# file fls lists.
set -euo pipefail
cd "$(dirname "$0")"
out=$PWD
work=$(mktemp -d /tmp/triage-fat-images.XXXXXX)
mnt=$work/mnt
mkdir -p "$mnt"
loop=
cleanup() {
  mountpoint -q "$mnt" && umount "$mnt"
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT

img=$work/exfat-basic.raw
truncate -s 4M "$img"
mkfs.exfat -q -L EXVOL -c 4K -b 4K "$img" >/dev/null 2>&1 || mkfs.exfat -L EXVOL -c 4K -b 4K "$img" >/dev/null
loop=$(losetup -f --show "$img")
mount.exfat-fuse "$loop" "$mnt" >/dev/null
printf 'hello exFAT\n' >"$mnt/hello.txt"
mkdir -p "$mnt/docs" "$mnt/ünïcödé" "$mnt/olddir"
python3 -c 'import sys; sys.stdout.write("".join("line %04d of the quarterly report\n" % i for i in range(400)))' \
  >"$mnt/docs/A long name for the quarterly report.txt"
printf 'unicode content\n' >"$mnt/ünïcödé/日本語.txt"
# A file fragmented in the FAT: one cluster, another file, then more.
head -c 4096 /dev/zero | tr '\0' 'a' >"$mnt/frag.bin"
head -c 4096 /dev/zero | tr '\0' 'b' >"$mnt/between.bin"
sync
head -c 6000 /dev/zero | tr '\0' 'c' >>"$mnt/frag.bin"
# Deleted: a file, and a folder with a file in it.
python3 -c 'import sys; sys.stdout.write("".join("deleted line %04d\n" % i for i in range(300)))' >"$mnt/gone.txt"
printf 'inside a deleted folder\n' >"$mnt/olddir/inner.txt"
sync
rm "$mnt/gone.txt"
rm -r "$mnt/olddir"
sync
umount "$mnt"
losetup -d "$loop"
loop=

base=exfat-basic.raw
fls -r -p "$img" >"$out/$base.fls.txt"
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
ls -l "$out/$base"*
