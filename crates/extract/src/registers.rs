//! The LA-held CSV returns in the layouts the dictionary declares (design.md sources 4–6):
//! KS2 and KS4 results, the elective home education register and the school lookup,
//! each recognised by its header row.

use std::collections::HashSet;
use std::path::Path;

use cwsw_dictionary::AcademicYear;

use crate::ExtractError;
use crate::context::Context;
use crate::context::compact_key;
use crate::csv_input::{CsvInput, field};
use crate::row::{DateFormat, Row, RowError, settle};
use crate::rules;
use crate::warehouse::Value;

/// Which register a header row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Register {
    Ks2,
    Ks4,
    HomeEducation,
    Schools,
}

impl Register {
    /// The register whose columns the header contains (extra columns are allowed).
    pub(crate) fn recognise(header: &[String]) -> Option<Self> {
        let has = |columns: &[&str]| {
            columns
                .iter()
                .all(|column| header.iter().any(|name| name.eq_ignore_ascii_case(column)))
        };
        if has(&["UPN", "ACADYR", "KS2_READSCORE", "KS2_RWM_EXP"]) {
            Some(Self::Ks2)
        } else if has(&["UPN", "ACADYR", "ATT8"]) {
            Some(Self::Ks4)
        } else if has(&["UPN", "START_DATE", "END_DATE", "REASON"]) {
            Some(Self::HomeEducation)
        } else if has(&["URN", "EstablishmentNumber"]) {
            Some(Self::Schools)
        } else {
            None
        }
    }

    fn source_table(self) -> &'static str {
        match self {
            Self::Ks2 => "ks2_results",
            Self::Ks4 => "ks4_results",
            Self::HomeEducation => "ehe_register",
            Self::Schools => "school_lookup",
        }
    }
}

/// An academic year written `2022/23` or `202223`.
fn academic_year(row: &mut Row, text: &str) -> Result<i32, RowError> {
    let text = row.required("ACADYR", text)?;
    match AcademicYear::parse(text) {
        Some(year) => {
            row.year = year.end_year();
            Ok(year.time_period())
        }
        None => Err(row.reject(
            rules::VALUE_INVALID,
            format!("`ACADYR` is `{text}`, not an academic year like 2022/23"),
            "ACADYR",
            Some(text),
        )),
    }
}

