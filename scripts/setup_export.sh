#!/usr/bin/env bash
# Idempotent install of what the export tests check against: Debian's python3-torch and python3-yaml (load
# exported .pt files with weights_only=True and their config text) and chromium (runs the web page headless). The npm side (onnxruntime-node,
# protobufjs, puppeteer-core) comes through deno.json imports: Deno installs npm packages without running
# their install scripts, and onnxruntime-node ships its CPU binary in the package.
#   bash scripts/setup_export.sh [torch] [chromium]   (no argument: both)
set -euo pipefail
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(torch chromium)
say() { echo "[setup_export] $*" >&2; }

pkgs=()
for w in "${want[@]}"; do
  case "$w" in
    torch) /usr/bin/python3 -c "import torch, yaml" 2>/dev/null || pkgs+=(python3-torch python3-yaml) ;;
    chromium) command -v chromium >/dev/null 2>&1 || pkgs+=(chromium) ;;
    *) echo "error: unknown component '$w' (expected torch or chromium)" >&2; exit 2 ;;
  esac
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
