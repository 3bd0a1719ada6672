#!/usr/bin/env bash
# Measures the storefront's sitemaps on a demo marketplace: the index
# (/sitemap.xml: a count of listings per channel), the first block of
# 50,000 products of a channel and language, a middle one and the last one
# (whose start is found by skipping the listings before it), each fetched
# ROUNDS times, and the server's memory. The demo is seeded, then started
# again on the same data, so that its peak RSS (VmHWM) is the serving
# process's, not the seed's. SQLite maps the database file, whose pages
# count in RSS as they are read (RssFile); the process's own memory, Go's
# heap and SQLite's cache, is RssAnon, sampled every 10 ms during each fetch
# for its peak.
# Usage: scripts/bench-sitemap.sh [products=1000000]
# Environment: CHANNEL (bazaar), LANG_ (fr), ROUNDS (3); SESAME_DB for
# PostgreSQL. Needs curl; validates with xmllint when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-1000000}
ch=${CHANNEL:-bazaar}
lang=${LANG_:-fr}
rounds=${ROUNDS:-3}
source scripts/bench-demo.sh

kill $pid; wait $pid || true
"$tmp/sesame" demo --data "$tmp/data" --addr 127.0.0.1:18080 --log-level warn > "$tmp/serve.log" 2>&1 &
pid=$!
until grep -q "Sesame is ready" "$tmp/serve.log"; do sleep 0.2; kill -0 $pid || { cat "$tmp/serve.log"; exit 1; }; done
u=http://127.0.0.1:18080
mem() { echo "RSS $(kb VmRSS) kB (anonymous $(kb RssAnon) kB, file $(kb RssFile) kB), peak RSS $(kb VmHWM) kB"; }
echo "serving: $(mem)"

fetch() { # name path: prints time to first byte, total time, size, URLs
  local name=$1 path=$2 i
  for ((i = 0; i < rounds; i++)); do
    (peak=0; while :; do a=$(kb RssAnon); ((a > peak)) && { peak=$a; echo $peak > "$tmp/peak"; }; sleep 0.01; done) &
    local sampler=$!
    curl -fsS -o "$tmp/doc.xml" -w "%{time_starttransfer} %{time_total} %{size_download}" "$u$path" |
      awk -v n="$name" '{printf "%-10s first byte %6.3fs  total %6.3fs  %9d bytes", n, $1, $2, $3}'
    kill $sampler; wait $sampler 2>/dev/null || true
    echo "  peak anonymous $(cat "$tmp/peak") kB"
  done
  echo "           $(grep -o '<loc>' "$tmp/doc.xml" | wc -l) addresses"
}
fetch index /sitemap.xml
blocks=$(grep -o "/sitemaps/$ch-$lang-[0-9]*\.xml" "$tmp/doc.xml" | wc -l)
echo "$ch-$lang: $blocks blocks"
[ "$blocks" -gt 0 ] || exit 1
fetch first "/sitemaps/$ch-$lang-1.xml"
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout --schema ../shared/schemas/sitemap.xsd "$tmp/doc.xml" 2>&1 | tail -1
fi
fetch middle "/sitemaps/$ch-$lang-$(( (blocks + 1) / 2 )).xml"
fetch last "/sitemaps/$ch-$lang-$blocks.xml"
echo "after: $(mem)"
