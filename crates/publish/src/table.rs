//! A published table, and the measure table built from a measure file and the stats
//! stage's levels by one generic publisher: the layout says which columns to publish,
//! what each counts and what each figure derives from; nothing here knows a measure.
//!
//! Layout: **one file per measure**, with every breakdown filter the measure computes
//! as a column of its own beside `social_care_group` (`phase_type_grouping`, `sex`,
//! `sen_provision`, `year_group`): the headline row has `Total` in each, a breakdown row
//! one level in one filter and `Total` in the rest, which is how the measure computes
//! them. One file keeps every count that must add up (a `Total` and its levels, a group
//! and its parts) in one place, so disclosure control sees them together, and a reader
//! filters one table instead of joining five. A filter whose only level would be `Total`
//! (SEN provision in the SEN measure, every breakdown of coverage) is left out, since
//! EES filters need two levels.

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type};
use cwsw_dictionary::AcademicYear;
use cwsw_dictionary::estimand::Estimand;
use cwsw_dictionary::groups::ALL_PUPILS;
use cwsw_dictionary::layout::{BREAKDOWNS, Figure, GROUP_FILTER, Part};
use cwsw_dictionary::relations::Relations;

use crate::files::{EstimateRecord, MeasureFile};
use crate::suppression::{self, Reason};
use crate::{Cell, DisclosureRules, LocalAuthority, PublishError};

/// `Total`: the level of a filter that every other level adds up to.
pub const TOTAL: &str = "Total";

/// A filter column of a published file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Column name.
    pub column: String,
    /// Label.
    pub label: String,
    /// Hint.
    pub hint: String,
    /// Its levels, in order.
    pub levels: Vec<String>,
    /// The level shown by default (`Total` where there is one).
    pub default: String,
}

/// An indicator column of a published file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// Column name.
    pub name: String,
    /// Label.
    pub label: String,
    /// EES unit: empty or `%`.
    pub unit: String,
    /// Decimal places.
    pub dp: u8,
    /// EES indicator grouping, empty for none.
    pub grouping: String,
}

/// A published row: one year, group and level of each filter; one cell per indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedRow {
    /// Academic year (the EES time period).
    pub year: AcademicYear,
    /// Social care group.
    pub group: String,
    /// The level of each of the table's filters, in order.
    pub levels: Vec<String>,
    /// Cells, in the table's indicator order.
    pub cells: Vec<Cell>,
}

impl PublishedRow {
    /// Whether this is a headline row: `Total` in every filter.
    pub fn is_headline(&self) -> bool {
        self.levels.iter().all(|level| level == TOTAL)
    }
}

/// Why a cell is not shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedCell {
    /// Time period.
    pub time_period: i32,
    /// Group.
    pub group: String,
    /// The row's filter levels.
    pub levels: Vec<String>,
    /// Indicator column.
    pub indicator: String,
    /// Why.
    pub reason: Reason,
    /// For a secondary `c` (and what derives from it), the protected cell that showing
    /// it would give away.
    pub protects: Option<String>,
}

/// A published table: the matrix of years × groups × filter levels, complete.
#[derive(Debug, Clone)]
pub struct PublishedTable {
    /// File stem.
    pub name: String,
    /// The LA.
    pub la: LocalAuthority,
    /// Filters after `social_care_group`, in order.
    pub filters: Vec<Filter>,
    /// Indicators.
    pub indicators: Vec<Indicator>,
    /// Rows: years in order, then groups, then filter levels.
    pub rows: Vec<PublishedRow>,
    /// Every suppressed cell and why.
    pub suppressed: Vec<SuppressedCell>,
}

impl PublishedTable {
    /// An indicator's position.
    pub fn indicator(&self, name: &str) -> Option<usize> {
        self.indicators
            .iter()
            .position(|indicator| indicator.name == name)
    }

    /// The social care group filter, with the groups in the table's order.
    pub fn group_filter(&self) -> Filter {
        let mut levels: Vec<String> = Vec::new();
        for row in &self.rows {
            if !levels.contains(&row.group) {
                levels.push(row.group.clone());
            }
        }
        Filter {
            column: GROUP_FILTER.column.to_string(),
            label: GROUP_FILTER.label.to_string(),
            hint: GROUP_FILTER.hint.to_string(),
            levels,
            default: ALL_PUPILS.as_str().to_string(),
        }
    }

