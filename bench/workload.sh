#!/usr/bin/env bash
# Makes the benchmark's build context in DIR: rootfs/ (the busybox base), src/ (the files the
# COPY step takes; src/changed.txt is the one the incremental scenario rewrites) and the
# Containerfile both tools build, whose steps are also those of dev.kiln.examples.BenchBuild.
set -euo pipefail
dir=${1:?usage: workload.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/src"
"$root/scripts/busybox-rootfs.sh" "$dir/rootfs"
for name in main.c util.c README; do
  printf 'the %s of the benchmark context\n' "$name" > "$dir/src/$name"
done
echo "changed 0" > "$dir/src/changed.txt"
cat > "$dir/Containerfile" <<'END'
FROM scratch
COPY rootfs/ /
RUN mkdir -p /app && echo "deps for $(uname -m)" > /app/deps.txt
COPY src/ /app/src/
RUN cd /app && cat src/* | wc -c > /app/report.txt && ls src >> /app/report.txt
END
