//! A measure's matrix: the years and groups it covers, and which of its cells are `x`
//! and why (`domain.md` §3: `x` not available, `z` not applicable). The engine decides
//! it once, when it completes a measure, and it travels inside the measure's Parquet
//! file (key-value metadata under [`MATRIX_KEY`]), so that `cwsw publish`, a command of
//! its own reading files, neither re-derives it from nulls nor reloads the queries.
//! A null that the matrix does not call `x` is `z` (no denominator).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The Parquet key-value metadata key the matrix is written under, as JSON.
pub const MATRIX_KEY: &str = "cwsw.matrix";

/// The matrix of one measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    /// The years of the run, as EES time periods (202122), in order.
    pub years: Vec<i32>,
    /// The groups, in publishing order (the cohort's group list).
    pub groups: Vec<String>,
    /// Headline cells that are `x`, with why, in year and group order.
    pub unavailable: Vec<Unavailable>,
    /// Columns not collected in some years (`x` in those years only), by column.
    pub columns_not_collected: BTreeMap<String, Vec<i32>>,
}

/// A (year, group) whose every figure is `x`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unavailable {
    /// The year, as an EES time period.
    pub year: i32,
    /// The group.
    pub group: String,
    /// Why.
    pub reason: Reason,
}

/// Why a cell is `x`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The measure was not collected that year (absence 2019/20).
    NotCollected,
    /// The year is not whole: a census it needs is not among the inputs.
    Incomplete {
        /// The censuses missing (`autumn`, `next spring`).
        missing: Vec<String>,
    },
    /// The LA's returns do not support the group that year (CIN plans before 2022).
    Unsupported,
}

/// A matrix that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("the measure's matrix ({MATRIX_KEY}) is not valid JSON of its form")]
pub struct MatrixError(#[source] serde_json::Error);

impl Matrix {
    /// As JSON, in a stable order (the same matrix, the same bytes).
    pub fn to_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.unavailable.sort();
        serde_json::to_string(&sorted).unwrap_or_default()
    }

    /// From the JSON [`Matrix::to_json`] writes.
    pub fn from_json(text: &str) -> Result<Self, MatrixError> {
        serde_json::from_str(text).map_err(MatrixError)
    }

    /// The (year, group) headline cells that are `x`, whatever the reason.
    pub fn unavailable_cells(&self) -> BTreeSet<(i32, String)> {
        self.unavailable
            .iter()
            .map(|cell| (cell.year, cell.group.clone()))
            .collect()
    }

    /// The years in which the measure was not collected at all.
    pub fn not_collected_years(&self) -> Vec<i32> {
        let years: BTreeSet<i32> = self
            .unavailable
            .iter()
            .filter(|cell| cell.reason == Reason::NotCollected)
            .map(|cell| cell.year)
            .collect();
        years.into_iter().collect()
    }

    /// Whether a null in this cell is `x` (else it is `z`).
    pub fn is_x(&self, year: i32, group: &str, column: &str) -> bool {
        self.unavailable
            .iter()
            .any(|cell| cell.year == year && cell.group == group)
            || self
                .columns_not_collected
                .get(column)
                .is_some_and(|years| years.contains(&year))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix() -> Matrix {
        Matrix {
            years: vec![201819, 201920],
            groups: vec!["CINO at 31 March".into(), "CPPO at 31 March".into()],
            unavailable: vec![
                Unavailable {
                    year: 201920,
                    group: "CPPO at 31 March".into(),
                    reason: Reason::NotCollected,
                },
                Unavailable {
                    year: 201819,
                    group: "CPPO at 31 March".into(),
                    reason: Reason::Incomplete {
                        missing: vec!["autumn".into()],
                    },
                },
            ],
            columns_not_collected: BTreeMap::from([("avg_p8score".into(), vec![201920])]),
        }
    }

    #[test]
    fn a_matrix_survives_its_json_in_a_stable_order() {
        let matrix = matrix();
        let json = matrix.to_json();
        let mut reversed = matrix.clone();
        reversed.unavailable.reverse();
        assert_eq!(reversed.to_json(), json);
        let mut sorted = matrix.clone();
        sorted.unavailable.sort();
        assert_eq!(Matrix::from_json(&json).expect("valid"), sorted);
        assert!(Matrix::from_json("{\"years\": []}").is_err());
    }

    #[test]
    fn x_is_a_whole_cell_or_a_column_in_a_year() {
        let matrix = matrix();
        assert!(matrix.is_x(201920, "CPPO at 31 March", "t_pupils"));
        assert!(!matrix.is_x(201920, "CINO at 31 March", "t_pupils"));
        assert!(matrix.is_x(201920, "CINO at 31 March", "avg_p8score"));
        assert_eq!(matrix.not_collected_years(), vec![201920]);
        assert_eq!(matrix.unavailable_cells().len(), 2);
    }
}
