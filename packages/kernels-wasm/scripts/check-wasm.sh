#!/bin/sh
# Rebuilds wasm/mge_kernels.wasm and wasm/mge_kernels_mt.wasm from the sources and fails if
# either differs from the committed file (a kernel changed without
# `pnpm --filter @mge/kernels-wasm build:wasm`). Needs
# emscripten (apt-get install emscripten); .ci/run installs it. Without it, outside CI, it
# says so and passes; under CI=true a missing toolchain is a failure.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v emcc >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "check-wasm: emcc not found (apt-get install emscripten)" >&2
    exit 1
  fi
  echo "check-wasm: emcc not found, the committed wasm/*.wasm were not checked (apt-get install emscripten)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$here/scripts/build-wasm.sh" "$tmp" >/dev/null
for f in mge_kernels.wasm mge_kernels_mt.wasm; do
  if ! cmp -s "$tmp/$f" "$here/wasm/$f"; then
    echo "check-wasm: wasm/$f is stale: the kernels' sources build to a different module." >&2
    echo "Run \`pnpm --filter @mge/kernels-wasm build:wasm\` and commit the result." >&2
    exit 1
  fi
done
echo "check-wasm: wasm/mge_kernels.wasm and wasm/mge_kernels_mt.wasm match their sources"
