# Sourced by the bench scripts: times whole commands round-robin (one run of each command in
# turn, then again), so that a change in the machine's load during a benchmark spreads over every
# command compared instead of landing on one of them, as it would when each command's runs come
# in one block. Wall time comes from bash's EPOCHREALTIME; CPU time (user and system, children
# such as runc included) from GNU time.
#
# Set bench_dir to a scratch directory before use. A command is a string split on spaces (no
# quoting); a prepare step is a shell snippet run untimed before each run of its command.

# bench_prepare ROOT TOOL...: how a benchmark of Kiln's daemon begins: as root, with each TOOL on PATH, Kiln's
# machine set-up done (scripts/setup.sh), its environment read and ./kiln built, so no timed run builds it
bench_prepare() {
  local root=$1 tool
  shift
  [ "$(id -u)" = 0 ] || { echo "bench: run as root" >&2; exit 1; }
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (see bench/README.md)" >&2; exit 1; }
  done
  "$root/scripts/setup.sh"
  source "$root/scripts/env.sh"
  "$root/kiln" --help >/dev/null 2>&1 || "$root/kiln" --help
}

bench_names=()
bench_prepares=()
bench_commands=()

# bench_clean DIR: removes a scratch directory, first unmounting what a failed build left mounted
# under it (a build container's overlay, say), deepest first
bench_clean() {
  [ -d "$1" ] || return 0
  awk -v dir="$1/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n 1 umount -l
  rm -rf "$1"
}

# bench_daemon_work ROOT WORK STATE: how the benchmarks of kiln's daemon begin: an empty WORK with times/ (bench_dir)
# and registry/ in it; on exit the processes in pids are killed, the daemon of STATE stopped and WORK removed.
bench_daemon_work() {
  bench_root=$1 bench_work=$2 bench_daemon_state=$3
  pids=()
  bench_clean "$bench_work"
  trap bench_daemon_cleanup EXIT
  mkdir -p "$bench_work/times" "$bench_work/registry"
  bench_dir=$bench_work/times
}

bench_daemon_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$bench_root/kiln" daemon stop --state "$bench_daemon_state" >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  bench_clean "$bench_work"
}

# bench_record SCENARIO LINE TOOL...: prints a scenario's summary LINE and keeps it in summary, and keeps each TOOL's
# numbers (bench_stats and bench_raw of SCENARIO-TOOL) in raw; summary and raw are the caller's arrays.
bench_record() {
  local scenario=$1 line=$2 tool
  shift 2
  summary+=("$line")
  echo "$line"
  for tool in "$@"; do
    raw+=("$scenario $tool: $(bench_stats "$scenario-$tool")" "  runs $(bench_raw "$scenario-$tool")")
  done
}

# bench_versions ROOT TOOL_VERSION...: the header line that says what ran: Kiln's commit, the given tools' versions,
# the JDK and the cores
bench_versions() {
  local root=$1 line version
  shift
  line="# kiln $(git -C "$root" rev-parse --short HEAD)"
  for version in "$@"; do line+="; $version"; done
  echo "$line; $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1); $(nproc) cores"
}

# bench_write_comparison FILE SCRIPT ORDER KILN BUILDKIT: bench_write_results for a script that times Kiln against
# BuildKit: the header names SCRIPT, the rounds ($runs after $warmup warm-up) and the ORDER they ran in, the versions
# and the two commands timed (KILN, BUILDKIT, as templates); then it tells where the numbers went
bench_write_comparison() {
  local file=$1 script=$2 order=$3 kiln=$4 buildkit=$5
  bench_write_results "$file" \
    "# bench/$script $(date -u +%Y-%m-%dT%H:%M:%SZ): $runs timed rounds after $warmup warm-up, $order" \
    "$(bench_versions "$root" "$(buildctl --version)")" \
    "# kiln:     $kiln" \
    "# buildkit: $buildkit"
  echo "bench: raw numbers in ${file#"$root"/}" >&2
}

# bench_write_results FILE HEADER...: writes the caller's summary and raw arrays to FILE under the HEADER lines
bench_write_results() {
  local file=$1
  shift
  mkdir -p "$(dirname "$file")"
  {
    printf '%s\n' "$@"
    echo
    printf '%s\n' "${summary[@]}"
    echo
    echo "# seconds: wall median, mean, min, max; cpu = median user+system of the client (daemons not included)"
    printf '%s\n' "${raw[@]}"
  } > "$file"
}

# bench_add NAME PREPARE COMMAND
bench_add() {
  bench_names+=("$1")
  bench_prepares+=("$2")
  bench_commands+=("$3")
}

bench_reset() {
  bench_names=()
  bench_prepares=()
  bench_commands=()
}

