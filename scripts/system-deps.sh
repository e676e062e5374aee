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
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi
