//! Disclosure control over every linear relation at once (`disclosure.md`): the
//! counts of a submission as a system a reader can solve, and secondary suppression
//! by Gaussian elimination over it, in exact arithmetic.
//!
//! - `system`: cells (a value; a candidate to show, protected, or never shown) and
//!   relations (integer rows: Σ coefficient × cell = 0), checked against the values,
//!   split into connected components.
//! - `eliminate`: zeros shown first, then each candidate shown unless that would put
//!   a protected cell in the span of what is known; returns the secondary cells, each
//!   with the protected cell it guards.
//! - `echelon`: the row space in reduced echelon form, sparse rows.
//! - `rational`: exact fractions over `i128`, checked.
//!
//! Plain types in and out: no Arrow, no IO. `publish` builds the system from its
//! tables: group partitions, breakdown totals, identities between count columns,
//! differences of nested groups (a cell never shown) and counts shared by two files
//! are all relations of the same kind.
//!
//! ```
//! use cwsw_disclosure::{Cell, Relation, Start, System, suppress};
//! let cell = |value, start| Cell { value, start };
//! // CIN = CINO + CPPO + CLA, with 3 children looked after: hiding CLA alone would
//! // leave it as CIN − CINO − CPPO, so a second cell goes too.
//! let system = System {
//!     cells: vec![
//!         cell(40, Start::Candidate),
//!         cell(25, Start::Candidate),
//!         cell(12, Start::Candidate),
//!         cell(3, Start::Protected),
//!     ],
//!     relations: vec![Relation::sum(0, &[1, 2, 3])],
//! };
//! let suppression = suppress(&system, &[0, 1, 2]).expect("suppressed");
//! assert_eq!(suppression.shown, [true, true, false, false]);
//! assert_eq!(suppression.secondary[0].cell, 2);
//! assert_eq!(suppression.secondary[0].protects, 3);
//! ```

mod echelon;
mod eliminate;
mod rational;
mod system;

pub use eliminate::{Secondary, Suppression, suppress};
pub use rational::Rational;
pub use system::{Cell, Relation, Start, System};

/// Exact arithmetic left the range of `i128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("exact arithmetic overflowed i128")]
pub struct Overflow;

/// What can go wrong choosing the secondary cells.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    /// A relation does not hold on the true values: the relation is wrong.
    #[error("relation {relation} does not hold on the true values (its sum is {sum}, not 0)")]
    RelationFails {
        /// The relation's index.
        relation: usize,
        /// Σ coefficient × value.
        sum: i128,
    },
    /// A relation names a cell the system does not have.
    #[error("relation {relation} names cell {cell}, which the system does not have")]
    NoSuchCell {
        /// The relation's index.
        relation: usize,
        /// The cell.
        cell: usize,
    },
    /// A protected cell follows from the relations alone, whatever is hidden.
    #[error("cell {cell} is protected but follows from the relations alone")]
    Exposed {
        /// The cell.
        cell: usize,
    },
    /// Exact arithmetic overflowed.
    #[error(transparent)]
    Overflow(#[from] Overflow),
}
