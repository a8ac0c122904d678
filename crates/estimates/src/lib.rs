//! The stats stage: the estimates that answer the evaluation's questions (domain.md §6),
//! from the measures a run wrote and the pupil-level rows it kept in the warehouse
//! folder. It reads through `engine` (the only crate that touches DataFusion), computes
//! with `stats` (pure), and writes `estimates.parquet` and `estimates.csv`: one tidy row
//! per estimate, with its family, adjusted p-value, method, research question and the
//! measure cells it rests on.
//!
//! - `cells`: a measure's rows as (year, group, breakdown) cells.
//! - `levels`: each cell's interval; each group's gap to the rest and to all pupils.
//! - `pupils`: the pupil-level rows (`pupil_outcomes`), indexed.
//! - `changes`: the difference in differences and the event study, per group.
//! - `families`: the confirmatory and exploratory families, Benjamini–Hochberg.
//! - `output`: the two files.
//!
//! ```no_run
//! # async fn example() -> Result<(), cwsw_estimates::EstimatesError> {
//! let request = cwsw_estimates::StatsRequest {
//!     measures: "measures".into(),
//!     warehouse: "warehouse".into(),
//!     out: "estimates".into(),
//!     periods: Default::default(),
//! };
//! let summary = cwsw_estimates::stats(&request).await?;
//! println!("{} estimates", summary.rows);
//! # Ok(())
//! # }
//! ```

mod cells;
mod changes;
mod families;
mod levels;
mod output;
mod pupils;
mod row;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cwsw_dictionary::SourcedParameter;
use cwsw_engine::{DidYears, Indicator, QuerySet};
use cwsw_stats::Periods;

pub use cells::{Breakdown, CellKey};
pub use families::{CONFIRMATORY, exploratory};
pub use output::{LINEAGE_SEPARATOR, schema};
pub use row::{Estimand, EstimateRow, REST_OF_PUPILS};

/// Every interval is at 95%.
pub const CONFIDENCE: f64 = 0.95;

/// The file the stage writes and `publish` reads, in the estimates folder.
pub const ESTIMATES_FILE: &str = "estimates.parquet";

/// The pupil-level table the run writes into the warehouse folder.
pub const PUPIL_TABLE: &str = "pupil_outcomes";

/// What can go wrong in the stats stage.
#[derive(Debug, thiserror::Error)]
pub enum EstimatesError {
    /// Reading a table failed.
    #[error("reading {what}")]
    Engine {
        /// What was read.
        what: String,
        /// The cause.
        #[source]
        source: cwsw_engine::EngineError,
    },
    /// A measure's table is not as its header says.
    #[error("measure `{measure}`: {message}")]
    Measure {
        /// The measure.
        measure: String,
        /// What is wrong.
        message: String,
    },
    /// The pupil-level table is not as expected.
    #[error("{PUPIL_TABLE}: {message}")]
    PupilRows {
        /// What is wrong.
        message: String,
    },
    /// The pupil-level rows do not add up to the measure's cell: the two were not made
    /// by one run, or a query changed one and not the other.
    #[error(
        "{PUPIL_TABLE} disagrees with measure `{measure}`: {group} {year} `{column}` sums to {pupil_sum} over the pupils, the measure says {measure_value}\nhint: run `cwsw run` again so that the measures and the pupil-level rows come from one run"
    )]
    Disagree {
        /// The measure.
        measure: String,
        /// The group.
        group: String,
        /// The year.
        year: i32,
        /// The measure's column.
        column: String,
        /// The sum over the pupil rows.
        pupil_sum: f64,
        /// The measure's value.
        measure_value: f64,
    },
    /// A statistic could not be computed.
    #[error("computing an estimate")]
    Stats(#[from] cwsw_stats::StatsError),
    /// The embedded parameters or queries are broken.
    #[error("{what}: {message}")]
    Embedded {
        /// What.
        what: String,
        /// The problem.
        message: String,
    },
    /// A period override names no measure or no year.
    #[error("{0}")]
    Periods(String),
    /// Arrow failed.
    #[error("{what}")]
    Arrow {
        /// What was being built.
        what: String,
        /// The cause.
        #[source]
        source: arrow::error::ArrowError,
    },
    /// Writing Parquet failed.
    #[error("{path}: writing Parquet")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Writing CSV failed.
    #[error("{path}: writing CSV")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: csv::Error,
    },
    /// A file could not be read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// What `cwsw stats` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct StatsRequest {
    /// The measures folder `cwsw run` wrote.
    pub measures: PathBuf,
    /// The warehouse folder, holding the run's pupil-level rows.
    pub warehouse: PathBuf,
    /// Where `estimates.parquet` and `estimates.csv` go.
    pub out: PathBuf,
    /// Years before and since the role began, per measure, replacing the header's
    /// defaults (`[stats.periods.absence]` in `cwsw.toml`).
    pub periods: BTreeMap<String, Periods>,
}

