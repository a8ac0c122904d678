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
use crate::warehouse::TableWriter;
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

/// One unit of work: a file, or a whole school census (its files refer to each other).
enum Job {
    Cin(PathBuf, String),
    Ssda903(PathBuf, String, ssda903::Ssda903Table),
    Register(PathBuf, String, registers::Register),
    Census(Vec<CensusInput>),
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Self::Cin(..) => "CIN census XML",
            Self::Ssda903(..) => "SSDA903 CSV",
            Self::Register(..) => "attainment, EHE and school lookup CSV",
            Self::Census(..) => "school census CSV",
        }
    }

    /// The memory a job needs, in pupil-file bytes: a census holds maps the size of its
    /// pupils (up to one slice); other jobs hold little that grows with their input.
    fn weight(&self, slice_bytes: u64) -> u64 {
        match self {
            Self::Census(files) => files
                .iter()
                .filter(|(_, _, file)| {
                    school_census::table_kind(&file.table)
                        .is_some_and(|(kind, _)| kind == school_census::TableKind::Pupils)
                })
                .map(|(path, _, _)| std::fs::metadata(path).map_or(0, |meta| meta.len()))
                .sum::<u64>()
                .min(slice_bytes),
            _ => 0,
        }
    }

    fn files(&self) -> Vec<(&Path, &str)> {
        match self {
            Self::Cin(path, name)
            | Self::Ssda903(path, name, _)
            | Self::Register(path, name, _) => vec![(path.as_path(), name.as_str())],
            Self::Census(files) => files
                .iter()
                .map(|(path, name, _)| (path.as_path(), name.as_str()))
                .collect(),
        }
    }
}

/// What one job produced.
struct JobResult {
    kind: &'static str,
    threads: usize,
    files: usize,
    bytes: u64,
    seconds: f64,
    la_code: Option<(String, String)>,
    rejects: Vec<Reject>,
    ledger: Ledger,
    tables: BTreeMap<&'static str, usize>,
    exclusions: Vec<school_census::ExclusionRow>,
}

/// Runs jobs on a few threads; each job has its own context and writes its own part of
/// each table, and results are handed over in job order, so outputs never depend on
/// which thread ran what.
struct JobRunner<'a> {
    pseudonymiser: &'a Pseudonymiser,
    dictionary: &'a Dictionary,
    staging: Option<&'a Path>,
    census_slice_bytes: u64,
    threads: usize,
}

