//! Multiple testing, pre-specified (issue: a small confirmatory family, everything else
//! exploratory per measure): each test gets its family and its Benjamini–Hochberg
//! adjusted p-value within it.

use std::collections::BTreeMap;

use cwsw_dictionary::groups::CONFIRMATORY_GROUPS;
use cwsw_engine::Indicator;

use crate::row::{Estimand, EstimateRow};

/// The confirmatory family's name.
pub const CONFIRMATORY: &str = "confirmatory";

/// The exploratory family of a measure.
pub fn exploratory(measure: &str) -> String {
    format!("exploratory: {measure}")
}

/// Assigns every row with a test to its family and adjusts within each: the
/// confirmatory family is the difference in differences of each indicator marked
/// `confirmatory` for CINO, CPPO and CLA 12 months; every other test is exploratory,
/// within its measure. A gap to all pupils is the same test as the gap to the rest (a
/// scaled contrast), so it takes its twin's family and adjusted p-value and is not
/// counted twice.
pub fn assign(rows: &mut [EstimateRow], indicators: &BTreeMap<(String, String), Indicator>) {
    for row in rows.iter_mut() {
        if row.p_value().is_none() {
            continue;
        }
        let confirmatory = row.estimand == Estimand::DifferenceInDifferences
            && indicators
                .get(&(row.measure.clone(), row.indicator.clone()))
                .is_some_and(|indicator| indicator.confirmatory)
            && CONFIRMATORY_GROUPS
                .iter()
                .any(|group| group.as_str() == row.group);
        row.family = Some(if confirmatory {
            CONFIRMATORY.to_string()
        } else {
            exploratory(&row.measure)
        });
    }
    let mut families: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        if row.estimand == Estimand::GapToAllPupils {
            continue;
        }
        if let (Some(family), Some(_)) = (&row.family, row.p_value()) {
            families.entry(family.clone()).or_default().push(index);
        }
    }
    for members in families.values() {
        let p_values: Vec<f64> = members
            .iter()
            .filter_map(|index| rows[*index].p_value())
            .collect();
        for (index, adjusted) in members
            .iter()
            .zip(cwsw_stats::benjamini_hochberg(&p_values))
        {
            rows[*index].p_value_bh = Some(adjusted);
        }
    }
    // Each gap to all pupils follows the gap to the rest just before it.
    for index in 1..rows.len() {
        if rows[index].estimand == Estimand::GapToAllPupils
            && rows[index - 1].estimand == Estimand::GapToRest
        {
            rows[index].p_value_bh = rows[index - 1].p_value_bh;
        }
    }
}
