#!/bin/sh
# make_ewf.sh regenerates the E01 fixtures of triage/ewf with ewfacquire
# (Debian package ewf-tools). Run it from this folder. The raw media are
# not kept: their MD5 and SHA-1 (from md5sum and sha1sum) go to
# ewf-fixtures.md5 and ewf-fixtures.sha1, the independent expectations of
# the tests. Large fixtures are stored gzip-compressed.
set -eu
command -v ewfacquire >/dev/null || { echo "make_ewf.sh: ewfacquire not installed (apt-get install ewf-tools)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f ewf-*.E0* ewf-*.e0* ewf-*.s0* ewf-fixtures.md5 ewf-fixtures.sha1

# mixed.raw: text, zeros and random bytes, 394752 bytes (not a multiple of 32 KiB), so the
# last chunk is short and the image holds both compressed chunks and
# chunks stored uncompressed (random data does not compress).
{
	i=0
	while [ $i -lt 3000 ]; do echo "line $i of the mixed test medium for triage"; i=$((i+1)); done | head -c 98304
	head -c 131072 /dev/zero
	head -c 40960 /dev/urandom
	head -c 124416 /dev/zero
} > "$tmp/mixed.raw"
# periodic.raw: 2.25 MiB made of one 16 KiB random block repeated, so
# uncompressed segments gzip well.
head -c 16384 /dev/urandom > "$tmp/block"
: > "$tmp/periodic.raw"
i=0
while [ $i -lt 144 ]; do cat "$tmp/block" >> "$tmp/periodic.raw"; i=$((i+1)); done

# tiny.raw: 25088 bytes of text and random bytes, for small fuzz seeds.
{ head -c 12288 "$tmp/mixed.raw"; head -c 4096 /dev/urandom; head -c 8704 "$tmp/mixed.raw"; } > "$tmp/tiny.raw"

acquire() { # acquire TARGET RAW ARGS...
	t=$1 raw=$2
	shift 2
	ewfacquire -u -q -C "CASE-2024-017" -D "USB stick from desk drawer" -e "J. Examiner" \
		-E "EV-03" -N "fixture for triage; made by make_ewf.sh" "$@" -t "$tmp/$t" "$raw" >/dev/null
}

acquire ewf-best-mixed "$tmp/mixed.raw" -c best -d sha1
acquire ewf-none-mixed "$tmp/mixed.raw" -c none
acquire ewf-fast-b16 "$tmp/mixed.raw" -c fast -b 16 -f encase5
acquire ewf-smart "$tmp/mixed.raw" -c best -f smart
acquire ewf-ftk "$tmp/mixed.raw" -c best -f ftk
acquire ewf-ewf "$tmp/mixed.raw" -c best -f ewf
acquire ewf-linen6 "$tmp/mixed.raw" -c best -f linen6 -d sha1
acquire ewf-tiny "$tmp/tiny.raw" -c best -b 16 -d sha1
acquire ewf-tiny-smart "$tmp/tiny.raw" -c best -b 16 -f smart
acquire ewf-tiny-ewf "$tmp/tiny.raw" -c none -b 16 -f ewf
acquire ewf-split-none "$tmp/periodic.raw" -c none -S 1048576 -d sha1

for f in "$tmp"/ewf-*; do
	b=$(basename "$f")
	case $b in
	ewf-split-*|ewf-none-*) gzip -9n < "$f" > "$b.gz" ;;
	*) cp "$f" "$b" ;;
	esac
done
(cd "$tmp" && md5sum mixed.raw periodic.raw tiny.raw) > ewf-fixtures.md5
(cd "$tmp" && sha1sum mixed.raw periodic.raw tiny.raw) > ewf-fixtures.sha1
ls -l ewf-*
