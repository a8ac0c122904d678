//! Checks of one input row, field by field: each failed check is reported with its
//! rule id and counts the row as rejected, so a reader's row function can stop with `?`.

use chrono::NaiveDate;

use crate::ExtractError;
use crate::context::Context;
use crate::key::PupilId;
use crate::rules::{self, Outcome, Rule};
use crate::warehouse::Value;

/// Why a row function stopped.
#[derive(Debug)]
pub(crate) enum RowError {
    /// The row broke an error rule; it has been reported and counted.
    Rejected,
    /// Extract cannot go on.
    Fatal(ExtractError),
}

impl From<ExtractError> for RowError {
    fn from(error: ExtractError) -> Self {
        Self::Fatal(error)
    }
}

/// Runs a row function: a rejected row is done with, a fatal error stops the reader.
pub(crate) fn settle(result: Result<(), RowError>) -> Result<(), ExtractError> {
    match result {
        Ok(()) | Err(RowError::Rejected) => Ok(()),
        Err(RowError::Fatal(error)) => Err(error),
    }
}

/// How a return writes its dates (domain.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateFormat {
    /// `YYYY-MM-DD` (CIN census `xs:date`).
    Iso,
    /// `dd/mm/YYYY` (SSDA903), also accepting `YYYY-MM-DD`.
    DayMonthYear,
    /// `YYYY-Mon-DD HH:MM:SS` (school census extracts), also accepting `YYYY-MM-DD`.
    Census,
}

/// A run of ASCII digits as a number.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |value, byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

/// The fixed-width layouts the returns use, parsed without chrono's format machinery
/// (dates are the commonest field); anything else goes the slow way.
fn fixed_width_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let (year, month, day) = match bytes.len() {
        10 if bytes[4] == b'-' && bytes[7] == b'-' => (
            digits(&bytes[..4])?,
            digits(&bytes[5..7])?,
            digits(&bytes[8..])?,
        ),
        10 if bytes[2] == b'/' && bytes[5] == b'/' => (
            digits(&bytes[6..])?,
            digits(&bytes[3..5])?,
            digits(&bytes[..2])?,
        ),
        20 if bytes[4] == b'-' && bytes[8] == b'-' && bytes[11] == b' ' => {
            let time = &bytes[12..];
            if !(time[2] == b':'
                && time[5] == b':'
                && digits(&time[..2]).is_some_and(|hour| hour < 24)
                && digits(&time[3..5]).is_some_and(|minute| minute < 60)
                && digits(&time[6..]).is_some_and(|second| second < 61))
            {
                return None;
            }
            const MONTHS: [&[u8; 3]; 12] = [
                b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct",
                b"nov", b"dec",
            ];
            let name = bytes[5..8].to_ascii_lowercase();
            let month = MONTHS.iter().position(|month| month[..] == name[..])? as u32 + 1;
            (digits(&bytes[..4])?, month, digits(&bytes[9..11])?)
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

impl DateFormat {
    pub(crate) fn parse(self, text: &str) -> Option<NaiveDate> {
        let fast = fixed_width_date(text).filter(|_| match self {
            Self::Iso => text.as_bytes().get(4) == Some(&b'-') && text.len() == 10,
            Self::DayMonthYear => text.len() == 10,
            Self::Census => true,
        });
        if fast.is_some() {
            return fast;
        }
        let iso = || NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        match self {
            Self::Iso => iso(),
            Self::DayMonthYear => NaiveDate::parse_from_str(text, "%d/%m/%Y")
                .ok()
                .or_else(iso),
            Self::Census => chrono::NaiveDateTime::parse_from_str(text, "%Y-%b-%d %H:%M:%S")
                .map(|datetime| datetime.date())
                .ok()
                .or_else(iso),
        }
    }

    /// What the format looks like, for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Iso => "YYYY-MM-DD",
            Self::DayMonthYear => "dd/mm/YYYY",
            Self::Census => "YYYY-Mon-DD HH:MM:SS",
        }
    }
}

/// Where a row is: a CSV line, or an XML element path. Rendered only when a rule is
/// reported, so checking a clean row allocates nothing.
pub(crate) enum Here {
    Line(u64),
    Text(String),
}

impl From<u64> for Here {
    fn from(line: u64) -> Self {
        Self::Line(line)
    }
}

impl From<String> for Here {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl std::fmt::Display for Here {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Line(line) => write!(formatter, "line {line}"),
            Self::Text(text) => formatter.write_str(text),
        }
    }
}

/// One row being checked: where it is, and whether a warning has been logged for it.
pub(crate) struct Row<'c, 'a> {
    pub(crate) context: &'c mut Context<'a>,
    pub(crate) file: &'c str,
    pub(crate) table: &'static str,
    pub(crate) here: Here,
    /// The schema year for code lists.
    pub(crate) year: i32,
    pub(crate) dates: DateFormat,
    pub(crate) warned: bool,
}

