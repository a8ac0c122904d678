//! What every reader shares: the pseudonymiser, the dictionary, the audit and the
//! warehouse tables being built.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use cwsw_dictionary::{Dictionary, upn};

use crate::ExtractError;
use crate::key::{ChildId, Pseudonymiser, PupilId};
use crate::rules::{self, Audit};
use crate::school_census::ExclusionRow;
use crate::warehouse::{TableWriter, Value};

/// The warehouse tables extract writes, in order.
pub(crate) const WAREHOUSE_TABLES: &[&str] = &[
    "cin_children",
    "cin_episodes",
    "cin_plans",
    "cin_child_protection_plans",
    "care_children",
    "care_episodes",
    "pupil_terms",
    "cin_disabilities",
    "cin_assessments",
    "cin_assessment_factors",
    "cin_section47_enquiries",
    "cin_cpp_reviews",
    "cin_pre_proceedings_fgdm",
    "care_uasc",
    "care_reviews",
    "care_missing",
    "exclusions",
    "fsm_periods",
    "sen_needs",
    "ks2_attainment",
    "ks4_attainment",
    "ehe_episodes",
    "schools",
];

pub(crate) struct Context<'a> {
    pseudonymiser: &'a Pseudonymiser,
    pub(crate) dictionary: &'a Dictionary,
    pub(crate) audit: Audit,
    tables: BTreeMap<&'static str, TableWriter>,
    /// The LA code the returns belong to: given, or read from the CIN headers.
    pub(crate) la_code: Option<String>,
    la_code_source: Option<String>,
    /// Pupil-file bytes of a school census read in one pass.
    pub(crate) census_slice_bytes: u64,
    /// Exclusions read, for extract to de-duplicate across censuses in census order.
    pub(crate) deferred_exclusions: Vec<ExclusionRow>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        pseudonymiser: &'a Pseudonymiser,
        dictionary: &'a Dictionary,
        la_code: Option<String>,
        parts: Option<(&std::path::Path, usize)>,
    ) -> Result<Self, ExtractError> {
        let mut tables = BTreeMap::new();
        for name in WAREHOUSE_TABLES {
            let schema = dictionary
                .table(name)
                .map_err(|error| ExtractError::Internal(error.to_string()))?
                .arrow_schema();
            tables.insert(
                *name,
                TableWriter::new(
                    parts.map(|(staging, job)| part_path(staging, name, job)),
                    name,
                    schema,
                ),
            );
        }
        Ok(Self {
            pseudonymiser,
            dictionary,
            audit: Audit::default(),
            tables,
            la_code_source: la_code.as_ref().map(|_| "--la".to_string()),
            la_code,
            deferred_exclusions: Vec::new(),
            census_slice_bytes: 32 << 20,
        })
    }

    pub(crate) fn append(&mut self, table: &str, row: &[Value]) -> Result<(), ExtractError> {
        self.tables
            .get_mut(table)
            .ok_or_else(|| ExtractError::Internal(format!("no warehouse table `{table}`")))?
            .append(row)
    }

    pub(crate) fn into_parts(
        self,
    ) -> (
        Audit,
        BTreeMap<&'static str, TableWriter>,
        Vec<ExclusionRow>,
    ) {
        (self.audit, self.tables, self.deferred_exclusions)
    }

    /// The pupil id of a UPN as written, if it is valid.
    pub(crate) fn pupil_id(&self, raw: &str) -> Result<PupilId, upn::UpnProblem> {
        let normalised = upn::normalise(raw);
        upn::validate(&normalised)?;
        Ok(self.pseudonymiser.pupil_id(&normalised))
    }

    pub(crate) fn child_id(&self, la_code: &str, la_child_id: &str) -> ChildId {
        self.pseudonymiser.child_id(la_code, la_child_id)
    }

    /// The LA code a return of this job declared, and which return, if one did.
    pub(crate) fn noted_la_code(&self) -> Option<(String, String)> {
        let source = self.la_code_source.clone()?;
        (source != "--la").then(|| (self.la_code.clone().unwrap_or_default(), source))
    }

    /// Records the LA code a return declares; all returns must agree.
    pub(crate) fn note_la_code(&mut self, code: &str, source: &str) -> Result<(), ExtractError> {
        match &self.la_code {
            None => {
                self.la_code = Some(code.to_string());
                self.la_code_source = Some(source.to_string());
                Ok(())
            }
            Some(known) if known == code => Ok(()),
            Some(known) => Err(ExtractError::LaCodeMismatch {
                first: known.clone(),
                first_source: self.la_code_source.clone().unwrap_or_default(),
                second: code.to_string(),
                second_source: source.to_string(),
            }),
        }
    }

    /// A code checked against its code list for the schema year: kept if known,
    /// reported and nulled if not, `None` if empty.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn checked_code(
        &mut self,
        list: &str,
        code: &str,
        year: i32,
        source_file: &str,
        location: &str,
        table: &str,
        field: &str,
        warned: &mut bool,
    ) -> Result<Option<String>, ExtractError> {
        let code = code.trim();
        if code.is_empty() {
            return Ok(None);
        }
        let code_list = self
            .dictionary
            .code_list(list)
            .map_err(|error| ExtractError::Internal(error.to_string()))?;
        if code_list.lookup(code, year).is_some() {
            return Ok(Some(code.to_string()));
        }
        self.audit.report(
            rules::CODE_UNKNOWN,
            source_file,
            location,
            table,
            format!("`{field}` is `{code}`, not a code of `{list}` in {year}: written as null"),
            field,
            Some(code),
        );
        *warned = true;
        Ok(None)
    }
}

/// A 128-bit key of any hashable value, from two SipHash passes: the de-duplication
/// sets and census maps hold these rather than strings, so they stay compact.
pub(crate) fn compact_key(value: &impl std::hash::Hash) -> u128 {
    use std::hash::{DefaultHasher, Hasher};
    let mut halves = [0u64; 2];
    for (salt, half) in halves.iter_mut().enumerate() {
        let mut hasher = DefaultHasher::new();
        hasher.write_usize(salt);
        value.hash(&mut hasher);
        *half = hasher.finish();
    }
    (u128::from(halves[0]) << 64) | u128::from(halves[1])
}

/// Where a job writes its rows of a warehouse table: one folder per table, one file per
/// job, named by the job's place in the sorted inputs so the bytes never depend on
/// which thread ran it.
pub(crate) fn part_path(staging: &std::path::Path, table: &str, job: usize) -> std::path::PathBuf {
    staging.join(table).join(format!("part-{job:05}.parquet"))
}

/// A date of birth or death reduced to the first of its month (domain.md §7).
pub(crate) fn birth_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// Booleans in every spelling the returns use: true/false, TRUE/FALSE, 1/0 (domain.md §5).
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "TRUE" | "True" | "1" => Some(true),
        "false" | "FALSE" | "False" | "0" => Some(false),
        _ => None,
    }
}
