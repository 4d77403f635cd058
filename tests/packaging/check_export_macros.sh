#!/usr/bin/env bash
# Every class and free function a public header declares at namespace scope carries
# POLYROUTER_API (polyrouter/export.hpp): a shared build hides everything else, so an unmarked
# declaration links in a static build and fails only a shared build's consumers.
#   check_export_macros.sh <include dir>
# Namespace scope is column 0 in these headers; inline and constexpr functions need no export.
set -euo pipefail
dir="${1:?include dir}/polyrouter"
status=0
classes=$(grep -nE '^(class|struct) [A-Za-z_]' "$dir"/*.hpp | grep -vE ':(class|struct) POLYROUTER_API |;' || true)
functions=$(grep -nE '^[A-Za-z_][A-Za-z_0-9:<>,* &]* [*&]?[A-Za-z_][A-Za-z_0-9]*\(' "$dir"/*.hpp \
  | grep -vE ':[0-9]+:(POLYROUTER_API|using|namespace|enum|struct|class|template|inline|constexpr|static_assert|friend)\b' || true)
if [[ -n "$classes$functions" ]]; then
  echo "public declarations without POLYROUTER_API (see include/polyrouter/export.hpp):" >&2
  printf '%s\n' "$classes" "$functions" | grep . >&2
  status=1
fi
count=$(grep -ohE 'POLYROUTER_API' "$dir"/*.hpp | wc -l)
[[ $count -ge 40 ]] || { echo "only $count POLYROUTER_API marks found under $dir" >&2; status=1; }
[[ $status -eq 0 ]] && echo "$count public declarations, every one marked POLYROUTER_API"
exit $status
