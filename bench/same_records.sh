#!/usr/bin/env bash
# Checks that two builds of triage record the same thing: scans EVIDENCE
# with each and compares the records (`triage files --jsonl`), the seal of
# the closing custody event and the evidence item's totals, leaving out
# what differs from run to run (the time of a hash match).
#
# Usage: bash bench/same_records.sh OLD_BINARY NEW_BINARY EVIDENCE [SCAN FLAGS...]
#   e.g. git stash; go build -o /tmp/triage-old ./cmd/triage; git stash pop
#        go build -o /tmp/triage-new ./cmd/triage
#        bash bench/same_records.sh /tmp/triage-old /tmp/triage-new disk.raw --verify-image=false
# Needs sqlite3.
set -euo pipefail
old=$1 new=$2 src=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for b in old new; do
  bin=$old
  [ "$b" = new ] && bin=$new
  rc=0
  "$bin" scan "$src" --case "$work/case-$b" -q "$@" >/dev/null 2>&1 || rc=$?
  {
    echo "exit status $rc"
    "$new" files "$work/case-$b" --jsonl
    grep -o '"seal":{[^}]*}[^}]*}' "$work/case-$b/custody.jsonl"
    sqlite3 "$work/case-$b/case.db" "SELECT files, bytes, errors, state FROM evidence"
  } | sed -E 's/"at":"[^"]*"//g' >"$work/out-$b.txt"
done
if cmp -s "$work/out-old.txt" "$work/out-new.txt"; then
  echo "same records: $src $* ($(grep -c '^{' "$work/out-new.txt") records; files|bytes|errors|state $(tail -1 "$work/out-new.txt"))"
else
  echo "DIFFERENT records: $src $*"
  diff "$work/out-old.txt" "$work/out-new.txt" | head -20
  exit 1
fi
