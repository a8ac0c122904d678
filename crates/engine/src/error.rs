//! What can go wrong in the engine, each error keeping its cause (`#[source]`).

use std::path::PathBuf;

/// What can go wrong running queries.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A file could not be read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
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
    #[error("{query}: the query failed")]
    Query {
        /// The query name.
        query: String,
        /// DataFusion's error.
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// A query, table or parameter is not as a run needs it (our own check).
    #[error("{query}: {message}")]
    Invalid {
        /// The query, table or option.
        query: String,
        /// What is wrong.
        message: String,
    },
    /// Arrow failed on a query's result.
    #[error("{what}")]
    Arrow {
        /// What was being done.
        what: String,
        /// Arrow's error.
        #[source]
        source: arrow::error::ArrowError,
    },
    /// Writing a Parquet file failed.
    #[error("{path}: writing Parquet")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: parquet::errors::ParquetError,
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

/// A DataFusion error of the named query, its cause kept.
pub(crate) fn query_error(
    query: &str,
) -> impl Fn(datafusion::error::DataFusionError) -> EngineError + '_ {
    move |source| EngineError::Query {
        query: query.to_string(),
        source,
    }
}
