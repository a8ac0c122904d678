//! Changes in a gap over time, at the pupil level: the difference in differences of the
//! gap since the role began, and the event study (each year's gap against a base year).
//!
//! Both are weighted least-squares fits of each pupil-year's rate aᵢₜ/pᵢₜ on a saturated
//! set of cell indicators, weighted by pᵢₜ (possible sessions, or 1 for a pupil count),
//! with standard errors clustered by pupil (a pupil seen in several years is one
//! cluster). In a saturated model each cell's coefficient is its ratio of sums
//! R_c = Σa/Σp, the very figure the measures publish, and the quantity of interest is a
//! contrast Σ w_c R_c of them: for the difference in differences (cells group × period)
//!
//! DiD = (R_group,post − R_rest,post) − (R_group,pre − R_rest,pre),
//!
//! the coefficient of group × post in `a/p ~ 1 + group + post + group:post`. Its
//! cluster-robust variance is the sandwich A⁻¹ M A⁻¹ with A = Σ p x xᵀ (diagonal in the
//! cell indicators, entries P_c = Σ_c p) and M = Σ_g u_g u_gᵀ over clusters; for the
//! contrast this is
//!
//! V = c · Σ_g (Σ_{rows of g} w_c (a − R_c p) / P_c)², c = G/(G−1) · (N−1)/(N−K),
//!
//! with N rows, G clusters and K cells, statsmodels' defaults for `cov_type="cluster"`
//! (its small-sample correction, and the normal distribution for tests and intervals).
//! Written as estimating equations, a row with a numerator and no denominator (a pupil
//! excluded while off the spring roll) adds to its cell's Σa and its cluster's score,
//! as it adds to the published ratio. These are descriptive changes in the gap, not
//! effects of the role.

use crate::distribution::normal_quantile;
use crate::gaps::with_normal_test;
use crate::{Estimate, StatsError};

/// One pupil-year: its cluster (the pupil), whether it is in the group that year, its
/// year, and its numerator and denominator of the outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PupilYear {
    /// The cluster: one per pupil, whatever its years.
    pub cluster: u64,
    /// Academic year as EES time_period (202122).
    pub year: i32,
    /// In the group that year (else in the rest of the pupils).
    pub in_group: bool,
    /// The pupil's numerator (absence sessions; 1 if persistently absent; a score).
    pub numerator: f64,
    /// The pupil's denominator (possible sessions; 1 for a pupil).
    pub denominator: f64,
}

/// The years of a difference in differences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    /// Years before the role began, pooled.
    pub pre: Vec<i32>,
    /// Years since, pooled.
    pub post: Vec<i32>,
}

/// What a contrast rests on: the rows and clusters the fit used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contrast {
    /// The estimate, its standard error, interval and z test.
    pub estimate: Estimate,
    /// Pupil-years used (N).
    pub rows: usize,
    /// Pupils (clusters, G).
    pub clusters: usize,
}

/// A group's changes in its gap from one pass over its pupil-years: the difference in
/// differences and the event study.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    /// Post against pre (`None` when a cell has no denominator or too few clusters).
    pub did: Option<Contrast>,
    /// Each year other than the base against the base, in the order of `years`.
    pub event_study: Vec<(i32, Option<Contrast>)>,
}

/// The difference in differences of the gap between the group and the rest of the
/// pupils, pre against post (see the module documentation). Rows of other years, and
/// rows with neither a numerator nor a denominator, are left out. `None` when a cell has
/// no denominator or there are no more clusters than one.
pub fn difference_in_differences(
    rows: &[PupilYear],
    periods: &Periods,
    confidence: f64,
) -> Result<Option<Contrast>, StatsError> {
    let mut years: Vec<i32> = periods.pre.iter().chain(&periods.post).copied().collect();
    years.sort_unstable();
    years.dedup();
    let Some(base) = years.first().copied() else {
        return Ok(None);
    };
    Ok(changes(rows, &years, base, periods, confidence)?.did)
}

