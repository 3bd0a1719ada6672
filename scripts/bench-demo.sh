# Sourced by the bench scripts: builds Sesame and the sweep collector into a
# temporary folder ($tmp, removed on exit), starts the bare floor on
# 127.0.0.1:18090 and a demo marketplace of $products products on
# 127.0.0.1:18080 ($pid), waits until it is ready and prints the seed's
# line. kb NAME prints a field of the demo's /proc status in kB. run NAME
# WRK-ARGS... prints a line of requests/s, p50, p99 and non-2xx answers
# after a 2 s warm-up ($conns connections, $secs seconds); floor runs it on
# the floor.
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$tmp"' EXIT
go build -o "$tmp/sesame" ./cmd/sesame
go build -o "$tmp/sweepcmd" ./scripts/sweep

"$tmp/sesame" floor --addr 127.0.0.1:18090 >/dev/null &
"$tmp/sesame" demo --data "$tmp/data" --addr 127.0.0.1:18080 --products "$products" --log-level "${LOG_LEVEL:-warn}" > "$tmp/demo.log" 2>&1 &
pid=$!
until grep -q "Sesame is ready" "$tmp/demo.log"; do sleep 1; kill -0 $pid || { cat "$tmp/demo.log"; exit 1; }; done
tr '\r' '\n' < "$tmp/demo.log" | grep -a "^Seeded"
kb() { awk -v k="$1:" '$1 == k {print $2}' /proc/$pid/status; }
run() { # name, then wrk arguments
  local name=$1; shift
  wrk -t2 -c"$conns" -d2s "$@" >/dev/null 2>&1 || true # warm-up
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" | awk -v n="$name" '/Requests\/sec/{r=$2} $1=="50%"{m=$2} $1=="99%"{p=$2} /Non-2xx/{b=$NF} END{printf "%-13s %10s %9s %9s non2xx %d\n", n, r, m, p, b}'
}
floor() { run floor http://127.0.0.1:18090/; }
