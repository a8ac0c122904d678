//! Every table's counts as one linear system a reader could solve
//! (`cwsw_disclosure::System`, `disclosure.md`), built from the unsuppressed tables,
//! their layouts and `data-dictionary/disclosure/relations.yaml`:
//!
//! - a cell per count (every count column of every row not `x`); a count of people
//!   from 1 to the threshold is protected (primary), and so is a count *of* a protected
//!   one (the sessions of those pupils); any other count is a candidate to show;
//! - each group partition, in every count column the relation holds for and every
//!   breakdown level; each breakdown's `Total` = the sum of its levels, for every group
//!   and count column; each identity between count columns of a row; each count two
//!   files share, as an equality wherever both publish the same year, group and level;
//! - each nested pair, in every count of people and level, as a cell of its own (the
//!   difference, never shown) that is protected when it is 1 to the threshold.
//!
//! A relation touching an `x` is left out (an unknown never shown tells nothing).
//! The order of the candidates, most worth showing first: headline rows, then larger
//! counts, then file, column and row (year, group, level), so two runs agree.

use std::collections::HashMap;

use cwsw_dictionary::layout::{Figure, Layout};
use cwsw_dictionary::relations::Relations;
use cwsw_disclosure::{Cell as SystemCell, Relation, Start, System};

use crate::DisclosureRules;
use crate::table::{PublishedTable, RowIndex, TOTAL};

/// Where a cell of the system is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A published count: (table, row, column).
    Shown {
        /// The table.
        table: usize,
        /// The row.
        row: usize,
        /// The column.
        column: usize,
    },
    /// A difference of nested groups, never published.
    Difference {
        /// What it is, for the log.
        name: String,
    },
}

/// The system of a submission's tables, with where each cell is and the order to try.
#[derive(Debug, Clone)]
pub struct Built {
    /// The system.
    pub system: System,
    /// Where each cell is.
    pub places: Vec<Place>,
    /// The candidates, most worth showing first.
    pub order: Vec<usize>,
    /// What each relation of the system says, for messages.
    pub relation_names: Vec<String>,
}

impl Built {
    /// A cell's place in words: `absence 2019/20, CLA at 31 March, sex Female, t_pupils`.
    pub fn describe(&self, tables: &[PublishedTable], cell: usize) -> String {
        match &self.places[cell] {
            Place::Shown { table, row, column } => {
                let table = &tables[*table];
                let published = &table.rows[*row];
                table.describe(*row, &published.group, &table.indicators[*column].name)
            }
            Place::Difference { name } => name.clone(),
        }
    }
}

/// Adds `total = Σ parts` when every cell of it is in the system (none is `x`).
fn add(
    system: &mut System,
    names: &mut Vec<String>,
    name: impl FnOnce() -> String,
    total: Option<usize>,
    parts: Vec<Option<usize>>,
) {
    if let (Some(total), Some(parts)) = (total, parts.into_iter().collect::<Option<Vec<_>>>()) {
        system.relations.push(Relation::sum(total, &parts));
        names.push(name());
    }
}

