#!/usr/bin/env bash
# Prints the path of the Nu Html Checker (vnu.jar, the W3C's HTML5
# validator), installing it from npm, pinned, into a cache folder on first
# use. It needs Java 11 or later to run. TestPagesAreValidHTML
# (internal/web/shop) runs it when SESAME_VNU names the jar:
#   SESAME_VNU=$(bash scripts/vnu.sh) go test -run TestPagesAreValidHTML ./internal/web/shop/
set -euo pipefail
version=26.9.27
dir="${VNU_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sesame-vnu-$version}"
jar="$dir/node_modules/vnu-jar/build/dist/vnu.jar"
if [ ! -f "$jar" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent "vnu-jar@$version" >/dev/null
fi
echo "$jar"
