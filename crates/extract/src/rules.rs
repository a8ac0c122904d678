//! Validation rules with stable ids, the rejects they produce and the ledger that
//! accounts for every row.

use std::collections::BTreeMap;

/// How bad a rule break is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The row is rejected.
    Error,
    /// The row is kept and the break logged.
    Warning,
}

impl Severity {
    /// As written in the rejects table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// A validation rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable id, e.g. `SC-UPN-CHECK`.
    pub id: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What the rule checks.
    pub description: &'static str,
    /// The DfE validation rule it mirrors, where there is one.
    pub mirrors: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $severity:ident, $description:literal, $mirrors:literal;)*) => {
        $(
            #[doc = $description]
            pub const $name: Rule = Rule { id: $id, severity: Severity::$severity, description: $description, mirrors: $mirrors };
        )*
        /// Every rule, for documentation and reports.
        pub const ALL: &[Rule] = &[$($name),*];
    };
}

rules! {
    UPN_INVALID = "UPN-INVALID", Error, "UPN is not 13 characters of the right shape or has the wrong check letter", "CIN 1510, 1530, 1540, 1550; school census 1510";
    UPN_INVALID_LINK = "UPN-INVALID-LINK", Warning, "a UPN that links records (a social-care record's UPN, a former UPN) is invalid: the row is kept but not linked through it", "CIN 1510";
    DATE_INVALID = "DATE-INVALID", Error, "a date field does not hold a date in the return's format", "";
    REQUIRED_MISSING = "REQUIRED-MISSING", Error, "a required field is empty", "";
    CODE_UNKNOWN = "CODE-UNKNOWN", Warning, "a code is not in the code list for that schema year: the row is kept with the value written as null", "";
    CLOSURE_BEFORE_REFERRAL = "CIN-CLOSURE-BEFORE-REFERRAL", Error, "CINclosureDate is before CINreferralDate", "CIN 8630";
    PLAN_END_BEFORE_START = "CIN-PLAN-END-BEFORE-START", Error, "a CIN plan or child protection plan ends before it starts", "CIN 4011 (CIN plans), CIN 8925 (child protection plans)";
    EPISODE_END_BEFORE_START = "903-DEC-BEFORE-DECOM", Error, "an episode of care ends (DEC) before it starts (DECOM)", "SSDA903 356";
    SESSIONS_NEGATIVE = "SC-SESSIONS-NEGATIVE", Error, "a session count is negative or not a whole number", "";
    ABSENCE_ABOVE_POSSIBLE = "SC-ABSENCE-ABOVE-POSSIBLE", Error, "authorised plus unauthorised absence exceeds possible sessions", "";
    ATTENDANCE_CODE = "SC-ATTENDANCE-CODE", Error, "a session-reason row's attendance code is not valid for the census year: its sessions are not counted", "school census attendance codes (2024 regulations)";
    DUPLICATE = "DUPLICATE", Error, "the row repeats one already read (same child and referral date, or same pupil, term and school)", "CIN 8510 (a child twice); none for repeated episodes or pupil rows";
    SEX_SCHEMA = "CIN-SEX-SCHEMA", Warning, "GenderCurrent used in a 2025 or later return, or Sex before 2025", "CIN 2025 schema";
    VALUE_INVALID = "VALUE-INVALID", Error, "a number, boolean or academic year field does not hold a value of its type", "";
    ASSESSMENT_AUTHORISED_BEFORE_START = "CIN-ASSESSMENT-AUTHORISED-BEFORE-START", Error, "an assessment is authorised before it starts", "CIN 8608";
    CPP_REVIEW_BEFORE_START = "CIN-CPP-REVIEW-BEFORE-START", Warning, "a child protection plan review is dated before the plan starts", "CIN 8841 (which also flags a review on the start day)";
    MISSING_END_BEFORE_START = "903-MIS-END-BEFORE-START", Error, "a missing episode ends (MIS_END) before it starts (MIS_START)", "SSDA903 567";
    FSM_END_BEFORE_START = "SC-FSM-END-BEFORE-START", Error, "a free-school-meal period ends before it starts", "";
    PUPIL_LINK = "SC-PUPIL-LINK", Error, "an exclusion, FSM or SEN row names a pupil row (table id and school) that is not in the same census", "";
    EHE_END_BEFORE_START = "EHE-END-BEFORE-START", Error, "a spell of elective home education ends before it starts", "";
}

/// One rejected or warned row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Input file relative to the input folder.
    pub source_file: String,
    /// Line (CSV) or element path (XML).
    pub location: String,
    /// Source table.
    pub source_table: String,
    /// The rule broken.
    pub rule_id: &'static str,
    /// error or warning.
    pub severity: Severity,
    /// What is wrong, never quoting an identifier.
    pub message: String,
    /// The field at fault.
    pub field: Option<String>,
    /// The offending value, only when the field is not an identifier.
    pub value: Option<String>,
}

