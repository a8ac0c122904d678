//! The engine: runs the cohort and measure queries of `queries/` through DataFusion
//! over the Parquet warehouse. Only this crate touches DataFusion.
//!
//! Each query is a `.sql` file whose leading comment block is a YAML header
//! ([`QueryHeader`]) declaring its parameters and output columns. [`Engine::run`]
//! binds the parameters of each academic year through DataFusion placeholders
//! (`$reference_date`, never string formatting), runs every cohort-kind query and
//! registers the union of its years as the table its header names (`pupil_years`,
//! `social_care_children`, `cohort`, `cohort_groups`, `cohort_pupils`, each after the
//! tables it reads), then runs every measure, checks each result against its header and
//! returns it completed and sorted by year, group and breakdown.
//!
//! ```
//! let queries = cwsw_engine::QuerySet::embedded().expect("the embedded queries parse");
//! assert!(queries.get("absence").is_some());
//! ```

mod coverage;
mod parts;
mod pool;
mod query;

pub use coverage::{
    CENSUS_NEEDS, MeasureYear, measure_years, measure_years_batch, measure_years_schema,
};
pub use datafusion::scalar::ScalarValue;
pub use query::{
    Declared, DidYears, EMBEDDED_QUERIES, Estimator, Indicator, QUERY_FOLDERS, Query, QueryHeader,
    QueryKind, QuerySet, RESEARCH_QUESTIONS,
};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::NaiveDate;
use cwsw_dictionary::{AcademicYear, Lookback, days_since_epoch};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

/// What can go wrong running queries.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A query file's header is malformed.
    #[error("{path}: {message}")]
    QueryHeader {
        /// The query file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// DataFusion failed planning or running a query.
    #[error("{query}: {message}")]
    Query {
        /// The query name.
        query: String,
        /// DataFusion's message.
        message: String,
    },
    /// A result does not have the columns its header declares.
    #[error("{0}")]
    Schema(Box<SchemaMismatch>),
    /// A parameter value could not be read as its declared type.
    #[error("parameter `{name}`: `{value}` is not a {column_type}")]
    Parameter {
        /// Parameter.
        name: String,
        /// Value given.
        value: String,
        /// Declared type.
        column_type: String,
    },
    /// The warehouse folder has no tables.
    #[error("{0}: no warehouse tables (*.parquet) here; run `cwsw extract` first")]
    EmptyWarehouse(PathBuf),
    /// Writing results failed.
    #[error("{path}: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
}

/// A result column that is not the one its query's header declares.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{query}: result column {position} is `{found}` ({found_type}), the header declares `{declared}` ({declared_type})"
)]
pub struct SchemaMismatch {
    /// The query name.
    pub query: String,
    /// 1-based column position.
    pub position: usize,
    /// Column found.
    pub found: String,
    /// Its Arrow type.
    pub found_type: String,
    /// Column declared.
    pub declared: String,
    /// Its declared type.
    pub declared_type: String,
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Worker threads (DataFusion target partitions); 0 means one per core.
    pub threads: usize,
    /// Memory limit in bytes, spilling to disk beyond it; `None` for no limit.
    pub memory_limit: Option<usize>,
    /// Where the run keeps its cohort tables and spill files (a private folder is made
    /// inside it and removed afterwards); `None` for the system temporary folder.
    pub work_dir: Option<PathBuf>,
}

/// The result of one measure over every year.
#[derive(Debug, Clone)]
pub struct MeasureResult {
    /// The measure's header.
    pub header: QueryHeader,
    /// The schema, as declared.
    pub schema: SchemaRef,
    /// The rows, sorted by year, group and breakdown.
    pub batches: Vec<RecordBatch>,
    /// (year, group) pairs the returns do not support: their values are `x`.
    pub unsupported: BTreeSet<(i32, String)>,
    /// Each year's censuses, for a measure whose header names the censuses it needs: a
    /// year missing one is `x` (`domain.md` §2, complete years).
    pub years: Vec<MeasureYear>,
}

impl MeasureResult {
    /// The year is not a whole year: a census it needs is not among the inputs.
    pub fn incomplete(&self, year: i32) -> Option<&MeasureYear> {
        self.years.iter().find(|measure_year| {
            measure_year.year.time_period() == year && !measure_year.complete()
        })
    }

    /// Whether a cell is `x` (not collected, a year missing a census it needs, or the
    /// group not supported that year) rather than `z` (no denominator) when it is null.
    pub fn not_collected(&self, year: i32, group: &str, column: &str) -> bool {
        self.header.not_collected.contains(&year)
            || self.incomplete(year).is_some()
            || self.unsupported.contains(&(year, group.to_string()))
            || self
                .header
                .not_collected_columns
                .get(column)
                .is_some_and(|years| years.contains(&year))
    }
}

