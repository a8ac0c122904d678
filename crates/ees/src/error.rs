//! The one error type: a file the screener cannot read at all.

/// Why a pair of files could not be screened. The R screener reports these as a
/// `file_read` FAIL; here they are errors, each naming the file.
#[derive(Debug, thiserror::Error)]
pub enum EesError {
    /// The bytes are not a CSV the `csv` crate can parse (for example a ragged row).
    #[error("`{file}` is not a readable CSV: {source}")]
    Csv {
        /// The file name given to [`crate::screen`].
        file: String,
        /// The parser's error, with its position.
        #[source]
        source: csv::Error,
    },
    /// A cell or header is not UTF-8 (EES requires UTF-8).
    #[error("`{file}` line {line}: not UTF-8")]
    NotUtf8 {
        /// The file name given to [`crate::screen`].
        file: String,
        /// The 1-based line of the record.
        line: u64,
    },
    /// The file has no header row.
    #[error("`{file}` is empty: no header row")]
    Empty {
        /// The file name given to [`crate::screen`].
        file: String,
    },
    /// Two columns share a name, so no check could tell them apart.
    #[error("`{file}`: column `{column}` appears more than once in the header")]
    DuplicateColumn {
        /// The file name given to [`crate::screen`].
        file: String,
        /// The repeated column name.
        column: String,
    },
}
