#!/usr/bin/env bash
# Creating with 16 concurrent clients: banlie (runs) beside PocketBase
# (records of a collection shaped like runs), on this machine, at the same
# SQLite synchronous setting, with the same client (pbbench load), rounds
# alternating. Usage: bench/pocketbase/run.sh [rounds] [seconds] [clients]
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-3} secs=${2:-10} clients=${3:-16}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# BANLIE_BIN: a banlie binary built elsewhere (another version, to compare).
if [ -n "${BANLIE_BIN:-}" ]; then cp "$BANLIE_BIN" "$work/banlie"; else (cd ../.. && go build -o "$work/banlie" .); fi
go build -o "$work/pbbench" .
wait_up() { for _ in $(seq 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "$1 did not answer" >&2; return 1; }
printf 'synchronous\tround\tbanlie runs/s\tPocketBase records/s\tratio\n'
for sync in NORMAL FULL; do
  db="$work/banlie-$sync.db"
  "$work/banlie" migrate --db "$db" >/dev/null 2>&1
  admin=$("$work/banlie" token create --role admin --name bench --db "$db")
  op=$("$work/banlie" token create --role operator --name load --db "$db")
  "$work/banlie" serve --db "$db" --addr 127.0.0.1:18090 --sqlite-synchronous "$sync" --rate-limit 0 >"$work/banlie-$sync.log" 2>&1 &
  pids+=($!)
  "$work/pbbench" serve --dir "$work/pb-$sync" --http 127.0.0.1:18091 --sync "$sync" >"$work/pb-$sync.log" 2>&1 &
  pids+=($!)
  wait_up http://127.0.0.1:18090/readyz
  wait_up http://127.0.0.1:18091/api/health
  curl -fs -o /dev/null -X POST http://127.0.0.1:18090/api/v1/routes -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"code":"SCO-MOW","name":"SCO Zone – Moscow","mode":"rail","stops":[{"name":"Jiaozhou","country":"CN","role":"origin"},{"name":"Moscow","country":"RU","role":"destination"}]}'
  for r in $(seq "$rounds"); do
    b=$("$work/pbbench" load -target banlie -url http://127.0.0.1:18090 -token "$op" -clients "$clients" -duration "${secs}s" | cut -f3)
    p=$("$work/pbbench" load -target pocketbase -url http://127.0.0.1:18091 -clients "$clients" -duration "${secs}s" | cut -f3)
    printf '%s\t%s\t%s\t%s\t%s\n' "$sync" "$r" "$b" "$p" "$(awk -v b="$b" -v p="$p" 'BEGIN{printf "%.2f", b/p}')"
  done
  kill "${pids[@]}"; wait 2>/dev/null || true; pids=()
done