/// The parameter values of an academic year, by name (`domain.md` §1, §5), with the
/// `Ever CIN` look-back (six years unless a run says `--param lookback_years=all`). Values
/// a run is given (`--param cin_plans_from=2021`) replace these.
pub fn year_parameters(year: AcademicYear, lookback: Lookback) -> Vec<(String, ScalarValue)> {
    let date = |value: NaiveDate| ScalarValue::Date32(Some(days_since_epoch(value)));
    let text = |value: String| ScalarValue::Utf8(Some(value));
    let first_census_year = lookback.first_census_year(year.end_year());
    // The window opens on 1 April starting its first collection year; with every year
    // held, before any return.
    let lookback_start = match lookback {
        Lookback::Years(_) => NaiveDate::from_ymd_opt(first_census_year - 1, 4, 1),
        Lookback::All => NaiveDate::from_ymd_opt(1900, 4, 1),
    }
    .unwrap_or(year.period_start());
    [
        (
            "academic_year",
            ScalarValue::Int32(Some(year.time_period())),
        ),
        ("census_year", ScalarValue::Int32(Some(year.end_year()))),
        ("reference_date", date(year.reference_date())),
        ("period_start", date(year.period_start())),
        ("year_start", date(year.first_day())),
        ("year_end", date(year.last_day())),
        // FSM eligibility is read on the spring census day (domain.md §2).
        ("census_date", date(year.spring_census_day())),
        ("compulsory_birth_from", date(year.compulsory_birth_from())),
        ("compulsory_birth_to", date(year.compulsory_birth_to())),
        // The collection years ending on this 31 March that Ever CIN looks back over.
        (
            "lookback_census_year",
            ScalarValue::Int32(Some(first_census_year)),
        ),
        ("lookback_start", date(lookback_start)),
        ("lookback_years", ScalarValue::Int32(Some(lookback.years()))),
        ("ever_cin_group", text(lookback.ever_cin())),
        ("never_cin_group", text(lookback.never_cin())),
        ("ever_cwsw_group", text(lookback.ever_cwsw())),
        // CIN plans are in the CIN census from 2022 (domain.md §1).
        ("cin_plans_from", ScalarValue::Int32(Some(CIN_PLANS_FROM))),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}

/// The look-back a run's overrides ask for (`lookback_years=6` or `all`), DfE's six
/// years by default.
pub fn lookback(overrides: &[(String, String)]) -> Result<Lookback, EngineError> {
    match overrides.iter().rfind(|(name, _)| name == "lookback_years") {
        None => Ok(Lookback::DFE),
        Some((_, text)) => Lookback::parse(text).ok_or_else(|| EngineError::Parameter {
            name: "lookback_years".to_string(),
            value: text.clone(),
            column_type: "number of years, or `all`".to_string(),
        }),
    }
}

/// The first CIN census year that records CIN plans nationally (`domain.md` §1).
pub const CIN_PLANS_FROM: i32 = 2022;

/// Breakdown columns a measure may carry, `Total` on its headline rows (`domain.md` §2).
pub const BREAKDOWNS: &[&str] = &["phase_type_grouping", "sex", "sen_provision", "year_group"];

/// How long one query took over every year of a run, and the peak memory while it ran.
#[derive(Debug, Clone)]
pub struct QueryTiming {
    /// The query name.
    pub query: String,
    /// Wall seconds, summed over the years.
    pub seconds: f64,
    /// Peak resident memory of the process while it ran (Linux; `None` elsewhere).
    pub peak_rss_bytes: Option<u64>,
}

/// Resets the kernel's record of the peak resident memory, so the next reading is the
/// peak since now (Linux `clear_refs`; a no-op elsewhere).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident memory (VmHWM) in bytes, where the kernel reports it.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// What one run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Each measure over every year.
    pub measures: Vec<MeasureResult>,
    /// Each query's time and peak memory, cohorts first.
    pub timings: Vec<QueryTiming>,
}

/// Reads a parameter value written as text (`2022-03-31`, `202122`) as its declared type.
pub fn parse_parameter(declared: &Declared, text: &str) -> Result<ScalarValue, EngineError> {
    let problem = || EngineError::Parameter {
        name: declared.name.clone(),
        value: text.to_string(),
        column_type: declared.column_type.clone(),
    };
    Ok(match declared.column_type.as_str() {
        "date" => ScalarValue::Date32(Some(days_since_epoch(
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| problem())?,
        ))),
        "int32" => ScalarValue::Int32(Some(text.parse().map_err(|_| problem())?)),
        "int64" => ScalarValue::Int64(Some(text.parse().map_err(|_| problem())?)),
        "float64" => ScalarValue::Float64(Some(text.parse().map_err(|_| problem())?)),
        "boolean" => ScalarValue::Boolean(Some(text.parse().map_err(|_| problem())?)),
        _ => ScalarValue::Utf8(Some(text.to_string())),
    })
}

fn arrow_type(column_type: &str) -> DataType {
    match column_type {
        "int32" => DataType::Int32,
        "int64" => DataType::Int64,
        "float64" => DataType::Float64,
        "boolean" => DataType::Boolean,
        "date" => DataType::Date32,
        _ => DataType::Utf8,
    }
}

/// Whether a result type may stand for a declared type (string views are strings).
fn compatible(found: &DataType, declared: &DataType) -> bool {
    found == declared
        || matches!(found, DataType::Null)
        || (matches!(declared, DataType::Utf8)
            && matches!(found, DataType::Utf8View | DataType::LargeUtf8))
}

/// The declared schema of a query's output.
pub fn declared_schema(header: &QueryHeader) -> SchemaRef {
    Arc::new(Schema::new(
        header
            .output
            .iter()
            .map(|column| Field::new(&column.name, arrow_type(&column.column_type), true))
            .collect::<Vec<_>>(),
    ))
}

/// A DataFusion session over a warehouse, with the query set.
pub struct Engine {
    context: SessionContext,
    queries: QuerySet,
    work: WorkDir,
    /// The warehouse folder, where a run writes the pupil-level tables.
    warehouse: Option<PathBuf>,
}

