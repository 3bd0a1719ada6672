#!/usr/bin/env bash
# Imports a generated feed of $lines products (default 1,000,000; CSV, or
# FORMAT=jsonl) with `sesame import` into the SQLite store of a demo
# marketplace with no products, and prints the time, the peak RSS and the
# RSS sampled every 5 s (flat when the import streams; "file" is the pages
# of the database SQLite maps, which the kernel reclaims), with the machine's
# load. AGAIN=1 imports the feed a second time (every line unchanged).
#   scripts/bench-import.sh [lines]
set -euo pipefail
lines=${1:-1000000}
format=${FORMAT:-csv}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/sesame" ./cmd/sesame
go build -o "$tmp/feedgen" ./scripts/feedgen

"$tmp/sesame" demo --data "$tmp/data" --addr 127.0.0.1:0 --products 0 --log-level warn > "$tmp/demo.log" 2>&1 &
pid=$!
until grep -q "Sesame is ready" "$tmp/demo.log"; do sleep 1; kill -0 $pid || { cat "$tmp/demo.log"; exit 1; }; done
kill $pid; wait $pid || true

db="$tmp/data/sesame.db"
merchant=$(sqlite3 "$db" "SELECT id FROM merchants WHERE status = 'approved' ORDER BY id LIMIT 1")
category=$(sqlite3 "$db" "SELECT id FROM categories ORDER BY id LIMIT 1")
"$tmp/feedgen" -n "$lines" -format "$format" -category "$category" > "$tmp/feed.$format"
echo "feed: $lines lines, $(du -m "$tmp/feed.$format" | cut -f1) MB ($format); merchant $merchant"
echo "load before: $(uptime)"

measure() { # one import of the feed, timed, its RSS sampled
  /usr/bin/time -v "$tmp/sesame" import --data "$tmp/data" --merchant "$merchant" "$tmp/feed.$format" 2> "$tmp/import.log" &
  local tpid=$! ipid
  sleep 1
  ipid=$(pgrep -P $tpid sesame || true)
  while kill -0 $tpid 2>/dev/null; do
    [ -n "$ipid" ] && awk '$1 == "VmRSS:" {r=$2} $1 == "RssAnon:" {a=$2} $1 == "RssFile:" {f=$2} END {printf "rss %d MB (anon %d MB, file %d MB)\n", r/1024, a/1024, f/1024}' /proc/$ipid/status 2>/dev/null || true
    sleep 5
  done
  wait $tpid || true
  grep -E "created|Elapsed|Maximum resident" "$tmp/import.log"
  echo "load after: $(uptime)"
}
measure
if [ -n "${AGAIN:-}" ]; then
  echo "the same feed again (every line unchanged, as a resumed import's first part):"
  measure
fi
echo "products in the store: $(sqlite3 "$db" "SELECT COUNT(*) FROM products WHERE ref IS NOT NULL")"
