//! Each cell's figure with its interval, and each group's gap to the rest of the pupils
//! and to all pupils (headline cells), from the sufficient statistics the measure
//! returns. Rates are estimated as proportions (0–1) and written in percent.

use std::collections::BTreeMap;

use cwsw_dictionary::{SourcedParameter, groups::ALL_PUPILS};
use cwsw_engine::{Estimator, Indicator};
use cwsw_stats::{Estimate, MeanSums, RatioSums};

use crate::cells::{Breakdown, CellKey, Cells};
use crate::row::{Estimand, EstimateRow, REST_OF_PUPILS};
use crate::{CONFIDENCE, EstimatesError, MeasureContext};

/// The sufficient statistics of one indicator in one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sums {
    Proportion { successes: u64, trials: u64 },
    Ratio(RatioSums),
    Mean(MeanSums),
    Progress8 { n: u64, sum: f64 },
}

impl Sums {
    /// The denominator's total, whose share of all pupils scales the gap to all pupils.
    fn weight(&self) -> f64 {
        match self {
            Self::Proportion { trials, .. } => *trials as f64,
            Self::Ratio(sums) => sums.denominator,
            Self::Mean(sums) => sums.n as f64,
            Self::Progress8 { n, .. } => *n as f64,
        }
    }

    /// The pupils of `self` outside `part`; `None` when `part` is not within it.
    fn minus(&self, part: &Self) -> Option<Self> {
        match (self, part) {
            (
                Self::Proportion { successes, trials },
                Self::Proportion {
                    successes: part_successes,
                    trials: part_trials,
                },
            ) => Some(Self::Proportion {
                successes: successes.checked_sub(*part_successes)?,
                trials: trials.checked_sub(*part_trials)?,
            }),
            (Self::Ratio(all), Self::Ratio(part)) => all.minus(part).map(Self::Ratio),
            (Self::Mean(all), Self::Mean(part)) => all.minus(part).map(Self::Mean),
            (
                Self::Progress8 { n, sum },
                Self::Progress8 {
                    n: part_n,
                    sum: part_sum,
                },
            ) => Some(Self::Progress8 {
                n: n.checked_sub(*part_n)?,
                sum: sum - part_sum,
            }),
            _ => None,
        }
    }
}

/// Why a cell has no figure: `x` (not available) or `z` (no denominator).
const NOT_AVAILABLE: &str =
    "x: not available (not collected, a year not whole, or a group the returns do not support)";
const NO_DENOMINATOR: &str = "z: no pupils in the denominator";

/// Reads an indicator's sums from a cell; `Err` with the note when it has none.
fn sums(
    indicator: &Indicator,
    values: &BTreeMap<String, Option<f64>>,
) -> Result<Sums, &'static str> {
    let get = |column: &Option<String>| -> Result<f64, &'static str> {
        column
            .as_ref()
            .and_then(|column| values.get(column).copied().flatten())
            .ok_or(NOT_AVAILABLE)
    };
    let numerator = get(&Some(indicator.numerator.clone()))?;
    let denominator = get(&Some(indicator.denominator.clone()))?;
    // The column the figure itself is in: x when its year or column was not collected.
    get(&Some(indicator.column.clone())).or_else(|note| {
        if denominator == 0.0 {
            Ok(0.0)
        } else {
            Err(note)
        }
    })?;
    if denominator <= 0.0 {
        return Err(NO_DENOMINATOR);
    }
    let count = |value: f64| value.max(0.0).round() as u64;
    Ok(match indicator.estimator {
        Estimator::Proportion => Sums::Proportion {
            successes: count(numerator),
            trials: count(denominator),
        },
        Estimator::Ratio => {
            let cross = get(&indicator.cross)?;
            if indicator.binary {
                // 0/1 per pupil: a² = a, p² = p, and each pupil is counted in a, p or both.
                Sums::Ratio(RatioSums {
                    n: count(numerator + denominator - cross),
                    numerator,
                    denominator,
                    numerator_squared: numerator,
                    denominator_squared: denominator,
                    cross,
                })
            } else {
                Sums::Ratio(RatioSums {
                    n: count(get(&indicator.pupils)?),
                    numerator,
                    denominator,
                    numerator_squared: get(&indicator.numerator_squared)?,
                    denominator_squared: get(&indicator.denominator_squared)?,
                    cross,
                })
            }
        }
        Estimator::Mean => Sums::Mean(MeanSums {
            n: count(denominator),
            sum: numerator,
            sum_squared: get(&indicator.numerator_squared)?,
        }),
        Estimator::Progress8 => Sums::Progress8 {
            n: count(denominator),
            sum: numerator,
        },
    })
}

