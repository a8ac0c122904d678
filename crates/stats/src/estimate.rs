//! What every method returns: a point estimate, its standard error, a 95% (or other)
//! interval and, for a comparison, the test of "no difference".

/// An estimate with its standard error and two-sided interval, in the unit of the data
/// (a proportion 0–1, a rate of sessions 0–1, points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Point estimate.
    pub estimate: f64,
    /// Standard error.
    pub standard_error: f64,
    /// Lower bound of the interval.
    pub lower: f64,
    /// Upper bound of the interval.
    pub upper: f64,
    /// The test that the true value is 0, for a difference; `None` for a level.
    pub test: Option<Test>,
}

/// A test statistic and its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Test {
    /// z or t statistic: the estimate over its standard error.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// The reference distribution.
    pub distribution: Distribution,
}

/// The distribution a statistic is referred to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Standard normal.
    Normal,
    /// Student's t with these degrees of freedom.
    StudentT(f64),
}

impl Estimate {
    /// An estimate with a symmetric interval `estimate ± critical × standard_error`.
    pub(crate) fn symmetric(estimate: f64, standard_error: f64, critical: f64) -> Self {
        Self {
            estimate,
            standard_error,
            lower: estimate - critical * standard_error,
            upper: estimate + critical * standard_error,
            test: None,
        }
    }

    /// The same estimate scaled by `factor` (a unit change, or the gap to all pupils as
    /// a multiple of the gap to the rest); the test is unchanged by a positive factor.
    pub fn scaled(&self, factor: f64) -> Self {
        let (lower, upper) = if factor >= 0.0 {
            (self.lower * factor, self.upper * factor)
        } else {
            (self.upper * factor, self.lower * factor)
        };
        Self {
            estimate: self.estimate * factor,
            standard_error: self.standard_error * factor.abs(),
            lower,
            upper,
            test: self.test.map(|test| Test {
                statistic: test.statistic * factor.signum(),
                ..test
            }),
        }
    }
}
