#!/usr/bin/env bash
# Issue 13's W3: one file changed in a 20,000-file build context (about 79 MB on disk), rebuilt by
#   kiln build --no-daemon   the embedded engine in the client's process
#   kiln build               a client of `kiln daemon` (same host: the daemon reads the context in place)
#   buildctl build           a client of buildkitd v0.24.0 (OCI worker, overlayfs, runc; containerd off)
# from `FROM busybox` (a registry on 127.0.0.1), `COPY . /ctx`, `RUN find /ctx -type f | wc -l`, with OCI tar
# output. Each timed run first rewrites one small file of the context (untimed), so every run is an
# incremental rebuild: the context's checksum, the COPY, the RUN and the export run again, the base is cached.
# Runs are interleaved round by round (bench/lib.sh). Kiln's step times come from its plain progress.
#
# Needs buildctl and buildkitd on PATH (see bench/README.md); never a CI requirement. Usage (as root):
#   bench/w3.sh; BENCH_RUNS=5 BENCH_WARMUP=1 BENCH_TOOLS="embedded daemon buildkit"
#   BENCH_WORK=/var/tmp/kiln-w3-bench  scratch directory (removed at the end)
#   BENCH_RESULTS=FILE                 raw numbers (default bench/results/DATE-w3.txt)
#   BENCH_FILES=20000                  files in the context
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-1}
tools=${BENCH_TOOLS:-embedded daemon buildkit}
work=${BENCH_WORK:-/var/tmp/kiln-w3-bench}
results=${BENCH_RESULTS:-$root/bench/results/$(date +%Y-%m-%d)-w3.txt}
files=${BENCH_FILES:-20000}

case " $tools " in
  *" buildkit "*) buildkit_tools="buildctl buildkitd" ;;
  *) buildkit_tools="" ;;
esac
source "$root/bench/lib.sh"
# shellcheck disable=SC2086
bench_prepare "$root" docker-registry python3 $buildkit_tools

bench_daemon_work "$root" "$work" "$work/kiln-daemon-state"
mkdir -p "$work/logs"

# A registry on 127.0.0.1 holding the busybox base image: sets port and base, appends to pids.
bench_base_registry "$work" "$root"

# The context (bench/lib.sh has its shape)
bench_w3_context "$work/ctx" "$files"
changed=$work/ctx/pkg00/mod00/file00000.src
echo "bench: context of $(find "$work/ctx" -type f | wc -l) files, $(du -sh "$work/ctx" | cut -f1) on disk" >&2

case " $tools " in
  *" buildkit "*) bench_buildkitd "$work" ;;
esac
case " $tools " in
  *" daemon "*)
    "$root/kiln" daemon --state "$work/kiln-daemon-state" --idle-timeout 0 > "$work/logs/kiln-daemon.log" 2>&1 &
    pids+=($!) ;;
esac
for _ in $(seq 100); do
  { [[ " $tools " != *" buildkit "* ]] || [ -S "$work/bk.sock" ]; } \
    && { [[ " $tools " != *" daemon "* ]] || [ -S "$work/kiln-daemon-state/kiln.sock" ]; } && break
  sleep 0.2
done

command_of() { # TOOL
  case $1 in
    embedded) echo "$root/kiln build --no-daemon --state $work/kiln-embedded-state --progress plain \
--output type=oci,dest=$work/out-embedded.tar $work/ctx" ;;
    daemon) echo "$root/kiln build --state $work/kiln-daemon-state --progress plain \
--output type=oci,dest=$work/out-daemon.tar $work/ctx" ;;
    buildkit) echo "buildctl --addr unix://$work/bk.sock build --progress plain --frontend dockerfile.v0 \
--local context=$work/ctx --local dockerfile=$work/ctx --output type=oci,dest=$work/out-buildkit.tar" ;;
  esac
}

# First builds (untimed): pull the base, fill each cache. Each must count the same files.
for tool in $tools; do
  # shellcheck disable=SC2046
  $(command_of "$tool") > "$work/logs/first-$tool.log" 2>&1 || { tail -n 30 "$work/logs/first-$tool.log" >&2; exit 1; }