/// A private folder for the cohort tables of a run (row-level, pseudonymised), removed
/// when the engine is dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new(parent: Option<&Path>) -> Result<Self, EngineError> {
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let path = parent.join(format!("cwsw-work-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|source| EngineError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn query_error(query: &str) -> impl Fn(datafusion::error::DataFusionError) -> EngineError + '_ {
    move |error| EngineError::Query {
        query: query.to_string(),
        message: error.to_string(),
    }
}

impl Engine {
    /// A session with the engine's settings and no tables.
    pub fn session(options: &EngineOptions) -> Result<SessionContext, EngineError> {
        let threads = if options.threads == 0 {
            std::thread::available_parallelism().map_or(2, usize::from)
        } else {
            options.threads
        };
        // Any DataFusion option can be tried from the environment for tuning
        // (DATAFUSION_EXECUTION_BATCH_SIZE=4096); the settings below always win.
        // Identifiers keep their case, as in DuckDB and Spark: `t_all_SEN` is an EES name.
        let config = SessionConfig::from_env()
            .map_err(query_error("session"))?
            .with_target_partitions(threads)
            .with_information_schema(true)
            .set_bool("datafusion.sql_parser.enable_ident_normalization", false)
            // A hash join builds its table from the join's left input as the query file
            // writes it (the smaller, per-pupil side first): the statistics-driven swap
            // put the 17M-row national cohort on the build side, which cannot spill, and
            // ran out of a 4 GB pool.
            .set_bool("datafusion.optimizer.join_reordering", false)
            // An aggregate skips its per-partition (partial) step once the first 100k
            // rows make more than one group in ten (DataFusion's default is eight in ten):
            // per-pupil aggregates (pupil_years: 26M national census records a year into
            // 8.5M pupils) otherwise did the work twice and spilled the second time
            // (that query 26 s -> 21 s a year). Breakdown cells, a few thousand groups,
            // keep it.
            .set_str(
                "datafusion.execution.skip_partial_aggregation_probe_ratio_threshold",
                "0.1",
            )
            // A hash join whose build side is estimated at up to 4M rows builds one
            // table that every thread probes (CollectLeft), so the larger side is not
            // repartitioned by its key first: the KS measures join ~650k national results
            // to 20M cohort rows a year (ks4 3.3 s -> 2.4 s a year). DataFusion's default
            // (128k rows, 1 MB) repartitions both sides. The cohort's 8.5M-pupil join
            // stays partitioned; a build side cannot spill in either mode.
            .set_usize(
                "datafusion.optimizer.hash_join_single_partition_threshold_rows",
                4_000_000,
            )
            .set_usize(
                "datafusion.optimizer.hash_join_single_partition_threshold",
                1 << 30,
            );
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(limit) = options.memory_limit {
            // Operators that can spill share the pool fairly (performance.md), and may
            // use more while a quarter of it stays free (pool.rs).
            runtime = runtime.with_memory_pool(Arc::new(pool::HeadroomPool::new(limit)));
        }
        let runtime = runtime.build_arc().map_err(query_error("session"))?;
        Ok(SessionContext::new_with_config_rt(config, runtime))
    }

    /// Opens the warehouse: every folder of `*.parquet` parts becomes a table named by the
    /// folder, and every `*.parquet` file one named by its stem.
    pub async fn open(
        warehouse: &Path,
        queries: QuerySet,
        options: &EngineOptions,
    ) -> Result<Self, EngineError> {
        let context = Self::session(options)?;
        let entries = std::fs::read_dir(warehouse).map_err(|source| EngineError::Io {
            path: warehouse.to_path_buf(),
            source,
        })?;
        let mut tables = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|source| EngineError::Io {
                    path: warehouse.to_path_buf(),
                    source,
                })?
                .path();
            // A hidden folder is a pupil-level table still being written (or left by a
            // killed run), never a table.
            if path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            let is_table = if path.is_dir() {
                std::fs::read_dir(&path).is_ok_and(|mut parts| {
                    parts.any(|part| {
                        part.is_ok_and(|part| {
                            part.path().extension().is_some_and(|ext| ext == "parquet")
                        })
                    })
                })
            } else {
                path.extension().is_some_and(|ext| ext == "parquet")
            };
            if is_table {
                tables.push(path);
            }
        }
        if tables.is_empty() {
            return Err(EngineError::EmptyWarehouse(warehouse.to_path_buf()));
        }
        tables.sort();
        for path in tables {
            let name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().to_string())
                .unwrap_or_default();
            // A folder is listed (all its parts) when its URL ends with a slash.
            let mut location = path.to_string_lossy().to_string();
            if path.is_dir() && !location.ends_with('/') {
                location.push('/');
            }
            parts::register(&context, &name, &location)
                .await
                .map_err(query_error(&name))?;
        }
        let work = WorkDir::new(options.work_dir.as_deref())?;
        Ok(Self {
            context,
            queries,
            work,
            warehouse: Some(warehouse.to_path_buf()),
        })
    }

    /// An engine over an existing session (the `.slt` harness registers its own tables).
    pub fn with_context(context: SessionContext, queries: QuerySet) -> Result<Self, EngineError> {
        Ok(Self {
            context,
            queries,
            work: WorkDir::new(None)?,
            warehouse: None,
        })
    }

    /// The session, for ad-hoc SQL.
    pub fn context(&self) -> &SessionContext {
        &self.context
    }

    /// The queries.
    pub fn queries(&self) -> &QuerySet {
        &self.queries
    }

    /// Runs one query with the given parameter values, checks its result against the
    /// header and returns it cast to the declared types.
    pub async fn execute(
        &self,
        query: &Query,
        parameters: &[(&str, ScalarValue)],
    ) -> Result<Vec<RecordBatch>, EngineError> {
        let name = &query.header.name;
        let frame = self.frame(query, parameters).await?;
        let batches = frame.collect().await.map_err(query_error(name))?;
        let declared = declared_schema(&query.header);
        batches
            .into_iter()
            .map(|batch| conform(name, &declared, &batch))
            .collect()
    }

    /// A query planned with its parameters bound (each one its header declares).
    async fn frame(
        &self,
        query: &Query,
        parameters: &[(&str, ScalarValue)],
    ) -> Result<datafusion::dataframe::DataFrame, EngineError> {
        let name = &query.header.name;
        let values: Vec<(String, ScalarValue)> = query
            .header
            .parameters
            .iter()
            .map(|declared| {
                parameters
                    .iter()
                    .find(|(parameter, _)| *parameter == declared.name)
                    .map(|(_, value)| (declared.name.clone(), value.clone()))
                    .ok_or_else(|| EngineError::Query {
                        query: name.clone(),
                        message: format!("no value for parameter `{}`", declared.name),
                    })
            })
            .collect::<Result<_, _>>()?;
        self.context
            .sql(&query.sql)
            .await
            .map_err(query_error(name))?
            .with_param_values(values)
            .map_err(query_error(name))
    }

    /// The parameter values of a year with a run's overrides applied; an override must
    /// name a parameter some query declares, and parse as its type.
    pub fn parameters(
        &self,
        year: AcademicYear,
        overrides: &[(String, String)],
    ) -> Result<Vec<(String, ScalarValue)>, EngineError> {
        let mut values = year_parameters(year, lookback(overrides)?);
        // The look-back sets the window and the labels above, all at once.
        for (name, text) in overrides
            .iter()
            .filter(|(name, _)| name != "lookback_years")
        {
            let declared = self
                .queries
                .queries
                .iter()
                .flat_map(|query| &query.header.parameters)
                .find(|declared| &declared.name == name)
                .ok_or_else(|| EngineError::Query {
                    query: "--param".to_string(),
                    message: format!("no query takes a parameter `{name}`"),
                })?;
            let value = parse_parameter(declared, text)?;
            match values.iter_mut().find(|(known, _)| known == name) {
                Some(slot) => slot.1 = value,
                None => values.push((name.clone(), value)),
            }
        }
        Ok(values)
    }

    /// The cohort-kind tables in an order they can be made in, each with its queries: a
    /// table comes after every cohort table its queries read (`cohort_pupils` after
    /// `cohort` and `pupil_years`). The references come from DataFusion's own parse, so
    /// a CTE of the same name is not mistaken for a table.
    pub fn cohort_order(&self) -> Result<Vec<(String, Vec<&Query>)>, EngineError> {
        let state = self.context.state();
        let dialect = state.config().options().sql_parser.dialect;
        let mut tables: Vec<(String, Vec<&Query>, BTreeSet<String>)> = Vec::new();
        for query in self.queries.cohorts() {
            let name = &query.header.name;
            let statement = state
                .sql_to_statement(&query.sql, &dialect)
                .map_err(query_error(name))?;
            let reads: BTreeSet<String> = state
                .resolve_table_references(&statement)
                .map_err(query_error(name))?
                .iter()
                .map(|reference| reference.table().to_string())
                .collect();
            match tables
                .iter_mut()
                .find(|(table, _, _)| *table == query.header.table)
            {
                Some((_, queries, all_reads)) => {
                    queries.push(query);
                    all_reads.extend(reads);
                }
                None => tables.push((query.header.table.clone(), vec![query], reads)),
            }
        }
        let made_here: BTreeSet<String> =
            tables.iter().map(|(table, _, _)| table.clone()).collect();
        let mut order = Vec::new();
        let mut done: BTreeSet<String> = BTreeSet::new();
        while !tables.is_empty() {
            // The first table (in file order) whose cohort inputs are all made.
            let ready = tables.iter().position(|(table, _, reads)| {
                reads
                    .iter()
                    .all(|read| read == table || !made_here.contains(read) || done.contains(read))
            });
            let Some(ready) = ready else {
                let waiting: Vec<&str> =
                    tables.iter().map(|(table, _, _)| table.as_str()).collect();
                return Err(EngineError::Query {
                    query: waiting.join(", "),
                    message: "these cohort tables read each other in a cycle".to_string(),
                });
            };
            let (table, queries, reads) = tables.remove(ready);
            if reads.contains(&table) {
                return Err(EngineError::Query {
                    query: queries[0].header.name.clone(),
                    message: format!("it reads the table `{table}` it makes"),
                });
            }
            done.insert(table.clone());
            order.push((table, queries));
        }
        Ok(order)
    }

    /// Runs every cohort-kind query for each year and registers the union of each
    /// table's results (`pupil_years`, `social_care_children`, `cohort`, `cohort_groups`,
    /// `cohort_pupils`), a table as soon as it is made, so later cohort queries, measures
    /// and ad-hoc SQL can read it.
    pub async fn register_cohorts(
        &self,
        years: &[AcademicYear],
        overrides: &[(String, String)],
        progress: &mut dyn FnMut(&str),
        timings: &mut Vec<QueryTiming>,
    ) -> Result<(), EngineError> {
        // Each year's result streams to a Parquet part in the work folder, so a
        // national-scale cohort (tens of millions of rows) never sits in memory.
        for (table, queries) in self.cohort_order()? {
            let schema = declared_schema(&queries[0].header);
            let folder = self.work.path().join(&table);
            // Re-running replaces the previous table.
            let _ = self.context.deregister_table(table.as_str());
            if folder.exists() {
                std::fs::remove_dir_all(&folder).map_err(|source| EngineError::Io {
                    path: folder.clone(),
                    source,
                })?;
            }
            std::fs::create_dir_all(&folder).map_err(|source| EngineError::Io {
                path: folder.clone(),
                source,
            })?;
            for query in queries {
                let name = &query.header.name;
                if declared_schema(&query.header) != schema {
                    return Err(EngineError::Query {
                        query: name.clone(),
                        message: format!(
                            "its output differs from the other queries registered as `{table}`"
                        ),
                    });
                }
                let timing = Timer::start(name);
                // A query of the whole run (`once: true`, persons) runs one time, with
                // the first year's values for any parameter it declares.
                let runs: Vec<Option<AcademicYear>> = if query.header.once {
                    vec![None]
                } else {
                    years.iter().copied().map(Some).collect()
                };
                for run in runs {
                    let year = run.or_else(|| years.first().copied());
                    let Some(year) = year else { continue };
                    progress(&match run {
                        Some(year) => format!("cohort {name} {year}"),
                        None => format!("cohort {name}"),
                    });
                    let values = self.parameters(year, overrides)?;
                    let part = match run {
                        Some(year) => {
                            folder.join(format!("part-{name}-{}.parquet", year.time_period()))
                        }
                        None => folder.join(format!("part-{name}.parquet")),
                    };
                    self.write_part(query, &values, &schema, &part).await?;
                }
                timings.push(timing.stop());
            }
            let has_parts =
                std::fs::read_dir(&folder).is_ok_and(|mut parts| parts.next().is_some());
            if has_parts {
                let mut location = folder.to_string_lossy().to_string();
                location.push('/');
                parts::register(&self.context, &table, &location)
                    .await
                    .map_err(query_error(&table))?;
            } else {
                let empty = MemTable::try_new(schema, vec![vec![]]).map_err(query_error(&table))?;
                self.context
                    .register_table(table.as_str(), Arc::new(empty))
                    .map_err(query_error(&table))?;
            }
        }
        Ok(())
    }

    /// The named columns of a cohort table, cast to the given types; `None` when no
    /// cohort query registers that table.
    async fn cohort_table(
        &self,
        table: &str,
        columns: &[(&str, DataType)],
    ) -> Result<Option<Vec<RecordBatch>>, EngineError> {
        if !self.context.table_exist(table).unwrap_or(false) {
            return Ok(None);
        }
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let batches = self
            .context
            .sql(&format!("select {} from {table}", names.join(", ")))
            .await
            .map_err(query_error(table))?
            .collect()
            .await
            .map_err(query_error(table))?;
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, data_type)| Field::new(*name, data_type.clone(), true))
                .collect::<Vec<_>>(),
        ));
        batches
            .iter()
            .map(|batch| conform(table, &schema, batch))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Every (year, group) of the `cohort_groups` table with whether it is supported;
    /// empty when no cohort query registers that table.
    async fn group_years(&self) -> Result<Vec<(i32, String, bool)>, EngineError> {
        let columns = [
            ("academic_year", DataType::Int32),
            ("social_care_group", DataType::Utf8),
            ("supported", DataType::Boolean),
        ];
        let Some(batches) = self.cohort_table("cohort_groups", &columns).await? else {
            return Ok(Vec::new());
        };
        let mut groups = Vec::new();
        for batch in &batches {
            let years = batch
                .column(0)
                .as_primitive::<arrow::datatypes::Int32Type>();
            let labels = batch.column(1).as_string::<i32>();
            let supported = batch.column(2).as_boolean();
            for row in 0..batch.num_rows() {
                groups.push((
                    years.value(row),
                    labels.value(row).to_string(),
                    supported.is_valid(row) && supported.value(row),
                ));
            }
        }
        Ok(groups)
    }

    /// The `census_years` table's rows: which censuses each year's measures can need
    /// are among the inputs; empty when no cohort query registers that table.
    async fn census_years(&self) -> Result<coverage::CensusYears, EngineError> {
        let columns = [
            ("academic_year", DataType::Int32),
            ("need", DataType::Utf8),
            ("census", DataType::Utf8),
            ("present", DataType::Boolean),
        ];
        match self.cohort_table("census_years", &columns).await? {
            Some(batches) => coverage::census_years(&batches),
            None => Ok(coverage::CensusYears::new()),
        }
    }

    /// Registers the cohort tables for each year, then runs each measure (all of them,
    /// or those named) for each year, with a row for every supported group (0 when
    /// empty) and `x` for every unsupported one or a year not collected.
    pub async fn run(
        &self,
        years: &[AcademicYear],
        only: &[String],
        overrides: &[(String, String)],
        progress: &mut dyn FnMut(&str),
    ) -> Result<RunOutput, EngineError> {
        if let Some(unknown) = only.iter().find(|name| {
            !self
                .queries
                .measures()
                .any(|query| &query.header.name == *name)
        }) {
            return Err(EngineError::Query {
                query: unknown.clone(),
                message: "no measure of that name".to_string(),
            });
        }
        let mut timings = Vec::new();
        self.register_cohorts(years, overrides, progress, &mut timings)
            .await?;
        let groups = self.group_years().await?;
        let time_periods: BTreeSet<i32> = years.iter().map(|year| year.time_period()).collect();
        let groups: Vec<_> = groups
            .into_iter()
            .filter(|(year, _, _)| time_periods.contains(year))
            .collect();
        let censuses = self.census_years().await?;
        let mut measures = Vec::new();
        for query in self.queries.measures() {
            if !only.is_empty() && !only.contains(&query.header.name) {
                continue;
            }
            let timing = Timer::start(&query.header.name);
            let measure_years = coverage::measure_years(&query.header, years, &censuses);
            let incomplete: BTreeSet<i32> = measure_years
                .iter()
                .filter(|measure_year| !measure_year.complete())
                .map(|measure_year| measure_year.year.time_period())
                .collect();
            let mut batches = Vec::new();
            for year in years {
                // A year missing a census is x: no part-year figure is computed.
                if incomplete.contains(&year.time_period()) {
                    continue;
                }
                progress(&format!("measure {} {year}", query.header.name));
                let values = self.parameters(*year, overrides)?;
                batches.extend(self.execute(query, &borrow(&values)).await?);
            }
            let mut result = complete(query, batches, &groups, &incomplete)?;
            result.years = measure_years;
            measures.push(result);
            timings.push(timing.stop());
        }
        self.write_pupil_tables(years, overrides, progress, &mut timings)
            .await?;
        // Beside cohort_groups, for ad-hoc SQL: which censuses each measure's years had.
        let coverage: Vec<MeasureYear> = measures
            .iter()
            .flat_map(|result: &MeasureResult| result.years.iter().cloned())
            .collect();
        let table = MemTable::try_new(
            measure_years_schema(),
            vec![vec![measure_years_batch(&coverage)?]],
        )
        .map_err(query_error("measure_years"))?;
        let _ = self.context.deregister_table("measure_years");
        self.context
            .register_table("measure_years", Arc::new(table))
            .map_err(query_error("measure_years"))?;
        Ok(RunOutput { measures, timings })
    }

    /// Runs a query with the given values, checks its result against the declared schema
    /// and streams it to one Parquet part (a cohort table's year, a pupil-level year).
    async fn write_part(
        &self,
        query: &Query,
        values: &[(String, ScalarValue)],
        schema: &SchemaRef,
        part: &Path,
    ) -> Result<(), EngineError> {
        let name = &query.header.name;
        let frame = self.frame(query, &borrow(values)).await?;
        check_schema(name, schema, frame.schema().as_arrow())?;
        frame
            .write_parquet(
                &part.to_string_lossy(),
                DataFrameWriteOptions::new().with_single_file_output(true),
                Some(work_table_options()),
            )
            .await
            .map_err(query_error(name))?;
        Ok(())
    }

    /// Runs each pupil-level query (`kind: pupil`) for every year and writes its table
    /// into the warehouse folder (`<warehouse>/<table>/part-<year>.parquet`): personal
    /// data, kept with the warehouse and never beside the measures. Written to a hidden
    /// folder first and renamed into place, so a killed run leaves the previous table or
    /// none, never part of one. Without a warehouse folder (the `.slt` harness), nothing.
    async fn write_pupil_tables(
        &self,
        years: &[AcademicYear],
        overrides: &[(String, String)],
        progress: &mut dyn FnMut(&str),
        timings: &mut Vec<QueryTiming>,
    ) -> Result<(), EngineError> {
        let Some(warehouse) = &self.warehouse else {
            return Ok(());
        };
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| EngineError::Io { path, source }
        };
        for query in self.queries.pupils() {
            let name = &query.header.name;
            let table = &query.header.table;
            let timing = Timer::start(name);
            let staging = warehouse.join(format!(".{table}.partial"));
            if staging.exists() {
                std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
            }
            std::fs::create_dir_all(&staging).map_err(io(&staging))?;
            let schema = declared_schema(&query.header);
            for year in years {
                progress(&format!("pupil-level {name} {year}"));
                let values = self.parameters(*year, overrides)?;
                let part = staging.join(format!("part-{}.parquet", year.time_period()));
                self.write_part(query, &values, &schema, &part).await?;
            }
            let target = warehouse.join(table);
            if target.exists() {
                std::fs::remove_dir_all(&target).map_err(io(&target))?;
            }
            std::fs::rename(&staging, &target).map_err(io(&target))?;
            timings.push(timing.stop());
        }
        Ok(())
    }

    /// Every row of a Parquet file or folder of parts (the measures a run wrote, a
    /// pupil-level table), as the stats stage reads them, sorted by the columns named
    /// (none: in file order): only the engine reads Parquet through DataFusion.
    pub async fn read_parquet(
        &self,
        path: &Path,
        sort: &[&str],
    ) -> Result<Vec<RecordBatch>, EngineError> {
        let mut location = path.to_string_lossy().to_string();
        if path.is_dir() && !location.ends_with('/') {
            location.push('/');
        }
        let name = path.display().to_string();
        let mut frame = self
            .context
            .read_parquet(location, datafusion::prelude::ParquetReadOptions::default())
            .await
            .map_err(query_error(&name))?;
        if !sort.is_empty() {
            frame = frame
                .sort(
                    sort.iter()
                        .map(|column| datafusion::prelude::col(*column).sort(true, true))
                        .collect(),
                )
                .map_err(query_error(&name))?;
        }
        frame.collect().await.map_err(query_error(&name))
    }

    /// The plan of one query for one year (`EXPLAIN`, or `EXPLAIN ANALYZE` when
    /// `analyze`), after registering the cohort tables of that year.
    pub async fn explain(
        &self,
        name: &str,
        year: AcademicYear,
        overrides: &[(String, String)],
        analyze: bool,
    ) -> Result<String, EngineError> {
        let query = self.queries.get(name).ok_or_else(|| EngineError::Query {
            query: name.to_string(),
            message: "no query of that name".to_string(),
        })?;
        let mut timings = Vec::new();
        self.register_cohorts(&[year], overrides, &mut |_| {}, &mut timings)
            .await?;
        let values = self.parameters(year, overrides)?;
        let batches = self
            .frame(query, &borrow(&values))
            .await?
            .explain(false, analyze)
            .map_err(query_error(name))?
            .collect()
            .await
            .map_err(query_error(name))?;
        arrow::util::pretty::pretty_format_batches(&batches)
            .map(|table| table.to_string())
            .map_err(|error| EngineError::Query {
                query: name.to_string(),
                message: error.to_string(),
            })
    }

    /// Runs ad-hoc SQL, binding the given named placeholders.
    pub async fn sql(
        &self,
        sql: &str,
        parameters: &[(String, ScalarValue)],
    ) -> Result<Vec<RecordBatch>, EngineError> {
        let mut frame = self.context.sql(sql).await.map_err(query_error("sql"))?;
        if !parameters.is_empty() {
            frame = frame
                .with_param_values(parameters.to_vec())
                .map_err(query_error("sql"))?;
        }
        frame.collect().await.map_err(query_error("sql"))
    }
}

