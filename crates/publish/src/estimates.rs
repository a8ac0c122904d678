//! A measure's estimates as an EES file of their own (`NAME_estimates.csv`): every
//! level, gap, difference in differences and event-study row of the stats stage, with
//! filters for the indicator, the estimand and the years compared, and the measure's
//! breakdown filters. An estimate whose lineage touches a suppressed cell of the
//! published measure table is withheld (`c` in every figure), so that no estimate
//! describes pupils the table hides.
//!
//! `time_period`: a level, gap or event-study row carries its own year. A difference in
//! differences spans years, and EES needs one: it carries the **last year of its post
//! period**, the latest data it rests on, so that a reader filtering on the newest year
//! finds the newest DiD; the `comparison_period` filter names every year it compares
//! (`2015/16 to 2018/19 against 2021/22 to 2024/25`).

use std::collections::HashMap;

use cwsw_dictionary::AcademicYear;
use cwsw_dictionary::estimand::{Estimand, lineage_cell};
use cwsw_dictionary::layout::{Figure, Part};

use crate::files::{EstimateRecord, MeasureFile};
use crate::suppression::Reason;
use crate::table::{
    Filter, Indicator, PublishedRow, PublishedTable, SuppressedCell, TOTAL, published_name,
};
use crate::{Cell, PublishError};

/// The comparison period of a level or gap: the year itself.
pub const SAME_YEAR: &str = "Same year";

/// The estimate's figures, in published order: (column, label, dp).
const FIGURES: &[(&str, &str, u8)] = &[
    (
        "estimate",
        "Estimate (% or percentage points for a rate; points for a score)",
        2,
    ),
    ("standard_error", "Standard error of the estimate", 3),
    ("ci_lower", "Estimate, lower 95% confidence limit", 2),
    ("ci_upper", "Estimate, upper 95% confidence limit", 2),
    ("test_statistic", "Test statistic (z or t)", 2),
    ("p_value", "p-value of the test", 4),
    (
        "p_value_bh",
        "p-value adjusted for multiple tests (Benjamini-Hochberg)",
        4,
    ),
];

fn span(years: &[i32]) -> String {
    let name = |year: i32| AcademicYear::starting(year / 100).to_string();
    match (years.first(), years.last()) {
        (Some(first), Some(last)) if first == last => name(*first),
        (Some(first), Some(last)) => format!("{} to {}", name(*first), name(*last)),
        _ => "no year held".to_string(),
    }
}

/// The years an estimate compares, as its `comparison_period` level.
fn comparison_period(record: &EstimateRecord) -> String {
    match record.estimand {
        Estimand::DifferenceInDifferences => format!(
            "{} against {}",
            span(&record.pre_years),
            span(&record.post_years)
        ),
        Estimand::EventStudy => format!("Against {}", span(&record.pre_years)),
        Estimand::Level | Estimand::GapToRest | Estimand::GapToAllPupils => SAME_YEAR.to_string(),
    }
}

