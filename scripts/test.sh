#!/usr/bin/env bash
# Builds polyrouter and runs every test; exits non-zero on any failure.
#
#   scripts/test.sh            warnings-as-errors build + all tests, then ASan+UBSan and TSan runs
#   scripts/test.sh --quick    the first build and its tests only
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
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  # shellcheck disable=SC2086
  cmake --build "$dir" -j"$jobs" ${targets:+--target $targets}
  echo "== $name: test" >&2
  # shellcheck disable=SC2086
  (cd "$dir" && ctest --output-on-failure -j"$jobs" $ctest_args)
}

# Warnings are errors in every build the project's CI makes.
run_suite werror "" "" -DPOLYROUTER_WERROR=ON
if [ $quick -eq 0 ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite asan "-LE packaging|bench|demo" "" -DPOLYROUTER_WERROR=ON -DPOLYROUTER_SANITIZE=address,undefined \
    -DPOLYROUTER_BUILD_BENCH=OFF -DPOLYROUTER_BUILD_EXAMPLES=OFF
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  run_suite tsan "-L concurrency" "polyrouter_orchestrator_tests polyrouter_async_tests" -DPOLYROUTER_WERROR=ON \
    -DPOLYROUTER_SANITIZE=thread -DPOLYROUTER_BUILD_BENCH=OFF -DPOLYROUTER_BUILD_EXAMPLES=OFF
fi
echo "== all test suites passed" >&2
