#!/usr/bin/env bash
# Longer fuzzing, for before a release: every fuzz target of the module
# (every `func FuzzXxx` in a _test.go file) runs for a while, one after the
# other, and the executions each reached are printed. CI runs the same
# targets briefly, with count budgets (.ci/run).
#
# Usage: bash bench/fuzz.sh [DURATION] [PATTERN]
#   DURATION  per target, as go test -fuzztime takes it (default 2m; 50000x
#             is a count instead)
#   PATTERN   only targets whose "package/FuzzName" matches this grep -E
#             pattern (default: all)
# A run that ends with "context deadline exceeded" and no failing input is
# Go's fuzzing coordinator racing its own deadline (go.dev/issue/75804), not
# a finding, and is reported as such. New failing inputs are kept by go test
# under the package's testdata/fuzz/FuzzName, to be committed with the fix.
set -uo pipefail
dur=${1:-2m}
pat=${2:-.}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
printf '%-40s %-24s %12s %s\n' package target execs result
while IFS=: read -r file name; do
  pkg=./$(dirname "$file")
  echo "$pkg/$name" | grep -Eq -- "$pat" || continue
  go test -run '^$' -fuzz "^$name\$" -fuzztime "$dur" -fuzzminimizetime 200x "$pkg" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  result=ok
  if [ $rc -ne 0 ]; then
    if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
      result="ok (coordinator deadline race)"
    else
      result=FAILED
      failed=1
      tail -30 "$log" >&2
    fi
  fi
  printf '%-40s %-24s %12s %s\n' "$pkg" "$name" "${execs:-?}" "$result"
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's|^\./||; s|:func |:|' | sort -u)
exit $failed
