#!/usr/bin/env bash
# Finds the Firefox the tests drive (FIREFOX_PATH, else Debian's /usr/bin/firefox-esr) and, where it is missing
# and we are root, installs Debian's package. Test tools cannot download browsers of their own here.
set -euo pipefail
path="${FIREFOX_PATH:-/usr/bin/firefox-esr}"
if [ -x "$path" ]; then
  echo "firefox: $("$path" --version 2>/dev/null || echo "$path")"
  exit 0
fi
if [ -n "${FIREFOX_PATH:-}" ]; then
  echo "FIREFOX_PATH=$FIREFOX_PATH is not an executable Firefox." >&2
  exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "Firefox is not installed at /usr/bin/firefox-esr. Install it (Debian: sudo apt-get install firefox-esr) or set FIREFOX_PATH." >&2
  exit 1
fi
echo "Firefox is missing: installing Debian's firefox-esr package with apt-get (root)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq firefox-esr >/dev/null
echo "firefox: $(/usr/bin/firefox-esr --version)"