/// The event study: for each year other than `base`, that year's gap minus the base
/// year's gap, from one fit over `years` (cells group × year, K = 2 × years). `None` for
/// a year whose cells have no denominator; the list follows `years` without `base`.
pub fn event_study(
    rows: &[PupilYear],
    years: &[i32],
    base: i32,
    confidence: f64,
) -> Result<Vec<(i32, Option<Contrast>)>, StatsError> {
    let periods = Periods {
        pre: vec![base],
        post: Vec::new(),
    };
    Ok(changes(rows, years, base, &periods, confidence)?.event_study)
}

/// The difference in differences over `periods` and the event study over `years`
/// against `base`, from rows in any order: they are read in cluster order (sorted
/// first, stably, unless they already are), so the result does not depend on the order
/// they came in. Every year of `periods` must be one of `years`.
pub fn changes(
    rows: &[PupilYear],
    years: &[i32],
    base: i32,
    periods: &Periods,
    confidence: f64,
) -> Result<Changes, StatsError> {
    if rows
        .windows(2)
        .all(|pair| pair[0].cluster <= pair[1].cluster)
    {
        changes_in_cluster_order(|| rows.iter().copied(), years, base, periods, confidence)
    } else {
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        order.sort_by_key(|position| rows[*position as usize].cluster);
        changes_in_cluster_order(
            || order.iter().map(|position| rows[*position as usize]),
            years,
            base,
            periods,
            confidence,
        )
    }
}

/// [`changes`] from rows the caller gives in cluster order (each cluster's rows
/// together, clusters ascending), read twice through `rows`: the cells' sums, then each
/// cluster's sums per cell, turned into its score for every contrast as the cluster
/// ends. The squared scores are summed in the order of the cluster ids; memory is a few
/// numbers per cell, whatever the number of rows. An error if a cluster comes after a
/// larger one.
pub fn changes_in_cluster_order<I: Iterator<Item = PupilYear>>(
    rows: impl Fn() -> I,
    years: &[i32],
    base: i32,
    periods: &Periods,
    confidence: f64,
) -> Result<Changes, StatsError> {
    let z = normal_quantile(confidence)?;
    let Some(base_index) = years.iter().position(|year| *year == base) else {
        return Err(StatsError::BaseYear(base));
    };
    if let Some(year) = periods
        .pre
        .iter()
        .chain(&periods.post)
        .find(|year| !years.contains(year))
    {
        return Err(StatsError::PeriodYear(*year));
    }
    // Each year's period for the DiD: 0 before, 1 since, none when in neither.
    let period = years
        .iter()
        .map(|year| {
            if periods.pre.contains(year) {
                Some(0)
            } else if periods.post.contains(year) {
                Some(1)
            } else {
                None
            }
        })
        .collect();
    let cells = Cells::new(years, period);
    let sums = cells.sums(rows());
    let scores = cells.scores(&sums, rows(), base_index)?;
    // The event study's cells are year × group; the DiD's, period × group.
    let did = contrast(
        &sums.pooled(&cells),
        &[1.0, -1.0, -1.0, 1.0],
        scores.did_meat,
        scores.did_clusters,
        z,
    );
    let event_study = years
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != base_index)
        .map(|(index, year)| {
            let mut weights = vec![0.0; cells.count()];
            weights[2 * index + 1] = 1.0;
            weights[2 * index] = -1.0;
            weights[2 * base_index + 1] = -1.0;
            weights[2 * base_index] = 1.0;
            (
                *year,
                contrast(
                    &sums,
                    &weights,
                    scores.event_meat[index],
                    scores.clusters,
                    z,
                ),
            )
        })
        .collect();
    Ok(Changes { did, event_study })
}

/// The cells of the fits: cell 2y + g is year y (its place in `years`), g = 1 in the
/// group; the DiD pools a period's years, cell 2q + g.
struct Cells<'a> {
    years: &'a [i32],
    /// Each year's DiD period.
    period: Vec<Option<usize>>,
    /// Each year's place in `years`, indexed from the first year (`NO_YEAR` for none):
    /// the row's cell is looked up twice per row, and a scan of the years was a fifth
    /// of the fits' time.
    first: i32,
    places: Vec<u8>,
}

/// A year that is not one of the fit's.
const NO_YEAR: u8 = u8::MAX;