/// Whether a cell holds the indicator's figure (neither `x` nor `z`).
pub(crate) fn has_figure(indicator: &Indicator, values: &BTreeMap<String, Option<f64>>) -> bool {
    sums(indicator, values).is_ok()
}

/// `percent` for a rate, `points` for a score, and the factor from the estimate's unit.
pub(crate) fn unit(estimator: Estimator) -> (&'static str, f64) {
    match estimator {
        Estimator::Proportion | Estimator::Ratio => ("percent", 100.0),
        Estimator::Mean | Estimator::Progress8 => ("points", 1.0),
    }
}

fn level_method(estimator: Estimator, sd: Option<&(f64, String)>) -> String {
    match estimator {
        Estimator::Proportion => "Wilson score interval (Newcombe 1998, method 3)".to_string(),
        Estimator::Ratio => "ratio of sums with the pupil as the unit: delta-method (linearisation) standard error n/(n-1) sum(a - R p)^2 / (sum p)^2, normal interval".to_string(),
        Estimator::Mean => "mean with a t interval on n - 1 degrees of freedom".to_string(),
        Estimator::Progress8 => match sd {
            Some((sd, source)) => format!(
                "DfE Progress 8 interval: mean +/- 1.96 sd / sqrt(n), sd the national standard deviation of pupil P8 scores, {sd} ({source})"
            ),
            None => "DfE Progress 8 interval: mean +/- 1.96 sd / sqrt(n)".to_string(),
        },
    }
}

fn gap_method(estimator: Estimator, to_all: bool) -> String {
    let test = match estimator {
        Estimator::Proportion => {
            "difference of proportions, Wald (unpooled) standard error, normal interval and z test"
        }
        Estimator::Ratio => {
            "difference of ratios of sums: weighted least squares of each pupil's rate on group membership, weighted by its denominator, pupil-clustered standard errors (statsmodels cov_type=cluster defaults), normal interval and z test"
        }
        Estimator::Mean => "difference of means, Welch's t test and interval",
        Estimator::Progress8 => {
            "difference of mean P8 scores with the national standard deviation as the spread, normal interval and z test"
        }
    };
    if to_all {
        format!(
            "the gap to the rest of the pupils scaled by (1 - s), s the group's share of all pupils' denominator, standard error and interval scaled alike, the same test: {test}"
        )
    } else {
        format!("against every pupil outside the group (disjoint samples): {test}")
    }
}

/// The P8 national standard deviation of a year and where it comes from.
fn national_sd(parameter: &SourcedParameter, year: i32) -> Option<(f64, String)> {
    parameter
        .values
        .iter()
        .find(|value| value.academic_year == year)
        .map(|value| {
            (
                value.value,
                format!(
                    "{} {}, {}",
                    parameter.source, value.vintage, value.reference
                ),
            )
        })
}

