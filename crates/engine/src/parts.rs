//! Tables of several Parquet parts (a warehouse folder, a work table) that read only the
//! parts a query's filters can match.
//!
//! The warehouse and the work tables keep one academic year a part, and almost every
//! query reads one year (`where academic_year = $academic_year`). DataFusion's listing
//! table prunes whole files only on Hive partition columns: it hands every part to the
//! scan, split into one byte range per thread in file order, and prunes row groups inside
//! each. The year's rows then all sit in one thread's range and the other thread idles
//! (a national year of `pupil_terms`, 26M rows, scanned in 1.78 s at 97% of one core
//! against 0.87 s at 161% from its part alone). [`PartedTable`] keeps each part's
//! statistics (min and max per column, from its footer) and, for each scan, builds a
//! listing table over the parts the filters do not rule out, which DataFusion splits
//! between threads.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{ScanArgs, ScanResult, Session, TableProvider};
use datafusion::common::pruning::PrunableStatistics;
use datafusion::common::{DFSchema, Result, Statistics, project_schema};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_optimizer::pruning::PruningPredicateBuilder;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::TryStreamExt;

/// Registers `location` (a Parquet file, or a folder of parts when it ends with `/`) as
/// table `name`: a [`PartedTable`] when it has more than one part, otherwise a plain
/// listing table, as `register_parquet` would.
pub(crate) async fn register(context: &SessionContext, name: &str, location: &str) -> Result<()> {
    let state = context.state();
    let options = ParquetReadOptions::default();
    let options = datafusion::datasource::file_format::options::ReadOptions::to_listing_options(
        &options,
        &context.copied_config(),
        context.copied_table_options(),
    );
    let url = ListingTableUrl::parse(location)?;
    let schema = options.infer_schema(&state, &url).await?;
    let store = state.runtime_env().object_store(&url)?;
    let mut objects: Vec<_> = url
        .list_all_files(&state, store.as_ref(), &options.file_extension)
        .await?
        .try_collect()
        .await?;
    let table: Arc<dyn TableProvider> = if objects.len() < 2 {
        Arc::new(listing(vec![url], &options, &schema, &state)?)
    } else {
        objects.sort_by(|a, b| a.location.cmp(&b.location));
        let mut parts = Vec::with_capacity(objects.len());
        let mut statistics = Vec::with_capacity(objects.len());
        for object in &objects {
            statistics.push(Arc::new(
                options
                    .format
                    .infer_stats(&state, &store, Arc::clone(&schema), object)
                    .await?,
            ));
            parts.push(ListingTableUrl::parse(format!(
                "{}{}",
                url.object_store().as_str(),
                object.location
            ))?);
        }
        Arc::new(PartedTable {
            schema,
            options,
            parts,
            statistics,
        })
    };
    context.register_table(name, table)?;
    Ok(())
}

/// A listing table over `urls` with the session's file-statistics cache.
fn listing(
    urls: Vec<ListingTableUrl>,
    options: &ListingOptions,
    schema: &SchemaRef,
    state: &dyn Session,
) -> Result<ListingTable> {
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options.clone())
        .with_schema(Arc::clone(schema));
    Ok(ListingTable::try_new(config)?
        .with_cache(state.runtime_env().cache_manager.get_file_statistic_cache()))
}

/// A table of Parquet parts that scans only those whose statistics the filters allow.
#[derive(Debug)]
pub(crate) struct PartedTable {
    schema: SchemaRef,
    options: ListingOptions,
    /// Each part, in path order.
    parts: Vec<ListingTableUrl>,
    /// Each part's statistics, in the same order.
    statistics: Vec<Arc<Statistics>>,
}

impl PartedTable {
    /// Whether each part can hold rows passing every filter. A filter the pruning
    /// predicate cannot read (or any failure to build it) keeps every part: pruning
    /// only ever saves work, the filters are still applied to the rows.
    fn keep(&self, state: &dyn Session, filters: &[Expr]) -> Vec<bool> {
        let all = vec![true; self.parts.len()];
        let Some(predicate) = conjunction(filters.iter().cloned()) else {
            return all;
        };
        let pruned = DFSchema::try_from(Arc::clone(&self.schema))
            .and_then(|schema| state.create_physical_expr(predicate, &schema))
            .and_then(|physical| {
                PruningPredicateBuilder::new()
                    .with_file_schema(Arc::clone(&self.schema))
                    .try_build(physical)
            })
            .and_then(|pruning| {
                pruning.prune(&PrunableStatistics::new(
                    self.statistics.clone(),
                    Arc::clone(&self.schema),
                ))
            });
        match pruned {
            Ok(keep) if keep.len() == self.parts.len() => keep,
            _ => all,
        }
    }

    /// A listing table over the parts the filters allow, or `None` when they allow none.
    fn narrowed(&self, state: &dyn Session, filters: &[Expr]) -> Result<Option<ListingTable>> {
        let urls: Vec<_> = self
            .parts
            .iter()
            .zip(self.keep(state, filters))
            .filter(|(_, keep)| *keep)
            .map(|(url, _)| url.clone())
            .collect();
        if urls.is_empty() {
            return Ok(None);
        }
        listing(urls, &self.options, &self.schema, state).map(Some)
    }
}

