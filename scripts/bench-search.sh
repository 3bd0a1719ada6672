#!/usr/bin/env bash
# Measures search over HTTP against the bare floor (`sesame floor`), with
# wrk, same settings, same run, same machine: a fixed set of 400 searches of
# two words and three facet filters (category, ships-from, a price ceiling),
# each answered with its facet counts, and a set of one-word searches with
# no filter (the broad first query). Search keeps no cache of answers: every
# request is computed.
# Usage: scripts/bench-search.sh [products=1000000] [seconds=20]
# Environment: CONNS (32), ROUNDS (2). Needs wrk, curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-1000000}
secs=${2:-20}
conns=${CONNS:-32}
rounds=${ROUNDS:-2}
LOG_LEVEL=${LOG_LEVEL:-info} source scripts/bench-demo.sh
echo "RSS once loaded: $(kb VmRSS) kB (anonymous $(kb RssAnon) kB)"
until curl -fsS "http://127.0.0.1:18080/api/v1/search?channel=bazaar&limit=1" >/dev/null 2>&1; do sleep 1; done
grep -ao 'search index loaded.*' "$tmp/demo.log" || true
echo "RSS with the index loaded: $(kb VmRSS) kB (anonymous $(kb RssAnon) kB)"

curl -fsS http://127.0.0.1:18080/api/v1/categories > "$tmp/cats.json"
python3 - "$tmp/cats.json" "$tmp" <<'PY'
import json, random, sys, urllib.parse
cats = {c["slug"]: c["id"] for c in json.load(open(sys.argv[1]))["items"]}
words = {  # the demo's French nouns (first word) per category, and its price range (cents)
  "phone-cases": (["coque", "etui"], 299, 1999), "clothing": (["chemise", "mariniere", "robe", "sweat"], 999, 8999),
  "jewellery": (["collier", "bague", "boucles", "bracelet"], 1500, 49000), "furniture": (["table", "assiette", "vase", "chaise"], 2500, 59000),
  "travel": (["valise", "cubes", "coussin", "adaptateur"], 899, 19900), "beauty": (["savon", "eau", "creme", "huile"], 450, 15900),
  "food": (["huile", "boite", "galettes", "bordeaux"], 590, 8900), "bags": (["cabas", "sac", "porte", "sac"], 4900, 290000)}
adjectives = ["classique", "premium", "fin", "artisanal", "edition", "bio", "vintage", "quotidien", "luxe", "essentiel"]
rng = random.Random(7)
with open(sys.argv[2] + "/refined.txt", "w") as f:
  for _ in range(400):
    slug = rng.choice(sorted(words)); ws, lo, hi = words[slug]
    q = rng.choice(ws) + " " + rng.choice(adjectives)
    f.write("/api/v1/search?" + urllib.parse.urlencode({"channel": "bazaar", "lang": "fr", "q": q, "category": cats[slug],
      "ships_from": rng.choice(["CN", "FR"]), "price_max": rng.randint(lo, hi), "limit": 24}) + "\n")
with open(sys.argv[2] + "/broad.txt", "w") as f:
  for slug in sorted(words):
    for w in words[slug][0]:
      f.write("/api/v1/search?" + urllib.parse.urlencode({"channel": "bazaar", "lang": "fr", "q": w, "limit": 24}) + "\n")
PY
echo "sample: $(head -1 "$tmp/refined.txt")"
curl -fsS "http://127.0.0.1:18080$(head -1 "$tmp/refined.txt")" | head -c 300; echo

printf '%-13s %10s %9s %9s\n' read req/s p50 p99
floor
for ((i = 0; i < rounds; i++)); do
  PATHS="$tmp/refined.txt" run refined -s scripts/sweep.lua http://127.0.0.1:18080
  PATHS="$tmp/broad.txt" run broad -s scripts/sweep.lua http://127.0.0.1:18080
  floor
done
echo "RSS after the runs: $(kb VmRSS) kB (anonymous $(kb RssAnon) kB)"
