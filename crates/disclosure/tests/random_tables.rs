//! 200 random small tables (fixed seed): two-way tables with their margins, sometimes
//! a count shared with a second file and a difference of nested cells. Checked by a
//! rank test independent of the elimination (dense, modulo a large prime): no
//! protected cell is recoverable from what is shown, and showing any one secondary
//! cell would make one recoverable.

use cwsw_disclosure::{Cell, Relation, Start, Suppression, System, suppress};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// 2⁶¹ − 1, a Mersenne prime: ranks of small integer matrices over it equal their
/// ranks over the rationals (a wrong answer needs the prime to divide a minor).
const PRIME: u128 = (1 << 61) - 1;

fn residue(value: i64) -> u128 {
    (i128::from(value).rem_euclid(PRIME as i128)) as u128
}

fn inverse(value: u128) -> u128 {
    // Fermat: value^(p − 2).
    let (mut base, mut exponent, mut result) = (value, PRIME - 2, 1u128);
    while exponent > 0 {
        if exponent & 1 == 1 {
            result = result * base % PRIME;
        }
        base = base * base % PRIME;
        exponent >>= 1;
    }
    result
}

/// The rank of a dense matrix modulo [`PRIME`].
fn rank(mut rows: Vec<Vec<u128>>) -> usize {
    let columns = rows.first().map_or(0, Vec::len);
    let mut rank = 0;
    for column in 0..columns {
        let Some(found) = (rank..rows.len()).find(|row| rows[*row][column] != 0) else {
            continue;
        };
        rows.swap(rank, found);
        let scale = inverse(rows[rank][column]);
        for value in &mut rows[rank] {
            *value = *value * scale % PRIME;
        }
        let pivot = rows[rank].clone();
        for (row, values) in rows.iter_mut().enumerate() {
            if row != rank && values[column] != 0 {
                let factor = values[column];
                for (value, lead) in values.iter_mut().zip(&pivot) {
                    let minus = factor * lead % PRIME;
                    *value = (*value + PRIME - minus) % PRIME;
                }
            }
        }
        rank += 1;
    }
    rank
}

/// What a reader knows: the relations and a unit row per shown cell.
fn knowledge(system: &System, shown: &[bool]) -> Vec<Vec<u128>> {
    let width = system.cells.len();
    let mut rows: Vec<Vec<u128>> = system
        .relations
        .iter()
        .map(|relation| {
            let mut row = vec![0; width];
            for (cell, coefficient) in &relation.terms {
                row[*cell] = (row[*cell] + residue(*coefficient)) % PRIME;
            }
            row
        })
        .collect();
    for (cell, shown) in shown.iter().enumerate() {
        if *shown {
            let mut row = vec![0; width];
            row[cell] = 1;
            rows.push(row);
        }
    }
    rows
}

/// Whether `cell` is a linear function of what a reader knows.
fn recoverable(known: &[Vec<u128>], known_rank: usize, cell: usize) -> bool {
    let mut rows = known.to_vec();
    let mut unit = vec![0; known.first().map_or(cell + 1, Vec::len)];
    unit[cell] = 1;
    rows.push(unit);
    rank(rows) == known_rank
}

/// Protected cells a reader can work out (those of value 0 that the shown zeros pin
/// are reported by the elimination itself).
fn exposed(system: &System, suppression: &Suppression, shown: &[bool]) -> Vec<usize> {
    let known = knowledge(system, shown);
    let known_rank = rank(known.clone());
    (0..system.cells.len())
        .filter(|cell| {
            system.cells[*cell].start == Start::Protected
                && !suppression.pinned_by_zeros.contains(cell)
                && recoverable(&known, known_rank, *cell)
        })
        .collect()
}

fn count(random: &mut ChaCha8Rng) -> i64 {
    match random.random_range(0..100) {
        0..15 => 0,
        15..50 => random.random_range(1..=5),
        _ => random.random_range(6..=40),
    }
}

