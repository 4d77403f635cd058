#!/usr/bin/env bash
# Builds and runs the Makefile consumer with flags from <prefix>'s polyrouter.pc only.
#   run_pkg_config_consumer.sh <install prefix> <work dir>
set -euo pipefail
prefix=$1 out=$2
here="$(cd "$(dirname "$0")" && pwd)"
pc_dir="$(dirname "$(find "$prefix" -name polyrouter.pc -print -quit)")"
[[ -f "$pc_dir/polyrouter.pc" ]] || { echo "no polyrouter.pc under $prefix" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out"
export PKG_CONFIG_PATH="$pc_dir"
echo "pkg-config --cflags --libs polyrouter: $(pkg-config --cflags --libs polyrouter)"
make --no-print-directory -f "$here/pkg_config_consumer/Makefile" SRC="$here" OUT="$out"
# A shared build: the loader finds the library where the .pc says it is (the Makefile sets no rpath).
LD_LIBRARY_PATH="$(pkg-config --variable=libdir polyrouter)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$out/consumer"
