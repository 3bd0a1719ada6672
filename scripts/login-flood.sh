#!/usr/bin/env bash
# Fires N (default 1,000) concurrent wrong sign-ins at a demo server, twice:
# one e-mail each (no throttling applies: every attempt hashes, bounded by
# the hasher) and all for one e-mail (throttled after 5 failures). Meanwhile
# it probes GET /api/v1/channels. It prints status counts, latencies and the
# server's peak RSS (VmHWM) during each flood.
# Usage: scripts/login-flood.sh [N] [extra sesame flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
shift || true
port=${PORT:-18480}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/sesame" ./cmd/sesame
go build -o "$tmp/loginflood" ./scripts/loginflood

"$tmp/sesame" demo --data "$tmp/data" --addr 127.0.0.1:$port --products 100 --log-level warn "$@" > "$tmp/demo.log" 2>&1 &
pid=$!
until grep -q "Sesame is ready" "$tmp/demo.log"; do sleep 0.2; kill -0 $pid || { cat "$tmp/demo.log"; exit 1; }; done
grep -E "hashing" "$tmp/demo.log"
kb() { awk -v k="$1:" '$1 == k {print $2}' /proc/$pid/status; }

login() { curl -s -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json' \
  -d '{"email":"buyer@sesame.example","password":"wrong password"}' http://127.0.0.1:$port/api/v1/auth/login; }
echo "one wrong sign-in, idle server: $(login)s"

for mode in "" "-same"; do
  echo 5 > /proc/$pid/clear_refs 2>/dev/null || true # resets VmHWM to the current RSS
  echo "RSS before: $(kb VmRSS) kB"
  "$tmp/loginflood" -url http://127.0.0.1:$port -n "$n" $mode
  echo "peak RSS during the flood (VmHWM): $(kb VmHWM) kB; RSS after: $(kb VmRSS) kB"
  sleep 2
done