done

# Kiln's per-step times: the "#N DONE 1.2s" lines of its plain progress, named by the step's "#N name" line
step_times() { # LOG
  awk '/^#[0-9]+ [^0-9]/ && !/ DONE | CACHED| ERROR/ && !($1 in name) { n = $1; sub(/^#[0-9]+ /, ""); name[n] = $0 }
       / DONE [0-9.]+s$/ { t = $NF; sub(/s$/, "", t); printf "%s\t%s\n", substr(name[$1], 1, 40), t }' "$1"
}

bench_reset
for tool in $tools; do
  # each run's own content for the changed file, so no run is a cache hit on an earlier one
  bench_add "$tool" "date +%s%N > $changed" "$(command_of "$tool")"
done
echo "bench: $warmup warm-up and $runs timed rounds of: $tools" >&2
: > "$work/steps.txt"
# bench_round_robin, but keeping each Kiln run's step times
for ((round = 0; round < warmup + runs; round++)); do
  for ((i = 0; i < ${#bench_names[@]}; i++)); do
    [ "$round" = 0 ] && rm -f "$bench_dir/${bench_names[$i]}.times"
    bench_run_once "$i" "$([ "$round" -ge "$warmup" ] && echo timed)" || exit 1
    if [ "$round" -ge "$warmup" ] && [ "${bench_names[$i]}" != buildkit ]; then
      step_times "$bench_dir/last.out" | sed "s/^/${bench_names[$i]}\t$round\t/" >> "$work/steps.txt"
    fi
  done
done

summary=()
for tool in $tools; do
  line=$(printf '%-9s median %6.3f s' "$tool" "$(bench_median "$tool")")
  if [[ " $tools " == *" buildkit "* ]] && [ "$tool" != buildkit ]; then
    line+=$(awk -v k="$(bench_median "$tool")" -v b="$(bench_median buildkit)" -v r="$(bench_ratio "$tool" buildkit)" \
      'BEGIN { printf "   %s/buildkit %.2f (per round %.2f)", "x", k / b, r }' | sed "s|x/|$tool/|")
  fi
  summary+=("$line")
done
# median step times per tool and step
steps=()
while read -r line; do steps+=("$line"); done < <(cut -f 1,3,4 "$work/steps.txt" | sort -t "$(printf '\t')" -k1,1 -k2,2 -k3,3n \
  | awk -F '\t' '{ k = $1 "\t" $2; if (k != last && last != "") out(); if (k != last) n = 0; last = k; v[++n] = $3 }
    function out() { split(last, p, "\t"); m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      printf "%-9s step %-42s median %.2f s\n", p[1], p[2], m }
    END { if (last != "") out() }')
printf '%s\n' "${summary[@]}" "${steps[@]}"
mkdir -p "$(dirname "$results")"
{
  echo "# bench/w3.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): $runs timed rounds after $warmup warm-up, tools in turn"
  echo "# kiln $(git -C "$root" rev-parse --short HEAD); $(buildctl --version 2>/dev/null || echo 'no buildctl'); $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1); $(nproc) cores"
  echo "# context: $(find "$work/ctx" -type f | wc -l) files, $(du -sh "$work/ctx" | cut -f1) on disk; state on $(stat -f -c %T "$work")"
  for tool in $tools; do echo "# $tool: $(command_of "$tool")"; done
  echo
  printf '%s\n' "${summary[@]}"
  echo
  printf '%s\n' "${steps[@]}"
  echo
  echo "# seconds: wall median, mean, min, max; cpu = median user+system of the client (daemons not included)"
  for tool in $tools; do echo "$tool: $(bench_stats "$tool")"; echo "  runs $(bench_raw "$tool")"; done
  echo "# Kiln's step times per run: tool, round, step, seconds"
  cat "$work/steps.txt"
} > "$results"
echo "bench: raw numbers in ${results#"$root"/}" >&2
