//! The measures folder: each measure as Parquet and CSV, written into a staging folder
//! that replaces the old one when complete.

use std::path::Path;

use arrow::array::{Array, AsArray};

use crate::completion::MeasureResult;
use cwsw_dictionary::layout::LAYOUT_KEY;
use cwsw_dictionary::matrix::MATRIX_KEY;

use crate::coverage;
use crate::coverage::MeasureYear;
use crate::error::EngineError;

/// A CSV field: quoted (quotes doubled) when it holds a comma, quote or line end.
pub fn csv_field(value: &str) -> std::borrow::Cow<'_, str> {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\"")).into()
    } else {
        value.into()
    }
}

/// A measure as CSV: a header row, then one line per row; a null cell is `x` where the
/// measure or group was not collected that year and `z` (no denominator) elsewhere
/// (`domain.md` §3).
pub fn measure_csv(result: &MeasureResult) -> Result<String, EngineError> {
    let options = arrow::util::display::FormatOptions::default();
    let names: Vec<&str> = result
        .schema
        .fields()
        .iter()
        .map(|field| field.name().as_str())
        .collect();
    let mut text = names.join(",");
    text.push('\n');
    for batch in &result.batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|column| arrow::util::display::ArrayFormatter::try_new(column.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| EngineError::Arrow {
                what: format!("{}: formatting as CSV", result.header.name),
                source,
            })?;
        let years = batch
            .column_by_name("academic_year")
            .and_then(|column| column.as_primitive_opt::<arrow::datatypes::Int32Type>());
        let groups = batch
            .column_by_name("social_care_group")
            .and_then(|column| column.as_string_opt::<i32>());
        for row in 0..batch.num_rows() {
            let year = years.map_or(0, |years| years.value(row));
            let group = groups.map_or("", |groups| groups.value(row));
            for (index, (column, formatter)) in batch.columns().iter().zip(&formatters).enumerate()
            {
                if index > 0 {
                    text.push(',');
                }
                if column.is_null(row) {
                    let symbol = if result.not_collected(year, group, names[index]) {
                        "x"
                    } else {
                        "z"
                    };
                    text.push_str(symbol);
                    continue;
                }
                text.push_str(&csv_field(&formatter.value(row).to_string()));
            }
            text.push('\n');
        }
    }
    Ok(text)
}

/// Writes each measure as `NAME.parquet` and `NAME.csv` into a folder that replaces
/// `dir` when complete.
pub fn write_measures(results: &[MeasureResult], dir: &Path) -> Result<(), EngineError> {
    let parquet_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EngineError::Parquet { path, source }
    };
    let parent = dir
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staging = parent.join(format!(
        ".{}.partial-{}",
        dir.file_name()
            .map(|name| name.to_string_lossy().to_string())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|source| EngineError::Io {
        path: staging.clone(),
        source,
    })?;
    let coverage: Vec<MeasureYear> = results
        .iter()
        .flat_map(|result| result.years.iter().cloned())
        .collect();
    coverage::write_measure_years(&coverage, &staging)?;
    for result in results {
        let parquet_path = staging.join(format!("{}.parquet", result.header.name));
        let file = std::fs::File::create(&parquet_path).map_err(|source| EngineError::Io {
            path: parquet_path.clone(),
            source,
        })?;
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
            .set_created_by(format!("cwsw {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![
                parquet::file::metadata::KeyValue::new(
                    MATRIX_KEY.to_string(),
                    result.matrix.to_json(),
                ),
                parquet::file::metadata::KeyValue::new(
                    LAYOUT_KEY.to_string(),
                    result.header.layout().to_json(),
                ),
            ]))
            .build();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file, result.schema.clone(), Some(properties))
                .map_err(parquet_error(&parquet_path))?;
        for batch in &result.batches {
            writer.write(batch).map_err(parquet_error(&parquet_path))?;
        }
        writer.close().map_err(parquet_error(&parquet_path))?;
        let csv_path = staging.join(format!("{}.csv", result.header.name));
        let text = measure_csv(result)?;
        std::fs::write(&csv_path, text).map_err(|source| EngineError::Io {
            path: csv_path.clone(),
            source,
        })?;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|source| EngineError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::rename(&staging, dir).map_err(|source| EngineError::Io {
        path: staging.clone(),
        source,
    })
}
