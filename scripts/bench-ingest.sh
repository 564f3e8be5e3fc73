#!/usr/bin/env bash
# `scinti bench ingest` against a PostgreSQL 15 from Debian started for the purpose (initdb in a temporary folder,
# TCP loopback, Debian's default settings: fsync on, synchronous_commit on), one fresh database per run, with what
# PostgreSQL did during each run: its CPU (all its processes, exited backends included), the checkpoints and buffer
# writes of pg_stat_bgwriter and the WAL flushes of pg_stat_wal. docs/benchmarks.md ("Pipelined C-STORE") shows what
# it prints and how to read it.
#
# Usage: SCINTI_BIN=path/to/scinti scripts/bench-ingest.sh [RUN …]
#   RUN is SENDERSxWINDOW (e.g. 8x8; default: 1x1 4x1 8x1 8x8); INSTANCES (default 2000) instances per run;
#   WORK (default a new folder under /var/tmp) holds the archives — put it on the disk under test, not a tmpfs;
#   EXTRA: more `scinti bench ingest` options (e.g. "--flush fsync");
#   PERF=DIR: `perf record -g` of the bench process (DIR/bench-runN.data) and of the whole machine
#   (DIR/all-runN.data; `perf report -i … --comm postgres` shows PostgreSQL's share) during each run.
# Needs a scinti built with `--traits TLS,PostgreSQL` (a release build for figures that mean anything).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${SCINTI_BIN:-.build/release/scinti}"
[ -x "$BIN" ] || { echo "bench-ingest: no scinti at $BIN (set SCINTI_BIN)" >&2; exit 2; }
RUNS=("$@"); [ ${#RUNS[@]} -gt 0 ] || RUNS=(1x1 4x1 8x1 8x8)
INSTANCES="${INSTANCES:-2000}"
MADE=""; [ -n "${WORK:-}" ] || { WORK=$(mktemp -d /var/tmp/scinti-bench-ingest.XXXXXX); MADE=1; }
mkdir -p "$WORK/pgsock" "$WORK/pgdata" "$WORK/bench"; chmod 755 "$WORK"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] || PGBIN=$(dirname "$(command -v initdb)")
# PostgreSQL refuses to run as root: run it as nobody then.
AS=(); [ "$(id -u)" = 0 ] && { AS=(runuser -u nobody --); chown nobody "$WORK/pgsock" "$WORK/pgdata"; }
"${AS[@]}" "$PGBIN/initdb" -D "$WORK/pgdata" -U scinti --auth=trust -E UTF8 >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; exit 1; }
export PGPORT=$((24000 + RANDOM % 2000))
pg() { "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pgdata" -l "$WORK/pgsock/pg.log" -w "$@"; }
psqlc() { "$PGBIN/psql" -h "$WORK/pgsock" -U scinti -d "${2:-postgres}" -At -F ' ' -v ON_ERROR_STOP=1 -c "$1"; }
# At the end: the archives go; the database too when this script made the folder (else its logs stay in WORK).
trap 'pg stop -m fast >/dev/null 2>&1; rm -rf "$WORK/bench"; [ -n "$MADE" ] && rm -rf "$WORK"' EXIT
# track_wal_io_timing: the time of the WAL writes and flushes in pg_stat_wal (two clock reads per flush).
pg start -o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -k $WORK/pgsock -c max_connections=100 -c track_wal_io_timing=on" >/dev/null \
  || { cat "$WORK/pgsock/pg.log"; exit 1; }
PM=$(head -n 1 "$WORK/pgdata/postmaster.pid")

