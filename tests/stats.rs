//! End-to-end tests of `cwsw stats` (issue 14's acceptance): the estimates the demo
//! writes, checked against the measures it rests on, and a planted effect found (and no
//! effect not found) on synthetic LAs whose gaps are parallel by construction.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn cwsw(args: &[&str], dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cwsw"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cwsw runs");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "cwsw {args:?} failed:\n{stderr}");
    String::from_utf8_lossy(&output.stdout).to_string()
}

type Row = BTreeMap<String, String>;

fn read_csv(path: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path).expect("csv opens");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("record");
            headers
                .iter()
                .map(str::to_string)
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn number(row: &Row, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("`{column}` is `{}` in {row:?}", row[column]))
}

/// One synthetic LA through synth, extract, run and stats; its estimates.
fn pipeline(dir: &Path, pupils: &str, synth: &[&str]) -> Vec<Row> {
    std::fs::write(
        dir.join("test.key"),
        "an obviously fake test key, not for any real data",
    )
    .expect("key written");
    let mut args = vec!["synth", "--out", "raw", "--pupils", pupils];
    args.extend(synth);
    cwsw(&args, dir);
    cwsw(
        &[
            "extract",
            "--input",
            "raw",
            "--out",
            "warehouse",
            "--key-file",
            "test.key",
        ],
        dir,
    );
    cwsw(
        &["run", "--warehouse", "warehouse", "--out", "measures"],
        dir,
    );
    cwsw(
        &[
            "stats",
            "--measures",
            "measures",
            "--warehouse",
            "warehouse",
            "--out",
            "estimates",
        ],
        dir,
    );
    read_csv(&dir.join("estimates/estimates.csv"))
}

fn confirmatory<'a>(rows: &'a [Row], indicator: &str, group: &str) -> &'a Row {
    rows.iter()
        .find(|row| {
            row["estimand"] == "did"
                && row["family"] == "confirmatory"
                && row["indicator"] == indicator
                && row["social_care_group"] == group
        })
        .unwrap_or_else(|| panic!("no confirmatory DiD for {indicator} {group}"))
}

