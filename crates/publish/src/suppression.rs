//! Disclosure control of a submission's tables (`domain.md` §3), driven by their
//! layouts: a count of people from 1 to the threshold is `c` (primary), and so is
//! everything derived from it (the counts the layout says are *of* it, the figures whose
//! counts include it); then the secondary cells Gaussian elimination chooses over every
//! relation of every table at once, with what derives from them. Every suppressed cell
//! is logged with why, a secondary one with the protected cell that needed it.

use cwsw_dictionary::layout::{Figure, Layout};
use cwsw_dictionary::relations::Relations;

use crate::disclosure::{self, Place};
use crate::table::{PublishedTable, SuppressedCell};
use crate::{Cell, DisclosureRules, PublishError};

/// Why a cell is `c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// A count of 1 to the threshold people.
    Primary,
    /// Derived from a primary `c`.
    PrimaryDerived,
    /// Hidden so that no protected cell can be worked out from what is shown.
    Secondary,
    /// Derived from a secondary `c`.
    SecondaryDerived,
    /// An estimate whose lineage touches a suppressed cell.
    Withheld,
}

impl Reason {
    /// As the log writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::PrimaryDerived => "primary (derived)",
            Self::Secondary => "secondary",
            Self::SecondaryDerived => "secondary (derived)",
            Self::Withheld => "withheld (lineage)",
        }
    }
}

/// For each column, the columns derived from it: counts *of* it and figures *from* it.
fn dependents(layout: &Layout) -> Vec<Vec<usize>> {
    layout
        .columns
        .iter()
        .map(|column| {
            layout
                .columns
                .iter()
                .enumerate()
                .filter(|(_, other)| match &other.figure {
                    Figure::Count { of, .. } => of.as_deref() == Some(column.name.as_str()),
                    Figure::Estimate { from, .. } => from.contains(&column.name),
                })
                .map(|(index, _)| index)
                .collect()
        })
        .collect()
}

/// Hides `column` of `row` and everything derived from it, logging each.
fn hide(
    table: &mut PublishedTable,
    dependents: &[Vec<usize>],
    row: usize,
    column: usize,
    reason: Reason,
    protects: Option<String>,
) {
    let derived = match reason {
        Reason::Primary => Reason::PrimaryDerived,
        Reason::Secondary => Reason::SecondaryDerived,
        other => other,
    };
    let mut pending = vec![(column, reason, protects)];
    while let Some((column, reason, protects)) = pending.pop() {
        let cell = &mut table.rows[row].cells[column];
        // A `z` goes too: it would say the hidden denominator is 0.
        if !matches!(cell, Cell::Value(_) | Cell::NotApplicable) {
            continue;
        }
        *cell = Cell::Suppressed;
        let published = &table.rows[row];
        table.suppressed.push(SuppressedCell {
            time_period: published.year.time_period(),
            group: published.group.clone(),
            levels: published.levels.clone(),
            indicator: table.indicators[column].name.clone(),
            reason,
            protects: protects.clone(),
        });
        pending.extend(
            dependents[column]
                .iter()
                .map(|index| (*index, derived, protects.clone())),
        );
    }
}

