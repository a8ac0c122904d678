//! Runs every query's `.slt` file: each `.sql` under `queries/` must have one beside it.
//!
//! The harness registers every warehouse table, empty, with the dictionary's schema (as
//! the warehouse has it), plus each cohort-kind table (`pupil_years`,
//! `social_care_children`, `cohort`, `cohort_groups`, `cohort_pupils`), empty with its
//! query's declared schema; the `.slt` inserts its rows. `run NAME key=value …` runs a
//! query file through [`Engine::execute`], binding the values as placeholders exactly as
//! production does; `materialize NAME key=value …` (as a statement) runs a cohort-kind
//! query and puts its rows for that academic year in the table it makes, as `cwsw run`
//! does before the queries reading that table (a `once: true` query, persons, replaces
//! the whole table); anything else is plain SQL. The look-back's group labels are
//! bound from `lookback_years=` (default 6, 0 for every year held), or `lookback=all`
//! for a query that takes only the labels, as production binds them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use cwsw_dictionary::{Dictionary, Kind, Lookback};
use cwsw_engine::{Engine, EngineOptions, QuerySet, declared_schema, parse_parameter};
use datafusion::datasource::MemTable;
use datafusion::scalar::ScalarValue;
use sqllogictest::{DBOutput, DefaultColumnType};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HarnessError(String);

struct Harness {
    engine: Engine,
    runtime: tokio::runtime::Runtime,
}

fn queries_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries")
}

impl Harness {
    fn new() -> Result<Self, HarnessError> {
        let error = |e: &dyn std::fmt::Display| HarnessError(e.to_string());
        let queries = QuerySet::load(&queries_dir()).map_err(|e| error(&e))?;
        let context = Engine::session(&EngineOptions {
            threads: 2,
            memory_limit: None,
            work_dir: None,
        })
        .map_err(|e| error(&e))?;
        let dictionary = Dictionary::embedded().map_err(|e| error(&e))?;
        for table in dictionary
            .tables()
            .filter(|table| table.kind == Kind::Warehouse)
        {
            let empty =
                MemTable::try_new(table.arrow_schema(), vec![vec![]]).map_err(|e| error(&e))?;
            context
                .register_table(table.name.as_str(), Arc::new(empty))
                .map_err(|e| error(&e))?;
        }
        // Each cohort-kind table (pupil_years, social_care_children, cohort, …), empty.
        for query in queries.cohorts() {
            let table = query.header.table.as_str();
            if context.table_exist(table).unwrap_or(false) {
                continue;
            }
            let empty = MemTable::try_new(declared_schema(&query.header), vec![vec![]])
                .map_err(|e| error(&e))?;
            context
                .register_table(table, Arc::new(empty))
                .map_err(|e| error(&e))?;
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| error(&e))?;
        Ok(Self {
            engine: Engine::with_context(context, queries).map_err(|e| error(&e))?,
            runtime,
        })
    }

