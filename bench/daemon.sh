#!/usr/bin/env bash
# Kiln's daemon side by side with BuildKit's: `kiln build` (a client of `kiln daemon`) against `buildctl build`
# (a client of buildkitd v0.24.0), the same Dockerfile, the same base image in a registry on 127.0.0.1, the
# same OCI tar output, each timed from the user's command line. Scenarios:
#   cached      nothing changed since the last build: every step is a cache hit
#   allrun      --no-cache: every step runs again (the base image stays pulled)
#   concurrent  8 builds of 8 different contexts at once (each round changes every context first); the
#               time is the wall time until the last one ends
#   firstbyte   a cached build's first byte of progress, and its end (bench/first-byte.py)
#   buildctl    the daemons alone: buildctl drives kiln daemon and buildkitd, a cached build each (the same
#               client on both sides, so the JVM client's start is out of the picture)
#
# The workload (2 stages, 6 RUN, 3 COPY, FROM a busybox image in the registry) is the one issue 11
# measured. Both daemons run for the whole script, warm, on states of their own.
#
# Needs buildctl and buildkitd on PATH (build them from BuildKit's source, see bench/README.md); never
# a CI requirement. Usage (as root): bench/daemon.sh; BENCH_RUNS=10 BENCH_WARMUP=2 BENCH_SCENARIOS="..."
#   BENCH_WORK=/var/tmp/kiln-daemon-bench  scratch directory (removed at the end)
#   BENCH_RESULTS=FILE                     raw numbers (default bench/results/DATE-daemon.txt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-2}
scenarios=${BENCH_SCENARIOS:-cached allrun concurrent firstbyte buildctl}
work=${BENCH_WORK:-/var/tmp/kiln-daemon-bench}
results=${BENCH_RESULTS:-$root/bench/results/$(date +%Y-%m-%d)-daemon.txt}

source "$root/bench/lib.sh"
bench_prepare "$root" buildctl buildkitd docker-registry python3

bench_daemon_work "$root" "$work" "$work/kiln-state"

# A registry on 127.0.0.1 holding the busybox base image: sets port and base, appends to pids.
bench_base_registry "$work" "$root"

# One build context per concurrent build; the first is the one the other scenarios build.
for i in $(seq 0 7); do bench_workload_context "$work/ctx$i" "$i"; done

# buildkitd and kiln daemon, each on a state of its own
bench_buildkitd "$work"
bench_kiln_daemon "$root" "$work/kiln-state" "$work/kiln-daemon.log"
bench_await_sockets "$work/bk.sock" "$work/kiln-state/kiln.sock"

kiln_build() { # CONTEXT OUT [FLAGS...]
  local ctx=$1 out=$2; shift 2
  echo "$root/kiln build --state $work/kiln-state --progress plain $* --output type=oci,dest=$out $ctx"
}
buildctl_build() {
  local ctx=$1 out=$2; shift 2
  echo "buildctl --addr ${BUILDCTL_ADDR:-unix://$work/bk.sock} build --progress plain --frontend dockerfile.v0 --local context=$ctx \
--local dockerfile=$ctx $* --output type=oci,dest=$out"
}

# both tools must build the same /app/list.txt, or they did not do the same work
$(kiln_build "$work/ctx0" "$work/check-kiln.tar") > "$work/check.log" 2>&1 || { cat "$work/check.log" >&2; exit 1; }
$(buildctl_build "$work/ctx0" "$work/check-bk.tar") > "$work/check.log" 2>&1 || { cat "$work/check.log" >&2; exit 1; }

summary=()
raw=()
compare() { # SCENARIO
  local s=$1
  local line
  line=$(awk -v s="$s" -v k="$(bench_median "$s-kiln")" -v b="$(bench_median "$s-buildkit")" \
    -v r="$(bench_ratio "$s-kiln" "$s-buildkit")" \
    'BEGIN { printf "%-11s kiln %6.3f s   buildkit %6.3f s   kiln/buildkit %.2f   (medians; per round %.2f)", s, k, b, k / b, r }')
  bench_record "$s" "$line" kiln buildkit
}

for scenario in $scenarios; do
  echo "bench: $scenario ($warmup warm-up and $runs timed rounds, kiln and buildkit in turn)" >&2
  bench_reset
  case $scenario in
    cached)
      bench_add cached-kiln "" "$(kiln_build "$work/ctx0" "$work/out-kiln.tar")"
      bench_add cached-buildkit "" "$(buildctl_build "$work/ctx0" "$work/out-bk.tar")" ;;
    allrun)
      bench_add allrun-kiln "" "$(kiln_build "$work/ctx0" "$work/out-kiln.tar" --no-cache)"
      bench_add allrun-buildkit "" "$(buildctl_build "$work/ctx0" "$work/out-bk.tar" --no-cache)" ;;
    concurrent)
      for tool in kiln buildctl; do
        script=$work/concurrent-$tool.sh
        { echo "set -e"
          for i in $(seq 0 7); do echo "$(${tool}_build "$work/ctx$i" "$work/out-$tool-$i.tar") > $work/conc-$tool-$i.log 2>&1 &"; done
          echo 'for job in $(jobs -p); do wait "$job"; done'; } > "$script"
      done
      change="for i in \$(seq 0 7); do date +%s%N > $work/ctx\$i/src/changed.c; done"
      bench_add concurrent-kiln "$change" "bash $work/concurrent-kiln.sh"
      bench_add concurrent-buildkit "$change" "bash $work/concurrent-buildctl.sh" ;;
    buildctl)
      bench_add buildctl-kiln "" "$(BUILDCTL_ADDR=unix://$work/kiln-state/kiln.sock buildctl_build "$work/ctx0" \
        "$work/out-bck.tar")"
      bench_add buildctl-buildkit "" "$(buildctl_build "$work/ctx0" "$work/out-bk.tar")" ;;
    firstbyte)
      # its own loop: first-byte.py prints "FIRST END STATUS" per run, which bench_run_once does not keep
      for tool in kiln buildkit; do : > "$work/times/firstbyte-$tool.txt"; done
      for ((round = 0; round < warmup + runs; round++)); do
        for tool in kiln buildkit; do
          [ $tool = kiln ] && cmd=$(kiln_build "$work/ctx0" "$work/out-kiln.tar") \
            || cmd=$(buildctl_build "$work/ctx0" "$work/out-bk.tar")
          # shellcheck disable=SC2086
          out=$("$root/bench/first-byte.py" $cmd 2>/dev/null | tail -n 1)
          [ "$round" -ge "$warmup" ] && echo "$out" >> "$work/times/firstbyte-$tool.txt"
        done
      done
      for tool in kiln buildkit; do
        line=$(sort -n "$work/times/firstbyte-$tool.txt" | awk -v t=$tool '{ f[NR] = $1 } END {
          printf "firstbyte   %-8s first progress byte after %.3f s (median of %d runs)", t, f[int((NR + 1) / 2)], NR }')
        summary+=("$line")
        echo "$line"
      done
      continue ;;
    *) echo "bench: unknown scenario $scenario" >&2; exit 1 ;;
  esac
  bench_round_robin "$runs" "$warmup"
  compare "$scenario"
done

bench_write_comparison "$results" daemon.sh "kiln and buildkit in turn" "$(kiln_build CTX OUT)" "$(buildctl_build CTX OUT)"
