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
//! - `query`: the query files and their headers; `parameters`: each year's values.
//! - `session`: the DataFusion session and the engine over a warehouse; `execute`: one
//!   query, bound and collected; `parts` and `pool`: how tables are registered and memory
//!   is shared.
//! - `cohorts`: the cohort tables in dependency order; `run`: a whole run;
//!   `completion`: each measure's matrix; `schema`: results checked against headers;
//!   `coverage`: which censuses each year holds; `timing`: time and memory per query.
//! - `output`: the measures folder; `error`: what can go wrong.
//!
//! ```
//! let queries = cwsw_engine::QuerySet::embedded().expect("the embedded queries parse");
//! assert!(queries.get("absence").is_some());
//! ```

mod cohorts;
mod completion;
mod coverage;
mod error;
mod execute;
mod output;
mod parameters;
mod parts;
mod pool;
mod query;
mod run;
mod schema;
mod session;
mod timing;

pub use coverage::{MeasureYear, measure_years, measure_years_batch, measure_years_schema};
pub use datafusion::scalar::ScalarValue;
pub use query::{
    CENSUS_NEEDS, Count, Declared, DidYears, EMBEDDED_QUERIES, Estimator, Indicator, QUERY_FOLDERS,
    Query, QueryHeader, QueryKind, QuerySet, RESEARCH_QUESTIONS,
};

pub use completion::MeasureResult;
pub use error::{EngineError, SchemaMismatch};
pub use output::{csv_field, measure_csv, write_measures};
pub use parameters::{CIN_PLANS_FROM, lookback, parse_parameter, year_parameters};
pub use run::RunOutput;
pub use schema::declared_schema;
pub use session::{Engine, EngineOptions};
pub use timing::QueryTiming;