/// Level rows for every cell and indicator, and gap rows for each headline cell of a
/// group other than all pupils.
pub fn rows(context: &MeasureContext, cells: &Cells) -> Result<Vec<EstimateRow>, EstimatesError> {
    let mut rows = Vec::new();
    for indicator in context.indicators {
        let (unit_name, factor) = unit(indicator.estimator);
        let base = |estimand: Estimand, key: &CellKey| EstimateRow {
            measure: context.measure.to_string(),
            indicator: indicator.column.clone(),
            research_question: context.research_question.to_string(),
            estimand,
            group: key.group.clone(),
            comparison: None,
            academic_year: Some(key.year),
            pre_years: None,
            post_years: None,
            breakdown: key.breakdown.filter().to_string(),
            breakdown_level: key.breakdown.level().to_string(),
            unit: unit_name,
            estimate: None,
            pupil_years: None,
            family: None,
            p_value_bh: None,
            method: String::new(),
            note: None,
            lineage: vec![key.lineage(context.measure)],
        };
        for (key, values) in cells {
            let sd = national_sd(context.p8_national_sd, key.year);
            let mut row = base(Estimand::Level, key);
            row.method = level_method(indicator.estimator, sd.as_ref());
            match sums(indicator, values) {
                Ok(cell) => match level(&cell, sd.as_ref())? {
                    Ok(estimate) => row.estimate = Some(estimate.scaled(factor)),
                    Err(note) => row.note = Some(note),
                },
                Err(note) => row.note = Some(note.to_string()),
            }
            rows.push(row);
        }
        if !indicator.gap {
            continue;
        }
        for (key, values) in cells {
            if key.breakdown != Breakdown::Total || key.group == ALL_PUPILS.as_str() {
                continue;
            }
            let all_key = CellKey {
                group: ALL_PUPILS.to_string(),
                ..key.clone()
            };
            let sd = national_sd(context.p8_national_sd, key.year);
            let mut rest_row = base(Estimand::GapToRest, key);
            rest_row.comparison = Some(REST_OF_PUPILS.to_string());
            rest_row.method = gap_method(indicator.estimator, false);
            rest_row.lineage.push(all_key.lineage(context.measure));
            let mut all_row = base(Estimand::GapToAllPupils, key);
            all_row.comparison = Some(ALL_PUPILS.to_string());
            all_row.method = gap_method(indicator.estimator, true);
            all_row.lineage = rest_row.lineage.clone();
            let group = sums(indicator, values);
            let all = cells
                .get(&all_key)
                .ok_or(NOT_AVAILABLE)
                .and_then(|values| sums(indicator, values));
            match (group, all) {
                (Ok(group), Ok(all)) => match gap(&group, &all, sd.as_ref())? {
                    Ok((estimate, share)) => {
                        rest_row.estimate = Some(estimate.scaled(factor));
                        all_row.estimate = Some(estimate.scaled(factor * (1.0 - share)));
                    }
                    Err(note) => {
                        rest_row.note = Some(note.clone());
                        all_row.note = Some(note);
                    }
                },
                (Err(note), _) | (_, Err(note)) => {
                    rest_row.note = Some(note.to_string());
                    all_row.note = Some(note.to_string());
                }
            }
            rows.push(rest_row);
            rows.push(all_row);
        }
    }
    Ok(rows)
}

/// One cell's interval; `Ok(Err(note))` when it has none.
fn level(
    sums: &Sums,
    sd: Option<&(f64, String)>,
) -> Result<Result<Estimate, String>, EstimatesError> {
    let estimate = match sums {
        Sums::Proportion { successes, trials } => {
            cwsw_stats::proportion(*successes, *trials, CONFIDENCE)?
        }
        Sums::Ratio(sums) => cwsw_stats::ratio(sums, CONFIDENCE)?,
        Sums::Mean(sums) => cwsw_stats::mean(sums, CONFIDENCE)?,
        Sums::Progress8 { n, sum } => match sd {
            Some((sd, _)) => cwsw_stats::progress8(*n, *sum, *sd),
            None => return Ok(Err(NO_NATIONAL_SD.to_string())),
        },
    };
    Ok(estimate.ok_or_else(|| NO_DENOMINATOR.to_string()))
}

const NO_NATIONAL_SD: &str = "no national Progress 8 standard deviation is held for this year (data-dictionary/parameters/p8_national_sd.yaml)";

/// The gap of a group to the rest of all pupils, and the group's share of all pupils;
/// `Ok(Err(note))` when there is none.
fn gap(
    group: &Sums,
    all: &Sums,
    sd: Option<&(f64, String)>,
) -> Result<Result<(Estimate, f64), String>, EstimatesError> {
    let Some(rest) = all.minus(group) else {
        return Ok(Err(
            "the group's counts are not within all pupils' (it counts pupils all pupils comparison does not)"
                .to_string(),
        ));
    };
    let share = group.weight() / all.weight();
    let estimate = match (group, &rest) {
        (
            Sums::Proportion { successes, trials },
            Sums::Proportion {
                successes: rest_successes,
                trials: rest_trials,
            },
        ) => cwsw_stats::proportion_gap(
            (*successes, *trials),
            (*rest_successes, *rest_trials),
            CONFIDENCE,
        )?,
        (Sums::Ratio(group), Sums::Ratio(rest)) => cwsw_stats::ratio_gap(group, rest, CONFIDENCE)?,
        (Sums::Mean(group), Sums::Mean(rest)) => cwsw_stats::mean_gap(group, rest, CONFIDENCE)?,
        (
            Sums::Progress8 { n, sum },
            Sums::Progress8 {
                n: rest_n,
                sum: rest_sum,
            },
        ) => match sd {
            Some((sd, _)) => {
                cwsw_stats::progress8_gap((*n, *sum), (*rest_n, *rest_sum), *sd, CONFIDENCE)?
            }
            None => return Ok(Err(NO_NATIONAL_SD.to_string())),
        },
        _ => None,
    };
    Ok(estimate
        .map(|estimate| (estimate, share))
        .ok_or_else(|| "too few pupils on one side to compare".to_string()))
}
