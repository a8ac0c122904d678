//! Checks every relation of `data-dictionary/disclosure/relations.yaml` against the
//! unsuppressed counts of every table, before anything is suppressed or written
//! (`disclosure.md`: a relation that does not hold is a bug in the relations file, not
//! something to suppress around). Each failure names the relation, the cell and the
//! figures; a relation naming a group no measure has, or a column its measure does not
//! count, is an error too.

use std::collections::{BTreeSet, HashMap};

use cwsw_dictionary::Lookback;
use cwsw_dictionary::layout::{Figure, Layout};
use cwsw_dictionary::relations::Relations;

use crate::PublishError;
use crate::table::{PublishedTable, RowIndex};

/// One table with its layout, its rows by key and its count columns by layout name.
struct Indexed<'a> {
    table: &'a PublishedTable,
    rows: RowIndex,
    counts: Vec<(usize, &'a str)>,
}

impl<'a> Indexed<'a> {
    fn new(table: &'a PublishedTable, layout: &'a Layout) -> Self {
        let rows = RowIndex::of(table);
        let counts = layout
            .columns
            .iter()
            .enumerate()
            .filter(|(_, column)| matches!(column.figure, Figure::Count { .. }))
            .map(|(index, column)| (index, column.name.as_str()))
            .collect();
        Self {
            table,
            rows,
            counts,
        }
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.counts
            .iter()
            .find(|(_, count)| *count == name)
            .map(|(index, _)| *index)
    }

    /// A count as shown before suppression; `None` for `x`.
    fn value(&self, row: usize, column: usize) -> Option<i64> {
        self.table.rows[row].cells[column].text().parse().ok()
    }

    fn row_of(&self, row: usize, group: &str) -> Option<usize> {
        self.rows.sibling(self.table, row, group)
    }

    fn cell(&self, row: usize, group: &str, column: &str) -> String {
        self.table.describe(row, group, column)
    }
}

fn fails(relation: String, cell: String, detail: String) -> PublishError {
    PublishError::RelationFails {
        relation,
        cell,
        detail,
    }
}

fn unknown(relation: String, problem: String) -> PublishError {
    PublishError::RelationUnknown { relation, problem }
}

