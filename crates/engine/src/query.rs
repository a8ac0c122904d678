//! Query files: SQL with a YAML header block in its leading `--` comments, the query's
//! own documentation (name, title, numerator, denominator, grain, parameters, output).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::EngineError;

/// The censuses a measure header may name, as `census_years` writes them in `need`: the
/// spring, summer and autumn censuses of the calendar year the academic year ends in,
/// and the spring census after it.
pub const CENSUS_NEEDS: &[&str] = &["spring", "summer", "autumn", "next spring"];

/// The query files compiled into the binary: (path under `queries/`, contents).
pub const EMBEDDED_QUERIES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// A cohort (who is in which group) or a measure (aggregates per group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryKind {
    /// Defines group membership or a per-pupil table; the union of every year's result
    /// is registered as the table its header names (`cohort` unless it says otherwise).
    Cohort,
    /// Per-pupil rows the stats stage fits (`pupil_outcomes`): made per year after the
    /// cohort tables and written into the warehouse folder, never into `measures/`.
    Pupil,
    /// Aggregates over the cohort.
    Measure,
}

/// How a measure's indicator relates its counts, so that the stats stage can give it an
/// interval and compare groups (the `indicators:` block of a measure's header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Estimator {
    /// Pupils meeting a condition over pupils: Wilson.
    Proportion,
    /// A ratio of per-pupil sums (sessions; or pupils, when the numerator counts pupils
    /// outside the denominator): the ratio estimator.
    Ratio,
    /// A mean score over pupils: t.
    Mean,
    /// Progress 8: DfE's interval with the national standard deviation.
    Progress8,
}

/// One published figure of a measure, described as data: which counts it derives from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// The output column holding the figure (`pt_overall`), filled in from the key.
    #[serde(skip)]
    pub column: String,
    /// How it is estimated.
    pub estimator: Estimator,
    /// The count or sum it is the numerator of (`t_sess_overall`; for a mean, the sum).
    pub numerator: String,
    /// The count it is over (`t_sess_possible`; for a mean, its pupils).
    pub denominator: String,
    /// Ratio: Σ numerator² per pupil; mean: Σ score².
    #[serde(default)]
    pub numerator_squared: Option<String>,
    /// Ratio: Σ denominator² per pupil.
    #[serde(default)]
    pub denominator_squared: Option<String>,
    /// Ratio: Σ numerator × denominator per pupil.
    #[serde(default)]
    pub cross: Option<String>,
    /// Ratio: the pupils it is over (clusters), when not derivable.
    #[serde(default)]
    pub pupils: Option<String>,
    /// Ratio of 0/1 per-pupil values (exclusions): Σa² = Σa, Σp² = Σp and the pupils are
    /// Σa + Σp − Σap.
    #[serde(default)]
    pub binary: bool,
    /// The per-pupil numerator and denominator columns of `pupil_outcomes` for the
    /// difference in differences and the event study; none, no pupil-level fit.
    #[serde(default)]
    pub pupil_level: Option<[String; 2]>,
    /// Its difference in differences for CINO, CPPO and CLA 12 months is in the small
    /// confirmatory family.
    #[serde(default)]
    pub confirmatory: bool,
    /// Compared between groups (no gap for coverage, which describes the data).
    #[serde(default = "yes")]
    pub gap: bool,
}

fn yes() -> bool {
    true
}

/// The years a measure's difference in differences compares, by default: every year
/// held up to `pre_until` against every year from `post_from`, which respect the series'
/// breaks (domain.md §2, x years; COVID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DidYears {
    /// Last year before the role (EES time_period, 201819).
    pub pre_until: i32,
    /// First year since (202122).
    pub post_from: i32,
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
    /// For a measure: the research question it answers (domain.md §6: `RQ1 attendance`).
    pub research_question: Option<String>,
    /// For a measure: its figures and the counts each derives from, in output order.
    pub indicators: Vec<Indicator>,
    /// For a measure: the default years of its difference in differences.
    pub did_years: Option<DidYears>,
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
    #[serde(default)]
    research_question: Option<String>,
    #[serde(default)]
    indicators: serde_yaml_ng::Mapping,
    #[serde(default)]
    did_years: Option<DidYears>,
}

