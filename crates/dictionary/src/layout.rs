//! What a measure publishes, as data: its published columns in order, what each counts
//! (pupils, children or sessions) or which indicator's estimate or interval it holds,
//! the counts each figure derives from, unit, decimal places and label (`domain.md` §2
//! names, §4 metadata). The engine builds it from the query header's `counts:` and
//! `indicators:` blocks and writes it into the measure's Parquet file beside the matrix
//! (key-value metadata under [`LAYOUT_KEY`]); one generic publisher reads it. No crate
//! holds a measure's column list in code.

use serde::{Deserialize, Serialize};

/// The Parquet key-value metadata key the layout is written under, as JSON.
pub const LAYOUT_KEY: &str = "cwsw.layout";

/// The longest label the EES API data standards allow (`domain.md` §4: use 80).
pub const LABEL_LIMIT: usize = 80;

/// What a measure publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// The measure (`absence`): the published file's stem.
    pub measure: String,
    /// Its title.
    pub title: String,
    /// The research question it answers (`RQ1 attendance`), if it names one.
    pub research_question: Option<String>,
    /// The published indicator columns, in order.
    pub columns: Vec<Column>,
}

/// One published indicator column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// The EES column name (`t_pupils`, `pt_overall`, `pt_overall_lower_ci`).
    pub name: String,
    /// Its label in the `.meta.csv`.
    pub label: String,
    /// EES `indicator_unit`: empty or `%`.
    pub unit: String,
    /// EES `indicator_dp`.
    pub dp: u8,
    /// EES `indicator_grouping`, empty for none.
    pub grouping: String,
    /// What the column holds.
    pub figure: Figure,
}

/// What a published column holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// A count of the measure's output column of the same name.
    Count {
        /// What it counts.
        counts: Counted,
        /// The count of people it is about (`t_pupils` for `t_sess_possible`): when that
        /// is suppressed, this goes too. `None` for a count of the group itself.
        of: Option<String>,
    },
    /// A part of an indicator's estimate, from the stats stage's level rows.
    Estimate {
        /// The indicator (`pt_overall`).
        indicator: String,
        /// Which part.
        part: Part,
        /// The published counts it derives from (numerator, denominator, pupils): when
        /// any is suppressed, so is this, and a zero denominator makes it `z`.
        from: Vec<String>,
        /// The count it is over: 0 makes it `z`.
        denominator: String,
    },
}

impl Figure {
    /// Whether the column counts people (pupils or children): 1–5 is suppressed.
    pub fn counts_people(&self) -> bool {
        matches!(
            self,
            Self::Count {
                counts: Counted::Pupils | Counted::Children,
                ..
            }
        )
    }
}

/// What a count counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counted {
    /// Pupils: a count of 1–5 is suppressed.
    Pupils,
    /// Children (coverage, which counts children whether or not they are pupils): as pupils.
    Children,
    /// Sessions: not people, so not suppressed for being small, but hidden with the
    /// pupils they are the sessions of.
    Sessions,
}

/// Which part of an estimate a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The estimate.
    Estimate,
    /// The lower limit of its 95% interval.
    Lower,
    /// The upper limit.
    Upper,
}

impl Part {
    /// The column name's suffix (`_lower_ci`) and the label's (`, lower 95% confidence limit`).
    pub fn suffixes(self) -> (&'static str, &'static str) {
        match self {
            Self::Estimate => ("", ""),
            Self::Lower => ("_lower_ci", ", lower 95% confidence limit"),
            Self::Upper => ("_upper_ci", ", upper 95% confidence limit"),
        }
    }
}

/// A filter a measure's rows break down by, beside `Total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breakdown {
    /// The output column (`phase_type_grouping`).
    pub column: &'static str,
    /// The label in the `.meta.csv`.
    pub label: &'static str,
    /// The filter hint.
    pub hint: &'static str,
}

/// The breakdown filters the measures compute, in published order (`domain.md` §2,
/// years and filters: `phase_type_grouping` replaced `school_type`).
pub const BREAKDOWNS: &[Breakdown] = &[
    Breakdown {
        column: "phase_type_grouping",
        label: "School type",
        hint: "Phase and type of the pupil's main school",
    },
    Breakdown {
        column: "sex",
        label: "Sex",
        hint: "Sex recorded on the school census",
    },
    Breakdown {
        column: "sen_provision",
        label: "SEN provision",
        hint: "Special educational needs provision at the spring census",
    },
    Breakdown {
        column: "year_group",
        label: "National curriculum year group",
        hint: "Year group on the school census",
    },
];

/// The social care group filter.
pub const GROUP_FILTER: Breakdown = Breakdown {
    column: "social_care_group",
    label: "Social care group",
    hint: "Children's social care group (DfE outcomes definitions)",
};

/// A layout that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("the measure's layout ({LAYOUT_KEY}) is not valid JSON of its form")]
pub struct LayoutError(#[source] serde_json::Error);

impl Layout {
    /// As JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// From JSON.
    pub fn from_json(text: &str) -> Result<Self, LayoutError> {
        serde_json::from_str(text).map_err(LayoutError)
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_survives_its_json() {
        let layout = Layout {
            measure: "absence".into(),
            title: "Absence".into(),
            research_question: Some("RQ1 attendance".into()),
            columns: vec![
                Column {
                    name: "t_pupils".into(),
                    label: "Number of pupils".into(),
                    unit: String::new(),
                    dp: 0,
                    grouping: String::new(),
                    figure: Figure::Count {
                        counts: Counted::Pupils,
                        of: None,
                    },
                },
                Column {
                    name: "pt_overall_lower_ci".into(),
                    label: "Overall absence rate, lower 95% confidence limit".into(),
                    unit: "%".into(),
                    dp: 1,
                    grouping: "Absence".into(),
                    figure: Figure::Estimate {
                        indicator: "pt_overall".into(),
                        part: Part::Lower,
                        from: vec!["t_pupils".into()],
                        denominator: "t_pupils".into(),
                    },
                },
            ],
        };
        assert_eq!(Layout::from_json(&layout.to_json()).expect("valid"), layout);
        assert!(layout.columns[0].figure.counts_people());
        assert!(!layout.columns[1].figure.counts_people());
        assert!(Layout::from_json("{\"measure\": 1}").is_err());
    }
}