#[test]
fn the_demo_writes_estimates_for_every_indicator_that_rest_on_its_measures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stdout = cwsw(&["demo", "--out", "d", "--pupils", "20000"], dir.path());
    let out = dir.path().join("d");
    assert!(stdout.contains("estimates.csv"), "{stdout}");
    let rows = read_csv(&out.join("estimates/estimates.csv"));
    assert!(out.join("estimates/estimates.parquet").exists());
    let estimate = |row: &Row| row["estimate"].parse::<f64>().ok();

    // Every indicator of every measure has intervals, and every row has its lineage.
    let queries = cwsw_engine::QuerySet::embedded().expect("queries");
    for query in queries.measures() {
        for indicator in &query.header.indicators {
            let levels: Vec<&Row> = rows
                .iter()
                .filter(|row| {
                    row["measure"] == query.header.name
                        && row["indicator"] == indicator.column
                        && row["estimand"] == "level"
                })
                .collect();
            assert!(
                levels.iter().any(|row| {
                    estimate(row).is_some()
                        && number(row, "ci_lower") <= number(row, "estimate")
                        && number(row, "estimate") <= number(row, "ci_upper")
                }),
                "{} {}: no interval",
                query.header.name,
                indicator.column
            );
            assert!(
                levels
                    .iter()
                    .all(|row| estimate(row).is_some() || !row["note"].is_empty()),
                "{} {}: a row without an estimate says why",
                query.header.name,
                indicator.column
            );
        }
    }
    assert!(
        rows.iter()
            .all(|row| estimate(row).is_none() || !row["lineage"].is_empty()),
        "every estimate names the cells it rests on"
    );
    assert!(
        rows.iter()
            .all(|row| row["research_question"].starts_with("RQ"))
    );

    // Every lineage cell is a cell of the measures.
    let mut cells = std::collections::BTreeSet::new();
    for query in queries.measures() {
        for row in read_csv(&out.join(format!("measures/{}.csv", query.header.name))) {
            let breakdown = ["phase_type_grouping", "sex", "sen_provision", "year_group"]
                .iter()
                .find(|filter| row.get(**filter).is_some_and(|value| value != "Total"))
                .map_or("Total".to_string(), |filter| {
                    format!("{filter}={}", row[*filter])
                });
            cells.insert(format!(
                "{}|{}|{}|{breakdown}",
                query.header.name, row["social_care_group"], row["academic_year"]
            ));
        }
    }
    for row in &rows {
        for cell in row["lineage"].split("; ").filter(|cell| !cell.is_empty()) {
            assert!(
                cells.contains(cell),
                "lineage `{cell}` is not a measure cell"
            );
        }
    }

    // Gaps, DiD and event study for the DfE groups, with families and adjusted p-values.
    for group in [
        "CINO at 31 March",
        "CPPO at 31 March",
        "CLA 12 months at 31 March",
    ] {
        for estimand in ["gap_to_rest", "gap_to_all_pupils", "event_study"] {
            assert!(
                rows.iter().any(|row| row["estimand"] == estimand
                    && row["social_care_group"] == group
                    && row["indicator"] == "pt_overall"
                    && !row["p_value"].is_empty()
                    && row["family"] == "exploratory: absence"
                    && !row["p_value_bh"].is_empty()),
                "{group}: no {estimand} row"
            );
        }
        let did = confirmatory(&rows, "pt_overall", group);
        // Adjusted is never below raw (m p / rank, rank <= m), to the last bit.
        assert!(number(did, "p_value_bh") >= number(did, "p_value") * (1.0 - 1e-12));
        assert!(did["method"].contains("not an effect of the role"));
    }
    let confirmatory_tests = rows
        .iter()
        .filter(|row| row["family"] == "confirmatory")
        .count();
    assert_eq!(
        confirmatory_tests, 12,
        "4 outcomes x CINO, CPPO, CLA 12 months"
    );
    // CWSW begins in 2021/22: its DiD says why it is absent.
    let cwsw_did = rows
        .iter()
        .find(|row| {
            row["estimand"] == "did"
                && row["social_care_group"] == "CWSW"
                && row["indicator"] == "pt_overall"
        })
        .expect("a CWSW DiD row");
    assert!(cwsw_did["estimate"].is_empty() && cwsw_did["note"].contains("both periods"));

    // The pupil-level DiD is the change in the gap the measures publish: rest = all
    // pupils - the group, sessions pooled over each period's years.
    let absence = read_csv(&out.join("measures/absence.csv"));
    let total = |year: &str, group: &str| {
        absence
            .iter()
            .find(|row| {
                row["academic_year"] == year
                    && row["social_care_group"] == group
                    && ["phase_type_grouping", "sex", "sen_provision", "year_group"]
                        .iter()
                        .all(|filter| row[*filter] == "Total")
            })
            .map(|row| {
                (
                    number(row, "t_sess_overall"),
                    number(row, "t_sess_possible"),
                )
            })
            .expect("a Total row")
    };
    let gap = |years: &[&str]| {
        let (mut group, mut all) = ((0.0, 0.0), (0.0, 0.0));
        for year in years {
            let g = total(year, "CINO at 31 March");
            let a = total(year, "All pupils comparison");
            group = (group.0 + g.0, group.1 + g.1);
            all = (all.0 + a.0, all.1 + a.1);
        }
        100.0 * (group.0 / group.1 - (all.0 - group.0) / (all.1 - group.1))
    };
    let did = confirmatory(&rows, "pt_overall", "CINO at 31 March");
    let expected = gap(&["202122", "202223", "202324", "202425"]) - gap(&["201819"]);
    assert!(
        (number(did, "estimate") - expected).abs() < 1e-9,
        "DiD {} but the measures' gaps changed by {expected}",
        did["estimate"]
    );
    // The gap to all pupils is the gap to the rest scaled by 1 - the group's share.
    let rest = rows
        .iter()
        .find(|row| {
            row["estimand"] == "gap_to_rest"
                && row["social_care_group"] == "CINO at 31 March"
                && row["indicator"] == "pt_overall"
                && row["academic_year"] == "202223"
        })
        .expect("a gap");
    let all = rows
        .iter()
        .find(|row| {
            row["estimand"] == "gap_to_all_pupils"
                && row["social_care_group"] == "CINO at 31 March"
                && row["indicator"] == "pt_overall"
                && row["academic_year"] == "202223"
        })
        .expect("a gap to all pupils");
    let (g, a) = (
        total("202223", "CINO at 31 March"),
        total("202223", "All pupils comparison"),
    );
    let share = g.1 / a.1;
    assert!((number(all, "estimate") - number(rest, "estimate") * (1.0 - share)).abs() < 1e-9);
    assert_eq!(all["p_value"], rest["p_value"]);
    assert_eq!(all["p_value_bh"], rest["p_value_bh"]);
}

#[test]
fn a_planted_attendance_effect_is_found_and_no_effect_is_not() {
    let planted = tempfile::tempdir().expect("tempdir");
    let rows = pipeline(
        planted.path(),
        "60000",
        &[
            "--seed",
            "2021",
            "--baseline",
            "parallel",
            "--effect",
            "attendance=+2pp",
        ],
    );
    let did = confirmatory(&rows, "pt_overall", "CINO at 31 March");
    let estimate = number(did, "estimate");
    assert!(
        (-3.0..=-1.0).contains(&estimate),
        "planted +2pp attendance: DiD {estimate}"
    );
    assert!(number(did, "p_value_bh") < 0.05, "{did:?}");

    let none = tempfile::tempdir().expect("tempdir");
    let rows = pipeline(
        none.path(),
        "60000",
        &["--seed", "2021", "--baseline", "parallel"],
    );
    let did = confirmatory(&rows, "pt_overall", "CINO at 31 March");
    assert!(
        number(did, "p_value_bh") >= 0.05,
        "no effect planted, but the DiD is {} with adjusted p {}",
        did["estimate"],
        did["p_value_bh"]
    );
}
