//! The dictionary's types and the YAML parsing that builds them.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::Deserialize;

use crate::DictionaryError;

/// Whether a table is a return as it arrives or one cwsw writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A statutory return held by the LA.
    Source,
    /// A pseudonymised Parquet table of the warehouse.
    Warehouse,
}

/// A column's logical type after parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// UTF-8 text.
    String,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 64-bit float.
    Float64,
    /// true / false.
    Boolean,
    /// A calendar date.
    Date,
}

impl ColumnType {
    /// The Arrow type a column of this type is written as.
    pub fn arrow(self) -> DataType {
        match self {
            Self::String => DataType::Utf8,
            Self::Int32 => DataType::Int32,
            Self::Int64 => DataType::Int64,
            Self::Float64 => DataType::Float64,
            Self::Boolean => DataType::Boolean,
            Self::Date => DataType::Date32,
        }
    }

    /// The lowercase name used in the YAML files and in query headers.
    pub fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Int32 => "int32",
            Self::Int64 => "int64",
            Self::Float64 => "float64",
            Self::Boolean => "boolean",
            Self::Date => "date",
        }
    }
}

/// The schema years a column or code exists in, inclusive; `None` is open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct YearRange {
    /// First schema year, if bounded.
    pub from: Option<i32>,
    /// Last schema year, if bounded.
    pub to: Option<i32>,
}

impl YearRange {
    /// Parses `all`, `2017-2026`, `2025-`, `-2024` or a single `2026`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "all" {
            return Ok(Self::default());
        }
        let year = |part: &str| -> Result<Option<i32>, String> {
            if part.is_empty() {
                return Ok(None);
            }
            match part.parse::<i32>() {
                Ok(y) if (1990..=2100).contains(&y) => Ok(Some(y)),
                _ => Err(format!(
                    "`{text}` is not a year range (all, 2017-2026, 2025-, -2024)"
                )),
            }
        };
        let range = match text.split_once('-') {
            Some((from, to)) => Self {
                from: year(from)?,
                to: year(to)?,
            },
            None => {
                let single = year(text)?;
                Self {
                    from: single,
                    to: single,
                }
            }
        };
        if let (Some(from), Some(to)) = (range.from, range.to)
            && from > to
        {
            return Err(format!("year range `{text}` runs backwards"));
        }
        if range.from.is_none() && range.to.is_none() {
            return Err(format!(
                "`{text}` is not a year range (all, 2017-2026, 2025-, -2024)"
            ));
        }
        Ok(range)
    }

    /// Whether the given schema year lies in the range.
    pub fn contains(self, year: i32) -> bool {
        self.from.is_none_or(|from| year >= from) && self.to.is_none_or(|to| year <= to)
    }
}

impl std::fmt::Display for YearRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.from, self.to) {
            (None, None) => write!(f, "all"),
            (Some(from), Some(to)) if from == to => write!(f, "{from}"),
            (Some(from), Some(to)) => write!(f, "{from}–{to}"),
            (Some(from), None) => write!(f, "{from} on"),
            (None, Some(to)) => write!(f, "to {to}"),
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    /// The name as it appears in the source (XML element, CSV header) or warehouse.
    pub name: String,
    /// Logical type.
    pub column_type: ColumnType,
    /// Whether a row without it is invalid.
    pub required: bool,
    /// The schema years the column exists in.
    pub years: YearRange,
    /// The code list its values come from, if any.
    pub code_list: Option<String>,
    /// A direct identifier (UPN, LAchildID, name, address, postcode): never output.
    pub identifier: bool,
    /// What it holds.
    pub description: String,
}

/// One table: a source return's table or a warehouse table.
#[derive(Debug, Clone)]
pub struct Table {
    /// snake_case name, unique across the dictionary.
    pub name: String,
    /// Source or warehouse.
    pub kind: Kind,
    /// The statutory return (sources) or stage (warehouse).
    pub return_name: String,
    /// xml, csv or parquet.
    pub format: String,
    /// XML element path or file pattern.
    pub location: String,
    /// What the table holds.
    pub description: String,
    /// Where its facts come from.
    pub reference: String,
    /// What one row is.
    pub grain: String,
    /// Its columns, in order.
    pub columns: Vec<Column>,
}

impl Table {
    /// The Arrow schema of the table: every column, nullable unless required.
    pub fn arrow_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|column| {
                    Field::new(&column.name, column.column_type.arrow(), !column.required)
                })
                .collect::<Vec<_>>(),
        ))
    }

    /// One column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }
}

/// One code of a code list.
#[derive(Debug, Clone)]
pub struct CodeValue {
    /// The code as written in the return.
    pub code: String,
    /// What it means.
    pub label: String,
    /// The schema years the code is valid in.
    pub years: YearRange,
    /// A class the code belongs to, where the list has one (attendance codes).
    pub meaning: Option<String>,
}

/// A code list: code → label.
#[derive(Debug, Clone)]
pub struct CodeList {
    /// snake_case name.
    pub name: String,
    /// What the codes describe.
    pub description: String,
    /// Where the codes come from.
    pub reference: String,
    /// The codes, in file order.
    pub codes: Vec<CodeValue>,
}

