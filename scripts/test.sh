#!/usr/bin/env bash
# Builds polyrouter and runs every test; exits non-zero on any failure.
#
#   scripts/test.sh            the three stages below (what CI runs)
#   scripts/test.sh --quick    the first only
#
# 1. check: warnings are errors, the library is built with AddressSanitizer and
#    UndefinedBehaviorSanitizer, and every test runs against it (unit, loopback HTTP, simulator,
#    CLI, demo, examples, packaging, benchmark smoke).
# 2. tsan: the library and the concurrency tests built with ThreadSanitizer; those tests run.
# 3. fuzz: every libFuzzer harness (tests/fuzz) for 10 s, built with clang (scripts/fuzz.sh).
#
# The first two are unity builds at low optimisation: they exist to find faults, and they compile in a
# fraction of the time (benchmarks build separately, optimised: scripts/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

"$root/scripts/deps.sh"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

run_suite() {  # name, ctest args, build targets ("" = all), cmake args...
  local name=$1 ctest_args=$2 targets=$3
  shift 3
  local dir="$root/build/$name"
  echo "== $name: configure and build" >&2
  cmake -S "$root" -B "$dir" -DPOLYROUTER_WERROR=ON -DCMAKE_UNITY_BUILD=ON "$@" >/dev/null
  # shellcheck disable=SC2086
  cmake --build "$dir" -j"$jobs" ${targets:+--target $targets}
  echo "== $name: test" >&2
  # shellcheck disable=SC2086
  (cd "$dir" && ctest --output-on-failure -j"$jobs" $ctest_args)
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite check "" "" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
  -DPOLYROUTER_SANITIZE=address,undefined
if [ $quick -eq 0 ]; then
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  run_suite tsan "-L concurrency" "polyrouter_orchestrator_tests polyrouter_async_tests polyrouter_stream_tests polyrouter_soak polyrouter_redis_tests" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DPOLYROUTER_SANITIZE=thread -DPOLYROUTER_SANITIZE_PROGRAMS=ON -DPOLYROUTER_BUILD_BENCH=OFF \
    -DPOLYROUTER_BUILD_EXAMPLES=OFF
  echo "== fuzz: every parser for 10 s" >&2
  "$root/scripts/fuzz.sh" 10
fi
echo "== all test suites passed" >&2
