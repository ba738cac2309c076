# Sourced by Kiln's scripts and benchmarks that push images: Debian's docker-registry on 127.0.0.1.

# Prints a TCP port on 127.0.0.1 that nothing listens on now.
kiln_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# kiln_registry_start DIR [PORT [LEVEL]]: serves DIR/registry (config DIR/registry.yml, log DIR/registry.log) on
# 127.0.0.1:PORT (a free port when PORT is empty), logging at LEVEL (default info). Returns once the registry
# answers, with registry_pid and registry (127.0.0.1:PORT) set; stopping it is the caller's part.
kiln_registry_start() {
  local dir=$1 port=${2:-} level=${3:-info}
  [ -n "$port" ] || port=$(kiln_free_port)
  cat > "$dir/registry.yml" <<YML
version: 0.1
log:
  level: $level
storage:
  filesystem:
    rootdirectory: $dir/registry
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$dir/registry.yml" > "$dir/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  registry=127.0.0.1:$port
}
