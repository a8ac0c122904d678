//! Extract: an LA's raw statutory returns into a validated, pseudonymised Parquet
//! warehouse, a rejects table and a ledger that accounts for every row.
//!
//! [`extract`] reads every file under an input folder — CIN census XML, SSDA903 tables
//! (recognised by their header row), school census extracts — checks each row against
//! rules with stable ids ([`rules::ALL`]), replaces identifiers with keyed HMAC-SHA256
//! ids ([`Pseudonymiser`]), keeps dates of birth only to the month, and writes the
//! warehouse atomically. Names, addresses, postcodes, UPNs and LAchildIDs never reach
//! an output.
//!
//! ```
//! use cwsw_extract::{PseudonymisationKey, Pseudonymiser};
//! let key = PseudonymisationKey::from_bytes(vec![42; 32]).expect("32 bytes is long enough");
//! let pupil = Pseudonymiser::new(&key).pupil_id("H801200001001");
//! assert_eq!(pupil.as_str().len(), 32);
//! ```

mod cin;
mod context;
mod csv_input;
mod key;
mod registers;
mod row;
pub mod rules;
mod school_census;
mod ssda903;
mod warehouse;

pub use key::{ChildId, MINIMUM_KEY_BYTES, PseudonymisationKey, Pseudonymiser, PupilId};
pub use rules::{Ledger, LedgerEntry, Reject, Severity};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use cwsw_dictionary::Dictionary;

use crate::context::Context;
use crate::csv_input::CsvInput;
use crate::warehouse::{AtomicDir, write_parquet};

/// What can go wrong in extract.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An input is not well-formed: extract stops here.
    #[error("{path} line {line}{}: {message}", if *column > 0 { format!(" column {column}") } else { String::new() })]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line, 0 when unknown.
        line: u64,
        /// 1-based column, 0 when unknown.
        column: u64,
        /// What was expected.
        message: String,
    },
    /// Writing Parquet failed.
    #[error("{path}: cannot write Parquet: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
    /// The key is too short.
    #[error("the pseudonymisation key has {bytes} bytes; at least 32 are required")]
    KeyTooShort {
        /// Its length.
        bytes: usize,
    },
    /// Returns of two LAs were mixed.
    #[error(
        "returns of two LAs are mixed: `{first}` ({first_source}) and `{second}` ({second_source})"
    )]
    LaCodeMismatch {
        /// The first LA code seen.
        first: String,
        /// Where.
        first_source: String,
        /// The other.
        second: String,
        /// Where.
        second_source: String,
    },
    /// No CIN census said which LA the returns belong to, and none was given.
    #[error(
        "{path}: cannot tell which LA this return belongs to: give `--la CODE` or include a CIN census"
    )]
    NoLaCode {
        /// The file.
        path: PathBuf,
    },
    /// The ledger does not balance: a row was lost.
    #[error(
        "the ledger does not balance for {file} ({table}): {read} read, {accepted} accepted, {rejected} rejected, {deduplicated} de-duplicated"
    )]
    Unbalanced {
        /// File.
        file: String,
        /// Table.
        table: String,
        /// Rows read.
        read: u64,
        /// Rows accepted.
        accepted: u64,
        /// Rows rejected.
        rejected: u64,
        /// Rows de-duplicated.
        deduplicated: u64,
    },
    /// A bug in cwsw: the message says where.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What to extract, and where to.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// The folder of raw returns.
    pub input: PathBuf,
    /// The warehouse folder to write (replaced atomically).
    pub output: PathBuf,
    /// The LA code, if known; otherwise read from the CIN census headers.
    pub la_code: Option<String>,
    /// Pupil-file bytes of a school census read in one pass; a larger census is read a
    /// slice of schools at a time so memory stays flat. `None`: 32 MiB (about 100k pupils).
    pub census_slice_bytes: Option<u64>,
}

