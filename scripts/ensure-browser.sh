#!/usr/bin/env bash
# Finds a browser the tests drive and, where it is missing and we are root, installs Debian's package. Test
# tools cannot download browsers of their own here.
#   ensure-browser.sh NAME ENV_VAR DEBIAN_PATH DEBIAN_PACKAGE    e.g.  chromium CHROME_PATH /usr/bin/chromium chromium
set -euo pipefail
name=$1 var=$2 default=$3 package=$4
override="${!var:-}"
path="${override:-$default}"
if [ -x "$path" ]; then
  echo "$name: $("$path" --version 2>/dev/null || echo "$path")"
  exit 0
fi
if [ -n "$override" ]; then
  echo "$var=$override is not an executable $name." >&2
  exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "$name is not installed at $default. Install it (Debian: sudo apt-get install $package) or set $var." >&2
  exit 1
fi
echo "$name is missing: installing Debian's $package package with apt-get (root)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "$package" >/dev/null
echo "$name: $("$default" --version)"