impl<'c, 'a> Row<'c, 'a> {
    pub(crate) fn new(
        context: &'c mut Context<'a>,
        file: &'c str,
        table: &'static str,
        here: impl Into<Here>,
        year: i32,
        dates: DateFormat,
    ) -> Self {
        Self {
            context,
            file,
            table,
            here: here.into(),
            year,
            dates,
            warned: false,
        }
    }

    /// Logs a rule break at this row.
    fn report(&mut self, rule: Rule, message: impl Into<String>, field: &str, value: Option<&str>) {
        self.context.audit.report(
            rule,
            self.file,
            self.here.to_string(),
            self.table,
            message,
            field,
            value,
        );
    }

    /// Reports an error rule and counts the row as rejected.
    pub(crate) fn reject(
        &mut self,
        rule: Rule,
        message: impl Into<String>,
        field: &str,
        value: Option<&str>,
    ) -> RowError {
        self.report(rule, message, field, value);
        self.context
            .audit
            .count(self.file, self.table, Outcome::Rejected);
        RowError::Rejected
    }

    /// Reports a warning rule; the row is kept.
    pub(crate) fn warn(
        &mut self,
        rule: Rule,
        message: impl Into<String>,
        field: &str,
        value: Option<&str>,
    ) {
        self.report(rule, message, field, value);
        self.warned = true;
    }

