//! The DataFusion session a run uses (threads, memory limit, spill folder), the engine
//! over a warehouse, and the private work folder its cohort tables live in.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::EngineError;
use crate::error::query_error;
use crate::query::QuerySet;

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

/// A DataFusion session over a warehouse, with the query set.
pub struct Engine {
    pub(crate) context: SessionContext,
    pub(crate) queries: QuerySet,
    pub(crate) work: WorkDir,
    /// The warehouse folder, where a run writes the pupil-level tables.
    pub(crate) warehouse: Option<PathBuf>,
}

/// A private folder for the cohort tables of a run (row-level, pseudonymised), removed
/// when the engine is dropped.
pub(crate) struct WorkDir(PathBuf);

impl WorkDir {
    pub(crate) fn new(parent: Option<&Path>) -> Result<Self, EngineError> {
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

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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
            runtime = runtime.with_memory_pool(Arc::new(crate::pool::HeadroomPool::new(limit)));
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
            crate::parts::register(&context, &name, &location)
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
}

/// How the work folder's cohort tables are written: LZ4, which writes and reads faster
/// than the default zstd(3), row-group statistics only, and no dictionary for the ids;
/// the files are read a few times and then deleted.
pub(crate) fn work_table_options() -> datafusion::config::TableParquetOptions {
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
