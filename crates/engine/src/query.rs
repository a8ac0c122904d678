//! Query files: SQL with a YAML header block in its leading `--` comments, the query's
//! own documentation (name, title, numerator, denominator, grain, parameters, output).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::EngineError;

/// The query files compiled into the binary: (path under `queries/`, contents).
pub const EMBEDDED_QUERIES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// A cohort (who is in which group) or a measure (aggregates per group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryKind {
    /// Defines group membership or a per-pupil table; the union of every year's result
    /// is registered as the table its header names (`cohort` unless it says otherwise).
    Cohort,
    /// Aggregates over the cohort.
    Measure,
}

/// A declared column or parameter: name, type, meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Name.
    pub name: String,
    /// Logical type: string, int32, int64, float64, boolean or date.
    pub column_type: String,
    /// What it is.
    pub description: String,
}

/// The header block of a query file.
#[derive(Debug, Clone)]
pub struct QueryHeader {
    /// File stem, and the name of its output.
    pub name: String,
    /// One-line title.
    pub title: String,
    /// Cohort or measure.
    pub kind: QueryKind,
    /// The `domain.md` section it implements.
    pub implements: String,
    /// What one output row is.
    pub grain: String,
    /// What is counted.
    pub numerator: String,
    /// What it is counted over.
    pub denominator: String,
    /// Placeholders it takes, bound per academic year.
    pub parameters: Vec<Declared>,
    /// Its output columns, in order.
    pub output: Vec<Declared>,
    /// Academic years (`202021`) in which the measure was not collected: published as `x`.
    pub not_collected: Vec<i32>,
    /// Columns not collected in some years (KS4 Progress 8): `x` there, the rest stands.
    pub not_collected_columns: std::collections::BTreeMap<String, Vec<i32>>,
    /// For a cohort-kind query: the table its results are registered as.
    pub table: String,
    /// For a cohort-kind query: made once for the whole run (persons), not per year.
    pub once: bool,
    /// For a cohort: every group label it can produce, in display order.
    pub groups: Vec<String>,
    /// For a measure: the school censuses each year needs (`spring`, `summer`, `autumn`
    /// of the year, `next spring`); a year missing one is `x` (`domain.md` §2, complete years).
    pub censuses: Vec<String>,
    /// For a measure: how its rates relate their counts (`ratio` when the numerator can
    /// count pupils outside the denominator), for the stats stage.
    pub estimator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    title: String,
    kind: QueryKind,
    implements: String,
    grain: String,
    numerator: String,
    denominator: String,
    #[serde(default)]
    parameters: Option<serde_yaml_ng::Mapping>,
    output: serde_yaml_ng::Mapping,
    #[serde(default)]
    not_collected: Vec<i32>,
    #[serde(default)]
    not_collected_columns: std::collections::BTreeMap<String, Vec<i32>>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    once: bool,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    censuses: Vec<String>,
    #[serde(default)]
    estimator: Option<String>,
}

const TYPES: &[&str] = &["string", "int32", "int64", "float64", "boolean", "date"];

fn declared(
    path: &Path,
    section: &str,
    mapping: serde_yaml_ng::Mapping,
) -> Result<Vec<Declared>, EngineError> {
    mapping
        .into_iter()
        .map(|(key, value)| {
            let name = key.as_str().unwrap_or_default().to_string();
            let text = value.as_str().unwrap_or_default();
            let (column_type, description) = text.split_once(',').unwrap_or((text, ""));
            let column_type = column_type.trim().to_string();
            if !TYPES.contains(&column_type.as_str()) {
                return Err(EngineError::QueryHeader {
                    path: path.to_path_buf(),
                    message: format!(
                        "{section} `{name}`: `{column_type}` is not a type (string, int32, int64, float64, boolean, date); write `TYPE, description`"
                    ),
                });
            }
            Ok(Declared {
                name,
                column_type,
                description: description.trim().to_string(),
            })
        })
        .collect()
}

/// A query file: header and SQL.
#[derive(Debug, Clone)]
pub struct Query {
    /// Path under `queries/`, e.g. `measures/absence.sql`.
    pub path: PathBuf,
    /// The parsed header.
    pub header: QueryHeader,
    /// The whole file, header included (comments are SQL).
    pub sql: String,
}