    /// A field that must not be empty. `identifier` keeps the value out of the report.
    pub(crate) fn required<'t>(&mut self, name: &str, text: &'t str) -> Result<&'t str, RowError> {
        if text.is_empty() {
            return Err(self.reject(
                rules::REQUIRED_MISSING,
                format!("`{name}` is empty"),
                name,
                None,
            ));
        }
        Ok(text)
    }

    /// A date in the return's format; empty is `None` unless `required`.
    pub(crate) fn date(
        &mut self,
        name: &str,
        text: &str,
        required: bool,
    ) -> Result<Option<NaiveDate>, RowError> {
        if text.is_empty() && required {
            self.required(name, text)?;
        }
        self.parsed_date(name, text, true)
    }

    /// Parses a date field, quoting the text in a reject only when `quote`.
    fn parsed_date(
        &mut self,
        name: &str,
        text: &str,
        quote: bool,
    ) -> Result<Option<NaiveDate>, RowError> {
        if text.is_empty() {
            return Ok(None);
        }
        if let Some(date) = self.dates.parse(text) {
            return Ok(Some(date));
        }
        let format = self.dates.describe();
        let (message, value) = if quote {
            (
                format!("`{name}` is `{text}`, not a date ({format})"),
                Some(text),
            )
        } else {
            (format!("`{name}` is not a date ({format})"), None)
        };
        Err(self.reject(rules::DATE_INVALID, message, name, value))
    }

    /// A date of birth: checked like any date, but never quoted in a reject, because
    /// outputs keep dates of birth only to the month.
    pub(crate) fn birth_date(
        &mut self,
        name: &str,
        text: &str,
    ) -> Result<Option<NaiveDate>, RowError> {
        self.parsed_date(name, text, false)
    }

    /// A required date.
    pub(crate) fn required_date(&mut self, name: &str, text: &str) -> Result<NaiveDate, RowError> {
        self.date(name, text, true)?
            .ok_or_else(|| RowError::Fatal(ExtractError::Internal(format!("`{name}` empty"))))
    }

    /// An end date must not be before its start date.
    pub(crate) fn ordered(
        &mut self,
        rule: Rule,
        (start_name, start): (&str, NaiveDate),
        (end_name, end): (&str, Option<NaiveDate>),
    ) -> Result<(), RowError> {
        match end {
            Some(end) if end < start => {
                let value = end.to_string();
                Err(self.reject(
                    rule,
                    format!("`{end_name}` {end} is before `{start_name}` {start}"),
                    end_name,
                    Some(&value),
                ))
            }
            _ => Ok(()),
        }
    }

    /// A whole number, written `12` or `12.0`; `minimum` bounds it below.
    pub(crate) fn int(
        &mut self,
        name: &str,
        text: &str,
        minimum: Option<i32>,
    ) -> Result<Option<i32>, RowError> {
        if text.is_empty() {
            return Ok(None);
        }
        let value = text
            .parse::<f64>()
            .ok()
            .filter(|value| value.fract() == 0.0 && value.abs() < 1e9)
            .map(|value| value as i32);
        match value {
            Some(value) if minimum.is_none_or(|minimum| value >= minimum) => Ok(Some(value)),
            Some(_) if name.contains("session") => Err(self.reject(
                rules::SESSIONS_NEGATIVE,
                format!("`{name}` is `{text}`, not a whole number of sessions of 0 or more"),
                name,
                Some(text),
            )),
            _ => Err(self.reject(
                rules::VALUE_INVALID,
                format!(
                    "`{name}` is `{text}`, not a whole number{}",
                    minimum.map_or(String::new(), |minimum| format!(" of {minimum} or more"))
                ),
                name,
                Some(text),
            )),
        }
    }

    /// A number.
    pub(crate) fn float(&mut self, name: &str, text: &str) -> Result<Option<f64>, RowError> {
        if text.is_empty() {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Some(value)),
            _ => Err(self.reject(
                rules::VALUE_INVALID,
                format!("`{name}` is `{text}`, not a number"),
                name,
                Some(text),
            )),
        }
    }

    /// A boolean in any accepted spelling (domain.md §5).
    pub(crate) fn boolean(&mut self, name: &str, text: &str) -> Result<Option<bool>, RowError> {
        if text.is_empty() {
            return Ok(None);
        }
        match crate::context::parse_bool(text) {
            Some(value) => Ok(Some(value)),
            None => Err(self.reject(
                rules::VALUE_INVALID,
                format!("`{name}` is `{text}`, not true/false, True/False or 1/0"),
                name,
                Some(text),
            )),
        }
    }

    /// A code checked against its list for the row's schema year: unknown codes are
    /// logged and written as null.
    pub(crate) fn code<'t>(
        &mut self,
        list: &str,
        name: &str,
        text: &'t str,
    ) -> Result<Option<&'t str>, RowError> {
        let code = text.trim();
        if code.is_empty() {
            return Ok(None);
        }
        let known = self
            .context
            .dictionary
            .code_list(list)
            .map_err(|error| ExtractError::Internal(error.to_string()))?
            .lookup(code, self.year)
            .is_some();
        if known {
            return Ok(Some(code));
        }
        let year = self.year;
        self.warn(
            rules::CODE_UNKNOWN,
            format!("`{name}` is `{code}`, not a code of `{list}` in {year}: written as null"),
            name,
            Some(code),
        );
        Ok(None)
    }

    /// The pupil id of a UPN that must be valid.
    pub(crate) fn pupil(&mut self, name: &str, text: &str) -> Result<PupilId, RowError> {
        self.required(name, text)?;
        match self.context.pupil_id(text) {
            Ok(id) => Ok(id),
            Err(problem) => Err(self.reject(rules::UPN_INVALID, problem.message(), name, None)),
        }
    }

    /// Counts the row as a duplicate of one already read, logging it.
    pub(crate) fn duplicate(&mut self, message: impl Into<String>, field: &str) -> RowError {
        self.report(rules::DUPLICATE, message, field, None);
        self.context
            .audit
            .count(self.file, self.table, Outcome::Deduplicated);
        RowError::Rejected
    }

    /// Counts the row accepted (or warned) when it feeds another table's values rather
    /// than a row of its own (session reasons feed pupil_terms' absence).
    pub(crate) fn accept_uncopied(self) {
        self.context
            .audit
            .count(self.file, self.table, Outcome::kept(self.warned));
    }

    /// Writes the row to a warehouse table and counts it accepted (or warned).
    pub(crate) fn accept(self, table: &str, values: &[Value]) -> Result<(), RowError> {
        self.context.append(table, values)?;
        self.context
            .audit
            .count(self.file, self.table, Outcome::kept(self.warned));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path agrees with chrono, and still refuses what chrono refuses.
    #[test]
    fn fixed_width_dates() {
        let date = NaiveDate::from_ymd_opt(2024, 10, 16);
        assert_eq!(DateFormat::Census.parse("2024-Oct-16 00:00:00"), date);
        assert_eq!(DateFormat::Census.parse("2024-OCT-16 00:00:00"), date);
        assert_eq!(DateFormat::Census.parse("2024-10-16"), date);
        assert_eq!(DateFormat::Census.parse("2024-Oct-16 25:00:00"), None);
        assert_eq!(DateFormat::Census.parse("2024-Oct-32 00:00:00"), None);
        assert_eq!(DateFormat::DayMonthYear.parse("16/10/2024"), date);
        assert_eq!(DateFormat::DayMonthYear.parse("31/02/2024"), None);
        assert_eq!(DateFormat::DayMonthYear.parse("2024-10-16"), date);
        assert_eq!(DateFormat::Iso.parse("2024-10-16"), date);
        assert_eq!(DateFormat::Iso.parse("16/10/2024"), None);
        assert_eq!(DateFormat::Iso.parse("2023-13-45"), None);
        assert_eq!(DateFormat::Iso.parse("20x4-10-16"), None);
    }
}