/// What the stage wrote.
#[derive(Debug, Clone)]
pub struct StatsSummary {
    /// Estimate rows.
    pub rows: usize,
    /// Rows with a test.
    pub tests: usize,
    /// The confirmatory family's tests with an adjusted p-value below 0.05.
    pub confirmatory_findings: Vec<String>,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// One measure as the computations see it.
pub struct MeasureContext<'a> {
    /// Its name.
    pub measure: &'a str,
    /// Its research question.
    pub research_question: &'a str,
    /// Its indicators.
    pub indicators: &'a [Indicator],
    /// Its default DiD years.
    pub did_years: Option<DidYears>,
    /// The years asked for instead.
    pub periods: Option<&'a Periods>,
    /// The national P8 standard deviations.
    pub p8_national_sd: &'a SourcedParameter,
}

/// Runs the stage: reads every measure with indicators from `request.measures` and the
/// pupil-level rows from the warehouse, and writes the estimates.
pub async fn stats(request: &StatsRequest) -> Result<StatsSummary, EstimatesError> {
    let queries = QuerySet::embedded().map_err(|source| EstimatesError::Engine {
        what: "the embedded queries".to_string(),
        source,
    })?;
    if let Some(unknown) = request
        .periods
        .keys()
        .find(|name| queries.measures().all(|query| &query.header.name != *name))
    {
        return Err(EstimatesError::Periods(format!(
            "periods are given for `{unknown}`, which is not a measure"
        )));
    }
    // A session with no tables: the stage reads two known files, and registering every
    // warehouse table (each part's footer) would cost more than the statistics.
    let engine_error = |source| EstimatesError::Engine {
        what: request.warehouse.display().to_string(),
        source,
    };
    let session = cwsw_engine::Engine::session(&cwsw_engine::EngineOptions::default())
        .map_err(engine_error)?;
    let engine =
        cwsw_engine::Engine::with_context(session, queries.clone()).map_err(engine_error)?;
    let pupil_path = request.warehouse.join(PUPIL_TABLE);
    let pupils = if pupil_path.exists() {
        let batches = engine
            .read_parquet(&pupil_path, &[])
            .await
            .map_err(|source| EstimatesError::Engine {
                what: pupil_path.display().to_string(),
                source,
            })?;
        pupils::PupilRows::read(&batches)?
    } else {
        return Err(EstimatesError::PupilRows {
            message: format!(
                "{} is missing\nhint: `cwsw run` writes it; run it on this warehouse first",
                pupil_path.display()
            ),
        });
    };
    let mut measures = Vec::new();
    for query in queries.measures() {
        if query.header.indicators.is_empty() {
            continue;
        }
        let path = request
            .measures
            .join(format!("{}.parquet", query.header.name));
        if !path.exists() {
            continue;
        }
        let batches =
            engine
                .read_parquet(&path, &[])
                .await
                .map_err(|source| EstimatesError::Engine {
                    what: path.display().to_string(),
                    source,
                })?;
        measures.push((query.header.clone(), batches));
    }
    let rows = estimate(&measures, &pupils, &request.periods)?;
    output::write(&rows, &request.out)?;
    Ok(summary(&rows, &request.out))
}

/// The estimates of the measures' batches and the pupil-level rows, families assigned.
pub fn estimate(
    measures: &[(cwsw_engine::QueryHeader, Vec<arrow::array::RecordBatch>)],
    pupils: &pupils::PupilRows,
    periods: &BTreeMap<String, Periods>,
) -> Result<Vec<EstimateRow>, EstimatesError> {
    let p8_national_sd =
        cwsw_dictionary::p8_national_sd().map_err(|error| EstimatesError::Embedded {
            what: "data-dictionary/parameters/p8_national_sd.yaml".to_string(),
            message: error.to_string(),
        })?;
    let mut rows = Vec::new();
    let mut indicators = BTreeMap::new();
    for (header, batches) in measures {
        let cells = cells::read(&header.name, batches)?;
        let context = MeasureContext {
            measure: &header.name,
            research_question: header.research_question.as_deref().unwrap_or_default(),
            indicators: &header.indicators,
            did_years: header.did_years,
            periods: periods.get(&header.name),
            p8_national_sd: &p8_national_sd,
        };
        rows.extend(levels::rows(&context, &cells)?);
        rows.extend(changes::rows(&context, &cells, pupils)?);
        for indicator in &header.indicators {
            indicators.insert(
                (header.name.clone(), indicator.column.clone()),
                indicator.clone(),
            );
        }
    }
    families::assign(&mut rows, &indicators);
    Ok(rows)
}

