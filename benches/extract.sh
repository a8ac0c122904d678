#!/usr/bin/env bash
# Extract benchmark (issue 3): a synthetic LA at 150k pupils x 7 years, and again at 4x
# the input, timing each kind of source (MB/s, rows/s) and the peak RSS of the whole
# extract. Rerun with: bash benches/extract.sh [PUPILS] [WORK_DIR]
# Needs /usr/bin/time (Debian package `time`). Writes about 1 GB + 4 GB of raw returns.
set -euo pipefail
pupils=${1:-150000}
work=${2:-${TMPDIR:-/tmp}/cwsw-bench-extract}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/cwsw
mkdir -p "$work"
key="$work/bench.key"
[ -f "$key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$key"
for scale in 1 4; do
  n=$((pupils * scale))
  raw="$work/raw-$n"
  if [ ! -d "$raw" ]; then
    echo "== synth: $n pupils" >&2
    "$bin" synth --out "$raw" --pupils "$n" >/dev/null
  fi
  size=$(du -sm "$raw" | cut -f1)
  echo "== extract: $n pupils, ${size} MB of raw returns"
  /usr/bin/time -v "$bin" extract --input "$raw" --out "$work/warehouse-$n" --key-file "$key" \
    2> "$work/extract-$n.log" >/dev/null
  grep -E "extract: .*(MB/s|rows accepted)" "$work/extract-$n.log" | sed 's/^cwsw \[[^]]*\] //'
  grep -E "Elapsed \(wall|Maximum resident" "$work/extract-$n.log" | sed 's/^\s*/  /'
  grep -E "Maximum resident" "$work/extract-$n.log" | awk '{print $NF}' > "$work/rss-$scale"
done
rss1=$(cat "$work/rss-1"); rss4=$(cat "$work/rss-4")
awk -v a="$rss1" -v b="$rss4" 'BEGIN { printf "peak RSS: %.0f MB at 1x, %.0f MB at 4x: ratio %.2f (target < 1.5)\n", a/1024, b/1024, b/a }'