/// Disclosure control of every table together: primary suppression of every count
/// of people from 1 to the threshold and everything derived from it, then the
/// secondary cells that Gaussian elimination over the whole system chooses
/// (`disclosure::build`, `cwsw_disclosure::suppress`), each logged with the protected
/// cell that needed it, and everything derived from those.
pub fn protect(
    tables: &mut [PublishedTable],
    layouts: &[&Layout],
    relations: &Relations,
    rules: &DisclosureRules,
) -> Result<(), PublishError> {
    let built = disclosure::build(tables, layouts, relations, rules);
    let suppression =
        cwsw_disclosure::suppress(&built.system, &built.order).map_err(|source| match source {
            cwsw_disclosure::DisclosureError::Exposed { cell } => PublishError::Unprotectable {
                cell: built.describe(tables, cell),
            },
            cwsw_disclosure::DisclosureError::RelationFails { relation, sum } => {
                PublishError::CountsDisagree {
                    relation: built.relation_names[relation].clone(),
                    sum,
                }
            }
            other => PublishError::Disclosure(other),
        })?;
    let mut secondary: Vec<Vec<(usize, usize, String)>> = vec![Vec::new(); tables.len()];
    for chosen in &suppression.secondary {
        if let Place::Shown { table, row, column } = built.places[chosen.cell] {
            secondary[table].push((row, column, built.describe(tables, chosen.protects)));
        }
    }
    for ((table, layout), secondary) in tables.iter_mut().zip(layouts).zip(secondary) {
        let dependents = dependents(layout);
        let people: Vec<usize> = layout
            .columns
            .iter()
            .enumerate()
            .filter(|(_, column)| column.figure.counts_people())
            .map(|(index, _)| index)
            .collect();
        let count = |cell: &Cell| cell.number().map(|value| value as u64);
        for row in 0..table.rows.len() {
            for column in &people {
                if count(&table.rows[row].cells[*column])
                    .is_some_and(|value| rules.is_suppressed(value))
                {
                    hide(table, &dependents, row, *column, Reason::Primary, None);
                }
            }
        }
        for (row, column, protects) in secondary {
            hide(
                table,
                &dependents,
                row,
                column,
                Reason::Secondary,
                Some(protects),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{Row, file};
    use crate::table::{Levels, PublishedTable, measure_table};
    use crate::{DisclosureRules, local_authority};

    const GROUPS: &[&str] = &[
        "CIN at 31 March",
        "CINO at 31 March",
        "CPPO at 31 March",
        "CLA at 31 March",
        "CLA 12 months at 31 March",
        "CLA less than 12 months at 31 March",
    ];

    fn table(rows: &[Row], groups: &[&str]) -> PublishedTable {
        let (file, records) = file(rows, groups, &[202122]);
        measure_table(
            &file,
            &Levels::of("test", &records),
            *local_authority("801").expect("Bristol"),
            &DisclosureRules::default(),
        )
        .expect("publishes")
    }

    fn headline(pupils: i64, flag: i64) -> impl Fn(&'static str) -> Row<'static> {
        move |group| Row {
            year: 202122,
            group,
            sex: "Total",
            pupils: Some(pupils),
            flag,
        }
    }

    fn cells<'a>(table: &'a PublishedTable, group: &str, sex: &str) -> &'a [Cell] {
        &table
            .rows
            .iter()
            .find(|row| row.group == group && row.levels.iter().all(|level| level == sex))
            .expect("a row")
            .cells
    }

    #[test]
    fn a_small_group_hides_its_whole_row_and_a_small_count_its_figures() {
        let table = table(
            &[
                headline(3, 1)("A"),
                headline(100, 4)("B"),
                headline(100, 20)("C"),
            ],
            &["A", "B", "C", "D"],
        );
        // Every figure of three pupils describes identifiable pupils: the sessions,
        // the count and the rate go with the pupils.
        assert!(
            cells(&table, "A", "Total")
                .iter()
                .all(|cell| *cell == Cell::Suppressed)
        );
        let b = cells(&table, "B", "Total");
        assert_eq!(b[0], Cell::Value("100".into()));
        assert_eq!(b[1], Cell::Value("30000".into()), "sessions are not people");
        assert_eq!(b[2], Cell::Suppressed);
        assert!(b[3..].iter().all(|cell| *cell == Cell::Suppressed), "{b:?}");
        assert_eq!(cells(&table, "C", "Total")[3], Cell::Value("20.0".into()));
        assert_eq!(cells(&table, "C", "Total")[4], Cell::Value("18.0".into()));
        // A group nobody is in: 0 pupils, its rate not applicable.
        let d = cells(&table, "D", "Total");
        assert_eq!(d[0], Cell::Value("0".into()));
        assert_eq!(d[3], Cell::NotApplicable);
        let logged = |group: &str, reason: Reason| {
            table
                .suppressed
                .iter()
                .filter(|cell| cell.group == group && cell.reason == reason)
                .count()
        };
        assert_eq!(logged("A", Reason::Primary), 1);
        assert_eq!(logged("A", Reason::PrimaryDerived), 5);
        assert_eq!(logged("B", Reason::Primary), 1);
    }

    #[test]
    fn a_suppressed_denominator_hides_every_figure_over_it() {
        // t_flag (8) is shown, but pt_flag is over t_pupils: when t_pupils is 1-5, both
        // go; a count of people of a suppressed count goes too, even when it is 0.
        let table = table(&[headline(4, 0)("A"), headline(50, 8)("B")], &["A", "B"]);
        let a = cells(&table, "A", "Total");
        assert_eq!(
            a[2],
            Cell::Suppressed,
            "a 0 of 4 pupils says something of them"
        );
        assert_eq!(a[3], Cell::Suppressed);
    }

    #[test]
    fn a_rate_over_a_hidden_zero_is_c_not_z() {
        // pt_share is over t_flag. With 4 pupils and none flagged, t_flag (0) is hidden
        // with its pupils, and a `z` for pt_share would say it is 0.
        let (mut file, mut records) = file(
            &[headline(4, 0)("A"), headline(50, 8)("B")],
            &["A", "B"],
            &[202122],
        );
        file.layout
            .columns
            .extend(crate::fixtures::rate("pt_share", &["t_flag"], "t_flag"));
        let mut share = records[1].clone();
        share.indicator = "pt_share".into();
        records.push(share);
        let table = measure_table(
            &file,
            &Levels::of("test", &records),
            *local_authority("801").expect("Bristol"),
            &DisclosureRules::default(),
        )
        .expect("publishes");
        let a = cells(&table, "A", "Total");
        assert!(a[6..].iter().all(|cell| *cell == Cell::Suppressed), "{a:?}");
    }

    /// The two partitions of these groups.
    const PARTITIONS: &[(&str, &[&str])] = &[
        (GROUPS[0], &[GROUPS[1], GROUPS[2], GROUPS[3]]),
        (GROUPS[3], &[GROUPS[4], GROUPS[5]]),
    ];

    /// No partition, in any level, may leave exactly one count suppressed (a weaker
    /// check than the elimination's, and independent of it).
    fn assert_nothing_recoverable(table: &PublishedTable) {
        for column in [0, 2] {
            for levels in [vec!["Total".to_string()], vec!["Female".to_string()]] {
                for (total, parts) in PARTITIONS {
                    let hidden = parts
                        .iter()
                        .chain([total])
                        .filter(|group| {
                            table.rows.iter().any(|row| {
                                row.group == **group
                                    && row.levels == levels
                                    && row.cells[column] == Cell::Suppressed
                            })
                        })
                        .count();
                    assert_ne!(hidden, 1, "{total} {levels:?} column {column}: a lone `c`");
                }
            }
        }
    }

    fn nested(counts: [(i64, i64); 6], sex: &'static str) -> Vec<Row<'static>> {
        GROUPS
            .iter()
            .zip(counts)
            .map(|(group, (pupils, flag))| Row {
                year: 202122,
                group,
                sex,
                pupils: Some(pupils),
                flag,
            })
            .collect()
    }

    #[test]
    fn a_lone_suppressed_part_gets_a_partner() {
        // CLA 20 = 17 + 3: the 3 is primary; 17 would give it away, so it goes too.
        let table = table(
            &nested(
                [(200, 60), (150, 45), (30, 9), (20, 6), (17, 6), (3, 0)],
                "Total",
            ),
            GROUPS,
        );
        assert!(
            cells(&table, GROUPS[5], "Total")
                .iter()
                .all(|cell| *cell == Cell::Suppressed)
        );
        assert!(
            cells(&table, GROUPS[4], "Total")
                .iter()
                .all(|cell| *cell == Cell::Suppressed)
        );
        assert_eq!(
            cells(&table, GROUPS[3], "Total")[0],
            Cell::Value("20".into())
        );
        assert!(
            table
                .suppressed
                .iter()
                .any(|cell| cell.group == GROUPS[4] && cell.reason == Reason::Secondary)
        );
        assert_nothing_recoverable(&table);
    }

    #[test]
    fn secondary_suppression_follows_a_chain_of_relations_in_every_breakdown_level() {
        // Among girls CPPO has 4 pupils (primary): showing the boys' CPPO beside the
        // headline would give it away, and so would the girls' CLA beside their CIN and
        // CINO, so both go; the headline and the girls' CINO stay.
        let mut rows = nested(
            [(114, 30), (100, 20), (4, 2), (10, 8), (7, 6), (3, 2)],
            "Female",
        );
        rows.extend(nested(
            [(186, 30), (100, 20), (46, 8), (40, 2), (23, 0), (17, 2)],
            "Male",
        ));
        rows.extend(nested(
            [(300, 60), (200, 40), (50, 10), (50, 10), (30, 6), (20, 4)],
            "Total",
        ));
        let table = table(&rows, GROUPS);
        assert_nothing_recoverable(&table);
        assert_eq!(cells(&table, GROUPS[2], "Female")[0], Cell::Suppressed);
        assert_eq!(
            cells(&table, GROUPS[1], "Female")[0],
            Cell::Value("100".into())
        );
        assert_eq!(
            cells(&table, GROUPS[2], "Total")[0],
            Cell::Value("50".into())
        );
        assert_eq!(cells(&table, GROUPS[2], "Male")[0], Cell::Suppressed);
        assert_eq!(cells(&table, GROUPS[3], "Female")[0], Cell::Suppressed);
        let protects = |group: &str, sex: &str| {
            table
                .suppressed
                .iter()
                .find(|cell| {
                    cell.group == group && cell.levels == [sex] && cell.indicator == "t_pupils"
                })
                .and_then(|cell| cell.protects.clone())
        };
        assert_eq!(
            protects(GROUPS[2], "Male").as_deref(),
            Some("test 2021/22, CPPO at 31 March, sex Female, t_pupils"),
            "a complement names the cell it protects"
        );
    }
}
