//! The pupil-level rows a run wrote (`pupil_outcomes`), indexed for the fits: per year,
//! each group's pupils and each pupil's outcome columns. Rows are sorted by pupil, year
//! and group, and pupils numbered in id order, so no sum depends on how the run split
//! its work between threads.

use std::collections::{BTreeMap, HashMap};

use cwsw_dictionary::groups::ALL_PUPILS;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int32Type};

use crate::EstimatesError;

/// `pupil_outcomes`, by column.
#[derive(Debug, Default)]
pub struct PupilRows {
    /// Each row's year.
    pub years: Vec<i32>,
    /// Each row's pupil, numbered in id order (the cluster).
    pub pupils: Vec<u64>,
    /// Each numeric column's values, row by row.
    pub columns: BTreeMap<String, Vec<f64>>,
    /// The group labels, in the order first seen.
    labels: Vec<String>,
    /// For each (year, group), its rows.
    index: HashMap<(i32, usize), Vec<usize>>,
    /// For each year, whether each pupil (by cluster) is in all pupils comparison (on a
    /// census that year).
    pub on_census: HashMap<i32, Vec<bool>>,
    /// Pupils (clusters are 0..this).
    pub clusters: usize,
}

impl PupilRows {
    /// Reads the table's batches, then orders the rows by pupil, year and group.
    pub fn read(batches: &[RecordBatch]) -> Result<Self, EstimatesError> {
        let problem = |message: String| EstimatesError::PupilRows { message };
        let Some(first) = batches.first() else {
            return Ok(Self::default());
        };
        let schema = first.schema();
        let cast = |batch: &RecordBatch, name: &str, data_type: &DataType| {
            let column = batch
                .schema()
                .index_of(name)
                .map(|index| batch.column(index).clone())
                .map_err(|_| problem(format!("no column `{name}`")))?;
            arrow::compute::cast(&column, data_type)
                .map_err(|_| problem(format!("`{name}` is not {data_type}")))
        };
        // Per batch: year, group and pupil, the keys the rows are ordered by.
        let mut keys = Vec::new();
        for batch in batches {
            if batch.schema().fields() != schema.fields() {
                return Err(problem("its parts have different columns".to_string()));
            }
            keys.push((
                cast(batch, "academic_year", &DataType::Int32)?,
                cast(batch, "social_care_group", &DataType::Utf8)?,
                cast(batch, "pupil_id", &DataType::Utf8)?,
            ));
        }
        let keys: Vec<_> = keys
            .iter()
            .map(|(years, groups, pupils)| {
                (
                    years.as_primitive::<Int32Type>(),
                    groups.as_string::<i32>(),
                    pupils.as_string::<i32>(),
                )
            })
            .collect();
        // The group labels in sorted order, so a label's number never depends on row order.
        let mut labels = std::collections::BTreeSet::new();
        for (_, groups, _) in &keys {
            for row in 0..groups.len() {
                if !labels.contains(groups.value(row)) {
                    labels.insert(groups.value(row).to_string());
                }
            }
        }
        let labels: Vec<String> = labels.into_iter().collect();
        // Every row sorted by pupil, year and group: the order never depends on how the
        // run split its work between threads. Pupil ids are hex (HMACs), so they sort as
        // numbers; any other id sorts as text.
        let hex = keys.iter().all(|(_, _, pupils)| {
            pupils.iter().flatten().all(|id| {
                !id.is_empty() && id.len() <= 32 && id.bytes().all(|byte| byte.is_ascii_hexdigit())
            })
        });
        let mut order: Vec<(u128, i32, u32, usize, usize)> = Vec::new();
        for (batch, (years, groups, pupils)) in keys.iter().enumerate() {
            for row in (0..pupils.len()).filter(|row| pupils.is_valid(*row)) {
                let number = if hex {
                    u128::from_str_radix(pupils.value(row), 16).unwrap_or_default()
                } else {
                    0
                };
                let group = labels
                    .iter()
                    .position(|label| label == groups.value(row))
                    .unwrap_or_default() as u32;
                order.push((number, years.value(row), group, batch, row));
            }
        }
        let pupil = |batch: usize, row: usize| keys[batch].2.value(row);
        if hex {
            order.sort_unstable();
        } else {
            order.sort_unstable_by(|a, b| {
                (pupil(a.3, a.4), a.1, a.2).cmp(&(pupil(b.3, b.4), b.1, b.2))
            });
        }
        let mut rows = Self::default();
        let mut cluster = 0u64;
        let mut previous: Option<&str> = None;
        rows.years.reserve(order.len());
        rows.pupils.reserve(order.len());
        for (position, (_, year, group, batch, row)) in order.iter().enumerate() {
            let id = pupil(*batch, *row);
            if previous.is_some_and(|last| last != id) {
                cluster += 1;
            }
            previous = Some(id);
            rows.years.push(*year);
            rows.pupils.push(cluster);
            rows.index
                .entry((*year, *group as usize))
                .or_default()
                .push(position);
        }
        rows.labels = labels;
        // Each numeric column gathered in that order (Arrow's interleave), a null as 0.
        let positions: Vec<(usize, usize)> = order.iter().map(|entry| (entry.3, entry.4)).collect();
        drop(order);
        for (index, field) in schema.fields().iter().enumerate() {
            if !field.data_type().is_numeric() || field.name() == "academic_year" {
                continue;
            }
            let parts: Vec<&dyn Array> = batches
                .iter()
                .map(|batch| batch.column(index).as_ref())
                .collect();
            let gathered = arrow::compute::interleave(&parts, &positions)
                .and_then(|gathered| arrow::compute::cast(&gathered, &DataType::Float64))
                .map_err(|_| problem(format!("`{}` is not a number", field.name())))?;
            let gathered = gathered.as_primitive::<Float64Type>();
            let values: Vec<f64> = if gathered.null_count() == 0 {
                gathered.values().to_vec()
            } else {
                gathered.iter().map(|value| value.unwrap_or(0.0)).collect()
            };
            rows.columns.insert(field.name().clone(), values);
        }
        rows.clusters = rows.pupils.last().map_or(0, |last| *last as usize + 1);
        let all = rows
            .labels
            .iter()
            .position(|label| label == ALL_PUPILS.as_str());
        for ((year, group), members) in &rows.index {
            if Some(*group) == all {
                let mut on_census = vec![false; rows.clusters];
                for row in members {
                    on_census[rows.pupils[*row] as usize] = true;
                }
                rows.on_census.insert(*year, on_census);
            }
        }
        Ok(rows)
    }

    /// The rows of a group in a year (empty when it has none).
    pub fn of(&self, year: i32, group: &str) -> &[usize] {
        self.labels
            .iter()
            .position(|label| label == group)
            .and_then(|group| self.index.get(&(year, group)))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether any row is in this group.
    pub fn has_group(&self, group: &str) -> bool {
        self.labels.iter().any(|label| label == group)
    }

    /// A numeric column.
    pub fn column(&self, name: &str) -> Result<&[f64], EstimatesError> {
        self.columns
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| EstimatesError::PupilRows {
                message: format!("no column `{name}` (a measure header's pupil_level names it)"),
            })
    }
}
