//! Complete years: a measure's year is published only when every school census it needs
//! is among the inputs (`domain.md` §2, "Complete years"). Absence for 2024/25 needs the
//! spring, summer and autumn 2025 censuses (six half terms, one term in arrears);
//! exclusions the summer and autumn 2025 and the spring 2026 censuses (two terms in
//! arrears); FSM and SEN the spring 2025 census. A measure's header names what it needs
//! (`censuses: [spring, summer, autumn]`), the `census_years` cohort table says which
//! censuses the warehouse holds, and [`measure_years`] puts the two together: a year
//! missing one is `x`, never a part-year figure, and the reason is kept beside the
//! measures in `measure_years.csv`, not in a column the EES files would carry.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use cwsw_dictionary::AcademicYear;

use crate::error::EngineError;
use crate::query::QueryHeader;

/// Whether one measure's year had every census it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureYear {
    /// The measure.
    pub measure: String,
    /// The academic year.
    pub year: AcademicYear,
    /// The censuses it needs that the inputs hold, as the warehouse names them (`2025 spring`).
    pub present: Vec<String>,
    /// The censuses it needs that are not among the inputs.
    pub missing: Vec<String>,
}

impl MeasureYear {
    /// Every census the year needs is among the inputs.
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// Why the year is `x`, in words (`the autumn 2025 census is not among the inputs`);
    /// empty for a complete year.
    pub fn note(&self) -> String {
        let named: Vec<String> = self.missing.iter().map(|census| in_words(census)).collect();
        match named.as_slice() {
            [] => String::new(),
            [one] => format!("the {one} census is not among the inputs"),
            [first @ .., last] => format!(
                "the {} and {last} censuses are not among the inputs",
                first.join(", ")
            ),
        }
    }
}

/// `2025 autumn` as `autumn 2025`.
fn in_words(census: &str) -> String {
    match census.split_once(' ') {
        Some((year, term)) => format!("{term} {year}"),
        None => census.to_string(),
    }
}

/// The censuses of each year, from the `census_years` table's rows: (year, need) →
/// (census, present).
pub(crate) type CensusYears = BTreeMap<(i32, String), (String, bool)>;

/// Reads the `census_years` table's batches.
pub(crate) fn census_years(batches: &[RecordBatch]) -> Result<CensusYears, EngineError> {
    let mut years = CensusYears::new();
    for batch in batches {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| EngineError::Invalid {
                    query: "census_years".to_string(),
                    message: format!("no column `{name}`"),
                })
        };
        let (year, need, census, present) = (
            column("academic_year")?,
            column("need")?,
            column("census")?,
            column("present")?,
        );
        let wrong = |name: &str| EngineError::Invalid {
            query: "census_years".to_string(),
            message: format!("column `{name}` has the wrong type"),
        };
        let year = year
            .as_primitive_opt::<arrow::datatypes::Int32Type>()
            .ok_or_else(|| wrong("academic_year"))?;
        let need = need.as_string_opt::<i32>().ok_or_else(|| wrong("need"))?;
        let census = census
            .as_string_opt::<i32>()
            .ok_or_else(|| wrong("census"))?;
        let present = present.as_boolean_opt().ok_or_else(|| wrong("present"))?;
        for row in 0..batch.num_rows() {
            years.insert(
                (year.value(row), need.value(row).to_string()),
                (
                    census.value(row).to_string(),
                    present.is_valid(row) && present.value(row),
                ),
            );
        }
    }
    Ok(years)
}

/// Each year of a measure that names the censuses it needs; nothing for one that names
/// none (KS2, KS4 and EHE read registers, not a census).
pub fn measure_years(
    header: &QueryHeader,
    years: &[AcademicYear],
    censuses: &CensusYears,
) -> Vec<MeasureYear> {
    if header.censuses.is_empty() {
        return Vec::new();
    }
    years
        .iter()
        .map(|year| {
            let mut present = Vec::new();
            let mut missing = Vec::new();
            for need in &header.censuses {
                let (census, held) = censuses
                    .get(&(year.time_period(), need.clone()))
                    .cloned()
                    .unwrap_or_else(|| (census_name(*year, need), false));
                if held {
                    present.push(census);
                } else {
                    missing.push(census);
                }
            }
            MeasureYear {
                measure: header.name.clone(),
                year: *year,
                present,
                missing,
            }
        })
        .collect()
}

