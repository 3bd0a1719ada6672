#!/usr/bin/env bash
# Lints Sesame's OpenAPI document (the golden file, which TestOpenAPIGolden
# keeps equal to the generated one) with Spectral's recommended OpenAPI
# rules, failing on any warning. Spectral is installed from npm, pinned,
# into a cache folder on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
version=6.16.3
dir="${SPECTRAL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sesame-spectral-$version}"
if [ ! -x "$dir/node_modules/.bin/spectral" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent "@stoplight/spectral-cli@$version" >/dev/null
fi
"$dir/node_modules/.bin/spectral" lint --ruleset scripts/spectral.yaml --fail-severity warn "${1:-internal/web/testdata/openapi.json}"