/// How the work folder's cohort tables are written: LZ4, which writes and reads faster
/// than the default zstd(3), row-group statistics only, and no dictionary for the ids;
/// the files are read a few times and then deleted.
fn work_table_options() -> datafusion::config::TableParquetOptions {
    let mut options = datafusion::config::TableParquetOptions::default();
    options.global.compression = Some("lz4_raw".to_string());
    // Readers prune by academic_year, one value a part: row-group statistics suffice.
    options.global.statistics_enabled = Some("chunk".to_string());
    // Pseudonymised ids are all distinct: a dictionary for them is built only to be
    // abandoned.
    for id in ["pupil_id", "child_id"] {
        options.column_specific_options.insert(
            id.to_string(),
            datafusion::config::ParquetColumnOptions {
                dictionary_enabled: Some(false),
                ..Default::default()
            },
        );
    }
    options
}

/// Borrowed parameter pairs, as [`Engine::execute`] takes them.
fn borrow(values: &[(String, ScalarValue)]) -> Vec<(&str, ScalarValue)> {
    values
        .iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect()
}

/// Times one query and records its peak memory.
struct Timer {
    query: String,
    started: Instant,
}

impl Timer {
    fn start(query: &str) -> Self {
        reset_peak_rss();
        Self {
            query: query.to_string(),
            started: Instant::now(),
        }
    }

