//! `estimates.parquet` and `estimates.csv`: the rows, written to a hidden file and
//! renamed, so a killed run leaves the previous file or none.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::EstimatesError;
use crate::row::EstimateRow;

/// The columns, in order.
pub fn schema() -> SchemaRef {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let number = |name: &str| Field::new(name, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        text("measure", false),
        text("indicator", false),
        text("research_question", false),
        text("estimand", false),
        text("social_care_group", false),
        text("comparison", true),
        Field::new("academic_year", DataType::Int32, true),
        text("pre_years", true),
        text("post_years", true),
        text("breakdown", false),
        text("breakdown_level", false),
        text("unit", false),
        number("estimate"),
        number("standard_error"),
        number("ci_lower"),
        number("ci_upper"),
        number("statistic"),
        number("degrees_of_freedom"),
        number("p_value"),
        text("family", true),
        number("p_value_bh"),
        Field::new("pupil_years", DataType::Int64, true),
        Field::new("pupils", DataType::Int64, true),
        text("method", false),
        text("note", true),
        text("lineage", false),
    ]))
}

pub use cwsw_dictionary::estimand::LINEAGE_SEPARATOR;

/// The rows as one batch.
pub fn batch(rows: &[EstimateRow]) -> Result<RecordBatch, EstimatesError> {
    let texts = |value: &dyn Fn(&EstimateRow) -> Option<String>| -> ArrayRef {
        let mut builder = StringBuilder::new();
        for row in rows {
            builder.append_option(value(row));
        }
        Arc::new(builder.finish())
    };
    let numbers = |value: &dyn Fn(&EstimateRow) -> Option<f64>| -> ArrayRef {
        let mut builder = Float64Builder::new();
        for row in rows {
            builder.append_option(value(row).filter(|value| value.is_finite()));
        }
        Arc::new(builder.finish())
    };
    let counts = |value: &dyn Fn(&EstimateRow) -> Option<usize>| -> ArrayRef {
        let mut builder = Int64Builder::new();
        for row in rows {
            builder.append_option(value(row).map(|count| count as i64));
        }
        Arc::new(builder.finish())
    };
    let mut years = Int32Builder::new();
    for row in rows {
        years.append_option(row.academic_year);
    }
    let columns: Vec<ArrayRef> = vec![
        texts(&|row| Some(row.measure.clone())),
        texts(&|row| Some(row.indicator.clone())),
        texts(&|row| Some(row.research_question.clone())),
        texts(&|row| Some(row.estimand.name().to_string())),
        texts(&|row| Some(row.group.clone())),
        texts(&|row| row.comparison.clone()),
        Arc::new(years.finish()),
        texts(&|row| row.pre_years.clone()),
        texts(&|row| row.post_years.clone()),
        texts(&|row| Some(row.breakdown.clone())),
        texts(&|row| Some(row.breakdown_level.clone())),
        texts(&|row| Some(row.unit.to_string())),
        numbers(&|row| row.estimate.map(|estimate| estimate.estimate)),
        numbers(&|row| row.estimate.map(|estimate| estimate.standard_error)),
        numbers(&|row| row.estimate.map(|estimate| estimate.lower)),
        numbers(&|row| row.estimate.map(|estimate| estimate.upper)),
        numbers(&|row| {
            row.estimate
                .and_then(|estimate| estimate.test)
                .map(|test| test.statistic)
        }),
        numbers(&|row| row.degrees_of_freedom()),
        numbers(&|row| row.p_value()),
        texts(&|row| row.family.clone()),
        numbers(&|row| row.p_value_bh),
        counts(&|row| row.pupil_years.map(|(rows, _)| rows)),
        counts(&|row| row.pupil_years.map(|(_, pupils)| pupils)),
        texts(&|row| Some(row.method.clone())),
        texts(&|row| row.note.clone()),
        texts(&|row| Some(row.lineage.join(LINEAGE_SEPARATOR))),
    ];
    RecordBatch::try_new(schema(), columns).map_err(|source| EstimatesError::Arrow {
        what: "the estimates batch".to_string(),
        source,
    })
}

/// Writes `estimates.parquet` and `estimates.csv` into `out`, the two at once.
pub fn write(rows: &[EstimateRow], out: &Path) -> Result<(), EstimatesError> {
    std::fs::create_dir_all(out).map_err(|source| EstimatesError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let batch = batch(rows)?;
    let (parquet, csv) = std::thread::scope(|scope| {
        let parquet = scope.spawn(|| write_parquet(&batch, out));
        let csv = write_csv(&batch, out);
        (parquet.join(), csv)
    });
    parquet.unwrap_or_else(|_| {
        Err(EstimatesError::Io {
            path: out.join(crate::ESTIMATES_FILE),
            source: std::io::Error::other("the thread writing it stopped"),
        })
    })?;
    csv
}

fn write_parquet(batch: &RecordBatch, out: &Path) -> Result<(), EstimatesError> {
    let parquet_path = out.join(crate::ESTIMATES_FILE);
    let staging = out.join(format!(".{}.partial", crate::ESTIMATES_FILE));
    let file = std::fs::File::create(&staging).map_err(|source| EstimatesError::Io {
        path: staging.clone(),
        source,
    })?;
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .set_created_by(format!("cwsw {}", env!("CARGO_PKG_VERSION")))
        .build();
    let parquet_error = |source| EstimatesError::Parquet {
        path: parquet_path.clone(),
        source,
    };
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(properties))
        .map_err(parquet_error)?;
    writer.write(batch).map_err(parquet_error)?;
    writer.close().map_err(parquet_error)?;
    rename(&staging, &parquet_path)
}

fn write_csv(batch: &RecordBatch, out: &Path) -> Result<(), EstimatesError> {
    let csv_path = out.join("estimates.csv");
    let staging = out.join(".estimates.csv.partial");
    let csv_error = |source| EstimatesError::Csv {
        path: csv_path.clone(),
        source,
    };
    let mut writer = csv::Writer::from_path(&staging).map_err(csv_error)?;
    let schema = batch.schema();
    writer
        .write_record(schema.fields().iter().map(|field| field.name().as_str()))
        .map_err(csv_error)?;
    let formatters = batch
        .columns()
        .iter()
        .map(|column| {
            arrow::util::display::ArrayFormatter::try_new(
                column.as_ref(),
                &arrow::util::display::FormatOptions::default(),
            )
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| EstimatesError::Arrow {
            what: csv_path.display().to_string(),
            source,
        })?;
    let mut record = vec![String::new(); formatters.len()];
    for row in 0..batch.num_rows() {
        for (field, formatter) in record.iter_mut().zip(&formatters) {
            use std::fmt::Write;
            field.clear();
            write!(field, "{}", formatter.value(row)).map_err(|_| EstimatesError::Io {
                path: csv_path.clone(),
                source: std::io::Error::other("formatting a value"),
            })?;
        }
        writer.write_record(&record).map_err(csv_error)?;
    }
    writer.flush().map_err(|source| EstimatesError::Io {
        path: staging.clone(),
        source,
    })?;
    drop(writer);
    rename(&staging, &csv_path)
}

fn rename(from: &Path, to: &Path) -> Result<(), EstimatesError> {
    std::fs::rename(from, to).map_err(|source| EstimatesError::Io {
        path: to.to_path_buf(),
        source,
    })
}
