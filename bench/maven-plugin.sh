#!/usr/bin/env bash
# kiln-maven-plugin against jib-maven-plugin 3.5.2 on examples/maven-app, pushing to the same registry on
# 127.0.0.1 from the same base image (a Java runtime made here: busybox + a jlink'ed runtime of this JDK):
#   first    `mvn package kiln:build` / `mvn package jib:build` on an empty Kiln state / empty Jib caches
#   rebuild  the same after changing one class (Greeting.java)
#   runs     Kiln with the sample's one <runs> step (cached) after a class change, against Jib's plain rebuild
#            (Jib has no RUN); the other two cases build Kiln without <runs>, as Jib
#   floor    `mvn package` alone after a class change, no image goal: what any plugin's rebuild costs at the least,
#            printed as a fraction of Jib's rebuild
# Each case runs ROUNDS times (default 3), Kiln and Jib in turn; medians and Kiln/Jib ratios are printed.
# DAEMON=1: the plugin builds through a `kiln daemon` on each round's (empty) state, started before the round's first
# timed build (its start is not timed; its caches are as empty as the embedded engine's) and stopped after the round's
# last, so the rebuilds meet a daemon that has built before; the default runs the engine embedded in Maven's JVM.
# Not part of CI. Needs root (runc), docker-registry, Maven Central for jib-maven-plugin on first use.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/env.sh"
rounds=${ROUNDS:-3}
work=${BENCH_DIR:-/var/tmp/kiln-bench-maven}
rm -rf "$work"
mkdir -p "$work"
export MAVEN_OPTS="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"

