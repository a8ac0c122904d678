//! CSV inputs: UTF-8 with or without a byte-order mark, CRLF or LF, trailing blank
//! lines; columns found by header name, so extra or reordered columns do no harm.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use crate::ExtractError;

/// A CSV file being read record by record.
pub(crate) struct CsvInput {
    reader: csv::Reader<BufReader<File>>,
    columns: HashMap<String, usize>,
    path: std::path::PathBuf,
    /// The header as read (trimmed, BOM removed).
    pub(crate) header: Vec<String>,
    /// Only records whose value in this column falls in this partition are returned.
    partition: Option<(usize, Partition)>,
    /// Where the last line starts, when the file does not end with a line end: a short
    /// record there means the file was cut off.
    unterminated_tail: Option<u64>,
}

/// One of `count` slices of a file's records, by a hash of one column's value: large
/// school censuses are read a slice of schools at a time so their maps stay small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Partition {
    pub(crate) index: u64,
    pub(crate) count: u64,
}

impl Partition {
    /// Whether a value falls in this partition.
    pub(crate) fn holds(self, value: &str) -> bool {
        use std::hash::{DefaultHasher, Hash, Hasher};
        if self.count <= 1 {
            return true;
        }
        let mut hasher = DefaultHasher::new();
        value.trim().hash(&mut hasher);
        hasher.finish() % self.count == self.index
    }
}

impl CsvInput {
    pub(crate) fn open(path: &Path) -> Result<Self, ExtractError> {
        let file = File::open(path).map_err(|source| ExtractError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(BufReader::with_capacity(1 << 20, file));
        let header: Vec<String> = reader
            .headers()
            .map_err(|error| csv_error(path, &error))?
            .iter()
            .map(|name| name.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        if header.iter().all(String::is_empty) {
            return Err(ExtractError::Malformed {
                path: path.to_path_buf(),
                line: 1,
                column: 0,
                message: "the file is empty: expected a header row".to_string(),
            });
        }
        let columns = header
            .iter()
            .enumerate()
            .map(|(index, name)| (name.to_ascii_lowercase(), index))
            .collect();
        Ok(Self {
            reader,
            columns,
            path: path.to_path_buf(),
            header,
            partition: None,
            unterminated_tail: unterminated_tail(path)?,
        })
    }

    /// Returns only the records whose `column` value falls in `partition`.
    pub(crate) fn restrict(&mut self, column: usize, partition: Partition) {
        self.partition = Some((column, partition));
    }

    /// The position of a column, by case-insensitive name.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.columns.get(&name.to_ascii_lowercase()).copied()
    }

    /// The position of a column the table cannot do without.
    pub(crate) fn required_column(&self, name: &str, table: &str) -> Result<usize, ExtractError> {
        self.column(name).ok_or_else(|| ExtractError::Malformed {
            path: self.path.clone(),
            line: 1,
            column: 0,
            message: format!("the header has no `{name}` column, which `{table}` requires"),
        })
    }

    /// The next record and its line, or `None` at the end. Blank lines are skipped.
    pub(crate) fn next_record(
        &mut self,
        record: &mut csv::StringRecord,
    ) -> Result<Option<u64>, ExtractError> {
        loop {
            match self.reader.read_record(record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    if record.iter().all(|field| field.trim().is_empty()) {
                        continue;
                    }
                    if let Some(tail) = self.unterminated_tail
                        && record.len() < self.header.len()
                        && record
                            .position()
                            .is_some_and(|position| position.byte() >= tail)
                    {
                        return Err(ExtractError::Malformed {
                            path: self.path.clone(),
                            line: record.position().map_or(0, csv::Position::line),
                            column: record.len() as u64,
                            message: format!(
                                "the file ends part-way through this row ({} of the header's {} fields, and no line end): it is truncated",
                                record.len(),
                                self.header.len()
                            ),
                        });
                    }
                    if let Some((column, partition)) = self.partition
                        && !partition.holds(record.get(column).unwrap_or(""))
                    {
                        continue;
                    }
                    return Ok(Some(
                        record.position().map_or(0, |position| position.line()),
                    ));
                }
                Err(error) => return Err(csv_error(&self.path, &error)),
            }
        }
    }
}

/// The trimmed field at a column, or "" if the row is short or the column absent.
pub(crate) fn field(record: &csv::StringRecord, column: Option<usize>) -> &str {
    column
        .and_then(|index| record.get(index))
        .map_or("", str::trim)
}

fn csv_error(path: &Path, error: &csv::Error) -> ExtractError {
    let (line, message) = match error.kind() {
        csv::ErrorKind::Utf8 { pos, err } => {
            return ExtractError::Malformed {
                path: path.to_path_buf(),
                line: pos.as_ref().map_or(0, csv::Position::line),
                column: err.field() as u64 + 1,
                message: format!("not UTF-8 text ({err}): save the file as UTF-8"),
            };
        }
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => (
            pos.as_ref().map_or(0, csv::Position::line),
            format!("{len} fields where the header has {expected_len}"),
        ),
        _ => (0, error.to_string()),
    };
    ExtractError::Malformed {
        path: path.to_path_buf(),
        line,
        column: 0,
        message,
    }
}

/// The byte offset of the last line, if the file does not end with a line end.
fn unterminated_tail(path: &Path) -> Result<Option<u64>, ExtractError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |source| ExtractError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let length = file.metadata().map_err(io)?.len();
    if length == 0 {
        return Ok(None);
    }
    let window = length.min(1 << 16);
    file.seek(SeekFrom::Start(length - window)).map_err(io)?;
    let mut tail = vec![0; window as usize];
    file.read_exact(&mut tail).map_err(io)?;
    if tail.last() == Some(&b'\n') {
        return Ok(None);
    }
    Ok(Some(
        tail.iter()
            .rposition(|byte| *byte == b'\n')
            .map_or(length - window, |index| length - window + index as u64 + 1),
    ))
}
