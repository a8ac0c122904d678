//! One row of `estimates.parquet`: one estimate, tidy, with what it answers and what it
//! rests on.

use cwsw_stats::{Distribution, Estimate};

pub use cwsw_dictionary::estimand::{Estimand, REST_OF_PUPILS};

/// One estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateRow {
    /// The measure (`absence`).
    pub measure: String,
    /// The indicator column (`pt_overall`).
    pub indicator: String,
    /// The research question (domain.md §6: `RQ1 attendance`).
    pub research_question: String,
    /// What is estimated.
    pub estimand: Estimand,
    /// The group.
    pub group: String,
    /// What it is compared with, for a gap or change (`Rest of pupils`, `All pupils
    /// comparison`).
    pub comparison: Option<String>,
    /// The year of a level, gap or event-study row.
    pub academic_year: Option<i32>,
    /// The years before (the event study's base year), space-separated.
    pub pre_years: Option<String>,
    /// The years since, space-separated.
    pub post_years: Option<String>,
    /// The breakdown filter (`Total`, `sex`).
    pub breakdown: String,
    /// Its level (`Total`, `Female`).
    pub breakdown_level: String,
    /// `percent` (of sessions or pupils) or `points` (a score).
    pub unit: &'static str,
    /// The estimate in `unit`, `None` when there is none (the note says why).
    pub estimate: Option<Estimate>,
    /// Pupil-years and pupils a pupil-level fit used.
    pub pupil_years: Option<(usize, usize)>,
    /// The family its test is adjusted in (`confirmatory`, `exploratory: absence`).
    pub family: Option<String>,
    /// The Benjamini–Hochberg adjusted p-value within the family.
    pub p_value_bh: Option<f64>,
    /// How it was computed.
    pub method: String,
    /// Why there is no estimate, or what to keep in mind reading it.
    pub note: Option<String>,
    /// The measure cells it rests on (`absence|CINO at 31 March|202122|Total`), so that
    /// publish can withhold it when any is suppressed.
    pub lineage: Vec<String>,
}

impl EstimateRow {
    /// The test's p-value, if there is a test.
    pub fn p_value(&self) -> Option<f64> {
        self.estimate
            .and_then(|estimate| estimate.test)
            .map(|test| test.p_value)
    }

    /// The degrees of freedom of a t test, if it is one.
    pub fn degrees_of_freedom(&self) -> Option<f64> {
        match self
            .estimate
            .and_then(|estimate| estimate.test)?
            .distribution
        {
            Distribution::StudentT(degrees) => Some(degrees),
            Distribution::Normal => None,
        }
    }
}
