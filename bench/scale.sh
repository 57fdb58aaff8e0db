#!/usr/bin/env bash
# A small and a large synthetic database, side by side (docs/PERFORMANCE.md,
# "A million runs, end to end"): for each, the time from start to /readyz
# on a restart, the dashboard's reads kept, cold and right after a write
# (banlie load, every answer checked), an export and an import over HTTP,
# and the server's resident memory at each step.
#
#   bench/scale.sh [small runs, default 10000] [large runs, default 1000000]
#
# WORK=DIR keeps the databases there and reuses them when present (seeding a
# million takes a few minutes); DURATION (default 10s) is each load
# scenario's time. Needs curl and python3 (to make the import file).
set -euo pipefail
cd "$(dirname "$0")/.."
small=${1:-10000} large=${2:-1000000}
duration=${DURATION:-10s}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
addr=127.0.0.1:18093
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
go build -o "$work/banlie" .
b="$work/banlie"

ms() { date +%s%3N; }
rss() { awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "RSS %d MB, peak %d MB", r/1024, h/1024}' "/proc/$pid/status"; }
took=
start() { # db: starts serve and waits for /readyz; took = the milliseconds it took
  local t0 t1
  t0=$(ms)
  "$b" serve --db "$1" --addr "$addr" --rate-limit 0 >>"$work/serve.log" 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "http://$addr/readyz"; do
    kill -0 "$pid" 2>/dev/null || { echo "serve exited; see $work/serve.log" >&2; exit 1; }
    sleep 0.02
  done
  t1=$(ms)
  took=$((t1 - t0))
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

for n in "$small" "$large"; do
  db="$work/synthetic-$n.db"
  if [ ! -f "$db" ]; then
    "$b" seed --synthetic "$n" --db "$db" 2>&1 | tail -n 1
  fi
  echo "== $n runs ($(du -h "$db" | cut -f1))"
  start "$db"
  first=$took
  stop
  start "$db"
  echo "start to /readyz: ${first} ms (first), ${took} ms (restart); $(rss)"
  token=$("$b" token create --role operator --name "scale-$(ms)" --db "$db")
  "$b" load --url "http://$addr" --token "$token" --clients 16 --duration "$duration"
  echo "after the load: $(rss)"
  # The export of every run, over HTTP, checked to hold every run.
  t0=$(ms)
  curl -fsS -H "Authorization: Bearer $token" "http://$addr/api/v1/runs/export" -o "$work/export-$n.csv"
  t1=$(ms)
  lines=$(($(wc -l <"$work/export-$n.csv") - 1))
  echo "export over HTTP: $lines runs in $((t1 - t0)) ms; $(rss)"
  # An import of up to 100,000 new runs over HTTP: the export's lines with
  # new train numbers, unique to this run of the script (and without the id
  # column or container numbers), all or nothing.
  python3 - "$work/export-$n.csv" "$work/import-$n.csv" "$(ms)" <<'EOF'
import csv, sys
src, dst, stamp = sys.argv[1], sys.argv[2], sys.argv[3]
with open(src, newline="", encoding="utf-8") as f, open(dst, "w", newline="", encoding="utf-8") as g:
    r, w = csv.reader(f), csv.writer(g)
    head = next(r)
    drop, num = head.index("id"), head.index("number")
    w.writerow([c for i, c in enumerate(head) if i != drop])
    for k, row in enumerate(r):
        if k == 100000:
            break
        row[num] = "S%s-%d" % (stamp[-6:], k)
        row[head.index("container_numbers")] = ""
        w.writerow([c for i, c in enumerate(row) if i != drop])
EOF
  t0=$(ms)
  out=$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' --data-binary "@$work/import-$n.csv" "http://$addr/api/v1/runs/import")
  t1=$(ms)
  echo "import over HTTP: $(echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["created"], "created,", d["skipped"], "skipped")') in $((t1 - t0)) ms; $(rss)"
  stop
done
