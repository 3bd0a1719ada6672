#!/usr/bin/env bash
# Measures GET /api/v1/products?channel=bazaar&limit=20 against the floor (a
# bare net/http server returning a fixed 2 KB JSON body) with wrk, same
# settings, same machine. Usage: scripts/bench-products.sh [products] [seconds]
# Needs wrk (Debian package wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-5000}
secs=${2:-10}
conns=64
bin=$(mktemp -d)/sesame
go build -o "$bin" ./cmd/sesame
data=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$data"' EXIT

"$bin" floor --addr 127.0.0.1:18090 >/dev/null &
start=$(date +%s.%N)
"$bin" demo --data "$data" --addr 127.0.0.1:18080 --products "$products" --log-level warn > "$data/demo.log" 2>&1 &
pid=$!
until grep -q "Sesame is ready" "$data/demo.log"; do sleep 0.2; kill -0 $pid || { cat "$data/demo.log"; exit 1; }; done
ready=$(echo "$(date +%s.%N) - $start" | bc)
rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
echo "demo with $products products ready in ${ready}s, RSS ${rss} kB"

# A cursor deep in the catalogue, to show deep pages cost what the first does.
deep=$(curl -s "http://127.0.0.1:18080/api/v1/products?channel=bazaar&limit=100" | sed -E 's/.*"next_cursor":"([^"]+)".*/\1/')

for target in "floor http://127.0.0.1:18090/" "products http://127.0.0.1:18080/api/v1/products?channel=bazaar&limit=20" \
              "products-deep http://127.0.0.1:18080/api/v1/products?channel=bazaar&limit=20&cursor=$deep"; do
  set -- $target
  wrk -t2 -c$conns -d1s "$2" >/dev/null 2>&1 || true   # warm-up
  out=$(wrk -t2 -c$conns -d${secs}s --latency "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  echo "$1: ${rps} req/s, p99 ${p99}"
done