/// Checks `relations` against `tables` (unsuppressed, each with its layout).
pub fn check_relations(
    tables: &[PublishedTable],
    layouts: &[&Layout],
    relations: &Relations,
) -> Result<(), PublishError> {
    let indexed: Vec<Indexed> = tables
        .iter()
        .zip(layouts)
        .map(|(table, layout)| Indexed::new(table, layout))
        .collect();
    // The groups of this submission, and those of the other look-back, which a run
    // with this one does not publish.
    let mut known: BTreeSet<String> = tables
        .iter()
        .flat_map(|table| table.rows.iter().map(|row| row.group.clone()))
        .collect();
    for lookback in [Lookback::Years(6), Lookback::All] {
        known.extend([
            lookback.ever_cin(),
            lookback.never_cin(),
            lookback.ever_cwsw(),
        ]);
    }
    let group_pairs = relations
        .partitions
        .iter()
        .map(|partition| {
            (
                partition.describe(),
                &partition.measures,
                partition.total.as_str(),
                partition
                    .parts
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                true,
            )
        })
        .chain(relations.nested.iter().map(|nested| {
            (
                nested.describe(),
                &nested.measures,
                nested.larger.as_str(),
                vec![nested.smaller.as_str()],
                false,
            )
        }));
    for (relation, measures, whole, parts, exact) in group_pairs {
        if let Some(group) = std::iter::once(whole)
            .chain(parts.iter().copied())
            .find(|group| !known.contains(*group))
        {
            return Err(unknown(
                relation,
                format!("no measure has the group `{group}`"),
            ));
        }
        for table in &indexed {
            for (column, name) in &table.counts {
                if !measures.includes(&table.table.name, name) {
                    continue;
                }
                for (row, published) in table.table.rows.iter().enumerate() {
                    if published.group != whole {
                        continue;
                    }
                    let Some(part_rows) = parts
                        .iter()
                        .map(|part| table.row_of(row, part))
                        .collect::<Option<Vec<usize>>>()
                    else {
                        // The measure does not publish every group named.
                        break;
                    };
                    let Some(total) = table.value(row, *column) else {
                        continue;
                    };
                    let Some(values) = part_rows
                        .iter()
                        .map(|part| table.value(*part, *column))
                        .collect::<Option<Vec<i64>>>()
                    else {
                        continue;
                    };
                    let sum: i64 = values.iter().sum();
                    let holds = if exact { total == sum } else { total >= sum };
                    if !holds {
                        let shown: Vec<String> = values.iter().map(i64::to_string).collect();
                        return Err(fails(
                            relation,
                            table.cell(row, whole, name),
                            if exact {
                                format!("{total} is not {} = {sum}", shown.join(" + "))
                            } else {
                                format!("{total} is less than {sum}")
                            },
                        ));
                    }
                }
            }
        }
    }
    for identity in &relations.identities {
        let Some(table) = indexed
            .iter()
            .find(|table| table.table.name == identity.measure)
        else {
            continue;
        };
        let column = |name: &str| {
            table.column(name).ok_or_else(|| {
                unknown(
                    identity.describe(),
                    format!("`{name}` is not a count of `{}`", identity.measure),
                )
            })
        };
        let total = column(&identity.total)?;
        let parts = identity
            .parts
            .iter()
            .map(|name| column(name))
            .collect::<Result<Vec<usize>, _>>()?;
        for (row, published) in table.table.rows.iter().enumerate() {
            let Some(value) = table.value(row, total) else {
                continue;
            };
            let Some(values) = parts
                .iter()
                .map(|part| table.value(row, *part))
                .collect::<Option<Vec<i64>>>()
            else {
                continue;
            };
            let sum: i64 = values.iter().sum();
            if value != sum {
                let shown: Vec<String> = values.iter().map(i64::to_string).collect();
                return Err(fails(
                    identity.describe(),
                    table.cell(row, &published.group, &identity.total),
                    format!("{value} is not {} = {sum}", shown.join(" + ")),
                ));
            }
        }
    }
    for shared in &relations.shared {
        let mut places = Vec::new();
        for place in &shared.counts {
            let Some(table) = indexed
                .iter()
                .find(|table| table.table.name == place.measure)
            else {
                continue;
            };
            let column = table.column(&place.column).ok_or_else(|| {
                unknown(
                    shared.describe(),
                    format!("`{}` is not a count of `{}`", place.column, place.measure),
                )
            })?;
            places.push((table, column, place.column.as_str()));
        }
        let Some(((first, first_column, first_name), others)) = places.split_first() else {
            continue;
        };
        let first_rows: HashMap<_, usize> = (0..first.table.rows.len())
            .map(|row| (first.table.place(row), row))
            .collect();
        for (other, other_column, other_name) in others {
            for row in 0..other.table.rows.len() {
                let Some(first_row) = first_rows.get(&other.table.place(row)) else {
                    continue;
                };
                let (Some(a), Some(b)) = (
                    first.value(*first_row, *first_column),
                    other.value(row, *other_column),
                ) else {
                    continue;
                };
                if a != b {
                    let group = &other.table.rows[row].group;
                    return Err(fails(
                        shared.describe(),
                        format!(
                            "{} and {}",
                            first.cell(*first_row, group, first_name),
                            other.cell(row, group, other_name)
                        ),
                        format!("{a} is not {b}"),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{Row, file};
    use crate::table::{Levels, unprotected_table};
    use crate::{Cell, local_authority};

    const CIN: &str = "CIN at 31 March";
    const CINO: &str = "CINO at 31 March";
    const CPPO: &str = "CPPO at 31 March";
    const CLA: &str = "CLA at 31 March";

    /// A table of CIN and its parts in 2021/22, Total and by sex, with CIN's pupils.
    fn table(cin: i64) -> (PublishedTable, Layout) {
        let mut rows = Vec::new();
        for (group, pupils, female, flag) in [
            (CIN, cin, 10, 3),
            (CINO, 10, 5, 1),
            (CPPO, 5, 3, 1),
            (CLA, 5, 2, 1),
        ] {
            for (sex, share) in [("Total", pupils), ("Female", female)] {
                rows.push(Row {
                    year: 202122,
                    group,
                    sex,
                    pupils: Some(share),
                    flag,
                });
            }
        }
        let (file, records) = file(&rows, &[CIN, CINO, CPPO, CLA], &[202122]);
        let la = *local_authority("801").expect("Bristol");
        let table = unprotected_table(&file, &Levels::of("test", &records), la).expect("built");
        (table, file.layout)
    }

    fn relations(yaml: &str) -> Relations {
        let mut text = String::new();
        for key in ["partitions", "nested", "identities", "shared"] {
            if !yaml.contains(&format!("{key}:")) {
                text.push_str(&format!("{key}: []\n"));
            }
        }
        Relations::parse(&format!("{text}{yaml}"), "test.yaml").expect("a relations file")
    }

    fn check(tables: &[(PublishedTable, Layout)], yaml: &str) -> Result<(), PublishError> {
        let (tables, layouts): (Vec<_>, Vec<_>) = tables.iter().cloned().unzip();
        let layouts: Vec<&Layout> = layouts.iter().collect();
        check_relations(&tables, &layouts, &relations(yaml))
    }

    const PARTITION: &str = "partitions:\n  - {total: CIN at 31 March, parts: [CINO at 31 March, CPPO at 31 March, CLA at 31 March], why: the hierarchy}\n";

    #[test]
    fn a_partition_that_holds_passes_and_one_that_does_not_is_named() {
        check(&[table(20)], PARTITION).expect("20 = 10 + 5 + 5, and by sex 10 = 5 + 3 + 2");
        let error = check(&[table(21)], PARTITION).expect_err("21 is not 20");
        let message = error.to_string();
        assert!(
            message.contains(
                "`CIN at 31 March = CINO at 31 March + CPPO at 31 March + CLA at 31 March`"
            ) && message
                .contains("test 2021/22, CIN at 31 March, t_pupils: 21 is not 10 + 5 + 5 = 20")
                && message.contains("\nhint: "),
            "{message}"
        );
        // Where a measure holds it for some counts only, the others are not checked.
        let narrowed = PARTITION.replace(
            "why: the hierarchy}",
            "measures: {only: [{measure: test, columns: [t_flag]}]}, why: the hierarchy}",
        );
        check(&[table(21)], &narrowed).expect("t_pupils is not in its scope");
        let excepted = PARTITION.replace("why: the", "measures: {except: [test]}, why: the");
        check(&[table(21)], &excepted).expect("test is excepted");
    }

    #[test]
    fn a_nested_pair_checks_that_the_larger_holds_the_smaller() {
        let nested = "nested:\n  - {larger: CIN at 31 March, smaller: CLA at 31 March, why: w}\n";
        check(&[table(20)], nested).expect("20 ≥ 5");
        let backwards =
            "nested:\n  - {larger: CLA at 31 March, smaller: CIN at 31 March, why: w}\n";
        let error = check(&[table(20)], backwards).expect_err("5 < 20");
        assert!(
            error
                .to_string()
                .contains("CLA at 31 March, t_pupils: 5 is less than 20"),
            "{error}"
        );
    }

    #[test]
    fn a_group_or_column_nobody_publishes_is_an_error() {
        let typo = PARTITION.replace("CPPO at 31 March,", "CPPO at 31 Marhc,");
        let error = check(&[table(20)], &typo).expect_err("a typo");
        assert!(
            matches!(error, PublishError::RelationUnknown { .. })
                && error
                    .to_string()
                    .contains("no measure has the group `CPPO at 31 Marhc`"),
            "{error}"
        );
        let identity =
            "identities:\n  - {measure: test, total: t_pupils, parts: [t_nope], why: w}\n";
        let error = check(&[table(20)], identity).expect_err("no such column");
        assert!(
            error
                .to_string()
                .contains("`t_nope` is not a count of `test`"),
            "{error}"
        );
        // A measure not in this submission is not checked.
        let elsewhere = identity.replace("measure: test", "measure: absence");
        check(&[table(20)], &elsewhere).expect("no absence here");
    }

    #[test]
    fn an_identity_between_columns_is_checked_in_every_row() {
        // t_sess is 300 × t_pupils in the fixture: not their sum with t_flag.
        let identity =
            "identities:\n  - {measure: test, total: t_sess, parts: [t_pupils, t_flag], why: w}\n";
        let error = check(&[table(20)], identity).expect_err("6000 is not 20 + 3");
        assert!(
            error
                .to_string()
                .contains("t_sess: 6000 is not 20 + 3 = 23"),
            "{error}"
        );
    }

    #[test]
    fn a_shared_count_must_be_equal_wherever_both_files_publish_it() {
        let (first, layout) = table(20);
        let mut second = first.clone();
        second.name = "other".into();
        let shared = "shared:\n  - {counts: [{measure: test, column: t_pupils}, {measure: other, column: t_pupils}], why: w}\n";
        check(
            &[
                (first.clone(), layout.clone()),
                (second.clone(), layout.clone()),
            ],
            shared,
        )
        .expect("equal");
        let female = second
            .rows
            .iter()
            .position(|row| row.group == CLA && row.levels == ["Female"])
            .expect("a row");
        second.rows[female].cells[0] = Cell::Value("3".into());
        let error =
            check(&[(first, layout.clone()), (second, layout)], shared).expect_err("2 is not 3");
        assert!(
            error.to_string().contains(
                "test 2021/22, CLA at 31 March, sex Female, t_pupils and other 2021/22, CLA at 31 March, sex Female, t_pupils: 2 is not 3"
            ),
            "{error}"
        );
    }
}