    fn stop(self) -> QueryTiming {
        QueryTiming {
            query: self.query,
            seconds: self.started.elapsed().as_secs_f64(),
            peak_rss_bytes: peak_rss(),
        }
    }
}

/// Completes a measure's matrix: a headline row for every (year, group) of
/// `cohort_groups` — zeros for a supported group with no pupils, nulls (`x`) for an
/// unsupported one or a year the measure was not collected — and nulls in columns not
/// collected that year; then sorts by year, group and breakdown.
fn complete(
    query: &Query,
    batches: Vec<RecordBatch>,
    groups: &[(i32, String, bool)],
    incomplete: &BTreeSet<i32>,
) -> Result<MeasureResult, EngineError> {
    let header = &query.header;
    let name = &header.name;
    let schema = declared_schema(header);
    let arrow_error = |error: arrow::error::ArrowError| EngineError::Query {
        query: name.clone(),
        message: error.to_string(),
    };
    let batch = arrow::compute::concat_batches(&schema, &batches).map_err(arrow_error)?;
    let unsupported: BTreeSet<(i32, String)> = groups
        .iter()
        .filter(|(_, _, supported)| !supported)
        .map(|(year, group, _)| (*year, group.clone()))
        .collect();
    let mut result = MeasureResult {
        header: header.clone(),
        schema: schema.clone(),
        batches: Vec::new(),
        unsupported,
        years: Vec::new(),
    };
    // Not collected, or not a whole year: every row x.
    let x_year = |year: &i32| header.not_collected.contains(year) || incomplete.contains(year);
    let keyed =
        schema.index_of("academic_year").is_ok() && schema.index_of("social_care_group").is_ok();
    if !keyed {
        result.batches = vec![batch];
        return Ok(result);
    }
    let year_of = |batch: &RecordBatch, row: usize| -> Option<i32> {
        let column = batch.column_by_name("academic_year")?;
        let years = column.as_primitive_opt::<arrow::datatypes::Int32Type>()?;
        years.is_valid(row).then(|| years.value(row))
    };
    let text_of = |batch: &RecordBatch, column: &str, row: usize| -> Option<String> {
        let column = batch.column_by_name(column)?;
        let texts = column.as_string_opt::<i32>()?;
        texts.is_valid(row).then(|| texts.value(row).to_string())
    };
    let breakdowns: Vec<&str> = BREAKDOWNS
        .iter()
        .copied()
        .filter(|column| schema.index_of(column).is_ok())
        .collect();
    // Keep the rows of collected years and supported groups; note the headline rows.
    let mut keep = Vec::with_capacity(batch.num_rows());
    let mut headlines = BTreeSet::new();
    for row in 0..batch.num_rows() {
        let year = year_of(&batch, row).unwrap_or_default();
        let group = text_of(&batch, "social_care_group", row).unwrap_or_default();
        let x = x_year(&year) || result.unsupported.contains(&(year, group.clone()));
        keep.push(!x);
        if breakdowns
            .iter()
            .all(|column| text_of(&batch, column, row).as_deref() == Some("Total"))
        {
            headlines.insert((year, group));
        }
    }
    let batch = arrow::compute::filter_record_batch(&batch, &BooleanArray::from(keep))
        .map_err(arrow_error)?;
    // Headline rows to add: zeros, or x.
    let mut extra: Vec<(i32, String, bool)> = Vec::new();
    for (year, group, supported) in groups {
        let x = !supported || x_year(year);
        if x || !headlines.contains(&(*year, group.clone())) {
            extra.push((*year, group.clone(), x));
        }
    }
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let column_name = field.name().as_str();
        let array: ArrayRef = match (column_name, field.data_type()) {
            ("academic_year", _) => Arc::new(Int32Array::from_iter_values(
                extra.iter().map(|(year, _, _)| *year),
            )),
            ("social_care_group", _) => Arc::new(StringArray::from_iter_values(
                extra.iter().map(|(_, group, _)| group.as_str()),
            )),
            (column, DataType::Utf8) if breakdowns.contains(&column) => {
                Arc::new(StringArray::from_iter_values(extra.iter().map(|_| "Total")))
            }
            (_, DataType::Int64) => Arc::new(Int64Array::from_iter(
                extra.iter().map(|(_, _, x)| (!x).then_some(0)),
            )),
            // Sums over no pupils are 0; rates and averages have no denominator (z).
            (column, DataType::Float64) if column.starts_with("sum_") => Arc::new(
                Float64Array::from_iter(extra.iter().map(|(_, _, x)| (!x).then_some(0.0))),
            ),
            (_, data_type) => arrow::array::new_null_array(data_type, extra.len()),
        };
        columns.push(array);
    }
    let extra = RecordBatch::try_new(schema.clone(), columns).map_err(arrow_error)?;
    let batch = arrow::compute::concat_batches(&schema, [&batch, &extra]).map_err(arrow_error)?;
    // Columns not collected in some years (Progress 8) are null there.
    let mut columns = batch.columns().to_vec();
    for (column, not_collected) in &header.not_collected_columns {
        let Ok(index) = schema.index_of(column) else {
            continue;
        };
        let mask: BooleanArray = (0..batch.num_rows())
            .map(|row| Some(year_of(&batch, row).is_some_and(|year| not_collected.contains(&year))))
            .collect();
        columns[index] = arrow::compute::nullif(&columns[index], &mask).map_err(arrow_error)?;
    }
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(arrow_error)?;
    // Sort by year, group and breakdowns: a stable order, whatever the engine's.
    let mut keys = vec!["academic_year", "social_care_group"];
    keys.extend(breakdowns.iter().copied());
    let sort_columns: Vec<arrow::compute::SortColumn> = keys
        .iter()
        .filter_map(|key| batch.column_by_name(key))
        .map(|values| arrow::compute::SortColumn {
            values: values.clone(),
            options: None,
        })
        .collect();
    let indices = arrow::compute::lexsort_to_indices(&sort_columns, None).map_err(arrow_error)?;
    let batch = arrow::compute::take_record_batch(&batch, &indices).map_err(arrow_error)?;
    result.batches = vec![batch];
    Ok(result)
}

