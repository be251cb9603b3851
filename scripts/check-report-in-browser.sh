#!/usr/bin/env bash
# Opens the report page in headless Chromium (Debian's `chromium`), saves a screenshot and fails on
# console errors or a page that does not render.
#   scripts/check-report-in-browser.sh [PAGE] [SCREENSHOT]     (defaults: report/index.html report/screenshot.png)
#   scripts/check-report-in-browser.sh --self-test              (checks that a console error is caught)
set -euo pipefail

chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  echo "check-report-in-browser: chromium not found (apt-get install chromium)" >&2
  exit 1
fi

# Returns 0 when the page renders without console errors; prints what it found.
check() {
  local page=$1 shot=$2 tmp log
  tmp=$(mktemp -d)
  log="$tmp/chromium.log"
  if ! timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
      --window-size=1200,4000 --virtual-time-budget=5000 \
      --screenshot="$shot" "file://$(realpath "$page")" >"$tmp/out.log" 2>"$log"; then
    echo "chromium failed on $page:" >&2
    tail -20 "$log" >&2
    rm -rf "$tmp"
    return 1
  fi
  local errors
  # Chromium logs every console message as ":CONSOLE:"; the report has no scripts, so any is an error.
  errors=$(grep -E ":CONSOLE|Uncaught|Failed to load" "$log" || true)
  rm -rf "$tmp"
  if [ ! -s "$shot" ]; then
    echo "no screenshot was written for $page" >&2
    return 1
  fi
  if [ -n "$errors" ]; then
    echo "console errors on $page:" >&2
    echo "$errors" >&2
    return 1
  fi
  echo "rendered $page without console errors; screenshot $shot ($(stat -c %s "$shot") bytes)"
}

if [ "${1:-}" = "--self-test" ]; then
  dir=$(mktemp -d)
  printf '<!DOCTYPE html><html><body><p>bad page</p><script>console.error("boom");</script></body></html>' >"$dir/bad.html"
  if check "$dir/bad.html" "$dir/bad.png" 2>/dev/null; then
    echo "self-test failed: a page with console errors passed" >&2
    exit 1
  fi
  echo "self-test: a page with console errors is rejected"
  rm -rf "$dir"
  exit 0
fi

check "${1:-report/index.html}" "${2:-report/screenshot.png}"
