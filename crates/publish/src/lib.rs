//! Publish: disclosure control and the submission in DfE Explore Education Statistics
//! format (tidy CSV + `.meta.csv`, `domain.md` §3–4), for every measure and its
//! estimates, by one generic publisher that reads what to publish from the files.
//!
//! - `files`: a measure file with its matrix and layout (the engine wrote both into
//!   its metadata), and the stats stage's `estimates.parquet`.
//! - `table`: the published table of a measure: the layout's counts, the stats stage's
//!   levels and intervals, the matrix completed; the layout choice (one file per measure).
//! - `relations`: every relation of `data-dictionary/disclosure/relations.yaml` checked
//!   against the unsuppressed counts, before anything is suppressed or written.
//! - `disclosure`: every table's counts and the relations between them as one system
//!   (`cwsw_disclosure`).
//! - `suppression`: primary (1–5 → `c`, with everything derived from it) and secondary.
//! - `estimates`: a measure's estimates as their own file, withheld where their lineage
//!   touches a suppressed cell.
//! - `ees`: the files written; `checking`: the output checker's folder (the suppression
//!   logs and their README), which never travels with the submission.
//! - `la`: the local authorities and their codes.
//!
//! Only aggregates pass through here: the inputs are one row per year, group and
//! breakdown, and the estimates made from them.
//!
//! ```
//! use cwsw_publish::{Cell, DisclosureRules};
//! let rules = DisclosureRules::default();
//! assert_eq!(rules.count(3), Cell::Suppressed);
//! assert_eq!(rules.count(0), Cell::Value("0".to_string()));
//! ```

mod cell;
mod checking;
mod disclosure;
mod ees;
mod estimates;
mod files;
#[cfg(test)]
mod fixtures;
mod la;
mod relations;
mod suppression;
mod table;

pub use arrow::array::RecordBatch;
pub use cell::{Cell, DisclosureRules};
pub use checking::{SUPPRESSION_LOG, checking_readme, write_checking};
pub use disclosure::{Built, Place, build};
pub use ees::{TIME_AND_GEOGRAPHY, write_ees};
pub use estimates::{SAME_YEAR, estimates_table};
pub use files::{EstimateRecord, MeasureFile, read_estimates, read_measure_file};
pub use la::{LOCAL_AUTHORITIES, LocalAuthority, local_authority};
pub use relations::check_relations;
pub use suppression::{Reason, protect};
pub use table::{
    Filter, Indicator, Levels, PublishedRow, PublishedTable, SuppressedCell, TOTAL, measure_table,
    published_name, unprotected_table,
};

use std::path::{Path, PathBuf};

use cwsw_dictionary::relations::Relations;

/// What can go wrong publishing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A file could not be read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read as Parquet.
    #[error("{path}: reading Parquet")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A CSV record could not be written.
    #[error("{path}: writing CSV")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: csv::Error,
    },
    /// A measure file lacks the matrix or layout `cwsw run` writes into its metadata.
    #[error(
        "{path}: no {key} in its Parquet metadata (which years, groups and x cells it covers, and what it publishes)\nhint: write the measures again with `cwsw run`"
    )]
    NoMetadata {
        /// The file.
        path: PathBuf,
        /// The metadata key.
        key: String,
    },
    /// A measure file's matrix cannot be read.
    #[error("{path}")]
    Matrix {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: cwsw_dictionary::matrix::MatrixError,
    },
    /// A measure file's layout cannot be read.
    #[error("{path}")]
    Layout {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: cwsw_dictionary::layout::LayoutError,
    },
    /// `estimates.parquet` is not as the stats stage writes it.
    #[error("{path}: {message}")]
    Estimates {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A cell with a denominator has no level from the stats stage.
    #[error(
        "measure `{measure}`: the estimates hold no level of `{indicator}` for {cell}\nhint: run `cwsw stats` on these measures, so that the estimates and the measures come from one run"
    )]
    NoEstimate {
        /// The measure.
        measure: String,
        /// The indicator.
        indicator: String,
        /// The cell.
        cell: String,
    },
    /// The measure rows are not what its layout says.
    #[error("measure `{measure}`: {message}")]
    Input {
        /// The measure.
        measure: String,
        /// What is wrong.
        message: String,
    },
    /// The LA code is not one this version knows.
    #[error(
        "LA code `{0}` is not in cwsw's list of local authorities (see `cwsw_publish::LOCAL_AUTHORITIES`)"
    )]
    UnknownLa(String),
    /// Thresholds below the default need an explicit flag.
    #[error(
        "a suppression threshold of {0} is below the default of 5\nhint: pass --allow-threshold-below-5 if the output checker has agreed to it"
    )]
    ThresholdTooLow(u64),
    /// The submission folder holds a suppression log, which must not travel with it.
    #[error(
        "{path}: a suppression log is in the submission folder; it says which `c` is primary, which narrows its partner, so it must not be sent with the submission\nhint: move every `*.suppression.csv` out of {folder} (to the output checker's folder, or delete it), then publish again"
    )]
    LogInSubmission {
        /// The log found.
        path: PathBuf,
        /// The submission folder.
        folder: PathBuf,
    },
    /// A relation between counts does not hold on the unsuppressed counts.
    #[error(
        "`{relation}` (data-dictionary/disclosure/relations.yaml) does not hold in {cell}: {detail}\nhint: the relation is wrong for this measure (narrow its `measures:`), or the measure's query is; nothing was published"
    )]
    RelationFails {
        /// The relation.
        relation: String,
        /// Where.
        cell: String,
        /// The figures.
        detail: String,
    },
    /// A relation names a group or column the submission does not have.
    #[error("`{relation}` (data-dictionary/disclosure/relations.yaml): {problem}")]
    RelationUnknown {
        /// The relation.
        relation: String,
        /// What it names that is not there.
        problem: String,
    },
    /// Secondary suppression could not be chosen.
    #[error("disclosure control")]
    Disclosure(#[source] cwsw_disclosure::DisclosureError),
    /// A relation between counts that publish builds (a breakdown's `Total` and its
    /// levels) does not hold.
    #[error(
        "`{relation}` does not hold on the unsuppressed counts (its terms sum to {sum}, not 0)\nhint: the measure's rows do not add up; nothing was published"
    )]
    CountsDisagree {
        /// The relation and where.
        relation: String,
        /// Σ coefficient × count.
        sum: i128,
    },
    /// A protected cell follows from the relations alone, whatever is hidden.
    #[error(
        "{cell} cannot be protected: it follows from the relations between published counts alone\nhint: a relation in data-dictionary/disclosure/relations.yaml may be too wide for this measure"
    )]
    Unprotectable {
        /// The cell.
        cell: String,
    },
    /// The embedded relations file cannot be used.
    #[error("the relations between published counts")]
    Relations(#[from] cwsw_dictionary::relations::RelationsError),
    /// The output checker's folder is the submission folder or inside it.
    #[error(
        "the output checker's folder {checking} is inside the submission folder {submission}\nhint: choose a folder outside the submission, or leave the choice out (default: `output-checking` beside the submission)"
    )]
    CheckingInSubmission {
        /// The output checker's folder.
        checking: PathBuf,
        /// The submission folder.
        submission: PathBuf,
    },
}

