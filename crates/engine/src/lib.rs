//! The engine: runs the cohort and measure queries of `queries/` through DataFusion
//! over the Parquet warehouse. Only this crate touches DataFusion.
//!
//! Each query is a `.sql` file whose leading comment block is a YAML header
//! ([`QueryHeader`]) declaring its parameters and output columns. [`Engine::run`]
//! binds the parameters of each academic year through DataFusion placeholders
//! (`$reference_date`, never string formatting), runs every cohort query and registers
//! the union of their results as the table `cohort`, then runs every measure, checks
//! each result against its header and returns it sorted as the SQL orders it.
//!
//! ```
//! let queries = cwsw_engine::QuerySet::embedded().expect("the embedded queries parse");
//! assert!(queries.get("absence").is_some());
//! ```

mod query;

pub use query::{Declared, EMBEDDED_QUERIES, Query, QueryHeader, QueryKind, QuerySet};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::NaiveDate;
use cwsw_dictionary::{AcademicYear, days_since_epoch};
use datafusion::datasource::MemTable;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;

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
}

/// The result of one measure over every year.
#[derive(Debug, Clone)]
pub struct MeasureResult {
    /// The measure's header.
    pub header: QueryHeader,
    /// The schema, as declared.
    pub schema: SchemaRef,
    /// The rows, years in order, each year as the query sorts it.
    pub batches: Vec<RecordBatch>,
}

/// The parameter values of an academic year, by name (`domain.md` §1, §5).
pub fn year_parameters(year: AcademicYear) -> Vec<(&'static str, ScalarValue)> {
    let date = |value: NaiveDate| ScalarValue::Date32(Some(days_since_epoch(value)));
    vec![
        (
            "academic_year",
            ScalarValue::Int32(Some(year.time_period())),
        ),
        ("census_year", ScalarValue::Int32(Some(year.end_year()))),
        ("reference_date", date(year.reference_date())),
        ("period_start", date(year.period_start())),
        ("compulsory_birth_from", date(year.compulsory_birth_from())),
        ("compulsory_birth_to", date(year.compulsory_birth_to())),
    ]
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
        let config = SessionConfig::new()
            .with_target_partitions(threads)
            .with_information_schema(true);
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(limit) = options.memory_limit {
            // Operators that can spill share the pool fairly (performance.md).
            runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(limit)));
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
            context
                .register_parquet(&name, &location, ParquetReadOptions::default())
                .await
                .map_err(query_error(&name))?;
        }
        Ok(Self { context, queries })
    }

    /// An engine over an existing session (the `.slt` harness registers its own tables).
    pub fn with_context(context: SessionContext, queries: QuerySet) -> Self {
        Self { context, queries }
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
        let frame = self
            .context
            .sql(&query.sql)
            .await
            .map_err(query_error(name))?
            .with_param_values(values)
            .map_err(query_error(name))?;
        let batches = frame.collect().await.map_err(query_error(name))?;
        let declared = declared_schema(&query.header);
        batches
            .into_iter()
            .map(|batch| conform(name, &declared, &batch))
            .collect()
    }

    /// Runs every cohort query for each year and registers the union as `cohort`, then
    /// runs each measure (all of them, or those named) for each year.
    pub async fn run(
        &self,
        years: &[AcademicYear],
        only: &[String],
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<MeasureResult>, EngineError> {
        let mut cohort_batches = Vec::new();
        let mut cohort_schema = None;
        for query in self.queries.cohorts() {
            for year in years {
                progress(&format!("cohort {} {year}", query.header.name));
                cohort_batches.extend(self.execute(query, &year_parameters(*year)).await?);
            }
            cohort_schema = Some(declared_schema(&query.header));
        }
        if let Some(schema) = cohort_schema {
            let table =
                MemTable::try_new(schema, vec![cohort_batches]).map_err(query_error("cohort"))?;
            // Re-running replaces the previous cohort.
            let _ = self.context.deregister_table("cohort");
            self.context
                .register_table("cohort", Arc::new(table))
                .map_err(query_error("cohort"))?;
        }
        let mut results = Vec::new();
        for query in self.queries.measures() {
            if !only.is_empty() && !only.contains(&query.header.name) {
                continue;
            }
            let mut batches = Vec::new();
            for year in years {
                progress(&format!("measure {} {year}", query.header.name));
                batches.extend(self.execute(query, &year_parameters(*year)).await?);
            }
            results.push(MeasureResult {
                header: query.header.clone(),
                schema: declared_schema(&query.header),
                batches,
            });
        }
        Ok(results)
    }
}

/// Checks a batch's columns against the declared ones and casts it to their types.
fn conform(
    query: &str,
    declared: &SchemaRef,
    batch: &RecordBatch,
) -> Result<RecordBatch, EngineError> {
    let found = batch.schema();
    if found.fields().len() != declared.fields().len() {
        let position = found.fields().len().min(declared.fields().len()) + 1;
        let describe = |schema: &Schema| {
            schema
                .fields()
                .get(position - 1)
                .map_or(("(none)".to_string(), String::new()), |field| {
                    (field.name().clone(), field.data_type().to_string())
                })
        };
        let (found_name, found_type) = describe(&found);
        let (declared_name, declared_type) = describe(declared);
        return Err(EngineError::Schema(Box::new(SchemaMismatch {
            query: query.to_string(),
            position,
            found: found_name,
            found_type,
            declared: declared_name,
            declared_type,
        })));
    }
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (position, (field, wanted)) in found.fields().iter().zip(declared.fields()).enumerate() {
        if field.name() != wanted.name() || !compatible(field.data_type(), wanted.data_type()) {
            return Err(EngineError::Schema(Box::new(SchemaMismatch {
                query: query.to_string(),
                position: position + 1,
                found: field.name().clone(),
                found_type: field.data_type().to_string(),
                declared: wanted.name().clone(),
                declared_type: wanted.data_type().to_string(),
            })));
        }
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
        let file = std::fs::File::create(&csv_path).map_err(|source| EngineError::Io {
            path: csv_path.clone(),
            source,
        })?;
        let mut writer = arrow::csv::WriterBuilder::new()
            .with_header(true)
            .build(file);
        if result.batches.is_empty() {
            writer
                .write(&RecordBatch::new_empty(result.schema.clone()))
                .map_err(|error| write_error(&csv_path, error.to_string()))?;
        }
        for batch in &result.batches {
            writer
                .write(batch)
                .map_err(|error| write_error(&csv_path, error.to_string()))?;
        }
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
