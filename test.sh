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

if [[ -z "${ENGINE_TEST_REDIS:-}" ]]; then
  # openssl: the TLS test makes its throwaway certificates with it.
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
      echo "test.sh: installing redis-server and openssl with apt-get..."
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server openssl) >/dev/null 2>&1 \
        || echo "test.sh: could not install redis-server and openssl"
    fi
  fi
  if command -v redis-server >/dev/null 2>&1; then
    port=$(( 20000 + RANDOM % 20000 ))
    dir=$(mktemp -d)
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 1 50); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    export ENGINE_TEST_REDIS="127.0.0.1:$port"
  fi
fi

# The live page test drives Debian's Chromium (headless, through Playwright; no browser download).
if ! command -v chromium >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing chromium with apt-get..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "test.sh: could not install chromium"
  fi
fi
command -v chromium >/dev/null 2>&1 || echo "test.sh: WARNING: no chromium; the live page test will fail saying so."

echo "test.sh: Kafka   -> ${ENGINE_TEST_KAFKA:-Testcontainers if Docker answers, else the embedded librdkafka mock cluster}"
echo "test.sh: Redis   -> embedded Garnet${ENGINE_TEST_REDIS:+ and redis-server at $ENGINE_TEST_REDIS ($(redis-server --version 2>/dev/null | awk '{print $3}'))}"
[[ -z "${ENGINE_TEST_REDIS:-}" ]] && echo "test.sh: WARNING: no redis-server available; Redis tests ran on Garnet only."

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
echo "test.sh: ran against Kafka=${ENGINE_TEST_KAFKA:-embedded mock cluster (or Testcontainers)}, Redis=Garnet${ENGINE_TEST_REDIS:+ + redis-server@$ENGINE_TEST_REDIS}"
rm -f "$log"
exit "$status"
