//! The two parsed files. Every cell is text, as the R screener reads them
//! (`read_ees_files()` reads the data as VARCHAR); an empty cell is the R screener's
//! `NA`, which [`is_blank`] names.

use std::collections::HashSet;

use crate::EesError;

/// A CSV file: its header and its rows, all text.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// Column names in file order.
    pub(crate) headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub(crate) rows: Vec<Vec<String>>,
}

/// An empty cell: DuckDB, which the R screener reads files with, reads it as `NA`.
pub(crate) fn is_blank(value: &str) -> bool {
    value.is_empty()
}

impl Table {
    /// Parse `bytes` (UTF-8, with or without a byte-order mark) as a CSV with a header.
    pub(crate) fn parse(file: &str, bytes: &[u8]) -> Result<Table, EesError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes);
        let csv_error = |source| EesError::Csv {
            file: file.to_string(),
            source,
        };
        let header = reader.byte_headers().map_err(csv_error)?.clone();
        if header.is_empty() {
            return Err(EesError::Empty {
                file: file.to_string(),
            });
        }
        let headers = text_record(file, 1, &header)?;
        let mut seen = HashSet::new();
        for column in &headers {
            if !seen.insert(column.as_str()) {
                return Err(EesError::DuplicateColumn {
                    file: file.to_string(),
                    column: column.clone(),
                });
            }
        }
        let mut rows = Vec::new();
        for record in reader.byte_records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push(text_record(file, line, &record)?);
        }
        Ok(Table { headers, rows })
    }

    /// The position of `column`, if the file has it.
    pub(crate) fn index(&self, column: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == column)
    }

    /// Whether the file has `column`.
    pub(crate) fn has(&self, column: &str) -> bool {
        self.index(column).is_some()
    }

    /// Every value of `column` in row order; nothing if the file lacks it.
    pub(crate) fn values<'a>(&'a self, column: &str) -> impl Iterator<Item = &'a str> + 'a {
        let index = self.index(column);
        self.rows
            .iter()
            .filter_map(move |row| index.and_then(|i| row.get(i)).map(String::as_str))
    }

    /// The distinct values of `column` in order of first appearance (blank included).
    pub(crate) fn distinct<'a>(&'a self, column: &str) -> Vec<&'a str> {
        let mut seen = HashSet::new();
        self.values(column).filter(|v| seen.insert(*v)).collect()
    }

    /// How many distinct values `column` has (`dplyr::n_distinct`: blank counts as one).
    pub(crate) fn n_distinct(&self, column: &str) -> usize {
        self.values(column).collect::<HashSet<_>>().len()
    }

    /// The value in `row` of the column at `index`, or blank.
    pub(crate) fn cell(row: &[String], index: Option<usize>) -> &str {
        index.and_then(|i| row.get(i)).map_or("", String::as_str)
    }
}

fn text_record(file: &str, line: u64, record: &csv::ByteRecord) -> Result<Vec<String>, EesError> {
    record
        .iter()
        .map(|field| {
            std::str::from_utf8(field)
                .map(str::to_string)
                .map_err(|_| EesError::NotUtf8 {
                    file: file.to_string(),
                    line,
                })
        })
        .collect()
}

/// One row of the metadata file, by field. A field the file lacks is blank
/// (`col_req_meta` fails such a file before anything reads these).
#[derive(Debug, Clone, Default)]
pub(crate) struct MetaRow {
    pub(crate) col_name: String,
    pub(crate) col_type: String,
    pub(crate) label: String,
    pub(crate) indicator_grouping: String,
    pub(crate) indicator_unit: String,
    pub(crate) indicator_dp: String,
    pub(crate) filter_hint: String,
    pub(crate) filter_grouping_column: String,
    pub(crate) filter_default: String,
}

impl MetaRow {
    pub(crate) fn is_filter(&self) -> bool {
        self.col_type == "Filter"
    }

    pub(crate) fn is_indicator(&self) -> bool {
        self.col_type == "Indicator"
    }
}

/// The metadata file: its table (for the checks that read every cell) and its rows.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub(crate) table: Table,
    pub(crate) rows: Vec<MetaRow>,
}

impl Meta {
    pub(crate) fn new(table: Table) -> Meta {
        let field = |name: &str| table.index(name);
        let indices = [
            field("col_name"),
            field("col_type"),
            field("label"),
            field("indicator_grouping"),
            field("indicator_unit"),
            field("indicator_dp"),
            field("filter_hint"),
            field("filter_grouping_column"),
            field("filter_default"),
        ];
        let rows = table
            .rows
            .iter()
            .map(|row| {
                let get = |i: usize| Table::cell(row, indices[i]).to_string();
                MetaRow {
                    col_name: get(0),
                    col_type: get(1),
                    label: get(2),
                    indicator_grouping: get(3),
                    indicator_unit: get(4),
                    indicator_dp: get(5),
                    filter_hint: get(6),
                    filter_grouping_column: get(7),
                    filter_default: get(8),
                }
            })
            .collect();
        Meta { table, rows }
    }

    /// `get_filters()`: the col_name of every Filter row.
    pub(crate) fn filters(&self) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|r| r.is_filter())
            .map(|r| r.col_name.as_str())
            .collect()
    }

    /// `get_filter_groups()`: every non-blank filter_grouping_column.
    pub(crate) fn filter_groups(&self) -> Vec<&str> {
        self.rows
            .iter()
            .map(|r| r.filter_grouping_column.as_str())
            .filter(|g| !is_blank(g))
            .collect()
    }

    /// `get_filters(include_filter_groups = TRUE)`: filters then filter groups.
    pub(crate) fn filters_and_groups(&self) -> Vec<&str> {
        let mut columns = self.filters();
        columns.extend(self.filter_groups());
        columns
    }

    /// `get_cols_meta()`: col_name values (optionally without indicators, optionally
    /// with the filter groups), non-blank and unique, in order.
    pub(crate) fn columns(&self, grouping_cols: bool, excl_indicators: bool) -> Vec<&str> {
        let rows: Vec<&MetaRow> = self
            .rows
            .iter()
            .filter(|r| !(excl_indicators && r.is_indicator()))
            .collect();
        let mut columns: Vec<&str> = rows.iter().map(|r| r.col_name.as_str()).collect();
        if grouping_cols {
            columns.extend(rows.iter().map(|r| r.filter_grouping_column.as_str()));
        }
        unique(columns.into_iter().filter(|c| !is_blank(c)))
    }
}

/// The items in first-appearance order, without repeats.
pub(crate) fn unique<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|i| seen.insert(*i)).collect()
}

/// The items of `items` that occur more than once, each listed at its second and
/// later occurrences (R's `x[duplicated(x)]`).
pub(crate) fn duplicated<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|i| !seen.insert(*i)).collect()
}

/// The files under screening.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub(crate) data_name: String,
    pub(crate) meta_name: String,
    pub(crate) data: Table,
    pub(crate) meta: Meta,
}

impl Input {
    /// Parse both files.
    pub(crate) fn parse(
        data_name: &str,
        data: &[u8],
        meta_name: &str,
        meta: &[u8],
    ) -> Result<Input, EesError> {
        Ok(Input {
            data_name: data_name.to_string(),
            meta_name: meta_name.to_string(),
            data: Table::parse(data_name, data)?,
            meta: Meta::new(Table::parse(meta_name, meta)?),
        })
    }

    /// The distinct `geographic_level` values, in order of first appearance.
    pub(crate) fn levels(&self) -> Vec<&str> {
        self.data.distinct("geographic_level")
    }
}
