#!/usr/bin/env bash
# The compilers and runtimes of every language the sandbox runs (the LANGUAGES table of
# sandbox/runner.py), for the local backend, which runs the host's own: the same Debian packages
# the sandbox image installs (`runner.py packages` lists them). Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=$(python3 sandbox/runner.py packages)
missing=()
for package in $packages; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "languages ready: $packages"
