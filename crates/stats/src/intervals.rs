//! Intervals for one group's figure: Wilson for a proportion of pupils, the ratio
//! estimator for a rate of sessions (or of pupils, when the numerator can count pupils
//! outside the denominator), t for a mean score, and DfE's own for Progress 8.

use crate::distribution::{normal_quantile, t_quantile};
use crate::{Estimate, StatsError};

/// The per-pupil sums a ratio of sums needs: n, Σa, Σp, Σa², Σp², Σap, where a is a
/// pupil's numerator (absence sessions) and p its denominator (possible sessions).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RatioSums {
    /// Pupils with a numerator or a denominator (the clusters).
    pub n: u64,
    /// Σ numerator.
    pub numerator: f64,
    /// Σ denominator.
    pub denominator: f64,
    /// Σ numerator².
    pub numerator_squared: f64,
    /// Σ denominator².
    pub denominator_squared: f64,
    /// Σ numerator × denominator.
    pub cross: f64,
}

impl RatioSums {
    /// The sums of the pupils in `self` and not in `part` (the rest of the pupils, when
    /// `self` is all pupils and `part` a group among them); `None` when `part` is not
    /// contained in `self`.
    pub fn minus(&self, part: &Self) -> Option<Self> {
        let difference = Self {
            n: self.n.checked_sub(part.n)?,
            numerator: self.numerator - part.numerator,
            denominator: self.denominator - part.denominator,
            numerator_squared: self.numerator_squared - part.numerator_squared,
            denominator_squared: self.denominator_squared - part.denominator_squared,
            cross: self.cross - part.cross,
        };
        (difference.numerator >= 0.0 && difference.denominator >= 0.0).then_some(difference)
    }

    /// R = Σa / Σp.
    pub(crate) fn ratio(&self) -> f64 {
        self.numerator / self.denominator
    }

    /// Σ(aᵢ − R pᵢ)² = Σa² − 2RΣap + R²Σp², never below 0.
    pub(crate) fn residual_squares(&self) -> f64 {
        let ratio = self.ratio();
        (self.numerator_squared - 2.0 * ratio * self.cross
            + ratio * ratio * self.denominator_squared)
            .max(0.0)
    }
}

/// Sufficient statistics of a mean: n, Σx, Σx².
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MeanSums {
    /// Pupils.
    pub n: u64,
    /// Σx.
    pub sum: f64,
    /// Σx².
    pub sum_squared: f64,
}

impl MeanSums {
    /// The pupils in `self` and not in `part`; `None` when `part` is not contained in it.
    pub fn minus(&self, part: &Self) -> Option<Self> {
        Some(Self {
            n: self.n.checked_sub(part.n)?,
            sum: self.sum - part.sum,
            sum_squared: (self.sum_squared - part.sum_squared).max(0.0),
        })
    }

    pub(crate) fn mean(&self) -> f64 {
        self.sum / self.n as f64
    }

    /// The sample variance s² = (Σx² − n x̄²) / (n − 1).
    pub(crate) fn variance(&self) -> f64 {
        let n = self.n as f64;
        let mean = self.mean();
        ((self.sum_squared - n * mean * mean) / (n - 1.0)).max(0.0)
    }
}

/// Wilson score interval for a proportion of pupils p̂ = s/n (Wilson 1927; Newcombe 1998,
/// method 3; statsmodels `proportion_confint(method="wilson")`):
///
/// centre = (p̂ + z²/2n) / (1 + z²/n), half-width = z √(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n),
///
/// with standard error √(p̂(1−p̂)/n). `None` when there are no pupils (`z` in EES terms).
pub fn proportion(
    successes: u64,
    trials: u64,
    confidence: f64,
) -> Result<Option<Estimate>, StatsError> {
    if successes > trials {
        return Err(StatsError::ImpossibleProportion { successes, trials });
    }
    let z = normal_quantile(confidence)?;
    if trials == 0 {
        return Ok(None);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let scale = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / scale;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / scale;
    Ok(Some(Estimate {
        estimate: p,
        standard_error: (p * (1.0 - p) / n).sqrt(),
        lower: centre - half,
        upper: centre + half,
        test: None,
    }))
}

/// The ratio estimator R = Σa / Σp with the pupil as the unit (Cochran 1977, §6.4): its
/// linearisation (delta-method) variance
///
/// V(R) = n/(n−1) · Σ(aᵢ − R pᵢ)² / (Σp)²,
///
/// which is exactly the variance of a weighted least-squares fit of aᵢ/pᵢ on a constant,
/// weighted by pᵢ, with pupil-clustered standard errors as statsmodels computes them
/// (`WLS(...).fit(cov_type="cluster")`, its small-sample factor G/(G−1)·(N−1)/(N−K) with
/// N = G = n and K = 1). A pupil with a numerator and no denominator (excluded while off
/// the spring roll) counts in n and Σa. Normal interval R ± z √V. `None` when Σp = 0;
/// standard error 0 when n < 2.
pub fn ratio(sums: &RatioSums, confidence: f64) -> Result<Option<Estimate>, StatsError> {
    let z = normal_quantile(confidence)?;
    if sums.denominator <= 0.0 {
        return Ok(None);
    }
    let ratio = sums.ratio();
    if sums.n < 2 {
        return Ok(Some(Estimate::symmetric(ratio, 0.0, z)));
    }
    let n = sums.n as f64;
    let variance = n / (n - 1.0) * sums.residual_squares() / (sums.denominator * sums.denominator);
    Ok(Some(Estimate::symmetric(ratio, variance.sqrt(), z)))
}

/// A mean score x̄ (Attainment 8, EBacc APS) with its t interval: x̄ ± t(n−1) · s/√n,
/// s² the sample variance (statsmodels `DescrStatsW.tconfint_mean`). `None` with no
/// pupils; standard error 0 with one.
pub fn mean(sums: &MeanSums, confidence: f64) -> Result<Option<Estimate>, StatsError> {
    if sums.n == 0 {
        return Ok(None);
    }
    if sums.n == 1 {
        return Ok(Some(Estimate::symmetric(sums.mean(), 0.0, 0.0)));
    }
    let n = sums.n as f64;
    let standard_error = (sums.variance() / n).sqrt();
    let critical = t_quantile(confidence, n - 1.0)?;
    Ok(Some(Estimate::symmetric(
        sums.mean(),
        standard_error,
        critical,
    )))
}

/// DfE's Progress 8 interval: the mean P8 score ± 1.96 σ / √n, with σ the national
/// standard deviation of pupil P8 scores for the year (domain.md §2, KS4; DfE secondary
/// accountability measures guide; `p8_national_sd` in the dictionary's parameters). DfE
/// uses 1.96 itself, not a quantile at another level. `None` with no pupils.
pub fn progress8(n: u64, sum: f64, national_sd: f64) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    Some(Estimate::symmetric(
        sum / n,
        national_sd / n.sqrt(),
        PROGRESS8_CRITICAL,
    ))
}

/// The multiplier DfE's Progress 8 interval uses.
pub const PROGRESS8_CRITICAL: f64 = 1.96;