/// Where [`publish`] writes: the submission, and the output checker's folder beside it.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    /// The submission folder: the EES files, safe to send.
    pub submission: &'a Path,
    /// The output checker's folder: the suppression logs and their README, never sent.
    pub checking: &'a Path,
}

impl Destination<'_> {
    /// The output checker's folder by default: `output-checking` beside the submission.
    pub fn checking_beside(submission: &Path) -> PathBuf {
        submission
            .parent()
            .unwrap_or_else(|| Path::new(""))
            .join("output-checking")
    }
}

/// What one call of [`publish`] wrote: each measure's table and its estimates' table.
#[derive(Debug, Clone)]
pub struct Submission {
    /// (measure table, estimates table), by measure name.
    pub tables: Vec<(PublishedTable, PublishedTable)>,
    /// Every file written into the submission.
    pub files: Vec<PathBuf>,
    /// Every file written into the output checker's folder.
    pub checking: Vec<PathBuf>,
}

impl Submission {
    /// A measure's published table.
    pub fn measure(&self, name: &str) -> Option<&PublishedTable> {
        self.tables
            .iter()
            .map(|(table, _)| table)
            .find(|table| table.name == name)
    }
}

/// Publishes every measure file of `measures` (`*.parquet`, by name) with its
/// estimates from `estimates` (`estimates.parquet`) into the submission folder, and
/// each file's suppression log into the output checker's folder. Refuses a checking
/// folder inside the submission, and a submission folder that holds a suppression log.
pub fn publish(
    measures: &Path,
    estimates: &Path,
    la: LocalAuthority,
    rules: &DisclosureRules,
    destination: Destination,
) -> Result<Submission, PublishError> {
    checking::check_apart(destination)?;
    let records = read_estimates(estimates)?;
    let entries = std::fs::read_dir(measures).map_err(|source| PublishError::Io {
        path: measures.to_path_buf(),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| PublishError::Io {
                path: measures.to_path_buf(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|ext| ext == "parquet") {
            paths.push(path);
        }
    }
    paths.sort();
    let mut files = Vec::new();
    let mut tables = Vec::new();
    for path in paths {
        let file = read_measure_file(&path)?;
        let levels = Levels::of(&file.layout.measure, &records);
        tables.push(unprotected_table(&file, &levels, la)?);
        files.push(file);
    }
    let layouts: Vec<&cwsw_dictionary::layout::Layout> =
        files.iter().map(|file| &file.layout).collect();
    let relations = Relations::embedded()?;
    check_relations(&tables, &layouts, &relations)?;
    protect(&mut tables, &layouts, &relations, rules)?;
    let mut submission = Submission {
        tables: Vec::new(),
        files: Vec::new(),
        checking: vec![write_checking(destination.checking, rules)?],
    };
    for (file, table) in files.iter().zip(tables) {
        let estimates = estimates_table(file, &table, &records)?;
        for table in [&table, &estimates] {
            let (data, log) = write_ees(table, destination)?;
            submission.files.extend(data);
            submission.checking.push(log);
        }
        submission.tables.push((table, estimates));
    }
    Ok(submission)
}