    /// The table with its headline rows only (`Total` in every filter).
    pub fn headline(&self) -> Self {
        Self {
            rows: self
                .rows
                .iter()
                .filter(|row| row.is_headline())
                .cloned()
                .collect(),
            suppressed: Vec::new(),
            ..self.clone()
        }
    }

    /// A cell in words, as messages and the log name it: `absence 2019/20, CIN at 31
    /// March, phase_type_grouping Primary, t_pupils` (`group` may differ from the row's,
    /// for a difference of groups).
    pub fn describe(&self, row: usize, group: &str, column: &str) -> String {
        let published = &self.rows[row];
        let mut text = format!("{} {}, {group}", self.name, published.year);
        for (filter, level) in self.filters.iter().zip(&published.levels) {
            if level != TOTAL {
                text.push_str(&format!(", {} {level}", filter.column));
            }
        }
        text.push_str(&format!(", {column}"));
        text
    }

    /// Where a row sits whatever the table's filters: its year, group and non-`Total`
    /// levels by filter, so that two files' rows of the same cell match.
    pub fn place(&self, row: usize) -> (i32, String, Vec<(String, String)>) {
        let published = &self.rows[row];
        (
            published.year.time_period(),
            published.group.clone(),
            self.filters
                .iter()
                .zip(&published.levels)
                .filter(|(_, level)| *level != TOTAL)
                .map(|(filter, level)| (filter.column.clone(), level.clone()))
                .collect(),
        )
    }

    /// The row of a year, group and filter levels.
    pub fn row(&self, year: i32, group: &str, levels: &[String]) -> Option<&PublishedRow> {
        self.rows.iter().find(|row| {
            row.year.time_period() == year && row.group == group && row.levels == levels
        })
    }
}

/// A table's rows by year, group and filter levels: to find, for a row, the same cell
/// of another group or level.
pub(crate) struct RowIndex(HashMap<(i32, String, Vec<String>), usize>);

impl RowIndex {
    /// The index of `table`'s rows.
    pub(crate) fn of(table: &PublishedTable) -> Self {
        Self(
            table
                .rows
                .iter()
                .enumerate()
                .map(|(index, row)| {
                    (
                        (
                            row.year.time_period(),
                            row.group.clone(),
                            row.levels.clone(),
                        ),
                        index,
                    )
                })
                .collect(),
        )
    }

    /// The row of `table` in `row`'s year with `group` and `levels`.
    pub(crate) fn find(
        &self,
        table: &PublishedTable,
        row: usize,
        group: &str,
        levels: &[String],
    ) -> Option<usize> {
        let year = table.rows[row].year.time_period();
        self.0
            .get(&(year, group.to_string(), levels.to_vec()))
            .copied()
    }

    /// The row of `table` in `row`'s year and levels, of `group`.
    pub(crate) fn sibling(&self, table: &PublishedTable, row: usize, group: &str) -> Option<usize> {
        self.find(table, row, group, &table.rows[row].levels)
    }
}

/// A measure column's name as published: lower case, since the EES screener's
/// `col_snake_case` warns on capitals (the measure's `t_all_SEN` is `t_all_sen`).
pub fn published_name(column: &str) -> String {
    column.to_lowercase()
}

/// A key of the levels the stats stage computed: (indicator, group, year, breakdown
/// filter, level).
type LevelKey = (String, String, i32, String, String);

/// The stats stage's level rows of one measure, by cell.
pub struct Levels<'a>(HashMap<LevelKey, &'a EstimateRecord>);

impl<'a> Levels<'a> {
    /// The level rows of `measure` among `records`.
    pub fn of(measure: &str, records: &'a [EstimateRecord]) -> Self {
        Self(
            records
                .iter()
                .filter(|record| record.measure == measure && record.estimand == Estimand::Level)
                .filter_map(|record| {
                    Some((
                        (
                            record.indicator.clone(),
                            record.group.clone(),
                            record.academic_year?,
                            record.breakdown.clone(),
                            record.breakdown_level.clone(),
                        ),
                        record,
                    ))
                })
                .collect(),
        )
    }
}

