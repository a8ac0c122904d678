//! School census pupil-level extracts (domain.md §5): pupils on and no longer on roll,
//! with attendance attributed to the term the data describes (one term in arrears),
//! and, where a census has no authorised/unauthorised totals (2025 on), absence derived
//! from its session-reason rows by the attendance codes' meanings.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cwsw_dictionary::{AcademicYear, Term};

use crate::ExtractError;
use chrono::Datelike;

use crate::context::{Context, birth_month, compact_key};
use crate::csv_input::{CsvInput, Partition, field};
use crate::key::PupilId;
use crate::row::{DateFormat, Row, settle};
use crate::rules::{self, Outcome};
use crate::warehouse::Value;

/// The census a file belongs to, from its name: `2024_autumn_pupilonroll.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct CensusFile {
    pub(crate) year: i32,
    pub(crate) term: CensusTerm,
    pub(crate) table: String,
}

/// The three censuses of a year, in calendar order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum CensusTerm {
    Spring,
    Summer,
    Autumn,
}

impl CensusTerm {
    fn name(self) -> &'static str {
        match self {
            Self::Spring => "spring",
            Self::Summer => "summer",
            Self::Autumn => "autumn",
        }
    }
}

/// The address tables of an extract: known, and never read (no addresses or postcodes
/// reach cwsw's outputs).
pub(crate) const ADDRESS_TABLES: &[&str] = &["addressesonroll", "addressesoffroll"];

/// What a table of an extract holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TableKind {
    /// Session-reason rows: termly (half 0) or the second half of summer (half 1).
    Details {
        half: u8,
    },
    Pupils,
    Exclusions,
    Fsm,
    Sen,
}

/// The kind of an extract table and whether it is the on-roll side.
pub(crate) fn table_kind(table: &str) -> Option<(TableKind, bool)> {
    let (kind, on_roll) = match table {
        "pupilonroll" => (TableKind::Pupils, true),
        "pupilnolongeronroll" => (TableKind::Pupils, false),
        "termlysessiondetailsonroll" => (TableKind::Details { half: 0 }, true),
        "termlysessiondetailsoffroll" => (TableKind::Details { half: 0 }, false),
        "summerhalfterm2sessiondetailsonroll" => (TableKind::Details { half: 1 }, true),
        "summerhalfterm2sessiondetailsoffroll" => (TableKind::Details { half: 1 }, false),
        "termlyexclusionsonroll" => (TableKind::Exclusions, true),
        "termlyexclusionsoffroll" => (TableKind::Exclusions, false),
        "fsmperiod" | "fsmperiodsonroll" => (TableKind::Fsm, true),
        "fsmperiodsoffroll" => (TableKind::Fsm, false),
        "senneeds" => (TableKind::Sen, true),
        _ => return None,
    };
    Some((kind, on_roll))
}

/// Parses a census file name; `None` if it is not one.
pub(crate) fn parse_name(name: &str) -> Option<CensusFile> {
    let stem = name
        .strip_suffix(".csv")
        .or_else(|| name.strip_suffix(".CSV"))?;
    let mut parts = stem.splitn(3, '_');
    let year: i32 = parts.next()?.parse().ok()?;
    let term = match parts.next()?.to_ascii_lowercase().as_str() {
        "spring" => CensusTerm::Spring,
        "summer" => CensusTerm::Summer,
        "autumn" => CensusTerm::Autumn,
        _ => return None,
    };
    let table = parts.next()?.to_ascii_lowercase();
    (2000..=2099)
        .contains(&year)
        .then_some(CensusFile { year, term, table })
}

/// The term whose attendance a census carries: one term in arrears (domain.md §5).
pub(crate) fn attendance_term(year: i32, term: CensusTerm) -> (AcademicYear, Term) {
    let academic_year = AcademicYear::starting(year - 1);
    match term {
        CensusTerm::Spring => (academic_year, Term::Autumn),
        CensusTerm::Summer => (academic_year, Term::Spring),
        CensusTerm::Autumn => (academic_year, Term::Summer),
    }
}

