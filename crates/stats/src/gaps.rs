//! The gap between a group and the rest of the pupils (every pupil outside it), each
//! with its test of "no gap". The two samples are disjoint, so a plain two-sample test
//! applies. The gap to all pupils (the group among them) is the same contrast scaled by
//! 1 − s, s the group's share of the denominator (`Estimate::scaled`): for a ratio of
//! sums R_all = s R_group + (1 − s) R_rest, so R_group − R_all = (1 − s)(R_group − R_rest).

use crate::distribution::{normal_p_value, normal_quantile, t_p_value, t_quantile};
use crate::{Distribution, Estimate, MeanSums, RatioSums, StatsError, Test};

/// The difference of two proportions p₁ − p₂ with the Wald (unpooled) standard error
/// √(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂), a normal interval and z test (statsmodels
/// `test_proportions_2indep` and `confint_proportions_2indep`, `method="wald"`,
/// `compare="diff"`). `None` when either side has no pupils.
pub fn proportion_gap(
    group: (u64, u64),
    rest: (u64, u64),
    confidence: f64,
) -> Result<Option<Estimate>, StatsError> {
    let z = normal_quantile(confidence)?;
    for (successes, trials) in [group, rest] {
        if successes > trials {
            return Err(StatsError::ImpossibleProportion { successes, trials });
        }
    }
    if group.1 == 0 || rest.1 == 0 {
        return Ok(None);
    }
    let share = |(successes, trials): (u64, u64)| successes as f64 / trials as f64;
    let (first, second) = (share(group), share(rest));
    let variance = first * (1.0 - first) / group.1 as f64 + second * (1.0 - second) / rest.1 as f64;
    Ok(Some(with_normal_test(first - second, variance.sqrt(), z)))
}

/// The difference of two ratios of sums R₁ − R₂, estimated as the coefficient of group
/// membership in a weighted least-squares fit of each pupil's aᵢ/pᵢ on (1, group),
/// weighted by pᵢ, with pupil-clustered standard errors as statsmodels computes them
/// (`cov_type="cluster"`: the factor G/(G−1)·(N−1)/(N−K), N = G = n₁ + n₂ pupils, K = 2,
/// and the normal distribution):
///
/// V = G/(G−1)·(N−1)/(N−2) · (Σ₁(a − R₁p)²/(Σ₁p)² + Σ₂(a − R₂p)²/(Σ₂p)²).
///
/// `None` when either side has no denominator or there are fewer than three pupils.
pub fn ratio_gap(
    group: &RatioSums,
    rest: &RatioSums,
    confidence: f64,
) -> Result<Option<Estimate>, StatsError> {
    let z = normal_quantile(confidence)?;
    if group.denominator <= 0.0 || rest.denominator <= 0.0 {
        return Ok(None);
    }
    let clusters = (group.n + rest.n) as f64;
    if clusters < 3.0 {
        return Ok(None);
    }
    let factor = clusters / (clusters - 1.0) * (clusters - 1.0) / (clusters - 2.0);
    let variance = factor
        * (group.residual_squares() / (group.denominator * group.denominator)
            + rest.residual_squares() / (rest.denominator * rest.denominator));
    Ok(Some(with_normal_test(
        group.ratio() - rest.ratio(),
        variance.sqrt(),
        z,
    )))
}

/// The difference of two mean scores x̄₁ − x̄₂ by Welch's t test (unequal variances):
/// standard error √(s₁²/n₁ + s₂²/n₂), Welch–Satterthwaite degrees of freedom
/// ν = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1)), a t(ν) interval and
/// test (scipy `ttest_ind(equal_var=False)`, statsmodels
/// `CompareMeans.tconfint_diff(usevar="unequal")`). `None` with fewer than two pupils
/// on a side, or no spread on either.
pub fn mean_gap(
    group: &MeanSums,
    rest: &MeanSums,
    confidence: f64,
) -> Result<Option<Estimate>, StatsError> {
    if group.n < 2 || rest.n < 2 {
        return Ok(None);
    }
    let first = group.variance() / group.n as f64;
    let second = rest.variance() / rest.n as f64;
    let variance = first + second;
    if variance <= 0.0 {
        return Ok(None);
    }
    let degrees_of_freedom = variance * variance
        / (first * first / (group.n as f64 - 1.0) + second * second / (rest.n as f64 - 1.0));
    let difference = group.mean() - rest.mean();
    let standard_error = variance.sqrt();
    let critical = t_quantile(confidence, degrees_of_freedom)?;
    let statistic = difference / standard_error;
    Ok(Some(Estimate {
        test: Some(Test {
            statistic,
            p_value: t_p_value(statistic, degrees_of_freedom)?,
            distribution: Distribution::StudentT(degrees_of_freedom),
        }),
        ..Estimate::symmetric(difference, standard_error, critical)
    }))
}

/// The difference of two mean Progress 8 scores with the national standard deviation σ
/// as the pupils' spread (as DfE's own Progress 8 interval takes it): standard error
/// σ √(1/n₁ + 1/n₂), a normal interval and z test. `None` when a side has no pupils.
pub fn progress8_gap(
    group: (u64, f64),
    rest: (u64, f64),
    national_sd: f64,
    confidence: f64,
) -> Result<Option<Estimate>, StatsError> {
    let z = normal_quantile(confidence)?;
    if group.0 == 0 || rest.0 == 0 {
        return Ok(None);
    }
    let (first, second) = (group.0 as f64, rest.0 as f64);
    let difference = group.1 / first - rest.1 / second;
    let standard_error = national_sd * (1.0 / first + 1.0 / second).sqrt();
    Ok(Some(with_normal_test(difference, standard_error, z)))
}

/// A normal interval and z test for a difference.
/// Without spread (a standard error of 0) there is no test.
pub(crate) fn with_normal_test(difference: f64, standard_error: f64, critical: f64) -> Estimate {
    let statistic = difference / standard_error;
    Estimate {
        test: (standard_error > 0.0 && statistic.is_finite()).then(|| Test {
            statistic,
            p_value: normal_p_value(statistic),
            distribution: Distribution::Normal,
        }),
        ..Estimate::symmetric(difference, standard_error, critical)
    }
}