/// Natural order of filter levels: `Total` first, `Unknown` last, numbers as numbers
/// (`Year 2` before `Year 10`).
fn level_order(level: &str) -> (u8, String, u64) {
    let rank = match level {
        TOTAL => 0,
        "Unknown" => 2,
        _ => 1,
    };
    let digits: String = level.chars().filter(char::is_ascii_digit).collect();
    let stem: String = level.chars().filter(|c| !c.is_ascii_digit()).collect();
    (rank, stem, digits.parse().unwrap_or(0))
}

/// Where a measure row sits: year, group, and the breakdown (its index in
/// `BREAKDOWNS` and level) or `None` for the headline.
type RowKey = (i32, String, Option<(usize, String)>);

/// A measure's rows by where they sit: each count column's value.
struct Values {
    cells: HashMap<RowKey, Vec<Option<f64>>>,
}

fn read_values(
    file: &MeasureFile,
    counts: &[&str],
    filters: &mut Vec<(usize, Vec<String>)>,
) -> Result<Values, PublishError> {
    let problem = |message: String| PublishError::Input {
        measure: file.layout.measure.clone(),
        message,
    };
    let mut cells = HashMap::new();
    for batch in &file.batches {
        let text = |name: &str| -> Result<Option<arrow::array::ArrayRef>, PublishError> {
            batch
                .column_by_name(name)
                .map(|array| {
                    arrow::compute::cast(array, &DataType::Utf8)
                        .map_err(|_| problem(format!("`{name}` is not text")))
                })
                .transpose()
        };
        let years = batch
            .column_by_name("academic_year")
            .ok_or_else(|| problem("no column `academic_year`".to_string()))?;
        let years = arrow::compute::cast(years, &DataType::Int32)
            .map_err(|_| problem("`academic_year` is not a year".to_string()))?;
        let years = years.as_primitive::<arrow::datatypes::Int32Type>();
        let groups = text(GROUP_FILTER.column)?
            .ok_or_else(|| problem("no column `social_care_group`".to_string()))?;
        let groups = groups.as_string::<i32>();
        let breakdowns: Vec<Option<arrow::array::ArrayRef>> = BREAKDOWNS
            .iter()
            .map(|breakdown| text(breakdown.column))
            .collect::<Result<_, _>>()?;
        let numbers: Vec<arrow::array::ArrayRef> = counts
            .iter()
            .map(|name| {
                let array = batch.column_by_name(name).ok_or_else(|| {
                    problem(format!("no column `{name}`, which its layout counts"))
                })?;
                arrow::compute::cast(array, &DataType::Float64)
                    .map_err(|_| problem(format!("`{name}` is not a number")))
            })
            .collect::<Result<_, _>>()?;
        for row in 0..batch.num_rows() {
            let mut breakdown = None;
            for (index, array) in breakdowns.iter().enumerate() {
                let Some(array) = array else { continue };
                let array = array.as_string::<i32>();
                if array.is_valid(row) && array.value(row) != TOTAL {
                    let level = array.value(row).to_string();
                    let seen = match filters.iter_mut().find(|(filter, _)| *filter == index) {
                        Some(found) => found,
                        None => {
                            filters.push((index, Vec::new()));
                            filters.last_mut().ok_or_else(|| problem(String::new()))?
                        }
                    };
                    if !seen.1.contains(&level) {
                        seen.1.push(level.clone());
                    }
                    breakdown = Some((index, level));
                }
            }
            let values = numbers
                .iter()
                .map(|array| {
                    let array = array.as_primitive::<Float64Type>();
                    array.is_valid(row).then(|| array.value(row))
                })
                .collect();
            cells.insert(
                (years.value(row), groups.value(row).to_string(), breakdown),
                values,
            );
        }
    }
    Ok(Values { cells })
}

/// Builds a measure's published table and applies disclosure control to every count of
/// people: [`unprotected_table`], then suppression.
pub fn measure_table(
    file: &MeasureFile,
    levels: &Levels,
    la: LocalAuthority,
    rules: &DisclosureRules,
) -> Result<PublishedTable, PublishError> {
    let mut table = unprotected_table(file, levels, la)?;
    suppression::protect(
        std::slice::from_mut(&mut table),
        &[&file.layout],
        &Relations::embedded()?,
        rules,
    )?;
    Ok(table)
}