/// School census dates: `YYYY-Mon-DD HH:MM:SS` (also plain `YYYY-MM-DD`).
fn parse_date(text: &str) -> Option<NaiveDate> {
    DateFormat::Census.parse(text)
}

/// A session count: a whole, non-negative number, written `134` or `134.0`.
fn parse_sessions(text: &str) -> Result<Option<i32>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    let value: f64 = text.parse().map_err(|_| ())?;
    if value < 0.0 || value.fract() != 0.0 || value > 100_000.0 {
        return Err(());
    }
    Ok(Some(value as i32))
}

#[derive(Default, Clone, Copy)]
struct Absence {
    authorised: i32,
    unauthorised: i32,
}

/// A pupil row of the census (on or off roll, its MIS table id, its school) as a 128-bit
/// hash: a census's maps hold one entry per pupil, so they are kept compact.
type PupilRef = u128;

/// Absence per pupil row and half (0 termly, 1 second half of summer), keyed by
/// [`absence_key`].
type DerivedAbsence = HashMap<u128, Absence>;

/// The pupil id ([`PupilId::to_u128`]) each accepted pupil row names, for the
/// exclusion, FSM and SEN rows that refer to it by table id.
type PupilLinks = HashMap<PupilRef, u128>;

fn absence_key(on_roll: bool, id: &str, school: &str, half: u8) -> u128 {
    compact_key(&(on_roll, id, school, half))
}

fn pupil_ref(on_roll: bool, id: &str, school: &str) -> PupilRef {
    compact_key(&(on_roll, id, school))
}

/// Reads one census: its session-reason files (used for absence where the pupil files
/// carry no totals, 2025 on), its pupil files, then the exclusion, FSM and SEN files
/// that refer to the pupil rows.
pub(crate) fn read_census(
    files: &[(PathBuf, String, CensusFile)],
    context: &mut Context,
) -> Result<(), ExtractError> {
    let Some((_, _, first)) = files.first() else {
        return Ok(());
    };
    let (year, term) = (first.year, first.term);
    let census = format!("{year} {}", term.name());
    let mut ordered: Vec<(TableKind, bool, &PathBuf, &String, &CensusFile)> = files
        .iter()
        .filter_map(|(path, relative, file)| {
            table_kind(&file.table).map(|(kind, on_roll)| (kind, on_roll, path, relative, file))
        })
        .collect();
    ordered.sort_by(|a, b| (a.0, !a.1, a.3).cmp(&(b.0, !b.1, b.3)));
    // The 2025 schema drops the authorised/unauthorised totals (domain.md §5): only
    // then are the session reasons summed.
    let mut needs_derivation = false;
    for (kind, _, path, _, _) in &ordered {
        if *kind == TableKind::Pupils {
            needs_derivation |= CsvInput::open(path)?
                .column("termlysessionsauthorised")
                .is_none();
        }
    }
    // A census's maps hold an entry per pupil; a large one is read a slice of schools
    // at a time so that they stay small whatever the LA's size.
    let pupil_bytes: u64 = ordered
        .iter()
        .filter(|(kind, ..)| *kind == TableKind::Pupils)
        .map(|(_, _, path, ..)| std::fs::metadata(path).map_or(0, |meta| meta.len()))
        .sum();
    let count = pupil_bytes
        .div_ceil(context.census_slice_bytes.max(1))
        .max(1);
    for index in 0..count {
        read_partition(
            &ordered,
            &census,
            needs_derivation,
            Partition { index, count },
            context,
        )?;
    }
    drop_repeated_exclusions(context);
    Ok(())
}