/// The research questions outputs name (domain.md §6).
pub const RESEARCH_QUESTIONS: &[&str] = &[
    "RQ1 attendance",
    "RQ2 exclusions",
    "RQ3 attainment",
    "RQ4 needs",
    "RQ5 visibility",
];

/// Reads the `indicators:` block, checking every column it names is an output column.
fn indicators(
    path: &Path,
    mapping: serde_yaml_ng::Mapping,
    output: &serde_yaml_ng::Mapping,
) -> Result<Vec<Indicator>, EngineError> {
    let problem = |message: String| EngineError::QueryHeader {
        path: path.to_path_buf(),
        message,
    };
    let mut indicators = Vec::new();
    for (key, value) in mapping {
        let column = key.as_str().unwrap_or_default().to_string();
        let mut indicator: Indicator = serde_yaml_ng::from_value(value)
            .map_err(|error| problem(format!("indicator `{column}`: {error}")))?;
        indicator.column = column.clone();
        let named = [
            Some(&indicator.column),
            Some(&indicator.numerator),
            Some(&indicator.denominator),
            indicator.numerator_squared.as_ref(),
            indicator.denominator_squared.as_ref(),
            indicator.cross.as_ref(),
            indicator.pupils.as_ref(),
        ];
        if let Some(missing) = named
            .into_iter()
            .flatten()
            .find(|name| !output.contains_key(name.as_str()))
        {
            return Err(problem(format!(
                "indicator `{column}` names `{missing}`, which is not an output column"
            )));
        }
        let complete = match indicator.estimator {
            Estimator::Ratio => {
                indicator.cross.is_some()
                    && (indicator.binary
                        || (indicator.numerator_squared.is_some()
                            && indicator.denominator_squared.is_some()
                            && indicator.pupils.is_some()))
            }
            Estimator::Mean => indicator.numerator_squared.is_some(),
            Estimator::Proportion | Estimator::Progress8 => true,
        };
        if !complete {
            return Err(problem(format!(
                "indicator `{column}`: a ratio needs cross and either binary or numerator_squared, denominator_squared and pupils; a mean needs numerator_squared"
            )));
        }
        indicators.push(indicator);
    }
    Ok(indicators)
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
            .find(|need| !CENSUS_NEEDS.contains(&need.as_str()))
        {
            return Err(EngineError::QueryHeader {
                path: path.to_path_buf(),
                message: format!(
                    "censuses names `{need}`, not one of {}",
                    CENSUS_NEEDS.join(", ")
                ),
            });
        }
        if let Some(question) = raw
            .research_question
            .as_deref()
            .filter(|question| !RESEARCH_QUESTIONS.contains(question))
        {
            return Err(EngineError::QueryHeader {
                path: path.to_path_buf(),
                message: format!(
                    "research_question `{question}` is not one of {}",
                    RESEARCH_QUESTIONS.join(", ")
                ),
            });
        }
        let indicators = indicators(path, raw.indicators, &raw.output)?;
        let header = QueryHeader {
            research_question: raw.research_question,
            indicators,
            did_years: raw.did_years,
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

/// The folders of `queries/`, in the order their kinds run.
pub const QUERY_FOLDERS: [&str; 3] = ["cohorts", "pupils", "measures"];

/// Every query: cohorts first, then pupil-level queries, then measures, each sorted by
/// path.
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

    /// Loads `dir/cohorts/*.sql`, `dir/pupils/*.sql` and `dir/measures/*.sql`.
    pub fn load(dir: &Path) -> Result<Self, EngineError> {
        let mut files = Vec::new();
        for sub in QUERY_FOLDERS {
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
        let rank = |query: &Query| match query.header.kind {
            QueryKind::Cohort => 0,
            QueryKind::Pupil => 1,
            QueryKind::Measure => 2,
        };
        queries.sort_by(|a, b| (rank(a), &a.path).cmp(&(rank(b), &b.path)));
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

    /// The pupil-level queries (`pupil_outcomes`).
    pub fn pupils(&self) -> impl Iterator<Item = &Query> {
        self.queries
            .iter()
            .filter(|query| query.header.kind == QueryKind::Pupil)
    }

    /// The measure queries.
    pub fn measures(&self) -> impl Iterator<Item = &Query> {
        self.queries
            .iter()
            .filter(|query| query.header.kind == QueryKind::Measure)
    }
}
