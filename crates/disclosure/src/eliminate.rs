//! Secondary suppression by Gaussian elimination (`disclosure.md`, after Langsrud's
//! GaussSuppression): in each connected component, start from the relations' row
//! space, show every 0, then take the candidates from most to least worth showing and
//! show each unless showing it would put a protected cell in the span of what a reader
//! knows; such a cell is hidden (a secondary `c`), naming the protected cell it guards.

use crate::echelon::{RowSpace, Vector, proportional, subtract, unit};
use crate::rational::Rational;
use crate::system::{Start, System};
use crate::{DisclosureError, Overflow};

/// A secondary `c`, and the protected cell that showing it would give away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secondary {
    /// The cell hidden.
    pub cell: usize,
    /// The protected cell that showing it would expose.
    pub protects: usize,
}

/// What the elimination decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// For each cell, whether it is shown.
    pub shown: Vec<bool>,
    /// The complements, in the order they were chosen.
    pub secondary: Vec<Secondary>,
    /// Protected cells of value 0 that the shown zeros pin (at 0): zeros are shown
    /// whatever they imply, as DfE shows every 0, so these are reported, not hidden.
    pub pinned_by_zeros: Vec<usize>,
}

/// One protected cell's remainder against the row space: 0 once a reader knows it.
struct Guard {
    cell: usize,
    remainder: Vector,
}

/// The row space of one component and the guards of its protected cells.
struct Component {
    space: RowSpace,
    guards: Vec<Guard>,
}

impl Component {
    /// Adds a reduced, non-zero vector to the space and reduces every guard by it;
    /// returns the protected cells now exposed.
    fn add(&mut self, reduced: Vector) -> Result<Vec<usize>, Overflow> {
        let pivot = *reduced.keys().next().ok_or(Overflow)?;
        let row = self.space.add(reduced, pivot)?;
        let mut exposed = Vec::new();
        for guard in &mut self.guards {
            if let Some(factor) = guard.remainder.get(&pivot).copied() {
                subtract(&mut guard.remainder, factor, &row)?;
                if guard.remainder.is_empty() {
                    exposed.push(guard.cell);
                }
            }
        }
        Ok(exposed)
    }

    /// The first protected cell that adding `reduced` would expose: a guard exposed by
    /// it is exactly one whose remainder is a multiple of it.
    fn would_expose(&self, reduced: &Vector) -> Result<Option<usize>, Overflow> {
        for guard in &self.guards {
            if !guard.remainder.is_empty() && proportional(&guard.remainder, reduced)? {
                return Ok(Some(guard.cell));
            }
        }
        Ok(None)
    }
}

/// Chooses the secondary cells of `system`. `order` lists candidate cells from most
/// to least worth showing (headline totals and large counts first); candidates it
/// leaves out follow in index order. Every relation is checked against the true
/// values first. Deterministic: the same system and order give the same answer.
pub fn suppress(system: &System, order: &[usize]) -> Result<Suppression, DisclosureError> {
    system.check()?;
    let cells = &system.cells;
    let mut rank = vec![usize::MAX; cells.len()];
    for (position, cell) in order.iter().enumerate() {
        if let Some(slot) = rank.get_mut(*cell)
            && *slot == usize::MAX
        {
            *slot = position;
        }
    }
    let mut shown = vec![false; cells.len()];
    let mut secondary = Vec::new();
    let mut pinned_by_zeros = Vec::new();
    let mut relations_of = vec![Vec::new(); cells.len()];
    for (index, relation) in system.relations.iter().enumerate() {
        if let Some((cell, _)) = relation.terms.first() {
            relations_of[*cell].push(index);
        }
    }
    for members in system.components() {
        let mut component = Component {
            space: RowSpace::default(),
            guards: Vec::new(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for cell in &members {
            for relation in &relations_of[*cell] {
                if !seen.insert(*relation) {
                    continue;
                }
                let mut row = Vector::new();
                for (term, coefficient) in &system.relations[*relation].terms {
                    let current = row.get(term).copied().unwrap_or(Rational::ZERO);
                    let next = current.checked_add(Rational::integer(*coefficient))?;
                    if next.is_zero() {
                        row.remove(term);
                    } else {
                        row.insert(*term, next);
                    }
                }
                let reduced = component.space.reduce(&row)?;
                if !reduced.is_empty() {
                    let pivot = *reduced.keys().next().ok_or(Overflow)?;
                    component.space.add(reduced, pivot)?;
                }
            }
        }
        for cell in &members {
            if cells[*cell].start == Start::Protected {
                let remainder = component.space.reduce(&unit(*cell))?;
                if remainder.is_empty() {
                    return Err(DisclosureError::Exposed { cell: *cell });
                }
                component.guards.push(Guard {
                    cell: *cell,
                    remainder,
                });
            }
        }
        let candidates = |zero: bool| {
            let mut chosen: Vec<usize> = members
                .iter()
                .copied()
                .filter(|cell| {
                    cells[*cell].start == Start::Candidate && (cells[*cell].value == 0) == zero
                })
                .collect();
            chosen.sort_by_key(|cell| (rank[*cell], *cell));
            chosen
        };
        // Zeros first, whatever they imply.
        for cell in candidates(true) {
            shown[cell] = true;
            let reduced = component.space.reduce(&unit(cell))?;
            if !reduced.is_empty() {
                for exposed in component.add(reduced)? {
                    if cells[exposed].value != 0 {
                        return Err(DisclosureError::Exposed { cell: exposed });
                    }
                    pinned_by_zeros.push(exposed);
                }
            }
        }
        for cell in candidates(false) {
            let reduced = component.space.reduce(&unit(cell))?;
            if reduced.is_empty() {
                // A reader already knows it: showing it tells nothing new.
                shown[cell] = true;
            } else if let Some(protects) = component.would_expose(&reduced)? {
                secondary.push(Secondary { cell, protects });
            } else {
                shown[cell] = true;
                let exposed = component.add(reduced)?;
                if let Some(cell) = exposed.first() {
                    // would_expose said no: a broken invariant, not a data problem.
                    return Err(DisclosureError::Exposed { cell: *cell });
                }
            }
        }
    }
    pinned_by_zeros.sort_unstable();
    Ok(Suppression {
        shown,
        secondary,
        pinned_by_zeros,
    })
}