# bench_run_once INDEX [TIMED]: one run of the INDEX-th command; with TIMED, appends
# "wall user system" in seconds to $bench_dir/NAME.times
bench_run_once() {
  local i=$1 timed=${2:-} name=${bench_names[$1]} start end
  local -
  set -f   # commands are split on spaces only: a '*' in a JVM flag is not a file pattern
  if [ -n "${bench_prepares[$i]}" ]; then
    bash -c "${bench_prepares[$i]}" >/dev/null 2>&1 \
      || { echo "bench: preparing $name failed: ${bench_prepares[$i]}" >&2; return 1; }
  fi
  start=$EPOCHREALTIME
  # shellcheck disable=SC2086
  if ! /usr/bin/time -f '%U %S' -o "$bench_dir/cpu" ${bench_commands[$i]} >"$bench_dir/last.out" 2>&1; then
    tail -n 20 "$bench_dir/last.out" >&2
    echo "bench: $name failed: ${bench_commands[$i]}" >&2
    return 1
  fi
  end=$EPOCHREALTIME
  if [ -n "$timed" ]; then
    echo "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", e - s }') $(tail -n 1 "$bench_dir/cpu")" \
      >> "$bench_dir/$name.times"
  fi
}

# bench_round_robin RUNS WARMUP: WARMUP untimed rounds, then RUNS timed rounds over every command added
bench_round_robin() {
  local runs=$1 warmup=$2 round i
  for ((i = 0; i < ${#bench_names[@]}; i++)); do
    rm -f "$bench_dir/${bench_names[$i]}.times"
  done
  for ((round = 0; round < warmup + runs; round++)); do
    for ((i = 0; i < ${#bench_names[@]}; i++)); do
      bench_run_once "$i" "$([ "$round" -ge "$warmup" ] && echo timed)" || return 1
    done
  done
}

# bench_median NAME: the median wall time in seconds
bench_median() {
  awk '{ print $1 }' "$bench_dir/$1.times" | sort -n | awk '{ v[NR] = $1 } END {
    print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# bench_stats NAME: "median M mean A min L max H cpu C" (wall seconds; C = median user+system)
bench_stats() {
  local median cpu
  median=$(bench_median "$1")
  cpu=$(awk '{ print $2 + $3 }' "$bench_dir/$1.times" | sort -n | awk '{ v[NR] = $1 } END {
    print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
  awk -v m="$median" -v c="$cpu" '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
    END { printf "median %.3f mean %.3f min %.3f max %.3f cpu %.3f", m, s / NR, lo, hi, c }' "$bench_dir/$1.times"
}

# bench_ratio NAME1 NAME2: the median over rounds of NAME1's time / NAME2's time in the same round,
# which a change of load between rounds disturbs less than the ratio of the two medians
bench_ratio() {
  paste -d' ' "$bench_dir/$1.times" "$bench_dir/$2.times" | awk '{ print $1 / $4 }' | sort -n | awk '{ v[NR] = $1 } END {
    print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# bench_difference NAME1 NAME2: the median over rounds of NAME1's time - NAME2's time in the same round, in seconds
bench_difference() {
  paste -d' ' "$bench_dir/$1.times" "$bench_dir/$2.times" | awk '{ print $1 - $4 }' | sort -n | awk '{ v[NR] = $1 } END {
    print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# bench_raw NAME: every timed run as "wall/user/system"
bench_raw() {
  awk '{ printf "%s%s/%s/%s", (NR > 1 ? " " : ""), $1, $2, $3 } END { print "" }' "$bench_dir/$1.times"
}

# Starts docker-registry on 127.0.0.1 (a free port) and pushes a busybox base image into it, built by kiln from
# scripts/busybox-rootfs.sh. Usage: bench_base_registry WORK ROOT. Sets port and base (127.0.0.1:PORT/library/
# busybox:1) and appends the registry's pid to pids, which the caller kills on exit.
bench_base_registry() {
  local work=$1 root=$2
  mkdir -p "$work/registry" "$work/base"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat > "$work/registry/config.yml" <<END
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/storage
http:
  addr: 127.0.0.1:$port
END
  docker-registry serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
  pids+=($!)
  base=127.0.0.1:$port/library/busybox:1
  "$root/scripts/busybox-rootfs.sh" "$work/base/rootfs" >/dev/null
  printf 'FROM scratch\nCOPY rootfs/ /\n' > "$work/base/Dockerfile"
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
  "$root/kiln" build --no-daemon --state "$work/prep-state" --progress quiet \
    --output "type=image,name=$base,push=true" "$work/base" >/dev/null
}

# bench_buildkitd WORK: starts buildkitd v0.24.0 on unix://WORK/bk.sock with the OCI worker on overlayfs and
# runc, containerd off and plain HTTP to the registry on 127.0.0.1:$port; sets buildkitd_pid and appends it to pids
bench_buildkitd() {
  local work=$1
  cat > "$work/buildkitd.toml" <<END
[worker.oci]
  enabled = true
  snapshotter = "overlayfs"
  binary = "runc"
[worker.containerd]
  enabled = false
[registry."127.0.0.1:$port"]
  http = true
END
  mkdir -p "$work/logs"
  buildkitd --root "$work/bk-root" --addr "unix://$work/bk.sock" --config "$work/buildkitd.toml" \
    > "$work/logs/buildkitd.log" 2>&1 &
  buildkitd_pid=$!
  pids+=("$buildkitd_pid")
}

# bench_kiln_daemon ROOT STATE LOG: starts `kiln daemon` on STATE (it never idles out), its output in LOG; sets kiln_pid
# and appends it to pids, which the caller kills on exit
bench_kiln_daemon() {
  "$1/kiln" daemon --state "$2" --idle-timeout 0 > "$3" 2>&1 &
  kiln_pid=$!
  pids+=("$kiln_pid")
}

# bench_await_sockets SOCKET...: waits until every SOCKET exists, 20 s at the most
bench_await_sockets() {
  local socket missing
  for _ in $(seq 100); do
    missing=0
    for socket in "$@"; do
      [ -S "$socket" ] || missing=1
    done
    [ "$missing" = 0 ] && return 0
    sleep 0.2
  done
}

# bench_workload_context DIR N: issue 11's workload (2 stages, 6 RUN, 3 COPY) FROM $base, its files named for N so
# that every context is its own
bench_workload_context() {
  mkdir -p "$1/src"
  for name in main.c util.c config.h; do printf 'the %s of context %s\n' "$name" "$2" > "$1/src/$name"; done
  echo "context $2" > "$1/README"
  cat > "$1/Dockerfile" <<END
FROM $base AS build
COPY src/ /src/
RUN cat /src/* > /all.txt
RUN wc -c /all.txt > /size.txt
RUN mkdir -p /out && cp /all.txt /size.txt /out/
FROM $base
COPY --from=build /out/ /app/
COPY README /app/README
RUN ls /app > /app/list.txt
RUN echo done > /app/done
RUN cat /app/list.txt
END
}

# bench_w3_context DIR FILES: issue 13's W3 context, a source tree's shape with the same bytes on every run (most
# files 50 B to 1 KB of text in 20 directories of 25 subdirectories; one in 4,000 is 100 KB to 1 MB), and its
# Dockerfile: FROM $base, COPY . /ctx, RUN find /ctx -type f | wc -l
bench_w3_context() {
  python3 - "$1" "$2" <<'END'
import os, random, sys
top, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(13)
words = [("w%d" % i).encode() for i in range(500)]
def text(size):
    out = bytearray()
    while len(out) < size:
        out += b" ".join(rng.choice(words) for _ in range(12)) + b"\n"
    return bytes(out[:size])
for i in range(count):
    d = os.path.join(top, "pkg%02d" % (i % 20), "mod%02d" % (i // 20 % 25))
    os.makedirs(d, exist_ok=True)
    size = rng.randint(100_000, 1_000_000) if i % 4000 == 7 else rng.randint(50, 1000)
    with open(os.path.join(d, "file%05d.src" % i), "wb") as f:
        f.write(text(size))
END
  printf 'FROM %s\nCOPY . /ctx\nRUN find /ctx -type f | wc -l\n' "$base" > "$1/Dockerfile"
}

# bench_cache_context DIR: the cache benchmark's workload FROM $base: a first stage whose three RUN steps write 30 MB
# (numbers, 400 small files, 4 MB of random bytes), a second stage that copies them and a source file, then one RUN
bench_cache_context() {
  mkdir -p "$1/src"
  echo "the source" > "$1/src/main.c"
  cat > "$1/Dockerfile" <<END
FROM $base AS deps
RUN mkdir -p /deps && seq 1 1500000 > /deps/numbers.txt
RUN for i in \$(seq 1 400); do seq \$i 3 30000 > /deps/part\$i.txt; done
RUN head -c 4000000 /dev/urandom > /deps/blob.bin
FROM $base
COPY --from=deps /deps /deps
COPY src/ /src/
RUN cat /src/* > /app.txt && ls /deps | wc -l >> /app.txt
END
}

# bench_overlap_context DIR: an image whose big layer comes early, FROM $base: a step that writes 30 MB (as a
# dependency install would), then a single-threaded step of a second or two (as a compile would), then a small one
bench_overlap_context() {
  mkdir -p "$1"
  cat > "$1/Dockerfile" <<END
FROM $base
RUN mkdir -p /deps && seq 1 1500000 > /deps/numbers.txt && for i in \$(seq 1 400); do seq \$i 3 30000 > /deps/part\$i.txt; done
RUN i=0; while [ \$i -lt 300000 ]; do i=\$((i + 1)); done; echo \$i > /count
RUN echo built > /done
END
}
