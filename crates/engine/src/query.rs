//! Query files: SQL with a YAML header block in its leading `--` comments, the query's
//! own documentation (name, title, numerator, denominator, grain, parameters, output).

use std::path::{Path, PathBuf};

use cwsw_dictionary::layout::{Column, Counted, Figure, LABEL_LIMIT, Layout, Part};
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
    /// Its label in the published `.meta.csv` (at most 52 characters, so that its
    /// interval's labels fit in 80).
    pub label: String,
    /// Decimal places published (`domain.md` §2: 1 for absence, 2 for exclusions, 0 for KS2).
    pub dp: u8,
    /// EES `indicator_grouping`.
    #[serde(default)]
    pub grouping: Option<String>,
}

/// A published count of a measure (the `counts:` block of its header): what it counts,
/// and whose count it is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    /// The output column, filled in from the key.
    #[serde(skip)]
    pub column: String,
    /// Pupils, children or sessions.
    pub counts: Counted,
    /// The count of people it is about (`t_pupils` for a count of their sessions or of
    /// those of them absent 10% or more): when that is suppressed, so is this.
    #[serde(default)]
    pub of: Option<String>,
    /// Its label in the published `.meta.csv`.
    pub label: String,
    /// EES `indicator_grouping`.
    #[serde(default)]
    pub grouping: Option<String>,
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
    /// For a measure: its published counts, in output order.
    pub counts: Vec<Count>,
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
    #[serde(default)]
    counts: serde_yaml_ng::Mapping,
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

