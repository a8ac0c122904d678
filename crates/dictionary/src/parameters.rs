//! Sourced parameters the statistics read: values DfE publishes, each with its source and
//! vintage (`data-dictionary/parameters/`), so a figure built on one can say where it
//! came from. Today: the national standard deviation of pupil Progress 8 scores.

use serde::Deserialize;

use crate::AcademicYear;

/// One year's value of a sourced parameter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcedValue {
    /// The academic year, as EES `time_period` (202122).
    pub academic_year: i32,
    /// The value.
    pub value: f64,
    /// `provisional` or `revised`, as DfE released it.
    pub vintage: String,
    /// Where exactly it was read.
    pub reference: String,
}

/// A sourced parameter: its values by year.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcedParameter {
    /// Its name.
    pub parameter: String,
    /// What it is and how it is used.
    pub description: String,
    /// The publication it comes from.
    pub source: String,
    /// One value per year.
    pub values: Vec<SourcedValue>,
}

impl SourcedParameter {
    /// The value for a year, if one is published.
    pub fn value(&self, year: AcademicYear) -> Option<&SourcedValue> {
        self.values
            .iter()
            .find(|value| value.academic_year == year.time_period())
    }
}

const P8_NATIONAL_SD: &str =
    include_str!("../../../data-dictionary/parameters/p8_national_sd.yaml");

/// The national standard deviation of pupil Progress 8 scores per year (`domain.md` §2,
/// KS4: the P8 interval is P8 ± 1.96 σ / √n).
pub fn p8_national_sd() -> Result<SourcedParameter, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str(P8_NATIONAL_SD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p8_standard_deviations_are_sourced_per_year() {
        let sd = p8_national_sd().expect("the file parses");
        assert_eq!(sd.parameter, "p8_national_sd");
        let year = AcademicYear::starting(2022);
        let value = sd.value(year).expect("2022/23 is published");
        assert_eq!(value.value, 1.414023);
        assert_eq!(value.vintage, "revised");
        assert!(sd.value(AcademicYear::starting(2019)).is_none());
        let mut years: Vec<i32> = sd.values.iter().map(|v| v.academic_year).collect();
        years.dedup();
        assert_eq!(years.len(), sd.values.len(), "one value a year");
        for value in &sd.values {
            assert!(value.value > 0.5 && value.value < 3.0, "{value:?}");
            assert!(["provisional", "revised"].contains(&value.vintage.as_str()));
            assert!(!value.reference.is_empty());
        }
    }
}
