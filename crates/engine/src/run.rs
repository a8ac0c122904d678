//! One run: the cohort tables, every measure for every year (completed and checked
//! against its header), and the pupil-level tables written into the warehouse.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use cwsw_dictionary::AcademicYear;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;

use crate::completion::{MeasureResult, complete};
use crate::coverage;
use crate::coverage::{MeasureYear, measure_years_batch, measure_years_schema};
use crate::error::EngineError;
use crate::error::query_error;
use crate::execute::borrow;
use crate::query::Query;
use crate::schema::check_schema;
use crate::schema::declared_schema;
use crate::session::Engine;
use crate::session::work_table_options;
use crate::timing::QueryTiming;
use crate::timing::Timer;
use datafusion::scalar::ScalarValue;

/// What one run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Each measure over every year.
    pub measures: Vec<MeasureResult>,
    /// Each query's time and peak memory, cohorts first.
    pub timings: Vec<QueryTiming>,
}

impl Engine {
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
            return Err(EngineError::Invalid {
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
        // The matrix's rows and columns: the run's years, and the groups in the order the
        // cohort's header lists them (else as `cohort_groups` first names them).
        let time_periods_in_order: Vec<i32> = time_periods.iter().copied().collect();
        let mut group_order: Vec<String> = self
            .queries
            .get("social_care_groups")
            .map(|query| query.header.groups.clone())
            .unwrap_or_default();
        for (_, group, _) in &groups {
            if !group_order.contains(group) {
                group_order.push(group.clone());
            }
        }
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
            result.matrix = result.make_matrix(&time_periods_in_order, &group_order);
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
    pub(crate) async fn write_part(
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
    pub(crate) async fn write_pupil_tables(
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
}
