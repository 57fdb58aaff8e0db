#!/usr/bin/env bash
# Proves the Dockerfile and docker-compose.yml with a real engine, without any
# container registry: local base images are made from a Debian root file
# system (debootstrap + docker import), banlie's image is built through the
# same Dockerfile with them as build arguments, and the compose file is run:
# both replicas ready, a run logged through one and read through the other,
# PostgreSQL restarted and both replicas recovering, then everything removed.
#
# Under CI=true any failure fails; elsewhere an engine that cannot run is a
# SKIP (exit 0) that says why. Base images are cached between runs on the
# same machine, keyed by a hash of the code that builds them.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

t0=$(date +%s); tphase=$t0
phase() { local now; now=$(date +%s); printf 'compose-test: %-28s %4ds (total %ds)\n' "$1" $((now - tphase)) $((now - t0)); tphase=$now; }
skip() {
  if [ "${CI:-}" = true ]; then echo "compose-test: FAIL: $*" >&2; exit 1; fi
  echo "compose-test: SKIP: $*"; exit 0
}
fail() { echo "compose-test: FAIL: $*" >&2; exit 1; }

# --- the engine -------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then skip "needs root to install and start dockerd"; fi
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; } >/dev/null \
    || skip "could not install ${need[*]} from Debian"
fi
command -v docker >/dev/null || skip "no docker client after installing docker.io"
phase "packages"

work=$(mktemp -d /tmp/banlie-compose.XXXXXX)
started_dockerd=
project=banliect$$
cleanup() {
  set +e
  if [ -f "$work/ctx/docker-compose.yml" ] && docker info >/dev/null 2>&1; then
    (cd "$work/ctx" && docker-compose -p "$project" down -v --remove-orphans >/dev/null 2>&1)
  fi
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if ! docker info >/dev/null 2>&1; then
  dockerd >"$work/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$started_dockerd" 2>/dev/null || break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    tail -n 20 "$work/dockerd.log" >&2
    skip "dockerd did not start (log above)"
  fi
fi
phase "engine up"

# --- local base images, cached by a hash of what builds them -----------------
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
key() { { declare -f "$1"; echo "$suite $mirror $2"; } | sha256sum | cut -c1-12; }

# A Debian root file system with gcc and this host's Go toolchain: what
# golang:1.26 offers a build. No certificates or proxy settings of this
# machine go in: debootstrap writes only its own sources.list.
build_go_image() {
  local root="$work/go-root" goroot
  goroot=$(go env GOROOT)
  debootstrap --variant=minbase --include=gcc,libc6-dev "$suite" "$root" "$mirror" >"$work/debootstrap-go.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap-go.log" >&2; return 1; }
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  mkdir -p "$root/usr/local/go" "$root/go"
  cp -a "$goroot"/. "$root/usr/local/go/" || return 1
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV GOPATH=/go' --change 'ENV GOTOOLCHAIN=local' --change 'WORKDIR /go' - "$1" >/dev/null || return 1
  rm -rf "$root"
}