/// Builds the estimates table of one measure from its published table.
pub fn estimates_table(
    file: &MeasureFile,
    measure: &PublishedTable,
    records: &[EstimateRecord],
) -> Result<PublishedTable, PublishError> {
    let layout = &file.layout;
    let problem = |message: String| PublishError::Input {
        measure: layout.measure.clone(),
        message,
    };
    // Indicators by their label, in layout order, with the columns that carry them.
    let mut indicators: Vec<(&str, &str, Vec<usize>)> = Vec::new();
    for column in &layout.columns {
        if let Figure::Estimate {
            indicator,
            part: Part::Estimate,
            from,
            ..
        } = &column.figure
        {
            let mut columns = vec![measure.indicator(&published_name(&column.name))];
            columns.extend(
                from.iter()
                    .map(|name| measure.indicator(&published_name(name))),
            );
            indicators.push((
                indicator.as_str(),
                column.label.as_str(),
                columns.into_iter().flatten().collect(),
            ));
        }
    }
    // The published measure cells by lineage name.
    let mut cells: HashMap<String, &PublishedRow> = HashMap::new();
    for row in &measure.rows {
        let breakdown = measure
            .filters
            .iter()
            .zip(&row.levels)
            .find(|(_, level)| *level != TOTAL)
            .map(|(filter, level)| (filter.column.as_str(), level.as_str()));
        cells.insert(
            lineage_cell(
                &layout.measure,
                &row.group,
                row.year.time_period(),
                breakdown,
            ),
            row,
        );
    }
    let groups = measure.group_filter().levels;
    let mut keyed = Vec::new();
    for record in records
        .iter()
        .filter(|record| record.measure == layout.measure)
    {
        let Some(position) = indicators
            .iter()
            .position(|(indicator, ..)| *indicator == record.indicator)
        else {
            continue;
        };
        // A DiD with no estimate may name no years: it carries the measure's last.
        let time_period = record
            .academic_year
            .or_else(|| record.post_years.last().copied())
            .or_else(|| file.matrix.years.last().copied())
            .ok_or_else(|| problem(format!("an estimate of `{}` has no year", record.indicator)))?;
        let period = comparison_period(record);
        let mut levels = vec![
            indicators[position].1.to_string(),
            record.estimand.label().to_string(),
            period,
        ];
        for filter in &measure.filters {
            levels.push(if record.breakdown == filter.column {
                record.breakdown_level.clone()
            } else {
                TOTAL.to_string()
            });
        }
        let group_order = groups
            .iter()
            .position(|group| *group == record.group)
            .unwrap_or(usize::MAX);
        let breakdown_order = measure
            .filters
            .iter()
            .position(|filter| filter.column == record.breakdown)
            .map(|index| {
                (
                    index + 1,
                    measure.filters[index]
                        .levels
                        .iter()
                        .position(|level| *level == record.breakdown_level)
                        .unwrap_or(usize::MAX),
                )
            })
            .unwrap_or((0, 0));
        keyed.push((
            (
                time_period,
                group_order,
                position,
                record.estimand,
                levels[2].clone(),
                breakdown_order,
            ),
            record,
            levels,
        ));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rows = Vec::new();
    let mut suppressed = Vec::new();
    for ((time_period, _, position, ..), record, levels) in keyed {
        let year = AcademicYear::starting(time_period / 100);
        // Withheld when any cell it rests on hides this indicator or a count it derives from.
        let withheld = record.lineage.iter().any(|cell| {
            cells.get(cell).is_some_and(|row| {
                indicators[position]
                    .2
                    .iter()
                    .any(|column| row.cells[*column] == Cell::Suppressed)
            })
        });
        let values = [
            record.estimate,
            record.standard_error,
            record.ci_lower,
            record.ci_upper,
            record.statistic,
            record.p_value,
            record.p_value_bh,
        ];
        let cells_out: Vec<Cell> = values
            .iter()
            .zip(FIGURES)
            .map(|(value, (_, _, dp))| match value {
                _ if withheld => Cell::Suppressed,
                Some(value) => Cell::figure(*value, *dp),
                None if record.estimate.is_none() && record.not_available() => Cell::NotAvailable,
                None => Cell::NotApplicable,
            })
            .collect();
        if withheld {
            for (name, ..) in FIGURES {
                suppressed.push(SuppressedCell {
                    time_period,
                    group: record.group.clone(),
                    levels: levels.clone(),
                    indicator: (*name).to_string(),
                    reason: Reason::Withheld,
                    protects: None,
                });
            }
        }
        rows.push(PublishedRow {
            year,
            group: record.group.clone(),
            levels,
            cells: cells_out,
        });
    }
    let distinct = |index: usize| {
        let mut seen: Vec<String> = Vec::new();
        for row in &rows {
            if !seen.contains(&row.levels[index]) {
                seen.push(row.levels[index].clone());
            }
        }
        seen
    };
    let mut periods = distinct(2);
    periods.sort_by_key(|period| (period != SAME_YEAR, period.clone()));
    let mut filters = vec![
        Filter {
            column: "indicator".to_string(),
            label: "Indicator".to_string(),
            hint: "The measure's figure the estimate is of".to_string(),
            levels: distinct(0),
            default: indicators
                .first()
                .map(|(_, label, _)| (*label).to_string())
                .unwrap_or_default(),
        },
        Filter {
            column: "estimand".to_string(),
            label: "Estimate".to_string(),
            hint: "What is estimated: a level, a gap, or its change since the role began"
                .to_string(),
            levels: Estimand::ALL
                .iter()
                .map(|estimand| estimand.label().to_string())
                .filter(|label| rows.iter().any(|row| row.levels[1] == *label))
                .collect(),
            default: Estimand::Level.label().to_string(),
        },
        Filter {
            column: "comparison_period".to_string(),
            label: "Years compared".to_string(),
            hint: "The years a change compares; a level or gap is of its own year".to_string(),
            levels: periods,
            default: SAME_YEAR.to_string(),
        },
    ];
    for (offset, filter) in measure.filters.iter().enumerate() {
        let mut filter = filter.clone();
        filter.levels = distinct(3 + offset);
        filters.push(filter);
    }
    // EES filters need two levels: one that would have one (a measure with no gaps,
    // hence no changes) says nothing and goes.
    let keep: Vec<bool> = filters
        .iter()
        .map(|filter| filter.levels.len() >= 2)
        .collect();
    let mut kept = keep.iter();
    filters.retain(|_| kept.next().copied().unwrap_or(true));
    for row in &mut rows {
        let mut kept = keep.iter();
        row.levels.retain(|_| kept.next().copied().unwrap_or(true));
    }
    for cell in &mut suppressed {
        let mut kept = keep.iter();
        cell.levels.retain(|_| kept.next().copied().unwrap_or(true));
    }
    Ok(PublishedTable {
        name: format!("{}_estimates", layout.measure),
        la: measure.la,
        filters,
        indicators: FIGURES
            .iter()
            .map(|(name, label, dp)| Indicator {
                name: (*name).to_string(),
                label: (*label).to_string(),
                unit: String::new(),
                dp: *dp,
                grouping: String::new(),
            })
            .collect(),
        rows,
        suppressed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{Row, file};
    use crate::table::{Levels, measure_table};
    use crate::{DisclosureRules, local_authority};

    #[test]
    fn estimates_on_a_suppressed_cell_are_withheld_and_a_did_carries_its_last_year() {
        let rows = [
            Row {
                year: 202122,
                group: "A",
                sex: "Total",
                pupils: Some(100),
                flag: 3,
            },
            Row {
                year: 202122,
                group: "B",
                sex: "Total",
                pupils: Some(100),
                flag: 30,
            },
        ];
        let (file, mut records) = file(&rows, &["A", "B"], &[202122]);
        let mut did = records[1].clone();
        did.estimand = Estimand::DifferenceInDifferences;
        did.academic_year = None;
        did.pre_years = vec![201718, 201819];
        did.post_years = vec![202122, 202223];
        did.p_value = Some(0.01234);
        records.push(did);
        let table = measure_table(
            &file,
            &Levels::of("test", &records),
            *local_authority("801").expect("Bristol"),
            &DisclosureRules::default(),
        )
        .expect("publishes");
        let estimates = estimates_table(&file, &table, &records).expect("estimates");
        assert_eq!(estimates.name, "test_estimates");
        // A's count of 3 is suppressed: its level would give it away.
        let a = &estimates
            .rows
            .iter()
            .find(|row| row.group == "A")
            .expect("A")
            .cells;
        assert!(a.iter().all(|cell| *cell == Cell::Suppressed), "{a:?}");
        assert!(
            estimates
                .suppressed
                .iter()
                .all(|cell| cell.reason == Reason::Withheld)
        );
        let b = estimates
            .rows
            .iter()
            .find(|row| {
                row.group == "B" && row.levels.contains(&Estimand::Level.label().to_string())
            })
            .expect("B");
        assert_eq!(b.cells[0], Cell::Value("30.00".into()));
        assert_eq!(b.cells[4], Cell::NotApplicable, "a level has no test");
        let did = estimates
            .rows
            .iter()
            .find(|row| {
                row.levels
                    .contains(&Estimand::DifferenceInDifferences.label().to_string())
            })
            .expect("the DiD");
        assert_eq!(did.year.time_period(), 202223);
        assert!(
            did.levels
                .contains(&"2017/18 to 2018/19 against 2021/22 to 2022/23".to_string()),
            "{:?}",
            did.levels
        );
        assert_eq!(did.cells[5], Cell::Value("0.0123".into()));
        // Every filter has two levels or more (the indicator filter, with one, is gone).
        assert!(
            estimates
                .filters
                .iter()
                .all(|filter| filter.levels.len() >= 2),
            "{:?}",
            estimates.filters
        );
        assert!(
            !estimates
                .filters
                .iter()
                .any(|filter| filter.column == "indicator")
        );
    }
}
