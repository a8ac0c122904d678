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

use std::collections::HashMap;

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

/// The difference in differences of the gap between the group and the rest of the
/// pupils, pre against post (see the module documentation). Rows of other years, and
/// rows with neither a numerator nor a denominator, are left out. `None` when a cell has
/// no denominator or there are no more clusters than one.
pub fn difference_in_differences(
    rows: &[PupilYear],
    periods: &Periods,
    confidence: f64,
) -> Result<Option<Contrast>, StatsError> {
    let z = normal_quantile(confidence)?;
    let fit = Fit::new(rows, 4, |row| {
        let period = if periods.pre.contains(&row.year) {
            0
        } else if periods.post.contains(&row.year) {
            1
        } else {
            return None;
        };
        Some(2 * period + usize::from(row.in_group))
    });
    // Cells: rest pre, group pre, rest post, group post.
    Ok(fit.contrast(&[1.0, -1.0, -1.0, 1.0], z, &mut Vec::new()))
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
    let z = normal_quantile(confidence)?;
    let Some(base_index) = years.iter().position(|year| *year == base) else {
        return Err(StatsError::BaseYear(base));
    };
    let cells = 2 * years.len();
    let fit = Fit::new(rows, cells, |row| {
        years
            .iter()
            .position(|year| *year == row.year)
            .map(|index| 2 * index + usize::from(row.in_group))
    });
    let mut results = Vec::new();
    let mut scores = Vec::new();
    for (index, year) in years.iter().enumerate() {
        if index == base_index {
            continue;
        }
        let mut weights = vec![0.0; cells];
        weights[2 * index + 1] = 1.0;
        weights[2 * index] = -1.0;
        weights[2 * base_index + 1] = -1.0;
        weights[2 * base_index] = 1.0;
        results.push((*year, fit.contrast(&weights, z, &mut scores)));
    }
    Ok(results)
}

/// The saturated fit: the rows it uses grouped by cell, each cell's sums, and the
/// clusters.
struct Fit<'a> {
    rows: &'a [PupilYear],
    /// The used rows' positions, cell by cell (`starts[c]..starts[c + 1]` is cell c).
    order: Vec<u32>,
    starts: Vec<usize>,
    /// Each row's cluster as an index into the score table, when the ids are not small
    /// enough to be the index themselves.
    ranks: Option<Vec<u32>>,
    /// The size of the score table.
    slots: usize,
    /// Clusters with a used row (G).
    clusters: usize,
    numerators: Vec<f64>,
    denominators: Vec<f64>,
}

/// A row the fit leaves out.
const NONE: u32 = u32::MAX;

impl<'a> Fit<'a> {
    fn new(
        rows: &'a [PupilYear],
        cells: usize,
        cell: impl Fn(&PupilYear) -> Option<usize>,
    ) -> Self {
        let mut numerators = vec![0.0; cells];
        let mut denominators = vec![0.0; cells];
        let mut counts = vec![0usize; cells];
        let cell_of: Vec<u32> = rows
            .iter()
            .map(|row| {
                if row.numerator == 0.0 && row.denominator == 0.0 {
                    return NONE;
                }
                let Some(index) = cell(row) else {
                    return NONE;
                };
                numerators[index] += row.numerator;
                denominators[index] += row.denominator;
                counts[index] += 1;
                index as u32
            })
            .collect();
        // Rows grouped by cell, each cell's rows in input order (a counting sort).
        let mut starts = vec![0usize; cells + 1];
        for index in 0..cells {
            starts[index + 1] = starts[index] + counts[index];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; starts[cells]];
        for (position, cell) in cell_of.iter().enumerate() {
            if *cell != NONE {
                let cell = *cell as usize;
                order[next[cell]] = position as u32;
                next[cell] += 1;
            }
        }
        drop(cell_of);
        // Clusters in id order: the ids themselves when they are small (pupils numbered
        // 0..n, as the stats stage gives them), else their ranks.
        let largest = rows.iter().map(|row| row.cluster).max().unwrap_or(0);
        let (ranks, slots) = if largest < 4 * rows.len() as u64 + 1024 {
            (None, largest as usize + 1)
        } else {
            let mut ids: Vec<u64> = rows.iter().map(|row| row.cluster).collect();
            ids.sort_unstable();
            ids.dedup();
            let rank: HashMap<u64, u32> = ids
                .iter()
                .enumerate()
                .map(|(index, id)| (*id, index as u32))
                .collect();
            (
                Some(rows.iter().map(|row| rank[&row.cluster]).collect()),
                ids.len(),
            )
        };
        let mut fit = Self {
            rows,
            order,
            starts,
            ranks,
            slots,
            clusters: 0,
            numerators,
            denominators,
        };
        let mut seen = vec![false; slots];
        for position in &fit.order {
            seen[fit.slot(*position as usize)] = true;
        }
        fit.clusters = seen.iter().filter(|seen| **seen).count();
        fit
    }

    fn slot(&self, position: usize) -> usize {
        match &self.ranks {
            Some(ranks) => ranks[position] as usize,
            None => self.rows[position].cluster as usize,
        }
    }

    /// Σ w_c R_c with its cluster-robust variance (module documentation); `scores` is
    /// a buffer kept between contrasts of one fit.
    fn contrast(&self, weights: &[f64], z: f64, scores: &mut Vec<f64>) -> Option<Contrast> {
        let cells = weights.len();
        // A cell the contrast needs without a denominator has no ratio; a cell without a
        // denominator that has a numerator cannot be fitted.
        if (0..cells).any(|cell| {
            self.denominators[cell] <= 0.0 && (weights[cell] != 0.0 || self.numerators[cell] != 0.0)
        }) {
            return None;
        }
        let mut estimate = 0.0;
        scores.clear();
        scores.resize(self.slots, 0.0);
        for cell in (0..cells).filter(|cell| weights[*cell] != 0.0) {
            let ratio = self.numerators[cell] / self.denominators[cell];
            let scale = weights[cell] / self.denominators[cell];
            estimate += weights[cell] * ratio;
            for position in &self.order[self.starts[cell]..self.starts[cell + 1]] {
                let position = *position as usize;
                let row = &self.rows[position];
                scores[self.slot(position)] += scale * (row.numerator - ratio * row.denominator);
            }
        }
        // Every cell with pupils is a parameter of the regression (K).
        let parameters = (0..cells)
            .filter(|cell| self.denominators[*cell] > 0.0)
            .count() as f64;
        let (n, g) = (self.order.len() as f64, self.clusters as f64);
        if g < 2.0 || n <= parameters {
            return None;
        }
        let factor = g / (g - 1.0) * (n - 1.0) / (n - parameters);
        // Summed in cluster order, so the result does not depend on how the input was
        // split; each cluster's terms are added cell by cell, in input order.
        let meat: f64 = scores.iter().map(|score| score * score).sum();
        Some(Contrast {
            estimate: with_normal_test(estimate, (factor * meat).sqrt(), z),
            rows: self.order.len(),
            clusters: self.clusters,
        })
    }
}