/// Builds the system of `tables` (unsuppressed) under `rules`.
pub fn build(
    tables: &[PublishedTable],
    layouts: &[&Layout],
    relations: &Relations,
    rules: &DisclosureRules,
) -> Built {
    let mut system = System::default();
    let mut names = Vec::new();
    let mut places = Vec::new();
    // For each table, row and column, the system cell of a count shown (not `x`).
    let mut cell_of: Vec<Vec<Vec<Option<usize>>>> = Vec::new();
    let mut keys: Vec<RowIndex> = Vec::new();
    let mut counts_of: Vec<Vec<(usize, &str)>> = Vec::new();
    for (index, (table, layout)) in tables.iter().zip(layouts).enumerate() {
        let counts: Vec<(usize, &str)> = layout
            .columns
            .iter()
            .enumerate()
            .filter(|(_, column)| matches!(column.figure, Figure::Count { .. }))
            .map(|(column, found)| (column, found.name.as_str()))
            .collect();
        // A count is protected when it counts 1 to the threshold people, or is of a
        // protected count; the layout's *of* chains are short, so follow them.
        let protected_in = |row: usize, column: usize| -> bool {
            let mut current = Some(column);
            let mut steps = 0;
            while let Some(at) = current {
                let value = table.rows[row].cells[at].number();
                if layout.columns[at].figure.counts_people()
                    && value.is_some_and(|value| rules.is_suppressed(value as u64))
                {
                    return true;
                }
                current = match &layout.columns[at].figure {
                    Figure::Count { of: Some(of), .. } => {
                        layout.columns.iter().position(|column| column.name == *of)
                    }
                    _ => None,
                };
                steps += 1;
                if steps > layout.columns.len() {
                    break;
                }
            }
            false
        };
        let mut table_cells = vec![vec![None; table.indicators.len()]; table.rows.len()];
        for (row, published) in table.rows.iter().enumerate() {
            for (column, _) in &counts {
                let Some(value) = published.cells[*column].number() else {
                    continue;
                };
                let start = if protected_in(row, *column) {
                    Start::Protected
                } else {
                    Start::Candidate
                };
                table_cells[row][*column] = Some(system.cells.len());
                system.cells.push(SystemCell {
                    value: value.round() as i64,
                    start,
                });
                places.push(Place::Shown {
                    table: index,
                    row,
                    column: *column,
                });
            }
        }
        cell_of.push(table_cells);
        keys.push(RowIndex::of(table));
        counts_of.push(counts);
    }
    let find =
        |table: usize, row: usize, group: &str| keys[table].sibling(&tables[table], row, group);
    for (index, table) in tables.iter().enumerate() {
        let measure = table.name.as_str();
        for (column, name) in &counts_of[index] {
            for (row, published) in table.rows.iter().enumerate() {
                let at = |row: usize| cell_of[index][row][*column];
                // Group partitions.
                for partition in &relations.partitions {
                    if published.group != partition.total
                        || !partition.measures.includes(measure, name)
                    {
                        continue;
                    }
                    let parts: Option<Vec<usize>> = partition
                        .parts
                        .iter()
                        .map(|part| find(index, row, part))
                        .collect();
                    if let Some(parts) = parts {
                        add(
                            &mut system,
                            &mut names,
                            || {
                                format!(
                                    "{}: {}",
                                    partition.describe(),
                                    table.describe(row, &published.group, name)
                                )
                            },
                            at(row),
                            parts.into_iter().map(at).collect(),
                        );
                    }
                }
                // Breakdown totals: a headline row = the sum of each filter's levels.
                if published.levels.iter().all(|level| level == TOTAL) {
                    for (position, filter) in table.filters.iter().enumerate() {
                        let parts: Option<Vec<usize>> = filter
                            .levels
                            .iter()
                            .filter(|level| *level != TOTAL)
                            .map(|level| {
                                let mut levels = published.levels.clone();
                                levels[position] = level.clone();
                                keys[index].find(table, row, &published.group, &levels)
                            })
                            .collect();
                        if let Some(parts) = parts {
                            add(
                                &mut system,
                                &mut names,
                                || {
                                    format!(
                                        "Total = the sum of the {} levels: {}",
                                        filter.column,
                                        table.describe(row, &published.group, name)
                                    )
                                },
                                at(row),
                                parts.into_iter().map(at).collect(),
                            );
                        }
                    }
                }
            }
        }
        // Identities between the count columns of a row.
        for identity in relations
            .identities
            .iter()
            .filter(|identity| identity.measure == measure)
        {
            let column = |name: &str| {
                counts_of[index]
                    .iter()
                    .find(|(_, count)| *count == name)
                    .map(|(column, _)| *column)
            };
            let (Some(total), Some(parts)) = (
                column(&identity.total),
                identity
                    .parts
                    .iter()
                    .map(|part| column(part))
                    .collect::<Option<Vec<_>>>(),
            ) else {
                continue;
            };
            for (row, cells) in cell_of[index].iter().enumerate() {
                add(
                    &mut system,
                    &mut names,
                    || {
                        format!(
                            "{}: {}",
                            identity.describe(),
                            table.describe(row, &table.rows[row].group, &identity.total)
                        )
                    },
                    cells[total],
                    parts.iter().map(|part| cells[*part]).collect(),
                );
            }
        }
    }
    // Counts two files share: equal wherever both publish the same year, group and
    // non-Total levels.
    for shared in &relations.shared {
        let places_of: Vec<(usize, usize)> = shared
            .counts
            .iter()
            .filter_map(|place| {
                let table = tables
                    .iter()
                    .position(|table| table.name == place.measure)?;
                let column = counts_of[table]
                    .iter()
                    .find(|(_, count)| *count == place.column)?
                    .0;
                Some((table, column))
            })
            .collect();
        let Some(((first, first_column), others)) = places_of.split_first() else {
            continue;
        };
        let first_rows: HashMap<_, usize> = (0..tables[*first].rows.len())
            .map(|row| (tables[*first].place(row), row))
            .collect();
        for (other, other_column) in others {
            for row in 0..tables[*other].rows.len() {
                let Some(first_row) = first_rows.get(&tables[*other].place(row)) else {
                    continue;
                };
                if let (Some(a), Some(b)) = (
                    cell_of[*first][*first_row][*first_column],
                    cell_of[*other][row][*other_column],
                ) {
                    system.relations.push(Relation::same(a, b));
                    names.push(format!(
                        "{}: {}",
                        shared.describe(),
                        tables[*other].describe(
                            row,
                            &tables[*other].rows[row].group,
                            &tables[*other].indicators[*other_column].name
                        )
                    ));
                }
            }
        }
    }
    // Differences of nested groups, as cells of their own, in every count of people.
    for (index, (table, layout)) in tables.iter().zip(layouts).enumerate() {
        for (column, name) in &counts_of[index] {
            if !layout.columns[*column].figure.counts_people() {
                continue;
            }
            for nested in &relations.nested {
                if !nested.measures.includes(&table.name, name) {
                    continue;
                }
                for (row, published) in table.rows.iter().enumerate() {
                    if published.group != nested.larger {
                        continue;
                    }
                    let Some(smaller_row) = find(index, row, &nested.smaller) else {
                        break;
                    };
                    let (Some(larger), Some(smaller)) = (
                        cell_of[index][row][*column],
                        cell_of[index][smaller_row][*column],
                    ) else {
                        continue;
                    };
                    let value = system.cells[larger].value - system.cells[smaller].value;
                    let start = if value > 0 && rules.is_suppressed(value as u64) {
                        Start::Protected
                    } else {
                        Start::Unpublished
                    };
                    let difference = system.cells.len();
                    system.cells.push(SystemCell { value, start });
                    places.push(Place::Difference {
                        name: table.describe(
                            row,
                            &format!("{} − {}", nested.larger, nested.smaller),
                            &table.indicators[*column].name,
                        ),
                    });
                    system.relations.push(Relation {
                        terms: vec![(difference, 1), (larger, -1), (smaller, 1)],
                    });
                    names.push(nested.describe());
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..system.cells.len())
        .filter(|cell| system.cells[*cell].start == Start::Candidate)
        .collect();
    order.sort_by_key(|cell| {
        let (table, row, column) = match &places[*cell] {
            Place::Shown { table, row, column } => (*table, *row, *column),
            Place::Difference { .. } => (usize::MAX, usize::MAX, usize::MAX),
        };
        let headline = tables
            .get(table)
            .is_some_and(|table| table.rows[row].is_headline());
        (
            !headline,
            std::cmp::Reverse(system.cells[*cell].value),
            table,
            column,
            row,
        )
    });
    Built {
        system,
        places,
        order,
        relation_names: names,
    }
}
