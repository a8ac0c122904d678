//! The pupil-level rows a run wrote (`pupil_outcomes`), indexed for the fits: per year,
//! each group's pupils and each pupil's outcome columns. Rows are sorted by pupil, year
//! and group, and pupils numbered in id order, so no sum depends on how the run split
//! its work between threads.

use std::collections::{BTreeMap, HashMap};

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
    /// Each row's group, as its place in the labels.
    pub groups: Vec<u32>,
    /// Each numeric column's values, row by row.
    pub columns: BTreeMap<String, Vec<f64>>,
    /// The group labels, in the order first seen.
    labels: Vec<String>,
    /// For each (year, group), its rows.
    index: HashMap<(i32, usize), Vec<usize>>,
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
        let column = |batch: &RecordBatch, name: &str, data_type: &DataType| {
            let column = batch
                .schema()
                .index_of(name)
                .map(|index| batch.column(index).clone())
                .map_err(|_| problem(format!("no column `{name}`")))?;
            arrow::compute::cast(&column, data_type)
                .map_err(|_| problem(format!("`{name}` is not {data_type}")))
        };
        // Per batch: year, group and pupil, the keys the rows are ordered by (strings as
        // views, which is how the Parquet reader gives them: no copy).
        let mut keys = Vec::with_capacity(batches.len());
        for batch in batches {
            if batch.schema().fields() != schema.fields() {
                return Err(problem("its parts have different columns".to_string()));
            }
            keys.push((
                column(batch, "academic_year", &DataType::Int32)?,
                column(batch, "social_care_group", &DataType::Utf8View)?,
                column(batch, "pupil_id", &DataType::Utf8View)?,
            ));
        }
        let keys: Vec<_> = keys
            .iter()
            .map(|(years, groups, pupils)| {
                (
                    years.as_primitive::<Int32Type>(),
                    groups.as_string_view(),
                    pupils.as_string_view(),
                )
            })
            .collect();
        // Each row's group, numbered first as seen, then renumbered in label order so
        // that a label's number never depends on row order.
        let mut seen: HashMap<&str, u32> = HashMap::new();
        let mut groups_seen = Vec::with_capacity(keys.len());
        for (_, groups, _) in &keys {
            let numbers: Vec<u32> = (0..groups.len())
                .map(|row| {
                    let next = seen.len() as u32;
                    *seen.entry(groups.value(row)).or_insert(next)
                })
                .collect();
            groups_seen.push(numbers);
        }
        let mut labels: Vec<(&str, u32)> = seen.into_iter().collect();
        labels.sort_unstable();
        let mut renumber = vec![0u32; labels.len()];
        for (number, (_, first_seen)) in labels.iter().enumerate() {
            renumber[*first_seen as usize] = number as u32;
        }
        let labels: Vec<String> = labels
            .into_iter()
            .map(|(label, _)| label.to_string())
            .collect();
        // Every row sorted by pupil, year and group: the order never depends on how the
        // run split its work between threads. Pupil ids are hex (HMACs), so they sort as
        // numbers; if any is not, every id sorts as text.
        let hex = |id: &str| -> Option<u128> {
            if id.is_empty() || id.len() > 32 || !id.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                return None;
            }
            u128::from_str_radix(id, 16).ok()
        };
        let rows_in: usize = keys.iter().map(|(years, _, _)| years.len()).sum();
        let mut order: Vec<(u128, i32, u32, u32, u32)> = Vec::with_capacity(rows_in);
        let mut all_hex = true;
        for (batch, (years, _, pupils)) in keys.iter().enumerate() {
            for row in (0..pupils.len()).filter(|row| pupils.is_valid(*row)) {
                let number = hex(pupils.value(row)).unwrap_or_else(|| {
                    all_hex = false;
                    0
                });
                let group = renumber[groups_seen[batch][row] as usize];
                order.push((number, years.value(row), group, batch as u32, row as u32));
            }
        }
        drop(groups_seen);
        let pupil = |batch: u32, row: u32| keys[batch as usize].2.value(row as usize);
        if all_hex {
            order.sort_unstable();
        } else {
            order.sort_unstable_by(|a, b| {
                (pupil(a.3, a.4), a.1, a.2).cmp(&(pupil(b.3, b.4), b.1, b.2))
            });
        }
        let mut rows = Self::default();
        let mut cluster = 0u64;
        rows.years.reserve(order.len());
        rows.pupils.reserve(order.len());
        rows.groups.reserve(order.len());
        for (position, (number, year, group, batch, row)) in order.iter().enumerate() {
            // A new pupil: a new number, or the same number (not hex) but another id.
            if position > 0 {
                let (last_number, _, _, last_batch, last_row) = order[position - 1];
                if last_number != *number
                    || (!all_hex && pupil(last_batch, last_row) != pupil(*batch, *row))
                {
                    cluster += 1;
                }
            }
            rows.years.push(*year);
            rows.pupils.push(cluster);
            rows.groups.push(*group);
            rows.index
                .entry((*year, *group as usize))
                .or_default()
                .push(position);
        }
        rows.labels = labels;
        // Each numeric column gathered in that order, a null as 0, the columns shared
        // between the cores.
        let numeric: Vec<(usize, &String)> = schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, field)| field.data_type().is_numeric() && field.name() != "academic_year")
            .map(|(index, field)| (index, field.name()))
            .collect();
        let gather =
            |(index, name): (usize, &String)| -> Result<(String, Vec<f64>), EstimatesError> {
                let parts = batches
                    .iter()
                    .map(|batch| arrow::compute::cast(batch.column(index), &DataType::Float64))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| problem(format!("`{name}` is not a number")))?;
                let parts: Vec<_> = parts
                    .iter()
                    .map(|part| part.as_primitive::<Float64Type>())
                    .collect();
                let values = order
                    .iter()
                    .map(|(_, _, _, batch, row)| {
                        let (part, row) = (parts[*batch as usize], *row as usize);
                        if part.is_valid(row) {
                            part.value(row)
                        } else {
                            0.0
                        }
                    })
                    .collect();
                Ok((name.clone(), values))
            };
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .max(1);
        let gathered: Vec<Result<(String, Vec<f64>), EstimatesError>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|thread| {
                        let numeric = &numeric;
                        scope.spawn(move || {
                            numeric
                                .iter()
                                .skip(thread)
                                .step_by(threads)
                                .map(|column| gather(*column))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|handle| {
                        handle.join().unwrap_or_else(|_| {
                            vec![Err(problem(
                                "a thread reading its columns stopped".to_string(),
                            ))]
                        })
                    })
                    .collect()
            });
        for column in gathered {
            let (name, values) = column?;
            rows.columns.insert(name, values);
        }
        rows.clusters = rows.pupils.last().map_or(0, |last| *last as usize + 1);
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

    /// A group's place in the labels (`groups`), `None` when no row is in it.
    pub fn label(&self, group: &str) -> Option<u32> {
        self.labels
            .iter()
            .position(|label| label == group)
            .map(|number| number as u32)
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