/// The warehouse's name of a census a year needs (`next spring` of 2024/25 is `2026 spring`).
fn census_name(year: AcademicYear, need: &str) -> String {
    match need {
        "next spring" => format!("{} spring", year.end_year() + 1),
        term => format!("{} {term}", year.end_year()),
    }
}

/// The schema of `measure_years`.
pub fn measure_years_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("academic_year", DataType::Int32, false),
        Field::new("measure", DataType::Utf8, false),
        Field::new("complete", DataType::Boolean, false),
        Field::new("censuses_present", DataType::Utf8, false),
        Field::new("censuses_missing", DataType::Utf8, false),
        Field::new("note", DataType::Utf8, false),
    ]))
}

/// Every measure's years as one table, by measure and year.
pub fn measure_years_batch(rows: &[MeasureYear]) -> Result<RecordBatch, EngineError> {
    let mut rows: Vec<&MeasureYear> = rows.iter().collect();
    rows.sort_by(|a, b| (&a.measure, a.year).cmp(&(&b.measure, b.year)));
    RecordBatch::try_new(
        measure_years_schema(),
        vec![
            Arc::new(Int32Array::from_iter_values(
                rows.iter().map(|row| row.year.time_period()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|row| row.measure.as_str()),
            )),
            Arc::new(BooleanArray::from_iter(
                rows.iter().map(|row| Some(row.complete())),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|row| row.present.join("; ")),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|row| row.missing.join("; ")),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|row| row.note()),
            )),
        ],
    )
    .map_err(|source| EngineError::Arrow {
        what: "measure_years: making the table".to_string(),
        source,
    })
}

/// Writes `measure_years.csv` into a measures folder being made.
pub(crate) fn write_measure_years(rows: &[MeasureYear], dir: &Path) -> Result<(), EngineError> {
    let path = dir.join("measure_years.csv");
    let batch = measure_years_batch(rows)?;
    let file = std::fs::File::create(&path).map_err(|source| EngineError::Io {
        path: path.clone(),
        source,
    })?;
    arrow::csv::Writer::new(file)
        .write(&batch)
        .map_err(|source| EngineError::Arrow {
            what: format!("{}: writing CSV", path.display()),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(measure: &str, missing: &[&str]) -> MeasureYear {
        MeasureYear {
            measure: measure.to_string(),
            year: AcademicYear::starting(2024),
            present: vec!["2025 spring".to_string()],
            missing: missing.iter().map(|census| census.to_string()).collect(),
        }
    }

    #[test]
    fn the_note_names_each_missing_census() {
        assert_eq!(year("absence", &[]).note(), "");
        assert_eq!(
            year("absence", &["2025 autumn"]).note(),
            "the autumn 2025 census is not among the inputs"
        );
        assert_eq!(
            year("exclusions", &["2025 summer", "2025 autumn", "2026 spring"]).note(),
            "the summer 2025, autumn 2025 and spring 2026 censuses are not among the inputs"
        );
    }

    #[test]
    fn a_census_the_table_does_not_list_is_missing() {
        let header = crate::query::QuerySet::embedded()
            .expect("the embedded queries parse")
            .get("exclusions")
            .expect("an exclusions measure")
            .header
            .clone();
        let mut censuses = CensusYears::new();
        censuses.insert((202425, "summer".into()), ("2025 summer".into(), true));
        censuses.insert((202425, "autumn".into()), ("2025 autumn".into(), true));
        let years = measure_years(&header, &[AcademicYear::starting(2024)], &censuses);
        assert_eq!(years.len(), 1);
        assert_eq!(years[0].present, ["2025 summer", "2025 autumn"]);
        assert_eq!(years[0].missing, ["2026 spring"]);
        assert!(!years[0].complete());
    }
}
