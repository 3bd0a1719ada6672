#!/usr/bin/env bash
# Measures the event relay during a demo seed: relay throughput (catalogue
# events/s and the listings they carry) and outbox-to-consumer lag
# p50/p99/max, read by a consumer outside the process from the demo's
# embedded JetStream server (--nats-listen), every 5 s and at the end, with
# the seed's rate at its start and its end.
# Usage: scripts/relay-lag.sh [products] (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/sesame" ./cmd/sesame
go build -o "$tmp/relaylag" ./scripts/relaylag
"$tmp/relaylag" -sesame "$tmp/sesame" -data "$tmp/data" -products "$products" \
  -nats "127.0.0.1:${NATS_PORT:-18422}" -addr "127.0.0.1:${PORT:-18481}"
