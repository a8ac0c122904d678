//! The files publish reads: a measure's Parquet file with the matrix and layout the
//! engine wrote into its metadata, and the stats stage's `estimates.parquet`. Publish
//! is its own command reading files, so everything it needs travels in them.

use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int32Type};
use cwsw_dictionary::estimand::{Estimand, LINEAGE_SEPARATOR};
use cwsw_dictionary::layout::{LAYOUT_KEY, Layout};
use cwsw_dictionary::matrix::{MATRIX_KEY, Matrix};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::PublishError;

/// A measure file as `cwsw run` wrote it: its rows, the matrix that says which years
/// and groups it covers and which cells are `x`, and the layout that says what it
/// publishes.
#[derive(Debug, Clone)]
pub struct MeasureFile {
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// The matrix, from the file's metadata.
    pub matrix: Matrix,
    /// The layout, from the file's metadata.
    pub layout: Layout,
}

fn open(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, PublishError> {
    let file = std::fs::File::open(path).map_err(|source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|source| PublishError::Parquet {
        path: path.to_path_buf(),
        source,
    })
}

fn batches(
    path: &Path,
    builder: ParquetRecordBatchReaderBuilder<std::fs::File>,
) -> Result<Vec<RecordBatch>, PublishError> {
    builder
        .build()
        .map_err(|source| PublishError::Parquet {
            path: path.to_path_buf(),
            source,
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| PublishError::Parquet {
            path: path.to_path_buf(),
            source: source.into(),
        })
}

/// Reads a measure's Parquet file with its matrix and layout; refuses a file without them.
pub fn read_measure_file(path: &Path) -> Result<MeasureFile, PublishError> {
    let builder = open(path)?;
    let metadata = |key: &str| {
        builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|pairs| pairs.iter().find(|pair| pair.key == key))
            .and_then(|pair| pair.value.clone())
            .ok_or_else(|| PublishError::NoMetadata {
                path: path.to_path_buf(),
                key: key.to_string(),
            })
    };
    let matrix =
        Matrix::from_json(&metadata(MATRIX_KEY)?).map_err(|source| PublishError::Matrix {
            path: path.to_path_buf(),
            source,
        })?;
    let layout =
        Layout::from_json(&metadata(LAYOUT_KEY)?).map_err(|source| PublishError::Layout {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(MeasureFile {
        batches: batches(path, builder)?,
        matrix,
        layout,
    })
}

/// One row of `estimates.parquet`, as publish needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateRecord {
    /// The measure.
    pub measure: String,
    /// The indicator column.
    pub indicator: String,
    /// What it estimates.
    pub estimand: Estimand,
    /// The group.
    pub group: String,
    /// The year of a level, gap or event-study row.
    pub academic_year: Option<i32>,
    /// The years before (the event study's base year).
    pub pre_years: Vec<i32>,
    /// The years since.
    pub post_years: Vec<i32>,
    /// The breakdown filter, `Total` for the headline.
    pub breakdown: String,
    /// Its level.
    pub breakdown_level: String,
    /// The estimate, in percent or points.
    pub estimate: Option<f64>,
    /// Its standard error.
    pub standard_error: Option<f64>,
    /// The interval's lower limit.
    pub ci_lower: Option<f64>,
    /// The interval's upper limit.
    pub ci_upper: Option<f64>,
    /// The test statistic.
    pub statistic: Option<f64>,
    /// The p-value.
    pub p_value: Option<f64>,
    /// The Benjamini–Hochberg adjusted p-value.
    pub p_value_bh: Option<f64>,
    /// Why there is no estimate (`x: …`, `z: …`), or what to keep in mind.
    pub note: Option<String>,
    /// The measure cells it rests on.
    pub lineage: Vec<String>,
}

impl EstimateRecord {
    /// Whether the stats stage found the figure not available (`x`) rather than not
    /// applicable (`z`).
    pub fn not_available(&self) -> bool {
        self.note
            .as_deref()
            .is_some_and(|note| note.starts_with("x:"))
    }

    /// The breakdown as lineage names it: `None` for the headline.
    pub fn breakdown(&self) -> Option<(&str, &str)> {
        (self.breakdown != "Total")
            .then_some((self.breakdown.as_str(), self.breakdown_level.as_str()))
    }
}

/// Reads the stats stage's `estimates.parquet`.
pub fn read_estimates(path: &Path) -> Result<Vec<EstimateRecord>, PublishError> {
    let builder = open(path)?;
    let problem = |message: String| PublishError::Estimates {
        path: path.to_path_buf(),
        message,
    };
    let mut records = Vec::new();
    for batch in batches(path, builder)? {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| problem(format!("no column `{name}`")))
        };
        let text = |name: &str| -> Result<Vec<Option<String>>, PublishError> {
            let array = arrow::compute::cast(column(name)?, &DataType::Utf8)
                .map_err(|_| problem(format!("`{name}` is not text")))?;
            let array = array.as_string::<i32>();
            Ok((0..array.len())
                .map(|row| array.is_valid(row).then(|| array.value(row).to_string()))
                .collect())
        };
        let number = |name: &str| -> Result<Vec<Option<f64>>, PublishError> {
            let array = column(name)?
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(|| problem(format!("`{name}` is not float64")))?;
            Ok((0..array.len())
                .map(|row| array.is_valid(row).then(|| array.value(row)))
                .collect())
        };
        let years = column("academic_year")?
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| problem("`academic_year` is not int32".to_string()))?;
        let [
            measure,
            indicator,
            estimand,
            group,
            pre,
            post,
            breakdown,
            level,
            note,
            lineage,
        ] = [
            "measure",
            "indicator",
            "estimand",
            "social_care_group",
            "pre_years",
            "post_years",
            "breakdown",
            "breakdown_level",
            "note",
            "lineage",
        ]
        .map(text);
        let [
            estimate,
            standard_error,
            lower,
            upper,
            statistic,
            p_value,
            p_value_bh,
        ] = [
            "estimate",
            "standard_error",
            "ci_lower",
            "ci_upper",
            "statistic",
            "p_value",
            "p_value_bh",
        ]
        .map(number);
        let (measure, indicator, estimand, group) = (measure?, indicator?, estimand?, group?);
        let (pre, post, breakdown, level, note, lineage) =
            (pre?, post?, breakdown?, level?, note?, lineage?);
        let (estimate, standard_error, lower, upper) = (estimate?, standard_error?, lower?, upper?);
        let (statistic, p_value, p_value_bh) = (statistic?, p_value?, p_value_bh?);
        let years_of = |text: &Option<String>| -> Result<Vec<i32>, PublishError> {
            text.as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .map(|year| {
                    year.parse()
                        .map_err(|_| problem(format!("`{year}` is not a year like 202122")))
                })
                .collect()
        };
        for row in 0..batch.num_rows() {
            let name = estimand[row].clone().unwrap_or_default();
            records.push(EstimateRecord {
                measure: measure[row].clone().unwrap_or_default(),
                indicator: indicator[row].clone().unwrap_or_default(),
                estimand: Estimand::from_name(&name)
                    .ok_or_else(|| problem(format!("`{name}` is not an estimand")))?,
                group: group[row].clone().unwrap_or_default(),
                academic_year: years.is_valid(row).then(|| years.value(row)),
                pre_years: years_of(&pre[row])?,
                post_years: years_of(&post[row])?,
                breakdown: breakdown[row].clone().unwrap_or_default(),
                breakdown_level: level[row].clone().unwrap_or_default(),
                estimate: estimate[row],
                standard_error: standard_error[row],
                ci_lower: lower[row],
                ci_upper: upper[row],
                statistic: statistic[row],
                p_value: p_value[row],
                p_value_bh: p_value_bh[row],
                note: note[row].clone(),
                lineage: lineage[row]
                    .as_deref()
                    .unwrap_or_default()
                    .split(LINEAGE_SEPARATOR)
                    .filter(|cell| !cell.is_empty())
                    .map(str::to_string)
                    .collect(),
            });
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::metadata::KeyValue;

    /// A one-column Parquet file with the given metadata.
    fn measure_file(dir: &Path, metadata: Vec<(&str, String)>) -> std::path::PathBuf {
        let path = dir.join("absence.parquet");
        let batch = RecordBatch::try_from_iter([(
            "academic_year",
            std::sync::Arc::new(arrow::array::Int32Array::from(vec![202122])) as _,
        )])
        .expect("a batch");
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_key_value_metadata(Some(
                metadata
                    .into_iter()
                    .map(|(key, value)| KeyValue::new(key.to_string(), value))
                    .collect(),
            ))
            .build();
        let file = std::fs::File::create(&path).expect("a file");
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(properties))
                .expect("a writer");
        writer.write(&batch).expect("written");
        writer.close().expect("closed");
        path
    }

    #[test]
    fn a_measure_file_without_its_matrix_or_layout_is_refused() {
        let dir = tempfile::tempdir().expect("a folder");
        let matrix = Matrix {
            years: vec![202122],
            groups: vec!["CINO at 31 March".to_string()],
            unavailable: Vec::new(),
            columns_not_collected: Default::default(),
        };
        let layout = crate::fixtures::layout();
        let error = read_measure_file(&measure_file(dir.path(), vec![])).expect_err("no matrix");
        assert!(
            matches!(&error, PublishError::NoMetadata { key, .. } if key == MATRIX_KEY),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("hint: write the measures again"),
            "{error}"
        );
        let error = read_measure_file(&measure_file(
            dir.path(),
            vec![(MATRIX_KEY, matrix.to_json())],
        ))
        .expect_err("no layout");
        assert!(
            matches!(&error, PublishError::NoMetadata { key, .. } if key == LAYOUT_KEY),
            "{error:?}"
        );
        let error = read_measure_file(&measure_file(
            dir.path(),
            vec![
                (MATRIX_KEY, "{\"years\": 1}".to_string()),
                (LAYOUT_KEY, layout.to_json()),
            ],
        ))
        .expect_err("bad");
        assert!(matches!(error, PublishError::Matrix { .. }), "{error:?}");
        let file = read_measure_file(&measure_file(
            dir.path(),
            vec![
                (MATRIX_KEY, matrix.to_json()),
                (LAYOUT_KEY, layout.to_json()),
            ],
        ))
        .expect("read");
        assert_eq!(file.matrix, matrix);
        assert_eq!(file.layout, layout);
        assert_eq!(file.batches[0].num_rows(), 1);
    }
}
