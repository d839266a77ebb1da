#!/usr/bin/env bash
# Installs Debian's Slurm (slurm-wlm: slurmctld, slurmd, sbatch, squeue, sacct clients) and MUNGE where
# they are missing, for tests/ablate_slurm_test.ts (a one-node cluster on 127.0.0.1). Idempotent; exits
# non-zero with a clear line when it cannot install (the test then fails and says why: it never skips).
set -u
say() { echo "[setup_slurm] $*" >&2; }
have() { command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
  && command -v munged >/dev/null && command -v mungekey >/dev/null; }
if have; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then say "apt-get unavailable: cannot install slurm-wlm and munge"; exit 1; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    say "not root and no sudo: cannot install slurm-wlm and munge"; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
apt="$sudo apt-get -o DPkg::Lock::Timeout=300"
pkgs="slurm-wlm munge"
# --no-install-recommends keeps the install small; policy-rc.d stops the packages' own services from starting
# (the test runs its daemons with its own configuration).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made_policy=1
fi
ok=0
if $apt install -y -qq --no-install-recommends $pkgs >/dev/null 2>&1; then ok=1; else
  $apt update -qq >/dev/null 2>&1
  $apt install -y -qq --no-install-recommends $pkgs >/dev/null 2>&1 && ok=1
fi
[ "$made_policy" -eq 1 ] && $sudo rm -f "$policy"
if [ "$ok" -ne 1 ] || ! have; then say "apt-get could not install $pkgs"; exit 1; fi
say "installed $pkgs ($(slurmctld -V 2>/dev/null))"