/// Puts the census's exclusions back in file order (slicing reads them out of order) and
/// drops an exclusion repeated within one file, with a `DUPLICATE` reject, so that which
/// one is kept never depends on how the census was sliced.
fn drop_repeated_exclusions(context: &mut Context) {
    let mut exclusions = std::mem::take(&mut context.deferred_exclusions);
    exclusions.sort_by_key(|exclusion| exclusion.order);
    let mut seen = HashSet::new();
    exclusions.retain(|exclusion| {
        if seen.insert((exclusion.order.0, exclusion.key)) {
            return true;
        }
        context.audit.report(
            rules::DUPLICATE,
            &exclusion.file,
            format!("line {}", exclusion.order.1),
            "school_census_exclusions",
            format!(
                "a second {} exclusion of the pupil starting {} in the file: dropped",
                exclusion.category, exclusion.start
            ),
            "startdate",
            None,
        );
        context.audit.count(
            &exclusion.file,
            "school_census_exclusions",
            Outcome::Deduplicated,
        );
        false
    });
    context.deferred_exclusions = exclusions;
}

type OrderedFile<'f> = (TableKind, bool, &'f PathBuf, &'f String, &'f CensusFile);

fn read_partition(
    ordered: &[OrderedFile],
    census: &str,
    needs_derivation: bool,
    partition: Partition,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let mut derived = needs_derivation.then(DerivedAbsence::new);
    let mut links = PupilLinks::new();
    for (rank, &(kind, on_roll, path, relative, file)) in ordered.iter().enumerate() {
        let mut input = CsvInput::open(path)?;
        if let Some(column) = input.column("NativeId") {
            input.restrict(column, partition);
        }
        match kind {
            TableKind::Details { half } => read_details(
                path,
                relative,
                file,
                on_roll,
                half,
                input,
                derived.as_mut(),
                context,
            )?,
            TableKind::Pupils => {
                let has_totals = input.column("termlysessionsauthorised").is_some();
                read_pupils(
                    relative,
                    file,
                    input,
                    census,
                    derived.as_ref().filter(|_| !has_totals),
                    &mut links,
                    context,
                )?
            }
            TableKind::Exclusions | TableKind::Fsm | TableKind::Sen => read_linked(
                (relative, rank),
                file,
                kind,
                on_roll,
                input,
                census,
                &links,
                context,
            )?,
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn read_details(
    path: &Path,
    relative: &str,
    file: &CensusFile,
    on_roll: bool,
    half: u8,
    mut input: CsvInput,
    mut derived: Option<&mut DerivedAbsence>,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let codes = context
        .dictionary
        .code_list("attendance_code")
        .map_err(|error| ExtractError::Internal(error.to_string()))?
        .clone();
    let source_table = "school_census_session_details";
    context.audit.touch(relative, source_table);
    let id_column = input.required_column(link_column(on_roll), source_table)?;
    let native = input.required_column("NativeId", source_table)?;
    // `absencesessions` until 2020, `sessions` from 2021.
    let sessions_column = input
        .column("sessions")
        .or_else(|| input.column("absencesessions"))
        .ok_or_else(|| ExtractError::Malformed {
            path: path.to_path_buf(),
            line: 1,
            column: 0,
            message: "the header has neither `sessions` nor `absencesessions`".to_string(),
        })?;
    let reason_column = input.required_column("attendancereason", source_table)?;
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next_record(&mut record)? {
        let mut row = Row::new(
            context,
            relative,
            source_table,
            line,
            file.year,
            DateFormat::Census,
        );
        let code = field(&record, Some(reason_column));
        settle((|| {
            let id = row.required(link_column(on_roll), field(&record, Some(id_column)))?;
            let school = row.required("NativeId", field(&record, Some(native)))?;
            let sessions = row.required("sessions", field(&record, Some(sessions_column)))?;
            let sessions = row.int("sessions", sessions, Some(0))?.unwrap_or_default();
            let Some(meaning) = codes
                .lookup(code, file.year)
                .map(|value| value.meaning.as_deref().unwrap_or(""))
            else {
                return Err(row.reject(rules::ATTENDANCE_CODE, format!("`attendancereason` is `{code}`, not an attendance code in {}: the row is not counted", file.year), "attendancereason", Some(code)));
            };
            let Some(derived) = derived.as_mut() else {
                row.accept_uncopied();
                return Ok(());
            };
            let entry = derived
                .entry(absence_key(on_roll, id, school, half))
                .or_default();
            match meaning {
                "authorised" => entry.authorised += sessions,
                "unauthorised" => entry.unauthorised += sessions,
                // Present, approved activities and sessions that are not possible are not absence.
                _ => {}
            }
            row.accept_uncopied();
            Ok(())
        })())?;
    }
    Ok(())
}

fn link_column(on_roll: bool) -> &'static str {
    if on_roll {
        "pupilonrolltableid"
    } else {
        "pupilnolongeronrolltableid"
    }
}

/// Exclusions, FSM periods and SEN needs: rows that name a pupil row of the census.
#[allow(clippy::too_many_arguments)]
fn read_linked(
    (relative, rank): (&str, usize),
    file: &CensusFile,
    kind: TableKind,
    on_roll: bool,
    mut input: CsvInput,
    census: &str,
    links: &PupilLinks,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let source_table = match kind {
        TableKind::Exclusions => "school_census_exclusions",
        TableKind::Fsm => "school_census_fsm_periods",
        _ => "school_census_sen_needs",
    };
    context.audit.touch(relative, source_table);
    let id_column = input.required_column(link_column(on_roll), source_table)?;
    let native = input.required_column("NativeId", source_table)?;
    let columns: Vec<Option<usize>> = [
        "startdate",
        "category",
        "sessions",
        "reason1",
        "reason",
        "reason2",
        "reason3",
        "senprovision",
        "fsmstartdate",
        "fsmenddate",
        "ukcountry",
        "sentyperank",
        "sentype",
    ]
    .iter()
    .map(|name| input.column(name))
    .collect();
    let mut seen: HashSet<u128> = HashSet::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next_record(&mut record)? {
        let get = |index: usize| field(&record, columns[index]);
        let mut row = Row::new(
            context,
            relative,
            source_table,
            line,
            file.year,
            DateFormat::Census,
        );
        settle((|| {
            let id = row.required(link_column(on_roll), field(&record, Some(id_column)))?;
            let school = row.required("NativeId", field(&record, Some(native)))?;
            let Some(pupil) = links
                .get(&pupil_ref(on_roll, id, school))
                .copied()
                .map(PupilId::from_u128)
            else {
                return Err(row.reject(
                    rules::PUPIL_LINK,
                    format!("no accepted pupil row with this `{}` at school {school} in the {census} census", link_column(on_roll)),
                    link_column(on_roll),
                    None,
                ));
            };
            match kind {
                TableKind::Exclusions => {
                    let start = row.required_date("startdate", get(0))?;
                    let category = row.required("category", get(1))?;
                    let sessions = row.int("sessions", get(2), Some(0))?;
                    let category = row.code("exclusion_category", "category", category)?;
                    let first_reason = if get(3).is_empty() { get(4) } else { get(3) };
                    let reasons = [
                        row.code("exclusion_reason", "reason1", first_reason)?,
                        row.code("exclusion_reason", "reason2", get(5))?,
                        row.code("exclusion_reason", "reason3", get(6))?,
                    ];
                    let sen = row.code("sen_provision", "senprovision", get(7))?;
                    let Some(category) = category else {
                        return Err(row.reject(rules::REQUIRED_MISSING, "`category` has no valid code, and an exclusion cannot be counted without one", "category", None));
                    };
                    // FIXD became SUSP in 2020: a summer 2019/20 suspension arrives as
                    // FIXD in the autumn 2020 census and as SUSP in spring 2021, and is
                    // one suspension (domain.md §5).
                    let same_category = if category == "FIXD" { "SUSP" } else { category };
                    let key = compact_key(&(
                        pupil.as_str(),
                        cwsw_dictionary::days_since_epoch(start),
                        same_category,
                    ));
                    // A repeat within the file is found once every slice of the census
                    // is read (`drop_repeated_exclusions`); a repeat in a later census
                    // once every census is read (domain.md §5: each arrives in two).
                    let (academic_year, term) = term_of(start);
                    let exclusion = ExclusionRow {
                        key,
                        order: (rank, line),
                        file: relative.to_string(),
                        warned: row.warned,
                        pupil: pupil.as_str().to_string(),
                        academic_year: academic_year.time_period(),
                        term: term.name(),
                        school: school.to_string(),
                        census: census.to_string(),
                        start,
                        category: category.to_string(),
                        sessions,
                        reasons: reasons.map(|reason| reason.map(str::to_string)),
                        sen: sen.map(str::to_string),
                    };
                    row.context.deferred_exclusions.push(exclusion);
                    Ok(())
                }
                TableKind::Fsm => {
                    let start = row.required_date("fsmstartdate", get(8))?;
                    let end = row.date("fsmenddate", get(9), false)?;
                    row.ordered(
                        rules::FSM_END_BEFORE_START,
                        ("fsmstartdate", start),
                        ("fsmenddate", end),
                    )?;
                    if !seen.insert(compact_key(&(
                        pupil.as_str(),
                        cwsw_dictionary::days_since_epoch(start),
                        school,
                    ))) {
                        return Err(row.duplicate(format!("a second FSM period of the pupil starting {start} at the school: dropped"), "fsmstartdate"));
                    }
                    let country = row.code("fsm_uk_country", "ukcountry", get(10))?;
                    row.accept(
                        "fsm_periods",
                        &[
                            Value::Str(pupil.as_str()),
                            Value::Str(school),
                            Value::Str(census),
                            Value::Date(start),
                            Value::from(end),
                            Value::from(country),
                        ],
                    )
                }
                _ => {
                    let rank = row.required("sentyperank", get(11))?;
                    let rank = row.int("sentyperank", rank, Some(1))?.unwrap_or(1);
                    if !seen.insert(compact_key(&(pupil.as_str(), rank, school))) {
                        return Err(row.duplicate(
                            format!("a second SEN need of rank {rank} for the pupil: dropped"),
                            "sentyperank",
                        ));
                    }
                    let need = row.code("sen_type", "sentype", get(12))?;
                    row.accept(
                        "sen_needs",
                        &[
                            Value::Str(pupil.as_str()),
                            Value::Str(school),
                            Value::Str(census),
                            Value::Int32(rank),
                            Value::from(need),
                        ],
                    )
                }
            }
        })())?;
    }
    Ok(())
}

/// The academic year and term a date falls in: autumn September–December, spring
/// January–March, summer April–August (the Easter boundary is approximated by 1 April).
fn term_of(date: NaiveDate) -> (AcademicYear, Term) {
    let term = match date.month() {
        9..=12 => Term::Autumn,
        1..=3 => Term::Spring,
        _ => Term::Summer,
    };
    (AcademicYear::containing(date), term)
}

fn read_pupils(
    relative: &str,
    file: &CensusFile,
    mut input: CsvInput,
    census: &str,
    derived: Option<&DerivedAbsence>,
    links: &mut PupilLinks,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let on_roll = file.table == "pupilonroll";
    let source_table = if on_roll {
        "school_census_pupil_on_roll"
    } else {
        "school_census_pupil_no_longer_on_roll"
    };
    context.audit.touch(relative, source_table);
    let (academic_year, term) = attendance_term(file.year, file.term);
    let id_column = input.required_column(
        if on_roll {
            "pupilonrolltableid"
        } else {
            "pupilnolongeronrolltableid"
        },
        source_table,
    )?;
    let native = input.required_column("NativeId", source_table)?;
    let upn_column = input.required_column("upn", source_table)?;
    let column = |name: &str| input.column(name);
    let dob = column("dob");
    // `gender` before the autumn 2023 census, `sex` after.
    let sex = column("sex").or_else(|| column("gender"));
    let nc_year = column("ncyearactual").or_else(|| column("ncyearleaving"));
    let sen = column("senprovision");
    // Pupils on roll only: the leavers' file has no enrolment status.
    let enrol_status = column("enrolstatus");
    let former_upn = column("formerupn");
    let entry = column("entrydate");
    let leaving = column("leavingdate");
    let possible = column("termlysessionspossible");
    let authorised = column("termlysessionsauthorised");
    let unauthorised = column("termlysessionsunauthorised");
    let possible_2 = column("summerhalfterm2sessionspossible");
    let authorised_2 = column("summerhalfterm2sessionsauthorised");
    let unauthorised_2 = column("summerhalfterm2sessionsunauthorised");
    let mut seen: HashSet<u128> = HashSet::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next_record(&mut record)? {
        let here = format!("line {line}");
        let reject =
            |context: &mut Context, rule, message: String, name: &str, value: Option<&str>| {
                context.audit.reject(
                    rule,
                    relative,
                    here.clone(),
                    source_table,
                    message,
                    name,
                    value,
                );
            };
        let upn = field(&record, Some(upn_column));
        if upn.is_empty() {
            reject(
                context,
                rules::REQUIRED_MISSING,
                "`upn` is empty".to_string(),
                "upn",
                None,
            );
            continue;
        }
        let pupil_id = match context.pupil_id(upn) {
            Ok(id) => id,
            Err(problem) => {
                reject(
                    context,
                    rules::UPN_INVALID,
                    problem.message().to_string(),
                    "upn",
                    None,
                );
                continue;
            }
        };
        let school = field(&record, Some(native));
        if school.is_empty() {
            reject(
                context,
                rules::REQUIRED_MISSING,
                "`NativeId` is empty".to_string(),
                "NativeId",
                None,
            );
            continue;
        }
        let dob_text = field(&record, dob);
        let birth = if dob_text.is_empty() {
            None
        } else if let Some(date) = parse_date(dob_text) {
            Some(birth_month(date))
        } else {
            reject(
                context,
                rules::DATE_INVALID,
                // A date of birth is never quoted: outputs keep it only to the month.
                "`dob` is not a date (YYYY-Mon-DD HH:MM:SS)".to_string(),
                "dob",
                None,
            );
            continue;
        };
        // The enrolment's dates say whether the pupil was on roll in the year a row
        // describes: a census also lists pupils who joined after that term.
        let mut enrolment = [None; 2];
        let mut bad_date = None;
        for (slot, (name, column)) in [("entrydate", entry), ("leavingdate", leaving)]
            .into_iter()
            .enumerate()
        {
            let text = field(&record, column);
            if text.is_empty() {
                continue;
            }
            match parse_date(text) {
                Some(date) => enrolment[slot] = Some(date),
                None => {
                    bad_date = Some((name, text.to_string()));
                    break;
                }
            }
        }
        if let Some((name, text)) = bad_date {
            reject(
                context,
                rules::DATE_INVALID,
                format!("`{name}` is `{text}`, not a date (YYYY-Mon-DD HH:MM:SS)"),
                name,
                Some(&text),
            );
            continue;
        }
        let mut sessions = [None; 6];
        let mut bad = None;
        for (slot, (name, column)) in [
            ("termlysessionspossible", possible),
            ("termlysessionsauthorised", authorised),
            ("termlysessionsunauthorised", unauthorised),
            ("summerhalfterm2sessionspossible", possible_2),
            ("summerhalfterm2sessionsauthorised", authorised_2),
            ("summerhalfterm2sessionsunauthorised", unauthorised_2),
        ]
        .into_iter()
        .enumerate()
        {
            let text = field(&record, column);
            match parse_sessions(text) {
                Ok(value) => sessions[slot] = value,
                Err(()) => {
                    bad = Some((name, text.to_string()));
                    break;
                }
            }
        }
        if let Some((name, text)) = bad {
            reject(
                context,
                rules::SESSIONS_NEGATIVE,
                format!("`{name}` is `{text}`, not a whole number of sessions of 0 or more"),
                name,
                Some(&text),
            );
            continue;
        }
        let [p1, a1, u1, p2, a2, u2] = sessions;
        let total_possible = match (p1, p2) {
            (None, None) => None,
            (first, second) => Some(first.unwrap_or(0) + second.unwrap_or(0)),
        };
        let (total_authorised, total_unauthorised) = match (total_possible, derived) {
            (None, _) => (None, None),
            (Some(_), Some(derived)) => {
                let id = field(&record, Some(id_column));
                let [first, second] = [0, 1].map(|half| {
                    derived
                        .get(&absence_key(on_roll, id, school, half))
                        .copied()
                        .unwrap_or_default()
                });
                (
                    Some(first.authorised + second.authorised),
                    Some(first.unauthorised + second.unauthorised),
                )
            }
            (Some(_), None) => (
                Some(a1.unwrap_or(0) + a2.unwrap_or(0)),
                Some(u1.unwrap_or(0) + u2.unwrap_or(0)),
            ),
        };
        if let (Some(possible), Some(authorised), Some(unauthorised)) =
            (total_possible, total_authorised, total_unauthorised)
            && authorised + unauthorised > possible
        {
            reject(
                context,
                rules::ABSENCE_ABOVE_POSSIBLE,
                format!(
                    "absence of {} sessions ({authorised} authorised, {unauthorised} unauthorised) is more than the {possible} possible",
                    authorised + unauthorised
                ),
                "termlysessionspossible",
                Some(&possible.to_string()),
            );
            continue;
        }
        // A pupil who left and rejoined the school has a row per enrolment; only the
        // same enrolment twice is a repeat.
        let entry_day = enrolment[0].map(cwsw_dictionary::days_since_epoch);
        if !seen.insert(compact_key(&(pupil_id.as_str(), school, entry_day))) {
            context.audit.report(rules::DUPLICATE, relative, here.clone(), source_table, format!("the pupil appears twice at school {school} with the same entry date in the {census} census: the second row is dropped"), "upn", None);
            context
                .audit
                .count(relative, source_table, Outcome::Deduplicated);
            continue;
        }
        links.insert(
            pupil_ref(on_roll, field(&record, Some(id_column)), school),
            pupil_id.to_u128(),
        );
        // A previous UPN of the same pupil links the two into one person (domain.md §1,
        // linking children to pupils; queries/cohorts/persons.sql). An invalid one is
        // a warning: the row is kept, unlinked to its former records.
        let mut warned = false;
        let former_text = field(&record, former_upn);
        let former_pupil_id = if former_text.is_empty() {
            None
        } else {
            match context.pupil_id(former_text) {
                Ok(id) if id.as_str() != pupil_id.as_str() => Some(id),
                Ok(_) => None,
                Err(problem) => {
                    context.audit.report(
                        rules::UPN_INVALID_LINK,
                        relative,
                        here.clone(),
                        source_table,
                        format!(
                            "`formerupn`: {}: the row is kept without a link to the pupil's former records",
                            problem.message()
                        ),
                        "formerupn",
                        None,
                    );
                    warned = true;
                    None
                }
            }
        };
        let sex_value = match field(&record, sex) {
            "" => None,
            "M" | "m" => Some("M"),
            "F" | "f" => Some("F"),
            other => {
                context.audit.report(
                    rules::CODE_UNKNOWN,
                    relative,
                    here.clone(),
                    source_table,
                    format!("`sex` is `{other}`, not M or F: written as null"),
                    "sex",
                    Some(other),
                );
                warned = true;
                None
            }
        };
        let year = file.year;
        let nc = context.checked_code(
            "nc_year",
            field(&record, nc_year),
            year,
            relative,
            &here,
            source_table,
            "ncyearactual",
            &mut warned,
        )?;
        let sen_value = context.checked_code(
            "sen_provision",
            field(&record, sen),
            year,
            relative,
            &here,
            source_table,
            "senprovision",
            &mut warned,
        )?;
        // C single, M main or S subsidiary registration (domain.md §2, dual registration):
        // each registration reports only its own sessions, so the queries sum them all
        // and take characteristics from the main or single one.
        let enrol_value = context.checked_code(
            "enrol_status",
            field(&record, enrol_status),
            year,
            relative,
            &here,
            source_table,
            "enrolstatus",
            &mut warned,
        )?;
        context.append(
            "pupil_terms",
            &[
                Value::Str(pupil_id.as_str()),
                Value::Int32(academic_year.time_period()),
                Value::Str(term.name()),
                Value::Str(school),
                Value::Str(census),
                Value::Bool(on_roll),
                Value::from(birth),
                Value::from(sex_value),
                Value::from(nc.as_deref()),
                Value::from(sen_value.as_deref()),
                Value::from(total_possible),
                Value::from(total_authorised),
                Value::from(total_unauthorised),
                Value::from(enrolment[0]),
                Value::from(enrolment[1]),
                Value::from(enrol_value.as_deref()),
                Value::from(former_pupil_id.as_ref().map(|id| id.as_str())),
            ],
        )?;
        context
            .audit
            .count(relative, source_table, Outcome::kept(warned));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_terms() {
        let file = parse_name("2025_spring_pupilonroll.csv").expect("a census file");
        assert_eq!(
            (file.year, file.term, file.table.as_str()),
            (2025, CensusTerm::Spring, "pupilonroll")
        );
        assert_eq!(
            attendance_term(2025, CensusTerm::Spring),
            (AcademicYear::starting(2024), Term::Autumn)
        );
        assert_eq!(
            attendance_term(2024, CensusTerm::Autumn),
            (AcademicYear::starting(2023), Term::Summer)
        );
        assert!(parse_name("notes.csv").is_none());
    }

    #[test]
    fn sessions_and_dates() {
        assert_eq!(parse_sessions("134.0"), Ok(Some(134)));
        assert_eq!(parse_sessions(""), Ok(None));
        assert_eq!(parse_sessions("-1"), Err(()));
        assert_eq!(parse_sessions("1.5"), Err(()));
        assert_eq!(
            parse_date("2024-Oct-16 00:00:00"),
            NaiveDate::from_ymd_opt(2024, 10, 16)
        );
    }
}

/// An exclusion that passed its checks, held until extract knows whether an earlier
/// census carried it (then it is counted as de-duplicated, not written).
#[derive(Debug, Clone)]
pub(crate) struct ExclusionRow {
    /// Key of (pupil, start date, category, FIXD counted as SUSP).
    pub(crate) key: u128,
    /// Where it was read: the file's place in the census, and the line.
    order: (usize, u64),
    /// The file it came from, for the ledger.
    pub(crate) file: String,
    /// Whether a warning was logged for it.
    pub(crate) warned: bool,
    pupil: String,
    academic_year: i32,
    term: &'static str,
    school: String,
    census: String,
    start: NaiveDate,
    category: String,
    sessions: Option<i32>,
    reasons: [Option<String>; 3],
    sen: Option<String>,
}

impl ExclusionRow {
    /// The row of the `exclusions` warehouse table.
    pub(crate) fn values(&self) -> [Value<'_>; 12] {
        [
            Value::Str(&self.pupil),
            Value::Int32(self.academic_year),
            Value::Str(self.term),
            Value::Str(&self.school),
            Value::Str(&self.census),
            Value::Date(self.start),
            Value::Str(&self.category),
            Value::from(self.sessions),
            Value::from(self.reasons[0].as_deref()),
            Value::from(self.reasons[1].as_deref()),
            Value::from(self.reasons[2].as_deref()),
            Value::from(self.sen.as_deref()),
        ]
    }
}
