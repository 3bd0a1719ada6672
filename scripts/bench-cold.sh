#!/usr/bin/env bash
# Measures Sesame's public catalogue reads at scale against the bare floor
# (`sesame floor`, a net/http server answering a fixed 2 KB body), with wrk,
# same settings, same run, same machine:
#   - the first page of a channel (served from the page cache),
#   - the list over PAGES distinct cursor pages in random order (every request
#     a page no cache has seen recently: the page cache holds 4,096),
#   - product detail over IDS random product ids,
#   - the same with a buyer's country and postcode (availability and the
#     delivery promise, read from the stock on every request).
# Also reports the seed's time and rates, storage per product (needs the
# sqlite3 command for the per-table figures) and the server's RSS.
# Each read is compared with the floor measured just before and just after it.
# Usage: scripts/bench-cold.sh [products=1000000] [seconds=20]
# Environment: PAGES (15000), IDS (50000), CHANNEL (bazaar), CONNS (64),
# ROUNDS (1): the reads are run that many times against the one seed, and
# with more than one the median of each read's ratios is printed last.
# Needs wrk (Debian package wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-1000000}
secs=${2:-20}
pages=${PAGES:-15000}
nids=${IDS:-50000}
ch=${CHANNEL:-bazaar}
conns=${CONNS:-64}
rounds=${ROUNDS:-1}
source scripts/bench-demo.sh
echo "RSS after the seed: $(kb VmRSS) kB (anonymous $(kb RssAnon) kB, file $(kb RssFile) kB)"
db="$tmp/data/sesame.db"
if command -v sqlite3 >/dev/null; then
  n=$(sqlite3 -readonly "$db" "SELECT COUNT(*) FROM products")
  echo "storage per product ($n products), bytes:"
  sqlite3 -readonly "$db" "SELECT '  ' || name || ': ' || (SUM(pgsize) / $n) FROM dbstat GROUP BY name HAVING SUM(pgsize) / $n > 0 ORDER BY SUM(pgsize) DESC"
  sqlite3 -readonly "$db" "SELECT '  all but the outbox: ' || (SUM(pgsize) / $n) FROM dbstat WHERE name NOT LIKE '%outbox%'"
fi

"$tmp/sweepcmd" -base http://127.0.0.1:18080 -channel "$ch" -pages "$pages" -ids "$nids" -out "$tmp/sweep"
sed 's/$/\&country=FR\&postcode=75011/' "$tmp/sweep/products.txt" > "$tmp/sweep/promise.txt"

run() { # name, then wrk arguments
  local name=$1; shift
  wrk -t2 -c"$conns" -d2s "$@" >/dev/null 2>&1 || true # warm-up
  local out; out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@")
  local rps p50 p99 bad
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p50=$(echo "$out" | awk '$1=="50%"{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  bad=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  echo "$name $rps $p50 $p99 ${bad:-0}"
}
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v/1000; else if (v ~ /ms$/) print v+0; else if (v ~ /s$/) print v*1000; else print v }'; }
# The floor is measured before and after each read, and each read is
# compared with the mean of the two around it: on a shared machine the floor
# alone moves by a fifth from one minute to the next.
floor() { run floor http://127.0.0.1:18090/; }
{ floor; for ((i = 0; i < rounds; i++)); do
  run first-page "http://127.0.0.1:18080/api/v1/products?channel=$ch&limit=20"
  floor
  PATHS="$tmp/sweep/pages.txt" run cold-pages -s scripts/sweep.lua http://127.0.0.1:18080
  floor
  PATHS="$tmp/sweep/products.txt" run product-detail -s scripts/sweep.lua http://127.0.0.1:18080
  floor
  PATHS="$tmp/sweep/promise.txt" run product-promise -s scripts/sweep.lua http://127.0.0.1:18080
  floor
done; } > "$tmp/results"
printf '%-15s %10s %9s %9s %7s %9s %6s\n' read req/s p50 p99 ratio p99/floor non2xx
prev_rps=; prev_p99=; pending=
while read -r name rps p50 p99 bad; do
  if [ "$name" = floor ]; then
    if [ -n "$pending" ]; then
      read -r pname prps pp50 pp99 pbad <<< "$pending"
      frps=$(echo "($prev_rps + $rps) / 2" | bc -l)
      fp99=$(echo "($(ms "$prev_p99") + $(ms "$p99")) / 2" | bc -l)
      ratio=$(echo "$prps / $frps" | bc -l); tail=$(echo "$(ms "$pp99") / $fp99" | bc -l)
      printf '%-15s %10s %9s %9s %7.3f %9.1f %6s\n' "$pname" "$prps" "$pp50" "$pp99" "$ratio" "$tail" "$pbad"
      echo "$pname $ratio $tail" >> "$tmp/ratios"
      pending=
    fi
    printf '%-15s %10s %9s %9s %7s %9s %6s\n' floor "$rps" "$p50" "$p99" - - "$bad"
    prev_rps=$rps; prev_p99=$p99
  else
    pending="$name $rps $p50 $p99 $bad"
  fi
done < "$tmp/results"
# median READ FIELD: the median of field FIELD (2 ratio, 3 p99/floor) of
# READ's rounds.
median() {
  awk -v n="$1" -v f="$2" '$1 == n {print $f}' "$tmp/ratios" | sort -g |
    awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
if [ "$rounds" -gt 1 ]; then
  echo "median over $rounds rounds:"
  printf '%-15s %7s %9s\n' read ratio p99/floor
  for name in first-page cold-pages product-detail; do
    printf '%-15s %7.3f %9.1f\n' "$name" "$(median "$name" 2)" "$(median "$name" 3)"
  done
fi
echo "RSS after the sweep: $(kb VmRSS) kB (anonymous $(kb RssAnon) kB, file $(kb RssFile) kB)"
