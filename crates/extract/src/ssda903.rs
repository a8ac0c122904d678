//! SSDA903 CSV tables (domain.md §5): recognised by their header row, not their file
//! name; dates `dd/mm/YYYY`; SEX 1/2 to 2024 and M/F/U from 2025.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;

use crate::ExtractError;
use crate::context::{Context, birth_month};
use crate::csv_input::{CsvInput, field};
use crate::row::{DateFormat, Row, settle};
use crate::rules::{self, Outcome};
use crate::warehouse::Value;

/// Which SSDA903 table a header row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ssda903Table {
    Header,
    Episodes,
    Uasc,
    Reviews,
    Missing,
}

const HEADER_COLUMNS: &[&str] = &["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"];
const EPISODE_COLUMNS: &[&str] = &[
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
];

/// The table whose every column the header contains (extra columns are allowed).
pub(crate) fn recognise(header: &[String]) -> Option<Ssda903Table> {
    let has = |columns: &[&str]| {
        columns
            .iter()
            .all(|column| header.iter().any(|name| name.eq_ignore_ascii_case(column)))
    };
    if has(EPISODE_COLUMNS) {
        Some(Ssda903Table::Episodes)
    } else if has(HEADER_COLUMNS) {
        Some(Ssda903Table::Header)
    } else if has(&["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"]) {
        Some(Ssda903Table::Missing)
    } else if has(&["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]) {
        Some(Ssda903Table::Reviews)
    } else if has(&["CHILD", "SEX", "DOB", "DUC"]) {
        Some(Ssda903Table::Uasc)
    } else {
        None
    }
}

/// The collection year in an SSDA903 file name (`SSDA903_2022_header.csv` → 2022).
pub(crate) fn collection_year(name: &str) -> Option<i32> {
    name.split(|character: char| !character.is_ascii_digit())
        .filter(|part| part.len() == 4)
        .filter_map(|part| part.parse::<i32>().ok())
        .find(|year| (2000..=2099).contains(year))
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    DateFormat::DayMonthYear.parse(text)
}

pub(crate) fn read(
    path: &Path,
    relative: &str,
    table: Ssda903Table,
    mut input: CsvInput,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let year = collection_year(relative).ok_or_else(|| ExtractError::Malformed {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: "no collection year (YYYY) in the file name: SSDA903 files are named like `SSDA903_2022_header.csv`".to_string(),
    })?;
    let la_code = context
        .la_code
        .clone()
        .ok_or_else(|| ExtractError::NoLaCode {
            path: path.to_path_buf(),
        })?;
    let source_table = match table {
        Ssda903Table::Header => "ssda903_header",
        Ssda903Table::Episodes => "ssda903_episodes",
        Ssda903Table::Uasc => "ssda903_uasc",
        Ssda903Table::Reviews => "ssda903_reviews",
        Ssda903Table::Missing => "ssda903_missing",
    };
    context.audit.touch(relative, source_table);
    let child_column = input.required_column("CHILD", source_table)?;
    let mut record = csv::StringRecord::new();
    let mut seen_children = HashSet::new();
    let mut seen_episodes = HashSet::new();
    match table {
        Ssda903Table::Uasc | Ssda903Table::Reviews | Ssda903Table::Missing => {
            let columns = [
                "SEX",
                "DOB",
                "DUC",
                "REVIEW",
                "REVIEW_CODE",
                "MISSING",
                "MIS_START",
                "MIS_END",
            ]
            .map(|name| input.column(name));
            let mut seen = HashSet::new();
            while let Some(line) = input.next_record(&mut record)? {
                let mut row = Row::new(
                    context,
                    relative,
                    source_table,
                    line,
                    year,
                    DateFormat::DayMonthYear,
                );
                let child = field(&record, Some(child_column));
                let [sex, dob, duc, review, review_code, missing, start, end] =
                    columns.map(|column| field(&record, column));
                settle((|| {
                    let child = row.required("CHILD", child)?;
                    let child_id = row.context.child_id(&la_code, child);
                    let id = Value::Str(child_id.as_str());
                    match table {
                        Ssda903Table::Uasc => {
                            let birth = row.birth_date("DOB", dob)?;
                            let ceased = row.date("DUC", duc, false)?;
                            if !seen.insert((child_id.as_str().to_string(), None)) {
                                return Err(row.duplicate("the child appears twice in the UASC table: the second row is dropped", "CHILD"));
                            }
                            let sex = sex_code(&mut row, sex);
                            row.accept(
                                "care_uasc",
                                &[
                                    id,
                                    Value::Int32(year),
                                    Value::from(birth.map(birth_month)),
                                    Value::from(sex),
                                    Value::from(ceased),
                                ],
                            )
                        }
                        Ssda903Table::Reviews => {
                            // DOB is not kept for reviews or missing episodes, so it is not checked.
                            let review = row.required_date("REVIEW", review)?;
                            if !seen.insert((child_id.as_str().to_string(), Some(review))) {
                                return Err(row.duplicate(
                                    format!("a second review of the child on {review}: dropped"),
                                    "REVIEW",
                                ));
                            }
                            let code =
                                row.code("review_participation", "REVIEW_CODE", review_code)?;
                            row.accept(
                                "care_reviews",
                                &[
                                    id,
                                    Value::Int32(year),
                                    Value::Date(review),
                                    Value::from(code),
                                ],
                            )
                        }
                        _ => {
                            // DOB is not kept for reviews or missing episodes, so it is not checked.
                            let start_date = row.required_date("MIS_START", start)?;
                            let end_date = row.date("MIS_END", end, false)?;
                            row.ordered(
                                rules::MISSING_END_BEFORE_START,
                                ("MIS_START", start_date),
                                ("MIS_END", end_date),
                            )?;
                            if !seen.insert((child_id.as_str().to_string(), Some(start_date))) {
                                return Err(row.duplicate(format!("a second missing episode of the child starting {start_date}: dropped"), "MIS_START"));
                            }
                            let kind = row.code("missing_type", "MISSING", missing)?;
                            row.accept(
                                "care_missing",
                                &[
                                    id,
                                    Value::Int32(year),
                                    Value::from(kind),
                                    Value::Date(start_date),
                                    Value::from(end_date),
                                ],
                            )
                        }
                    }
                })())?;
            }
        }
        Ssda903Table::Header => {
            let columns = ["SEX", "DOB", "ETHNIC", "UPN"].map(|name| input.column(name));
            while let Some(line) = input.next_record(&mut record)? {
                let here = format!("line {line}");
                let child = field(&record, Some(child_column));
                let [sex, dob, ethnic, upn] = columns.map(|column| field(&record, column));
                if child.is_empty() {
                    context.audit.reject(
                        rules::REQUIRED_MISSING,
                        relative,
                        here,
                        source_table,
                        "`CHILD` is empty",
                        "CHILD",
                        None,
                    );
                    continue;
                }
                if !seen_children.insert(crate::context::compact_key(&child.to_ascii_uppercase())) {
                    context.audit.report(
                        rules::DUPLICATE,
                        relative,
                        here,
                        source_table,
                        "the child appears twice in the header table: the second row is dropped",
                        "CHILD",
                        None,
                    );
                    context
                        .audit
                        .count(relative, source_table, Outcome::Deduplicated);
                    continue;
                }
                let birth = if dob.is_empty() {
                    None
                } else if let Some(date) = parse_date(dob) {
                    Some(date)
                } else {
                    context.audit.reject(
                        rules::DATE_INVALID,
                        relative,
                        here,
                        source_table,
                        // A date of birth is never quoted: outputs keep it only to the month.
                        "`DOB` is not a date (dd/mm/YYYY)",
                        "DOB",
                        None,
                    );
                    continue;
                };
                let mut warned = false;
                // UN1–UN10 say why a child has no UPN; anything else must be a valid UPN.
                let pupil_id = if upn.is_empty() || upn.to_ascii_uppercase().starts_with("UN") {
                    None
                } else {
                    match context.pupil_id(upn) {
                        Ok(id) => Some(id),
                        Err(problem) => {
                            context.audit.report(
                                rules::UPN_INVALID_LINK,
                                relative,
                                here.clone(),
                                source_table,
                                format!(
                                    "{}: the child is kept without a link to school records",
                                    problem.message()
                                ),
                                "UPN",
                                None,
                            );
                            warned = true;
                            None
                        }
                    }
                };
                let sex = match sex {
                    "1" | "M" | "m" => Some("M"),
                    "2" | "F" | "f" => Some("F"),
                    "U" | "u" => Some("U"),
                    "" => None,
                    other => {
                        context.audit.report(
                            rules::CODE_UNKNOWN,
                            relative,
                            here.clone(),
                            source_table,
                            format!("`SEX` is `{other}`, not 1, 2, M, F or U: written as null"),
                            "SEX",
                            Some(other),
                        );
                        warned = true;
                        None
                    }
                };
                let ethnicity = context.checked_code(
                    "ethnicity",
                    ethnic,
                    year,
                    relative,
                    &here,
                    source_table,
                    "ETHNIC",
                    &mut warned,
                )?;
                let child_id = context.child_id(&la_code, child);
                context.append(
                    "care_children",
                    &[
                        Value::Str(child_id.as_str()),
                        Value::from(pupil_id.as_ref().map(|id| id.as_str())),
                        Value::Str(&la_code),
                        Value::Int32(year),
                        Value::from(birth.map(birth_month)),
                        Value::from(sex),
                        Value::from(ethnicity.as_deref()),
                    ],
                )?;
                context
                    .audit
                    .count(relative, source_table, Outcome::kept(warned));
            }
        }
        Ssda903Table::Episodes => {
            let columns =
                ["DECOM", "DEC", "RNE", "LS", "PLACE", "REC"].map(|name| input.column(name));
            while let Some(line) = input.next_record(&mut record)? {
                let here = format!("line {line}");
                let child = field(&record, Some(child_column));
                let [decom, dec, rne, legal_status, place, rec] =
                    columns.map(|column| field(&record, column));
                if child.is_empty() || decom.is_empty() {
                    let name = if child.is_empty() { "CHILD" } else { "DECOM" };
                    context.audit.reject(
                        rules::REQUIRED_MISSING,
                        relative,
                        here,
                        source_table,
                        format!("`{name}` is empty"),
                        name,
                        None,
                    );
                    continue;
                }
                let Some(start) = parse_date(decom) else {
                    context.audit.reject(
                        rules::DATE_INVALID,
                        relative,
                        here,
                        source_table,
                        format!("`DECOM` is `{decom}`, not a date (dd/mm/YYYY)"),
                        "DECOM",
                        Some(decom),
                    );
                    continue;
                };
                let end = if dec.is_empty() {
                    None
                } else if let Some(date) = parse_date(dec) {
                    Some(date)
                } else {
                    context.audit.reject(
                        rules::DATE_INVALID,
                        relative,
                        here,
                        source_table,
                        format!("`DEC` is `{dec}`, not a date (dd/mm/YYYY)"),
                        "DEC",
                        Some(dec),
                    );
                    continue;
                };
                if let Some(end) = end
                    && end < start
                {
                    context.audit.reject(
                        rules::EPISODE_END_BEFORE_START,
                        relative,
                        here,
                        source_table,
                        format!("`DEC` {end} is before `DECOM` {start}"),
                        "DEC",
                        Some(dec),
                    );
                    continue;
                }
                if !seen_episodes.insert((child.to_ascii_uppercase(), start)) {
                    context.audit.report(
                        rules::DUPLICATE,
                        relative,
                        here,
                        source_table,
                        format!("a second episode of the child starting {start}: dropped"),
                        "DECOM",
                        Some(decom),
                    );
                    context
                        .audit
                        .count(relative, source_table, Outcome::Deduplicated);
                    continue;
                }
                let mut warned = false;
                let rne = context.checked_code(
                    "rne",
                    rne,
                    year,
                    relative,
                    &here,
                    source_table,
                    "RNE",
                    &mut warned,
                )?;
                let legal_status = context.checked_code(
                    "legal_status",
                    legal_status,
                    year,
                    relative,
                    &here,
                    source_table,
                    "LS",
                    &mut warned,
                )?;
                let place = context.checked_code(
                    "placement",
                    place,
                    year,
                    relative,
                    &here,
                    source_table,
                    "PLACE",
                    &mut warned,
                )?;
                let rec = context.checked_code(
                    "reason_episode_ceased",
                    rec,
                    year,
                    relative,
                    &here,
                    source_table,
                    "REC",
                    &mut warned,
                )?;
                let child_id = context.child_id(&la_code, child);
                context.append(
                    "care_episodes",
                    &[
                        Value::Str(child_id.as_str()),
                        Value::Int32(year),
                        Value::Date(start),
                        Value::from(end),
                        Value::from(rne.as_deref()),
                        Value::from(legal_status.as_deref()),
                        Value::from(place.as_deref()),
                        Value::from(rec.as_deref()),
                    ],
                )?;
                context
                    .audit
                    .count(relative, source_table, Outcome::kept(warned));
            }
        }
    }
    Ok(())
}

/// SEX 1/2 to 2024, M/F/U from 2025 (domain.md §5), as M, F or U; others are logged and
/// written as null.
fn sex_code(row: &mut Row, sex: &str) -> Option<&'static str> {
    match sex {
        "1" | "M" | "m" => Some("M"),
        "2" | "F" | "f" => Some("F"),
        "U" | "u" => Some("U"),
        "" => None,
        other => {
            row.warn(
                rules::CODE_UNKNOWN,
                format!("`SEX` is `{other}`, not 1, 2, M, F or U: written as null"),
                "SEX",
                Some(other),
            );
            None
        }
    }
}