/// Checks a result's columns against the declared ones: the same names in the same
/// order, each of a type that may stand for the declared one.
fn check_schema(query: &str, declared: &Schema, found: &Schema) -> Result<(), EngineError> {
    let mismatch = |position: usize| {
        let describe = |schema: &Schema| {
            schema
                .fields()
                .get(position - 1)
                .map_or(("(none)".to_string(), String::new()), |field| {
                    (field.name().clone(), field.data_type().to_string())
                })
        };
        let (found, found_type) = describe(found);
        let (declared, declared_type) = describe(declared);
        EngineError::Schema(Box::new(SchemaMismatch {
            query: query.to_string(),
            position,
            found,
            found_type,
            declared,
            declared_type,
        }))
    };
    for (position, (field, wanted)) in found.fields().iter().zip(declared.fields()).enumerate() {
        if field.name() != wanted.name() || !compatible(field.data_type(), wanted.data_type()) {
            return Err(mismatch(position + 1));
        }
    }
    if found.fields().len() != declared.fields().len() {
        return Err(mismatch(
            found.fields().len().min(declared.fields().len()) + 1,
        ));
    }
    Ok(())
}

/// Checks a batch's columns against the declared ones and casts it to their types.
fn conform(
    query: &str,
    declared: &SchemaRef,
    batch: &RecordBatch,
) -> Result<RecordBatch, EngineError> {
    let found = batch.schema();
    check_schema(query, declared, &found)?;
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (position, wanted) in declared.fields().iter().enumerate() {
        let column =
            arrow::compute::cast(batch.column(position), wanted.data_type()).map_err(|error| {
                EngineError::Query {
                    query: query.to_string(),
                    message: error.to_string(),
                }
            })?;
        columns.push(column);
    }
    RecordBatch::try_new(declared.clone(), columns).map_err(|error| EngineError::Query {
        query: query.to_string(),
        message: error.to_string(),
    })
}

