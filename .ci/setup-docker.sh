#!/usr/bin/env bash
# Make a Docker engine and a local base image available on a bare Debian machine (CI, dev VMs).
# Idempotent: installs only what is missing, starts dockerd only if it is not answering, builds
# the base image only if it is absent. No registry is reachable here, so the base image is
# debootstrapped: Debian bookworm minbase + python3 (+ venv), with the host's CA bundle so pip works
# behind a TLS-intercepting proxy. Real users build on python:3.11-slim instead (BASE_IMAGE).
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-cascade-base:bookworm}"

if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null || ! command -v debootstrap >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose debootstrap >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start:"; tail -20 /tmp/dockerd.log; exit 1; }
fi

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  root=$(mktemp -d)
  debootstrap --variant=minbase --include=python3,python3-venv bookworm "$root" http://deb.debian.org/debian >/tmp/debootstrap.log 2>&1 \
    || { tail -20 /tmp/debootstrap.log; exit 1; }
  mkdir -p "$root/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
fi
echo "docker ready; base image $BASE_IMAGE"
