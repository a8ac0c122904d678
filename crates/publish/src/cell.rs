//! A published value and the thresholds that decide it (`domain.md` §3: 1–5 → `c`, 0
//! shown, `z` for no denominator, `x` for not available).

/// One published value, with the GSS symbols (domain.md §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// A figure shown.
    Value(String),
    /// `c`: confidential, suppressed.
    Suppressed,
    /// `z`: not applicable (zero denominator, or no test for this estimate).
    NotApplicable,
    /// `x`: not available (not collected, a year not whole, a group not supported).
    NotAvailable,
}

impl Cell {
    /// As written in the file.
    pub fn text(&self) -> &str {
        match self {
            Self::Value(text) => text,
            Self::Suppressed => "c",
            Self::NotApplicable => "z",
            Self::NotAvailable => "x",
        }
    }

    /// The numeric value, if shown.
    pub fn number(&self) -> Option<f64> {
        match self {
            Self::Value(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// A number shown at `dp` decimal places (never `-0.0`). It is first rounded to 9
    /// decimal places: DataFusion adds a float column in whatever order its partitions
    /// finish, so a figure's last bits differ between runs, and a value on a rounding
    /// edge (4.675) would otherwise print 4.67 in one run and 4.68 in the next.
    pub fn figure(value: f64, dp: u8) -> Self {
        let value: f64 = format!("{value:.9}").parse().unwrap_or(value);
        let text = format!("{:.*}", usize::from(dp), value);
        let negative_zero =
            text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.');
        Self::Value(if negative_zero {
            text[1..].to_string()
        } else {
            text
        })
    }
}

/// Disclosure-control thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisclosureRules {
    /// Non-zero counts of people up to this are suppressed (DfE: 5).
    pub threshold: u64,
}

impl Default for DisclosureRules {
    fn default() -> Self {
        Self { threshold: 5 }
    }
}

impl DisclosureRules {
    /// Rules with a threshold; below 5 only with `allow_lower` (design.md, publish).
    pub fn with_threshold(threshold: u64, allow_lower: bool) -> Result<Self, crate::PublishError> {
        if threshold < 5 && !allow_lower {
            return Err(crate::PublishError::ThresholdTooLow(threshold));
        }
        Ok(Self { threshold })
    }

    /// A count of people as published: 1..=threshold → `c`, 0 stays 0.
    pub fn count(&self, value: u64) -> Cell {
        if self.is_suppressed(value) {
            Cell::Suppressed
        } else {
            Cell::Value(value.to_string())
        }
    }

    /// Whether a count of people is suppressed.
    pub fn is_suppressed(&self, value: u64) -> bool {
        value >= 1 && value <= self.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_round_and_never_show_negative_zero() {
        assert_eq!(Cell::figure(12.345, 1).text(), "12.3");
        assert_eq!(Cell::figure(-0.004, 2).text(), "0.00");
        assert_eq!(Cell::figure(-1.6, 0).text(), "-2");
        assert_eq!(Cell::figure(7.0, 0).text(), "7");
        // Float noise either side of an edge prints alike.
        assert_eq!(
            Cell::figure(4.675 + 1e-13, 2).text(),
            Cell::figure(4.675 - 1e-13, 2).text()
        );
    }

    #[test]
    fn thresholds_below_five_need_the_override() {
        assert!(DisclosureRules::with_threshold(3, false).is_err());
        assert_eq!(
            DisclosureRules::with_threshold(3, true)
                .expect("allowed")
                .threshold,
            3
        );
        let rules = DisclosureRules::default();
        assert_eq!(rules.count(5), Cell::Suppressed);
        assert_eq!(rules.count(6), Cell::Value("6".into()));
        assert_eq!(rules.count(0), Cell::Value("0".into()));
    }
}
