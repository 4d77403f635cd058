#!/usr/bin/env bash
# Installs the Debian packages polyrouter needs to build, test and demo; a no-op when all are present.
set -euo pipefail

packages=(
  g++ make cmake pkg-config ca-certificates git
  curl                   # the README's simulator snippet
  libcurl4-openssl-dev   # HTTP transport
  nlohmann-json3-dev     # JSON
  libspdlog-dev          # logging
  libcpp-httplib-dev     # the simulator's and tests' HTTP server
  libcli11-dev           # command-line parsing for the tools
  catch2                 # tests (v2)
  prometheus             # promtool, which checks the metrics exposition in the tests
  libhiredis-dev         # the Redis client of RedisHealthStore (issue 16)
  redis-server           # the fleet tests' and benchmarks' private servers (never a system instance)
  redis-tools            # redis-cli, for the fixture's TLS check and for poking at a fleet
  openssl                # the test servers' TLS certificates
  clang libclang-rt-dev  # libFuzzer and its sanitizer runtimes (scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps.sh: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
