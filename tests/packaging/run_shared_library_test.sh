#!/usr/bin/env bash
# Builds polyrouter alone as a shared library, installs it, and checks what it exports:
#   - the soname carries major.minor while the major version is 0;
#   - no detail:: symbol, and nothing outside the names the public headers mark POLYROUTER_API;
#   - the type information of the whole Error family, so exceptions are caught across the boundary;
# then builds and runs a consumer that catches the library's errors by their classes.
#   run_shared_library_test.sh <source dir> <work dir> <c++ compiler> <launcher or ""> <soname>
set -euo pipefail
src=$1 out=$2 cxx=$3 launcher=$4 soname=$5
rm -rf "$out" && mkdir -p "$out"

# The library alone, optimised builds compiled at -O0 in one unity pass (the docs' toolchain):
# the test is about what is exported, not about speed.
args=(-S "$src" -B "$out/build" -DCMAKE_BUILD_TYPE=Release
      -DCMAKE_TOOLCHAIN_FILE="$src/tests/docs/fast_toolchain.cmake" -DCMAKE_CXX_COMPILER="$cxx"
      -DBUILD_SHARED_LIBS=ON -DPOLYROUTER_WERROR=ON -DPOLYROUTER_INSTALL=ON
      -DPOLYROUTER_BUILD_TESTS=OFF -DPOLYROUTER_BUILD_EXAMPLES=OFF -DPOLYROUTER_BUILD_TOOLS=OFF
      -DPOLYROUTER_BUILD_BENCH=OFF)
[[ -n "$launcher" ]] && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
cmake "${args[@]}" >"$out/configure.log" || { cat "$out/configure.log"; exit 1; }
cmake --build "$out/build" -j2
cmake --install "$out/build" --prefix "$out/prefix" >/dev/null

lib=$(find "$out/prefix" -name "$soname" -print -quit)
[[ -n "$lib" ]] || { echo "FAILED: no $soname installed under $out/prefix" >&2; find "$out/prefix" -name 'libpolyrouter*' >&2; exit 1; }
real=$(readlink -f "$lib")
actual_soname=$(readelf -d "$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ "$actual_soname" == "$soname" ]] || { echo "FAILED: SONAME is '$actual_soname', expected $soname" >&2; exit 1; }
echo "SONAME $actual_soname"

nm -D --defined-only -C "$real" | cut -d' ' -f3- >"$out/exports.txt"
echo "$(wc -l <"$out/exports.txt") dynamic symbols exported"
fail=0

# Internals stay inside: nothing whose own name lies in a detail namespace (polyrouter's or a
# dependency's) is exported. Read from the mangled names, where an entity's enclosing scopes are
# its leading <length><name> components; a std:: template instantiated over an internal type
# (std::thread's state for a lambda of the event loop) is not such an entity, nor is a member of
# a public class whose signature names an internal type (WireClient's protected constructor).
nm -D --defined-only "$real" | awk '{print $3}' | awk '
  function in_detail(s,    n, name) {
    sub(/^_Z/, "", s)
    if (s ~ /^T[VIST]/ || s ~ /^GV/) s = substr(s, 3)                        # vtable, typeinfo, guard
    else if (s ~ /^Th/) sub(/^Thn?[0-9]+_/, "", s)                           # this-adjusting thunk
    else if (s ~ /^Tv/) sub(/^Tvn?[0-9]+_n?[0-9]+_/, "", s)                  # virtual thunk
    if (substr(s, 1, 1) != "N") return 0
    s = substr(s, 2); sub(/^[rVKRO]+/, "", s)
    while (match(s, /^[0-9]+/)) {
      n = substr(s, 1, RLENGTH) + 0; name = substr(s, RLENGTH + 1, n); s = substr(s, RLENGTH + 1 + n)
      if (name == "detail") return 1
    }
    return 0
  }
  in_detail($0) { print }' | c++filt >"$out/detail.txt"
if [[ -s "$out/detail.txt" ]]; then
  echo "FAILED: detail symbols exported:" >&2; head -20 "$out/detail.txt" >&2; fail=1
fi
mentions=$(grep -c 'detail::' "$out/exports.txt" || true)
echo "note: $mentions exported symbols only mention a detail type (std:: instantiations, public members' signatures)"

# Every exported polyrouter:: symbol belongs to a name a public header marks POLYROUTER_API.
grep -ohE '(class|struct) POLYROUTER_API [A-Za-z_0-9]+|POLYROUTER_API [^(]*[^A-Za-z_0-9(][A-Za-z_0-9]+\(' \
    "$src"/include/polyrouter/*.hpp | sed -E 's/.*[^A-Za-z_0-9]([A-Za-z_0-9]+)\(?$/\1/' | sort -u >"$out/public_names.txt"
sed -E 's/^(typeinfo name for |typeinfo for |vtable for |VTT for |non-virtual thunk to |virtual thunk to |guard variable for )//' \
    "$out/exports.txt" | grep -E '^polyrouter::' | sed -E 's/^polyrouter::([A-Za-z_0-9]+).*/\1/' | sort -u >"$out/exported_names.txt"
if comm -23 "$out/exported_names.txt" "$out/public_names.txt" | grep . >"$out/unexpected.txt"; then
  echo "FAILED: exported names no public header marks POLYROUTER_API:" >&2
  while read -r name; do grep -E "^([a-z -]+ for |[a-z -]+ to )?polyrouter::$name\b" "$out/exports.txt" | head -3 >&2; done <"$out/unexpected.txt"
  fail=1
fi
# ...and the other way round: what the headers mark, the library exports (a declaration marked
# without a definition in the library would only fail a consumer's link).
comm -13 "$out/exported_names.txt" "$out/public_names.txt" >"$out/not_exported.txt" || true
if [[ -s "$out/not_exported.txt" ]]; then
  echo "note: marked names with nothing to export (inline-only or plain data):" $(cat "$out/not_exported.txt")
fi

# Exceptions are caught by type: the family's type information must be exported.
for cls in Error InvalidApiKeyError RateLimitError ModelNotFoundError BadRequestError ContentFilteredError \
           ProviderUnavailableError TimeoutError InvalidJsonResponseError StreamInterruptedError ConfigError \
           NoApiKeysError NoModelError AllModelsFailedError AllClientsExhaustedError CancelledError UnknownError; do
  grep -qx "typeinfo for polyrouter::$cls" "$out/exports.txt" || { echo "FAILED: typeinfo for polyrouter::$cls not exported" >&2; fail=1; }
done
[[ $fail -eq 0 ]] || exit 1
echo "exports: $(wc -l <"$out/exported_names.txt") public names, no detail symbol, the whole Error family's typeinfo"

cmake -S "$src/tests/packaging/shared_library_consumer" -B "$out/consumer" -DCMAKE_BUILD_TYPE= \
      -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$out/prefix" >"$out/consumer-configure.log" \
  || { cat "$out/consumer-configure.log"; exit 1; }
cmake --build "$out/consumer" -j2
"$out/consumer/exceptions_consumer"
