//! CIN census XML (domain.md §5): streamed element by element, one `<Child>` held at a
//! time, into `cin_children`, `cin_episodes`, `cin_plans` and
//! `cin_child_protection_plans`.

use std::collections::HashSet;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::ExtractError;
use crate::context::{Context, birth_month, parse_bool};
use crate::key::ChildId;
use crate::row::{DateFormat, Row, settle};
use crate::rules::{self, Outcome};
use crate::warehouse::Value;

#[derive(Default)]
struct Header {
    year: Option<i32>,
    reference_date: Option<NaiveDate>,
    la_code: Option<String>,
}

#[derive(Default)]
struct Plan {
    line: u64,
    start: String,
    end: String,
    initial_category: String,
    latest_category: String,
    /// CPPreviewDate elements, with their lines.
    reviews: Vec<(u64, String)>,
}

/// An assessment, section 47 or pre-proceedings block: its fields by element name, and
/// (assessments) the factors identified, with their lines.
#[derive(Default)]
struct Block {
    line: u64,
    fields: Vec<(String, String)>,
    list: Vec<(u64, String)>,
}

impl Block {
    fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map_or("", |(_, value)| value.as_str())
    }
}

/// The CINdetails blocks read as [`Block`]s.
const BLOCKS: &[&str] = &["Assessments", "Section47", "PreProceedingsandFGDM"];

#[derive(Default)]
struct Episode {
    line: u64,
    referral_date: String,
    referral_source: String,
    primary_need: String,
    closure_date: String,
    reason_for_closure: String,
    referral_nfa: String,
    cin_plans: Vec<Plan>,
    protection_plans: Vec<Plan>,
    assessments: Vec<Block>,
    section47: Vec<Block>,
    pre_proceedings: Vec<Block>,
}

