# Sourced by Kiln's scripts: finds a JDK 25 and exports JAVA_HOME, or stops with one line.
kiln_find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    if "$candidate/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "kiln: needs a JDK 25 or newer: install one (e.g. Temurin 25) and set JAVA_HOME to it" >&2
  return 1
}
kiln_find_jdk || exit 1
