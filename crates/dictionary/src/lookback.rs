//! How far back `Ever CIN` looks, and the labels that follow from it (`domain.md` §1):
//! six collection years by DfE's *Outcomes for children in need* definition, or every
//! year the returns hold, the cohort of children to whom the LA is providing or has
//! provided services (Children's Wellbeing and Schools Act 2026 s.6).

use std::fmt;

/// The look-back of the `Ever CIN`, `Never CIN` and `Ever … CWSW` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookback {
    /// The collection years ending in the year's 31 March, this one included.
    Years(u8),
    /// Every collection year the returns hold up to this one: the window grows each year.
    All,
}

impl Default for Lookback {
    fn default() -> Self {
        Self::DFE
    }
}

impl Lookback {
    /// DfE's definition: six collection years.
    pub const DFE: Self = Self::Years(6);

    /// `6` or `all`, as `--param lookback_years=` takes it; `None` for anything else
    /// (zero years is not a look-back).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("all") {
            return Some(Self::All);
        }
        match text.parse::<u8>() {
            Ok(0) | Err(_) => None,
            Ok(years) => Some(Self::Years(years)),
        }
    }

    /// The first collection year of the window ending in `census_year`; 0 with every
    /// year held (every year the returns hold is on or after it).
    pub fn first_census_year(self, census_year: i32) -> i32 {
        match self {
            Self::Years(years) => census_year - i32::from(years) + 1,
            Self::All => 0,
        }
    }

    /// The look-back as the queries take it: the number of years, 0 for every year held.
    pub fn years(self) -> i32 {
        match self {
            Self::Years(years) => i32::from(years),
            Self::All => 0,
        }
    }

    fn window(self) -> String {
        match self {
            Self::Years(years) => format!("last {years} years"),
            Self::All => "all years held".to_string(),
        }
    }

    /// In need at some point of the window: `Ever CIN - last 6 years` (DfE's label).
    pub fn ever_cin(self) -> String {
        format!("Ever CIN - {}", self.window())
    }

    /// The pupils in none of the groups over the window: `Never CIN - last 6 years`.
    pub fn never_cin(self) -> String {
        format!("Never CIN - {}", self.window())
    }

    /// On a CIN or child protection plan at some point of the window: `Ever 6 CWSW`
    /// (the VSH guidance's label), `Ever CWSW - all years held`.
    pub fn ever_cwsw(self) -> String {
        match self {
            Self::Years(years) => format!("Ever {years} CWSW"),
            Self::All => format!("Ever CWSW - {}", self.window()),
        }
    }

    /// A group label of the default look-back written for this one (`Ever CIN - last 6
    /// years` becomes `Ever CIN - all years held`); other labels are unchanged.
    pub fn relabel(self, default_label: &str) -> String {
        let default = Self::DFE;
        if default_label == default.ever_cin() {
            self.ever_cin()
        } else if default_label == default.never_cin() {
            self.never_cin()
        } else if default_label == default.ever_cwsw() {
            self.ever_cwsw()
        } else {
            default_label.to_string()
        }
    }
}

impl fmt::Display for Lookback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Years(years) => write!(f, "{years}"),
            Self::All => f.write_str("all"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_look_back() {
        assert_eq!(Lookback::DFE.ever_cin(), "Ever CIN - last 6 years");
        assert_eq!(Lookback::DFE.never_cin(), "Never CIN - last 6 years");
        assert_eq!(Lookback::DFE.ever_cwsw(), "Ever 6 CWSW");
        assert_eq!(Lookback::All.ever_cin(), "Ever CIN - all years held");
        assert_eq!(Lookback::All.never_cin(), "Never CIN - all years held");
        assert_eq!(Lookback::All.ever_cwsw(), "Ever CWSW - all years held");
        assert_eq!(
            Lookback::All.relabel("Ever 6 CWSW"),
            "Ever CWSW - all years held"
        );
        assert_eq!(Lookback::All.relabel("CWSW"), "CWSW");
    }

    #[test]
    fn parses_years_or_all() {
        assert_eq!(Lookback::parse("6"), Some(Lookback::DFE));
        assert_eq!(Lookback::parse("ALL"), Some(Lookback::All));
        assert_eq!(Lookback::parse("0"), None);
        assert_eq!(Lookback::parse("six"), None);
        assert_eq!(Lookback::DFE.first_census_year(2022), 2017);
        assert_eq!(Lookback::Years(3).first_census_year(2022), 2020);
        assert_eq!(Lookback::All.first_census_year(2022), 0);
    }
}
