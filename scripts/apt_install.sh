#!/usr/bin/env bash
# Install Debian packages for the setup scripts: as root or through sudo, waiting for the dpkg lock, with
# an `apt-get update` only when the first try fails. Prefixes its message with the caller's tag.
#   bash scripts/apt_install.sh TAG PKG...
set -euo pipefail
tag=$1
shift
pkgs=("$@")
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
echo "[$tag] installing ${pkgs[*]} (Debian)" >&2
if ! $apt install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1; then
  $apt update -qq >/dev/null 2>&1 || true
  $apt install -y -qq --no-install-recommends "${pkgs[@]}" >&2
fi