/// Counts for one input file and source table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Rows read.
    pub read: u64,
    /// Rows written.
    pub accepted: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Accepted rows with a warning.
    pub warned: u64,
    /// Rows dropped as duplicates.
    pub deduplicated: u64,
}

impl LedgerEntry {
    /// Read = accepted + rejected + de-duplicated.
    pub fn balances(&self) -> bool {
        self.read == self.accepted + self.rejected + self.deduplicated
    }
}

/// Per (file, table) counts.
pub type Ledger = BTreeMap<(String, String), LedgerEntry>;

/// What a row came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written.
    Accepted,
    /// Written, with warnings.
    Warned,
    /// Rejected.
    Rejected,
    /// Dropped as a duplicate.
    Deduplicated,
}

impl Outcome {
    /// A row that was written: with warnings or without.
    pub fn kept(warned: bool) -> Self {
        if warned { Self::Warned } else { Self::Accepted }
    }
}

/// Collects rejects and the ledger while readers run.
#[derive(Debug, Default)]
pub struct Audit {
    /// Rejected and warned rows.
    pub rejects: Vec<Reject>,
    /// The ledger, without the entries still in `hot`.
    ledger: Ledger,
    /// The entries being counted now: a reader counts millions of rows against a few
    /// (file, table) pairs, so they are found here without allocating a key.
    hot: Vec<((String, String), LedgerEntry)>,
}

impl Audit {
    /// Records a rule break.
    #[allow(clippy::too_many_arguments)]
    pub fn report(
        &mut self,
        rule: Rule,
        source_file: &str,
        location: impl Into<String>,
        source_table: &str,
        message: impl Into<String>,
        field: &str,
        value: Option<&str>,
    ) {
        self.rejects.push(Reject {
            source_file: source_file.to_string(),
            location: location.into(),
            source_table: source_table.to_string(),
            rule_id: rule.id,
            severity: rule.severity,
            message: message.into(),
            field: (!field.is_empty()).then(|| field.to_string()),
            value: value.map(str::to_string),
        });
    }

    /// Records an error-rule break and counts the row as rejected.
    #[allow(clippy::too_many_arguments)]
    pub fn reject(
        &mut self,
        rule: Rule,
        source_file: &str,
        location: impl Into<String>,
        source_table: &str,
        message: impl Into<String>,
        field: &str,
        value: Option<&str>,
    ) {
        self.report(
            rule,
            source_file,
            location,
            source_table,
            message,
            field,
            value,
        );
        self.count(source_file, source_table, Outcome::Rejected);
    }

    fn entry(&mut self, source_file: &str, source_table: &str) -> &mut LedgerEntry {
        let position = self
            .hot
            .iter()
            .position(|((file, table), _)| file == source_file && table == source_table);
        let index = match position {
            Some(index) => index,
            None => {
                if self.hot.len() >= 16 {
                    self.cool();
                }
                let key = (source_file.to_string(), source_table.to_string());
                let entry = self.ledger.remove(&key).unwrap_or_default();
                self.hot.push((key, entry));
                self.hot.len() - 1
            }
        };
        &mut self.hot[index].1
    }

    /// Moves the hot entries into the ledger.
    fn cool(&mut self) {
        for (key, entry) in self.hot.drain(..) {
            self.ledger.insert(key, entry);
        }
    }

    /// The ledger so far.
    pub fn ledger(&mut self) -> &Ledger {
        self.cool();
        &self.ledger
    }

    /// The rejects and the finished ledger.
    pub fn finish(mut self) -> (Vec<Reject>, Ledger) {
        self.cool();
        (self.rejects, self.ledger)
    }

    /// Counts one row read and what came of it.
    pub fn count(&mut self, source_file: &str, source_table: &str, outcome: Outcome) {
        let entry = self.entry(source_file, source_table);
        entry.read += 1;
        match outcome {
            Outcome::Accepted => entry.accepted += 1,
            Outcome::Warned => {
                entry.accepted += 1;
                entry.warned += 1;
            }
            Outcome::Rejected => entry.rejected += 1,
            Outcome::Deduplicated => entry.deduplicated += 1,
        }
    }

    /// Ensures a file and table appear in the ledger even when they hold no rows.
    pub fn touch(&mut self, source_file: &str, source_table: &str) {
        self.entry(source_file, source_table);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dictionary documents every rule exactly as the code applies it.
    #[test]
    fn the_dictionary_documents_every_rule() {
        let dictionary = cwsw_dictionary::Dictionary::embedded().expect("dictionary");
        let documented: Vec<(String, String, String, String)> = dictionary
            .rules()
            .iter()
            .map(|rule| {
                (
                    rule.id.clone(),
                    rule.severity.clone(),
                    rule.message.clone(),
                    rule.mirrors.clone(),
                )
            })
            .collect();
        let applied: Vec<(String, String, String, String)> = ALL
            .iter()
            .map(|rule| {
                (
                    rule.id.to_string(),
                    rule.severity.name().to_string(),
                    rule.description.to_string(),
                    rule.mirrors.to_string(),
                )
            })
            .collect();
        assert_eq!(documented, applied);
    }
}
