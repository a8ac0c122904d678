//! Multiple testing: the Benjamini–Hochberg adjustment over a family of tests.

/// Benjamini–Hochberg adjusted p-values (Benjamini & Hochberg 1995; statsmodels
/// `multipletests(method="fdr_bh")`): with the m p-values sorted, p₍ᵢ₎ becomes
/// min over j ≥ i of m p₍ⱼ₎ / j, capped at 1, returned in the input order. Reject the
/// hypotheses whose adjusted p-value is below the false discovery rate wanted.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    // Stable and total: ties keep input order; NaN sorts last.
    order.sort_by(|a, b| p_values[*a].total_cmp(&p_values[*b]));
    let mut adjusted = vec![0.0; m];
    let mut running = f64::INFINITY;
    for rank in (0..m).rev() {
        let index = order[rank];
        let value = p_values[index] * m as f64 / (rank + 1) as f64;
        running = running.min(value);
        adjusted[index] = running.min(1.0);
    }
    adjusted
}
