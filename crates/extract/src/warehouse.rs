//! Builds warehouse tables column by column against their dictionary schema and writes
//! them as Parquet, atomically.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder,
    StringBuilder,
};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::ExtractError;

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Missing.
    Null,
    /// Text.
    Str(&'a str),
    /// 32-bit integer.
    Int32(i32),
    /// Boolean.
    Bool(bool),
    /// Date.
    Date(NaiveDate),
    /// 64-bit float.
    Float64(f64),
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(value: Option<&'a str>) -> Self {
        value.map_or(Value::Null, Value::Str)
    }
}

impl From<Option<NaiveDate>> for Value<'_> {
    fn from(value: Option<NaiveDate>) -> Self {
        value.map_or(Value::Null, Value::Date)
    }
}

impl From<Option<i32>> for Value<'_> {
    fn from(value: Option<i32>) -> Self {
        value.map_or(Value::Null, Value::Int32)
    }
}

impl From<Option<f64>> for Value<'_> {
    fn from(value: Option<f64>) -> Self {
        value.map_or(Value::Null, Value::Float64)
    }
}

impl From<Option<bool>> for Value<'_> {
    fn from(value: Option<bool>) -> Self {
        value.map_or(Value::Null, Value::Bool)
    }
}

enum Builder {
    Utf8(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Boolean(BooleanBuilder),
    Date32(Date32Builder),
}

/// A warehouse table being built.
pub struct TableBuilder {
    name: String,
    schema: SchemaRef,
    builders: Vec<Builder>,
    rows: usize,
}

impl TableBuilder {
    /// An empty table with the dictionary's schema.
    pub fn new(name: &str, schema: SchemaRef) -> Self {
        let builders = schema
            .fields()
            .iter()
            .map(|field| match field.data_type() {
                DataType::Int32 => Builder::Int32(Int32Builder::new()),
                DataType::Int64 => Builder::Int64(Int64Builder::new()),
                DataType::Float64 => Builder::Float64(Float64Builder::new()),
                DataType::Boolean => Builder::Boolean(BooleanBuilder::new()),
                DataType::Date32 => Builder::Date32(Date32Builder::new()),
                _ => Builder::Utf8(StringBuilder::new()),
            })
            .collect();
        Self {
            name: name.to_string(),
            schema,
            builders,
            rows: 0,
        }
    }