#[async_trait]
impl TableProvider for PartedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Inexact: the scan prunes parts and row groups with them, and DataFusion still
        // filters the rows.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match self.narrowed(state, filters)? {
            Some(table) => table.scan(state, projection, filters, limit).await,
            None => Ok(Arc::new(EmptyExec::new(project_schema(
                &self.schema,
                projection,
            )?))),
        }
    }

    async fn scan_with_args<'a>(
        &self,
        state: &dyn Session,
        args: ScanArgs<'a>,
    ) -> Result<ScanResult> {
        let filters = args.filters().unwrap_or(&[]);
        match self.narrowed(state, filters)? {
            Some(table) => table.scan_with_args(state, args).await,
            None => Ok(ScanResult::new(Arc::new(EmptyExec::new(project_schema(
                &self.schema,
                args.projection().map(<[usize]>::to_vec).as_ref(),
            )?)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int32Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    /// A folder of three parts, one academic year each (2019, 2020, 2021), with
    /// `2 + year - 2019` rows in each year's part.
    fn parts() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let schema = Arc::new(Schema::new(vec![
            Field::new("academic_year", DataType::Int32, false),
            Field::new("code", DataType::Utf8, true),
        ]));
        for year in 2019..=2021 {
            let rows = (2 + year - 2019) as usize;
            let batch = RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(Int32Array::from(vec![year; rows])),
                    Arc::new(StringArray::from(vec![Some("a"); rows])),
                ],
            )
            .expect("a batch");
            let file = std::fs::File::create(dir.path().join(format!("part-{year}.parquet")))
                .expect("a part");
            let mut writer = parquet::arrow::ArrowWriter::try_new(file, Arc::clone(&schema), None)
                .expect("a writer");
            writer.write(&batch).expect("written");
            writer.close().expect("closed");
        }
        dir
    }

    async fn count(context: &SessionContext, sql: &str) -> i64 {
        let batches = context
            .sql(sql)
            .await
            .expect("planned")
            .collect()
            .await
            .expect("ran");
        batches[0].column(0).as_primitive::<Int64Type>().value(0)
    }

    async fn plan(context: &SessionContext, sql: &str) -> String {
        let batches = context
            .sql(&format!("explain {sql}"))
            .await
            .expect("planned")
            .collect()
            .await
            .expect("explained");
        arrow::util::pretty::pretty_format_batches(&batches)
            .expect("printed")
            .to_string()
    }

    #[tokio::test]
    async fn a_scan_reads_only_the_parts_its_filters_allow() {
        let dir = parts();
        let context = SessionContext::new();
        let location = format!("{}/", dir.path().display());
        register(&context, "t", &location)
            .await
            .expect("registered");

        let one_year = "select count(*) from t where academic_year = 2020";
        assert_eq!(count(&context, one_year).await, 3);
        let shown = plan(&context, one_year).await;
        assert!(shown.contains("part-2020.parquet"), "{shown}");
        assert!(!shown.contains("part-2019.parquet"), "{shown}");
        assert!(!shown.contains("part-2021.parquet"), "{shown}");

        let two_years = "select count(*) from t where academic_year in (2019, 2021)";
        assert_eq!(count(&context, two_years).await, 6);
        assert!(
            !plan(&context, two_years)
                .await
                .contains("part-2020.parquet")
        );

        // No part can match: an empty scan, not an error.
        assert_eq!(
            count(
                &context,
                "select count(*) from t where academic_year = 2030"
            )
            .await,
            0
        );
        // Filters the statistics cannot decide keep every part, and still filter.
        assert_eq!(count(&context, "select count(*) from t").await, 9);
        let unreadable = "select count(*) from t where academic_year % 2 = 0";
        assert_eq!(count(&context, unreadable).await, 3);
        assert!(
            plan(&context, unreadable)
                .await
                .contains("part-2019.parquet")
        );
    }

    #[tokio::test]
    async fn a_folder_whose_path_has_spaces_and_percent_signs_is_read() {
        let dir = parts();
        let odd = dir.path().join("Jane Smith 100%");
        std::fs::create_dir(&odd).expect("a folder");
        for year in [2019, 2020] {
            let part = format!("part-{year}.parquet");
            std::fs::rename(dir.path().join(&part), odd.join(&part)).expect("moved");
        }
        let context = SessionContext::new();
        let location = format!("{}/", odd.display());
        register(&context, "t", &location)
            .await
            .expect("registered");
        assert_eq!(count(&context, "select count(*) from t").await, 5);
        assert_eq!(
            count(
                &context,
                "select count(*) from t where academic_year = 2020"
            )
            .await,
            3
        );
    }

    #[tokio::test]
    async fn one_file_is_a_plain_listing_table() {
        let dir = parts();
        let context = SessionContext::new();
        let file = dir.path().join("part-2021.parquet");
        register(&context, "t", &file.to_string_lossy())
            .await
            .expect("registered");
        assert_eq!(count(&context, "select count(*) from t").await, 4);
        let table = context.table_provider("t").await.expect("registered");
        assert!((table.as_ref() as &dyn std::any::Any).is::<ListingTable>());
    }
}
