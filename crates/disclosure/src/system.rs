//! The system a reader of a submission can solve (`disclosure.md`, "The problem as
//! linear algebra"): one cell per published count (and per difference of nested
//! groups, never published), and the exact relations between them as integer rows.

use crate::DisclosureError;

/// What a cell is before secondary suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Shown unless showing it would let a reader work out a protected cell.
    Candidate,
    /// Hidden, and no reader may work it out: a count of people from 1 to the
    /// threshold (primary), a figure hidden because the count it is *of* is primary,
    /// or a difference of nested groups from 1 to the threshold.
    Protected,
    /// Never shown, with nothing to protect: a cell shown `x`, or a difference of
    /// nested groups that is 0 or above the threshold.
    Unpublished,
}

/// One unknown of the reader's system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Its true value.
    pub value: i64,
    /// Whether it may be shown, must be protected, or is never shown.
    pub start: Start,
}

/// An exact relation a reader can use: Σ coefficient × cell = 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Its terms: (cell, coefficient).
    pub terms: Vec<(usize, i64)>,
}

impl Relation {
    /// `total = Σ parts`, as `total − Σ parts = 0`.
    pub fn sum(total: usize, parts: &[usize]) -> Self {
        Self {
            terms: std::iter::once((total, 1))
                .chain(parts.iter().map(|part| (*part, -1)))
                .collect(),
        }
    }

    /// `a = b`: the same count in two places.
    pub fn same(a: usize, b: usize) -> Self {
        Self {
            terms: vec![(a, 1), (b, -1)],
        }
    }
}

/// The cells and the relations between them.
#[derive(Debug, Clone, Default)]
pub struct System {
    /// The unknowns.
    pub cells: Vec<Cell>,
    /// The relations.
    pub relations: Vec<Relation>,
}

impl System {
    /// Checks every relation against the true values: a relation that does not hold
    /// is a wrong relation, not something to suppress around (`disclosure.md`).
    pub fn check(&self) -> Result<(), DisclosureError> {
        for (index, relation) in self.relations.iter().enumerate() {
            let mut sum: i128 = 0;
            for (cell, coefficient) in &relation.terms {
                let value = self
                    .cells
                    .get(*cell)
                    .ok_or(DisclosureError::NoSuchCell {
                        relation: index,
                        cell: *cell,
                    })?
                    .value;
                sum += i128::from(value) * i128::from(*coefficient);
            }
            if sum != 0 {
                return Err(DisclosureError::RelationFails {
                    relation: index,
                    sum,
                });
            }
        }
        Ok(())
    }

    /// The connected components of cells joined by relations, each sorted, in the
    /// order of their smallest cell; a cell in no relation is a component of its own.
    pub fn components(&self) -> Vec<Vec<usize>> {
        let mut parent: Vec<usize> = (0..self.cells.len()).collect();
        fn root(parent: &mut [usize], mut cell: usize) -> usize {
            while parent[cell] != cell {
                parent[cell] = parent[parent[cell]];
                cell = parent[cell];
            }
            cell
        }
        for relation in &self.relations {
            let mut terms = relation.terms.iter().map(|(cell, _)| *cell);
            if let Some(first) = terms.next() {
                for other in terms {
                    let (a, b) = (root(&mut parent, first), root(&mut parent, other));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
        let mut components: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for cell in 0..self.cells.len() {
            let top = root(&mut parent, cell);
            components.entry(top).or_default().push(cell);
        }
        components.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(value: i64) -> Cell {
        Cell {
            value,
            start: Start::Candidate,
        }
    }

    #[test]
    fn a_relation_that_does_not_hold_is_an_error() {
        let system = System {
            cells: vec![cell(10), cell(4), cell(5)],
            relations: vec![Relation::sum(0, &[1, 2])],
        };
        assert_eq!(
            system.check(),
            Err(DisclosureError::RelationFails {
                relation: 0,
                sum: 1
            })
        );
        let system = System {
            cells: vec![cell(9), cell(4), cell(5)],
            relations: vec![Relation::sum(0, &[1, 2]), Relation::same(0, 3)],
        };
        assert_eq!(
            system.check(),
            Err(DisclosureError::NoSuchCell {
                relation: 1,
                cell: 3
            })
        );
    }

    #[test]
    fn components_follow_the_relations() {
        let system = System {
            cells: vec![cell(1); 6],
            relations: vec![
                Relation::same(4, 1),
                Relation::same(1, 2),
                Relation::same(3, 5),
            ],
        };
        assert_eq!(
            system.components(),
            vec![vec![0], vec![1, 2, 4], vec![3, 5]]
        );
    }
}