/// A CSV field: quoted (quotes doubled) when it holds a comma, quote or line end.
pub fn csv_field(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\"")).into()
    } else {
        value.into()
    }
}

/// A measure as CSV: a header row, then one line per row; a null cell is `x` where the
/// measure or group was not collected that year and `z` (no denominator) elsewhere
/// (`domain.md` §3).
pub fn measure_csv(result: &MeasureResult) -> Result<String, String> {
    let options = arrow::util::display::FormatOptions::default();
    let names: Vec<&str> = result
        .schema
        .fields()
        .iter()
        .map(|field| field.name().as_str())
        .collect();
    let mut text = names.join(",");
    text.push('\n');
    for batch in &result.batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|column| arrow::util::display::ArrayFormatter::try_new(column.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| error.to_string())?;
        let years = batch
            .column_by_name("academic_year")
            .and_then(|column| column.as_primitive_opt::<arrow::datatypes::Int32Type>());
        let groups = batch
            .column_by_name("social_care_group")
            .and_then(|column| column.as_string_opt::<i32>());
        for row in 0..batch.num_rows() {
            let year = years.map_or(0, |years| years.value(row));
            let group = groups.map_or("", |groups| groups.value(row));
            for (index, (column, formatter)) in batch.columns().iter().zip(&formatters).enumerate()
            {
                if index > 0 {
                    text.push(',');
                }
                if column.is_null(row) {
                    let symbol = if result.not_collected(year, group, names[index]) {
                        "x"
                    } else {
                        "z"
                    };
                    text.push_str(symbol);
                    continue;
                }
                text.push_str(&csv_field(&formatter.value(row).to_string()));
            }
            text.push('\n');
        }
    }
    Ok(text)
}