/// A two-way table with margins; sometimes a shared count and a nested difference.
fn table(random: &mut ChaCha8Rng, threshold: i64) -> (System, Vec<usize>) {
    let (rows, columns) = (random.random_range(2..=4), random.random_range(2..=4));
    let mut values = vec![vec![0i64; columns + 1]; rows + 1];
    for row in values.iter_mut().take(rows) {
        for value in row.iter_mut().take(columns) {
            *value = count(random);
        }
    }
    for row in values.iter_mut().take(rows) {
        row[columns] = row[..columns].iter().sum();
    }
    let margins: Vec<i64> = (0..=columns)
        .map(|column| values[..rows].iter().map(|row| row[column]).sum())
        .collect();
    values[rows] = margins;
    let index = |row: usize, column: usize| row * (columns + 1) + column;
    let mut cells: Vec<Cell> = values
        .iter()
        .flatten()
        .map(|value| Cell {
            value: *value,
            start: if (1..=threshold).contains(value) {
                Start::Protected
            } else {
                Start::Candidate
            },
        })
        .collect();
    let mut relations = Vec::new();
    for row in 0..=rows {
        let parts: Vec<usize> = (0..columns).map(|column| index(row, column)).collect();
        relations.push(Relation::sum(index(row, columns), &parts));
    }
    for column in 0..=columns {
        let parts: Vec<usize> = (0..rows).map(|row| index(row, column)).collect();
        relations.push(Relation::sum(index(rows, column), &parts));
    }
    if random.random_bool(0.5) {
        // The first row's total published again by a second file.
        let copy = cells.len();
        cells.push(cells[index(0, columns)]);
        relations.push(Relation::same(index(0, columns), copy));
    }
    if random.random_bool(0.5) {
        // The first row's total nests the first column of that row.
        let (whole, part) = (index(0, columns), index(0, 0));
        let value = cells[whole].value - cells[part].value;
        cells.push(Cell {
            value,
            start: if (1..=threshold).contains(&value) {
                Start::Protected
            } else {
                Start::Unpublished
            },
        });
        relations.push(Relation {
            terms: vec![(cells.len() - 1, 1), (whole, -1), (part, 1)],
        });
    }
    // Margins first, then larger counts.
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.sort_by_key(|cell| {
        let margin = cell % (columns + 1) == columns || cell / (columns + 1) == rows;
        (!margin, std::cmp::Reverse(cells[*cell].value), *cell)
    });
    (System { cells, relations }, order)
}

#[test]
fn nothing_protected_is_recoverable_and_every_complement_is_needed() {
    let mut random = ChaCha8Rng::seed_from_u64(20261208);
    let (mut complements, mut protected) = (0, 0);
    for case in 0..200 {
        let (system, order) = table(&mut random, 5);
        let suppression = suppress(&system, &order).expect("suppressed");
        assert_eq!(
            suppress(&system, &order).expect("again"),
            suppression,
            "case {case}: the same answer twice"
        );
        for (cell, shown) in suppression.shown.iter().enumerate() {
            if *shown {
                assert_eq!(system.cells[cell].start, Start::Candidate, "case {case}");
            }
        }
        let leaks = exposed(&system, &suppression, &suppression.shown);
        assert!(
            leaks.is_empty(),
            "case {case}: {leaks:?} recoverable in {system:?}"
        );
        for secondary in &suppression.secondary {
            assert!(!suppression.shown[secondary.cell], "case {case}");
            let mut one_more = suppression.shown.clone();
            one_more[secondary.cell] = true;
            let leaks = exposed(&system, &suppression, &one_more);
            assert!(
                leaks.contains(&secondary.protects),
                "case {case}: showing {} exposes {leaks:?}, not {}",
                secondary.cell,
                secondary.protects
            );
        }
        complements += suppression.secondary.len();
        protected += system
            .cells
            .iter()
            .filter(|cell| cell.start == Start::Protected)
            .count();
    }
    assert!(
        protected > 400 && complements > 100,
        "the tables exercised it: {protected} protected, {complements} complements"
    );
}
