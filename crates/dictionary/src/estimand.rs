//! The vocabulary `estimates.parquet` is written in and `publish` reads: what an
//! estimate estimates, and how its lineage names the measure cells it rests on (so that
//! publish can withhold an estimate built on a suppressed cell). Shared, so neither
//! crate repeats the other's literals.

/// What an estimate estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Estimand {
    /// The group's own figure with its interval.
    Level,
    /// The group against every pupil outside it.
    GapToRest,
    /// The group against all pupils (the group among them).
    GapToAllPupils,
    /// The change in the gap to the rest since the role began.
    DifferenceInDifferences,
    /// A year's gap to the rest minus the base year's.
    EventStudy,
}

impl Estimand {
    /// Every estimand, in published order.
    pub const ALL: [Self; 5] = [
        Self::Level,
        Self::GapToRest,
        Self::GapToAllPupils,
        Self::DifferenceInDifferences,
        Self::EventStudy,
    ];

    /// The name written into `estimates.parquet`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Level => "level",
            Self::GapToRest => "gap_to_rest",
            Self::GapToAllPupils => "gap_to_all_pupils",
            Self::DifferenceInDifferences => "did",
            Self::EventStudy => "event_study",
        }
    }

    /// The estimand of a name written by [`Estimand::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|estimand| estimand.name() == name)
    }

    /// Its label in a published file (at most 80 characters).
    pub fn label(self) -> &'static str {
        match self {
            Self::Level => "Level",
            Self::GapToRest => "Gap to the rest of pupils",
            Self::GapToAllPupils => "Gap to all pupils",
            Self::DifferenceInDifferences => {
                "Change in the gap to the rest since the role began (difference in differences)"
            }
            Self::EventStudy => "Change in the gap to the rest since the base year (event study)",
        }
    }
}

/// What every gap is against: every pupil outside the group.
pub const REST_OF_PUPILS: &str = "Rest of pupils";

/// The lineage cells of one estimate, joined into one field.
pub const LINEAGE_SEPARATOR: &str = "; ";

/// A measure cell as lineage names it: `absence|CINO at 31 March|202122|Total`, or
/// `…|sex=Female` for one level of a breakdown (`breakdown` is `None` for the headline).
pub fn lineage_cell(
    measure: &str,
    group: &str,
    year: i32,
    breakdown: Option<(&str, &str)>,
) -> String {
    match breakdown {
        None => format!("{measure}|{group}|{year}|Total"),
        Some((filter, level)) => format!("{measure}|{group}|{year}|{filter}={level}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_labels_fit() {
        for estimand in Estimand::ALL {
            assert_eq!(Estimand::from_name(estimand.name()), Some(estimand));
            assert!(estimand.label().chars().count() <= crate::layout::LABEL_LIMIT);
        }
        assert_eq!(Estimand::from_name("gap"), None);
        assert_eq!(
            lineage_cell(
                "absence",
                "CINO at 31 March",
                202122,
                Some(("sex", "Female"))
            ),
            "absence|CINO at 31 March|202122|sex=Female"
        );
    }
}
