//! The change in each group's gap since the role began: the difference in differences
//! and the event study, fitted at the pupil level (`cwsw_stats::contrasts`) on the rows
//! the run wrote, after checking that those rows add up to the measure's own cells.

use cwsw_dictionary::groups::ALL_PUPILS;
use cwsw_engine::Indicator;
use cwsw_stats::{Periods, PupilYear};

use crate::cells::{Breakdown, CellKey, Cells};
use crate::levels::{has_figure, unit};
use crate::pupils::PupilRows;
use crate::row::{Estimand, EstimateRow, REST_OF_PUPILS};
use crate::{CONFIDENCE, EstimatesError, MeasureContext};

const DID_METHOD: &str = "difference in differences of the gap to the rest of the pupils: weighted least squares of each pupil-year's rate on group, period and group x period, weighted by its denominator, standard errors clustered by pupil (statsmodels cov_type=cluster defaults: G/(G-1)(N-1)/(N-K), normal); a descriptive change in the gap, not an effect of the role";
const EVENT_METHOD: &str = "event study: the year's gap to the rest of the pupils minus the base year's, from one weighted least-squares fit of each pupil-year's rate on group x year cells, weighted by its denominator, standard errors clustered by pupil (statsmodels cov_type=cluster defaults); a descriptive change in the gap, not an effect of the role";

