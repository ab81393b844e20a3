#!/usr/bin/env bash
# Creates .venv with the tool and its test dependencies. On Debian/Ubuntu as root it first
# installs the system libraries gmsh and VTK load at import (and CalculiX for cross-checks).
set -euo pipefail
cd "$(dirname "$0")"
APT_PKGS="libglu1-mesa libgl1 libegl1 libxcursor1 libxft2 libxinerama1 libgomp1 calculix-ccx"
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=""
  for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "setup: installing system packages:$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
elif command -v apt-get >/dev/null 2>&1; then
  echo "setup: not root; if gmsh/VTK fail to import, install: $APT_PKGS" >&2
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e '.[test]'
echo "setup: ready (.venv)"
