#!/usr/bin/env bash
# kmod_matrix CACHE: both Mint modules (mint.ko and mint_node.ko) build against every Debian
# kernel scripts/setup keeps in CACHE/kernels (6.1 cloud, 6.12 cloud, 686), each with the
# kernel's own headers and build tools, and every symbol each module needs is one that kernel
# exports (its Module.symvers). The vermagic of each module names the kernel it was built for.
# One line per kernel and module; fails on the first that does not build.
set -euo pipefail
cache="$1"
src="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
kernels=()
for d in "$cache"/kernels/*/; do
  d="${d%/}"
  [ -L "$d" ] && continue  # a metapackage's name, pointing at a release
  [ -f "$d/headers/Module.symvers" ] && kernels+=("$(basename "$d")")
done
[ "${#kernels[@]}" -ge 3 ] || { echo "kmod_matrix: expected 6.1 cloud, 6.12 cloud and 686 in $cache/kernels, found: ${kernels[*]:-none} (scripts/setup fetches them)" >&2; exit 1; }
for rel in "${kernels[@]}"; do
  for module in host node; do
    ko=mint.ko; [ "$module" = node ] && ko=mint_node.ko
    start=$(date +%s%N)
    "$src/scripts/node-kernel" build "$rel" --cache "$cache" --src "$src" --module "$module" \
      --out "$out/$rel-$ko" 2>"$out/log" || { cat "$out/log" >&2; exit 1; }
    vermagic="$(modinfo -F vermagic "$out/$rel-$ko")"
    [ "${vermagic%% *}" = "$rel" ] || { echo "kmod_matrix: $ko for $rel has vermagic '$vermagic'" >&2; exit 1; }
    printf 'kmod_matrix: %-28s %-12s %7d bytes  vermagic "%s"  %d ms\n' "$rel" "$ko" \
      "$(stat -c %s "$out/$rel-$ko")" "$vermagic" $(( ($(date +%s%N) - start) / 1000000 ))
  done
done
