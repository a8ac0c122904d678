"""Summary of benches/power.sh: per scenario, the share of seeds whose confirmatory DiD
for CINO at 31 March is significant (BH-adjusted p < 0.05), with its Wilson 95% interval.

    python3 benches/power_summary.py WORK/results.csv PUPILS
"""
import csv
import math
import sys

path, pupils = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(path)))


def wilson(hits, n, z=1.959963984540054):
    if n == 0:
        return float("nan"), float("nan")
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


print(f"Confirmatory DiD for CINO at 31 March, parallel baseline, {pupils} pupils")
print("| planted effect | outcome | seeds | significant (BH p < 0.05) | 95% interval | mean estimate (pp) |")
print("|---|---|---|---|---|---|")
for scenario, indicator, label in [
    ("attendance", "pt_overall", "attendance +2pp (power)"),
    ("none", "pt_overall", "none (size)"),
    ("suspensions", "pt_one_plus_sus", "suspensions -2pp (power)"),
    ("none", "pt_one_plus_sus", "none (size)"),
]:
    chosen = [row for row in rows if row["scenario"] == scenario and row["indicator"] == indicator]
    hits = sum(1 for row in chosen if row["p_value_bh"] and float(row["p_value_bh"]) < 0.05)
    n = len(chosen)
    low, high = wilson(hits, n)
    mean = sum(float(row["estimate"]) for row in chosen) / n if n else float("nan")
    share = hits / n if n else float("nan")
    print(f"| {label} | {indicator} | {n} | {share:.3f} | {low:.3f} to {high:.3f} | {mean:+.2f} |")
