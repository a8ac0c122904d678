//! Statistics for the measures: intervals for proportions of pupils and for session
//! rates, computed from the sufficient statistics the measure queries return.
//! Depends on nothing of cwsw's own.
//!
//! ```
//! let interval = cwsw_stats::wilson(30, 100, 0.95).expect("a possible proportion").expect("trials");
//! assert!(interval.lower < 0.30 && 0.30 < interval.upper);
//! ```

use statrs::distribution::{ContinuousCDF, Normal};

/// What can go wrong computing a statistic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// A proportion needs successes ≤ trials.
    #[error("a proportion of {successes} out of {trials} is not possible")]
    ImpossibleProportion {
        /// Successes.
        successes: u64,
        /// Trials.
        trials: u64,
    },
    /// The confidence level must lie strictly between 0 and 1.
    #[error("confidence level {0} is not between 0 and 1")]
    Confidence(f64),
}

/// An estimate with a two-sided confidence interval, all as proportions (0–1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

fn z_value(confidence: f64) -> Result<f64, StatsError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(StatsError::Confidence(confidence));
    }
    let normal = Normal::standard();
    Ok(normal.inverse_cdf(1.0 - (1.0 - confidence) / 2.0))
}

/// Wilson score interval for a proportion of pupils (Wilson 1927; Newcombe 1998,
/// method 3):
///
/// centre = (p̂ + z²/2n) / (1 + z²/n),
/// half-width = z √(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n).
///
/// Returns `None` when there are no trials (the rate is `z` in EES terms).
pub fn wilson(
    successes: u64,
    trials: u64,
    confidence: f64,
) -> Result<Option<Interval>, StatsError> {
    if successes > trials {
        return Err(StatsError::ImpossibleProportion { successes, trials });
    }
    if trials == 0 {
        return Ok(None);
    }
    let z = z_value(confidence)?;
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Ok(Some(Interval {
        estimate: p,
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    }))
}

/// The per-pupil sums a ratio of sessions needs: Σa, Σp, Σa², Σp², Σap over n pupils.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RatioSums {
    /// Pupils.
    pub n: u64,
    /// Σ numerator (absence sessions).
    pub numerator: f64,
    /// Σ denominator (possible sessions).
    pub denominator: f64,
    /// Σ numerator².
    pub numerator_squared: f64,
    /// Σ denominator².
    pub denominator_squared: f64,
    /// Σ numerator × denominator.
    pub cross: f64,
}

/// Interval for a ratio of sums R = Σa/Σp with the pupil as the unit: the
/// linearisation (delta-method) variance of the ratio estimator (Cochran 1977, §6.4),
///
/// V(R) = n / (n−1) · Σ(aᵢ − R pᵢ)² / (Σp)², with Σ(a − Rp)² = Σa² − 2RΣap + R²Σp²,
///
/// and a normal interval clipped to [0, 1]. `None` when Σp = 0; a point interval
/// when n < 2.
pub fn ratio_interval(sums: &RatioSums, confidence: f64) -> Result<Option<Interval>, StatsError> {
    if sums.denominator <= 0.0 {
        return Ok(None);
    }
    let z = z_value(confidence)?;
    let ratio = sums.numerator / sums.denominator;
    if sums.n < 2 {
        return Ok(Some(Interval {
            estimate: ratio,
            lower: ratio,
            upper: ratio,
        }));
    }
    let n = sums.n as f64;
    let residual = (sums.numerator_squared - 2.0 * ratio * sums.cross
        + ratio * ratio * sums.denominator_squared)
        .max(0.0);
    let variance = n / (n - 1.0) * residual / (sums.denominator * sums.denominator);
    let half = z * variance.sqrt();
    Ok(Some(Interval {
        estimate: ratio,
        lower: (ratio - half).max(0.0),
        upper: (ratio + half).min(1.0),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_newcombe() {
        // Newcombe (1998) table I: 81/263 gives 0.2553 to 0.3662.
        let interval = wilson(81, 263, 0.95).expect("valid").expect("trials");
        assert!((interval.lower - 0.2553).abs() < 5e-4, "{interval:?}");
        assert!((interval.upper - 0.3662).abs() < 5e-4, "{interval:?}");
        // 0/10: 0 to 0.2775.
        let interval = wilson(0, 10, 0.95).expect("valid").expect("trials");
        assert!(interval.lower.abs() < 1e-12);
        assert!((interval.upper - 0.2775).abs() < 5e-4);
        assert_eq!(wilson(0, 0, 0.95), Ok(None));
        assert!(wilson(3, 2, 0.95).is_err());
    }

    #[test]
    fn ratio_interval_by_hand() {
        // Three pupils: absent 10/100, 20/100, 0/50. R = 30/250 = 0.12.
        let rows = [(10.0, 100.0), (20.0, 100.0), (0.0, 50.0)];
        let sums = RatioSums {
            n: 3,
            numerator: 30.0,
            denominator: 250.0,
            numerator_squared: rows.iter().map(|(a, _)| a * a).sum(),
            denominator_squared: rows.iter().map(|(_, p)| p * p).sum(),
            cross: rows.iter().map(|(a, p)| a * p).sum(),
        };
        let interval = ratio_interval(&sums, 0.95)
            .expect("valid")
            .expect("sessions");
        // Residuals: 10-12 = -2, 20-12 = 8, 0-6 = -6; Σ² = 104; V = 1.5·104/62500.
        let expected_half = 1.959_963_985 * (1.5_f64 * 104.0 / 62_500.0).sqrt();
        assert!((interval.estimate - 0.12).abs() < 1e-12);
        assert!((interval.upper - (0.12 + expected_half)).abs() < 1e-9);
    }
}
