//! A measure's rows as cells: one per academic year, group and breakdown, each with its
//! numeric columns as numbers (null is `x` or `z`), read from the batches a run wrote.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int32Type};

use crate::EstimatesError;

/// Which rows of a measure a cell is: the headline (`Total` in every filter) or one
/// level of one breakdown filter (`sex = Female`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Breakdown {
    /// Every filter `Total`.
    Total,
    /// One filter at one level, the others `Total`.
    Level {
        /// The filter column (`sex`).
        filter: String,
        /// Its value (`Female`).
        level: String,
    },
}

impl Breakdown {
    /// The filter's name, `Total` for the headline.
    pub fn filter(&self) -> &str {
        match self {
            Self::Total => "Total",
            Self::Level { filter, .. } => filter,
        }
    }

    /// The level, `Total` for the headline.
    pub fn level(&self) -> &str {
        match self {
            Self::Total => "Total",
            Self::Level { level, .. } => level,
        }
    }
}

/// Where a cell sits: year, group, breakdown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    /// Academic year as EES time_period (202122).
    pub year: i32,
    /// The group's label.
    pub group: String,
    /// The breakdown.
    pub breakdown: Breakdown,
}

impl CellKey {
    /// The cell as lineage names it: `absence|CINO at 31 March|202122|Total`, or
    /// `…|sex=Female` for a breakdown's level.
    pub fn lineage(&self, measure: &str) -> String {
        let breakdown = match &self.breakdown {
            Breakdown::Total => None,
            Breakdown::Level { filter, level } => Some((filter.as_str(), level.as_str())),
        };
        cwsw_dictionary::estimand::lineage_cell(measure, &self.group, self.year, breakdown)
    }
}

/// A measure's cells, each with its numeric columns (`None` is null: `x` or `z`).
pub type Cells = BTreeMap<CellKey, BTreeMap<String, Option<f64>>>;

/// Reads a measure's batches: `academic_year`, `social_care_group`, string filter
/// columns, numeric columns.
pub fn read(measure: &str, batches: &[RecordBatch]) -> Result<Cells, EstimatesError> {
    let column_error = |column: &str, message: &str| EstimatesError::Measure {
        measure: measure.to_string(),
        message: format!("column `{column}`: {message}"),
    };
    let mut cells = Cells::new();
    for batch in batches {
        let schema = batch.schema();
        let index = |name: &str| {
            schema
                .index_of(name)
                .map_err(|_| column_error(name, "missing"))
        };
        let years = arrow::compute::cast(batch.column(index("academic_year")?), &DataType::Int32)
            .map_err(|_| column_error("academic_year", "not a year"))?;
        let years = years.as_primitive::<Int32Type>();
        let text = |position: usize, name: &str| {
            arrow::compute::cast(batch.column(position), &DataType::Utf8)
                .map_err(|_| column_error(name, "not text"))
        };
        let groups = text(index("social_care_group")?, "social_care_group")?;
        let groups = groups.as_string::<i32>();
        let mut filters = Vec::new();
        let mut numbers = Vec::new();
        for (position, field) in schema.fields().iter().enumerate() {
            let name = field.name().as_str();
            if matches!(name, "academic_year" | "social_care_group") {
                continue;
            }
            match field.data_type() {
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
                    filters.push((name.to_string(), text(position, name)?));
                }
                data_type if data_type.is_numeric() => {
                    let values = arrow::compute::cast(batch.column(position), &DataType::Float64)
                        .map_err(|_| column_error(name, "not a number"))?;
                    numbers.push((name.to_string(), values));
                }
                _ => {}
            }
        }
        for row in 0..batch.num_rows() {
            let mut breakdown = Breakdown::Total;
            for (filter, values) in &filters {
                let values = values.as_string::<i32>();
                if values.is_valid(row) && values.value(row) != "Total" {
                    breakdown = Breakdown::Level {
                        filter: filter.clone(),
                        level: values.value(row).to_string(),
                    };
                }
            }
            let key = CellKey {
                year: years.value(row),
                group: groups.value(row).to_string(),
                breakdown,
            };
            let values = numbers
                .iter()
                .map(|(name, values)| {
                    let values = values.as_primitive::<Float64Type>();
                    (
                        name.clone(),
                        values.is_valid(row).then(|| values.value(row)),
                    )
                })
                .collect();
            cells.insert(key, values);
        }
    }
    Ok(cells)
}
