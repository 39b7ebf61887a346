#!/usr/bin/env bash
# `npm test`: every suite, in order of cost, and one closing line with the totals.
#   type check → lint → build → server tests (node) → browser tests (web-test-runner, Chromium and Firefox)
#   → end-to-end: the script-tag bundle, Chromium and Firefox calling each other (node)
#   → NAT lab (network namespaces, iptables, coturn; skipped with a message where we are not root)
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0
failed=0
status=0

step() { echo; echo "=== $1"; }

# Counts from node's test runner (spec or tap reporter) and from web-test-runner's summary lines.
count_node() {
  local p f
  p=$(grep -aE '^(ℹ|#) pass [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$' || echo 0)
  f=$(grep -aE '^(ℹ|#) fail [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$' || echo 0)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
}
# web-test-runner keeps one progress line per browser ("Firefox: |███| 10/10 test files | 89 passed, 0 failed"):
# the last of each browser's counts.
count_wtr() {
  local plain name line
  plain=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1") # without the terminal's cursor moves
  for name in $(echo "$plain" | grep -aoE '[A-Za-z]+: +\|[^|]*\| [0-9]+/[0-9]+ test files' | grep -oE '^[A-Za-z]+' | sort -u); do
    line=$(echo "$plain" | grep -aoE "$name: +\|[^|]*\| [0-9]+/[0-9]+ test files \| [0-9]+ passed, [0-9]+ failed" | tail -1)
    passed=$((passed + $(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')))
    failed=$((failed + $(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')))
  done
}

step "browsers"
bash scripts/ensure-browser.sh chromium CHROME_PATH /usr/bin/chromium chromium || exit 1
bash scripts/ensure-browser.sh firefox FIREFOX_PATH /usr/bin/firefox-esr firefox-esr || exit 1

step "type check"
npm run typecheck --silent || { echo "type check failed"; exit 1; }

step "lint"
npm run lint --silent || { echo "lint failed"; exit 1; }

step "build"
npm run build --silent || { echo "build failed"; exit 1; }

step "server tests"
node --import tsx --test --test-reporter=spec test/server/*.test.ts 2>&1 | tee "$logs/server"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
count_node "$logs/server"

step "browser tests (Chromium and Firefox, fake camera and microphone, real servers)"
npx web-test-runner --config web-test-runner.config.mjs 2>&1 | tee "$logs/browser"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
count_wtr "$logs/browser"

step "end-to-end (dist/call-widget.js on another origin; Chromium and Firefox calling each other)"
node --import tsx --test --test-reporter=spec test/e2e/*.test.ts 2>&1 | tee "$logs/e2e"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
count_node "$logs/e2e"

step "NAT lab (real NATs and firewalls from network namespaces, real coturn)"
node --import tsx --test --test-reporter=spec test/network/*.test.ts 2>&1 | tee "$logs/network"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
count_node "$logs/network"

if [ "$passed" = 0 ]; then
  echo "no tests ran"; status=1
fi
[ "$failed" = 0 ] || status=1
echo
echo "total: $passed passed, $failed failed"
exit $status
