//! The cohort tables: made in the order the tables they read require (a table is
//! made after every table its query reads), each year's rows written as a part of the
//! work folder and the parts registered as one table.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use cwsw_dictionary::AcademicYear;
use datafusion::datasource::MemTable;

use crate::coverage;
use crate::error::EngineError;
use crate::error::query_error;
use crate::query::Query;
use crate::schema::conform;
use crate::schema::declared_schema;
use crate::session::Engine;
use crate::timing::QueryTiming;
use crate::timing::Timer;

impl Engine {
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
                return Err(EngineError::Invalid {
                    query: waiting.join(", "),
                    message: "these cohort tables read each other in a cycle".to_string(),
                });
            };
            let (table, queries, reads) = tables.remove(ready);
            if reads.contains(&table) {
                return Err(EngineError::Invalid {
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
                    return Err(EngineError::Invalid {
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
                crate::parts::register(&self.context, &table, &location)
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
    pub(crate) async fn cohort_table(
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
    pub(crate) async fn group_years(&self) -> Result<Vec<(i32, String, bool)>, EngineError> {
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
    pub(crate) async fn census_years(&self) -> Result<coverage::CensusYears, EngineError> {
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
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::query::QuerySet;
    use crate::session::EngineOptions;

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
