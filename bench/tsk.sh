# Sourced by the file-system benchmarks (ntfs.sh, fat.sh, ext.sh): builds
# triage and compares it with the Sleuth Kit on one cached image.
#
#   compare_with_tsk ROOT DIR IMG FILES
#
#   listing:  triage ls --files IMG   vs  fls -r -p IMG
#   hashing:  triage scan IMG (MD5+SHA-1+SHA-256)  vs  fiwalk -X (MD5+SHA-1)
#
# Each is the best of 3 runs, warm cache; wall and CPU (user+sys) seconds
# are printed, CPU because wall time means little on a loaded machine.

# tsk_time CMD...: "WALL CPU" seconds, the best of 3 runs.
tsk_time() {
  local best_w= best_c=
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S" -o "$dir/time.out" "$@" >/dev/null 2>&1 || true
    read -r w u s <"$dir/time.out"
    best_w=$(python3 -c "import sys; a=float(sys.argv[1]); b=sys.argv[2]; print(a if b=='' or a<float(b) else b)" "$w" "$best_w")
    best_c=$(python3 -c "import sys; a=float(sys.argv[1])+float(sys.argv[2]); b=sys.argv[3]; print(round(a,2) if b=='' or a<float(b) else b)" "$u" "$s" "$best_c")
  done
  echo "$best_w $best_c"
}

tsk_ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1])/float(sys.argv[2])))" "$1" "$2"; }

compare_with_tsk() {
  local root=$1 files=$4
  dir=$2 img=$3 bin=$2/triage
  (cd "$root" && go build -o "$bin" ./cmd/triage)
  cat "$img" >/dev/null # warm the page cache for both tools
  echo "image: $img ($(du -h --apparent-size "$img" | cut -f1), $files files); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  local ls_w ls_c fls_w fls_c scan_w scan_c fiw_w fiw_c
  read -r ls_w ls_c < <(tsk_time "$bin" ls --files "$img")
  read -r fls_w fls_c < <(tsk_time fls -r -p "$img")
  echo "listing:  triage ls --files ${ls_w}s (cpu ${ls_c}s)   fls -r -p ${fls_w}s (cpu ${fls_c}s)   fls/triage: wall $(tsk_ratio "$fls_w" "$ls_w"), cpu $(tsk_ratio "$fls_c" "$ls_c")"
  scan() { rm -rf "$dir/case"; "$bin" scan "$img" --case "$dir/case" -q --verify-image=false; }
  fiw() { rm -f "$dir/fiwalk.xml"; fiwalk -X "$dir/fiwalk.xml" "$img"; }
  export -f scan fiw
  export dir bin img
  read -r scan_w scan_c < <(tsk_time bash -c scan)
  read -r fiw_w fiw_c < <(tsk_time bash -c fiw)
  echo "hashing:  triage scan (md5+sha1+sha256) ${scan_w}s (cpu ${scan_c}s)   fiwalk -X (md5+sha1) ${fiw_w}s (cpu ${fiw_c}s)   fiwalk/triage: wall $(tsk_ratio "$fiw_w" "$scan_w"), cpu $(tsk_ratio "$fiw_c" "$scan_c")"
  rm -rf "$dir/case" "$dir/fiwalk.xml" "$dir/time.out"
}
