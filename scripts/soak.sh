#!/usr/bin/env bash
# Builds polyrouter_soak optimised and runs the fault soak's full forms (docs/reliability.md,
# "Fault soak"): the hardening mix and the breaker mix, each with the default breaker and with
# the breaker off. Prints every report; exits non-zero when any run broke an invariant.
#
#   scripts/soak.sh                  the four full runs (about a minute on 2 cores)
#   scripts/soak.sh --mix breaker    one run with these polyrouter_soak options
#   SOAK_SANITIZE=address,undefined scripts/soak.sh --mix hardening
#                                    the same under ASan+UBSan (unoptimised; several minutes)
#
# Environment: SOAK_BUILD_DIR (default build/soak-release, or build/soak-<sanitizers>).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
sanitize=${SOAK_SANITIZE:-}

"$root/scripts/deps.sh"

if [ -n "$sanitize" ]; then
  build=${SOAK_BUILD_DIR:-$root/build/soak-${sanitize//,/-}}
  flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DPOLYROUTER_SANITIZE="$sanitize"
    -DCMAKE_UNITY_BUILD=ON)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
  build=${SOAK_BUILD_DIR:-$root/build/soak-release}
  flags=(-DCMAKE_BUILD_TYPE=Release)
fi

echo "== configure and build polyrouter_soak in $build" >&2
cmake -S "$root" -B "$build" "${flags[@]}" -DPOLYROUTER_WERROR=ON -DPOLYROUTER_BUILD_TESTS=OFF \
  -DPOLYROUTER_BUILD_EXAMPLES=OFF -DPOLYROUTER_BUILD_BENCH=OFF -DPOLYROUTER_BUILD_TOOLS=ON >/dev/null
cmake --build "$build" -j"$jobs" --target polyrouter_soak >&2
soak="$build/tools/soak/polyrouter_soak"

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
  "$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)," \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"

if [ $# -gt 0 ]; then
  runs=("$*")
else
  runs=("--mix hardening" "--mix hardening --breaker off" "--mix breaker" "--mix breaker --breaker off")
fi
status=0
for run in "${runs[@]}"; do
  echo "== polyrouter_soak $run"
  # shellcheck disable=SC2086
  "$soak" $run || status=1
done
exit $status
