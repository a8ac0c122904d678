//! A query's declared output schema, and the check that a result has it.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{EngineError, SchemaMismatch};
use crate::query::QueryHeader;

pub(crate) fn arrow_type(column_type: &str) -> DataType {
    match column_type {
        "int32" => DataType::Int32,
        "int64" => DataType::Int64,
        "float64" => DataType::Float64,
        "boolean" => DataType::Boolean,
        "date" => DataType::Date32,
        _ => DataType::Utf8,
    }
}

/// Whether a result type may stand for a declared type (string views are strings).
pub(crate) fn compatible(found: &DataType, declared: &DataType) -> bool {
    found == declared
        || matches!(found, DataType::Null)
        || (matches!(declared, DataType::Utf8)
            && matches!(found, DataType::Utf8View | DataType::LargeUtf8))
}

/// The declared schema of a query's output.
pub fn declared_schema(header: &QueryHeader) -> SchemaRef {
    Arc::new(Schema::new(
        header
            .output
            .iter()
            .map(|column| Field::new(&column.name, arrow_type(&column.column_type), true))
            .collect::<Vec<_>>(),
    ))
}

/// Checks a result's columns against the declared ones: the same names in the same
/// order, each of a type that may stand for the declared one.
pub(crate) fn check_schema(
    query: &str,
    declared: &Schema,
    found: &Schema,
) -> Result<(), EngineError> {
    let mismatch = |position: usize| {
        let describe = |schema: &Schema| {
            schema
                .fields()
                .get(position - 1)
                .map_or(("(none)".to_string(), String::new()), |field| {
                    (field.name().clone(), field.data_type().to_string())
                })
        };
        let (found, found_type) = describe(found);
        let (declared, declared_type) = describe(declared);
        EngineError::Schema(Box::new(SchemaMismatch {
            query: query.to_string(),
            position,
            found,
            found_type,
            declared,
            declared_type,
        }))
    };
    for (position, (field, wanted)) in found.fields().iter().zip(declared.fields()).enumerate() {
        if field.name() != wanted.name() || !compatible(field.data_type(), wanted.data_type()) {
            return Err(mismatch(position + 1));
        }
    }
    if found.fields().len() != declared.fields().len() {
        return Err(mismatch(
            found.fields().len().min(declared.fields().len()) + 1,
        ));
    }
    Ok(())
}

/// Checks a batch's columns against the declared ones and casts it to their types.
pub(crate) fn conform(
    query: &str,
    declared: &SchemaRef,
    batch: &RecordBatch,
) -> Result<RecordBatch, EngineError> {
    let found = batch.schema();
    check_schema(query, declared, &found)?;
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (position, wanted) in declared.fields().iter().enumerate() {
        let column =
            arrow::compute::cast(batch.column(position), wanted.data_type()).map_err(|error| {
                EngineError::Arrow {
                    what: format!("{query}: casting a result column to its declared type"),
                    source: error,
                }
            })?;
        columns.push(column);
    }
    RecordBatch::try_new(declared.clone(), columns).map_err(|source| EngineError::Arrow {
        what: format!("{query}: the result with its declared columns"),
        source,
    })
}