# A root file system with PostgreSQL and an entry point that follows the
# official image's POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB.
build_postgres_image() {
  local root="$work/pg-root"
  debootstrap --variant=minbase --include=postgresql "$suite" "$root" "$mirror" >"$work/debootstrap-pg.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap-pg.log" >&2; return 1; }
  local bin
  bin=$(ls -d "$root"/usr/lib/postgresql/*/bin | head -n1); bin=${bin#"$root"}
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/postgresql/* "$root"/etc/postgresql/*
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/bash
set -euo pipefail
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then echo "POSTGRES_PASSWORD is required" >&2; exit 1; fi
  pw=$(mktemp); printf '%s' "$POSTGRES_PASSWORD" >"$pw"; chown postgres "$pw"
  as_pg initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pw" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pw"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\"" | as_pg postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "database initialised in $PGDATA"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*'
SH
  chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
  tar -C "$root" -c . | docker import \
    --change "ENV PATH=$bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'EXPOSE 5432' --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' - "$1" >/dev/null || return 1
  rm -rf "$root"
}

# What distroless/static:nonroot offers: a passwd with nonroot (65532), /tmp.
build_runtime_image() {
  local root="$work/rt-root"
  mkdir -p "$root/etc" "$root/tmp" "$root/home/nonroot"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  tar -C "$root" --owner=0 --group=0 -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'USER 65532' - "$1" >/dev/null || return 1
  rm -rf "$root"
}

ensure_image() { # function tag-name extra-key
  local tag="banlie-local/$2:$(key "$1" "$3")"
  if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"; return
  fi
  # Called in a condition, so set -e is off in there: check the outcome.
  "$1" "$tag" && docker image inspect "$tag" >/dev/null 2>&1 || return 1
  echo "$tag"
}
GO_IMAGE=$(ensure_image build_go_image go "$(go version)") || fail "building the Go base image"
phase "Go base image"
POSTGRES_IMAGE=$(ensure_image build_postgres_image postgres "") || fail "building the PostgreSQL image"
phase "PostgreSQL image"
RUNTIME_IMAGE=$(ensure_image build_runtime_image runtime "") || fail "building the runtime image"
phase "runtime image"
export GO_IMAGE POSTGRES_IMAGE RUNTIME_IMAGE
echo "compose-test: GO_IMAGE=$GO_IMAGE POSTGRES_IMAGE=$POSTGRES_IMAGE RUNTIME_IMAGE=$RUNTIME_IMAGE"

# --- the build context: the working tree plus vendored modules ----------------
mkdir -p "$work/ctx"
git ls-files -co --exclude-standard -z | tar --null -T - -c | tar -C "$work/ctx" -x
go mod vendor -o "$work/ctx/vendor"
phase "build context"

export BANLIE_IMAGE=banlie-local/banlie:ci
export BANLIE_PORT_1=${BANLIE_PORT_1:-18081} BANLIE_PORT_2=${BANLIE_PORT_2:-18082}
export POSTGRES_PASSWORD=ci-$$-$RANDOM
cd "$work/ctx"
dc() { docker-compose -p "$project" "$@"; }
dc build >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; fail "docker-compose build"; }
phase "banlie image build"
dc up -d >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; dc logs --tail 50 >&2; fail "docker-compose up"; }

url1=http://127.0.0.1:$BANLIE_PORT_1 url2=http://127.0.0.1:$BANLIE_PORT_2
wait_ready() { # what deadline-seconds
  local end=$(( $(date +%s) + $2 ))
  while :; do
    if curl -fsS -m 2 "$url1/readyz" >/dev/null 2>&1 && curl -fsS -m 2 "$url2/readyz" >/dev/null 2>&1; then return 0; fi
    if [ "$(date +%s)" -ge "$end" ]; then
      dc ps >&2; dc logs --tail 30 >&2; fail "$1: both replicas not ready within $2 s"
    fi
    sleep 0.5
  done
}
wait_ready "up" 120
phase "up until both ready"

# The image's own HEALTHCHECK (banlie healthcheck, no shell) reports healthy.
end=$(( $(date +%s) + 90 ))
for svc in banlie-1 banlie-2; do
  id=$(dc ps -q "$svc")
  until [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ]; do
    [ "$(date +%s)" -lt "$end" ] || { docker inspect -f '{{json .State.Health}}' "$id" >&2; fail "$svc: HEALTHCHECK not healthy"; }
    sleep 1
  done
  user=$(docker inspect -f '{{.Config.User}}' "$id")
  [ "$user" = 65532:65532 ] || fail "$svc runs as user '$user', want 65532:65532"
done
phase "HEALTHCHECK healthy"

token=$(dc exec -T banlie-1 banlie token create --role admin --name compose-test 2>/dev/null | tr -d '\r')
case "$token" in bnl_*) ;; *) fail "token create printed '$token'";; esac
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
code=$(curl -sS -o "$work/route.json" -w '%{http_code}' -X POST "$url1/api/v1/routes" "${auth[@]}" -H 'Idempotency-Key: ct-route-1' \
  -d '{"code":"CT-XIAN-DUI","name":"Xi'"'"'an – Duisburg","mode":"rail","stops":[{"name":"Xi'"'"'an","country":"CN","role":"origin"},{"name":"Duisburg","locode":"DEDUI","country":"DE","role":"destination"}],"opened_on":"2024-01-02","active":true}')
[ "$code" = 201 ] || { cat "$work/route.json" >&2; fail "creating a route answered $code"; }
departed=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
body='{"route":"CT-XIAN-DUI","number":"X9001","direction":"outbound","departed_at":"'"$departed"'","status":"departed","containers":50,"teu":100,"cargo":"compose test"}'
code=$(curl -sS -o "$work/run.json" -D "$work/run.h" -w '%{http_code}' -X POST "$url1/api/v1/runs" "${auth[@]}" -H 'Idempotency-Key: ct-run-1' -d "$body")
[ "$code" = 201 ] || { cat "$work/run.json" >&2; fail "logging a run through replica 1 answered $code"; }
loc=$(grep -i '^location:' "$work/run.h" | tr -d '\r' | awk '{print $2}')
[ -n "$loc" ] || fail "no Location on the created run"
code=$(curl -sS -o "$work/replay.json" -D "$work/replay.h" -w '%{http_code}' -X POST "$url2/api/v1/runs" "${auth[@]}" -H 'Idempotency-Key: ct-run-1' -d "$body")
[ "$code" = 201 ] && grep -qi '^idempotent-replayed: true' "$work/replay.h" || fail "the same key through replica 2 was not replayed (status $code)"
read_run() { # base-url what
  local c
  c=$(curl -sS -o "$work/read.json" -w '%{http_code}' "$1$loc")
  [ "$c" = 200 ] && grep -q '"number":"X9001"' "$work/read.json" || { cat "$work/read.json" >&2; fail "$2: GET $loc answered $c"; }
}
read_run "$url2" "replica 2"
phase "run logged on 1, read on 2"

# The README's backup command: a custom-format dump that holds the run.
dc exec -T db pg_dump -U banlie -d banlie --format=custom >"$work/banlie.dump" || fail "pg_dump"
# Read whole before grep: grep -q stops at the first match, and under
# pipefail the writer's SIGPIPE would fail the pipeline.
dc exec -T db pg_restore --list <"$work/banlie.dump" >"$work/dump.list" || fail "pg_restore --list"
grep -q 'TABLE DATA public runs' "$work/dump.list" || fail "the dump has no runs table data"
dc exec -T db pg_restore --data-only --table=runs --file=- <"$work/banlie.dump" >"$work/dump.runs" || fail "pg_restore --table=runs"
grep -q X9001 "$work/dump.runs" || fail "the dump does not hold run X9001"
phase "pg_dump backup"

dc restart db >/dev/null 2>&1 || fail "restarting PostgreSQL"
# Both replicas must notice: readyz turns unready while the database is down
# only briefly, so what is checked is that both are ready again and serve.
wait_ready "after the PostgreSQL restart" 90
read_run "$url1" "replica 1 after the restart"
read_run "$url2" "replica 2 after the restart"
code=$(curl -sS -o "$work/run2.json" -w '%{http_code}' -X POST "$url2/api/v1/runs" "${auth[@]}" -H 'Idempotency-Key: ct-run-2' \
  -d '{"route":"CT-XIAN-DUI","number":"X9002","direction":"outbound","departed_at":"'"$departed"'","status":"departed","containers":40,"teu":80}')
[ "$code" = 201 ] || { cat "$work/run2.json" >&2; fail "a write after the PostgreSQL restart answered $code"; }
phase "PostgreSQL restart, recovered"

dc down -v --remove-orphans >/dev/null 2>&1 || fail "docker-compose down"
phase "down -v"
echo "compose-test: PASS in $(( $(date +%s) - t0 )) s"
