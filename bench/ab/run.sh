#!/bin/bash
# A/B: old module vs new module vs cp, rotated, sync before each copy, medians of N rounds.
set -e -o pipefail
PW=${PWSH:-$(dotnet tool run pwsh -- -NoProfile -Command "Join-Path \$PSHOME pwsh" | tail -1)}
OLD=${OLD:?build the older commit and set OLD=<its out/SpliceModule>}; NEW=$(realpath "${NEW:-$(dirname "$0")/../../out/SpliceModule}")
shape=$1; base=$2; rounds=${3:-7}
work=$base/ab-$shape; rm -rf $work; mkdir -p $work
case $shape in
  tree) mkdir -p $work/src; for d in $(seq 1 50); do mkdir $work/src/d$d; for f in $(seq 1 100); do head -c 4096 /dev/urandom > $work/src/d$d/f$f; done; done; R=-Recurse; CP="cp -r";;
  empty) mkdir -p $work/src; for d in $(seq 1 100); do mkdir $work/src/d$d; (cd $work/src/d$d && touch $(seq -f 'e%g' 1 100)); done; R=-Recurse; CP="cp -r";;
  big) mkdir -p $work/src; head -c 1G /dev/urandom > $work/src/big; R=""; CP="cp";;
esac
src=$work/src; [ $shape = big ] && src=$work/src/big
declare -A T
names=(cp old new)
for r in $(seq 1 $rounds); do
  for k in 0 1 2; do
    i=$(( (k + r) % 3 )); n=${names[$i]}
    rm -rf $work/dst; sync
    case $n in
      cp) s=$(date +%s.%N); $CP $src $work/dst; e=$(date +%s.%N); t=$(echo "$e - $s" | bc);;
      old) t=$($PW -NoProfile -File $(dirname "$0")/one.ps1 -Module $OLD -Source $src -Destination $work/dst $R | tail -1);;
      new) t=$($PW -NoProfile -File $(dirname "$0")/one.ps1 -Module $NEW -Source $src -Destination $work/dst $R | tail -1);;
    esac
    T[$n]="${T[$n]} $t"
  done
done
for n in cp old new; do
  echo ${T[$n]} | tr " " "\n" | grep . | sort -g | awk -v name=$n '{a[NR]=$1} END {med=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%s median %.4f best %.4f worst %.4f (%d rounds)\n",name,med,a[1],a[NR],NR}'
done
rm -rf $work
