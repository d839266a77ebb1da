#!/usr/bin/env bash
# Optional fast CPU path: installs oneDNN (Debian libdnnl-dev, the library PyTorch uses on CPU) and gcc
# where apt-get can, and builds the native shim lib/backend/native/build/libyolo_native.so from
# lib/backend/native/csrc/*.c. Idempotent and quiet; always exits 0: without the shim the project
# runs on tfjs wasm and says so.
set -u
cd "$(dirname "$0")/.."
src=lib/backend/native/csrc
dir=lib/backend/native/build
lib=$dir/libyolo_native.so
say() { echo "[setup_native] $*" >&2; }

have_deps() { [ -f /usr/include/oneapi/dnnl/dnnl.h ] && command -v gcc >/dev/null 2>&1; }
if ! have_deps; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "apt-get unavailable: native backend not built (wasm will be used)"; exit 0
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      say "not root and no sudo: native backend not built (wasm will be used)"; exit 0
    fi
  fi
  pkgs="libdnnl-dev gcc libc6-dev"
  export DEBIAN_FRONTEND=noninteractive
  apt="$sudo apt-get -o DPkg::Lock::Timeout=120"
  if ! $apt install -y -qq --no-install-recommends $pkgs >/dev/null 2>&1; then
    $apt update -qq >/dev/null 2>&1
    if ! $apt install -y -qq --no-install-recommends $pkgs >/dev/null 2>&1; then
      say "apt-get could not install $pkgs: native backend not built (wasm will be used)"; exit 0
    fi
  fi
fi

# ISA flags the build relies on (-march=native); the loader refuses the library on a CPU without them.
isa=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' | grep -E '^(sse4_2|avx|avx2|fma|avx512[a-z_0-9]*)$' | sort | tr '\n' ' ')
# -fno-trapping-math: without it gcc leaves every loop with a clamp or a select scalar (exp, sigmoid,
# SiLU: 10x slower); the kernels never rely on floating-point exceptions.
flags="-O3 -march=native -fno-trapping-math -fopenmp -fPIC -shared -fvisibility=hidden"
if [ -f "$lib" ] && [ "$(cat "$dir/isa.txt" 2>/dev/null)" = "$isa" ] && [ "$(cat "$dir/flags.txt" 2>/dev/null)" = "$flags" ] \
  && [ -z "$(find "$src" -newer "$lib" -type f)" ]; then
  say "native shim up to date ($lib)"; exit 0
fi
mkdir -p "$dir"
if gcc $flags -o "$lib.tmp" "$src"/*.c -ldnnl -lm 2>"$dir/build.log"; then
  mv "$lib.tmp" "$lib"
  printf '%s' "$isa" >"$dir/isa.txt"
  printf '%s' "$flags" >"$dir/flags.txt"
  say "built $lib"
else
  rm -f "$lib.tmp"
  say "gcc failed (see $dir/build.log): native backend not built (wasm will be used)"
fi
exit 0