pub(crate) fn read(
    path: &Path,
    relative: &str,
    register: Register,
    mut input: CsvInput,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let source_table = register.source_table();
    context.audit.touch(relative, source_table);
    let columns: Vec<Option<usize>> = [
        "UPN",
        "ACADYR",
        "LEA",
        "URN",
        "KS2_READSCORE",
        "KS2_MATSCORE",
        "KS2_GPSSCORE",
        "KS2_WRITTA",
        "KS2_SCITA",
        "KS2_RWM_EXP",
        "ATT8",
        "P8SCORE",
        "L2BASICS_94",
        "L2BASICS_95",
        "EBACCAPS",
        "START_DATE",
        "END_DATE",
        "REASON",
        "LA (code)",
        "EstablishmentNumber",
        "EstablishmentName",
        "TypeOfEstablishment (name)",
        "PhaseOfEducation (name)",
        "StatutoryLowAge",
        "StatutoryHighAge",
        // Optional columns, after the layout's first ones: older files load without them.
        "KS2_READRESULT",
        "KS2_MATRESULT",
        "KS2_GPSRESULT",
        "EBACC_ENTRY",
    ]
    .iter()
    .map(|name| input.column(name))
    .collect();
    let mut seen: HashSet<u128> = HashSet::new();
    let mut record = csv::StringRecord::new();
    // Code lists of the registers are not versioned by year; check against the latest.
    let latest = 2026;
    while let Some(line) = input.next_record(&mut record)? {
        let get = |index: usize| field(&record, columns[index]);
        let mut row = Row::new(
            context,
            relative,
            source_table,
            line,
            latest,
            DateFormat::DayMonthYear,
        );
        settle((|| match register {
            Register::Ks2 | Register::Ks4 => {
                let pupil = row.pupil("UPN", get(0))?;
                let year = academic_year(&mut row, get(1))?;
                let la = get(2);
                let la = (!la.is_empty()).then_some(la);
                let urn = row.int("URN", get(3), Some(1))?;
                // The duplicate check comes after every check that can reject the row, so
                // a rejected row never makes a valid one with its key a duplicate.
                let mut first_for_pupil = |row: &mut Row| {
                    if seen.insert(compact_key(&(pupil.as_str(), year))) {
                        Ok(())
                    } else {
                        Err(row.duplicate(
                            format!(
                                "the pupil has a second {source_table} row for {year}: dropped"
                            ),
                            "UPN",
                        ))
                    }
                };
                if register == Register::Ks2 {
                    let mut scores = [None; 3];
                    for (slot, (index, name)) in [
                        (4, "KS2_READSCORE"),
                        (5, "KS2_MATSCORE"),
                        (6, "KS2_GPSSCORE"),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        scores[slot] = row.int(name, get(index), Some(0))?;
                    }
                    // Why a test has no scaled score (absent, working below the test, …):
                    // the code decides whether the pupil is in the subject's denominator
                    // (queries/measures/ks2.sql; domain.md §2, KS2).
                    let mut results = [None; 3];
                    for (slot, (index, name)) in [
                        (25, "KS2_READRESULT"),
                        (26, "KS2_MATRESULT"),
                        (27, "KS2_GPSRESULT"),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        results[slot] = row.code("ks2_test_result", name, get(index))?;
                    }
                    let writing = row.code("ks2_writing_ta", "KS2_WRITTA", get(7))?;
                    let science = row.code("ks2_science_ta", "KS2_SCITA", get(8))?;
                    let rwm = row.required("KS2_RWM_EXP", get(9))?;
                    let rwm = row.boolean("KS2_RWM_EXP", rwm)?;
                    first_for_pupil(&mut row)?;
                    row.accept(
                        "ks2_attainment",
                        &[
                            Value::Str(pupil.as_str()),
                            Value::Int32(year),
                            Value::from(la),
                            Value::from(urn),
                            Value::from(scores[0]),
                            Value::from(scores[1]),
                            Value::from(scores[2]),
                            Value::from(writing),
                            Value::from(science),
                            Value::from(rwm),
                            Value::from(results[0]),
                            Value::from(results[1]),
                            Value::from(results[2]),
                        ],
                    )
                } else {
                    let attainment8 = row.float("ATT8", get(10))?;
                    let progress8 = row.float("P8SCORE", get(11))?;
                    let basics_4 = row.boolean("L2BASICS_94", get(12))?;
                    let basics_5 = row.boolean("L2BASICS_95", get(13))?;
                    let ebacc = row.float("EBACCAPS", get(14))?;
                    let ebacc_entered = row.boolean("EBACC_ENTRY", get(28))?;
                    first_for_pupil(&mut row)?;
                    row.accept(
                        "ks4_attainment",
                        &[
                            Value::Str(pupil.as_str()),
                            Value::Int32(year),
                            Value::from(la),
                            Value::from(urn),
                            Value::from(attainment8),
                            Value::from(progress8),
                            Value::from(basics_4),
                            Value::from(basics_5),
                            Value::from(ebacc),
                            Value::from(ebacc_entered),
                        ],
                    )
                }
            }
            Register::HomeEducation => {
                let upn = get(0);
                let pupil = if upn.is_empty() {
                    None
                } else {
                    match row.context.pupil_id(upn) {
                        Ok(id) => Some(id),
                        Err(problem) => {
                            row.warn(
                                rules::UPN_INVALID_LINK,
                                format!(
                                    "{}: the spell is kept without a link to school records",
                                    problem.message()
                                ),
                                "UPN",
                                None,
                            );
                            None
                        }
                    }
                };
                let start = row.required_date("START_DATE", get(15))?;
                let end = row.date("END_DATE", get(16), false)?;
                row.ordered(
                    rules::EHE_END_BEFORE_START,
                    ("START_DATE", start),
                    ("END_DATE", end),
                )?;
                if let Some(pupil) = &pupil
                    && !seen.insert(compact_key(&(
                        pupil.as_str(),
                        cwsw_dictionary::days_since_epoch(start),
                    )))
                {
                    return Err(row.duplicate(
                        format!("a second spell of the pupil starting {start}: dropped"),
                        "START_DATE",
                    ));
                }
                let reason = row.code("ehe_reason", "REASON", get(17))?;
                row.accept(
                    "ehe_episodes",
                    &[
                        Value::from(pupil.as_ref().map(|id| id.as_str())),
                        Value::Date(start),
                        Value::from(end),
                        Value::from(reason),
                    ],
                )
            }
            Register::Schools => {
                let urn = row.required("URN", get(3))?;
                let urn = row.int("URN", urn, Some(1))?.unwrap_or_default();
                let la = row.required("LA (code)", get(18))?;
                let number = row.required("EstablishmentNumber", get(19))?;
                let number = row
                    .int("EstablishmentNumber", number, Some(0))?
                    .unwrap_or_default();
                let name = row.required("EstablishmentName", get(20))?;
                let low = row.int("StatutoryLowAge", get(23), Some(0))?;
                let high = row.int("StatutoryHighAge", get(24), Some(0))?;
                if !seen.insert(compact_key(&urn)) {
                    return Err(row.duplicate(
                        format!("URN {urn} appears twice: the second row is dropped"),
                        "URN",
                    ));
                }
                let kind = row.code(
                    "type_of_establishment",
                    "TypeOfEstablishment (name)",
                    get(21),
                )?;
                let phase = row.code("phase_of_education", "PhaseOfEducation (name)", get(22))?;
                let laestab = format!("{la}{number:04}");
                row.accept(
                    "schools",
                    &[
                        Value::Int32(urn),
                        Value::Str(la),
                        Value::Str(&laestab),
                        Value::Str(name),
                        Value::from(kind),
                        Value::from(phase),
                        Value::from(low),
                        Value::from(high),
                    ],
                )
            }
        })())?;
    }
    let _ = path;
    Ok(())
}
