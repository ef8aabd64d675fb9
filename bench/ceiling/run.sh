#!/bin/bash
# What this machine can do for a fresh tree copy, beside what cp -r and Copy-SpliceItem do:
#   cpu 1 / cpu N     the same fixed work on 1 thread and on N at once (N = processors allowed):
#                     N/1 of the throughput ratio is what parallel workers can gain here at most
#   calls 1 / calls N safe_tree_copy.c: the module's system calls per file and nothing else
#   cp -r, Copy-SpliceItem -Recurse (a fresh pwsh, timed inside after a warm-up copy: bench/ab/one.ps1)
# on the CopyTree benchmark's Small4k (5,000 files of 4 KiB in 50 directories) or Large1M (1,000
# files of 1 MiB in 10 directories) shape, rotated each round, sync before each copy, medians.
# Usage: bench/ceiling/run.sh [work dir on the file system to measure (/dev/shm)] [rounds (11)] [Small4k|Large1M]
# Needs gcc. As root it runs in a scheduling group of its own at the highest weight, as -Task Bench does.
set -e -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ] && [ -z "$CEILING_GROUPED" ]; then
  exec env CEILING_GROUPED=1 setsid -w sh -c 'echo -20 > /proc/self/autogroup; exec nice -n -20 "$0" "$@"' "$0" "$@"
fi
base=${1:-/dev/shm}; rounds=${2:-11}; shape=${3:-Small4k}
case $shape in Small4k) dirs=50; files=100; size=4K;; Large1M) dirs=10; files=100; size=1M;; *) echo "unknown shape $shape" >&2; exit 2;; esac
work=$(mktemp -d "$base/splicemodule-ceiling-XXXXXX"); trap 'rm -rf "$work"' EXIT
gcc -O2 -pthread -o "$work/safe_tree_copy" "$here/safe_tree_copy.c"
gcc -O2 -pthread -o "$work/cpu_scaling" "$here/cpu_scaling.c"
PW=${PWSH:-$(cd "$here" && dotnet tool run pwsh -- -NoProfile -Command "Join-Path \$PSHOME pwsh" | tail -1)}
MODULE=$(realpath "${MODULE:-$here/../../out/SpliceModule}")
threads=$(nproc)
mkdir "$work/src"; for d in $(seq 1 $dirs); do mkdir "$work/src/d$d"; for f in $(seq 1 $files); do head -c $size /dev/urandom > "$work/src/d$d/f$f"; done; done
names=("cpu 1" "cpu $threads" "calls 1" "calls $threads" "cp -r" "Copy-SpliceItem")
declare -A T
for r in $(seq 1 "$rounds"); do
  for k in $(seq 0 5); do
    n=${names[$(( (k + r) % 6 ))]}
    rm -rf "$work/dst" "$work/dst.warm"; sync
    case $n in
      "cpu "*) t=$("$work/cpu_scaling" "${n#cpu }" 0);;
      "calls "*) t=$("$work/safe_tree_copy" "$work/src" "$work/dst" "${n#calls }" $dirs);;
      "cp -r") s=$(date +%s.%N); cp -r "$work/src" "$work/dst"; e=$(date +%s.%N); t=$(echo "$e - $s" | bc);;
      Copy-SpliceItem) t=$("$PW" -NoProfile -File "$here/../ab/one.ps1" -Module "$MODULE" -Source "$work/src" -Destination "$work/dst" -Recurse | tail -1);;
    esac
    T[$n]="${T[$n]} $t"
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.4f %.4f %.4f", m, a[1], a[NR]}'; }
echo "$(date -u '+%F %R UTC'), $(uname -r), $threads processors, load $(cut -d' ' -f1-3 /proc/loadavg), $shape, $rounds rounds, $(findmnt -n -o FSTYPE -T "$work" | tail -1)"; echo
echo "| Contender | Median s | Best s | Worst s |"; echo "|---|---|---|---|"
declare -A M
for n in "${names[@]}"; do read -r m b w <<< "$(echo "${T[$n]}" | median)"; M[$n]=$m; echo "| $n | $m | $b | $w |"; done
awk -v c1="${M[cpu 1]}" -v cn="${M[cpu $threads]}" -v s1="${M[calls 1]}" -v sn="${M[calls $threads]}" -v cp="${M[cp -r]}" -v mod="${M[Copy-SpliceItem]}" -v n="$threads" 'BEGIN {
  printf "throughput of %d threads against one (arithmetic): %.2fx\n", n, n * c1 / cn
  printf "the calls alone, %d threads against one: %.2fx; against cp -r: 1 thread %.2fx, %d threads %.2fx\n", n, s1 / sn, cp / s1, n, cp / sn
  printf "Copy-SpliceItem against cp -r: %.2fx; against the calls alone on %d threads: %.2fx their time\n", cp / mod, n, mod / sn }'