/// Builds a measure's published table before disclosure control: completes the matrix
/// (a level nobody is in is 0 and its rates `z`) and takes each figure and interval
/// from the stats stage's level rows.
pub fn unprotected_table(
    file: &MeasureFile,
    levels: &Levels,
    la: LocalAuthority,
) -> Result<PublishedTable, PublishError> {
    let layout = &file.layout;
    let counts: Vec<&str> = layout
        .columns
        .iter()
        .filter(|column| matches!(column.figure, Figure::Count { .. }))
        .map(|column| column.name.as_str())
        .collect();
    let count_index = |name: &str| counts.iter().position(|count| *count == name);
    let mut seen = Vec::new();
    let values = read_values(file, &counts, &mut seen)?;
    seen.sort_by_key(|(index, _)| *index);
    let filters: Vec<(usize, Filter)> = seen
        .into_iter()
        .map(|(index, mut found)| {
            found.sort_by_key(|level| level_order(level));
            let breakdown = BREAKDOWNS[index];
            let mut levels = vec![TOTAL.to_string()];
            levels.extend(found);
            (
                index,
                Filter {
                    column: breakdown.column.to_string(),
                    label: breakdown.label.to_string(),
                    hint: breakdown.hint.to_string(),
                    levels,
                    default: TOTAL.to_string(),
                },
            )
        })
        .collect();
    let mut rows = Vec::new();
    for time_period in &file.matrix.years {
        let year = AcademicYear::starting(time_period / 100);
        for group in &file.matrix.groups {
            let mut keys = vec![None];
            for (position, (index, filter)) in filters.iter().enumerate() {
                for level in filter.levels.iter().skip(1) {
                    keys.push(Some((position, *index, level.clone())));
                }
            }
            for key in keys {
                let breakdown = key
                    .as_ref()
                    .map(|(_, index, level)| (*index, level.clone()));
                let row_values = values.cells.get(&(*time_period, group.clone(), breakdown));
                let mut row_levels = vec![TOTAL.to_string(); filters.len()];
                if let Some((position, _, level)) = &key {
                    row_levels[*position] = level.clone();
                }
                let lineage_breakdown = key
                    .as_ref()
                    .map(|(_, index, level)| (BREAKDOWNS[*index].column.to_string(), level.clone()))
                    .unwrap_or_else(|| (TOTAL.to_string(), TOTAL.to_string()));
                let count_value = |name: &str| -> Option<Option<f64>> {
                    let index = count_index(name)?;
                    // A level with no row: nobody in it.
                    Some(row_values.map_or(Some(0.0), |values| values[index]))
                };
                let x = |name: &str| file.matrix.is_x(*time_period, group, name);
                let mut cells = Vec::with_capacity(layout.columns.len());
                for column in &layout.columns {
                    let cell = match &column.figure {
                        Figure::Count { .. } => match count_value(&column.name).flatten() {
                            _ if x(&column.name) => Cell::NotAvailable,
                            // A null count outside the matrix's x: not collected (KS4
                            // EBacc entry in a year whose file has none).
                            None => Cell::NotAvailable,
                            Some(value) => Cell::Value((value.max(0.0).round() as u64).to_string()),
                        },
                        Figure::Estimate {
                            indicator,
                            part,
                            from,
                            denominator,
                        } => {
                            if x(indicator)
                                || from.iter().any(|name| {
                                    x(name) || count_value(name).is_some_and(|v| v.is_none())
                                })
                            {
                                Cell::NotAvailable
                            } else if count_value(denominator).flatten().unwrap_or(0.0) <= 0.0 {
                                Cell::NotApplicable
                            } else {
                                let key = (
                                    indicator.clone(),
                                    group.clone(),
                                    *time_period,
                                    lineage_breakdown.0.clone(),
                                    lineage_breakdown.1.clone(),
                                );
                                let record =
                                    levels.0.get(&key).ok_or_else(|| PublishError::NoEstimate {
                                        measure: layout.measure.clone(),
                                        indicator: indicator.clone(),
                                        cell: format!(
                                            "{group} {year} {}={}",
                                            lineage_breakdown.0, lineage_breakdown.1
                                        ),
                                    })?;
                                let value = match part {
                                    Part::Estimate => record.estimate,
                                    Part::Lower => record.ci_lower,
                                    Part::Upper => record.ci_upper,
                                };
                                match value {
                                    Some(value) => Cell::figure(value, column.dp),
                                    None if record.not_available() => Cell::NotAvailable,
                                    None => Cell::NotApplicable,
                                }
                            }
                        }
                    };
                    cells.push(cell);
                }
                rows.push(PublishedRow {
                    year,
                    group: group.clone(),
                    levels: row_levels,
                    cells,
                });
            }
        }
    }
    Ok(PublishedTable {
        name: layout.measure.clone(),
        la,
        filters: filters.into_iter().map(|(_, filter)| filter).collect(),
        indicators: layout
            .columns
            .iter()
            .map(|column| Indicator {
                name: published_name(&column.name),
                label: column.label.clone(),
                unit: column.unit.clone(),
                dp: column.dp,
                grouping: column.grouping.clone(),
            })
            .collect(),
        rows,
        suppressed: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{Row, file};
    use crate::local_authority;
    use cwsw_dictionary::matrix::{Reason as Why, Unavailable};

    #[test]
    fn the_matrix_is_completed_with_x_where_it_says_and_breakdowns_in_natural_order() {
        let row = |group, sex, pupils| Row {
            year: 202122,
            group,
            sex,
            pupils: Some(pupils),
            flag: 10,
        };
        let (mut file, records) = file(
            &[
                // Each breakdown adds up to its Total (disclosure control checks it).
                Row {
                    flag: 20,
                    ..row("A", "Total", 100)
                },
                row("A", "Year 10", 40),
                row("A", "Year 2", 60),
                row("B", "Total", 100),
                Row {
                    pupils: None,
                    ..row("B", "Unknown", 0)
                },
            ],
            &["A", "B", "C"],
            &[202122, 202223],
        );
        file.matrix.unavailable.push(Unavailable {
            year: 202223,
            group: "B".into(),
            reason: Why::NotCollected,
        });
        file.matrix
            .columns_not_collected
            .insert("t_flag".into(), vec![202223]);
        let table = measure_table(
            &file,
            &Levels::of("test", &records),
            *local_authority("801").expect("Bristol"),
            &DisclosureRules::default(),
        )
        .expect("publishes");
        assert_eq!(table.filters.len(), 1);
        assert_eq!(table.filters[0].column, "sex");
        assert_eq!(
            table.filters[0].levels,
            ["Total", "Year 2", "Year 10", "Unknown"]
        );
        // 2 years × 3 groups × 4 levels, every cell present.
        assert_eq!(table.rows.len(), 24);
        let cells = |year: i32, group: &str, level: &str| {
            table
                .row(year, group, &[level.to_string()])
                .expect("a row")
                .cells
                .clone()
        };
        // A level nobody is in: 0, its rate z.
        assert_eq!(cells(202122, "B", "Year 2")[0], Cell::Value("0".into()));
        assert_eq!(cells(202122, "B", "Year 2")[3], Cell::NotApplicable);
        // A null count is not available, and so is what derives from it.
        assert_eq!(cells(202122, "B", "Unknown")[0], Cell::NotAvailable);
        assert_eq!(cells(202122, "B", "Unknown")[3], Cell::NotAvailable);
        // A (year, group) the matrix calls x, and a column not collected that year.
        assert!(
            cells(202223, "B", "Total")
                .iter()
                .all(|cell| *cell == Cell::NotAvailable)
        );
        assert_eq!(cells(202223, "A", "Total")[0], Cell::Value("0".into()));
        assert_eq!(cells(202223, "A", "Total")[2], Cell::NotAvailable);
        assert_eq!(cells(202223, "A", "Total")[3], Cell::NotAvailable);
        assert_eq!(cells(202122, "A", "Year 10")[3], Cell::Value("25.0".into()));
        assert_eq!(table.headline().rows.len(), 6);
    }
}
