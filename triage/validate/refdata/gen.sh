#!/bin/sh
# gen.sh copies the reference images of the validation suite and their
# recorded peer-tool expectations from testdata/images (made by
# testdata/images/make.sh and make_ewf.sh) into this folder, which is
# embedded in the binary. Run by go generate in triage/validate.
set -eu
cd "$(dirname "$0")"
src=../../../testdata/images
for f in ntfs-basic.raw.gz ntfs-basic.raw.sha256 ntfs-basic.raw.expected.tsv \
	mbr-ntfs-ext4.raw.gz mbr-ntfs-ext4.raw.sha256 mbr-ntfs-ext4.raw.mmls.txt \
	gpt-ntfs.raw.gz gpt-ntfs.raw.sha256 gpt-ntfs.raw.mmls.txt \
	ext4-small.raw.gz ext4-small.raw.sha256 ext4-small.raw.fls.txt \
	exfat-basic.raw.gz exfat-basic.raw.sha256 exfat-basic.raw.expected.tsv \
	iso-rr-joliet.iso.gz iso-rr-joliet.iso.sha256 iso-rr-joliet.iso.md5 \
	vdisk-tiny.vhd.gz vdisk-tiny-fixed.vhd.gz vdisk-tiny.vhdx.gz vdisk-tiny.vmdk.gz \
	vdisk-tiny-stream.vmdk.gz vdisk-tiny.qcow2.gz vdisk-tiny-c.qcow2.gz vdisk-tiny.md5 \
	ewf-tiny.E01 ewf-fixtures.md5 peer-versions.txt; do
	cp "$src/$f" "$f"
done
