#!/usr/bin/env bash
# Headless Chromium for the status-page and report tests (tests/browser.py drives it over the
# DevTools protocol). Idempotent: installs Debian's chromium only if it is missing. No browser is
# downloaded by a test tool: the network here reaches only the package registries.
set -euo pipefail

if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
echo "browser ready: $(chromium --version 2>/dev/null)"