/// A file found in the input folder that this version does not extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    /// Path relative to the input folder.
    pub file: String,
    /// Why: a known return not yet extracted, or no known return at all.
    pub reason: String,
}

/// What extract did.
#[derive(Debug, Clone)]
pub struct ExtractSummary {
    /// The key's public id.
    pub key_id: String,
    /// Rows written per warehouse table.
    pub tables: BTreeMap<String, usize>,
    /// Per file and table counts.
    pub ledger: Ledger,
    /// Rejected and warned rows.
    pub rejects: Vec<Reject>,
    /// Files not extracted, with the reason.
    pub skipped: Vec<SkippedFile>,
    /// Input read and time taken per kind of source, for throughput reports.
    pub sources: Vec<SourceStats>,
}

/// What extract read of one kind of source, and how long it took (parsing, checking,
/// pseudonymising and writing its rows).
#[derive(Debug, Clone)]
pub struct SourceStats {
    /// The kind of source.
    pub kind: &'static str,
    /// Files read.
    pub files: usize,
    /// Their size in bytes.
    pub bytes: u64,
    /// Rows (or XML records) read.
    pub rows: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// A school census file: its path, its name relative to the input folder, what it is.
type CensusInput = (PathBuf, String, school_census::CensusFile);

enum Input {
    Cin,
    Ssda903(ssda903::Ssda903Table),
    Census(school_census::CensusFile),
    Register(registers::Register),
    NotRead(&'static str),
}

fn list_files(root: &Path) -> Result<Vec<PathBuf>, ExtractError> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|source| ExtractError::Io {
            path: folder.clone(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| ExtractError::Io {
                    path: folder.clone(),
                    source,
                })?
                .path();
            let hidden = path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn classify(path: &Path, name: &str) -> Result<Option<Input>, ExtractError> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".xml") {
        return Ok(Some(Input::Cin));
    }
    if !lower.ends_with(".csv") {
        return Ok(None);
    }
    if let Some(file) = school_census::parse_name(
        path.file_name()
            .map(|name| name.to_string_lossy().to_string())
            .unwrap_or_default()
            .as_str(),
    ) {
        let table = file.table.as_str();
        if school_census::ADDRESS_TABLES.contains(&table) {
            return Ok(Some(Input::NotRead(
                "school census addresses: never read, because cwsw keeps no addresses or postcodes",
            )));
        }
        if school_census::table_kind(table).is_some() {
            return Ok(Some(Input::Census(file)));
        }
        return Ok(None);
    }
    let input = CsvInput::open(path)?;
    if let Some(table) = ssda903::recognise(&input.header) {
        return Ok(Some(Input::Ssda903(table)));
    }
    Ok(registers::Register::recognise(&input.header).map(Input::Register))
}

/// Reads every return under `options.input` and writes the warehouse.
pub fn extract(
    options: &ExtractOptions,
    key: &PseudonymisationKey,
    dictionary: &Dictionary,
) -> Result<ExtractSummary, ExtractError> {
    read_all(options, key, dictionary, true)
}

/// Applies every check of [`extract`] to the returns under `input` without writing a
/// warehouse (`cwsw validate`): the summary's rejects and ledger are the rule report.
/// Ids are made with a throwaway key, and nothing that holds one is written.
pub fn validate(
    input: &Path,
    la_code: Option<String>,
    dictionary: &Dictionary,
) -> Result<ExtractSummary, ExtractError> {
    let options = ExtractOptions {
        input: input.to_path_buf(),
        output: PathBuf::new(),
        la_code,
        census_slice_bytes: None,
    };
    read_all(
        &options,
        &PseudonymisationKey::generate(),
        dictionary,
        false,
    )
}

fn read_all(
    options: &ExtractOptions,
    key: &PseudonymisationKey,
    dictionary: &Dictionary,
    write: bool,
) -> Result<ExtractSummary, ExtractError> {
    let pseudonymiser = Pseudonymiser::new(key);
    let staging = if write {
        Some(AtomicDir::new(&options.output)?)
    } else {
        None
    };
    let mut context = Context::new(
        &pseudonymiser,
        dictionary,
        options.la_code.clone(),
        staging.as_ref().map(AtomicDir::path),
    )?;
    if let Some(bytes) = options.census_slice_bytes {
        context.census_slice_bytes = bytes;
    }
    let mut skipped = Vec::new();
    let mut cin_files = Vec::new();
    let mut ssda_files = Vec::new();
    let mut register_files = Vec::new();
    let mut census_files: BTreeMap<(i32, school_census::CensusTerm), Vec<CensusInput>> =
        BTreeMap::new();
    for path in list_files(&options.input)? {
        let name = relative(&options.input, &path);
        match classify(&path, &name)? {
            Some(Input::Cin) => cin_files.push((path, name)),
            Some(Input::Ssda903(table)) => ssda_files.push((path, name, table)),
            Some(Input::Census(file)) => census_files
                .entry((file.year, file.term))
                .or_default()
                .push((path, name, file)),
            Some(Input::Register(register)) => register_files.push((path, name, register)),
            Some(Input::NotRead(reason)) => skipped.push(SkippedFile {
                file: name,
                reason: reason.to_string(),
            }),
            None => skipped.push(SkippedFile {
                file: name,
                reason: "not a known return: no CIN census, SSDA903, school census, attainment, EHE register or school lookup layout"
                    .to_string(),
            }),
        }
    }
    // CIN first: its headers say which LA the other returns belong to.
    let mut sources = Vec::new();
    let mut timed = |kind: &'static str,
                     files: Vec<(&Path, &str)>,
                     context: &mut Context,
                     read: &mut dyn FnMut(&mut Context) -> Result<(), ExtractError>|
     -> Result<(), ExtractError> {
        let started = std::time::Instant::now();
        read(context)?;
        let bytes = files
            .iter()
            .map(|(path, _)| std::fs::metadata(path).map_or(0, |meta| meta.len()))
            .sum();
        let rows = context
            .audit
            .ledger()
            .iter()
            .filter(|((file, _), _)| files.iter().any(|(_, name)| name == file))
            .map(|(_, entry)| entry.read)
            .sum();
        sources.push(SourceStats {
            kind,
            files: files.len(),
            bytes,
            rows,
            seconds: started.elapsed().as_secs_f64(),
        });
        Ok(())
    };
    timed(
        "CIN census XML",
        cin_files
            .iter()
            .map(|(path, name)| (path.as_path(), name.as_str()))
            .collect(),
        &mut context,
        &mut |context| {
            for (path, name) in &cin_files {
                cin::read(path, name, context)?;
            }
            Ok(())
        },
    )?;
    timed(
        "SSDA903 CSV",
        ssda_files
            .iter()
            .map(|(path, name, _)| (path.as_path(), name.as_str()))
            .collect(),
        &mut context,
        &mut |context| {
            for (path, name, table) in &ssda_files {
                let input = CsvInput::open(path)?;
                ssda903::read(path, name, *table, input, context)?;
            }
            Ok(())
        },
    )?;
    timed(
        "school census CSV",
        census_files
            .values()
            .flatten()
            .map(|(path, name, _)| (path.as_path(), name.as_str()))
            .collect(),
        &mut context,
        &mut |context| {
            for files in census_files.values() {
                school_census::read_census(files, context)?;
            }
            Ok(())
        },
    )?;
    timed(
        "attainment, EHE and school lookup CSV",
        register_files
            .iter()
            .map(|(path, name, _)| (path.as_path(), name.as_str()))
            .collect(),
        &mut context,
        &mut |context| {
            for (path, name, register) in &register_files {
                let input = CsvInput::open(path)?;
                registers::read(path, name, *register, input, context)?;
            }
            Ok(())
        },
    )?;
    let la_code = context.la_code.clone();
    let (audit, tables) = context.into_parts();
    let (rejects, ledger) = audit.finish();
    for ((file, table), entry) in &ledger {
        if !entry.balances() {
            return Err(ExtractError::Unbalanced {
                file: file.clone(),
                table: table.clone(),
                read: entry.read,
                accepted: entry.accepted,
                rejected: entry.rejected,
                deduplicated: entry.deduplicated,
            });
        }
    }
    let mut counts = BTreeMap::new();
    for (name, writer) in tables {
        counts.insert(name.to_string(), writer.finish()?);
    }
    let summary = ExtractSummary {
        key_id: key.key_id(),
        tables: counts,
        ledger,
        rejects,
        skipped,
        sources,
    };
    let Some(staging) = staging else {
        return Ok(summary);
    };
    write_parquet(
        &staging.path().join("rejects.parquet"),
        &rejects_batch(dictionary, &summary.rejects)?,
    )?;
    write_parquet(
        &staging.path().join("ledger.parquet"),
        &ledger_batch(dictionary, &summary.ledger)?,
    )?;
    let run = serde_json::json!({
        "tool": format!("cwsw {}", env!("CARGO_PKG_VERSION")),
        "key_id": key.key_id(),
        "la_code": la_code,
        "tables": summary.tables,
        "skipped": summary.skipped.iter().map(|file| serde_json::json!({"file": file.file, "reason": file.reason})).collect::<Vec<_>>(),
    });
    let run_path = staging.path().join("extract.json");
    std::fs::write(
        &run_path,
        serde_json::to_string_pretty(&run).unwrap_or_default(),
    )
    .map_err(|source| ExtractError::Io {
        path: run_path.clone(),
        source,
    })?;
    staging.commit()?;
    Ok(summary)
}

fn rejects_batch(dictionary: &Dictionary, rejects: &[Reject]) -> Result<RecordBatch, ExtractError> {
    let schema = dictionary
        .table("rejects")
        .map_err(|error| ExtractError::Internal(error.to_string()))?
        .arrow_schema();
    let text = |get: &dyn Fn(&Reject) -> Option<String>| -> ArrayRef {
        Arc::new(rejects.iter().map(get).collect::<StringArray>())
    };
    RecordBatch::try_new(
        schema,
        vec![
            text(&|reject| Some(reject.source_file.clone())),
            text(&|reject| Some(reject.location.clone())),
            text(&|reject| Some(reject.source_table.clone())),
            text(&|reject| Some(reject.rule_id.to_string())),
            text(&|reject| Some(reject.severity.name().to_string())),
            text(&|reject| Some(reject.message.clone())),
            text(&|reject| reject.field.clone()),
            text(&|reject| reject.value.clone()),
        ],
    )
    .map_err(|error| ExtractError::Internal(format!("rejects: {error}")))
}

fn ledger_batch(dictionary: &Dictionary, ledger: &Ledger) -> Result<RecordBatch, ExtractError> {
    let schema = dictionary
        .table("ledger")
        .map_err(|error| ExtractError::Internal(error.to_string()))?
        .arrow_schema();
    let count = |get: &dyn Fn(&LedgerEntry) -> u64| -> ArrayRef {
        Arc::new(
            ledger
                .values()
                .map(|entry| get(entry) as i64)
                .collect::<Int64Array>(),
        )
    };
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(
                ledger
                    .keys()
                    .map(|(file, _)| Some(file.as_str()))
                    .collect::<StringArray>(),
            ),
            Arc::new(
                ledger
                    .keys()
                    .map(|(_, table)| Some(table.as_str()))
                    .collect::<StringArray>(),
            ),
            count(&|entry| entry.read),
            count(&|entry| entry.accepted),
            count(&|entry| entry.rejected),
            count(&|entry| entry.warned),
            count(&|entry| entry.deduplicated),
        ],
    )
    .map_err(|error| ExtractError::Internal(format!("ledger: {error}")))
}
