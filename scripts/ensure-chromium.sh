#!/usr/bin/env bash
# Finds the Chromium the tests drive (CHROME_PATH, else Debian's /usr/bin/chromium) and, where it is missing
# and we are root, installs Debian's package. Test tools cannot download browsers of their own here.
set -euo pipefail
path="${CHROME_PATH:-/usr/bin/chromium}"
if [ -x "$path" ]; then
  echo "chromium: $("$path" --version 2>/dev/null || echo "$path")"
  exit 0
fi
if [ -n "${CHROME_PATH:-}" ]; then
  echo "CHROME_PATH=$CHROME_PATH is not an executable Chromium." >&2
  exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "Chromium is not installed at /usr/bin/chromium. Install it (Debian: sudo apt-get install chromium) or set CHROME_PATH." >&2
  exit 1
fi
echo "Chromium is missing: installing Debian's chromium package with apt-get (root)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "chromium: $(/usr/bin/chromium --version)"