impl CodeList {
    /// The entry for a code valid in the given schema year, if any.
    pub fn lookup(&self, code: &str, year: i32) -> Option<&CodeValue> {
        self.codes
            .iter()
            .find(|value| value.code == code && value.years.contains(year))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    table: String,
    kind: Kind,
    #[serde(rename = "return")]
    return_name: String,
    format: String,
    location: String,
    description: String,
    reference: String,
    grain: String,
    columns: Vec<RawColumn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    name: String,
    #[serde(rename = "type")]
    column_type: ColumnType,
    required: bool,
    years: String,
    code_list: Option<String>,
    #[serde(default)]
    identifier: bool,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodeList {
    code_list: String,
    description: String,
    reference: String,
    codes: Vec<RawCode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    code: String,
    label: String,
    years: Option<String>,
    meaning: Option<String>,
}

pub(crate) fn is_code_list(text: &str) -> bool {
    text.lines().any(|line| line.starts_with("code_list:"))
}

/// The 1-based line of the `nth` (1-based) line containing `needle`, or 0.
pub(crate) fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .nth(nth.saturating_sub(1))
        .map_or(0, |(index, _)| index + 1)
}

/// The line of the `- name: {name}` entry for the `nth` column of that name.
fn column_line(text: &str, name: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let trimmed = line.trim_start().trim_start_matches("- ").trim();
            trimmed
                .strip_prefix("name:")
                .is_some_and(|value| value.trim().trim_matches('"').trim_matches('\'') == name)
        })
        .nth(nth.saturating_sub(1))
        .map_or(0, |(index, _)| index + 1)
}

fn parse_error(path: &Path, error: serde_yaml_ng::Error) -> DictionaryError {
    DictionaryError::Parse {
        path: path.to_path_buf(),
        line: error.location().map_or(0, |location| location.line()),
        message: error.to_string(),
    }
}

pub(crate) fn parse_table(path: &Path, text: &str) -> Result<Table, DictionaryError> {
    let raw: RawTable = serde_yaml_ng::from_str(text).map_err(|error| parse_error(path, error))?;
    let invalid = |line: usize, message: String| DictionaryError::Invalid {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut seen = BTreeSet::new();
    let mut columns = Vec::with_capacity(raw.columns.len());
    for column in raw.columns {
        if !seen.insert(column.name.clone()) {
            return Err(invalid(
                column_line(text, &column.name, 2),
                format!("column `{}` is declared twice", column.name),
            ));
        }
        let years = YearRange::parse(&column.years).map_err(|message| {
            let start = column_line(text, &column.name, 1);
            let offset = text
                .lines()
                .skip(start)
                .position(|line| line.trim_start().starts_with("years:"))
                .map_or(0, |position| position + 1);
            invalid(
                start + offset,
                format!("column `{}`: {message}", column.name),
            )
        })?;
        columns.push(Column {
            name: column.name,
            column_type: column.column_type,
            required: column.required,
            years,
            code_list: column.code_list,
            identifier: column.identifier,
            description: column.description,
        });
    }
    Ok(Table {
        name: raw.table,
        kind: raw.kind,
        return_name: raw.return_name,
        format: raw.format,
        location: raw.location,
        description: raw.description,
        reference: raw.reference,
        grain: raw.grain,
        columns,
    })
}

pub(crate) fn parse_code_list(path: &Path, text: &str) -> Result<CodeList, DictionaryError> {
    let raw: RawCodeList =
        serde_yaml_ng::from_str(text).map_err(|error| parse_error(path, error))?;
    let mut codes: Vec<CodeValue> = Vec::with_capacity(raw.codes.len());
    for code in raw.codes {
        let years = match &code.years {
            Some(years) => YearRange::parse(years).map_err(|message| DictionaryError::Invalid {
                path: path.to_path_buf(),
                line: line_of(text, &format!("code: {}", code.code), 1),
                message: format!("code `{}`: {message}", code.code),
            })?,
            None => YearRange::default(),
        };
        // The same code may appear twice only for disjoint year ranges (a relabelled code).
        if codes
            .iter()
            .any(|seen| seen.code == code.code && ranges_overlap(seen.years, years))
        {
            return Err(DictionaryError::Invalid {
                path: path.to_path_buf(),
                line: line_of(text, &format!("code: {}", code.code), 2).max(line_of(
                    text,
                    &format!("code: \"{}\"", code.code),
                    2,
                )),
                message: format!("code `{}` is declared twice", code.code),
            });
        }
        codes.push(CodeValue {
            code: code.code,
            label: code.label,
            years,
            meaning: code.meaning,
        });
    }
    Ok(CodeList {
        name: raw.code_list,
        description: raw.description,
        reference: raw.reference,
        codes,
    })
}

fn ranges_overlap(a: YearRange, b: YearRange) -> bool {
    let a_from = a.from.unwrap_or(i32::MIN);
    let a_to = a.to.unwrap_or(i32::MAX);
    let b_from = b.from.unwrap_or(i32::MIN);
    let b_to = b.to.unwrap_or(i32::MAX);
    a_from <= b_to && b_from <= a_to
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_ranges_parse() {
        assert_eq!(YearRange::parse("all"), Ok(YearRange::default()));
        let range = YearRange::parse("2025-").expect("valid");
        assert!(range.contains(2026) && !range.contains(2024));
        let range = YearRange::parse("-2024").expect("valid");
        assert!(range.contains(2017) && !range.contains(2025));
        assert!(YearRange::parse("20x5").is_err());
        assert!(YearRange::parse("-").is_err());
    }
}