/// Per cell: Σ numerator, Σ denominator and rows used.
#[derive(Debug, Clone, Default)]
struct Sums {
    numerators: Vec<f64>,
    denominators: Vec<f64>,
    rows: Vec<usize>,
}

/// Each contrast's Σ over clusters of its squared score, and the clusters with a row.
struct Scores {
    event_meat: Vec<f64>,
    clusters: usize,
    did_meat: f64,
    did_clusters: usize,
}

impl<'a> Cells<'a> {
    fn new(years: &'a [i32], period: Vec<Option<usize>>) -> Self {
        let first = years.iter().copied().min().unwrap_or_default();
        let last = years.iter().copied().max().unwrap_or_default();
        // Years as EES writes them (201819) span a few hundred; other numberings, or
        // more years than a u8 holds, take the scan.
        let span = i64::from(last) - i64::from(first) + 1;
        let places = if years.len() < usize::from(NO_YEAR) && span <= 4096 {
            let mut places = vec![NO_YEAR; span as usize];
            for (place, year) in years.iter().enumerate().rev() {
                places[(year - first) as usize] = place as u8;
            }
            places
        } else {
            Vec::new()
        };
        Self {
            years,
            period,
            first,
            places,
        }
    }

    fn place(&self, year: i32) -> Option<usize> {
        if self.places.is_empty() {
            return self.years.iter().position(|each| *each == year);
        }
        let place = *self
            .places
            .get(usize::try_from(i64::from(year) - i64::from(self.first)).ok()?)?;
        (place != NO_YEAR).then_some(usize::from(place))
    }

    fn count(&self) -> usize {
        2 * self.years.len()
    }

    /// The row's cell, `None` for a row of another year or with neither a numerator nor
    /// a denominator.
    fn of(&self, row: &PupilYear) -> Option<usize> {
        if row.numerator == 0.0 && row.denominator == 0.0 {
            return None;
        }
        let year = self.place(row.year)?;
        Some(2 * year + usize::from(row.in_group))
    }

    fn sums(&self, rows: impl Iterator<Item = PupilYear>) -> Sums {
        let mut sums = Sums {
            numerators: vec![0.0; self.count()],
            denominators: vec![0.0; self.count()],
            rows: vec![0; self.count()],
        };
        for row in rows {
            if let Some(cell) = self.of(&row) {
                sums.numerators[cell] += row.numerator;
                sums.denominators[cell] += row.denominator;
                sums.rows[cell] += 1;
            }
        }
        sums
    }

