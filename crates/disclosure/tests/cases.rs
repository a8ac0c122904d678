//! Hand-built tables in which each kind of relation alone pins a protected cell
//! (`disclosure.md`): a group partition, a breakdown total, an identity between the
//! count columns of a row, a difference of nested groups, and a count shared by two
//! files. Each needs a complement, and the complement names the cell it guards.

use cwsw_disclosure::{Cell, DisclosureError, Relation, Secondary, Start, System, suppress};

fn candidate(value: i64) -> Cell {
    Cell {
        value,
        start: Start::Candidate,
    }
}

fn protected(value: i64) -> Cell {
    Cell {
        value,
        start: Start::Protected,
    }
}

#[test]
fn a_group_partition_needs_a_complement() {
    // CIN at 31 March = CINO + CPPO + CLA at 31 March; CLA is 4.
    let system = System {
        cells: vec![candidate(60), candidate(41), candidate(15), protected(4)],
        relations: vec![Relation::sum(0, &[1, 2, 3])],
    };
    let suppression = suppress(&system, &[0, 1, 2]).expect("suppressed");
    assert_eq!(suppression.shown, [true, true, false, false]);
    assert_eq!(
        suppression.secondary,
        [Secondary {
            cell: 2,
            protects: 3
        }]
    );
}

#[test]
fn a_breakdown_total_needs_a_complement() {
    // CLA 12 months by phase: Total = Primary + Secondary + Special + AP; AP is 2.
    // The order puts the Total first: the smallest level is the complement.
    let system = System {
        cells: vec![
            candidate(80),
            candidate(40),
            candidate(30),
            candidate(8),
            protected(2),
        ],
        relations: vec![Relation::sum(0, &[1, 2, 3, 4])],
    };
    let suppression = suppress(&system, &[0, 1, 2, 3]).expect("suppressed");
    assert_eq!(suppression.shown, [true, true, true, false, false]);
    assert_eq!(suppression.secondary.len(), 1);
    assert_eq!(suppression.secondary[0].cell, 3);
}

#[test]
fn an_identity_between_count_columns_needs_a_complement() {
    // Coverage: t_children = t_matched + t_no_upn + t_upn_not_found; no UPN is 3.
    let system = System {
        cells: vec![candidate(30), candidate(20), protected(3), candidate(7)],
        relations: vec![Relation::sum(0, &[1, 2, 3])],
    };
    let suppression = suppress(&system, &[0, 1, 3]).expect("suppressed");
    assert_eq!(suppression.shown, [true, true, false, false]);
    // Two protected parts need nothing more: their sum may be known (disclosure.md:
    // out of scope), neither is.
    let system = System {
        cells: vec![candidate(30), candidate(22), protected(3), protected(5)],
        relations: vec![Relation::sum(0, &[1, 2, 3])],
    };
    let suppression = suppress(&system, &[0, 1]).expect("suppressed");
    assert_eq!(suppression.shown, [true, true, false, false]);
    assert!(suppression.secondary.is_empty());
}

#[test]
fn a_difference_of_nested_groups_needs_a_complement() {
    // CLA at any point (9) ⊇ CLA at 31 March (6): the 3 children looked after during
    // the year but not on 31 March are a cell of their own, never shown.
    let system = System {
        cells: vec![candidate(9), candidate(6), protected(3)],
        relations: vec![Relation {
            terms: vec![(2, 1), (0, -1), (1, 1)],
        }],
    };
    let suppression = suppress(&system, &[0, 1]).expect("suppressed");
    assert_eq!(suppression.shown, [true, false, false]);
    assert_eq!(
        suppression.secondary,
        [Secondary {
            cell: 1,
            protects: 2
        }]
    );
    // A difference above the threshold is never shown and protects nothing.
    let system = System {
        cells: vec![
            candidate(19),
            candidate(6),
            Cell {
                value: 13,
                start: Start::Unpublished,
            },
        ],
        relations: system.relations.clone(),
    };
    let suppression = suppress(&system, &[0, 1]).expect("suppressed");
    assert_eq!(suppression.shown, [true, true, false]);
}

#[test]
fn a_count_shared_by_two_files_is_hidden_in_both() {
    // File A: Total = X + Y, X is 4. File B publishes Y again.
    let cells = vec![candidate(50), protected(4), candidate(46), candidate(46)];
    let alone = System {
        cells: cells.clone(),
        relations: vec![Relation::sum(0, &[1, 2])],
    };
    let suppression = suppress(&alone, &[0, 3, 2]).expect("suppressed");
    assert_eq!(
        suppression.shown,
        [true, false, false, true],
        "one file alone"
    );
    let shared = System {
        cells,
        relations: vec![Relation::sum(0, &[1, 2]), Relation::same(2, 3)],
    };
    let suppression = suppress(&shared, &[0, 3, 2]).expect("suppressed");
    assert_eq!(suppression.shown, [true, false, false, false], "both files");
    assert_eq!(suppression.secondary.len(), 2);
    assert!(suppression.secondary.iter().all(|cell| cell.protects == 1));
}

#[test]
fn zeros_are_shown_and_never_chosen_as_complements() {
    // Total = A + B + C with B protected and C 0: C is shown, A is the complement.
    let system = System {
        cells: vec![candidate(20), candidate(17), protected(3), candidate(0)],
        relations: vec![Relation::sum(0, &[1, 2, 3])],
    };
    let suppression = suppress(&system, &[1, 0, 3]).expect("suppressed");
    assert_eq!(suppression.shown, [false, true, false, true]);
    assert_eq!(suppression.secondary[0].cell, 0);
}

#[test]
fn a_wrong_relation_or_an_unprotectable_cell_is_an_error() {
    let wrong = System {
        cells: vec![candidate(20), candidate(17), protected(4)],
        relations: vec![Relation::sum(0, &[1, 2])],
    };
    assert!(matches!(
        suppress(&wrong, &[]),
        Err(DisclosureError::RelationFails {
            relation: 0,
            sum: -1
        })
    ));
    // A relation of one term pins its cell whatever is hidden.
    let pinned = System {
        cells: vec![candidate(20), protected(0)],
        relations: vec![Relation {
            terms: vec![(1, 1)],
        }],
    };
    assert_eq!(
        suppress(&pinned, &[]),
        Err(DisclosureError::Exposed { cell: 1 })
    );
}
