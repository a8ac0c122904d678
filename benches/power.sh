#!/usr/bin/env bash
# Power and size of the confirmatory difference in differences (issue 14): synthetic LAs
# on the parallel baseline (each group's gap to all pupils held at 2018/19, so the DiD's
# true value is 0), with and without a planted effect, over many seeds. For each
# scenario: the share of seeds whose confirmatory DiD for CINO at 31 March is
# significant at BH-adjusted alpha 0.05, with its binomial (Wilson) 95% interval, and
# the mean estimate.
#
#   bash benches/power.sh [SEEDS] [PUPILS] [WORK_DIR]     (default 200 seeds, 15000 pupils)
#   CWSW=path/to/cwsw bash benches/power.sh …               (a binary built earlier)
#
# Scenarios: attendance=+2pp (power, overall absence), none (size, overall absence and
# suspensions), suspensions=-2pp (power, one or more suspensions). Each seed runs synth,
# extract, run and stats; the seeds of a scenario run two at a time. Needs python3.
set -euo pipefail
seeds=${1:-200}
pupils=${2:-15000}
work=${3:-${TMPDIR:-/tmp}/cwsw-bench-power}
cd "$(dirname "$0")/.."
# CWSW=PATH runs a binary built earlier (so a build during the bench cannot change it).
if [ -z "${CWSW:-}" ]; then
  cargo build --release --quiet
  bin=$PWD/target/release/cwsw
else
  bin=$CWSW
fi
mkdir -p "$work"
key="$work/bench.key"
[ -f "$key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$key"

one() {  # one SCENARIO SEED [--effect EFFECT]
  local scenario=$1 seed=$2; shift 2
  local dir="$work/$scenario-$seed"
  rm -rf "$dir"; mkdir -p "$dir"
  "$bin" synth --out "$dir/raw" --pupils "$pupils" --seed "$seed" --baseline parallel "$@" >/dev/null 2>&1
  "$bin" extract --input "$dir/raw" --out "$dir/warehouse" --key-file "$key" >/dev/null 2>&1
  "$bin" run --warehouse "$dir/warehouse" --out "$dir/measures" >/dev/null 2>&1
  "$bin" stats --measures "$dir/measures" --warehouse "$dir/warehouse" --out "$dir/estimates" 2> "$dir/stats.log" >/dev/null
  python3 - "$dir/estimates/estimates.csv" "$scenario" "$seed" <<'PY' >> "$work/results.csv"
import csv, sys
path, scenario, seed = sys.argv[1:]
for row in csv.DictReader(open(path)):
    if (row["estimand"], row["family"], row["social_care_group"]) == ("did", "confirmatory", "CINO at 31 March") \
            and row["indicator"] in ("pt_overall", "pt_one_plus_sus"):
        print(",".join([scenario, seed, row["indicator"], row["estimate"], row["p_value"], row["p_value_bh"]]))
PY
  grep -o "in [0-9.]* s" "$dir/stats.log" | tail -1 | sed "s/^/$scenario,$seed,stats_seconds,/" >> "$work/stats-times.csv" || true
  rm -rf "$dir"
}
export -f one
export bin key work pupils

echo "scenario,seed,indicator,estimate,p_value,p_value_bh" > "$work/results.csv"
: > "$work/stats-times.csv"
started=$(date +%s)
# Seed by seed, the three scenarios of a seed together, so a bench stopped early still
# has as many seeds of each.
for seed in $(seq 1 "$seeds"); do
  printf '%s\n' "attendance $seed --effect attendance=+2pp" "none $seed" "suspensions $seed --effect suspensions=-2pp"
done | xargs -P 2 -L 1 bash -c 'one "$@"' _
echo "== $seeds seeds done after $(( $(date +%s) - started )) s" >&2
python3 benches/power_summary.py "$work/results.csv" "$pupils"
