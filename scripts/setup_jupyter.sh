#!/usr/bin/env bash
# Idempotent setup of headless Jupyter with the Deno kernel (for `deno task notebooks`):
#  1. Debian's Jupyter packages, unless a Python with nbclient + jupyter_client is already there;
#  2. the Deno kernelspec, `deno jupyter --install --force` (it records the absolute path of this deno).
# Env: DENO=/path/to/deno (default: deno on PATH), PYTHON=/path/to/python3 (default: Debian's, then PATH's).
set -euo pipefail

PACKAGES=(jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel)

has_jupyter() {
  local py
  for py in "${PYTHON:-}" /usr/bin/python3 python3; do
    [ -n "$py" ] && command -v "$py" >/dev/null 2>&1 && "$py" -c "import nbclient, jupyter_client, nbformat" 2>/dev/null && return 0
  done
  return 1
}

if ! has_jupyter; then
  if ! command -v apt-get >/dev/null 2>&1 || [ ! -f /etc/debian_version ]; then
    echo "error: Jupyter is missing (no Python with nbclient, jupyter_client, nbformat) and this is not a Debian" \
      "machine, so it cannot be installed automatically. Install them with your package manager (or" \
      "'pip install nbclient jupyter_client nbformat'), then rerun." >&2
    exit 2
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: installing ${PACKAGES[*]} needs root (or sudo)" >&2; exit 2; }
    SUDO=sudo
  fi
  echo "[setup_jupyter] installing ${PACKAGES[*]} (Debian)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  has_jupyter || { echo "error: Jupyter packages installed but nbclient still cannot be imported" >&2; exit 2; }
fi

DENO_BIN="${DENO:-$(command -v deno || true)}"
if [ -z "$DENO_BIN" ]; then
  echo "error: deno not found on PATH; set DENO=/path/to/deno" >&2
  exit 2
fi
"$DENO_BIN" jupyter --install --force 2>&1 | grep -v 'is unstable' >&2 || true
echo "[setup_jupyter] ready: Jupyter + Deno kernel ($DENO_BIN)" >&2