    fn run_query(&self, directive: &str) -> Result<(SchemaRef, Vec<RecordBatch>), HarnessError> {
        let mut words = directive.split_whitespace();
        let name = words.next().unwrap_or_default();
        let query = self
            .engine
            .queries()
            .get(name)
            .ok_or_else(|| HarnessError(format!("no query `{name}`")))?
            .clone();
        let mut values = Vec::new();
        // `lookback=all` (not a parameter) picks the labels of a query that takes only them.
        let mut lookback = None;
        for word in words {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| HarnessError(format!("`{word}` is not key=value")))?;
            if key == "lookback" {
                lookback = Some(
                    Lookback::parse(value)
                        .ok_or_else(|| HarnessError(format!("`{word}`: not a look-back")))?,
                );
                continue;
            }
            let declared = query
                .header
                .parameters
                .iter()
                .find(|parameter| parameter.name == key)
                .ok_or_else(|| HarnessError(format!("`{name}` has no parameter `{key}`")))?;
            let parsed =
                parse_parameter(declared, value).map_err(|e| HarnessError(e.to_string()))?;
            values.push((declared.name.clone(), parsed));
        }
        // The group labels follow the look-back as production derives them
        // (`year_parameters`), from `lookback_years=` (6, or 0 for every year held).
        let lookback = match (
            lookback,
            values.iter().find(|(key, _)| key == "lookback_years"),
        ) {
            (Some(lookback), _) => lookback,
            (None, Some((_, ScalarValue::Int32(Some(0))))) => Lookback::All,
            (None, Some((_, ScalarValue::Int32(Some(years))))) => {
                Lookback::Years(u8::try_from(*years).map_err(|e| HarnessError(e.to_string()))?)
            }
            _ => Lookback::DFE,
        };
        for (key, label) in [
            ("ever_cin_group", lookback.ever_cin()),
            ("never_cin_group", lookback.never_cin()),
            ("ever_cwsw_group", lookback.ever_cwsw()),
        ] {
            let declared = query.header.parameters.iter().any(|p| p.name == key);
            if declared && !values.iter().any(|(given, _)| given == key) {
                values.push((key.to_string(), ScalarValue::Utf8(Some(label))));
            }
        }
        let borrowed: Vec<(&str, _)> = values
            .iter()
            .map(|(key, value)| (key.as_str(), value.clone()))
            .collect();
        let batches = self
            .runtime
            .block_on(self.engine.execute(&query, &borrowed))
            .map_err(|e| HarnessError(e.to_string()))?;
        Ok((declared_schema(&query.header), batches))
    }
}

impl Harness {
    /// `materialize NAME academic_year=Y …`: runs a cohort-kind query, as `run` does, and
    /// puts its rows in place of that year's rows of the table its header names, as
    /// [`Engine::run`] does before the queries that read it (`cohort_pupils`).
    fn materialize(&self, directive: &str) -> Result<(), HarnessError> {
        let error = |e: &dyn std::fmt::Display| HarnessError(e.to_string());
        let name = directive.split_whitespace().next().unwrap_or_default();
        let query = self
            .engine
            .queries()
            .get(name)
            .ok_or_else(|| HarnessError(format!("no query `{name}`")))?;
        let table = query.header.table.clone();
        if query.header.once {
            // A table of the whole run (persons): its rows replace the table's.
            let (schema, batches) = self.run_query(directive)?;
            let rows = MemTable::try_new(schema, vec![batches]).map_err(|e| error(&e))?;
            let context = self.engine.context();
            context
                .deregister_table(table.as_str())
                .map_err(|e| error(&e))?;
            context
                .register_table(table.as_str(), Arc::new(rows))
                .map_err(|e| error(&e))?;
            return Ok(());
        }
        let year: i32 = directive
            .split_whitespace()
            .find_map(|word| word.strip_prefix("academic_year="))
            .and_then(|year| year.parse().ok())
            .ok_or_else(|| HarnessError(format!("`materialize {name}` needs academic_year=")))?;
        let (schema, mut batches) = self.run_query(directive)?;
        let context = self.engine.context().clone();
        let kept = self
            .runtime
            .block_on(async {
                context
                    .sql(&format!(
                        "select * from {table} where academic_year <> {year}"
                    ))
                    .await?
                    .collect()
                    .await
            })
            .map_err(|e| error(&e))?;
        batches.extend(kept);
        let rows = MemTable::try_new(schema, vec![batches]).map_err(|e| error(&e))?;
        context
            .deregister_table(table.as_str())
            .map_err(|e| error(&e))?;
        context
            .register_table(table.as_str(), Arc::new(rows))
            .map_err(|e| error(&e))?;
        Ok(())
    }
}

