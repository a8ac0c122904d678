//! School census pupil-level extracts (domain.md §5): pupils on and no longer on roll,
//! with attendance attributed to the term the data describes (one term in arrears),
//! and, where a census has no authorised/unauthorised totals (2025 on), absence derived
//! from its session-reason rows by the attendance codes' meanings.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cwsw_dictionary::{AcademicYear, Term};

use crate::ExtractError;
use crate::context::{Context, birth_month};
use crate::csv_input::{CsvInput, field};
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

/// The tables of an extract this version reads, and the ones it knows but leaves.
pub(crate) const PUPIL_TABLES: &[&str] = &["pupilonroll", "pupilnolongeronroll"];
pub(crate) const DETAIL_TABLES: &[&str] = &[
    "termlysessiondetailsonroll",
    "termlysessiondetailsoffroll",
    "summerhalfterm2sessiondetailsonroll",
    "summerhalfterm2sessiondetailsoffroll",
];
pub(crate) const LATER_TABLES: &[&str] = &[
    "termlyexclusionsonroll",
    "termlyexclusionsoffroll",
    "fsmperiod",
    "fsmperiodsonroll",
    "fsmperiodsoffroll",
    "senneeds",
    "addressesonroll",
    "addressesoffroll",
];

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
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%b-%d %H:%M:%S")
        .map(|datetime| datetime.date())
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
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

/// Absence per (MIS row id, NativeId) and half (0 termly, 1 second half of summer).
type DerivedAbsence = HashMap<(String, String, u8), Absence>;

/// Reads one census: its session-reason files (only where the pupil files carry no
/// totals), then its pupil files.
pub(crate) fn read_census(
    files: &[(PathBuf, String, CensusFile)],
    context: &mut Context,
) -> Result<(), ExtractError> {
    let Some((_, _, first)) = files.first() else {
        return Ok(());
    };
    let (year, term) = (first.year, first.term);
    let census = format!("{year} {}", term.name());
    // The 2025 schema drops the authorised/unauthorised totals (domain.md §5).
    let mut derived: Option<DerivedAbsence> = None;
    for (path, relative, file) in files
        .iter()
        .filter(|(_, _, file)| PUPIL_TABLES.contains(&file.table.as_str()))
    {
        let input = CsvInput::open(path)?;
        let has_totals = input.column("termlysessionsauthorised").is_some();
        if !has_totals && derived.is_none() {
            derived = Some(read_details(files, context)?);
        }
        read_pupils(
            path,
            relative,
            file,
            input,
            &census,
            derived.as_ref(),
            context,
        )?;
    }
    Ok(())
}

fn read_details(
    files: &[(PathBuf, String, CensusFile)],
    context: &mut Context,
) -> Result<DerivedAbsence, ExtractError> {
    let mut derived = DerivedAbsence::new();
    let codes = context
        .dictionary
        .code_list("attendance_code")
        .map_err(|error| ExtractError::Internal(error.to_string()))?
        .clone();
    for (path, relative, file) in files
        .iter()
        .filter(|(_, _, file)| DETAIL_TABLES.contains(&file.table.as_str()))
    {
        let source_table = "school_census_session_details";
        context.audit.touch(relative, source_table);
        let half = u8::from(file.table.starts_with("summerhalfterm2"));
        let mut input = CsvInput::open(path)?;
        let id_column = if file.table.ends_with("offroll") {
            input.required_column("pupilnolongeronrolltableid", source_table)?
        } else {
            input.required_column("pupilonrolltableid", source_table)?
        };
        let native = input.required_column("NativeId", source_table)?;
        // `absencesessions` until 2020, `sessions` from 2021.
        let sessions_column = input
            .column("sessions")
            .or_else(|| input.column("absencesessions"))
            .ok_or_else(|| ExtractError::Malformed {
                path: path.clone(),
                line: 1,
                column: 0,
                message: "the header has neither `sessions` nor `absencesessions`".to_string(),
            })?;
        let reason_column = input.required_column("attendancereason", source_table)?;
        let mut record = csv::StringRecord::new();
        while let Some(line) = input.next_record(&mut record)? {
            let here = format!("line {line}");
            let code = field(&record, Some(reason_column));
            let sessions_text = field(&record, Some(sessions_column));
            let sessions = match parse_sessions(sessions_text) {
                Ok(Some(value)) => value,
                Ok(None) => {
                    context.audit.reject(
                        rules::REQUIRED_MISSING,
                        relative,
                        here,
                        source_table,
                        "`sessions` is empty",
                        "sessions",
                        None,
                    );
                    continue;
                }
                Err(()) => {
                    context.audit.reject(rules::SESSIONS_NEGATIVE, relative, here, source_table, format!("`sessions` is `{sessions_text}`, not a whole number of sessions of 0 or more"), "sessions", Some(sessions_text));
                    continue;
                }
            };
            let Some(meaning) = codes
                .lookup(code, file.year)
                .map(|value| value.meaning.clone().unwrap_or_default())
            else {
                context.audit.reject(rules::ATTENDANCE_CODE, relative, here, source_table, format!("`attendancereason` is `{code}`, not an attendance code in {}: the row is not counted", file.year), "attendancereason", Some(code));
                continue;
            };
            let key = (
                field(&record, Some(id_column)).to_string(),
                field(&record, Some(native)).to_string(),
                half,
            );
            let entry = derived.entry(key).or_default();
            match meaning.as_str() {
                "authorised" => entry.authorised += sessions,
                "unauthorised" => entry.unauthorised += sessions,
                // Present, approved activities and sessions that are not possible are not absence.
                _ => {}
            }
            context
                .audit
                .count(relative, source_table, Outcome::Accepted);
        }
    }
    Ok(derived)
}

#[allow(clippy::too_many_arguments)]
fn read_pupils(
    path: &Path,
    relative: &str,
    file: &CensusFile,
    mut input: CsvInput,
    census: &str,
    derived: Option<&DerivedAbsence>,
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
    let possible = column("termlysessionspossible");
    let authorised = column("termlysessionsauthorised");
    let unauthorised = column("termlysessionsunauthorised");
    let possible_2 = column("summerhalfterm2sessionspossible");
    let authorised_2 = column("summerhalfterm2sessionsauthorised");
    let unauthorised_2 = column("summerhalfterm2sessionsunauthorised");
    let mut seen: HashSet<(String, String)> = HashSet::new();
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
                format!("`dob` is `{dob_text}`, not a date (YYYY-Mon-DD HH:MM:SS)"),
                "dob",
                Some(dob_text),
            );
            continue;
        };
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
                let id = field(&record, Some(id_column)).to_string();
                let first = derived
                    .get(&(id.clone(), school.to_string(), 0))
                    .copied()
                    .unwrap_or_default();
                let second = derived
                    .get(&(id, school.to_string(), 1))
                    .copied()
                    .unwrap_or_default();
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
        if !seen.insert((pupil_id.as_str().to_string(), school.to_string())) {
            context.audit.report(rules::DUPLICATE, relative, here.clone(), source_table, format!("the pupil appears twice at school {school} in the {census} census: the second row is dropped"), "upn", None);
            context
                .audit
                .count(relative, source_table, Outcome::Deduplicated);
            continue;
        }
        let mut warned = false;
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
            ],
        )?;
        context.audit.count(
            relative,
            source_table,
            if warned {
                Outcome::Warned
            } else {
                Outcome::Accepted
            },
        );
    }
    let _ = path;
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
