#!/usr/bin/env bash
# Measures the storefront's product page over random products (no page
# cache helps: every product is asked for once in turn) against the bare
# floor (`sesame floor`), with wrk, same settings, same run, same machine.
# The product addresses are collected from the storefront's own list pages
# at random cursors spread over the catalogue (from the API's cursor walk).
# Usage: scripts/bench-shop.sh [products=1000000] [seconds=20]
# Environment: CHANNEL (bazaar), LANG_ (fr), CURSORS (2100: list pages
# sampled, 24 products each), CONNS (64), ROUNDS (2). Needs wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-1000000}
secs=${2:-20}
ch=${CHANNEL:-bazaar}
lang=${LANG_:-fr}
ncur=${CURSORS:-2100}
conns=${CONNS:-64}
rounds=${ROUNDS:-2}
source scripts/bench-demo.sh

# Cursors over the whole catalogue, then the product links of the list
# pages at a random sample of them, each product once, shuffled.
"$tmp/sweepcmd" -base http://127.0.0.1:18080 -channel "$ch" -pages 15000 -ids 1 -out "$tmp/sweep" >/dev/null
shuf -n "$ncur" "$tmp/sweep/pages.txt" | sed -E 's/.*cursor=([^&]*).*/\1/' | while read -r c; do
  curl -fsS "http://127.0.0.1:18080/$ch/$lang/new?after=$c" | grep -o "href=\"/$ch/$lang/p/[^\"]*\"" | cut -d'"' -f2
done | sort -u | shuf > "$tmp/products.txt"
echo "$(wc -l < "$tmp/products.txt") distinct product pages"

printf '%-13s %10s %9s %9s\n' read req/s p50 p99
floor
for ((i = 0; i < rounds; i++)); do
  PATHS="$tmp/products.txt" run product-page -s scripts/sweep.lua http://127.0.0.1:18080
  floor
done
echo "RSS after the sweep: $(kb VmRSS) kB (anonymous $(kb RssAnon) kB)"
