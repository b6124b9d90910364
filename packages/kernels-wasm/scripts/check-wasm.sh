#!/bin/sh
# Rebuilds wasm/mge_kernels.wasm from the sources and fails if it differs from the committed
# file (a kernel changed without `pnpm --filter @mge/kernels-wasm build:wasm`). Needs
# emscripten (apt-get install emscripten); .ci/run installs it. Without it, outside CI, it
# says so and passes; under CI=true a missing toolchain is a failure.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v emcc >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "check-wasm: emcc not found (apt-get install emscripten)" >&2
    exit 1
  fi
  echo "check-wasm: emcc not found, the committed wasm/mge_kernels.wasm was not checked (apt-get install emscripten)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$here/scripts/build-wasm.sh" "$tmp/mge_kernels.wasm" >/dev/null
if ! cmp -s "$tmp/mge_kernels.wasm" "$here/wasm/mge_kernels.wasm"; then
  echo "check-wasm: wasm/mge_kernels.wasm is stale: the kernels' sources build to a different module." >&2
  echo "Run \`pnpm --filter @mge/kernels-wasm build:wasm\` and commit the result." >&2
  exit 1
fi
echo "check-wasm: wasm/mge_kernels.wasm matches its sources"