impl JobRunner<'_> {
    fn job(
        &self,
        job: &Job,
        index: usize,
        la_code: Option<&str>,
    ) -> Result<JobResult, ExtractError> {
        let started = std::time::Instant::now();
        let mut context = Context::new(
            self.pseudonymiser,
            self.dictionary,
            la_code.map(str::to_string),
            self.staging.map(|staging| (staging, index)),
        )?;
        context.census_slice_bytes = self.census_slice_bytes;
        match job {
            Job::Cin(path, name) => cin::read(path, name, &mut context)?,
            Job::Ssda903(path, name, table) => {
                let input = CsvInput::open(path)?;
                ssda903::read(path, name, *table, input, &mut context)?;
            }
            Job::Register(path, name, register) => {
                let input = CsvInput::open(path)?;
                registers::read(path, name, *register, input, &mut context)?;
            }
            Job::Census(files) => school_census::read_census(files, &mut context)?,
        }
        let noted = context.noted_la_code();
        let (audit, writers, exclusions) = context.into_parts();
        let (rejects, ledger) = audit.finish();
        let mut tables = BTreeMap::new();
        for (name, writer) in writers {
            tables.insert(name, writer.finish(false)?);
        }
        let files = job.files();
        Ok(JobResult {
            kind: job.kind(),
            threads: 0,
            files: files.len(),
            bytes: files
                .iter()
                .map(|(path, _)| std::fs::metadata(path).map_or(0, |meta| meta.len()))
                .sum(),
            seconds: started.elapsed().as_secs_f64(),
            la_code: noted,
            rejects,
            ledger,
            tables,
            exclusions,
        })
    }

    /// Runs `jobs` (numbered from `first` for their part files) and hands each result to
    /// `take` in job order. The first error in job order is returned.
    fn run(
        &self,
        jobs: &[Job],
        first: usize,
        la_code: Option<&str>,
        mut take: impl FnMut(JobResult) -> Result<(), ExtractError>,
    ) -> Result<(), ExtractError> {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        // A census too large to read in one pass is read in slices, and then every
        // job of the phase runs on one thread: two threads taking turns at large
        // censuses held on to far more memory than one (`benches/extract.sh`: 3.4x at 4x
        // the input, against 1.3x). At LA scale the censuses run on every core.
        let large = jobs
            .iter()
            .any(|job| job.weight(self.census_slice_bytes) >= self.census_slice_bytes);
        let threads = if large { 1 } else { self.threads }.clamp(1, jobs.len().max(1));
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let sender = sender.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || {
                    loop {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(job) = jobs.get(index) else {
                            break;
                        };
                        let result = self.job(job, first + index, la_code).map(|mut result| {
                            result.threads = threads;
                            result
                        });
                        if result.is_err() {
                            stop.store(true, Ordering::SeqCst);
                        }
                        if sender.send((index, result)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            // Results wait here until every earlier job's result has been taken.
            let mut pending = BTreeMap::new();
            let mut wanted = 0;
            let mut failed = None;
            for (index, result) in receiver {
                pending.insert(index, result);
                while let Some(result) = pending.remove(&wanted) {
                    wanted += 1;
                    if failed.is_some() {
                        continue;
                    }
                    match result {
                        Ok(result) => {
                            if let Err(error) = take(result) {
                                stop.store(true, Ordering::SeqCst);
                                failed = Some(error);
                            }
                        }
                        Err(error) => failed = Some(error),
                    }
                }
            }
            // A job after a failure may not have run: the first failure in order stands.
            if failed.is_none()
                && let Some((_, Err(error))) = pending.into_iter().next()
            {
                failed = Some(error);
            }
            match failed {
                Some(error) => Err(error),
                None => Ok(()),
            }
        })
    }
}

/// The results of every job, merged in job order.
struct Merged {
    ledger: Ledger,
    rejects: Vec<Reject>,
    tables: BTreeMap<String, usize>,
    sources: Vec<SourceStats>,
    /// The exclusions table: written here, in census order, once per exclusion.
    exclusions: TableWriter,
    exclusions_seen: std::collections::HashSet<u128>,
}

impl Merged {
    fn new(dictionary: &Dictionary, staging: Option<&Path>) -> Result<Self, ExtractError> {
        let schema = dictionary
            .table("exclusions")
            .map_err(|error| ExtractError::Internal(error.to_string()))?
            .arrow_schema();
        Ok(Self {
            ledger: Ledger::new(),
            rejects: Vec::new(),
            tables: BTreeMap::new(),
            sources: Vec::new(),
            exclusions: TableWriter::new(
                staging.map(|staging| context::part_path(staging, "exclusions", 0)),
                "exclusions",
                schema,
            ),
            exclusions_seen: std::collections::HashSet::new(),
        })
    }