    /// One pass in cluster order: a cluster's numerators and denominators per cell,
    /// then, when it ends, its score u = Σ_c w_c (a_c − R_c p_c) / P_c for each
    /// contrast, squared into that contrast's sum.
    fn scores(
        &self,
        sums: &Sums,
        rows: impl Iterator<Item = PupilYear>,
        base: usize,
    ) -> Result<Scores, StatsError> {
        let cells = self.count();
        let pooled = sums.pooled(self);
        // Per cell: R_c and 1/P_c, for the year cells and the pooled ones.
        let ratio = |sums: &Sums, cell: usize| {
            if sums.denominators[cell] > 0.0 {
                (
                    sums.numerators[cell] / sums.denominators[cell],
                    1.0 / sums.denominators[cell],
                )
            } else {
                (0.0, 0.0)
            }
        };
        let year_cells: Vec<(f64, f64)> = (0..cells).map(|cell| ratio(sums, cell)).collect();
        let did_cells: Vec<(f64, f64)> = (0..4).map(|cell| ratio(&pooled, cell)).collect();
        let mut scores = Scores {
            event_meat: vec![0.0; self.years.len()],
            clusters: 0,
            did_meat: 0.0,
            did_clusters: 0,
        };
        let mut numerators = vec![0.0; cells];
        let mut denominators = vec![0.0; cells];
        let mut used = vec![false; cells];
        let mut flush = |numerators: &mut [f64], denominators: &mut [f64], used: &mut [bool]| {
            if !used.iter().any(|used| *used) {
                return;
            }
            scores.clusters += 1;
            // Each year cell's term (a_c − R_c p_c) / P_c.
            let term = |cell: usize| {
                let (ratio, inverse) = year_cells[cell];
                (numerators[cell] - ratio * denominators[cell]) * inverse
            };
            let base_gap = term(2 * base + 1) - term(2 * base);
            for (year, meat) in scores.event_meat.iter_mut().enumerate() {
                if year != base {
                    let score = term(2 * year + 1) - term(2 * year) - base_gap;
                    *meat += score * score;
                }
            }
            // The DiD: the cluster's sums pooled over each period's years.
            let mut pooled_numerators = [0.0; 4];
            let mut pooled_denominators = [0.0; 4];
            let mut in_did = false;
            for cell in 0..cells {
                if let (true, Some(period)) = (used[cell], self.period[cell / 2]) {
                    let pooled = 2 * period + cell % 2;
                    pooled_numerators[pooled] += numerators[cell];
                    pooled_denominators[pooled] += denominators[cell];
                    in_did = true;
                }
            }
            if in_did {
                scores.did_clusters += 1;
                let score: f64 = [1.0, -1.0, -1.0, 1.0]
                    .iter()
                    .enumerate()
                    .map(|(cell, weight)| {
                        let (ratio, inverse) = did_cells[cell];
                        weight
                            * (pooled_numerators[cell] - ratio * pooled_denominators[cell])
                            * inverse
                    })
                    .sum();
                scores.did_meat += score * score;
            }
            numerators.fill(0.0);
            denominators.fill(0.0);
            used.fill(false);
        };
        let mut current = None;
        for row in rows {
            let Some(cell) = self.of(&row) else {
                continue;
            };
            if current != Some(row.cluster) {
                if current.is_some_and(|current| current > row.cluster) {
                    return Err(StatsError::ClusterOrder(row.cluster));
                }
                flush(&mut numerators, &mut denominators, &mut used);
                current = Some(row.cluster);
            }
            numerators[cell] += row.numerator;
            denominators[cell] += row.denominator;
            used[cell] = true;
        }
        flush(&mut numerators, &mut denominators, &mut used);
        Ok(scores)
    }
}

impl Sums {
    /// The DiD's cells: each period's year cells summed (rest pre, group pre, rest
    /// post, group post).
    fn pooled(&self, cells: &Cells) -> Sums {
        let mut pooled = Sums {
            numerators: vec![0.0; 4],
            denominators: vec![0.0; 4],
            rows: vec![0; 4],
        };
        for cell in 0..cells.count() {
            if let Some(period) = cells.period[cell / 2] {
                let into = 2 * period + cell % 2;
                pooled.numerators[into] += self.numerators[cell];
                pooled.denominators[into] += self.denominators[cell];
                pooled.rows[into] += self.rows[cell];
            }
        }
        pooled
    }
}