    /// Rows appended so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Appends one row; values must match the schema's columns in order and type.
    pub fn append(&mut self, row: &[Value]) -> Result<(), ExtractError> {
        if row.len() != self.builders.len() {
            return Err(ExtractError::Internal(format!(
                "table `{}` has {} columns, a row of {} was appended",
                self.name,
                self.builders.len(),
                row.len()
            )));
        }
        for (index, (builder, value)) in self.builders.iter_mut().zip(row).enumerate() {
            let field = self.schema.field(index);
            if matches!(value, Value::Null) && !field.is_nullable() {
                return Err(ExtractError::Internal(format!(
                    "table `{}` column `{}` is required, a null was appended",
                    self.name,
                    field.name()
                )));
            }
            let ok = match (builder, value) {
                (Builder::Utf8(b), Value::Str(v)) => {
                    b.append_value(v);
                    true
                }
                (Builder::Utf8(b), Value::Null) => {
                    b.append_null();
                    true
                }
                (Builder::Int32(b), Value::Int32(v)) => {
                    b.append_value(*v);
                    true
                }
                (Builder::Int32(b), Value::Null) => {
                    b.append_null();
                    true
                }
                (Builder::Int64(b), Value::Null) => {
                    b.append_null();
                    true
                }
                (Builder::Float64(b), Value::Float64(v)) => {
                    b.append_value(*v);
                    true
                }
                (Builder::Float64(b), Value::Null) => {
                    b.append_null();
                    true
                }
                (Builder::Boolean(b), Value::Bool(v)) => {
                    b.append_value(*v);
                    true
                }
                (Builder::Boolean(b), Value::Null) => {
                    b.append_null();
                    true
                }
                (Builder::Date32(b), Value::Date(v)) => {
                    b.append_value(cwsw_dictionary::days_since_epoch(*v));
                    true
                }
                (Builder::Date32(b), Value::Null) => {
                    b.append_null();
                    true
                }
                _ => false,
            };
            if !ok {
                return Err(ExtractError::Internal(format!(
                    "table `{}` column `{}` is {}, a {value:?} was appended",
                    self.name,
                    field.name(),
                    field.data_type()
                )));
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The finished table.
    pub fn finish(mut self) -> Result<RecordBatch, ExtractError> {
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|builder| -> ArrayRef {
                match builder {
                    Builder::Utf8(b) => Arc::new(b.finish()),
                    Builder::Int32(b) => Arc::new(b.finish()),
                    Builder::Int64(b) => Arc::new(b.finish()),
                    Builder::Float64(b) => Arc::new(b.finish()),
                    Builder::Boolean(b) => Arc::new(b.finish()),
                    Builder::Date32(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|error| ExtractError::Internal(format!("table `{}`: {error}", self.name)))
    }
}

/// Rows a [`TableWriter`] gathers before handing them to the Parquet writer.
const BATCH_ROWS: usize = 1 << 13;

/// A row group is closed early once its encoded size passes this, so that the writers
/// of every table together hold a bounded amount whatever the input's size.
const ROW_GROUP_BYTES: usize = 256 << 10;

/// Writer settings: zstd(1), dictionary encoding and page statistics on, 1Mi-row groups
/// (`performance.md`: the sweet spot on this machine).
///
/// Pseudonymised ids are random hex, which a dictionary cannot shorten: their columns
/// are written plain, so no writer holds a dictionary of every id it has seen, and other
/// dictionaries are capped at 256 KiB before falling back to plain.
fn properties() -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_max_row_group_row_count(Some(1 << 20))
        .set_dictionary_page_size_limit(256 << 10)
        .set_created_by(format!("cwsw {}", env!("CARGO_PKG_VERSION")));
    for id in ["pupil_id", "child_id"] {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(id), false);
    }
    builder.build()
}

fn parquet_error(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> ExtractError + '_ {
    move |error| ExtractError::Parquet {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

fn create(path: &Path) -> Result<File, ExtractError> {
    File::create(path).map_err(|source| ExtractError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a batch as one Parquet file.
pub fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<(), ExtractError> {
    let mut writer = ArrowWriter::try_new(create(path)?, batch.schema(), Some(properties()))
        .map_err(parquet_error(path))?;
    writer.write(batch).map_err(parquet_error(path))?;
    writer.close().map_err(parquet_error(path))?;
    Ok(())
}

/// A warehouse table streamed to its Parquet file: rows are gathered in a
/// [`TableBuilder`] and written every [`BATCH_ROWS`], so memory does not grow with the
/// input (only the Parquet writer's current row group is held, encoded). The file is
/// created with the first rows; without a path (`cwsw validate`) rows are checked and
/// counted, then dropped.
pub struct TableWriter {
    name: String,
    path: Option<PathBuf>,
    schema: SchemaRef,
    builder: TableBuilder,
    writer: Option<ArrowWriter<File>>,
    rows: usize,
}

impl TableWriter {
    /// A table with the dictionary's schema, to be written to `path`.
    pub fn new(path: Option<PathBuf>, name: &str, schema: SchemaRef) -> Self {
        Self {
            name: name.to_string(),
            path,
            builder: TableBuilder::new(name, schema.clone()),
            schema,
            writer: None,
            rows: 0,
        }
    }

    /// Appends one row (see [`TableBuilder::append`]).
    pub fn append(&mut self, row: &[Value]) -> Result<(), ExtractError> {
        self.builder.append(row)?;
        self.rows += 1;
        if self.builder.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// The Parquet writer, opened (with its folder) on first use.
    fn writer(&mut self) -> Result<Option<&mut ArrowWriter<File>>, ExtractError> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        if self.writer.is_none() {
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).map_err(|source| ExtractError::Io {
                    path: folder.to_path_buf(),
                    source,
                })?;
            }
            self.writer = Some(
                ArrowWriter::try_new(create(path)?, self.schema.clone(), Some(properties()))
                    .map_err(parquet_error(path))?,
            );
        }
        Ok(self.writer.as_mut())
    }

    fn flush(&mut self) -> Result<(), ExtractError> {
        let full = std::mem::replace(
            &mut self.builder,
            TableBuilder::new(&self.name, self.schema.clone()),
        );
        let batch = full.finish()?;
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let path = self.path.clone().unwrap_or_default();
        if let Some(writer) = self.writer()? {
            writer.write(&batch).map_err(parquet_error(&path))?;
            if writer.in_progress_size() > ROW_GROUP_BYTES {
                writer.flush().map_err(parquet_error(&path))?;
            }
        }
        Ok(())
    }

    /// Writes what is left and closes the file, creating it even with no rows when
    /// `even_if_empty`; returns the rows written.
    pub fn finish(mut self, even_if_empty: bool) -> Result<usize, ExtractError> {
        self.flush()?;
        if even_if_empty {
            self.writer()?;
        }
        let path = self.path.clone().unwrap_or_default();
        if let Some(writer) = self.writer {
            writer.close().map_err(parquet_error(&path))?;
        }
        Ok(self.rows)
    }
}

/// A folder written under a temporary name and renamed into place when complete, so a
/// killed run leaves the previous folder or none, never half of one.
pub struct AtomicDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Drop for AtomicDir {
    /// A run that stops with an error removes its staging folder (a killed one leaves
    /// it, hidden, beside the target, where the next run with the same pid replaces it).
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

impl AtomicDir {
    /// Starts a staging folder beside `target`.
    pub fn new(target: &Path) -> Result<Self, ExtractError> {
        let name = target
            .file_name()
            .map(|name| name.to_string_lossy().to_string())
            .unwrap_or_else(|| "warehouse".to_string());
        let parent = target
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|source| ExtractError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|source| ExtractError::Io {
                path: staging.clone(),
                source,
            })?;
        }
        std::fs::create_dir_all(&staging).map_err(|source| ExtractError::Io {
            path: staging.clone(),
            source,
        })?;
        Ok(Self {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// Where to write files.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Moves the staging folder into place, replacing any previous one.
    pub fn commit(mut self) -> Result<(), ExtractError> {
        self.committed = true;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ExtractError::Io { path, source }
        };
        if self.target.exists() {
            let old = self.staging.with_extension("old");
            std::fs::rename(&self.target, &old).map_err(io(&self.target))?;
            std::fs::rename(&self.staging, &self.target).map_err(io(&self.staging))?;
            std::fs::remove_dir_all(&old).map_err(io(&old))?;
        } else {
            std::fs::rename(&self.staging, &self.target).map_err(io(&self.staging))?;
        }
        Ok(())
    }
}
