#!/usr/bin/env bash
# One command that prepares a fresh Debian/Ubuntu machine for videoqa:
# system packages (ffmpeg, espeak-ng, redis-server) when missing, Node >= 22
# (Node 24 LTS from the npm registry when the Node on PATH is older), pnpm,
# the workspace dependencies, and a build of every package.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
say() { printf '\n==> %s\n' "$*"; }

missing=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The slide/screen test media draw text with ffmpeg's drawtext, which needs a TrueType font.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then
  say "Node $(node --version 2>/dev/null || echo none) is older than 22: installing Node 24 LTS into /usr/local"
  $SUDO npm install -g --prefix /usr/local --loglevel=error node@24
  hash -r
  if [ "$(node_major)" -lt 22 ]; then
    echo "Node 24 was installed in /usr/local/bin but an older node is first on PATH; put /usr/local/bin first." >&2
    exit 1
  fi
fi

pnpm_major() { pnpm --version 2>/dev/null | cut -d. -f1 || echo 0; }
if [ "$(pnpm_major)" != "10" ]; then
  say "installing pnpm 10"
  $SUDO npm install -g --prefix /usr/local --loglevel=error pnpm@10
  hash -r
fi

say "node $(node --version), pnpm $(pnpm --version), $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
say "pnpm install"
CI=true pnpm install --frozen-lockfile
say "pnpm build"
pnpm build
say "done: run the tests with 'pnpm test', or process a video with 'pnpm videoqa process <file>'"
