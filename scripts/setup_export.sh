#!/usr/bin/env bash
# Idempotent install of what the export tests check against: Debian's python3-torch and python3-yaml (load
# exported .pt files with weights_only=True and their config text) and chromium (runs the web page headless). The npm side (onnxruntime-node,
# protobufjs, puppeteer-core) comes through deno.json imports: Deno installs npm packages without running
# their install scripts, and onnxruntime-node ships its CPU binary in the package.
#   bash scripts/setup_export.sh [torch] [chromium]   (no argument: both)
set -euo pipefail
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(torch chromium)

pkgs=()
for w in "${want[@]}"; do
  case "$w" in
    torch) /usr/bin/python3 -c "import torch, yaml" 2>/dev/null || pkgs+=(python3-torch python3-yaml) ;;
    chromium) command -v chromium >/dev/null 2>&1 || pkgs+=(chromium) ;;
    *) echo "error: unknown component '$w' (expected torch or chromium)" >&2; exit 2 ;;
  esac
done
bash "$(dirname "$0")/apt_install.sh" setup_export "${pkgs[@]}"
