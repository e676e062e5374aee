#!/usr/bin/env bash
# Installs the Debian packages the tests and the training pipeline need, when they are missing.
# PyPI is not reachable on our machines: Python comes from Debian. Without libopenblas0-openmp
# torch falls back to the reference BLAS and trains about 40x slower.
set -euo pipefail
need=()
/usr/bin/python3 -c 'import torch, onnx, numpy, jieba' 2>/dev/null || need+=(python3-torch python3-onnx python3-numpy python3-jieba)
dpkg -s libopenblas0-openmp >/dev/null 2>&1 || need+=(libopenblas0-openmp)
# The privacy test watches ONNX Runtime's system calls.
command -v strace >/dev/null 2>&1 || need+=(strace)
# npm run test:scale runs a one-node Slurm cluster (slurmctld, slurmd, munged).
dpkg -s slurm-wlm >/dev/null 2>&1 || need+=(slurm-wlm)
dpkg -s munge >/dev/null 2>&1 || need+=(munge)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  # The test starts its own daemons: keep the packages' init scripts from starting system-wide
  # munged/slurmd (a container's policy-rc.d usually does this already).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi
