#!/usr/bin/env bash
# ./test.sh [dotnet test args]: runs every test.
# Kafka: $ENGINE_TEST_KAFKA if set, else Testcontainers where a Docker engine answers, else the embedded
#        librdkafka mock cluster (in-process, real wire protocol).
# Redis: embedded Garnet always; plus a real redis-server, installed with apt-get where possible and
#        started here on a spare port ($ENGINE_TEST_REDIS overrides with an address of your own).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

redis_pid=""
cleanup() { [[ -n "$redis_pid" ]] && kill "$redis_pid" 2>/dev/null; }
trap cleanup EXIT

# redis-server and openssl: some tests start redis-server processes of their own (restarts, freezes) and the TLS test
# makes throwaway certificates, whatever $ENGINE_TEST_REDIS names.
if ! command -v redis-server >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing redis-server and openssl with apt-get..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server openssl) >/dev/null 2>&1 \
      || echo "test.sh: could not install redis-server and openssl"
  fi
fi
# Answers PING at host:port (bash's /dev/tcp: no redis-cli needed).
answers_ping() {
  local reply=""
  { exec 3<>"/dev/tcp/${1%:*}/${1##*:}"; } 2>/dev/null || return 1 # braced: the 2>/dev/null is not left on the script
  printf 'PING\r\n' >&3
  read -r -t 2 reply <&3 || true
  exec 3>&- 3<&-
  [[ "$reply" == +PONG* ]]
}
if [[ -z "${ENGINE_TEST_REDIS:-}" ]] && command -v redis-server >/dev/null 2>&1; then
  port=$(( 20000 + RANDOM % 20000 ))
  dir=$(mktemp -d)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 50); do
    answers_ping "127.0.0.1:$port" && break
    sleep 0.1
  done
  if answers_ping "127.0.0.1:$port"; then
    export ENGINE_TEST_REDIS="127.0.0.1:$port"
  else
    echo "test.sh: the redis-server started on port $port does not answer ($(tail -n 1 "$dir/redis.log"))"
  fi
fi

# The live page test drives Debian's Chromium (headless, through Playwright; no browser download), at
# $ENGINE_TEST_CHROMIUM if set, else /usr/bin/chromium.
chromium="${ENGINE_TEST_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" && -z "${ENGINE_TEST_CHROMIUM:-}" ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing chromium with apt-get..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "test.sh: could not install chromium"
  fi
fi
[[ -x "$chromium" ]] || echo "test.sh: WARNING: no chromium at $chromium; the live page test will fail saying so."

# Which Kafka: the fixture tests take $ENGINE_TEST_KAFKA, else Testcontainers where a Docker engine answers, else the
# embedded mock; the end-to-end, cluster and fault tests always run on the embedded mock (they take brokers down).
if [[ -n "${ENGINE_TEST_KAFKA:-}" ]]; then fixture_kafka="$ENGINE_TEST_KAFKA"
elif command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then fixture_kafka="Testcontainers (Docker answers)"
else fixture_kafka="embedded librdkafka mock cluster (no Docker engine)"; fi
kafka_line="fixture tests on $fixture_kafka; end-to-end, cluster and fault tests on the embedded librdkafka mock cluster"
redis_line="embedded Garnet${ENGINE_TEST_REDIS:+, redis-server at $ENGINE_TEST_REDIS}$(command -v redis-server >/dev/null 2>&1 && echo ", and redis-server $(redis-server --version | awk '{print $3}') processes some tests start")"
echo "test.sh: Kafka -> $kafka_line"
echo "test.sh: Redis -> $redis_line"
[[ -z "${ENGINE_TEST_REDIS:-}" ]] && echo "test.sh: WARNING: no redis-server to run against: the redis-server cases will fail (they never pass silently)."

log=$(mktemp)
# Test assemblies run one after another (-m:1): each starts whole engines, brokers and Redis servers, and two of them
# at once on a 2-core machine starve each other into timeouts. Within an assembly, tests that run a whole engine share
# one xunit collection for the same reason.
dotnet test Engine.sln -c Release --nologo -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One plain closing line for CI: totals over every test assembly.
awk '/^(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
echo "test.sh: ran against Kafka: $kafka_line. Redis: $redis_line"
rm -f "$log"
exit "$status"
