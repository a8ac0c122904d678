//! A row space kept in reduced echelon form (`disclosure.md`: each pivot column is 0
//! in every other row), over exact rationals, with sparse rows: what a reader knows.
//!
//! Because every row is reduced, a vector is reduced against the space in one pass
//! over its own entries, and a unit vector eⱼ reduces to eⱼ (j no pivot) or to
//! eⱼ − the row whose pivot is j.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::Overflow;
use crate::rational::Rational;

/// A sparse vector: column → non-zero coefficient.
pub type Vector = BTreeMap<usize, Rational>;

/// The unit vector eⱼ.
pub fn unit(column: usize) -> Vector {
    BTreeMap::from([(column, Rational::ONE)])
}

/// `target − factor × source`, dropping zeros.
pub fn subtract(target: &mut Vector, factor: Rational, source: &Vector) -> Result<(), Overflow> {
    for (column, coefficient) in source {
        let current = target.get(column).copied().unwrap_or(Rational::ZERO);
        let next = current.checked_sub(factor.checked_mul(*coefficient)?)?;
        if next.is_zero() {
            target.remove(column);
        } else {
            target.insert(*column, next);
        }
    }
    Ok(())
}

/// Whether two non-zero vectors are multiples of each other.
pub fn proportional(a: &Vector, b: &Vector) -> Result<bool, Overflow> {
    if a.len() != b.len() || a.keys().ne(b.keys()) {
        return Ok(false);
    }
    let mut ratio = None;
    for (x, y) in a.values().zip(b.values()) {
        let here = x.checked_div(*y)?;
        match ratio {
            None => ratio = Some(here),
            Some(first) if first != here => return Ok(false),
            Some(_) => {}
        }
    }
    Ok(true)
}

/// The rows, each with its pivot (coefficient 1, and 0 in every other row).
#[derive(Debug, Default)]
pub struct RowSpace {
    rows: HashMap<usize, Vector>,
    /// For each column, the pivots of the rows that hold it.
    holders: HashMap<usize, BTreeSet<usize>>,
}

impl RowSpace {
    /// `vector` reduced against the rows: 0 exactly when it lies in their span.
    pub fn reduce(&self, vector: &Vector) -> Result<Vector, Overflow> {
        let mut reduced = vector.clone();
        for (column, coefficient) in vector {
            if let Some(row) = self.rows.get(column) {
                subtract(&mut reduced, *coefficient, row)?;
            }
        }
        Ok(reduced)
    }

    /// Adds a non-zero vector already reduced against the rows, pivoting on `pivot`
    /// (one of its columns), and keeps every row reduced. Returns the row as stored.
    pub fn add(&mut self, vector: Vector, pivot: usize) -> Result<Vector, Overflow> {
        let lead = vector.get(&pivot).copied().ok_or(Overflow)?;
        let mut row = Vector::new();
        for (column, coefficient) in vector {
            row.insert(column, coefficient.checked_div(lead)?);
        }
        let holders: Vec<usize> = self
            .holders
            .get(&pivot)
            .map(|rows| rows.iter().copied().collect())
            .unwrap_or_default();
        for other in holders {
            let Some(target) = self.rows.get_mut(&other) else {
                continue;
            };
            let before: Vec<usize> = target.keys().copied().collect();
            let factor = target.get(&pivot).copied().unwrap_or(Rational::ZERO);
            subtract(target, factor, &row)?;
            for column in before {
                if !target.contains_key(&column)
                    && let Some(rows) = self.holders.get_mut(&column)
                {
                    rows.remove(&other);
                }
            }
            for column in target.keys() {
                self.holders.entry(*column).or_default().insert(other);
            }
        }
        for column in row.keys() {
            self.holders.entry(*column).or_default().insert(pivot);
        }
        self.rows.insert(pivot, row.clone());
        Ok(row)
    }

    /// The rank.
    #[cfg(test)]
    pub fn rank(&self) -> usize {
        self.rows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(terms: &[(usize, i64)]) -> Vector {
        terms
            .iter()
            .map(|(column, value)| (*column, Rational::integer(*value)))
            .collect()
    }

    #[test]
    fn a_vector_in_the_span_reduces_to_zero() {
        let mut space = RowSpace::default();
        // x0 − x1 − x2 = 0, then x1 known: x0 − x2 is known, x0 alone is not.
        let first = space
            .reduce(&vector(&[(0, 1), (1, -1), (2, -1)]))
            .expect("exact");
        space.add(first, 0).expect("added");
        let second = space.reduce(&unit(1)).expect("exact");
        assert_eq!(second, vector(&[(1, 1)]));
        space.add(second, 1).expect("added");
        assert!(
            space
                .reduce(&vector(&[(0, 1), (2, -1)]))
                .expect("")
                .is_empty()
        );
        assert!(!space.reduce(&unit(0)).expect("").is_empty());
        // Every row stays reduced: the pivot 1 is gone from the first row.
        assert_eq!(space.rows[&0], vector(&[(0, 1), (2, -1)]));
        assert_eq!(space.rank(), 2);
        let third = space.reduce(&unit(2)).expect("exact");
        space.add(third, 2).expect("added");
        assert!(space.reduce(&unit(0)).expect("").is_empty());
    }

    #[test]
    fn proportional_vectors_are_recognised() {
        let a = vector(&[(1, 2), (4, -6)]);
        assert!(proportional(&a, &vector(&[(1, -1), (4, 3)])).expect("exact"));
        assert!(!proportional(&a, &vector(&[(1, 1), (4, 3)])).expect("exact"));
        assert!(!proportional(&a, &vector(&[(1, 1), (5, 3)])).expect("exact"));
    }
}