    fn add(&mut self, result: JobResult) -> Result<(), ExtractError> {
        let JobResult {
            kind,
            threads,
            files,
            bytes,
            seconds,
            rejects,
            ledger,
            tables,
            exclusions,
            ..
        } = result;
        let rows = ledger.values().map(|entry| entry.read).sum::<u64>() + exclusions.len() as u64;
        for (key, counts) in ledger {
            let entry = self.ledger.entry(key).or_default();
            entry.read += counts.read;
            entry.accepted += counts.accepted;
            entry.rejected += counts.rejected;
            entry.warned += counts.warned;
            entry.deduplicated += counts.deduplicated;
        }
        self.rejects.extend(rejects);
        for (name, count) in tables {
            *self.tables.entry(name.to_string()).or_default() += count;
        }
        for exclusion in exclusions {
            let entry = self
                .ledger
                .entry((
                    exclusion.file.clone(),
                    "school_census_exclusions".to_string(),
                ))
                .or_default();
            entry.read += 1;
            // Each exclusion arrives in two censuses (domain.md §5): keep the first.
            if self.exclusions_seen.insert(exclusion.key) {
                entry.accepted += 1;
                entry.warned += u64::from(exclusion.warned);
                self.exclusions.append(&exclusion.values())?;
            } else {
                entry.deduplicated += 1;
            }
        }
        match self.sources.iter_mut().find(|source| source.kind == kind) {
            Some(source) => {
                source.files += files;
                source.bytes += bytes;
                source.rows += rows;
                source.seconds += seconds;
                source.threads = source.threads.max(threads);
            }
            None => self.sources.push(SourceStats {
                kind,
                files,
                bytes,
                rows,
                seconds,
                threads,
            }),
        }
        Ok(())
    }
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
    /// Seconds of one thread spent on them (summed over the threads that read them).
    pub seconds: f64,
    /// Threads that read them (one when a census was too large for one pass).
    pub threads: usize,
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
    let mut skipped = Vec::new();
    let mut cin_jobs = Vec::new();
    let mut jobs = Vec::new();
    let mut census_files: BTreeMap<(i32, school_census::CensusTerm), Vec<CensusInput>> =
        BTreeMap::new();
    for path in list_files(&options.input)? {
        let name = relative(&options.input, &path);
        match classify(&path, &name)? {
            Some(Input::Cin) => cin_jobs.push(Job::Cin(path, name)),
            Some(Input::Ssda903(table)) => jobs.push(Job::Ssda903(path, name, table)),
            Some(Input::Census(file)) => census_files
                .entry((file.year, file.term))
                .or_default()
                .push((path, name, file)),
            Some(Input::Register(register)) => jobs.push(Job::Register(path, name, register)),
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
    // Censuses in calendar order, so an exclusion is kept from the first that carries it.
    jobs.extend(census_files.into_values().map(Job::Census));
    let runner = JobRunner {
        pseudonymiser: &pseudonymiser,
        dictionary,
        staging: staging.as_ref().map(AtomicDir::path),
        census_slice_bytes: options.census_slice_bytes.unwrap_or(32 << 20),
        threads: std::thread::available_parallelism().map_or(1, usize::from),
    };
    let mut merged = Merged::new(dictionary, staging.as_ref().map(AtomicDir::path))?;
    // CIN first: its headers say which LA the other returns belong to.
    let mut la_code = options.la_code.clone();
    let mut la_source = la_code.as_ref().map(|_| "--la".to_string());
    let given = options.la_code.clone();
    runner.run(&cin_jobs, 0, given.as_deref(), |result| {
        if let Some((code, source)) = &result.la_code {
            match &la_code {
                None => {
                    la_code = Some(code.clone());
                    la_source = Some(source.clone());
                }
                Some(known) if known == code => {}
                Some(known) => {
                    return Err(ExtractError::LaCodeMismatch {
                        first: known.clone(),
                        first_source: la_source.clone().unwrap_or_default(),
                        second: code.clone(),
                        second_source: source.clone(),
                    });
                }
            }
        }
        merged.add(result)
    })?;
    runner.run(&jobs, cin_jobs.len(), la_code.as_deref(), |result| {
        merged.add(result)
    })?;
    let Merged {
        ledger,
        rejects,
        tables,
        exclusions,
        sources,
        ..
    } = merged;
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
    let mut counts = tables;
    counts.insert("exclusions".to_string(), exclusions.finish(false)?);
    if let Some(staging) = &staging {
        // Every table gets a file, so the engine can register even an empty one.
        for name in context::WAREHOUSE_TABLES {
            if !staging.path().join(name).is_dir() {
                let schema = dictionary
                    .table(name)
                    .map_err(|error| ExtractError::Internal(error.to_string()))?
                    .arrow_schema();
                TableWriter::new(
                    Some(context::part_path(staging.path(), name, 0)),
                    name,
                    schema,
                )
                .finish(true)?;
            }
        }
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
