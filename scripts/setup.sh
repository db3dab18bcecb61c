#!/usr/bin/env bash
# Installs what accelforge needs beyond npm packages: verilator, iverilog and dataset-fashion-mnist (Debian packages).
# yosys comes from the npm package @yowasp/yosys unless a yosys >= 0.40 is on PATH.
# With --test it also installs Debian's chromium, which the report test drives headless (playwright-core).
# Usage: bash scripts/setup.sh [--quiet] [--test]
set -euo pipefail
quiet=0
for_tests=0
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=1 ;;
    --test) for_tests=1 ;;
    *) echo "setup: error: unknown option '$arg' (use --quiet, --test)" >&2; exit 2 ;;
  esac
done
say() { [ "$quiet" = 1 ] || echo "setup: $*"; }
cd "$(dirname "$0")/.."

missing=()
command -v verilator >/dev/null 2>&1 || missing+=(verilator)
command -v iverilog >/dev/null 2>&1 || missing+=(iverilog)
if [ "$for_tests" = 1 ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
# Fashion-MNIST (IDX files under /usr/share/datasets/fashion-mnist): accelforge accuracy --data fashion-mnist, bench/msq-accuracy.ts
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
# torch + onnx for scripts/qat.py (test/msq-qat.test.ts, bench/msq-accuracy-free.ts)
if [ "$for_tests" = 1 ]; then
  /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || missing+=(python3-torch)
  /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || missing+=(python3-onnx)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} with apt-get" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    echo "setup: error: ${missing[*]} not found; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
if [ ! -d node_modules/@yowasp/yosys ] || [ ! -d node_modules/vitest ]; then
  say "installing npm packages"
  npm install --no-audit --no-fund >&2
fi
say "verilator: $(verilator --version | head -1)"
say "iverilog: $(iverilog -V 2>&1 | head -1)"
