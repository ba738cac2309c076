#!/usr/bin/env bash
# Which JVM flags make `kiln build` start and finish fastest: times the benchmark's build (the
# Containerfile of bench/workload.sh to an image), fully cached and cold, under each set of flags
# below, with and without a JDK AOT cache trained for that set, round-robin (bench/lib.sh).
#
# 1. ./kiln as a user runs it, with its AOT cache and with KILN_AOT=0 (fully cached build), and
#    the java command ./kiln execs, started directly.
# 2. The JVM started directly (no launcher script), one variant per flag set; each AOT variant gets
#    its own cache, trained by scripts/aot-train.sh as ./kiln trains its own, because a cache only
#    maps under the flags it was made with.
#
# Usage: bench/jvm-flags.sh  (as root)   BENCH_RUNS=10 BENCH_WARMUP=2 BENCH_WORK=/var/tmp/kiln-jvm-flags
#        BENCH_RESULTS=FILE (default bench/results/DATE-jvm-flags.txt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-2}
work=${BENCH_WORK:-/var/tmp/kiln-jvm-flags}
results=${BENCH_RESULTS:-$root/bench/results/$(date +%Y-%m-%d)-jvm-flags.txt}
[ "$(id -u)" = 0 ] || { echo "jvm-flags: run as root (builds start runc containers)" >&2; exit 1; }
source "$root/scripts/env.sh"

"$root/kiln" --help >/dev/null 2>&1 || "$root/kiln" --help
target=$root/kiln-cli/target
cli_jars=("$target"/kiln-cli-*.jar)
classpath="${cli_jars[0]}:$(cat "$target/kiln.classpath")"

source "$root/bench/lib.sh"
bench_clean "$work"
"$root/bench/workload.sh" "$work/ctx"
# the benchmark's Containerfile to an image named in Kiln's store, as bench/run.sh builds it
build_args="dev.kiln.cli.Main build -f $work/ctx/Containerfile --output type=image,name=kiln-bench $work/ctx"

# name|flags|aot: the launcher's set first (keep it in step with ./kiln), then one change at a time
native=--enable-native-access=ALL-UNNAMED
unsafe=--sun-misc-unsafe-memory-access=allow
accessors=-Djdk.reflect.useNativeAccessorOnly=true
variants=(
  "launcher-set|$native $unsafe -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $accessors|aot"
  "no-aot-cache|$native $unsafe -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $accessors|"
  "no-cds-at-all|$native $unsafe -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $accessors -Xshare:off|"
  "full-tiered|$native $unsafe -XX:+UseSerialGC $accessors|aot"
  "g1-gc|$native $unsafe -XX:TieredStopAtLevel=1 $accessors|aot"
  "no-perfdata|$native $unsafe -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $accessors -XX:-UsePerfData|aot"
  "handle-accessors|$native $unsafe -XX:+UseSerialGC -XX:TieredStopAtLevel=1|aot"
  "jdk-defaults|$native $unsafe|"
)

bench_dir=$work/times
mkdir -p "$bench_dir"
commands=()
for variant in "${variants[@]}"; do
  IFS='|' read -r name flags aot <<< "$variant"
  aot_flag=""
  if [ -n "$aot" ]; then
    echo "jvm-flags: training an AOT cache for $name" >&2
    # shellcheck disable=SC2086
    "$root/scripts/aot-train.sh" "$work/$name.aot" "$classpath" $flags >/dev/null 2>&1 \
      || { echo "jvm-flags: no AOT cache for $name" >&2; exit 1; }
    aot_flag="-XX:AOTCache=$work/$name.aot"
  fi
  commands+=("$JAVA_HOME/bin/java $flags $aot_flag -cp $classpath $build_args")
done

report=()
# report_group TITLE: the medians of the commands just timed, fastest first, then every run
report_group() {
  local i
  report+=("" "$1")
  for ((i = 0; i < ${#bench_names[@]}; i++)); do
    report+=("$(printf '  %-22s %s' "${bench_names[$i]}" "$(bench_stats "${bench_names[$i]}")")")
  done
  for ((i = 0; i < ${#bench_names[@]}; i++)); do
    report+=("  runs ${bench_names[$i]}: $(bench_raw "${bench_names[$i]}")")
  done
}

uptime_before=$(uptime)
echo "jvm-flags: ./kiln, fully cached, with and without its AOT cache" >&2
launcher="$root/kiln ${build_args#dev.kiln.cli.Main } --state $work/state-launcher"
bench_reset
bench_add "kiln-with-aot" "" "$launcher"
bench_add "kiln-KILN_AOT=0" "" "env KILN_AOT=0 $launcher"
# what ./kiln execs, without the script: the difference to kiln-with-aot is the script's own cost
launcher_flags="$native $unsafe -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
-XX:AOTCache=$target/kiln.aot -Xlog:disable -Xlog:all=warning,aot*=off,cds*=off:stderr"
bench_add "java-as-kiln-execs-it" "" "$JAVA_HOME/bin/java $launcher_flags -cp $classpath $build_args --state $work/state-launcher"
bench_round_robin "$runs" "$warmup"
report_group "./kiln build, fully cached"

# time_flag_sets KIND LABEL WARMUP TITLE: each flag set's command, timed round-robin as KIND-NAME, then its report
# group. cached: all share one state, which the warm-up fills; cold: each its own, emptied before every run.
time_flag_sets() {
  local kind=$1 label=$2 warmup_rounds=$3 title=$4 i name state prepare
  echo "jvm-flags: $label, per flag set" >&2
  bench_reset
  for ((i = 0; i < ${#variants[@]}; i++)); do
    name=${variants[$i]%%|*}
    state=$work/state-$kind prepare=""
    if [ "$kind" = cold ]; then
      state+="-$name"
      prepare="rm -rf $state"
    fi
    bench_add "$kind-$name" "$prepare" "${commands[$i]} --state $state"
  done
  bench_round_robin "$runs" "$warmup_rounds"
  report_group "$title"
}
time_flag_sets cached "fully cached" "$warmup" "java started directly, fully cached build"
time_flag_sets cold cold 1 "java started directly, cold build (empty state before each run)"

mkdir -p "$(dirname "$results")"
{
  echo "# bench/jvm-flags.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): $runs timed rounds, commands in turn"
  echo "# kiln $(git -C "$root" rev-parse --short HEAD); $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1); $(nproc) cores"
  echo "# load before: $uptime_before"
  echo "# load after:  $(uptime)"
  echo "# ./kiln: $launcher"
  echo "# java: \$JAVA_HOME/bin/java FLAGS [-XX:AOTCache=F] -cp CLASSPATH $build_args --state STATE"
  for variant in "${variants[@]}"; do
    IFS='|' read -r name flags aot <<< "$variant"
    echo "#   $name: $flags${aot:+ + its own AOT cache}"
  done
  echo "# seconds: wall median, mean, min, max; cpu = median user+system (children included)"
  printf '%s\n' "${report[@]}"
} > "$results"
cat "$results"
echo "jvm-flags: raw numbers in ${results#"$root"/}" >&2
bench_clean "$work"