fn years_text(years: &[i32]) -> String {
    years
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The groups of a measure's headline cells, in the cells' order, all pupils left out.
fn groups(cells: &Cells) -> Vec<String> {
    let mut seen = Vec::new();
    for key in cells.keys() {
        if key.breakdown == Breakdown::Total
            && key.group != ALL_PUPILS.as_str()
            && !seen.contains(&key.group)
        {
            seen.push(key.group.clone());
        }
    }
    seen
}

fn total(year: i32, group: &str) -> CellKey {
    CellKey {
        year,
        group: group.to_string(),
        breakdown: Breakdown::Total,
    }
}

/// DiD and event-study rows for every indicator with pupil-level columns and every group.
/// A group's place in the cells' order and its rows.
type GroupResult = (usize, Result<Vec<EstimateRow>, EstimatesError>);

/// The groups are fitted on every core, each group's rows kept in group order.
pub fn rows(
    context: &MeasureContext,
    cells: &Cells,
    pupils: &PupilRows,
) -> Result<Vec<EstimateRow>, EstimatesError> {
    let Some(defaults) = context.did_years else {
        return Ok(Vec::new());
    };
    let groups = groups(cells);
    // All pupils' rows against the measure's all-pupils cells, once per indicator.
    let years: Vec<i32> = {
        let mut years: Vec<i32> = cells.keys().map(|key| key.year).collect();
        years.dedup();
        years
    };
    for indicator in context.indicators {
        if let Some([numerator, denominator]) = &indicator.pupil_level {
            let data_years: Vec<i32> = years
                .iter()
                .copied()
                .filter(|year| {
                    cells
                        .get(&total(*year, ALL_PUPILS.as_str()))
                        .is_some_and(|values| has_figure(indicator, values))
                })
                .collect();
            check(
                context,
                cells,
                pupils,
                indicator,
                ALL_PUPILS.as_str(),
                &data_years,
                [numerator, denominator],
            )?;
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(groups.len())
        .max(1);
    let results: Vec<Vec<GroupResult>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let groups = &groups;
                scope.spawn(move || {
                    let mut buffers = Buffers::default();
                    groups
                        .iter()
                        .enumerate()
                        .filter(|(index, _)| index % threads == thread)
                        .map(|(index, group)| {
                            let rows =
                                group_rows(context, defaults, cells, pupils, group, &mut buffers);
                            (index, rows)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or_default())
            .collect()
    });
    let mut ordered: Vec<GroupResult> = results.into_iter().flatten().collect();
    if ordered.len() != groups.len() {
        return Err(EstimatesError::PupilRows {
            message: "a thread fitting the groups stopped".to_string(),
        });
    }
    ordered.sort_by_key(|(index, _)| *index);
    let mut rows = Vec::new();
    for (_, result) in ordered {
        rows.extend(result?);
    }
    Ok(rows)
}

/// A thread's buffer, kept from one group to the next: a group's pupil-years, as the
/// row and whether it is in the group (5 MB at demo size). Allocating each group's and
/// indicator's rows afresh had the kernel zeroing pages for a third of the stage's time.
#[derive(Default)]
struct Buffers {
    base: Vec<(u32, bool)>,
}

/// One group's DiD and event-study rows, for every indicator with pupil-level columns.
fn group_rows(
    context: &MeasureContext,
    defaults: cwsw_engine::DidYears,
    cells: &Cells,
    pupils: &PupilRows,
    group: &String,
    buffers: &mut Buffers,
) -> Result<Vec<EstimateRow>, EstimatesError> {
    let mut rows = Vec::new();
    let years: Vec<i32> = {
        let mut years: Vec<i32> = cells.keys().map(|key| key.year).collect();
        years.dedup();
        years
    };
    {
        // Every pupil-year of all pupils, marked in the group or not, for every indicator.
        membership(pupils, group, &years, &mut buffers.base);
        for indicator in context.indicators {
            let Some([numerator, denominator]) = &indicator.pupil_level else {
                continue;
            };
            let (unit_name, factor) = unit(indicator.estimator);
            // The years both the group and all pupils have the figure.
            let data_years: Vec<i32> = years
                .iter()
                .copied()
                .filter(|year| {
                    [group.as_str(), ALL_PUPILS.as_str()].iter().all(|label| {
                        cells
                            .get(&total(*year, label))
                            .is_some_and(|values| has_figure(indicator, values))
                    })
                })
                .collect();
            let (pre, post): (Vec<i32>, Vec<i32>) = match context.periods {
                Some(periods) => (
                    periods
                        .pre
                        .iter()
                        .copied()
                        .filter(|year| data_years.contains(year))
                        .collect(),
                    periods
                        .post
                        .iter()
                        .copied()
                        .filter(|year| data_years.contains(year))
                        .collect(),
                ),
                None => (
                    data_years
                        .iter()
                        .copied()
                        .filter(|year| *year <= defaults.pre_until)
                        .collect(),
                    data_years
                        .iter()
                        .copied()
                        .filter(|year| *year >= defaults.post_from)
                        .collect(),
                ),
            };
            let mut did = EstimateRow {
                measure: context.measure.to_string(),
                indicator: indicator.column.clone(),
                research_question: context.research_question.to_string(),
                estimand: Estimand::DifferenceInDifferences,
                group: group.clone(),
                comparison: Some(REST_OF_PUPILS.to_string()),
                academic_year: None,
                pre_years: Some(years_text(&pre)),
                post_years: Some(years_text(&post)),
                breakdown: "Total".to_string(),
                breakdown_level: "Total".to_string(),
                unit: unit_name,
                estimate: None,
                pupil_years: None,
                family: None,
                p_value_bh: None,
                method: DID_METHOD.to_string(),
                note: None,
                lineage: pre
                    .iter()
                    .chain(&post)
                    .flat_map(|year| {
                        [
                            total(*year, group).lineage(context.measure),
                            total(*year, ALL_PUPILS.as_str()).lineage(context.measure),
                        ]
                    })
                    .collect(),
            };
            if !pupils.has_group(group) {
                did.note = Some(format!(
                    "no pupil-level rows for {group} (the look-back peers are all pupils outside Ever CIN, so their gap is Ever CIN's)"
                ));
                rows.push(did);
                continue;
            }
            if pre.is_empty() || post.is_empty() {
                did.note = Some(format!(
                    "the returns do not support {group} with this figure in both periods (before: years to {}, since: years from {}; {} held)",
                    context.periods.map_or(defaults.pre_until, |periods| periods
                        .pre
                        .iter()
                        .copied()
                        .max()
                        .unwrap_or_default()),
                    context.periods.map_or(defaults.post_from, |periods| periods
                        .post
                        .iter()
                        .copied()
                        .min()
                        .unwrap_or_default()),
                    if data_years.is_empty() {
                        "no year".to_string()
                    } else {
                        years_text(&data_years)
                    },
                ));
                rows.push(did);
                continue;
            }
            check(
                context,
                cells,
                pupils,
                indicator,
                group,
                &data_years,
                [numerator, denominator],
            )?;
            let (numerators, denominators) =
                (pupils.column(numerator)?, pupils.column(denominator)?);
            // The pupil-years in pupil order, as the fit reads them (twice).
            let sample = || {
                buffers.base.iter().map(|(row, in_group)| {
                    let row = *row as usize;
                    PupilYear {
                        cluster: pupils.pupils[row],
                        year: pupils.years[row],
                        in_group: *in_group,
                        numerator: numerators[row],
                        denominator: denominators[row],
                    }
                })
            };
            let periods = Periods {
                pre: pre.clone(),
                post: post.clone(),
            };
            // The event study: every year with the figure against the last year before.
            let base_year = pre.iter().copied().max().unwrap_or_default();
            let changes = cwsw_stats::changes_in_cluster_order(
                sample,
                &data_years,
                base_year,
                &periods,
                CONFIDENCE,
            )?;
            match changes.did {
                Some(contrast) => {
                    did.estimate = Some(contrast.estimate.scaled(factor));
                    did.pupil_years = Some((contrast.rows, contrast.clusters));
                }
                None => did.note = Some("a cell of the fit has no denominator".to_string()),
            }
            rows.push(did.clone());
            for (year, contrast) in changes.event_study {
                let mut row = EstimateRow {
                    estimand: Estimand::EventStudy,
                    academic_year: Some(year),
                    pre_years: Some(base_year.to_string()),
                    post_years: None,
                    method: EVENT_METHOD.to_string(),
                    lineage: [year, base_year]
                        .iter()
                        .flat_map(|year| {
                            [
                                total(*year, group).lineage(context.measure),
                                total(*year, ALL_PUPILS.as_str()).lineage(context.measure),
                            ]
                        })
                        .collect(),
                    estimate: None,
                    pupil_years: None,
                    note: None,
                    ..did.clone()
                };
                match contrast {
                    Some(contrast) => {
                        row.estimate = Some(contrast.estimate.scaled(factor));
                        row.pupil_years = Some((contrast.rows, contrast.clusters));
                    }
                    None => row.note = Some("a cell of the fit has no denominator".to_string()),
                }
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// Each pupil-year of all pupils in `years`, pupil by pupil (so the fit reads its
/// clusters in order): the row (the all-pupils row, or the group's own for a member with
/// no census record that year) and whether the pupil is in the group that year.
fn membership(pupils: &PupilRows, group: &str, years: &[i32], base: &mut Vec<(u32, bool)>) {
    base.clear();
    let (Some(group), all) = (pupils.label(group), pupils.label(ALL_PUPILS.as_str())) else {
        return;
    };
    let rows = pupils.years.len();
    let mut start = 0;
    while start < rows {
        let (pupil, year) = (pupils.pupils[start], pupils.years[start]);
        let mut end = start + 1;
        while end < rows && pupils.pupils[end] == pupil && pupils.years[end] == year {
            end += 1;
        }
        if years.contains(&year) {
            let find =
                |label: Option<u32>| (start..end).find(|row| Some(pupils.groups[*row]) == label);
            match (find(all), find(Some(group))) {
                (Some(row), member) => base.push((row as u32, member.is_some())),
                (None, Some(row)) => base.push((row as u32, true)),
                (None, None) => {}
            }
        }
        start = end;
    }
}

/// Checks that the group's and all pupils' rows add up to the measure's cells in each
/// year: the pupil-level rows and the measures must come from one run of one query set.
#[allow(clippy::too_many_arguments)]
fn check(
    context: &MeasureContext,
    cells: &Cells,
    pupils: &PupilRows,
    indicator: &Indicator,
    group: &str,
    years: &[i32],
    [numerator, denominator]: [&String; 2],
) -> Result<(), EstimatesError> {
    let numerators = pupils.column(numerator)?;
    let denominators = pupils.column(denominator)?;
    for year in years {
        // All pupils' rows once per indicator and year (`check_all_pupils`), not per group.
        let labels: &[&str] = if group == ALL_PUPILS.as_str() {
            &[ALL_PUPILS.as_str()]
        } else {
            &[group]
        };
        for label in labels {
            let rows = pupils.of(*year, label);
            let sum = |values: &[f64]| rows.iter().map(|row| values[*row]).sum::<f64>();
            let cell = cells.get(&total(*year, label));
            for (column, pupil_sum) in [
                (&indicator.numerator, sum(numerators)),
                (&indicator.denominator, sum(denominators)),
            ] {
                let measure_value = cell
                    .and_then(|values| values.get(column).copied().flatten())
                    .unwrap_or_default();
                if (pupil_sum - measure_value).abs() > 1e-6 * measure_value.abs().max(1.0) {
                    return Err(EstimatesError::Disagree {
                        measure: context.measure.to_string(),
                        group: label.to_string(),
                        year: *year,
                        column: column.clone(),
                        pupil_sum,
                        measure_value,
                    });
                }
            }
        }
    }
    Ok(())
}