/// Σ w_c R_c with its cluster-robust variance c · meat (module documentation). `None`
/// when a cell the contrast needs has no denominator, a cell without a denominator has
/// a numerator (it cannot be fitted), or there are too few clusters or rows.
fn contrast(sums: &Sums, weights: &[f64], meat: f64, clusters: usize, z: f64) -> Option<Contrast> {
    let cells = weights.len();
    if (0..cells).any(|cell| {
        sums.denominators[cell] <= 0.0 && (weights[cell] != 0.0 || sums.numerators[cell] != 0.0)
    }) {
        return None;
    }
    let estimate: f64 = (0..cells)
        .filter(|cell| weights[*cell] != 0.0)
        .map(|cell| weights[cell] * sums.numerators[cell] / sums.denominators[cell])
        .sum();
    // Every cell with pupils is a parameter of the regression (K).
    let parameters = (0..cells)
        .filter(|cell| sums.denominators[*cell] > 0.0)
        .count() as f64;
    let rows: usize = sums.rows.iter().sum();
    let (n, g) = (rows as f64, clusters as f64);
    if g < 2.0 || n <= parameters {
        return None;
    }
    let factor = g / (g - 1.0) * (n - 1.0) / (n - parameters);
    Some(Contrast {
        estimate: with_normal_test(estimate, (factor * meat).sqrt(), z),
        rows,
        clusters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small panel: 40 pupils over four years, some in the group in some years.
    fn panel() -> Vec<PupilYear> {
        let mut rows = Vec::new();
        for pupil in 0..40u64 {
            for (place, year) in [201718, 201819, 202122, 202223].iter().enumerate() {
                if (pupil + place as u64).is_multiple_of(7) {
                    continue;
                }
                let possible = 300.0 + (pupil % 5) as f64 * 10.0;
                rows.push(PupilYear {
                    cluster: pupil * 3,
                    year: *year,
                    in_group: (pupil + place as u64 / 2).is_multiple_of(4),
                    numerator: ((pupil * 7 + place as u64 * 3) % 23) as f64,
                    denominator: possible,
                });
            }
        }
        rows
    }

    fn periods() -> Periods {
        Periods {
            pre: vec![201718, 201819],
            post: vec![202122, 202223],
        }
    }

    const YEARS: [i32; 4] = [201718, 201819, 202122, 202223];

    #[test]
    fn the_order_of_the_rows_does_not_change_the_answer() {
        let rows = panel();
        let sorted = changes(&rows, &YEARS, 201819, &periods(), 0.95).expect("valid");
        assert!(sorted.did.is_some());
        assert_eq!(sorted.event_study.len(), 3);
        // Reversed, and interleaved: read through the stable sort by cluster.
        let mut shuffled = rows.clone();
        shuffled.reverse();
        shuffled.rotate_left(17);
        let again = changes(&shuffled, &YEARS, 201819, &periods(), 0.95).expect("valid");
        let close = |a: &Option<Contrast>, b: &Option<Contrast>| {
            let (a, b) = (a.expect("a contrast"), b.expect("a contrast"));
            assert_eq!((a.rows, a.clusters), (b.rows, b.clusters));
            for (x, y) in [
                (a.estimate.estimate, b.estimate.estimate),
                (a.estimate.standard_error, b.estimate.standard_error),
            ] {
                assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} {y}");
            }
        };
        close(&sorted.did, &again.did);
        for ((_, a), (_, b)) in sorted.event_study.iter().zip(&again.event_study) {
            close(a, b);
        }
        // The DiD and the event study alone give the same as the combined fit.
        let did = difference_in_differences(&rows, &periods(), 0.95).expect("valid");
        close(&sorted.did, &did);
    }

    #[test]
    fn rows_said_to_be_in_cluster_order_must_be() {
        let mut rows = panel();
        rows.swap(0, 60);
        let result =
            changes_in_cluster_order(|| rows.iter().copied(), &YEARS, 201819, &periods(), 0.95);
        assert!(
            matches!(result, Err(StatsError::ClusterOrder(_))),
            "{result:?}"
        );
    }

    #[test]
    fn years_numbered_any_way_give_the_same_fit() {
        // The same panel with years 0..3 and with years far apart (the scan, not the
        // table).
        let rows = panel();
        let base = changes(&rows, &YEARS, 201819, &periods(), 0.95).expect("valid");
        for numbering in [[0, 1, 2, 3], [-5000, 0, 5000, 10_000]] {
            let renumber = |year: i32| {
                numbering[YEARS
                    .iter()
                    .position(|y| *y == year)
                    .expect("a year of the panel")]
            };
            let renumbered: Vec<PupilYear> = rows
                .iter()
                .map(|row| PupilYear {
                    year: renumber(row.year),
                    ..*row
                })
                .collect();
            let periods = Periods {
                pre: vec![numbering[0], numbering[1]],
                post: vec![numbering[2], numbering[3]],
            };
            let got =
                changes(&renumbered, &numbering, numbering[1], &periods, 0.95).expect("valid");
            assert_eq!(got.did, base.did, "{numbering:?}");
            let estimates = |changes: &Changes| {
                changes
                    .event_study
                    .iter()
                    .map(|(_, contrast)| *contrast)
                    .collect::<Vec<_>>()
            };
            assert_eq!(estimates(&got), estimates(&base), "{numbering:?}");
        }
    }

    #[test]
    fn a_period_year_outside_the_fit_is_an_error() {
        let rows = panel();
        let periods = Periods {
            pre: vec![201617],
            post: vec![202122],
        };
        assert_eq!(
            changes(&rows, &YEARS, 201819, &periods, 0.95),
            Err(StatsError::PeriodYear(201617))
        );
    }
}