/// Reads the `counts:` block, checking each names an output column and whose count it
/// is names another, and that every indicator's numerator and denominator that count
/// pupils or sessions (all but a mean's sum of scores) are declared, so that publish
/// can suppress the figure with its counts.
fn counts(
    path: &Path,
    mapping: serde_yaml_ng::Mapping,
    output: &serde_yaml_ng::Mapping,
    indicators: &[Indicator],
) -> Result<Vec<Count>, EngineError> {
    let problem = |message: String| EngineError::QueryHeader {
        path: path.to_path_buf(),
        message,
    };
    let mut counts = Vec::new();
    for (key, value) in mapping {
        let column = key.as_str().unwrap_or_default().to_string();
        let mut count: Count = serde_yaml_ng::from_value(value)
            .map_err(|error| problem(format!("count `{column}`: {error}")))?;
        count.column = column.clone();
        if !output.contains_key(column.as_str()) {
            return Err(problem(format!("count `{column}` is not an output column")));
        }
        counts.push(count);
    }
    let declared = |name: &str| counts.iter().any(|count| count.column == name);
    for count in &counts {
        if let Some(of) = count.of.as_deref().filter(|of| !declared(of)) {
            return Err(problem(format!(
                "count `{}` is of `{of}`, which is not in counts",
                count.column
            )));
        }
        if count.label.chars().count() > LABEL_LIMIT {
            return Err(problem(format!(
                "count `{}`: its label is longer than {LABEL_LIMIT} characters",
                count.column
            )));
        }
    }
    if counts.is_empty() {
        return Ok(counts);
    }
    for indicator in indicators {
        let mut needed = vec![&indicator.denominator];
        if matches!(
            indicator.estimator,
            Estimator::Proportion | Estimator::Ratio
        ) {
            needed.push(&indicator.numerator);
        }
        if let Some(missing) = needed.into_iter().find(|name| !declared(name)) {
            return Err(problem(format!(
                "indicator `{}` derives from `{missing}`, which is not in counts\nhint: declare it under counts: with what it counts (pupils, children or sessions)",
                indicator.column
            )));
        }
        let longest = indicator.label.chars().count() + Part::Lower.suffixes().1.chars().count();
        if indicator.label.is_empty() || longest > LABEL_LIMIT {
            return Err(problem(format!(
                "indicator `{}`: its label must be 1 to {} characters, so that its interval's fit in {LABEL_LIMIT}",
                indicator.column,
                LABEL_LIMIT - Part::Lower.suffixes().1.chars().count()
            )));
        }
    }
    Ok(counts)
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

impl QueryHeader {
    /// What the measure publishes: its counts and its indicators' estimates with their
    /// intervals, in output order (`domain.md` §2 names; units: % for a rate, none for a
    /// score).
    pub fn layout(&self) -> Layout {
        let mut columns = Vec::new();
        for declared in &self.output {
            if let Some(count) = self
                .counts
                .iter()
                .find(|count| count.column == declared.name)
            {
                columns.push(Column {
                    name: count.column.clone(),
                    label: count.label.clone(),
                    unit: String::new(),
                    dp: 0,
                    grouping: count.grouping.clone().unwrap_or_default(),
                    figure: Figure::Count {
                        counts: count.counts,
                        of: count.of.clone(),
                    },
                });
            }
            let Some(indicator) = self
                .indicators
                .iter()
                .find(|indicator| indicator.column == declared.name)
            else {
                continue;
            };
            let from: Vec<String> = [
                Some(&indicator.numerator),
                Some(&indicator.denominator),
                indicator.pupils.as_ref(),
            ]
            .into_iter()
            .flatten()
            .filter(|name| self.counts.iter().any(|count| &count.column == *name))
            .cloned()
            .collect();
            let unit = match indicator.estimator {
                Estimator::Proportion | Estimator::Ratio => "%",
                Estimator::Mean | Estimator::Progress8 => "",
            };
            for part in [Part::Estimate, Part::Lower, Part::Upper] {
                let (name_suffix, label_suffix) = part.suffixes();
                columns.push(Column {
                    name: format!("{}{name_suffix}", indicator.column),
                    label: format!("{}{label_suffix}", indicator.label),
                    unit: unit.to_string(),
                    dp: indicator.dp,
                    grouping: indicator.grouping.clone().unwrap_or_default(),
                    figure: Figure::Estimate {
                        indicator: indicator.column.clone(),
                        part,
                        from: from.clone(),
                        denominator: indicator.denominator.clone(),
                    },
                });
            }
        }
        Layout {
            measure: self.name.clone(),
            title: self.title.clone(),
            research_question: self.research_question.clone(),
            columns,
        }
    }
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
        let counts = counts(path, raw.counts, &raw.output, &indicators)?;
        let header = QueryHeader {
            research_question: raw.research_question,
            indicators,
            counts,
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

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "-- name: m
-- title: T
-- kind: measure
-- implements: x
-- grain: g
-- numerator: n
-- denominator: d
-- indicators:
--   pt_flag: {estimator: proportion, numerator: t_flag, denominator: t_pupils, label: Flag rate, dp: 1}
-- counts:
--   t_pupils: {counts: pupils, label: Number of pupils}
--   t_flag: {counts: pupils, of: OF, label: Number flagged}
-- output:
--   t_pupils: int64, pupils
--   t_flag: int64, flagged
--   pt_flag: float64, rate
select 1
";

    fn parse(of: &str) -> Result<Query, EngineError> {
        Query::parse(Path::new("measures/m.sql"), &HEADER.replace("OF", of))
    }

    #[test]
    fn the_layout_publishes_each_count_and_each_indicator_with_its_interval() {
        let layout = parse("t_pupils").expect("valid").header.layout();
        let names: Vec<&str> = layout
            .columns
            .iter()
            .map(|column| column.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "t_pupils",
                "t_flag",
                "pt_flag",
                "pt_flag_lower_ci",
                "pt_flag_upper_ci"
            ]
        );
        assert!(layout.columns[0].figure.counts_people());
        assert_eq!(layout.columns[3].unit, "%");
        assert_eq!(
            layout.columns[4].label,
            "Flag rate, upper 95% confidence limit"
        );
        assert_eq!(
            layout.columns[2].figure,
            Figure::Estimate {
                indicator: "pt_flag".into(),
                part: Part::Estimate,
                from: vec!["t_flag".into(), "t_pupils".into()],
                denominator: "t_pupils".into(),
            }
        );
    }

    #[test]
    fn a_count_of_an_undeclared_count_or_a_rate_over_one_is_refused() {
        let error = parse("t_nobody").expect_err("of names no count");
        assert!(error.to_string().contains("is of `t_nobody`"), "{error}");
        let text = HEADER
            .replace("OF", "t_pupils")
            .replace(
                "--   t_pupils: {counts: pupils, label: Number of pupils}\n",
                "",
            )
            .replace(", of: t_pupils", "");
        let error = Query::parse(Path::new("measures/m.sql"), &text).expect_err("undeclared");
        assert!(
            error
                .to_string()
                .contains("derives from `t_pupils`, which is not in counts"),
            "{error}"
        );
        let text = HEADER
            .replace("OF", "t_pupils")
            .replace("label: Flag rate", &format!("label: {}", "x".repeat(60)));
        let error = Query::parse(Path::new("measures/m.sql"), &text).expect_err("too long");
        assert!(
            error.to_string().contains("label must be 1 to 52"),
            "{error}"
        );
    }

    #[test]
    fn every_embedded_measure_publishes_its_indicators() {
        let queries = QuerySet::embedded().expect("valid");
        for query in queries.measures() {
            let layout = query.header.layout();
            for indicator in &query.header.indicators {
                for suffix in ["", "_lower_ci", "_upper_ci"] {
                    let name = format!("{}{suffix}", indicator.column);
                    assert!(
                        layout.column(&name).is_some(),
                        "{}: {name}",
                        query.header.name
                    );
                }
            }
            assert!(
                layout
                    .columns
                    .iter()
                    .any(|column| column.figure.counts_people()),
                "{} publishes a count of people",
                query.header.name
            );
        }
    }
}
