#!/usr/bin/env bash
# Installs the Debian packages sluice needs to build, test and run, when missing.
# Non-interactive: safe under CI=true and with no terminal.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config
  libsqlite3-dev libyaml-dev libssl-dev
  libcmocka-dev
  python3 sqlite3 zlib1g-dev libzstd-dev libpcre2-dev liburiparser-dev
  libsnappy-dev liblz4-dev libbrotli-dev
  strace time
  clang libclang-rt-14-dev
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