mvn=$(ls -d "$HOME"/.m2/wrapper/dists/apache-maven-*/*/bin/mvn | head -1)

source "$root/scripts/registry.sh"
kiln_registry_start "$work"
daemon_pid=
trap 'kill $registry_pid 2>/dev/null || true; [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true' EXIT

echo "== the base image $registry/jre:25 (busybox + jlink'ed java.base,java.logging)" >&2
rootfs=$work/jre/rootfs
"$root/scripts/busybox-rootfs.sh" "$rootfs"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging --strip-debug --no-man-pages --no-header-files \
  --output "$rootfs/opt/java"
ln -s /opt/java/bin/java "$rootfs/bin/java"
find "$rootfs/opt/java" \( -name '*.so' -o -path '*/bin/java' \) -print0 | xargs -0 -n 1 ldd 2>/dev/null \
  | grep -o '/[^ ]*' | grep -v "^$rootfs" | sort -u | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")" && cp -L "$lib" "$rootfs$lib"
  done
printf 'FROM scratch\nCOPY rootfs/ /\n' > "$work/jre/Dockerfile"
"$root/kiln" build --no-daemon --state "$work/base-state" --progress quiet \
  --output "type=image,name=$registry/jre:25,push=true" "$work/jre" >&2

# after ./kiln, which may rebuild the reactor from clean (and so empty kiln-maven-plugin/target)
echo "== building kiln-maven-plugin into $root/kiln-maven-plugin/target/local-repo" >&2
(cd "$root" && ./mvnw -B -ntp -q verify -pl kiln-maven-plugin -am -DskipTests -Dkiln.fuzz.phase=none) >&2
# two copies of the sample: with its <runs> step, and without (as Jib builds it)
cp -r "$root/examples/maven-app" "$work/with-runs"
rm -rf "$work/with-runs/target"
cp -r "$work/with-runs" "$work/app"
python3 - "$work/app/pom.xml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
open(p, 'w').write(re.sub(r'\s*<runs>.*?</runs>', '', s, flags=re.S))
PY
cat > "$work/settings.xml" <<XML
<settings>
  <localRepository>$root/kiln-maven-plugin/target/local-repo</localRepository>
  <profiles><profile><id>outer</id>
    <repositories><repository><id>outer</id><url>file://$HOME/.m2/repository</url>
      <snapshots><enabled>false</enabled></snapshots></repository></repositories>
    <pluginRepositories><pluginRepository><id>outer</id><url>file://$HOME/.m2/repository</url>
      <snapshots><enabled>false</enabled></snapshots></pluginRepository></pluginRepositories>
  </profile></profiles>
  <activeProfiles><activeProfile>outer</activeProfile></activeProfiles>
</settings>
XML

common=(-B -q -ntp -s "$work/settings.xml" -Dbase.image="$registry/jre:25")
daemon=${DAEMON:-0}
kiln_build() { # DIR STATE
  (cd "$1" && "$mvn" "${common[@]}" -Dimage="$registry/app-kiln:1" -Dkiln.stateDir="$2" package kiln:build) > "$work/last.log" 2>&1 \
    || { cat "$work/last.log" >&2; exit 1; }
  # the variant measured is the one asked for: while the daemon holds the state the embedded engine cannot open it
  # (the goal would fail naming the daemon), so a build that succeeded with the daemon still up went through it
  if [ "$daemon" = 1 ]; then
    kill -0 "$daemon_pid" 2>/dev/null || { echo "the kiln daemon of $2 is gone" >&2; cat "$2.daemon.log" >&2; exit 1; }
  fi
}
daemon_start() { # STATE
  "$root/kiln" daemon --state "$1" > "$1.daemon.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do
    grep -q 'serving' "$1.daemon.log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$1.daemon.log" >&2; exit 1; }
    sleep 0.1
  done
  daemon_pid=$pid
}
daemon_stop() { # STATE
  "$root/kiln" daemon stop --state "$1" >/dev/null 2>&1 || kill "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
}
jib_build() { # DIR CACHE
  (cd "$1" && "$mvn" "${common[@]}" -Dimage="$registry/app-jib:1" -Djib.from.image="$registry/jre:25" \
    -Djib.allowInsecureRegistries=true -Djib.container.mainClass=com.example.hello.HelloService \
    -Djib.baseImageCache="$2/base" -Djib.applicationCache="$2/app" \
    package com.google.cloud.tools:jib-maven-plugin:3.5.2:build) > "$work/last.log" 2>&1 \
    || { cat "$work/last.log" >&2; exit 1; }
}
maven_alone() { # DIR
  (cd "$1" && "$mvn" "${common[@]}" package) > "$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }
}
change_class() { # DIR
  local n=$((RANDOM))
  sed -i "s/return \"[^\"]*\"/return \"hello $n from maven-app\"/" "$1/src/main/java/com/example/hello/Greeting.java"
}
timed() { local start=$EPOCHREALTIME; "$@"; echo "$EPOCHREALTIME - $start" | bc; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A times
for round in $(seq "$rounds"); do
  echo "== round $round" >&2
  rm -rf "$work/state-$round" "$work/jib-$round"
  if [ "$daemon" = 1 ]; then daemon_start "$work/state-$round"; fi
  (cd "$work/app" && "$mvn" "${common[@]}" clean) >/dev/null 2>&1
  times[first-kiln]+="$(timed kiln_build "$work/app" "$work/state-$round") "
  (cd "$work/app" && "$mvn" "${common[@]}" clean) >/dev/null 2>&1
  times[first-jib]+="$(timed jib_build "$work/app" "$work/jib-$round") "
  change_class "$work/app"
  times[rebuild-kiln]+="$(timed kiln_build "$work/app" "$work/state-$round") "
  change_class "$work/app"
  times[rebuild-jib]+="$(timed jib_build "$work/app" "$work/jib-$round") "
  # <runs>: a first build caches the step, then the class-change rebuild is timed
  kiln_build "$work/with-runs" "$work/state-$round"
  change_class "$work/with-runs"
  times[runs-kiln]+="$(timed kiln_build "$work/with-runs" "$work/state-$round") "
  change_class "$work/app"
  times[runs-jib]+="$(timed jib_build "$work/app" "$work/jib-$round") "
  change_class "$work/app"
  times[floor]+="$(timed maven_alone "$work/app") "
  if [ "$daemon" = 1 ]; then daemon_stop "$work/state-$round"; fi
done

printf '\n%-10s %10s %10s %8s   (median of %s, seconds, whole mvn command; kiln %s)\n' case kiln jib kiln/jib "$rounds" \
  "$([ "$daemon" = 1 ] && echo "through a warm kiln daemon" || echo "embedded in Maven")"
for case in first rebuild runs; do
  k=$(tr ' ' '\n' <<< "${times[$case-kiln]}" | grep . | median)
  j=$(tr ' ' '\n' <<< "${times[$case-jib]}" | grep . | median)
  printf '%-10s %10.2f %10.2f %8.2f\n' "$case" "$k" "$j" "$(echo "$k / $j" | bc -l)"
done
f=$(tr ' ' '\n' <<< "${times[floor]}" | grep . | median)
j=$(tr ' ' '\n' <<< "${times[rebuild-jib]}" | grep . | median)
printf '%-10s %10.2f %10s %8.2f   (mvn package alone after a class change: no plugin rebuilds faster)\n' floor "$f" "" \
  "$(echo "$f / $j" | bc -l)"
