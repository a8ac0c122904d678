//! The parameters of each academic year (`domain.md` §1, §5): reference dates, the
//! `Ever CIN` look-back, CIN plans; a run's `--param` overrides read as their declared
//! types.

use chrono::NaiveDate;
use cwsw_dictionary::{AcademicYear, Lookback, days_since_epoch};

use crate::ScalarValue;
use crate::error::EngineError;
use crate::query::Declared;
use crate::session::Engine;

/// The parameter values of an academic year, by name (`domain.md` §1, §5), with the
/// `Ever CIN` look-back (six years unless a run says `--param lookback_years=all`). Values
/// a run is given (`--param cin_plans_from=2021`) replace these.
pub fn year_parameters(year: AcademicYear, lookback: Lookback) -> Vec<(String, ScalarValue)> {
    let date = |value: NaiveDate| ScalarValue::Date32(Some(days_since_epoch(value)));
    let text = |value: String| ScalarValue::Utf8(Some(value));
    let first_census_year = lookback.first_census_year(year.end_year());
    // The window opens on 1 April starting its first collection year; with every year
    // held, before any return.
    let lookback_start = match lookback {
        Lookback::Years(_) => NaiveDate::from_ymd_opt(first_census_year - 1, 4, 1),
        Lookback::All => NaiveDate::from_ymd_opt(1900, 4, 1),
    }
    .unwrap_or(year.period_start());
    [
        (
            "academic_year",
            ScalarValue::Int32(Some(year.time_period())),
        ),
        ("census_year", ScalarValue::Int32(Some(year.end_year()))),
        ("reference_date", date(year.reference_date())),
        ("period_start", date(year.period_start())),
        ("year_start", date(year.first_day())),
        ("year_end", date(year.last_day())),
        // FSM eligibility is read on the spring census day (domain.md §2).
        ("census_date", date(year.spring_census_day())),
        ("compulsory_birth_from", date(year.compulsory_birth_from())),
        ("compulsory_birth_to", date(year.compulsory_birth_to())),
        // The collection years ending on this 31 March that Ever CIN looks back over.
        (
            "lookback_census_year",
            ScalarValue::Int32(Some(first_census_year)),
        ),
        ("lookback_start", date(lookback_start)),
        ("lookback_years", ScalarValue::Int32(Some(lookback.years()))),
        ("ever_cin_group", text(lookback.ever_cin())),
        ("never_cin_group", text(lookback.never_cin())),
        ("ever_cwsw_group", text(lookback.ever_cwsw())),
        // CIN plans are in the CIN census from 2022 (domain.md §1).
        ("cin_plans_from", ScalarValue::Int32(Some(CIN_PLANS_FROM))),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}

/// The look-back a run's overrides ask for (`lookback_years=6` or `all`), DfE's six
/// years by default.
pub fn lookback(overrides: &[(String, String)]) -> Result<Lookback, EngineError> {
    match overrides.iter().rfind(|(name, _)| name == "lookback_years") {
        None => Ok(Lookback::DFE),
        Some((_, text)) => Lookback::parse(text).ok_or_else(|| EngineError::Parameter {
            name: "lookback_years".to_string(),
            value: text.clone(),
            column_type: "number of years, or `all`".to_string(),
        }),
    }
}

/// The first CIN census year that records CIN plans nationally (`domain.md` §1).
pub const CIN_PLANS_FROM: i32 = 2022;

/// Reads a parameter value written as text (`2022-03-31`, `202122`) as its declared type.
pub fn parse_parameter(declared: &Declared, text: &str) -> Result<ScalarValue, EngineError> {
    let problem = || EngineError::Parameter {
        name: declared.name.clone(),
        value: text.to_string(),
        column_type: declared.column_type.clone(),
    };
    Ok(match declared.column_type.as_str() {
        "date" => ScalarValue::Date32(Some(days_since_epoch(
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| problem())?,
        ))),
        "int32" => ScalarValue::Int32(Some(text.parse().map_err(|_| problem())?)),
        "int64" => ScalarValue::Int64(Some(text.parse().map_err(|_| problem())?)),
        "float64" => ScalarValue::Float64(Some(text.parse().map_err(|_| problem())?)),
        "boolean" => ScalarValue::Boolean(Some(text.parse().map_err(|_| problem())?)),
        _ => ScalarValue::Utf8(Some(text.to_string())),
    })
}

impl Engine {
    /// The parameter values of a year with a run's overrides applied; an override must
    /// name a parameter some query declares, and parse as its type.
    pub fn parameters(
        &self,
        year: AcademicYear,
        overrides: &[(String, String)],
    ) -> Result<Vec<(String, ScalarValue)>, EngineError> {
        let mut values = year_parameters(year, lookback(overrides)?);
        // The look-back sets the window and the labels above, all at once.
        for (name, text) in overrides
            .iter()
            .filter(|(name, _)| name != "lookback_years")
        {
            let declared = self
                .queries
                .queries
                .iter()
                .flat_map(|query| &query.header.parameters)
                .find(|declared| &declared.name == name)
                .ok_or_else(|| EngineError::Invalid {
                    query: "--param".to_string(),
                    message: format!("no query takes a parameter `{name}`"),
                })?;
            let value = parse_parameter(declared, text)?;
            match values.iter_mut().find(|(known, _)| known == name) {
                Some(slot) => slot.1 = value,
                None => values.push((name.clone(), value)),
            }
        }
        Ok(values)
    }
}
