//! What screening returns: one [`Outcome`] per check run, gathered in a [`Report`].

use std::fmt;

/// A check's result, as the screener grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The check passed.
    Pass,
    /// Advisory: the file publishes, but is not suitable for the EES API until resolved.
    Warning,
    /// The file cannot be published; screening stops after this stage.
    Fail,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Pass => "PASS",
            Level::Warning => "WARNING",
            Level::Fail => "FAIL",
        })
    }
}

/// The screener's stages, in the order `screen_filenames()` then `screen_dfs()` run
/// them. A stage with a FAIL stops screening: later stages are not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// `screen_filenames()`: the two file names.
    Filename,
    /// Required and invalid columns, and the data/meta shape.
    PrecheckColumns,
    /// Every filter in the metadata is in the data, and the reverse.
    PrecheckCrossFile,
    /// Column-name conventions.
    CheckColumns,
    /// The metadata's basic validity (types, no observational units, names present).
    PrecheckMeta,
    /// The metadata's fields, row by row.
    CheckMeta,
    /// `time_period` is numeric and `time_identifier` valid and unmixed.
    PrecheckTime,
    /// Every filter has two or more levels.
    PrecheckFilters,
    /// `geographic_level` is valid and its columns are present.
    PrecheckGeography,
    /// `time_period` agrees with `time_identifier`.
    CheckTime,
    /// Filter defaults, groups, limits, whitespace, totals and blanks.
    CheckFilters,
    /// Location code/name lookups and the completeness of geography columns.
    CheckGeography,
    /// Duplicate rows and null symbols.
    CheckGeneral,
    /// Indicator cells.
    CheckIndicators,
    /// DfE harmonised variable names and GSS ethnicity values.
    CheckHarmonised,
    /// EES API character limits and the EES data dictionary.
    CheckApi,
}

impl Stage {
    /// Every stage, in running order.
    pub const ALL: [Stage; 16] = [
        Stage::Filename,
        Stage::PrecheckColumns,
        Stage::PrecheckCrossFile,
        Stage::CheckColumns,
        Stage::PrecheckMeta,
        Stage::CheckMeta,
        Stage::PrecheckTime,
        Stage::PrecheckFilters,
        Stage::PrecheckGeography,
        Stage::CheckTime,
        Stage::CheckFilters,
        Stage::CheckGeography,
        Stage::CheckGeneral,
        Stage::CheckIndicators,
        Stage::CheckHarmonised,
        Stage::CheckApi,
    ];

    /// The stage's name as the R screener labels it in its results table.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Filename => "filename",
            Stage::PrecheckColumns => "Precheck columns",
            Stage::PrecheckCrossFile => "Precheck cross-file",
            Stage::CheckColumns => "Check columns",
            Stage::PrecheckMeta => "Precheck meta",
            Stage::CheckMeta => "Check meta",
            Stage::PrecheckTime => "Precheck time",
            Stage::PrecheckFilters => "Precheck filters",
            Stage::PrecheckGeography => "Precheck geography",
            Stage::CheckTime => "Check time",
            Stage::CheckFilters => "Check filters",
            Stage::CheckGeography => "Check geography",
            Stage::CheckGeneral => "Check general",
            Stage::CheckIndicators => "Check indicators",
            Stage::CheckHarmonised => "Check harmonised",
            Stage::CheckApi => "Check API",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The screener's name for the check, e.g. `geog_la_combos` (see [`crate::CHECKS`]).
    pub check: &'static str,
    /// The stage the check belongs to.
    pub stage: Stage,
    /// PASS, WARNING or FAIL.
    pub level: Level,
    /// What was found, naming the columns or values concerned.
    pub message: String,
}

/// Every outcome of one screening, in running order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// One outcome per check run.
    pub outcomes: Vec<Outcome>,
    /// The stage whose FAIL stopped screening, if one did; the stages after it were not run.
    pub stopped_after: Option<Stage>,
}

impl Report {
    /// The outcomes that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.level == Level::Fail)
    }

    /// The outcomes that warned.
    pub fn warnings(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.level == Level::Warning)
    }

    /// No FAIL and no WARNING: the files publish and suit the EES API.
    pub fn is_clean(&self) -> bool {
        self.outcomes.iter().all(|o| o.level == Level::Pass)
    }

    /// The outcome of the named check, if it ran.
    pub fn outcome(&self, check: &str) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.check == check)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut flagged = 0;
        for outcome in self.outcomes.iter().filter(|o| o.level != Level::Pass) {
            flagged += 1;
            writeln!(
                f,
                "{} [{}] {}: {}",
                outcome.level, outcome.stage, outcome.check, outcome.message
            )?;
        }
        if let Some(stage) = self.stopped_after {
            let skipped: Vec<&str> = Stage::ALL
                .iter()
                .filter(|s| **s > stage)
                .map(|s| s.name())
                .collect();
            if skipped.is_empty() {
                writeln!(f, "screening stopped after stage `{stage}` failed")?;
            } else {
                writeln!(
                    f,
                    "screening stopped after stage `{stage}` failed; not run: {}",
                    skipped.join(", ")
                )?;
            }
        } else if flagged == 0 {
            writeln!(f, "all {} checks passed", self.outcomes.len())?;
        }
        Ok(())
    }
}