fn render(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<DBOutput<DefaultColumnType>, HarnessError> {
    let types = schema
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt32
            | DataType::UInt64 => DefaultColumnType::Integer,
            DataType::Float32 | DataType::Float64 => DefaultColumnType::FloatingPoint,
            _ => DefaultColumnType::Text,
        })
        .collect();
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|column| ArrayFormatter::try_new(column.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HarnessError(e.to_string()))?;
        for row in 0..batch.num_rows() {
            let cells = batch
                .columns()
                .iter()
                .zip(&formatters)
                .map(|(column, formatter)| match column.data_type() {
                    // Floats to 6 decimals, so results do not hinge on summation order.
                    DataType::Float64 if !column.is_null(row) => {
                        let value = column
                            .as_any()
                            .downcast_ref::<arrow::array::Float64Array>()
                            .map_or(0.0, |array| array.value(row));
                        format!("{value:.6}")
                    }
                    // An empty string, as DataFusion's own .slt files write it.
                    _ if !column.is_null(row) && formatter.value(row).to_string().is_empty() => {
                        "(empty)".to_string()
                    }
                    _ => formatter.value(row).to_string(),
                })
                .collect();
            rows.push(cells);
        }
    }
    Ok(DBOutput::Rows { types, rows })
}

impl sqllogictest::DB for Harness {
    type Error = HarnessError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let trimmed = sql.trim();
        if let Some(directive) = trimmed.strip_prefix("run ") {
            let (schema, batches) = self.run_query(directive)?;
            return render(&schema, &batches);
        }
        if let Some(directive) = trimmed.strip_prefix("materialize ") {
            self.materialize(directive)?;
            return Ok(DBOutput::StatementComplete(0));
        }
        let context = self.engine.context().clone();
        let (schema, batches) = self
            .runtime
            .block_on(async move {
                let frame = context.sql(trimmed).await?;
                let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
                Ok::<_, datafusion::error::DataFusionError>((schema, frame.collect().await?))
            })
            .map_err(|e| HarnessError(e.to_string()))?;
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("insert") || lower.starts_with("create") || lower.starts_with("set") {
            return Ok(DBOutput::StatementComplete(0));
        }
        render(&schema, &batches)
    }
}

fn query_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in cwsw_engine::QUERY_FOLDERS {
        for entry in std::fs::read_dir(queries_dir().join(sub)).expect("queries folder exists") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|ext| ext == "sql") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_query_has_an_slt_beside_it() {
    let missing: Vec<_> = query_files()
        .into_iter()
        .filter(|sql| !sql.with_extension("slt").exists())
        .collect();
    assert!(
        missing.is_empty(),
        "queries without an .slt beside them: {missing:?}"
    );
}

#[test]
fn slt_files_pass() {
    let mut failures = Vec::new();
    for sql in query_files() {
        let slt = sql.with_extension("slt");
        if !slt.exists() {
            continue;
        }
        let mut runner = sqllogictest::Runner::new(|| async { Harness::new() });
        runner.with_column_validator(sqllogictest::strict_column_validator);
        // SLT_COMPLETE=1 rewrites each file's expected results from what the queries
        // return now (SLT_COMPLETE=NAME only NAME.slt, and runs no other): for writing a
        // new case, never for making a failure pass unread.
        let complete = std::env::var("SLT_COMPLETE").ok();
        if let Some(only) = complete.as_deref().filter(|&only| only != "1")
            && slt.file_stem().is_none_or(|stem| stem != only)
        {
            continue;
        }
        if complete.is_some() {
            let update = runner.update_test_file(
                &slt,
                " ",
                sqllogictest::default_validator,
                sqllogictest::default_normalizer,
                sqllogictest::strict_column_validator,
            );
            if let Err(error) = block_on(update) {
                failures.push(format!("{}:\n{error}", slt.display()));
            }
            continue;
        }
        if let Err(error) = runner.run_file(&slt) {
            failures.push(format!("{}:\n{error}", slt.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Polls a future to completion without a runtime: the harness's database is
/// synchronous (it runs its own runtime inside), so the runner's future never waits.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}
