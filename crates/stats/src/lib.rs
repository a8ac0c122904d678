//! Statistics for the measures: the estimates that answer the evaluation's questions,
//! computed from the sufficient statistics the measure queries return and from
//! pupil-level rows. Plain Rust types in and out: no Arrow, no IO, nothing of cwsw's own.
//! Every method equals statsmodels/scipy on fixed inputs (`tests/oracle/`).
//!
//! - `intervals`: one group's figure: Wilson, the ratio estimator, t, Progress 8.
//! - `gaps`: a group against the rest of the pupils, with its test.
//! - `contrasts`: the difference in differences of a gap and the event study, at the
//!   pupil level with pupil-clustered standard errors.
//! - `multiple`: Benjamini–Hochberg over a family of tests.
//!
//! ```
//! let estimate = cwsw_stats::proportion(30, 100, 0.95).expect("a possible proportion").expect("pupils");
//! assert!(estimate.lower < 0.30 && 0.30 < estimate.upper);
//! ```

mod contrasts;
mod distribution;
mod estimate;
mod gaps;
mod intervals;
mod multiple;

pub use contrasts::{
    Changes, Contrast, Periods, PupilYear, changes, changes_in_cluster_order,
    difference_in_differences, event_study,
};
pub use estimate::{Distribution, Estimate, Test};
pub use gaps::{mean_gap, progress8_gap, proportion_gap, ratio_gap};
pub use intervals::{MeanSums, PROGRESS8_CRITICAL, RatioSums, mean, progress8, proportion, ratio};
pub use multiple::benjamini_hochberg;

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
    /// Student's t needs positive degrees of freedom.
    #[error("{0} degrees of freedom: Student's t needs a positive number")]
    DegreesOfFreedom(f64),
    /// An event study's base year must be among its years.
    #[error("the base year {0} is not among the event study's years")]
    BaseYear(i32),
    /// A DiD period's year must be among the fit's years.
    #[error("the period year {0} is not among the fit's years")]
    PeriodYear(i32),
    /// Rows said to be in cluster order were not.
    #[error("cluster {0} comes after a larger cluster: the rows are not in cluster order")]
    ClusterOrder(u64),
}

/// An estimate with a two-sided confidence interval, all as proportions (0–1), clipped
/// to [0, 1]: the form publish shows beside a rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Interval {
    fn clipped(estimate: Estimate) -> Self {
        Self {
            estimate: estimate.estimate,
            lower: estimate.lower.max(0.0),
            upper: estimate.upper.min(1.0),
        }
    }
}

/// The Wilson interval of `proportion`, clipped to [0, 1]. `None` with no trials.
pub fn wilson(
    successes: u64,
    trials: u64,
    confidence: f64,
) -> Result<Option<Interval>, StatsError> {
    Ok(proportion(successes, trials, confidence)?.map(Interval::clipped))
}

/// The ratio estimator's interval (`ratio`), clipped to [0, 1]. `None` when Σp = 0.
pub fn ratio_interval(sums: &RatioSums, confidence: f64) -> Result<Option<Interval>, StatsError> {
    Ok(ratio(sums, confidence)?.map(Interval::clipped))
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

    #[test]
    fn a_gap_to_all_pupils_is_the_gap_to_the_rest_scaled() {
        // 20 of 100 in the group, 100 of 900 in the rest: all pupils 120/1000.
        let rest = proportion_gap((20, 100), (100, 900), 0.95)
            .expect("valid")
            .expect("pupils");
        let all = rest.scaled(0.9);
        assert!((all.estimate - (0.20 - 0.12)).abs() < 1e-12);
        assert_eq!(
            all.test.map(|test| test.p_value),
            rest.test.map(|test| test.p_value)
        );
    }

    #[test]
    fn a_difference_in_differences_is_the_change_in_the_cells_gap() {
        // Two pupils in the group, two in the rest, one year each side: gap pre
        // 0.3 − 0.1, post 0.2 − 0.1, so the DiD is −0.1.
        let row = |cluster, year, in_group, numerator| PupilYear {
            cluster,
            year,
            in_group,
            numerator,
            denominator: 10.0,
        };
        let rows = [
            row(1, 201819, true, 3.0),
            row(2, 201819, false, 1.0),
            row(3, 201819, true, 3.0),
            row(4, 201819, false, 1.0),
            row(1, 202122, true, 2.0),
            row(2, 202122, false, 1.0),
            row(3, 202122, true, 2.0),
            row(4, 202122, false, 1.0),
        ];
        let periods = Periods {
            pre: vec![201819],
            post: vec![202122],
        };
        let did = difference_in_differences(&rows, &periods, 0.95)
            .expect("valid")
            .expect("cells");
        assert!((did.estimate.estimate + 0.1).abs() < 1e-12, "{did:?}");
        assert_eq!((did.rows, did.clusters), (8, 4));
    }

    #[test]
    fn benjamini_hochberg_by_hand() {
        // Sorted 0.01, 0.03, 0.04, 0.5: m p / rank = 0.04, 0.06, 0.0533, 0.5, then the
        // running minimum from the largest down.
        let adjusted = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.5]);
        let expected = [
            0.04,
            0.053_333_333_333_333_33,
            0.053_333_333_333_333_33,
            0.5,
        ];
        for (got, want) in adjusted.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{adjusted:?}");
        }
    }
}