/// Writes each measure as `NAME.parquet` and `NAME.csv` into a folder that replaces
/// `dir` when complete.
pub fn write_measures(results: &[MeasureResult], dir: &Path) -> Result<(), EngineError> {
    let write_error = |path: &Path, message: String| EngineError::Write {
        path: path.to_path_buf(),
        message,
    };
    let parent = dir
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staging = parent.join(format!(
        ".{}.partial-{}",
        dir.file_name()
            .map(|name| name.to_string_lossy().to_string())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|source| EngineError::Io {
        path: staging.clone(),
        source,
    })?;
    let coverage: Vec<MeasureYear> = results
        .iter()
        .flat_map(|result| result.years.iter().cloned())
        .collect();
    coverage::write_measure_years(&coverage, &staging)?;
    for result in results {
        let parquet_path = staging.join(format!("{}.parquet", result.header.name));
        let file = std::fs::File::create(&parquet_path).map_err(|source| EngineError::Io {
            path: parquet_path.clone(),
            source,
        })?;
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
            .set_created_by(format!("cwsw {}", env!("CARGO_PKG_VERSION")))
            .build();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file, result.schema.clone(), Some(properties))
                .map_err(|error| write_error(&parquet_path, error.to_string()))?;
        for batch in &result.batches {
            writer
                .write(batch)
                .map_err(|error| write_error(&parquet_path, error.to_string()))?;
        }
        writer
            .close()
            .map_err(|error| write_error(&parquet_path, error.to_string()))?;
        let csv_path = staging.join(format!("{}.csv", result.header.name));
        let text = measure_csv(result).map_err(|error| write_error(&csv_path, error))?;
        std::fs::write(&csv_path, text).map_err(|source| EngineError::Io {
            path: csv_path.clone(),
            source,
        })?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|source| EngineError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::rename(&staging, dir).map_err(|source| EngineError::Io {
        path: staging.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(queries: QuerySet) -> Engine {
        let options = EngineOptions {
            threads: 1,
            memory_limit: None,
            work_dir: None,
        };
        let context = Engine::session(&options).expect("a session");
        Engine::with_context(context, queries).expect("an engine")
    }

    /// A cohort-kind query file making `table` with `sql`.
    fn cohort(name: &str, table: &str, sql: &str) -> (PathBuf, String) {
        let text = format!(
            "-- name: {name}\n-- title: a test cohort\n-- kind: cohort\n-- table: {table}\n\
             -- implements: nothing\n-- grain: one row\n-- numerator: none\n\
             -- denominator: none\n-- parameters: {{}}\n-- output:\n\
             --   academic_year: int32, the year\n{sql}\n"
        );
        (PathBuf::from(format!("cohorts/{name}.sql")), text)
    }

    fn order(engine: &Engine) -> Result<Vec<String>, EngineError> {
        Ok(engine
            .cohort_order()?
            .into_iter()
            .map(|(table, _)| table)
            .collect())
    }

    #[test]
    fn cohort_tables_are_made_after_the_tables_they_read() {
        let engine = engine(QuerySet::embedded().expect("the embedded queries parse"));
        let order = order(&engine).expect("no cycle");
        let at = |table: &str| {
            order
                .iter()
                .position(|made| made == table)
                .unwrap_or_else(|| panic!("{table} is made: {order:?}"))
        };
        assert!(at("pupil_years") < at("cohort"), "{order:?}");
        assert!(at("social_care_children") < at("cohort"), "{order:?}");
        assert!(at("cohort") < at("cohort_pupils"), "{order:?}");
        assert!(at("pupil_years") < at("cohort_pupils"), "{order:?}");
        // The persons of the whole run before every table keyed by them.
        assert!(at("person_links") < at("person_ids"), "{order:?}");
        assert!(at("person_ids") < at("pupil_years"), "{order:?}");
        assert!(at("person_ids") < at("social_care_children"), "{order:?}");
        // Each person's exclusions and results, read by a measure and pupil_outcomes.
        for table in ["pupil_exclusions", "ks2_results", "ks4_results"] {
            assert!(at("person_ids") < at(table), "{order:?}");
        }
        at("census_years");
        assert_eq!(order.len(), 11, "{order:?}");
    }

    #[test]
    fn a_cte_named_like_a_cohort_table_is_not_a_dependency() {
        // `b` reads only its own CTE called `a`, so the file order stands.
        let queries = QuerySet::from_files([
            cohort("first", "b", "with a as (select 1 as x) select x from a"),
            cohort("second", "a", "select 1 as academic_year"),
        ])
        .expect("the test queries parse");
        assert_eq!(order(&engine(queries)).expect("no cycle"), ["b", "a"]);
    }

    #[test]
    fn cohort_tables_reading_each_other_are_refused() {
        let queries = QuerySet::from_files([
            cohort("first", "a", "select academic_year from b"),
            cohort("second", "b", "select academic_year from a"),
        ])
        .expect("the test queries parse");
        let error = order(&engine(queries)).expect_err("a cycle");
        assert!(error.to_string().contains("cycle"), "{error}");
        let queries = QuerySet::from_files([cohort("own", "a", "select academic_year from a")])
            .expect("the test query parses");
        let error = order(&engine(queries)).expect_err("reads itself");
        assert!(error.to_string().contains("it makes"), "{error}");
    }
}
