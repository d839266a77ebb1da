#!/usr/bin/env bash
# Idempotent install of what `--backend webgpu` needs on a machine without a GPU: Deno's WebGPU (wgpu)
# then runs on Mesa's software OpenGL driver through EGL (llvmpipe, a fallback adapter). Debian's
# libegl1 (the EGL loader), libegl-mesa0 (Mesa's EGL) and libgl1-mesa-dri (llvmpipe). On a machine with a
# GPU, its own driver (Vulkan or GL) gives a real adapter instead.
#   bash scripts/setup_webgpu.sh
set -euo pipefail
say() { echo "[setup_webgpu] $*" >&2; }

pkgs=()
for p in libegl1 libegl-mesa0 libgl1-mesa-dri; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
done
[ ${#pkgs[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: ${pkgs[*]} missing and apt-get is unavailable: install them with your package manager" >&2; exit 2
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: installing ${pkgs[*]} needs root (or sudo)" >&2; exit 2; }
  sudo="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
apt="$sudo apt-get -o DPkg::Lock::Timeout=600"
say "installing ${pkgs[*]} (Debian)"
if ! $apt install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1; then
  $apt update -qq >/dev/null 2>&1 || true
  $apt install -y -qq --no-install-recommends "${pkgs[@]}" >&2
fi