impl Episode {
    /// Every source row the episode carries besides itself, per source table.
    fn sub_rows(&self) -> [(&'static str, usize); 7] {
        [
            (TABLE_PLAN, self.cin_plans.len()),
            (TABLE_CPP, self.protection_plans.len()),
            (
                TABLE_REVIEW,
                self.protection_plans
                    .iter()
                    .map(|plan| plan.reviews.len())
                    .sum(),
            ),
            (TABLE_ASSESSMENT, self.assessments.len()),
            (
                TABLE_FACTOR,
                self.assessments.iter().map(|block| block.list.len()).sum(),
            ),
            (TABLE_S47, self.section47.len()),
            (TABLE_PRE_PROCEEDINGS, self.pre_proceedings.len()),
        ]
    }

    /// Counts the episode and everything in it with one outcome.
    fn count(&self, relative: &str, context: &mut Context, outcome: Outcome) {
        context.audit.count(relative, TABLE_EPISODE, outcome);
        for (table, rows) in self.sub_rows() {
            for _ in 0..rows {
                context.audit.count(relative, table, outcome);
            }
        }
    }
}

#[derive(Default)]
struct Child {
    line: u64,
    number: u64,
    la_child_id: String,
    upn: String,
    former_upn: String,
    birth_date: String,
    gender_current: Option<String>,
    sex: Option<String>,
    ethnicity: String,
    disabilities: Vec<(u64, String)>,
    episodes: Vec<Episode>,
}

const TABLE_CHILD: &str = "cin_child";
const TABLE_EPISODE: &str = "cin_episode";
const TABLE_PLAN: &str = "cin_plan";
const TABLE_CPP: &str = "cin_child_protection_plan";
const TABLE_REVIEW: &str = "cin_cpp_review";
const TABLE_ASSESSMENT: &str = "cin_assessment";
const TABLE_FACTOR: &str = "cin_assessment_factor";
const TABLE_S47: &str = "cin_section47";
const TABLE_PRE_PROCEEDINGS: &str = "cin_pre_proceedings";
const TABLE_DISABILITY: &str = "cin_disability";
/// Every source table of the return, for the ledger.
const TABLES: &[&str] = &[
    TABLE_CHILD,
    TABLE_DISABILITY,
    TABLE_EPISODE,
    TABLE_ASSESSMENT,
    TABLE_FACTOR,
    TABLE_PLAN,
    TABLE_S47,
    TABLE_CPP,
    TABLE_REVIEW,
    TABLE_PRE_PROCEEDINGS,
];

fn resolve_entity(name: &[u8]) -> Option<char> {
    match name {
        b"amp" => Some('&'),
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"quot" => Some('"'),
        b"apos" => Some('\''),
        _ => {
            let text = std::str::from_utf8(name).ok()?;
            let number = text.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Reads one CIN census file.
pub(crate) fn read(path: &Path, relative: &str, context: &mut Context) -> Result<(), ExtractError> {
    let file = File::open(path).map_err(|source| ExtractError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = Reader::from_reader(BufReader::with_capacity(1 << 20, file));
    reader.config_mut().trim_text(false);
    let mut buffer = Vec::new();
    let mut stack = NameStack::default();
    let mut name = String::new();
    let mut text = String::new();
    let mut line: u64 = 1;
    let mut header = Header::default();
    let mut child: Option<Child> = None;
    let mut episode: Option<Episode> = None;
    let mut plan: Option<Plan> = None;
    let mut block: Option<Block> = None;
    let mut children = 0u64;
    let mut seen_children: HashSet<u128> = HashSet::new();
    for table in TABLES {
        context.audit.touch(relative, table);
    }
    loop {
        let event = reader.read_event_into(&mut buffer).map_err(|error| {
            let position = reader.error_position();
            // Every syntax error but bad `<!` markup is a construct left open at the end.
            let truncated = matches!(&error, quick_xml::Error::Syntax(kind) if !matches!(kind, quick_xml::errors::SyntaxError::InvalidBangMarkup));
            malformed(path, position, &format!("{error}"), truncated)
        })?;
        let (raw_name, is_end, is_start) = match &event {
            Event::Start(element) => (element.name(), false, true),
            Event::Empty(element) => (element.name(), true, true),
            Event::End(element) => (element.name(), true, false),
            Event::Text(content) => {
                let decoded = content.decode().map_err(|error| {
                    malformed(path, reader.buffer_position(), &error.to_string(), false)
                })?;
                line += decoded.bytes().filter(|byte| *byte == b'\n').count() as u64;
                text.push_str(&decoded);
                buffer.clear();
                continue;
            }
            Event::CData(content) => {
                text.push_str(&String::from_utf8_lossy(content.as_ref()));
                buffer.clear();
                continue;
            }
            Event::GeneralRef(reference) => {
                match resolve_entity(reference.as_ref()) {
                    Some(character) => text.push(character),
                    None => {
                        return Err(malformed(
                            path,
                            reader.buffer_position(),
                            &format!(
                                "unknown entity `&{};`",
                                String::from_utf8_lossy(reference.as_ref())
                            ),
                            false,
                        ));
                    }
                }
                buffer.clear();
                continue;
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    let (line, column) = locate(path, reader.buffer_position());
                    return Err(ExtractError::Malformed {
                        path: path.to_path_buf(),
                        line,
                        column,
                        message: format!(
                            "the file ends inside `<{open}>`, where `</{open}>` was expected: it is truncated"
                        ),
                    });
                }
                if header.year.is_none() && children == 0 {
                    return Err(ExtractError::Malformed {
                        path: path.to_path_buf(),
                        line,
                        column: 0,
                        message: "no CIN census `<Message>` with a `<Header>` was found"
                            .to_string(),
                    });
                }
                break;
            }
            _ => {
                buffer.clear();
                continue;
            }
        };
        // Namespace prefixes are not used by the CIN schema; keep the local name.
        let raw_name = raw_name.as_ref();
        let local = raw_name
            .rsplit(|byte| *byte == b':')
            .next()
            .unwrap_or(raw_name);
        name.clear();
        name.push_str(&String::from_utf8_lossy(local));
        buffer.clear();
        if is_start {
            text.clear();
            match name.as_str() {
                "Child" => {
                    if header.year.is_none() || header.reference_date.is_none() {
                        return Err(ExtractError::Malformed {
                            path: path.to_path_buf(),
                            line,
                            column: 0,
                            message: "`<Child>` before the header's `Year` and `ReferenceDate`"
                                .to_string(),
                        });
                    }
                    children += 1;
                    child = Some(Child {
                        line,
                        number: children,
                        ..Child::default()
                    });
                }
                "CINdetails" => {
                    episode = Some(Episode {
                        line,
                        ..Episode::default()
                    })
                }
                "CINPlanDates" | "ChildProtectionPlans" => {
                    plan = Some(Plan {
                        line,
                        ..Plan::default()
                    })
                }
                name if BLOCKS.contains(&name) => {
                    block = Some(Block {
                        line,
                        ..Block::default()
                    })
                }
                _ => {}
            }
            stack.push(&name);
        }
        if !is_end {
            continue;
        }
        if stack.last() != Some(name.as_str()) {
            return Err(ExtractError::Malformed {
                path: path.to_path_buf(),
                line,
                column: 0,
                message: format!(
                    "`</{name}>` closes `<{}>`",
                    stack.last().unwrap_or("nothing")
                ),
            });
        }
        let value = text.trim();
        match (stack.parent(), name.as_str()) {
            ("CollectionDetails", "Year") => {
                header.year = Some(value.parse().map_err(|_| ExtractError::Malformed {
                    path: path.to_path_buf(),
                    line,
                    column: 0,
                    message: format!("`Year` is `{value}`, not a year"),
                })?);
            }
            ("CollectionDetails", "ReferenceDate") => {
                header.reference_date =
                    Some(parse_date(value).ok_or_else(|| ExtractError::Malformed {
                        path: path.to_path_buf(),
                        line,
                        column: 0,
                        message: format!("`ReferenceDate` is `{value}`, not a date (YYYY-MM-DD)"),
                    })?);
            }
            ("Source", "LEA") => header.la_code = Some(value.to_string()),
            ("ChildIdentifiers", field) => {
                if let Some(child) = child.as_mut() {
                    match field {
                        "LAchildID" => child.la_child_id = value.to_string(),
                        "UPN" => child.upn = value.to_string(),
                        "FormerUPN" => child.former_upn = value.to_string(),
                        "PersonBirthDate" => child.birth_date = value.to_string(),
                        "GenderCurrent" => child.gender_current = Some(value.to_string()),
                        "Sex" => child.sex = Some(value.to_string()),
                        _ => {}
                    }
                }
            }
            ("ChildCharacteristics", "Ethnicity") => {
                if let Some(child) = child.as_mut() {
                    child.ethnicity = value.to_string();
                }
            }
            ("Disabilities", "Disability") => {
                if let Some(child) = child.as_mut() {
                    child.disabilities.push((line, value.to_string()));
                }
            }
            ("FactorsIdentifiedAtAssessment", "AssessmentFactors") => {
                if let Some(block) = block.as_mut() {
                    block.list.push((line, value.to_string()));
                }
            }
            ("Reviews", "CPPreviewDate") => {
                if let Some(plan) = plan.as_mut() {
                    plan.reviews.push((line, value.to_string()));
                }
            }
            (parent, field) if BLOCKS.contains(&parent) => {
                if let Some(block) = block.as_mut() {
                    block.fields.push((field.to_string(), value.to_string()));
                }
            }
            ("CINdetails", field) => {
                if let Some(episode) = episode.as_mut() {
                    match field {
                        "CINreferralDate" => episode.referral_date = value.to_string(),
                        "ReferralSource" => episode.referral_source = value.to_string(),
                        "PrimaryNeedCode" => episode.primary_need = value.to_string(),
                        "CINclosureDate" => episode.closure_date = value.to_string(),
                        "ReasonForClosure" => episode.reason_for_closure = value.to_string(),
                        "ReferralNFA" => episode.referral_nfa = value.to_string(),
                        "CINPlanDates" => {
                            if let Some(plan) = plan.take() {
                                episode.cin_plans.push(plan);
                            }
                        }
                        "ChildProtectionPlans" => {
                            if let Some(plan) = plan.take() {
                                episode.protection_plans.push(plan);
                            }
                        }
                        "Assessments" => episode.assessments.extend(block.take()),
                        "Section47" => episode.section47.extend(block.take()),
                        "PreProceedingsandFGDM" => episode.pre_proceedings.extend(block.take()),
                        _ => {}
                    }
                }
            }
            ("CINPlanDates", field) | ("ChildProtectionPlans", field) => {
                if let Some(plan) = plan.as_mut() {
                    match field {
                        "CINPlanStartDate" | "CPPstartDate" => plan.start = value.to_string(),
                        "CINPlanEndDate" | "CPPendDate" => plan.end = value.to_string(),
                        "InitialCategoryOfAbuse" => plan.initial_category = value.to_string(),
                        "LatestCategoryOfAbuse" => plan.latest_category = value.to_string(),
                        _ => {}
                    }
                }
            }
            ("Child", "CINdetails") => {
                if let (Some(child), Some(episode)) = (child.as_mut(), episode.take()) {
                    child.episodes.push(episode);
                }
            }
            ("Children", "Child") => {
                if let Some(child) = child.take() {
                    emit_child(relative, &header, child, &mut seen_children, context)?;
                }
            }
            _ => {}
        }
        text.clear();
        stack.pop();
    }
    if let Some(la_code) = header.la_code {
        context.note_la_code(&la_code, relative)?;
    }
    Ok(())
}

fn malformed(path: &Path, position: u64, message: &str, truncated: bool) -> ExtractError {
    let (line, column) = locate(path, position);
    let message = if truncated {
        format!("the file ends inside a tag at the end of input, so it is truncated ({message})")
    } else {
        format!("malformed XML: {message}")
    };
    ExtractError::Malformed {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// Line and column (1-based) of a byte offset, read back from the file on error.
fn locate(path: &Path, position: u64) -> (u64, u64) {
    let Ok(bytes) = std::fs::read(path) else {
        return (0, 0);
    };
    let end = (position as usize).min(bytes.len());
    let before = &bytes[..end];
    let line = before.iter().filter(|byte| **byte == b'\n').count() as u64 + 1;
    let column = before
        .iter()
        .rev()
        .take_while(|byte| **byte != b'\n')
        .count() as u64
        + 1;
    (line, column)
}

/// CIN dates are `xs:date`: `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    DateFormat::Iso.parse(text)
}

fn location(child: &Child, line: u64, element: &str) -> String {
    format!("line {line} (Child {}{element})", child.number)
}

fn emit_child(
    relative: &str,
    header: &Header,
    child: Child,
    seen: &mut HashSet<u128>,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let census_year = header.year.unwrap_or_default();
    let reference_date = header.reference_date.unwrap_or(NaiveDate::MIN);
    let la_code = header.la_code.clone().unwrap_or_default();
    let here = location(&child, child.line, "");
    let reject_all = |context: &mut Context, outcome: Outcome| {
        context.audit.count(relative, TABLE_CHILD, outcome);
        for _ in &child.disabilities {
            context.audit.count(relative, TABLE_DISABILITY, outcome);
        }
        for episode in &child.episodes {
            episode.count(relative, context, outcome);
        }
    };
    if child.la_child_id.is_empty() {
        context.audit.report(
            rules::REQUIRED_MISSING,
            relative,
            here,
            TABLE_CHILD,
            "`LAchildID` is empty: the child and its episodes are rejected",
            "LAchildID",
            None,
        );
        reject_all(context, Outcome::Rejected);
        return Ok(());
    }
    if !seen.insert(crate::context::compact_key(
        &child.la_child_id.trim().to_ascii_uppercase(),
    )) {
        context.audit.report(
            rules::DUPLICATE,
            relative,
            here,
            TABLE_CHILD,
            "the child appears twice in the return: the second is dropped",
            "LAchildID",
            None,
        );
        reject_all(context, Outcome::Deduplicated);
        return Ok(());
    }
    let birth_date = if child.birth_date.is_empty() {
        None
    } else {
        match parse_date(&child.birth_date) {
            Some(date) => Some(date),
            None => {
                context.audit.report(rules::DATE_INVALID, relative, here, TABLE_CHILD, "`PersonBirthDate` is not a date (YYYY-MM-DD): the child and its episodes are rejected", "PersonBirthDate", None);
                reject_all(context, Outcome::Rejected);
                return Ok(());
            }
        }
    };
    let mut warned = false;
    let pupil_id = if child.upn.is_empty() {
        None
    } else {
        match context.pupil_id(&child.upn) {
            Ok(id) => Some(id),
            Err(problem) => {
                context.audit.report(
                    rules::UPN_INVALID_LINK,
                    relative,
                    here.clone(),
                    TABLE_CHILD,
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
    // A previous UPN links the child to the pupil's records under it too (domain.md §1,
    // linking children to pupils; queries/cohorts/persons.sql).
    let former_pupil_id = if child.former_upn.is_empty() {
        None
    } else {
        match context.pupil_id(&child.former_upn) {
            Ok(id)
                if pupil_id
                    .as_ref()
                    .is_none_or(|current| current.as_str() != id.as_str()) =>
            {
                Some(id)
            }
            Ok(_) => None,
            Err(problem) => {
                context.audit.report(
                    rules::UPN_INVALID_LINK,
                    relative,
                    here.clone(),
                    TABLE_CHILD,
                    format!(
                        "`FormerUPN`: {}: the child is kept without a link through it",
                        problem.message()
                    ),
                    "FormerUPN",
                    None,
                );
                warned = true;
                None
            }
        }
    };
    // GenderCurrent up to the 2024 schema, Sex from 2025 (domain.md §5).
    let sex = match (&child.gender_current, &child.sex) {
        (Some(gender), _) => {
            if census_year >= 2025 {
                context.audit.report(
                    rules::SEX_SCHEMA,
                    relative,
                    here.clone(),
                    TABLE_CHILD,
                    format!(
                        "`GenderCurrent` is used in a {census_year} return, whose schema has `Sex`"
                    ),
                    "GenderCurrent",
                    Some(gender),
                );
                warned = true;
            }
            match gender.as_str() {
                "1" => Some("M"),
                "2" => Some("F"),
                "0" | "9" => Some("U"),
                other => {
                    context.audit.report(rules::CODE_UNKNOWN, relative, here.clone(), TABLE_CHILD, format!("`GenderCurrent` is `{other}`, not a code of `gender_current`: written as null"), "GenderCurrent", Some(other));
                    warned = true;
                    None
                }
            }
        }
        (None, Some(sex)) => {
            if census_year <= 2024 {
                context.audit.report(
                    rules::SEX_SCHEMA,
                    relative,
                    here.clone(),
                    TABLE_CHILD,
                    format!(
                        "`Sex` is used in a {census_year} return, whose schema has `GenderCurrent`"
                    ),
                    "Sex",
                    Some(sex),
                );
                warned = true;
            }
            match sex.as_str() {
                "M" | "F" | "U" => Some(sex.as_str()),
                other => {
                    context.audit.report(
                        rules::CODE_UNKNOWN,
                        relative,
                        here.clone(),
                        TABLE_CHILD,
                        format!("`Sex` is `{other}`, not M, F or U: written as null"),
                        "Sex",
                        Some(other),
                    );
                    warned = true;
                    None
                }
            }
        }
        (None, None) => None,
    };
    let ethnicity = context.checked_code(
        "ethnicity",
        &child.ethnicity,
        census_year,
        relative,
        &here,
        TABLE_CHILD,
        "Ethnicity",
        &mut warned,
    )?;
    let child_id = context.child_id(&la_code, &child.la_child_id);
    context.append(
        "cin_children",
        &[
            Value::Str(child_id.as_str()),
            Value::from(pupil_id.as_ref().map(|id| id.as_str())),
            Value::Str(&la_code),
            Value::Int32(census_year),
            Value::Date(reference_date),
            Value::from(birth_date.map(birth_month)),
            Value::from(sex),
            Value::from(ethnicity.as_deref()),
            Value::from(former_pupil_id.as_ref().map(|id| id.as_str())),
        ],
    )?;
    context
        .audit
        .count(relative, TABLE_CHILD, Outcome::kept(warned));

    emit_disabilities(relative, census_year, &child, &child_id, context)?;
    let mut referrals = HashSet::new();
    for (index, episode) in child.episodes.iter().enumerate() {
        let here = location_episode(child.number, episode.line, index);
        let reject_episode = |context: &mut Context, outcome: Outcome| {
            episode.count(relative, context, outcome);
        };
        let Some(referral) = parse_date(&episode.referral_date) else {
            let (message, rule) = if episode.referral_date.is_empty() {
                (
                    "`CINreferralDate` is empty: the episode and its plans are rejected"
                        .to_string(),
                    rules::REQUIRED_MISSING,
                )
            } else {
                (
                    format!(
                        "`CINreferralDate` is `{}`, not a date (YYYY-MM-DD): the episode and its plans are rejected",
                        episode.referral_date
                    ),
                    rules::DATE_INVALID,
                )
            };
            context.audit.report(
                rule,
                relative,
                here,
                TABLE_EPISODE,
                message,
                "CINreferralDate",
                Some(&episode.referral_date),
            );
            reject_episode(context, Outcome::Rejected);
            continue;
        };
        if !referrals.insert(referral) {
            context.audit.report(
                rules::DUPLICATE,
                relative,
                here,
                TABLE_EPISODE,
                format!("a second episode with referral date {referral}: dropped"),
                "CINreferralDate",
                Some(&episode.referral_date),
            );
            reject_episode(context, Outcome::Deduplicated);
            continue;
        }
        let closure = if episode.closure_date.is_empty() {
            None
        } else {
            match parse_date(&episode.closure_date) {
                Some(date) => Some(date),
                None => {
                    context.audit.report(rules::DATE_INVALID, relative, here, TABLE_EPISODE, format!("`CINclosureDate` is `{}`, not a date (YYYY-MM-DD): the episode and its plans are rejected", episode.closure_date), "CINclosureDate", Some(&episode.closure_date));
                    reject_episode(context, Outcome::Rejected);
                    continue;
                }
            }
        };
        if let Some(closed) = closure
            && closed < referral
        {
            context.audit.report(rules::CLOSURE_BEFORE_REFERRAL, relative, here, TABLE_EPISODE, format!("`CINclosureDate` {closed} is before `CINreferralDate` {referral}: the episode and its plans are rejected"), "CINclosureDate", Some(&episode.closure_date));
            reject_episode(context, Outcome::Rejected);
            continue;
        }
        let mut warned = false;
        let referral_nfa = if episode.referral_nfa.is_empty() {
            None
        } else {
            match parse_bool(&episode.referral_nfa) {
                Some(value) => Some(value),
                None => {
                    context.audit.report(
                        rules::CODE_UNKNOWN,
                        relative,
                        here.clone(),
                        TABLE_EPISODE,
                        format!(
                            "`ReferralNFA` is `{}`, not true, false, 1 or 0: written as null",
                            episode.referral_nfa
                        ),
                        "ReferralNFA",
                        Some(&episode.referral_nfa),
                    );
                    warned = true;
                    None
                }
            }
        };
        let source = context.checked_code(
            "referral_source",
            &episode.referral_source,
            census_year,
            relative,
            &here,
            TABLE_EPISODE,
            "ReferralSource",
            &mut warned,
        )?;
        let need = context.checked_code(
            "primary_need",
            &episode.primary_need,
            census_year,
            relative,
            &here,
            TABLE_EPISODE,
            "PrimaryNeedCode",
            &mut warned,
        )?;
        let reason = context.checked_code(
            "reason_for_closure",
            &episode.reason_for_closure,
            census_year,
            relative,
            &here,
            TABLE_EPISODE,
            "ReasonForClosure",
            &mut warned,
        )?;
        context.append(
            "cin_episodes",
            &[
                Value::Str(child_id.as_str()),
                Value::Int32(census_year),
                Value::Date(referral),
                Value::from(source.as_deref()),
                Value::from(need.as_deref()),
                Value::from(closure),
                Value::from(reason.as_deref()),
                Value::from(referral_nfa),
            ],
        )?;
        context
            .audit
            .count(relative, TABLE_EPISODE, Outcome::kept(warned));
        for (is_cpp, plans) in [
            (false, &episode.cin_plans),
            (true, &episode.protection_plans),
        ] {
            let table = if is_cpp { TABLE_CPP } else { TABLE_PLAN };
            let (start_field, end_field) = if is_cpp {
                ("CPPstartDate", "CPPendDate")
            } else {
                ("CINPlanStartDate", "CINPlanEndDate")
            };
            let mut starts = HashSet::new();
            for plan in plans {
                let here = format!(
                    "line {} (Child {} / {})",
                    plan.line,
                    child.number,
                    if is_cpp {
                        "ChildProtectionPlans"
                    } else {
                        "CINPlanDates"
                    }
                );
                let drop_reviews = |context: &mut Context, outcome: Outcome| {
                    for _ in &plan.reviews {
                        context.audit.count(relative, TABLE_REVIEW, outcome);
                    }
                };
                let Some(start) = parse_date(&plan.start) else {
                    let rule = if plan.start.is_empty() {
                        rules::REQUIRED_MISSING
                    } else {
                        rules::DATE_INVALID
                    };
                    context.audit.reject(rule, relative, here, table, format!("`{start_field}` is `{}`, not a date (YYYY-MM-DD): the plan is rejected", plan.start), start_field, Some(&plan.start));
                    drop_reviews(context, Outcome::Rejected);
                    continue;
                };
                let end = if plan.end.is_empty() {
                    None
                } else if let Some(end) = parse_date(&plan.end) {
                    Some(end)
                } else {
                    context.audit.reject(
                        rules::DATE_INVALID,
                        relative,
                        here,
                        table,
                        format!(
                            "`{end_field}` is `{}`, not a date (YYYY-MM-DD): the plan is rejected",
                            plan.end
                        ),
                        end_field,
                        Some(&plan.end),
                    );
                    drop_reviews(context, Outcome::Rejected);
                    continue;
                };
                if let Some(end) = end
                    && end < start
                {
                    context.audit.reject(rules::PLAN_END_BEFORE_START, relative, here, table, format!("`{end_field}` {end} is before `{start_field}` {start}: the plan is rejected"), end_field, Some(&plan.end));
                    drop_reviews(context, Outcome::Rejected);
                    continue;
                }
                if !starts.insert(start) {
                    context.audit.report(
                        rules::DUPLICATE,
                        relative,
                        here,
                        table,
                        format!("a second plan starting {start} in the episode: dropped"),
                        start_field,
                        Some(&plan.start),
                    );
                    context.audit.count(relative, table, Outcome::Deduplicated);
                    drop_reviews(context, Outcome::Deduplicated);
                    continue;
                }
                if is_cpp {
                    let mut warned = false;
                    let initial = context.checked_code(
                        "category_of_abuse",
                        &plan.initial_category,
                        census_year,
                        relative,
                        &here,
                        table,
                        "InitialCategoryOfAbuse",
                        &mut warned,
                    )?;
                    let latest = context.checked_code(
                        "category_of_abuse",
                        &plan.latest_category,
                        census_year,
                        relative,
                        &here,
                        table,
                        "LatestCategoryOfAbuse",
                        &mut warned,
                    )?;
                    emit_reviews(
                        relative,
                        census_year,
                        &child_id,
                        (child.number, referral, start),
                        plan,
                        context,
                    )?;
                    context.append(
                        "cin_child_protection_plans",
                        &[
                            Value::Str(child_id.as_str()),
                            Value::Int32(census_year),
                            Value::Date(referral),
                            Value::Date(start),
                            Value::from(end),
                            Value::from(initial.as_deref()),
                            Value::from(latest.as_deref()),
                        ],
                    )?;
                    context.audit.count(relative, table, Outcome::kept(warned));
                } else {
                    context.append(
                        "cin_plans",
                        &[
                            Value::Str(child_id.as_str()),
                            Value::Int32(census_year),
                            Value::Date(referral),
                            Value::Date(start),
                            Value::from(end),
                        ],
                    )?;
                    context.audit.count(relative, table, Outcome::Accepted);
                }
            }
        }
        emit_blocks(
            relative,
            census_year,
            &child_id,
            (child.number, referral),
            episode,
            context,
        )?;
    }
    Ok(())
}

fn location_episode(child: u64, line: u64, index: usize) -> String {
    format!("line {line} (Child {child} / CINdetails {})", index + 1)
}

/// Where a child's record sits: its number in the file, and the episode's referral date.
type EpisodeKey = (u64, NaiveDate);

fn emit_disabilities(
    relative: &str,
    census_year: i32,
    child: &Child,
    child_id: &ChildId,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let mut seen = HashSet::new();
    for (line, code) in &child.disabilities {
        let here = format!("line {line} (Child {} / Disability)", child.number);
        let mut row = Row::new(
            context,
            relative,
            TABLE_DISABILITY,
            here,
            census_year,
            DateFormat::Iso,
        );
        settle((|| {
            let text = row.required("Disability", code)?;
            if !seen.insert(text.to_ascii_uppercase()) {
                return Err(row.duplicate(
                    "the disability is recorded twice for the child: dropped",
                    "Disability",
                ));
            }
            let disability = row.code("disability", "Disability", text)?;
            row.accept(
                "cin_disabilities",
                &[
                    Value::Str(child_id.as_str()),
                    Value::Int32(census_year),
                    Value::from(disability),
                ],
            )
        })())?;
    }
    Ok(())
}

fn emit_reviews(
    relative: &str,
    census_year: i32,
    child_id: &ChildId,
    (child, referral, plan_start): (u64, NaiveDate, NaiveDate),
    plan: &Plan,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let mut seen = HashSet::new();
    for (line, text) in &plan.reviews {
        let here = format!("line {line} (Child {child} / ChildProtectionPlans / Reviews)");
        let mut row = Row::new(
            context,
            relative,
            TABLE_REVIEW,
            here,
            census_year,
            DateFormat::Iso,
        );
        settle((|| {
            let review = row.required_date("CPPreviewDate", text)?;
            if !seen.insert(review) {
                return Err(row.duplicate(
                    format!("a second review of the plan on {review}: dropped"),
                    "CPPreviewDate",
                ));
            }
            if review < plan_start {
                row.warn(
                    rules::CPP_REVIEW_BEFORE_START,
                    format!("`CPPreviewDate` {review} is before `CPPstartDate` {plan_start}"),
                    "CPPreviewDate",
                    Some(text),
                );
            }
            row.accept(
                "cin_cpp_reviews",
                &[
                    Value::Str(child_id.as_str()),
                    Value::Int32(census_year),
                    Value::Date(referral),
                    Value::Date(plan_start),
                    Value::Date(review),
                ],
            )
        })())?;
    }
    Ok(())
}

/// Assessments (with their factors), section 47 enquiries and pre-proceedings.
fn emit_blocks(
    relative: &str,
    census_year: i32,
    child_id: &ChildId,
    (child, referral): EpisodeKey,
    episode: &Episode,
    context: &mut Context,
) -> Result<(), ExtractError> {
    let id = Value::Str(child_id.as_str());
    let year = Value::Int32(census_year);
    let mut starts = HashSet::new();
    for block in &episode.assessments {
        let here = format!("line {} (Child {child} / Assessments)", block.line);
        let mut row = Row::new(
            context,
            relative,
            TABLE_ASSESSMENT,
            here,
            census_year,
            DateFormat::Iso,
        );
        let mut start_date = None;
        let mut dropped_as = Outcome::Rejected;
        settle((|| {
            let start = row.required_date(
                "AssessmentActualStartDate",
                block.get("AssessmentActualStartDate"),
            )?;
            let review = row.date(
                "AssessmentInternalReviewDate",
                block.get("AssessmentInternalReviewDate"),
                false,
            )?;
            let authorised = row.date(
                "AssessmentAuthorisationDate",
                block.get("AssessmentAuthorisationDate"),
                false,
            )?;
            row.ordered(
                rules::ASSESSMENT_AUTHORISED_BEFORE_START,
                ("AssessmentActualStartDate", start),
                ("AssessmentAuthorisationDate", authorised),
            )?;
            if !starts.insert(start) {
                dropped_as = Outcome::Deduplicated;
                return Err(row.duplicate(
                    format!("a second assessment starting {start} in the episode: dropped"),
                    "AssessmentActualStartDate",
                ));
            }
            start_date = Some(start);
            row.accept(
                "cin_assessments",
                &[
                    id.clone(),
                    year.clone(),
                    Value::Date(referral),
                    Value::Date(start),
                    Value::from(review),
                    Value::from(authorised),
                ],
            )
        })())?;
        let Some(start) = start_date else {
            // The assessment's own reject row says why; its factors go with it.
            for _ in &block.list {
                context.audit.count(relative, TABLE_FACTOR, dropped_as);
            }
            continue;
        };
        let mut factors = HashSet::new();
        for (line, code) in &block.list {
            let here = format!("line {line} (Child {child} / Assessments / AssessmentFactors)");
            let mut row = Row::new(
                context,
                relative,
                TABLE_FACTOR,
                here,
                census_year,
                DateFormat::Iso,
            );
            settle((|| {
                let text = row.required("AssessmentFactors", code)?;
                if !factors.insert(text.to_ascii_uppercase()) {
                    return Err(row.duplicate(
                        "the factor is recorded twice for the assessment: dropped",
                        "AssessmentFactors",
                    ));
                }
                let factor = row.code("assessment_factors", "AssessmentFactors", text)?;
                row.accept(
                    "cin_assessment_factors",
                    &[
                        id.clone(),
                        year.clone(),
                        Value::Date(referral),
                        Value::Date(start),
                        Value::from(factor),
                    ],
                )
            })())?;
        }
    }
    let mut starts = HashSet::new();
    for block in &episode.section47 {
        let here = format!("line {} (Child {child} / Section47)", block.line);
        let mut row = Row::new(
            context,
            relative,
            TABLE_S47,
            here,
            census_year,
            DateFormat::Iso,
        );
        settle((|| {
            let start = row.required_date("S47ActualStartDate", block.get("S47ActualStartDate"))?;
            let target = row.date("InitialCPCtarget", block.get("InitialCPCtarget"), false)?;
            let conference = row.date("DateOfInitialCPC", block.get("DateOfInitialCPC"), false)?;
            let not_required = row.boolean("ICPCnotRequired", block.get("ICPCnotRequired"))?;
            if !starts.insert(start) {
                return Err(row.duplicate(
                    format!("a second section 47 enquiry starting {start} in the episode: dropped"),
                    "S47ActualStartDate",
                ));
            }
            row.accept(
                "cin_section47_enquiries",
                &[
                    id.clone(),
                    year.clone(),
                    Value::Date(referral),
                    Value::Date(start),
                    Value::from(target),
                    Value::from(conference),
                    Value::from(not_required),
                ],
            )
        })())?;
    }
    for block in &episode.pre_proceedings {
        let here = format!(
            "line {} (Child {child} / PreProceedingsandFGDM)",
            block.line
        );
        let mut row = Row::new(
            context,
            relative,
            TABLE_PRE_PROCEEDINGS,
            here,
            census_year,
            DateFormat::Iso,
        );
        settle((|| {
            let mut dates = Vec::new();
            for name in [
                "PPStartDate",
                "LBPSentDate",
                "InitialPPMeetingDate",
                "StepDecisionDate",
                "CourtAppDate",
                "LetterInitCPDate",
            ] {
                dates.push(row.date(name, block.get(name), false)?);
            }
            let offer = row.boolean("FGDMMeetingOffer", block.get("FGDMMeetingOffer"))?;
            let facilitated = row.boolean("FGDMMeetingFac", block.get("FGDMMeetingFac"))?;
            let reviews = row.int(
                "ReviewMeetingsCount",
                block.get("ReviewMeetingsCount"),
                Some(0),
            )?;
            let outcome = block.get("PPOutcome");
            row.accept(
                "cin_pre_proceedings_fgdm",
                &[
                    id.clone(),
                    year.clone(),
                    Value::Date(referral),
                    Value::from(dates[0]),
                    Value::from(dates[1]),
                    Value::from(offer),
                    Value::from(facilitated),
                    Value::from(dates[2]),
                    Value::from(reviews),
                    Value::from(dates[3]),
                    Value::from((!outcome.is_empty()).then_some(outcome)),
                    Value::from(dates[4]),
                    Value::from(dates[5]),
                ],
            )
        })())?;
    }
    Ok(())
}

/// The names of the open elements, in one buffer: reading allocates nothing per element.
#[derive(Default)]
struct NameStack {
    names: String,
    ends: Vec<usize>,
}

impl NameStack {
    fn push(&mut self, name: &str) {
        self.names.push_str(name);
        self.ends.push(self.names.len());
    }

    fn pop(&mut self) {
        self.ends.pop();
        self.names.truncate(self.ends.last().copied().unwrap_or(0));
    }

    /// The name `depth` elements above the innermost (0: the innermost).
    fn get(&self, depth: usize) -> Option<&str> {
        let index = self.ends.len().checked_sub(depth + 1)?;
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        self.names.get(start..self.ends[index])
    }

    fn last(&self) -> Option<&str> {
        self.get(0)
    }

    fn parent(&self) -> &str {
        self.get(1).unwrap_or("")
    }
}