fn summary(rows: &[EstimateRow], out: &Path) -> StatsSummary {
    StatsSummary {
        rows: rows.len(),
        tests: rows.iter().filter(|row| row.p_value().is_some()).count(),
        confirmatory_findings: rows
            .iter()
            .filter(|row| {
                row.family.as_deref() == Some(CONFIRMATORY)
                    && row.p_value_bh.is_some_and(|p| p < 0.05)
            })
            .map(|row| {
                let estimate = row.estimate.map_or(f64::NAN, |estimate| estimate.estimate);
                format!(
                    "{} {} {}: {:+.2} {} (adjusted p {:.2e})",
                    row.measure,
                    row.indicator,
                    row.group,
                    estimate,
                    if row.unit == "percent" {
                        "percentage points"
                    } else {
                        "points"
                    },
                    row.p_value_bh.unwrap_or_default()
                )
            })
            .collect(),
        files: vec![out.join(ESTIMATES_FILE), out.join("estimates.csv")],
    }
}

pub use pupils::PupilRows;

#[cfg(test)]
mod tests {
    use cwsw_dictionary::groups::{ALL_PUPILS, CONFIRMATORY_GROUPS};

    #[test]
    fn every_group_label_in_code_is_one_the_cohort_makes() {
        let queries = cwsw_engine::QuerySet::embedded().expect("queries");
        let groups = &queries
            .get("social_care_groups")
            .expect("the cohort query")
            .header
            .groups;
        for label in CONFIRMATORY_GROUPS.iter().chain([&ALL_PUPILS]) {
            assert!(
                groups.iter().any(|group| group == label.as_str()),
                "`{label}` is not a group of social_care_groups.sql"
            );
        }
    }

    #[test]
    fn every_relation_names_groups_measures_and_counts_that_exist() {
        let queries = cwsw_engine::QuerySet::embedded().expect("queries");
        let relations = cwsw_dictionary::relations::Relations::embedded().expect("relations");
        let mut groups = queries
            .get("social_care_groups")
            .expect("the cohort query")
            .header
            .groups
            .clone();
        let all = cwsw_dictionary::Lookback::All;
        groups.extend([all.ever_cin(), all.never_cin(), all.ever_cwsw()]);
        let named_groups = relations
            .partitions
            .iter()
            .flat_map(|partition| std::iter::once(&partition.total).chain(&partition.parts))
            .chain(
                relations
                    .nested
                    .iter()
                    .flat_map(|nested| [&nested.larger, &nested.smaller]),
            );
        for group in named_groups {
            assert!(groups.contains(group), "`{group}` is not a cohort group");
        }
        let counts = |measure: &str| -> Vec<String> {
            queries
                .measures()
                .find(|query| query.header.name == measure)
                .unwrap_or_else(|| panic!("`{measure}` is not a measure"))
                .header
                .counts
                .iter()
                .map(|count| count.column.clone())
                .collect()
        };
        let mut places: Vec<(String, String)> = Vec::new();
        for identity in &relations.identities {
            for column in std::iter::once(&identity.total).chain(&identity.parts) {
                places.push((identity.measure.clone(), column.clone()));
            }
        }
        for shared in &relations.shared {
            for place in &shared.counts {
                places.push((place.measure.clone(), place.column.clone()));
            }
        }
        for scopes in relations
            .partitions
            .iter()
            .map(|partition| &partition.measures)
            .chain(relations.nested.iter().map(|nested| &nested.measures))
        {
            for measure in &scopes.except {
                counts(measure);
            }
            for scope in scopes.only.iter().flatten() {
                let known = counts(&scope.measure);
                for column in scope.columns.iter().flatten() {
                    assert!(known.contains(column), "{}: `{column}`", scope.measure);
                }
            }
        }
        assert!(places.len() >= 10, "{places:?}");
        for (measure, column) in places {
            assert!(
                counts(&measure).contains(&column),
                "`{column}` is not a count of `{measure}`"
            );
        }
    }

    #[test]
    fn every_measure_with_indicators_names_its_research_question() {
        let queries = cwsw_engine::QuerySet::embedded().expect("queries");
        for query in queries.measures() {
            assert!(!query.header.indicators.is_empty(), "{}", query.header.name);
            assert!(
                query.header.research_question.is_some(),
                "{}",
                query.header.name
            );
        }
    }
}
