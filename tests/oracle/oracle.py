#!/usr/bin/env python3
"""Independent statistical oracle for the Rust stats crate.

Generates fixed inputs from ``numpy.random.default_rng(20211)``, computes every
method with statsmodels / scipy (plus an independent numpy estimating-equation
sandwich for the clustered ratio / regression methods) and writes
``tests/oracle/oracle.json`` next to this file.

Run from the repository root:  python3 tests/oracle/oracle.py
The output is deterministic: running it twice gives byte-identical files.
"""

import json
import math
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import scipy.stats as st
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

SEED = 20211
CONFIDENCE = 0.95
ALPHA = 1.0 - CONFIDENCE
Z = float(st.norm.ppf(0.975))
OUT = Path(__file__).resolve().parent / "oracle.json"

rng = np.random.default_rng(SEED)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def close(a, b, rel, what):
    """Assert a and b agree to `rel` relative tolerance (element-wise)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    err = np.max(np.abs(a - b) / scale)
    assert err <= rel, f"{what}: relative difference {err:.3e} > {rel:.0e}\n{a}\n{b}"


def fl(x):
    return [float(v) for v in x]


def normal_test(est, se):
    """z statistic, two-sided normal p-value, normal 95% interval."""
    z = est / se
    return {
        "estimate": float(est),
        "standard_error": float(se),
        "statistic": float(z),
        "p_value": float(2.0 * st.norm.sf(abs(z))),
        "lower": float(est - Z * se),
        "upper": float(est + Z * se),
    }


def sandwich(X, a, p, groups):
    """Estimating-equation cluster sandwich (numpy only, independent of statsmodels).

    beta = (sum p x x')^-1 sum x a;  s_i = x_i (a_i - p_i x_i' beta);
    u_g = sum_{i in g} s_i;  V = c A^-1 (sum_g u_g u_g') A^-1,  A = sum p x x',
    c = G/(G-1) * (N-1)/(N-K).  For p > 0 this is WLS of a/p on X with weights p.
    Returns (beta, V, N, G).
    """
    X = np.asarray(X, dtype=float)
    a = np.asarray(a, dtype=float)
    p = np.asarray(p, dtype=float)
    N, K = X.shape
    A = (X * p[:, None]).T @ X
    assert np.linalg.matrix_rank(A) == K, "design is rank deficient"
    beta = np.linalg.solve(A, X.T @ a)
    s = X * (a - p * (X @ beta))[:, None]
    codes, uniques = pd.factorize(np.asarray(groups))
    G = len(uniques)
    U = np.zeros((G, K))
    np.add.at(U, codes, s)
    Ainv = np.linalg.inv(A)
    c = G / (G - 1.0) * (N - 1.0) / (N - K)
    V = c * Ainv @ (U.T @ U) @ Ainv
    return beta, V, N, G


def sm_cluster_wls(X, a, p, groups):
    """statsmodels reference: WLS(a/p, X, weights=p).fit(cov_type='cluster').

    Also checks that statsmodels uses the normal distribution (use_t False) by
    default for cluster covariances.
    """
    X = np.asarray(X, dtype=float)
    a = np.asarray(a, dtype=float)
    p = np.asarray(p, dtype=float)
    assert np.all(p > 0)
    codes, _ = pd.factorize(np.asarray(groups))
    res = sm.WLS(a / p, X, weights=p).fit(
        cov_type="cluster", cov_kwds={"groups": codes.astype(int)}
    )
    assert res.use_t is False, "statsmodels cluster fit unexpectedly uses t"
    ci = res.conf_int(alpha=ALPHA)
    close(ci[:, 0], res.params - Z * res.bse, 1e-12, "sm conf_int is normal")
    close(res.pvalues, 2 * st.norm.sf(np.abs(res.tvalues)), 1e-12, "sm pvalues normal")
    return res


def coef_output(beta, V, j):
    return normal_test(beta[j], math.sqrt(V[j, j]))


def sm_coef_output(res, j):
    ci = res.conf_int(alpha=ALPHA)
    return {
        "estimate": float(res.params[j]),
        "standard_error": float(res.bse[j]),
        "statistic": float(res.tvalues[j]),
        "p_value": float(res.pvalues[j]),
        "lower": float(ci[j, 0]),
        "upper": float(ci[j, 1]),
    }


def check_sm_vs_sandwich(res, beta, V, rel, what):
    close(res.params, beta, rel, what + " params")
    close(res.bse, np.sqrt(np.diag(V)), rel, what + " bse (c = G/(G-1)(N-1)/(N-K))")


# --------------------------------------------------------------------------
# input generators
# --------------------------------------------------------------------------

def gen_sessions(n, rate_mean=0.07):
    """Absence-like pupil rows [a, p]: p possible sessions 100-330, a ~ Bin(p, rate)."""
    p = rng.integers(100, 331, size=n)
    rate = rng.beta(1.2, 1.2 * (1 - rate_mean) / rate_mean, size=n)
    a = rng.binomial(p, rate)
    return [[int(x), int(y)] for x, y in zip(a, p)]


def gen_binary_with_zero_denominators(n, p_num=0.15, p_off_roll=0.1):
    """Exclusions-like rows [a, p] with 0/1 values; some [1, 0] (off census roll)."""
    rows = []
    while len(rows) < n:
        if rng.random() < p_off_roll:
            rows.append([1, 0])
        else:
            rows.append([int(rng.random() < p_num), 1])
    assert any(r == [1, 0] for r in rows)
    return rows


def gen_a8(n, zero_frac=0.05):
    v = np.clip(rng.normal(46.0, 16.0, size=n), 0, 90)
    v[rng.random(n) < zero_frac] = 0.0
    return [float(round(x, 1)) for x in v]


def gen_p8(n, mu=-0.5, sd=1.3):
    return [float(round(x, 2)) for x in rng.normal(mu, sd, size=n)]


def gen_panel(n_clusters, years, outcome, p_present=0.75, effect=0.0,
              p_switch=0.1, n_both_zero=0, n_off_roll=0, prefix="P"):
    """Pupil x year panel rows for did / event_study.

    A cluster (pupil) is present in a random non-empty subset of `years`;
    group is drawn in the first year present (P=0.4) and switches with
    probability `p_switch` in each later year.  `outcome`:
      "absence"   denominator sessions 100-330, numerator binomial
      "binary"    0/1 numerator, denominator 1
      "score"     Progress-8-like numerator (negatives allowed), denominator 1
      "exclusion" 0/1 numerator, denominator 1, plus `n_off_roll` rows (1, 0)
    `n_both_zero` rows with numerator 0 and denominator 0 are added (to be dropped).
    """
    rows = []
    width = len(str(n_clusters))
    for c in range(n_clusters):
        present = rng.random(len(years)) < p_present
        if not present.any():
            present[rng.integers(len(years))] = True
        base = rng.normal(0.0, 1.0)          # pupil-level persistent effect
        g = int(rng.random() < 0.4)
        first = True
        for y, here in zip(years, present):
            if not here:
                continue
            if not first and rng.random() < p_switch:
                g = 1 - g
            first = False
            post = int(y >= 202021)
            lin = base * 0.6 + 0.4 * g + 0.3 * post + effect * g * post
            if outcome == "absence":
                rate = 1.0 / (1.0 + math.exp(-(-2.7 + 0.5 * lin)))
                den = int(rng.integers(100, 331))
                num = int(rng.binomial(den, rate))
            elif outcome in ("binary", "exclusion"):
                prob = 1.0 / (1.0 + math.exp(-(-1.6 + lin)))
                den = 1
                num = int(rng.random() < prob)
            elif outcome == "score":
                den = 1
                num = round(-0.5 + 0.8 * lin + rng.normal(0.0, 1.1), 2)
            else:
                raise ValueError(outcome)
            rows.append({"cluster": f"{prefix}{c:0{width}d}", "year": int(y),
                         "group": g, "numerator": float(num),
                         "denominator": float(den)})
    # extra rows: both-zero (dropped) and off-roll exclusions (numerator 1, denominator 0)
    for kind, count in (("zero", n_both_zero), ("offroll", n_off_roll)):
        for _ in range(count):
            r = dict(rows[int(rng.integers(len(rows)))])
            if kind == "zero":
                r["numerator"], r["denominator"] = 0.0, 0.0
            else:
                r["numerator"], r["denominator"] = 1.0, 0.0
            # give it a year the cluster is not already in, if possible
            taken = {q["year"] for q in rows if q["cluster"] == r["cluster"]}
            free = [y for y in years if y not in taken]
            if free:
                r["year"] = int(free[int(rng.integers(len(free)))])
            rows.append(r)
    rows.sort(key=lambda q: (q["cluster"], q["year"]))
    return rows


def panel_arrays(rows, keep_years):
    """Filter rows (year in keep_years, not both zero) -> DataFrame."""
    df = pd.DataFrame(rows)
    df = df[df["year"].isin(keep_years)]
    df = df[~((df["numerator"] == 0) & (df["denominator"] == 0))]
    return df.reset_index(drop=True)


# --------------------------------------------------------------------------
# 1. wilson
# --------------------------------------------------------------------------

def wilson(s, n):
    """Reference: statsmodels.stats.proportion.proportion_confint(s, n, alpha=0.05,
    method="wilson").  estimate = s/n, standard_error = sqrt(p(1-p)/n)."""
    p = s / n
    lo, hi = proportion_confint(s, n, alpha=ALPHA, method="wilson")
    return {"estimate": float(p), "standard_error": float(math.sqrt(p * (1 - p) / n)),
            "lower": float(lo), "upper": float(hi)}


def cases_wilson():
    specs = [("newcombe_81_of_263", 81, 263), ("zero_successes", 0, 10),
             ("all_successes", 8, 8), ("small_1_of_3", 1, 3),
             ("newcombe_15_of_148", 15, 148), ("medium_173_of_400", 173, 400)]
    return [{"name": nm, "input": {"successes": s, "trials": n}, "output": wilson(s, n)}
            for nm, s, n in specs]


# --------------------------------------------------------------------------
# 2. ratio
# --------------------------------------------------------------------------

def ratio(rows):
    """Reference: statsmodels WLS(y=a/p, X=ones, weights=p).fit(cov_type="cluster",
    cov_kwds={"groups": np.arange(n)}) -> params[0], bse[0], conf_int() (normal).
    Cross-checked against the numpy estimating-equation sandwich (1e-12 relative).
    Rows with p == 0 cannot be expressed in statsmodels; then the numpy sandwich
    is used alone.  Returns (output, used_statsmodels)."""
    a = np.array([r[0] for r in rows], dtype=float)
    p = np.array([r[1] for r in rows], dtype=float)
    n = len(rows)
    X = np.ones((n, 1))
    beta, V, _, _ = sandwich(X, a, p, np.arange(n))
    close(beta[0], a.sum() / p.sum(), 1e-12, "ratio estimate")
    if np.all(p > 0):
        res = sm_cluster_wls(X, a, p, np.arange(n))
        check_sm_vs_sandwich(res, beta, V, 1e-12, "ratio")
        o = sm_coef_output(res, 0)
    else:
        o = coef_output(beta, V, 0)
    return {k: o[k] for k in ("estimate", "standard_error", "lower", "upper")}


def cases_ratio():
    out = []
    for nm, n in (("small_3", 3), ("small_7", 7), ("medium_60", 60), ("medium_400", 400)):
        rows = gen_sessions(n)
        out.append({"name": f"absence_{nm}", "input": {"rows": rows}, "output": ratio(rows)})
    rows = gen_binary_with_zero_denominators(120)
    out.append({"name": "exclusion_with_zero_denominators",
                "input": {"rows": rows,
                          "note": "rows with p = 0 and a = 1 (pupil off census roll): "
                                  "statsmodels cannot express this; numpy sandwich only"},
                "output": ratio(rows)})
    return out


# --------------------------------------------------------------------------
# 3. mean
# --------------------------------------------------------------------------

def mean(values):
    """Reference: statsmodels DescrStatsW(values).tconfint_mean(alpha=0.05);
    standard_error = sample sd (ddof=1) / sqrt(n)."""
    v = np.asarray(values, dtype=float)
    d = DescrStatsW(v)
    lo, hi = d.tconfint_mean(alpha=ALPHA)
    se = v.std(ddof=1) / math.sqrt(len(v))
    close(se, d.std_mean, 1e-12, "mean se")
    return {"estimate": float(v.mean()), "standard_error": float(se),
            "lower": float(lo), "upper": float(hi)}


def cases_mean():
    out = []
    for n in (2, 5, 8, 60, 300):
        v = gen_a8(n, zero_frac=0.0 if n <= 5 else 0.08)
        if n == 8:
            v[3] = 0.0
        out.append({"name": f"a8_n{n}", "input": {"values": v}, "output": mean(v)})
    return out


# --------------------------------------------------------------------------
# 4. progress8
# --------------------------------------------------------------------------

NATIONAL_SD = 1.414023


def progress8(values, sd):
    """DfE Progress 8 interval (no library reference): estimate = mean,
    standard_error = national_sd/sqrt(n), interval mean -/+ 1.96 * national_sd/sqrt(n)
    (1.96 exactly, not the normal quantile)."""
    v = np.asarray(values, dtype=float)
    m = float(v.mean())
    se = sd / math.sqrt(len(v))
    return {"estimate": m, "standard_error": float(se),
            "lower": float(m - 1.96 * se), "upper": float(m + 1.96 * se)}


def cases_progress8():
    out = []
    for n in (3, 6, 50, 180, 400):
        v = gen_p8(n)
        out.append({"name": f"p8_n{n}", "input": {"values": v, "national_sd": NATIONAL_SD},
                    "output": progress8(v, NATIONAL_SD)})
    return out


# --------------------------------------------------------------------------
# 5. gap_proportion
# --------------------------------------------------------------------------

def gap_proportion(s1, n1, s2, n2):
    """Reference: statsmodels.stats.proportion.test_proportions_2indep(s1, n1, s2, n2,
    method="wald", compare="diff") for statistic/p_value and
    confint_proportions_2indep(..., method="wald", compare="diff", alpha=0.05) for
    lower/upper.  statsmodels' "wald" is the unpooled Wald z test:
    (p1-p2)/sqrt(p1(1-p1)/n1 + p2(1-p2)/n2), two-sided normal p-value; this is
    asserted against estimate/standard_error."""
    p1, p2 = s1 / n1, s2 / n2
    est = p1 - p2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    t = test_proportions_2indep(s1, n1, s2, n2, method="wald", compare="diff")
    lo, hi = confint_proportions_2indep(s1, n1, s2, n2, method="wald", compare="diff",
                                        alpha=ALPHA)
    close(t.statistic, est / se, 1e-12, "gap_proportion statistic == diff/se")
    close(t.pvalue, 2 * st.norm.sf(abs(est / se)), 1e-12, "gap_proportion p")
    close([lo, hi], [est - Z * se, est + Z * se], 1e-12, "gap_proportion ci")
    return {"estimate": float(est), "standard_error": float(se),
            "statistic": float(t.statistic), "p_value": float(t.pvalue),
            "lower": float(lo), "upper": float(hi)}


def cases_gap_proportion():
    specs = [("newcombe_56_70_vs_48_80", 56, 70, 48, 80),
             ("zero_successes_group1", 0, 25, 6, 30),
             ("small_2_of_5_vs_4_of_6", 2, 5, 4, 6),
             ("medium_81_263_vs_120_310", 81, 263, 120, 310),
             ("equal_props_30_100_vs_60_200", 30, 100, 60, 200)]
    return [{"name": nm,
             "input": {"successes1": a, "trials1": b, "successes2": c, "trials2": d},
             "output": gap_proportion(a, b, c, d)} for nm, a, b, c, d in specs]


# --------------------------------------------------------------------------
# 6. gap_ratio
# --------------------------------------------------------------------------

def gap_ratio(rows1, rows2):
    """Reference: statsmodels WLS(y=a/p, X=[1, g], weights=p).fit(cov_type="cluster",
    cov_kwds={"groups": np.arange(n)}) (each row its own cluster); coefficient of g
    (= R1 - R2): params, bse, tvalues (z), pvalues (normal), conf_int.
    Cross-checked against the numpy sandwich; p == 0 rows -> numpy sandwich only."""
    rows = rows1 + rows2
    a = np.array([r[0] for r in rows], dtype=float)
    p = np.array([r[1] for r in rows], dtype=float)
    g = np.array([1.0] * len(rows1) + [0.0] * len(rows2))
    X = np.column_stack([np.ones(len(rows)), g])
    beta, V, _, _ = sandwich(X, a, p, np.arange(len(rows)))
    r1 = sum(r[0] for r in rows1) / sum(r[1] for r in rows1)
    r2 = sum(r[0] for r in rows2) / sum(r[1] for r in rows2)
    close(beta[1], r1 - r2, 1e-10, "gap_ratio estimate = R1 - R2")
    if np.all(p > 0):
        res = sm_cluster_wls(X, a, p, np.arange(len(rows)))
        check_sm_vs_sandwich(res, beta, V, 1e-12, "gap_ratio")
        return sm_coef_output(res, 1)
    return coef_output(beta, V, 1)


def cases_gap_ratio():
    out = []
    for nm, n1, n2 in (("small_3_vs_4", 3, 4), ("small_8_vs_6", 8, 6),
                       ("medium_50_vs_120", 50, 120), ("medium_300_vs_250", 300, 250)):
        r1 = gen_sessions(n1, rate_mean=0.09)
        r2 = gen_sessions(n2, rate_mean=0.06)
        out.append({"name": f"absence_{nm}", "input": {"rows1": r1, "rows2": r2},
                    "output": gap_ratio(r1, r2)})
    r1 = gen_binary_with_zero_denominators(90, p_num=0.2)
    r2 = gen_binary_with_zero_denominators(150, p_num=0.1)
    out.append({"name": "exclusion_with_zero_denominators",
                "input": {"rows1": r1, "rows2": r2,
                          "note": "rows with p = 0 and a = 1 (pupil off census roll): "
                                  "statsmodels cannot express this; numpy sandwich only"},
                "output": gap_ratio(r1, r2)})
    return out


# --------------------------------------------------------------------------
# 7. gap_mean
# --------------------------------------------------------------------------

def gap_mean(v1, v2):
    """Reference: scipy.stats.ttest_ind(v1, v2, equal_var=False) for statistic/p_value;
    statsmodels CompareMeans(DescrStatsW(v1), DescrStatsW(v2)).tconfint_diff(alpha=0.05,
    usevar="unequal") for lower/upper; df = Welch-Satterthwaite."""
    a = np.asarray(v1, dtype=float)
    b = np.asarray(v2, dtype=float)
    q1, q2 = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(q1 + q2)
    df = (q1 + q2) ** 2 / (q1 ** 2 / (len(a) - 1) + q2 ** 2 / (len(b) - 1))
    t = st.ttest_ind(a, b, equal_var=False)
    cm = CompareMeans(DescrStatsW(a), DescrStatsW(b))
    lo, hi = cm.tconfint_diff(alpha=ALPHA, usevar="unequal")
    est = a.mean() - b.mean()
    close(t.statistic, est / se, 1e-12, "welch t")
    close(t.df, df, 1e-12, "welch df")
    return {"estimate": float(est), "standard_error": float(se),
            "statistic": float(t.statistic), "p_value": float(t.pvalue),
            "lower": float(lo), "upper": float(hi), "df": float(df)}


def cases_gap_mean():
    out = []
    for n1, n2 in ((3, 4), (5, 8), (60, 45), (150, 300), (400, 80)):
        v1 = gen_a8(n1, zero_frac=0.0 if n1 <= 5 else 0.06)
        v2 = [float(round(x + 4.0, 1)) if x > 0 else 0.0
              for x in gen_a8(n2, zero_frac=0.0 if n2 <= 8 else 0.06)]
        out.append({"name": f"a8_n{n1}_vs_n{n2}", "input": {"values1": v1, "values2": v2},
                    "output": gap_mean(v1, v2)})
    return out


# --------------------------------------------------------------------------
# 8. gap_progress8
# --------------------------------------------------------------------------

def gap_progress8(v1, v2, sd):
    """No library call beyond scipy.stats.norm: estimate = mean1 - mean2,
    standard_error = sd*sqrt(1/n1+1/n2), statistic = estimate/se,
    p_value = 2*norm.sf(|statistic|), interval estimate -/+ norm.ppf(0.975)*se."""
    a = np.asarray(v1, dtype=float)
    b = np.asarray(v2, dtype=float)
    se = sd * math.sqrt(1.0 / len(a) + 1.0 / len(b))
    return normal_test(a.mean() - b.mean(), se)


def cases_gap_progress8():
    out = []
    for n1, n2 in ((3, 5), (7, 4), (50, 200), (250, 400), (120, 90)):
        v1 = gen_p8(n1, mu=-0.6)
        v2 = gen_p8(n2, mu=0.1, sd=1.2)
        out.append({"name": f"p8_n{n1}_vs_n{n2}",
                    "input": {"values1": v1, "values2": v2, "national_sd": NATIONAL_SD},
                    "output": gap_progress8(v1, v2, NATIONAL_SD)})
    return out


# --------------------------------------------------------------------------
# 9. did
# --------------------------------------------------------------------------

def did(rows, pre, post):
    """Reference: statsmodels WLS(y=numerator/denominator, X=[1, group, post,
    group*post], weights=denominator).fit(cov_type="cluster",
    cov_kwds={"groups": cluster codes}); interaction coefficient params/bse/tvalues/
    pvalues/conf_int (normal).  Rows with year outside pre+post, or numerator ==
    denominator == 0, are dropped first.  Cross-checked against the numpy sandwich
    (1e-10 relative); cases with denominator-0 rows use the numpy sandwich only."""
    df = panel_arrays(rows, list(pre) + list(post))
    g = df["group"].to_numpy(float)
    po = df["year"].isin(post).to_numpy(float)
    X = np.column_stack([np.ones(len(df)), g, po, g * po])
    a = df["numerator"].to_numpy(float)
    p = df["denominator"].to_numpy(float)
    beta, V, N, G = sandwich(X, a, p, df["cluster"].to_numpy())
    if np.all(p > 0):
        res = sm_cluster_wls(X, a, p, df["cluster"].to_numpy())
        check_sm_vs_sandwich(res, beta, V, 1e-10, "did")
        o = sm_coef_output(res, 3)
    else:
        o = coef_output(beta, V, 3)
    o["rows_used"] = int(N)
    o["clusters_used"] = int(G)
    return o


def cases_did():
    out = []
    # (a) absence-like
    years = [201819, 201920, 202122, 202223, 202324]
    pre, post = [201819], [202122, 202223, 202324]
    rows = gen_panel(170, years, "absence", p_present=0.65, effect=0.3, n_both_zero=4)
    out.append({"name": "absence_sessions",
                "input": {"rows": rows, "pre": pre, "post": post},
                "output": did(rows, pre, post)})
    # (b) binary LPM, persistent-absence-like
    years = [201718, 201819, 202021, 202122, 202223]
    pre, post = [201718, 201819], [202122, 202223]
    rows = gen_panel(160, years, "binary", p_present=0.7, effect=0.4, n_both_zero=3)
    out.append({"name": "binary_persistent_absence",
                "input": {"rows": rows, "pre": pre, "post": post},
                "output": did(rows, pre, post)})
    # (c) mean-like (Progress 8-like score, denominator 1)
    years = [201819, 202122, 202223, 202324]
    pre, post = [201819], [202122, 202223, 202324]
    rows = gen_panel(180, years, "score", p_present=0.75, effect=-0.2, p_switch=0.15)
    out.append({"name": "score_progress8_like",
                "input": {"rows": rows, "pre": pre, "post": post},
                "output": did(rows, pre, post)})
    # (d) exclusions-like with denominator-0 rows
    years = [201718, 201819, 202122, 202223]
    pre, post = [201718, 201819], [202122, 202223]
    rows = gen_panel(170, years, "exclusion", p_present=0.75, effect=0.3,
                     n_both_zero=5, n_off_roll=25)
    out.append({"name": "exclusions_with_zero_denominators",
                "input": {"rows": rows, "pre": pre, "post": post,
                          "note": "includes rows with denominator 0 and numerator 1 (off "
                                  "census roll): statsmodels cannot express this; numpy "
                                  "sandwich only"},
                "output": did(rows, pre, post)})
    # (e) small: 12 clusters
    years = [201819, 202122, 202223]
    pre, post = [201819], [202122, 202223]
    rows = gen_panel(12, years, "absence", p_present=0.9, effect=0.3, p_switch=0.2)
    out.append({"name": "small_12_clusters",
                "input": {"rows": rows, "pre": pre, "post": post},
                "output": did(rows, pre, post)})
    return out


# --------------------------------------------------------------------------
# 10. event_study
# --------------------------------------------------------------------------

def event_study(rows, base, years):
    """Reference: statsmodels WLS(y=numerator/denominator, X=[1, group, year dummies
    (years != base), group x each dummy], weights=denominator).fit(cov_type="cluster",
    cov_kwds={"groups": cluster codes}); group x year coefficients, sorted by year.
    Rows outside `years` or with numerator == denominator == 0 are dropped.
    Cross-checked against the numpy sandwich (1e-10); denominator-0 cases use the
    numpy sandwich only."""
    df = panel_arrays(rows, years)
    others = sorted(y for y in years if y != base)
    g = df["group"].to_numpy(float)
    D = np.column_stack([(df["year"] == y).to_numpy(float) for y in others])
    X = np.column_stack([np.ones(len(df)), g, D, g[:, None] * D])
    a = df["numerator"].to_numpy(float)
    p = df["denominator"].to_numpy(float)
    beta, V, N, G = sandwich(X, a, p, df["cluster"].to_numpy())
    res = None
    if np.all(p > 0):
        res = sm_cluster_wls(X, a, p, df["cluster"].to_numpy())
        check_sm_vs_sandwich(res, beta, V, 1e-10, "event_study")
    k0 = 2 + len(others)
    out = []
    for i, y in enumerate(others):
        j = k0 + i
        o = sm_coef_output(res, j) if res is not None else coef_output(beta, V, j)
        o["year"] = int(y)
        out.append(o)
    return {"years": out, "rows_used": int(N), "clusters_used": int(G)}


def cases_event_study():
    out = []
    gen_years = [201718, 201819, 201920, 202122, 202223]
    years = [201718, 201819, 202122, 202223]
    rows = gen_panel(150, gen_years, "absence", p_present=0.75, effect=0.3, n_both_zero=3)
    out.append({"name": "absence_sessions",
                "input": {"rows": rows, "base": 201819, "years": years},
                "output": event_study(rows, 201819, years)})
    gen_years = [201819, 202021, 202122, 202223, 202324]
    years = [201819, 202122, 202223, 202324]
    rows = gen_panel(150, gen_years, "binary", p_present=0.7, effect=0.4, n_both_zero=2)
    out.append({"name": "binary_persistent_absence",
                "input": {"rows": rows, "base": 201819, "years": years},
                "output": event_study(rows, 201819, years)})
    years = [201718, 201819, 202122, 202223]
    rows = gen_panel(150, years, "exclusion", p_present=0.75, effect=0.3,
                     n_both_zero=3, n_off_roll=20)
    out.append({"name": "exclusions_with_zero_denominators",
                "input": {"rows": rows, "base": 201819, "years": years,
                          "note": "includes rows with denominator 0 and numerator 1 (off "
                                  "census roll): statsmodels cannot express this; numpy "
                                  "sandwich only"},
                "output": event_study(rows, 201819, years)})
    return out


# --------------------------------------------------------------------------
# 11. bh
# --------------------------------------------------------------------------

def bh(pvals):
    """Reference: statsmodels.stats.multitest.multipletests(p, alpha=0.05,
    method="fdr_bh")[1] (Benjamini-Hochberg adjusted p-values, input order)."""
    return {"adjusted": fl(multipletests(np.asarray(pvals, float), alpha=0.05,
                                         method="fdr_bh")[1])}


def cases_bh():
    specs = [
        ("single", [0.03]),
        ("ties_and_one", [0.01, 0.04, 0.04, 0.04, 1.0, 0.002]),
        ("tiny_values", [1e-300, 3.2e-12, 0.5, 7e-9, 0.049, 0.051, 1.0]),
        ("unsorted_with_ties", [0.8, 0.02, 0.3, 0.02, 0.001, 0.6, 0.3, 0.045, 1.0, 0.0]),
        ("random_40", [float(x) for x in np.round(rng.beta(0.5, 2.0, size=40), 4)]),
    ]
    return [{"name": nm, "input": {"p_values": [float(x) for x in p]}, "output": bh(p)}
            for nm, p in specs]


# --------------------------------------------------------------------------

def check_types(x, path="$"):
    """Make sure no numpy scalar types (np.float64 subclasses float!) leak into JSON."""
    if isinstance(x, dict):
        for k, v in x.items():
            assert type(k) is str, path
            check_types(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            check_types(v, f"{path}[{i}]")
    else:
        assert type(x) in (str, int, float, bool), f"{path}: {type(x)}"
        if type(x) is float:
            assert math.isfinite(x), path


def main():
    doc = {
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "statsmodels": statsmodels.__version__,
                     "pandas": pd.__version__, "seed": SEED},
        "confidence": CONFIDENCE,
        "z": Z,
    }
    for name, fn in (("wilson", cases_wilson), ("ratio", cases_ratio),
                     ("mean", cases_mean), ("progress8", cases_progress8),
                     ("gap_proportion", cases_gap_proportion), ("gap_ratio", cases_gap_ratio),
                     ("gap_mean", cases_gap_mean), ("gap_progress8", cases_gap_progress8),
                     ("did", cases_did), ("event_study", cases_event_study),
                     ("bh", cases_bh)):
        doc[name] = fn()
    check_types(doc)
    text = json.dumps(doc, indent=1, sort_keys=True, allow_nan=False) + "\n"
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
