//! Running one query: its parameters bound as DataFusion placeholders (never
//! formatted into SQL), planned and collected; `sql` and `explain` for people, and
//! `read_parquet` for the stages after a run.

use std::path::Path;

use arrow::array::RecordBatch;
use cwsw_dictionary::AcademicYear;

use crate::error::{EngineError, query_error};
use crate::query::Query;
use crate::schema::conform;
use crate::schema::declared_schema;
use crate::session::Engine;
use datafusion::scalar::ScalarValue;

impl Engine {
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
    pub(crate) async fn frame(
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
                    .ok_or_else(|| EngineError::Invalid {
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
        let query = self.queries.get(name).ok_or_else(|| EngineError::Invalid {
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
            .map_err(|source| EngineError::Arrow {
                what: format!("{name}: formatting the result"),
                source,
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

/// Borrowed parameter pairs, as [`Engine::execute`] takes them.
pub(crate) fn borrow(values: &[(String, ScalarValue)]) -> Vec<(&str, ScalarValue)> {
    values
        .iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::error::EngineError;
    use crate::query::QuerySet;
    use crate::session::{Engine, EngineOptions};

    #[test]
    fn a_failing_query_keeps_datafusions_error_as_its_cause() {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let session = Engine::session(&EngineOptions::default()).expect("a session");
        let engine = Engine::with_context(session, QuerySet::embedded().expect("queries"))
            .expect("an engine");
        let error = runtime
            .block_on(engine.sql("select no_such_column from no_such_table", &[]))
            .expect_err("no such table");
        assert!(matches!(error, EngineError::Query { .. }), "{error:?}");
        let cause = std::error::Error::source(&error).expect("a cause");
        assert!(
            cause
                .downcast_ref::<datafusion::error::DataFusionError>()
                .is_some(),
            "{cause:?}"
        );
        assert!(cause.to_string().contains("no_such_table"), "{cause}");
    }
}
