#!/usr/bin/env bash
# Installs what gsa-theory needs from Debian (GNU GSL and pkg-config) when it is missing.
set -euo pipefail
if ! command -v swift >/dev/null 2>&1; then
  echo "error: swift not found; install the Swift 6.3 toolchain (https://swift.org/install) and put it on PATH" >&2
  exit 1
fi
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists gsl; then
  exit 0
fi
packages="libgsl-dev pkg-config"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "error: GNU GSL is missing and this is not root; run: sudo apt-get update && sudo apt-get install -y $packages" >&2
    exit 1
  fi
else
  SUDO=
fi
echo "installing $packages (apt-get)..." >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $packages >/dev/null
pkg-config --exists gsl || { echo "error: pkg-config still cannot find gsl after installing $packages" >&2; exit 1; }
