#!/usr/bin/env bash
# Query benchmark: cwsw's DataFusion engine against DuckDB running the same query files,
# at LA scale (a synthetic LA of PUPILS pupils x 7 years, through synth and extract) and
# at national scale (benches/national.py: 8.5M pupils a year x 7 years). For each query
# and engine: seconds and peak RSS; for each measure, DuckDB's result checked against
# cwsw's (benches/duckdb_suite.py --compare); for each run, wall time and peak RSS.
# Rerun with: bash benches/queries.sh [PUPILS] [WORK_DIR]
#   NATIONAL=0             skip the national scale
#   NATIONAL_PUPILS=N      national pupils a year (default 8500000)
#   NATIONAL_WAREHOUSE=DIR national warehouse to use or make (default WORK_DIR/national-N;
#                          reused when DIR/national.json says national.py finished it)
#   BUILD=0                use target/release/cwsw as it is (no cargo build)
#   CWSW=PATH              the cwsw binary to run (default target/release/cwsw)
#   NATIONAL_DUCKDB=0      at national scale, run cwsw only (DuckDB takes ~50 min there)
# A warehouse (the LA one at /tmp/cwsw-bench/warehouse-150000 from extract.sh, or one made
# here) is reused only while its tables have the data dictionary's columns.
# cwsw runs the queries compiled into it, DuckDB those in queries/: build before comparing.
# Needs /usr/bin/time (Debian package `time`) and python3 with duckdb and pyyaml. The
# national warehouse is ~3.4 GB (~5 min to make on 2 cores); DuckDB's run over it needs
# up to ~10 GB more under WORK_DIR while it runs and took ~50 min on a busy 2-core machine.
set -euo pipefail
pupils=${1:-150000}
work=${2:-${TMPDIR:-/tmp}/cwsw-bench-queries}
national_pupils=${NATIONAL_PUPILS:-8500000}
national=${NATIONAL_WAREHOUSE:-$work/national-$national_pupils}
cd "$(dirname "$0")/.."
[ "${BUILD:-1}" = 0 ] || cargo build --release --quiet
bin=${CWSW:-target/release/cwsw}
mkdir -p "$work"
status=0

# bench NAME WAREHOUSE "CWSW FLAGS" "DUCKDB FLAGS": both engines over one warehouse, then
# the comparison and the table. Timings go to WORK/runs/NAME/{cwsw-timings.csv,duckdb/timings.csv}:
# a folder of its own, never a warehouse's path (WORK/national-N is the national warehouse).
bench() {
  local name=$1 warehouse=$2 cwsw_flags=$3 duckdb_flags=$4 dir="$work/runs/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  local timings=(--timings "$dir/cwsw-timings.csv")
  if ! "$bin" run --help | grep -q -- --timings; then
    echo "(this cwsw has no run --timings: whole-run figures only)"
    timings=()
  fi
  echo "== $name: cwsw run over $warehouse"
  # shellcheck disable=SC2086
  /usr/bin/time -v -o "$dir/cwsw.time" "$bin" run --warehouse "$warehouse" --out "$dir/measures" \
    $cwsw_flags "${timings[@]}" > "$dir/cwsw.log" 2>&1 || { echo "cwsw run failed: $dir/cwsw.log"; status=1; }
  if [ "${5:-1}" = 0 ]; then
    echo "(DuckDB skipped: cwsw's figures only)"
  else
    echo "== $name: DuckDB over $warehouse"
    # shellcheck disable=SC2086
    /usr/bin/time -v -o "$dir/duckdb.time" python3 benches/duckdb_suite.py --warehouse "$warehouse" \
      --queries queries --out "$dir/duckdb" --compare "$dir/measures" $duckdb_flags \
      > "$dir/duckdb.log" 2>&1 || status=1
    grep -E "^  (PASS|FAIL|ERROR)|^    |^DuckDB errors|^  queries/" "$dir/duckdb.log" | cut -c1-400 || true
  fi
  python3 - "$dir" <<'EOF'
import csv, re, sys
from pathlib import Path
d = Path(sys.argv[1])
def timings(path):
    return {r["query"]: r for r in csv.DictReader(open(path))} if path.exists() else {}
def whole(path, per_query):
    # Wall seconds and peak RSS from /usr/bin/time -v. Resetting the kernel's peak before
    # each query (clear_refs) also resets what the process reports at exit, so the
    # whole-run peak is the larger of that and every query's peak.
    text = path.read_text() if path.exists() else ""
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    seconds = wall and int(wall[1] or 0) * 3600 + int(wall[2]) * 60 + float(wall[3])
    peaks = [int(r["peak_rss_bytes"]) for r in per_query.values() if r.get("peak_rss_bytes")]
    return {"seconds": seconds, "peak_rss_bytes": max(peaks + ([int(rss[1]) * 1024] if rss else []), default=None)}
df, dk = timings(d / "cwsw-timings.csv"), timings(d / "duckdb" / "timings.csv")
rows = [(q, df.get(q, {}), dk.get(q, {})) for q in list(dk) + [q for q in df if q not in dk]]
rows.append(("whole run", whole(d / "cwsw.time", df), whole(d / "duckdb.time", dk)))
def num(r, k, scale=1.0):
    v = r.get(k)
    return float(v) / scale if v not in (None, "") else None
fmt = lambda v, spec: format("-", ">" + spec.split(".")[0]) if v is None else format(v, spec)
print(f"\n{d.name}: {'query':22} {'DataFusion s':>12} {'peak MB':>8} {'DuckDB s':>9} {'peak MB':>8} {'DF/DuckDB':>9}")
for q, a, b in rows:
    sa, sb = num(a, "seconds"), num(b, "seconds")
    ratio = sa / sb if sa is not None and sb else None
    print(f"{'':{len(d.name) + 2}}{q:22} {fmt(sa, '12.2f')} {fmt(num(a, 'peak_rss_bytes', 2**20), '8.0f')} "
          f"{fmt(sb, '9.2f')} {fmt(num(b, 'peak_rss_bytes', 2**20), '8.0f')} {fmt(ratio, '9.2f')}")
EOF
  echo
}

