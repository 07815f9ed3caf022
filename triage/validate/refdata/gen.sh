#!/bin/sh
# gen.sh copies the reference images of the validation suite and their
# recorded peer-tool expectations from testdata/images (made by
# testdata/images/make.sh, make_fat.sh, make_ewf.sh and make_val.sh) into
# this folder, which is embedded in the binary. Run by go generate in
# triage/validate.
set -eu
cd "$(dirname "$0")"
src=../../../testdata/images
for f in ntfs-basic.raw.gz ntfs-basic.raw.sha256 ntfs-basic.raw.expected.tsv \
	mbr-ntfs-ext4.raw.gz mbr-ntfs-ext4.raw.sha256 mbr-ntfs-ext4.raw.mmls.txt \
	gpt-ntfs.raw.gz gpt-ntfs.raw.sha256 gpt-ntfs.raw.mmls.txt \
	ext4-small.raw.gz ext4-small.raw.sha256 ext4-small.raw.fls.txt \
	ext2-small.raw.gz ext2-small.raw.sha256 ext2-small.raw.fls.txt \
	exfat-basic.raw.gz exfat-basic.raw.sha256 exfat-basic.raw.expected.tsv \
	fat-small.raw.gz fat-small.raw.sha256 fat-small.raw.expected.tsv fat-small.raw.md5 \
	fat-small.raw.001.gz fat-small.raw.002.gz fat-small.raw.003.gz \
	lvm-fat.raw.gz lvm-fat.raw.sha256 lvm-fat.raw.lvs.txt \
	nsrl-v3.db.gz nsrl-v3.db.sha256 \
	iso-rr-joliet.iso.gz iso-rr-joliet.iso.sha256 iso-rr-joliet.iso.md5 \
	vdisk-tiny.vhd.gz vdisk-tiny-fixed.vhd.gz vdisk-tiny.vhdx.gz vdisk-tiny.vmdk.gz \
	vdisk-tiny-stream.vmdk.gz vdisk-tiny.qcow2.gz vdisk-tiny-c.qcow2.gz vdisk-tiny.md5 \
	ewf-tiny.E01 ewf-tiny.E01.ewfverify.txt ewf-fixtures.md5 \
	ewf-split-none.E01.gz ewf-split-none.E02.gz ewf-split-none.E03.gz ewf-split-none.E01.ewfverify.txt \
	peer-versions.txt; do
	cp "$src/$f" "$f"
done