# CPU seconds of PostgreSQL so far: the postmaster, its live children, and the children it has reaped (cutime/cstime).
pgcpu() {
  local tck total=0 p f
  tck=$(getconf CLK_TCK)
  for p in "$PM" $(cat /proc/"$PM"/task/*/children 2>/dev/null); do
    f=$(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null) || continue
    set -- $f
    if [ "$p" = "$PM" ]; then total=$((total + ${12} + ${13} + ${14} + ${15})); else total=$((total + ${12} + ${13})); fi
  done
  awk -v t="$total" -v h="$tck" 'BEGIN { printf "%.2f", t / h }'
}

echo "scinti bench ingest on PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, binary $BIN"
echo "settings: $(psqlc "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync','synchronous_commit','wal_sync_method','shared_buffers','checkpoint_timeout','max_wal_size','commit_delay')")"
echo "archive folder: $WORK/bench ($(df -T "$WORK" | awk 'NR==2 {print $2 " on " $1}'))"
echo
n=0
for run in "${RUNS[@]}"; do
  s=${run%x*}; w=${run#*x}; n=$((n + 1))
  "$PGBIN/createdb" -h "$WORK/pgsock" -U scinti "bench$n"
  psqlc "SELECT pg_stat_reset_shared('bgwriter'), pg_stat_reset_shared('wal')" >/dev/null
  c0=$(pgcpu)
  # ext4 scans the inodes deleted in the last ~30 s (dirty_expire_centisecs) when it allocates new ones
  # (ext4_create → recently_deleted): right after the previous run removed its 4 000 files that scan took half of
  # the bench process's CPU (perf, 2026-12-07) and halved the rate. PAUSE seconds between runs keep one run's
  # deletions out of the next run's figures (a receiving archive does not delete thousands of files a minute).
  [ "$n" -gt 1 ] && sleep "${PAUSE:-35}"
  echo "== run $n: $s sender(s) × window $w, $INSTANCES instances"
  # shellcheck disable=SC2086
  PREFIX=()
  if [ -n "${PERF:-}" ]; then
    mkdir -p "$PERF"
    perf record -g -F 999 -a -o "$PERF/all-run$n.data" >/dev/null 2>&1 & PERFALL=$!
    PREFIX=(perf record -g -F 999 -o "$PERF/bench-run$n.data" --)
  fi
  "${PREFIX[@]}" "$BIN" bench ingest --database "postgres://scinti@127.0.0.1:$PGPORT/bench$n" --instances "$INSTANCES" --senders "$s" \
    --window "$w" --work "$WORK/bench" ${EXTRA:-} >"$WORK/run$n.out" 2>"$WORK/run$n.err" \
    || { echo "bench ingest failed:"; grep -v 'schema migrated' "$WORK/run$n.err"; }
  [ -n "${PERF:-}" ] && { kill -INT "$PERFALL"; wait "$PERFALL"; }
  sed -n '/^senders/,/^$/p' "$WORK/run$n.out" | sed '/^$/d'
  c1=$(pgcpu)
  echo "PostgreSQL during the run: CPU $(awk -v a="$c0" -v b="$c1" -v i="$INSTANCES" 'BEGIN { printf "%.2f s (%.2f ms/instance)", b - a, (b - a) * 1000 / i }')"
  echo "  bgwriter: $(psqlc "SELECT 'checkpoints timed/requested ' || checkpoints_timed || '/' || checkpoints_req || ', checkpoint write+sync ' || round((checkpoint_write_time + checkpoint_sync_time)::numeric) || ' ms, buffers written by checkpoint/bgwriter/backends ' || buffers_checkpoint || '/' || buffers_clean || '/' || buffers_backend FROM pg_stat_bgwriter")"
  echo "  wal: $(psqlc "SELECT 'records ' || wal_records || ', full-page images ' || wal_fpi || ', ' || pg_size_pretty(wal_bytes) || ', flushes ' || wal_sync || ' (' || round(wal_sync_time::numeric) || ' ms, ' || round((wal_sync_time / greatest(wal_sync, 1))::numeric, 2) || ' ms each), writes ' || wal_write || ', WAL buffers full ' || wal_buffers_full FROM pg_stat_wal")"
  echo
done
