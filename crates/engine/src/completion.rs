//! A measure's matrix completed: a headline row for every (year, group) of
//! `cohort_groups`, zeros for a supported group with no pupils, nulls (`x`) for an
//! unsupported one or a year not collected; then sorted by year, group and breakdown.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray,
};
use arrow::datatypes::{DataType, SchemaRef};
use cwsw_dictionary::layout::BREAKDOWNS;
use cwsw_dictionary::matrix::{Matrix, Reason, Unavailable};

use crate::coverage::MeasureYear;
use crate::error::EngineError;
use crate::query::{Query, QueryHeader};
use crate::schema::declared_schema;

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
    /// The years and groups the measure covers and which cells are `x`, as it travels in
    /// the measure file.
    pub matrix: Matrix,
}

impl MeasureResult {
    /// The matrix over the run's `years` and the `groups` in publishing order: each
    /// (year, group) not collected, not a whole year, or not supported by the returns,
    /// and the columns not collected in some years.
    pub fn make_matrix(&self, years: &[i32], groups: &[String]) -> Matrix {
        let mut unavailable = Vec::new();
        for year in years {
            for group in groups {
                let reason = if self.header.not_collected.contains(year) {
                    Reason::NotCollected
                } else if let Some(measure_year) = self.incomplete(*year) {
                    Reason::Incomplete {
                        missing: measure_year.missing.clone(),
                    }
                } else if self.unsupported.contains(&(*year, group.clone())) {
                    Reason::Unsupported
                } else {
                    continue;
                };
                unavailable.push(Unavailable {
                    year: *year,
                    group: group.clone(),
                    reason,
                });
            }
        }
        Matrix {
            years: years.to_vec(),
            groups: groups.to_vec(),
            unavailable,
            columns_not_collected: self.header.not_collected_columns.clone(),
        }
    }

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

/// Completes a measure's matrix: a headline row for every (year, group) of
/// `cohort_groups` — zeros for a supported group with no pupils, nulls (`x`) for an
/// unsupported one or a year the measure was not collected — and nulls in columns not
/// collected that year; then sorts by year, group and breakdown.
pub(crate) fn complete(
    query: &Query,
    batches: Vec<RecordBatch>,
    groups: &[(i32, String, bool)],
    incomplete: &BTreeSet<i32>,
) -> Result<MeasureResult, EngineError> {
    let header = &query.header;
    let name = &header.name;
    let schema = declared_schema(header);
    let arrow_error = |source: arrow::error::ArrowError| EngineError::Arrow {
        what: format!("{name}: completing the result"),
        source,
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
        matrix: Matrix {
            years: Vec::new(),
            groups: Vec::new(),
            unavailable: Vec::new(),
            columns_not_collected: Default::default(),
        },
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
    // Breakdown columns a measure may carry, `Total` on its headline rows.
    let breakdowns: Vec<&str> = BREAKDOWNS
        .iter()
        .map(|breakdown| breakdown.column)
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
