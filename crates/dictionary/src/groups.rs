//! The social care group labels other crates name in code, as typed values: the labels
//! are DfE's (domain.md §1) and the cohort query's header lists every one; a test in the
//! estimates crate checks that each label here is among them.

/// A social care group's label, exactly as DfE prints it (`CINO at 31 March`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupLabel(&'static str);

impl GroupLabel {
    /// The label's text.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for GroupLabel {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.0)
    }
}

impl PartialEq<str> for GroupLabel {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// Every pupil on a school census in the year: the comparison every group is in.
pub const ALL_PUPILS: GroupLabel = GroupLabel("All pupils comparison");
/// Children in need at 31 March, neither on a plan nor looked after.
pub const CINO: GroupLabel = GroupLabel("CINO at 31 March");
/// On a child protection plan at 31 March, not looked after.
pub const CPPO: GroupLabel = GroupLabel("CPPO at 31 March");
/// Looked after at 31 March, continuously for 12 months.
pub const CLA_12_MONTHS: GroupLabel = GroupLabel("CLA 12 months at 31 March");

/// The groups of the evaluation's confirmatory family (the difference in differences of
/// each confirmatory outcome for CINO, CPPO and CLA 12 months).
pub const CONFIRMATORY_GROUPS: [GroupLabel; 3] = [CINO, CPPO, CLA_12_MONTHS];