# fresh DIR: DIR is a warehouse whose every table has the columns the data dictionary
# declares now (a warehouse from an older extract or national.py is made again).
fresh() {
  [ -d "$1" ] && python3 - "$1" <<'EOF'
import sys, duckdb, yaml
from pathlib import Path
w, con = Path(sys.argv[1]), duckdb.connect()
for spec in sorted(Path("data-dictionary/warehouse").glob("*.yaml")):
    files = [str(f) for f in (w / spec.stem).glob("*.parquet")] or [str(f) for f in w.glob(spec.stem + ".parquet")]
    want = [c["name"] for c in yaml.safe_load(spec.read_text())["columns"]]
    have = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({files})").fetchall()] if files else []
    if have != want:
        sys.exit(f"{w}: {spec.stem} has {have}, the data dictionary {want}: making it again")
EOF
}

# (a) LA scale: the extract benchmark's warehouse when it is there and current, else
# synth + extract here.
la="/tmp/cwsw-bench/warehouse-$pupils"
if [ "$pupils" != 150000 ] || ! fresh "$la"; then
  la="$work/warehouse-$pupils"
  if ! fresh "$la"; then
    key="$work/bench.key"
    [ -f "$key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$key"
    echo "== synth + extract: $pupils pupils into $la"
    [ -d "$work/raw-$pupils" ] || "$bin" synth --out "$work/raw-$pupils" --pupils "$pupils" >/dev/null
    rm -rf "$la"
    "$bin" extract --input "$work/raw-$pupils" --out "$la" --key-file "$key" >/dev/null 2>&1
  fi
fi
bench "la-$pupils" "$la" "" ""

# (b) national scale, under a 4 GB memory limit for both engines.
if [ "${NATIONAL:-1}" != 0 ]; then
  if [ ! -f "$national/national.json" ] || ! fresh "$national"; then
    echo "== national.py: $national_pupils pupils a year into $national"
    /usr/bin/time -v -o "$work/national.time" python3 benches/national.py "$national" --pupils "$national_pupils" \
      | tail -n 30
  fi
  bench "national-$national_pupils" "$national" "--memory-limit 4G" "--memory-limit 4GB" "${NATIONAL_DUCKDB:-1}"
fi
[ "$status" = 0 ] || echo "some runs failed or differed: see the logs under $work"
exit "$status"