impl Query {
    /// Parses a query file's header.
    pub fn parse(path: &Path, text: &str) -> Result<Self, EngineError> {
        let yaml: String = text
            .lines()
            // The header ends at the first line that is not a comment, or a bare `--`
            // that opens the query's prose notes.
            .take_while(|line| line.starts_with("--") && line.trim_end() != "--")
            .map(|line| {
                let body = line.trim_start_matches("--");
                format!("{}\n", body.strip_prefix(' ').unwrap_or(body))
            })
            .collect();
        let raw: RawHeader =
            serde_yaml_ng::from_str(&yaml).map_err(|error| EngineError::QueryHeader {
                path: path.to_path_buf(),
                message: format!(
                    "header line {}: {error}",
                    error.location().map_or(0, |location| location.line())
                ),
            })?;
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().to_string())
            .unwrap_or_default();
        if raw.name != stem {
            return Err(EngineError::QueryHeader {
                path: path.to_path_buf(),
                message: format!(
                    "the header names the query `{}` but the file is `{stem}.sql`",
                    raw.name
                ),
            });
        }
        let unknown = raw
            .not_collected_columns
            .keys()
            .find(|column| !raw.output.contains_key(column.as_str()));
        if let Some(column) = unknown {
            return Err(EngineError::QueryHeader {
                path: path.to_path_buf(),
                message: format!(
                    "not_collected_columns names `{column}`, which is not an output column"
                ),
            });
        }
        if let Some(need) = raw
            .censuses
            .iter()
            .find(|need| !crate::coverage::CENSUS_NEEDS.contains(&need.as_str()))
        {
            return Err(EngineError::QueryHeader {
                path: path.to_path_buf(),
                message: format!(
                    "censuses names `{need}`, not one of {}",
                    crate::coverage::CENSUS_NEEDS.join(", ")
                ),
            });
        }
        let header = QueryHeader {
            parameters: declared(path, "parameter", raw.parameters.unwrap_or_default())?,
            output: declared(path, "output column", raw.output)?,
            name: raw.name,
            title: raw.title,
            kind: raw.kind,
            implements: raw.implements,
            grain: raw.grain,
            numerator: raw.numerator,
            denominator: raw.denominator,
            not_collected: raw.not_collected,
            not_collected_columns: raw.not_collected_columns,
            table: raw.table.unwrap_or_else(|| "cohort".to_string()),
            once: raw.once,
            groups: raw.groups,
            censuses: raw.censuses,
            // `ratio: (the numerator …)` reads as the word before the first space.
            estimator: raw.estimator.map(|text| {
                text.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string()
            }),
        };
        Ok(Self {
            path: path.to_path_buf(),
            header,
            sql: text.to_string(),
        })
    }
}

/// Every query: cohorts first, then measures, each sorted by path.
#[derive(Debug, Clone)]
pub struct QuerySet {
    /// The queries.
    pub queries: Vec<Query>,
}

impl QuerySet {
    /// The queries compiled into the binary.
    pub fn embedded() -> Result<Self, EngineError> {
        Self::from_files(
            EMBEDDED_QUERIES
                .iter()
                .map(|(path, text)| (PathBuf::from(path), text.to_string())),
        )
    }

    /// Loads `dir/cohorts/*.sql` and `dir/measures/*.sql`.
    pub fn load(dir: &Path) -> Result<Self, EngineError> {
        let mut files = Vec::new();
        for sub in ["cohorts", "measures"] {
            let folder = dir.join(sub);
            let entries = std::fs::read_dir(&folder).map_err(|source| EngineError::Io {
                path: folder.clone(),
                source,
            })?;
            for entry in entries {
                let path = entry
                    .map_err(|source| EngineError::Io {
                        path: folder.clone(),
                        source,
                    })?
                    .path();
                if path.extension().is_some_and(|ext| ext == "sql") {
                    let text =
                        std::fs::read_to_string(&path).map_err(|source| EngineError::Io {
                            path: path.clone(),
                            source,
                        })?;
                    let relative = PathBuf::from(sub).join(path.file_name().unwrap_or_default());
                    files.push((relative, text));
                }
            }
        }
        Self::from_files(files)
    }

    pub(crate) fn from_files(
        files: impl IntoIterator<Item = (PathBuf, String)>,
    ) -> Result<Self, EngineError> {
        let mut queries = files
            .into_iter()
            .map(|(path, text)| Query::parse(&path, &text))
            .collect::<Result<Vec<_>, _>>()?;
        queries.sort_by(|a, b| {
            (a.header.kind == QueryKind::Measure, &a.path)
                .cmp(&(b.header.kind == QueryKind::Measure, &b.path))
        });
        Ok(Self { queries })
    }

    /// A query by name.
    pub fn get(&self, name: &str) -> Option<&Query> {
        self.queries.iter().find(|query| query.header.name == name)
    }

    /// The cohort queries.
    pub fn cohorts(&self) -> impl Iterator<Item = &Query> {
        self.queries
            .iter()
            .filter(|query| query.header.kind == QueryKind::Cohort)
    }

    /// The measure queries.
    pub fn measures(&self) -> impl Iterator<Item = &Query> {
        self.queries
            .iter()
            .filter(|query| query.header.kind == QueryKind::Measure)
    }
}
