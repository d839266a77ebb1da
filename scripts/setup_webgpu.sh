#!/usr/bin/env bash
# Idempotent install of what `--backend webgpu` needs on a machine without a GPU: Deno's WebGPU (wgpu)
# then runs on Mesa's software OpenGL driver through EGL (llvmpipe, a fallback adapter). Debian's
# libegl1 (the EGL loader), libegl-mesa0 (Mesa's EGL) and libgl1-mesa-dri (llvmpipe). On a machine with a
# GPU, its own driver (Vulkan or GL) gives a real adapter instead.
#   bash scripts/setup_webgpu.sh
set -euo pipefail

pkgs=()
for p in libegl1 libegl-mesa0 libgl1-mesa-dri; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
done
[ ${#pkgs[@]} -eq 0 ] && exit 0
bash "$(dirname "$0")/apt_install.sh" setup_webgpu "${pkgs[@]}"
