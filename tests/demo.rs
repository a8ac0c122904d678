//! End-to-end tests of `cwsw demo` and `cwsw synth` (issue 2's acceptance).
//!
//! The default-size demo runs once and every test below reads its outputs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;

struct Run {
    _dir: tempfile::TempDir,
    out: PathBuf,
    stdout: String,
    stderr: String,
}

fn cwsw(args: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cwsw"))
        .args(args)
        .output()
        .expect("cwsw runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "cwsw {args:?} failed:\n{stderr}");
    (stdout, stderr)
}

fn demo_run(pupils: Option<&str>) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("d");
    let out_text = out.to_string_lossy().to_string();
    let mut args = vec!["demo", "--out", out_text.as_str()];
    if let Some(pupils) = pupils {
        args.extend(["--pupils", pupils]);
    }
    let (stdout, stderr) = cwsw(&args);
    Run {
        _dir: dir,
        out,
        stdout,
        stderr,
    }
}

/// The default-size demo, run once.
fn default_demo() -> &'static Run {
    static DEMO: OnceLock<Run> = OnceLock::new();
    DEMO.get_or_init(|| demo_run(None))
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
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

#[test]
fn demo_writes_the_layout() {
    let run = default_demo();
    let out = &run.out;
    assert!(out.join("raw/cin_census").is_dir());
    assert!(out.join("raw/ssda903").is_dir());
    assert!(out.join("raw/school_census").is_dir());
    let with_extension = |dir: &str, extension: &str| {
        files_under(&out.join(dir))
            .into_iter()
            .filter(|path| path.to_string_lossy().ends_with(extension))
            .count()
    };
    assert!(
        with_extension("warehouse", ".parquet") >= 7,
        "warehouse Parquet"
    );
    assert!(
        with_extension("measures", ".parquet") >= 1,
        "measures Parquet"
    );
    let submission = files_under(&out.join("submission"));
    let data: Vec<_> = submission
        .iter()
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "csv")
                && !path.to_string_lossy().contains(".meta.")
        })
        .collect();
    assert!(!data.is_empty(), "a submission data file");
    for path in data {
        let meta = path.with_extension("meta.csv");
        assert!(meta.exists(), "{} has its .meta.csv", path.display());
    }
    let report = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(
        report.contains("<svg"),
        "the report has an inline SVG chart"
    );
    assert!(
        !report.contains("src=\"http") && !report.contains("<link"),
        "the report loads nothing from the network"
    );
    assert!(
        run.stdout.contains("report.html") && run.stdout.contains("submission"),
        "prints where the outputs are: {}",
        run.stdout
    );
}

#[test]
fn absence_lands_in_the_national_bands() {
    let run = default_demo();
    let rows = read_csv(&run.out.join("submission/absence.csv"));
    let rate = |year: &str, group: &str| -> String {
        rows.iter()
            .find(|row| row["time_period"] == year && row["social_care_group"] == group)
            .unwrap_or_else(|| panic!("a row for {year} {group}"))["pt_overall"]
            .clone()
    };
    let number = |text: String| {
        text.parse::<f64>()
            .unwrap_or_else(|_| panic!("`{text}` is a number"))
    };
    // England: 4.7% in 2018/19 (domain.md §2); 2019/20 was not collected.
    for year in ["201819", "202021"] {
        let value = number(rate(year, "All pupils comparison"));
        assert!((4.0..=6.0).contains(&value), "All pupils {year}: {value}");
    }
    assert_eq!(rate("201920", "All pupils comparison"), "x");
    // England: 7.6% in 2021/22; CINO 16.2–17.7% from 2021/22.
    for year in ["202122", "202223", "202324", "202425"] {
        let all = number(rate(year, "All pupils comparison"));
        assert!((6.0..=9.0).contains(&all), "All pupils {year}: {all}");
        let cino = number(rate(year, "CINO at 31 March"));
        assert!((13.0..=20.0).contains(&cino), "CINO {year}: {cino}");
    }
}

/// Every UPN, LAchildID, surname, forename and postcode in the raw returns.
fn raw_identifiers(raw: &Path) -> Vec<String> {
    let mut identifiers = std::collections::BTreeSet::new();
    for path in files_under(raw) {
        let name = path.to_string_lossy().to_string();
        if name.ends_with(".xml") {
            let text = std::fs::read_to_string(&path).expect("xml");
            for element in ["LAchildID", "UPN", "FormerUPN"] {
                let open = format!("<{element}>");
                let close = format!("</{element}>");
                for piece in text.split(&open).skip(1) {
                    if let Some(value) = piece.split(&close).next() {
                        identifiers.insert(value.trim().to_string());
                    }
                }
            }
        } else if name.ends_with(".csv") {
            let mut reader = csv::Reader::from_path(&path).expect("csv");
            let headers = reader.headers().expect("header").clone();
            let columns: Vec<usize> = headers
                .iter()
                .enumerate()
                .filter(|(_, column)| {
                    matches!(
                        column.to_ascii_lowercase().as_str(),
                        "upn"
                            | "formerupn"
                            | "surname"
                            | "forename"
                            | "middlenames"
                            | "preferredsurname"
                            | "formersurname"
                            | "uniquelearnernumber"
                            | "child"
                            | "postcode"
                            | "home_post"
                            | "pl_post"
                    )
                })
                .map(|(index, _)| index)
                .collect();
            for record in reader.records() {
                let record = record.expect("record");
                for index in &columns {
                    if let Some(value) = record.get(*index) {
                        identifiers.insert(value.trim().to_string());
                    }
                }
            }
        }
    }
    // Codes such as UN1 (UPN unknown) are not identifiers.
    identifiers
        .into_iter()
        .filter(|value| value.len() >= 4 && !value.starts_with("UN"))
        .collect()
}

/// Every text an output holds: Parquet decoded column by column, other files as text.
fn output_texts(path: &Path) -> Vec<String> {
    if path.extension().is_some_and(|ext| ext == "parquet") {
        let file = std::fs::File::open(path).expect("parquet");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("parquet reader")
            .build()
            .expect("batches");
        let mut texts = Vec::new();
        for batch in reader {
            let batch = batch.expect("batch");
            for column in batch.columns() {
                let strings: Vec<String> = match column.data_type() {
                    DataType::Utf8 => column
                        .as_string::<i32>()
                        .iter()
                        .flatten()
                        .map(str::to_string)
                        .collect(),
                    DataType::LargeUtf8 => column
                        .as_string::<i64>()
                        .iter()
                        .flatten()
                        .map(str::to_string)
                        .collect(),
                    DataType::Utf8View => column
                        .as_string_view()
                        .iter()
                        .flatten()
                        .map(str::to_string)
                        .collect(),
                    _ => Vec::new(),
                };
                texts.extend(strings);
            }
        }
        texts
    } else {
        vec![String::from_utf8_lossy(&std::fs::read(path).expect("readable")).to_string()]
    }
}

#[test]
fn no_identifier_leaves_raw() {
    let run = default_demo();
    let identifiers = raw_identifiers(&run.out.join("raw"));
    assert!(
        identifiers.len() > 10_000,
        "the raw returns hold identifiers: {}",
        identifiers.len()
    );
    let scanned = assert_no_identifier(
        &identifiers,
        &run.out,
        &run.out.join("raw"),
        [&run.stdout, &run.stderr],
    );
    assert!(
        scanned > 100_000,
        "the warehouse was decoded: {scanned} values"
    );
}

#[test]
fn no_identifier_leaves_an_extract_of_the_liia_fixtures() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/liia");
    let identifiers = raw_identifiers(&fixtures);
    // The pupils' UPNs and names, the SSDA903 children, the CIN child, the postcodes.
    for expected in ["DfEX0000001", "A123456789123", "Y0 2RV"] {
        assert!(
            identifiers.iter().any(|value| value == expected),
            "{expected}"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("test.key");
    std::fs::write(&key, "0f".repeat(32)).expect("key written");
    let warehouse = dir.path().join("warehouse");
    let (stdout, stderr) = cwsw(&[
        "extract",
        "--input",
        &fixtures.to_string_lossy(),
        "--out",
        &warehouse.to_string_lossy(),
        "--key-file",
        &key.to_string_lossy(),
    ]);
    let scanned = assert_no_identifier(&identifiers, &warehouse, &fixtures, [&stdout, &stderr]);
    assert!(
        scanned > 1_000,
        "the warehouse was decoded: {scanned} values"
    );
}

/// Decodes every output under `out` (but not under `raw`) and the run's stdout and
/// stderr, and fails if any holds one of `identifiers`; returns the values scanned.
fn assert_no_identifier(
    identifiers: &[String],
    out: &Path,
    raw: &Path,
    [stdout, stderr]: [&String; 2],
) -> usize {
    let matcher = AhoCorasick::new(identifiers).expect("patterns");
    let mut leaks = Vec::new();
    let mut scanned = 0;
    for path in files_under(out) {
        if path.starts_with(raw) {
            continue;
        }
        for text in output_texts(&path) {
            scanned += 1;
            if let Some(found) = matcher.find(&text) {
                leaks.push(format!(
                    "{}: `{}`",
                    path.display(),
                    identifiers[found.pattern().as_usize()]
                ));
            }
        }
    }
    for (name, text) in [("stdout", stdout), ("stderr", stderr)] {
        if let Some(found) = matcher.find(text) {
            leaks.push(format!(
                "{name}: `{}`",
                identifiers[found.pattern().as_usize()]
            ));
        }
    }
    assert!(
        leaks.is_empty(),
        "identifiers found outside raw/: {:?}",
        &leaks[..leaks.len().min(10)]
    );
    scanned
}

#[test]
fn demo_submissions_are_byte_identical() {
    let first = demo_run(Some("3000"));
    let second = demo_run(Some("3000"));
    let mut files = files_under(&first.out.join("submission"));
    files.extend(files_under(&first.out.join("output-checking")));
    assert!(files.len() > 30, "the submission and its logs");
    for path in files {
        let relative = path.strip_prefix(&first.out).expect("under out");
        let a = std::fs::read(&path).expect("first");
        let b = std::fs::read(second.out.join(relative)).expect("second");
        assert!(
            a == b,
            "{} differs between two demo runs",
            relative.display()
        );
    }
}

#[test]
fn synth_is_byte_identical_for_a_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let out_text = out.to_string_lossy().to_string();
        cwsw(&[
            "synth",
            "--out",
            &out_text,
            "--pupils",
            "2000",
            "--seed",
            seed,
            "--invalid-rate",
            "0.01",
        ]);
        out
    };
    let a = run("a", "7");
    let b = run("b", "7");
    let c = run("c", "8");
    let files = files_under(&a);
    assert!(
        files.len() > 50,
        "a whole LA's returns: {} files",
        files.len()
    );
    let mut differs_from_other_seed = false;
    for path in files {
        let relative = path.strip_prefix(&a).expect("under a");
        let bytes = std::fs::read(&path).expect("a");
        assert!(
            bytes == std::fs::read(b.join(relative)).expect("b"),
            "{} differs for the same seed",
            relative.display()
        );
        differs_from_other_seed |=
            std::fs::read(c.join(relative)).map_or(true, |other| other != bytes);
    }
    assert!(differs_from_other_seed, "another seed gives other files");
}

#[test]
fn dictionary_renders_as_markdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_string_lossy().to_string();
    cwsw(&["dictionary", "--out", &out]);
    let index = std::fs::read_to_string(dir.path().join("index.md")).expect("index");
    assert!(index.contains("[`pupil_terms`](pupil_terms.md)"), "{index}");
    assert!(index.contains("[`cin_episode`](cin_episode.md)"), "{index}");
    let page =
        std::fs::read_to_string(dir.path().join("cin_child.md")).expect("a source table page");
    assert!(page.contains("| `UPN` | string |"), "{page}");
    assert!(page.contains("Identifier: never output"), "{page}");
    let lists = std::fs::read_to_string(dir.path().join("code-lists.md")).expect("code lists");
    assert!(lists.contains("## attendance_code"), "code lists render");
}

/// The submission's data files (not the `.meta.csv`), by name.
fn submission_data(run: &Run) -> Vec<PathBuf> {
    files_under(&run.out.join("submission"))
        .into_iter()
        .filter(|path| {
            let name = path.to_string_lossy();
            name.ends_with(".csv") && !name.ends_with(".meta.csv")
        })
        .collect()
}

/// A data file's filter columns, from its `.meta.csv`.
fn filters(path: &Path) -> Vec<String> {
    read_csv(&path.with_extension("meta.csv"))
        .into_iter()
        .filter(|row| row["col_type"] == "Filter")
        .map(|row| row["col_name"].clone())
        .collect()
}

#[test]
fn no_suppressed_count_can_be_recovered_by_subtraction() {
    let run = default_demo();
    let relations: &[(&str, &[&str])] = &[
        (
            "CIN at 31 March",
            &["CINO at 31 March", "CPPO at 31 March", "CLA at 31 March"],
        ),
        (
            "CLA at 31 March",
            &[
                "CLA 12 months at 31 March",
                "CLA less than 12 months at 31 March",
            ],
        ),
    ];
    let mut suppressed_somewhere = false;
    let mut checked = 0;
    for path in submission_data(run) {
        if path.to_string_lossy().ends_with("_estimates.csv") {
            continue;
        }
        let rows = read_csv(&path);
        let breakdowns: Vec<String> = filters(&path)
            .into_iter()
            .filter(|filter| filter != "social_care_group")
            .collect();
        let counts: Vec<String> = rows[0]
            .keys()
            .filter(|column| column.starts_with("t_") && !column.starts_with("t_sess"))
            .cloned()
            .collect();
        // Each year and level of each breakdown: the groups must not give a `c` away.
        let slice = |row: &BTreeMap<String, String>| {
            std::iter::once(row["time_period"].clone())
                .chain(breakdowns.iter().map(|filter| row[filter].clone()))
                .collect::<Vec<_>>()
        };
        let slices: std::collections::BTreeSet<Vec<String>> = rows.iter().map(slice).collect();
        for key in &slices {
            let in_slice: Vec<_> = rows.iter().filter(|row| slice(row) == *key).collect();
            for column in &counts {
                for (total, parts) in relations {
                    let hidden = parts
                        .iter()
                        .chain([total])
                        .filter(|group| {
                            in_slice.iter().any(|row| {
                                row["social_care_group"] == **group && row[column] == "c"
                            })
                        })
                        .count();
                    suppressed_somewhere |= hidden > 0;
                    checked += 1;
                    assert_ne!(
                        hidden,
                        1,
                        "{} {key:?} {column}: a lone `c` among {total} and its parts",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(
        checked > 1000,
        "every measure's counts were checked: {checked}"
    );
    assert!(
        suppressed_somewhere,
        "the default demo has suppressed cells to check"
    );
}

#[test]
fn demo_publishes_every_measure_and_its_estimates_with_breakdowns() {
    let run = default_demo();
    let measures: Vec<String> = files_under(&run.out.join("measures"))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "parquet"))
        .map(|path| {
            path.file_stem()
                .expect("a name")
                .to_string_lossy()
                .to_string()
        })
        .collect();
    for measure in [
        "absence",
        "exclusions",
        "ks2",
        "ks4",
        "sen",
        "fsm",
        "ehe",
        "coverage",
    ] {
        assert!(measures.contains(&measure.to_string()), "{measure} was run");
    }
    let submission = run.out.join("submission");
    for measure in &measures {
        for stem in [measure.clone(), format!("{measure}_estimates")] {
            for suffix in ["csv", "meta.csv"] {
                let path = submission.join(format!("{stem}.{suffix}"));
                assert!(path.exists(), "{} is published", path.display());
            }
        }
    }
    // Breakdown rows beside the headline, each breakdown a filter with Total.
    let absence = read_csv(&submission.join("absence.csv"));
    for (filter, level) in [
        ("sex", "Female"),
        ("year_group", "Year 10"),
        ("sen_provision", "EHC plan"),
    ] {
        assert!(
            absence.iter().any(|row| row[filter] == level),
            "absence has {filter} = {level}"
        );
    }
    // SEN has no SEN provision breakdown (it is what SEN counts); coverage none at all.
    assert!(!filters(&submission.join("sen.csv")).contains(&"sen_provision".to_string()));
    assert_eq!(
        filters(&submission.join("coverage.csv")),
        ["social_care_group"]
    );
    // A suppressed denominator hides the share over it: SEMH is a share of pupils with SEN.
    let sen = read_csv(&submission.join("sen.csv"));
    for row in &sen {
        if row["t_all_sen"] == "c" {
            assert_eq!(row["pt_semh"], "c", "{row:?}");
        }
    }
    // The estimates: levels, gaps and the difference in differences, with its years.
    let estimates = read_csv(&submission.join("absence_estimates.csv"));
    let did: Vec<_> = estimates
        .iter()
        .filter(|row| row["estimand"].contains("difference in differences"))
        .collect();
    assert!(!did.is_empty(), "absence has its DiD rows");
    for row in &did {
        assert_eq!(
            row["time_period"], "202425",
            "a DiD carries the last year it compares"
        );
        assert!(row["comparison_period"].contains(" against "), "{row:?}");
    }
    assert!(
        estimates
            .iter()
            .any(|row| row["estimand"] == "Gap to the rest of pupils" && row["sex"] == "Total")
    );
    // Withheld where their cells are suppressed, and only there or where not available.
    assert!(
        estimates.iter().any(|row| row["estimate"] == "c"),
        "some estimate is withheld"
    );
}

#[test]
fn every_published_file_passes_the_ees_screener() {
    let run = default_demo();
    let data = submission_data(run);
    assert!(
        data.len() >= 16,
        "every measure and its estimates: {}",
        data.len()
    );
    for path in data {
        let meta = path.with_extension("meta.csv");
        let name = |path: &Path| {
            path.file_name()
                .expect("a name")
                .to_string_lossy()
                .to_string()
        };
        let report = cwsw_ees::screen(
            &name(&path),
            &std::fs::read(&path).expect("data"),
            &name(&meta),
            &std::fs::read(&meta).expect("meta"),
        )
        .expect("screened");
        // One known conflict: domain.md §2's SEN names (`t_SEN_support`, and every
        // `pt_..._SEN` interval) contain `sen_`, which the screener's harmonised-names
        // check reserves for its SEN filters. Only that check, only in the SEN file.
        let failures: Vec<_> = report
            .failures()
            .filter(|outcome| {
                !(name(&path) == "sen.csv" && outcome.check == "harmonised_variables")
            })
            .collect();
        assert!(failures.is_empty(), "{}:\n{report}", path.display());
        // Every check runs. The two data-dictionary checks of the API stage warn on
        // names this submission must keep: the EES column names of domain.md §2
        // (`t_pupils`, `pt_overall`, which predate the dictionary) and the evaluation's
        // own groups and the census's levels (`CWSW`, `Year 10`); every other check,
        // API stage included, must pass.
        let unexpected: Vec<_> = report
            .warnings()
            .filter(|outcome| !DICTIONARY_CHECKS.contains(&outcome.check))
            .collect();
        assert!(unexpected.is_empty(), "{}:\n{report}", path.display());
        if report.failures().count() == 0 {
            assert_eq!(
                report.outcomes.len(),
                cwsw_ees::CHECKS.len(),
                "{}",
                path.display()
            );
        }
    }
}

/// The EES API stage's data-dictionary checks, which the domain.md §2 names cannot pass.
const DICTIONARY_CHECKS: [&str; 2] = ["data_dict_col_name", "data_dict_fil_item"];

#[test]
fn validate_writes_the_rule_report_and_no_warehouse() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/liia");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("validation");
    let (stdout, stderr) = cwsw(&[
        "validate",
        "--input",
        &fixtures.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]);
    let report = read_csv(&out.join("rule-report.csv"));
    assert!(
        report
            .iter()
            .any(|row| row["rule_id"] == "UPN-INVALID" && row["severity"] == "error")
    );
    // Rules ranked by count, each with an example row reference.
    let summary = std::fs::read_to_string(out.join("rule-summary.md")).expect("summary");
    let counts: Vec<usize> = summary
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            line.split('|')
                .nth(3)
                .and_then(|count| count.trim().parse().ok())
                .expect("a count")
        })
        .collect();
    assert!(counts.len() >= 5, "{summary}");
    assert!(
        counts.windows(2).all(|pair| pair[0] >= pair[1]),
        "{summary}"
    );
    assert!(summary.contains("school_census/") && summary.contains("line "));
    assert_eq!(stdout.lines().next(), Some("# Validation summary"));
    // Nothing else is written, and nothing written names a pupil or child.
    let written: Vec<_> = files_under(dir.path());
    assert_eq!(written.len(), 2, "{written:?}");
    let identifiers = raw_identifiers(&fixtures);
    assert_no_identifier(&identifiers, &out, &fixtures, [&stdout, &stderr]);
}

/// Extract refuses to run without a key, and refuses a short one; `cwsw.toml` can name
/// the key file.
#[test]
fn extract_needs_a_key_of_32_bytes_from_a_flag_the_environment_or_cwsw_toml() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/liia");
    let dir = tempfile::tempdir().expect("tempdir");
    let extract = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cwsw"));
        command
            .current_dir(dir.path())
            .env_remove("CWSW_KEY_FILE")
            .args(["extract", "--input", &fixtures.to_string_lossy()])
            .args(["--out", "warehouse"])
            .args(extra);
        command.output().expect("cwsw runs")
    };
    let refused = extract(&[]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no pseudonymisation key"));
    std::fs::write(dir.path().join("short.key"), "ab".repeat(16)).expect("written");
    let short = extract(&["--key-file", "short.key"]);
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 32 are required"));
    assert!(!dir.path().join("warehouse").exists());
    std::fs::write(dir.path().join("la.key"), "cd".repeat(32)).expect("written");
    std::fs::write(dir.path().join("cwsw.toml"), "key_file = \"la.key\"\n").expect("written");
    let configured = extract(&[]);
    assert!(
        configured.status.success(),
        "{}",
        String::from_utf8_lossy(&configured.stderr)
    );
    assert!(dir.path().join("warehouse/ledger.parquet").exists());
}

/// `cwsw run` writes every measure for every year and group label, `x` where the measure
/// (or one of its columns) was not collected or the returns do not support the group,
/// never 0 (issue 4; domain.md §2 lists the years).
#[test]
fn run_writes_every_measure_year_and_group_with_x_where_not_collected() {
    let run = default_demo();
    let measures = run.out.join("measures");
    let labels = [
        "All pupils comparison",
        "CIN at 31 March",
        "CINO at 31 March",
        "CPPO at 31 March",
        "CLA at 31 March",
        "CLA 12 months at 31 March",
        "CLA less than 12 months at 31 March",
        "CIN at any point",
        "CINO at any point",
        "CPPO at any point",
        "CLA at any point",
        "Ever CIN - last 6 years",
        "CWSW",
        "Ever 6 CWSW",
        "Never CIN - last 6 years",
    ];
    let years = [201819, 201920, 202021, 202122, 202223, 202324, 202425];
    for measure in ["absence", "exclusions", "ks2", "ks4", "sen", "fsm", "ehe"] {
        let rows = read_csv(&measures.join(format!("{measure}.csv")));
        // The matrix the Parquet file carries says the same as the CSV's x.
        let matrix = cwsw_publish::read_measure_file(&measures.join(format!("{measure}.parquet")))
            .unwrap_or_else(|error| panic!("{measure}.parquet: {error}"))
            .matrix;
        assert_eq!(matrix.years, years, "{measure}");
        assert_eq!(matrix.groups, labels, "{measure}");
        let headline = |year: i32, group: &str| {
            let found: Vec<_> = rows
                .iter()
                .filter(|row| {
                    row["academic_year"] == year.to_string()
                        && row["social_care_group"] == group
                        && ["phase_type_grouping", "sex", "sen_provision", "year_group"]
                            .iter()
                            .all(|column| row[*column] == "Total")
                })
                .collect();
            assert_eq!(
                found.len(),
                1,
                "{measure} {year} {group}: {} headline rows",
                found.len()
            );
            found[0].clone()
        };
        for year in years {
            for group in labels {
                let row = headline(year, group);
                let x = (measure == "absence" && year == 201920)
                    || (measure == "ks2" && (year == 201920 || year == 202021))
                    || group == "Ever 6 CWSW"
                    || (group == "CWSW" && year < 202122)
                    || (group.ends_with("last 6 years") && year < 202324);
                assert_eq!(
                    row["t_pupils"] == "x",
                    x,
                    "{measure} {year} {group}: t_pupils is {}",
                    row["t_pupils"]
                );
                assert_eq!(
                    matrix.is_x(year, group, "t_pupils"),
                    x,
                    "{measure} {year} {group}: the matrix"
                );
                if measure == "ks4" && !x {
                    let p8_missing = [201920, 202021, 202425].contains(&year);
                    assert_eq!(row["avg_p8score"] == "x", p8_missing, "ks4 {year} {group}");
                    assert_eq!(matrix.is_x(year, group, "avg_p8score"), p8_missing);
                    assert_ne!(row["avg_att8"], "x", "ks4 {year} {group}");
                }
            }
        }
    }
}

/// `cwsw sql` answers ad-hoc SQL over the warehouse (and the cohort tables of the years
/// asked for) as a table, CSV or JSON; `cwsw explain` prints a plan; `cwsw run` takes
/// its settings and parameters from a config file, and refuses a parameter no query has.
#[test]
fn sql_explain_and_run_with_a_config() {
    let run = default_demo();
    let warehouse = run.out.join("warehouse");
    let warehouse = warehouse.to_string_lossy().to_string();
    let sql = "select academic_year, count(*) as pupils from pupil_terms \
               where academic_year = 202122 group by academic_year";
    let (csv, _) = cwsw(&[
        "sql",
        "--warehouse",
        &warehouse,
        "-c",
        sql,
        "--format",
        "csv",
    ]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("academic_year,pupils"));
    let count: u64 = lines
        .next()
        .and_then(|line| line.split(',').nth(1))
        .and_then(|count| count.parse().ok())
        .expect("a count");
    assert!(count > 1000, "{csv}");
    let (json, _) = cwsw(&[
        "sql",
        "--warehouse",
        &warehouse,
        "-c",
        sql,
        "--format",
        "json",
    ]);
    let object: serde_json::Value = serde_json::from_str(json.trim()).expect("one JSON object");
    assert_eq!(object["academic_year"], 202122);
    assert_eq!(object["pupils"], count);
    let (table, _) = cwsw(&[
        "sql",
        "--warehouse",
        &warehouse,
        "--years",
        "2021/22",
        "-c",
        "select social_care_group, supported from cohort_groups where social_care_group = 'CWSW'",
    ]);
    assert!(table.contains("CWSW") && table.contains("true"), "{table}");

    let (plan, _) = cwsw(&["explain", "absence", "--warehouse", &warehouse]);
    assert!(plan.contains("physical_plan"), "{plan}");

    // CIN plans taken from 2019: CWSW is then supported from 2018/19... but the first
    // census is 2019, so 2018/19 (census 2019) is supported and no year is x.
    let dir = tempfile::tempdir().expect("tempdir");
    let measures = dir.path().join("m");
    let config = dir.path().join("run.toml");
    std::fs::write(
        &config,
        format!(
            "warehouse = {warehouse:?}\nmeasures = {:?}\nyears = \"2018/19..2019/20\"\n[parameters]\ncin_plans_from = 2019\n",
            measures.to_string_lossy()
        ),
    )
    .expect("config written");
    let config = config.to_string_lossy().to_string();
    cwsw(&["run", "--config", &config, "--measure", "fsm"]);
    let rows = read_csv(&measures.join("fsm.csv"));
    let cwsw_rows: Vec<_> = rows
        .iter()
        .filter(|row| {
            row["social_care_group"] == "CWSW"
                && row["sex"] == "Total"
                && row["year_group"] == "Total"
                && row["phase_type_grouping"] == "Total"
                && row["sen_provision"] == "Total"
        })
        .collect();
    assert_eq!(cwsw_rows.len(), 2);
    assert!(
        cwsw_rows.iter().all(|row| row["t_pupils"] != "x"),
        "{cwsw_rows:?}"
    );
    assert!(
        !measures.join("absence.csv").exists(),
        "only the measure asked for"
    );

    let refused = Command::new(env!("CARGO_BIN_EXE_cwsw"))
        .args(["run", "--config", &config, "--param", "no_such=1"])
        .output()
        .expect("cwsw runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no_such"));
}

/// A measure's year is published only when every census it needs is among the inputs
/// (issue 12; domain.md §2, complete years). With the demo's last autumn census (2025,
/// carrying the summer of 2024/25) taken away, `cwsw run` writes x for 2024/25 absence
/// and exclusions, says which census is missing, and keeps the reason beside the
/// measures; 2023/24 and the spring-census measures of 2024/25 stand. The demo itself
/// writes every census its last year needs, so none of its years is incomplete.
#[test]
fn run_marks_a_year_x_when_a_census_it_needs_is_missing() {
    let run = default_demo();
    let demo_years = read_csv(&run.out.join("measures/measure_years.csv"));
    assert!(!demo_years.is_empty());
    assert!(
        demo_years.iter().all(|row| row["complete"] == "true"),
        "{demo_years:?}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    let source = run.out.join("raw");
    let mut removed = 0;
    for path in files_under(&source) {
        let relative = path.strip_prefix(&source).expect("under raw");
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().to_string());
        if name.is_some_and(|name| name.starts_with("2025_autumn_")) {
            removed += 1;
            continue;
        }
        let target = raw.join(relative);
        std::fs::create_dir_all(target.parent().expect("a folder")).expect("made");
        std::fs::copy(&path, &target).expect("copied");
    }
    assert!(removed > 0, "the demo writes an autumn 2025 census");
    // An obviously fake test key.
    let key = dir.path().join("test.key");
    std::fs::write(&key, "ab".repeat(32)).expect("written");
    let warehouse = dir.path().join("warehouse");
    cwsw(&[
        "extract",
        "--input",
        &raw.to_string_lossy(),
        "--out",
        &warehouse.to_string_lossy(),
        "--key-file",
        &key.to_string_lossy(),
    ]);
    let measures = dir.path().join("measures");
    let (stdout, stderr) = cwsw(&[
        "run",
        "--warehouse",
        &warehouse.to_string_lossy(),
        "--out",
        &measures.to_string_lossy(),
        "--years",
        "2023/24..2024/25",
    ]);
    assert!(
        stdout.contains("2024/25 absence: the autumn 2025 census is not among the inputs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2024/25 exclusions: the autumn 2025 census is not among the inputs"),
        "{stdout}"
    );
    assert!(!stdout.contains("2023/24"), "{stdout}");
    for (measure, x_in_2024_25) in [
        ("absence", true),
        ("exclusions", true),
        ("fsm", false),
        ("sen", false),
    ] {
        let rows = read_csv(&measures.join(format!("{measure}.csv")));
        for year in ["202324", "202425"] {
            let of_year: Vec<_> = rows
                .iter()
                .filter(|row| row["academic_year"] == year)
                .collect();
            assert!(!of_year.is_empty(), "{measure} {year}");
            let all_x = of_year.iter().all(|row| row["t_pupils"] == "x");
            assert_eq!(
                all_x,
                x_in_2024_25 && year == "202425",
                "{measure} {year}: {:?}",
                of_year.first()
            );
        }
    }
    let sidecar = read_csv(&measures.join("measure_years.csv"));
    let absence_2024_25 = sidecar
        .iter()
        .find(|row| row["measure"] == "absence" && row["academic_year"] == "202425")
        .expect("a row for 2024/25 absence");
    assert_eq!(absence_2024_25["complete"], "false");
    assert_eq!(absence_2024_25["censuses_missing"], "2025 autumn");
    assert_eq!(
        absence_2024_25["note"],
        "the autumn 2025 census is not among the inputs"
    );
    // The warehouse, measures and what run printed hold no identifier of the returns.
    let identifiers = raw_identifiers(&raw);
    assert_no_identifier(&identifiers, dir.path(), &raw, [&stdout, &stderr]);
}

/// `--param lookback_years=all` looks back over every year the returns hold: the
/// look-back groups carry its labels (and are supported from the first year, whose
/// window is that year alone); the default run keeps DfE's six-year labels.
#[test]
fn run_with_every_year_held_writes_the_all_years_labels() {
    let run = default_demo();
    let measures = tempfile::tempdir().expect("tempdir");
    cwsw(&[
        "run",
        "--warehouse",
        &run.out.join("warehouse").to_string_lossy(),
        "--out",
        &measures.path().to_string_lossy(),
        "--param",
        "lookback_years=all",
    ]);
    for measure in ["absence", "coverage"] {
        let rows = read_csv(&measures.path().join(format!("{measure}.csv")));
        let groups: BTreeSet<&str> = rows
            .iter()
            .map(|row| row["social_care_group"].as_str())
            .collect();
        for label in [
            "Ever CIN - all years held",
            "Never CIN - all years held",
            "Ever CWSW - all years held",
        ] {
            assert!(groups.contains(label), "{measure}: {groups:?}");
        }
        assert!(
            !groups.iter().any(|group| group.contains("6")),
            "{measure}: {groups:?}"
        );
        let headline = |year: &str, group: &str| {
            rows.iter()
                .find(|row| {
                    row["academic_year"] == year
                        && row["social_care_group"] == group
                        && row["sex"] == "Total"
                        && row["phase_type_grouping"] == "Total"
                        && row["sen_provision"] == "Total"
                        && row["year_group"] == "Total"
                })
                .unwrap_or_else(|| panic!("{measure} {year} {group}"))
                .clone()
        };
        let first = headline("201819", "Ever CIN - all years held");
        let count = if measure == "coverage" {
            "t_children"
        } else {
            "t_pupils"
        };
        assert_ne!(first[count], "x", "{measure}: {first:?}");
    }
    let default_rows = read_csv(&run.out.join("measures/absence.csv"));
    assert!(
        default_rows
            .iter()
            .any(|row| row["social_care_group"] == "Ever CIN - last 6 years")
    );
    assert!(
        !default_rows
            .iter()
            .any(|row| row["social_care_group"].contains("all years held"))
    );
}

/// Coverage: every group's children are matched, have no UPN or have a UPN the census
/// does not hold, and the three add up.
#[test]
fn coverage_adds_up_for_every_group_and_year() {
    let run = default_demo();
    let rows = read_csv(&run.out.join("measures/coverage.csv"));
    assert!(!rows.is_empty());
    let mut unmatched = 0;
    for row in &rows {
        if row["t_children"] == "x" {
            continue;
        }
        let number = |column: &str| -> i64 { row[column].parse().expect("a count") };
        assert_eq!(
            number("t_children"),
            number("t_matched") + number("t_no_upn") + number("t_upn_not_found"),
            "{row:?}"
        );
        if row["social_care_group"] == "All pupils comparison" {
            assert_eq!(number("t_children"), number("t_matched"), "{row:?}");
        } else {
            unmatched += number("t_no_upn") + number("t_upn_not_found");
        }
    }
    assert!(
        unmatched > 0,
        "some children of the demo LA have no school record"
    );
}

#[test]
fn publish_writes_beside_what_its_folder_holds_and_deletes_nothing() {
    let run = default_demo();
    let out = tempfile::tempdir().expect("a folder");
    let target = out.path().join("submission");
    std::fs::create_dir_all(&target).expect("created");
    std::fs::write(target.join("notes.txt"), "mine").expect("written");
    let path = |name: &str| run.out.join(name).to_string_lossy().to_string();
    let (stdout, _) = cwsw(&[
        "publish",
        "--measures",
        &path("measures"),
        "--estimates",
        &path("estimates"),
        "--out",
        &target.to_string_lossy(),
        "--la",
        "801",
    ]);
    assert!(stdout.contains("(32 files)"), "{stdout}");
    assert!(
        stdout.contains("(17 files: the suppression logs at threshold 5)"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(target.join("notes.txt")).expect("kept"),
        "mine"
    );
    let published = std::fs::read(target.join("absence.csv")).expect("published");
    let demo = std::fs::read(run.out.join("submission/absence.csv")).expect("the demo's");
    assert!(published == demo, "publish gives the demo's submission");
    // The logs go beside the submission by default, as the demo's do.
    for name in ["README.md", "absence.suppression.csv"] {
        let log = std::fs::read(out.path().join("output-checking").join(name)).expect("beside");
        let demo = std::fs::read(run.out.join("output-checking").join(name)).expect("the demo's");
        assert!(log == demo, "{name}: publish gives the demo's");
    }
}

#[test]
fn the_suppression_logs_go_to_the_output_checker_not_the_submission() {
    let run = default_demo();
    let submission = files_under(&run.out.join("submission"));
    assert!(
        submission
            .iter()
            .all(|path| !path.to_string_lossy().contains("suppression")),
        "no suppression log in submission/"
    );
    let checking = run.out.join("output-checking");
    let readme = std::fs::read_to_string(checking.join("README.md")).expect("a README");
    assert!(
        readme.contains("Do not send this") && readme.contains("from 1 to 5 are suppressed"),
        "{readme}"
    );
    let data = submission_data(run);
    assert_eq!(
        files_under(&checking).len(),
        data.len() + 1,
        "a log per data file and the README"
    );
    let mut secondary = 0;
    for path in data {
        let name = path
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .to_string();
        let log = read_csv(&checking.join(format!("{name}.suppression.csv")));
        let hidden = read_csv(&path)
            .iter()
            .flat_map(|row| row.values())
            .filter(|value| *value == "c")
            .count();
        assert_eq!(log.len(), hidden, "{name}: one log row per `c`");
        secondary += log
            .iter()
            .filter(|row| row["reason"] == "secondary")
            .count();
    }
    assert!(secondary > 0, "the demo needed complements");
}

/// Runs `cwsw publish` on the default demo's measures; returns whether it succeeded,
/// its stderr and the submission folder.
fn publish_demo_measures(into: &Path, extra: &[&str]) -> (bool, String, PathBuf) {
    let run = default_demo();
    let path = |name: &str| run.out.join(name).to_string_lossy().to_string();
    let submission = into.join("submission");
    let mut args = vec![
        "publish".to_string(),
        "--measures".to_string(),
        path("measures"),
        "--estimates".to_string(),
        path("estimates"),
        "--out".to_string(),
        submission.to_string_lossy().to_string(),
        "--la".to_string(),
        "801".to_string(),
    ];
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let output = Command::new(env!("CARGO_BIN_EXE_cwsw"))
        .args(&args)
        .output()
        .expect("cwsw runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).to_string(),
        submission,
    )
}

/// Every published count of people in a submission folder that lies in 1..=`threshold`,
/// as (file, column, value): the columns are those the measures' layouts say count
/// pupils or children.
fn small_counts(run: &Run, submission: &Path, threshold: u64) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut small = Vec::new();
    for path in files_under(&run.out.join("measures")) {
        if path.extension().is_none_or(|ext| ext != "parquet") {
            continue;
        }
        let file = cwsw_publish::read_measure_file(&path).expect("a measure file");
        let people: Vec<String> = file
            .layout
            .columns
            .iter()
            .filter(|column| column.figure.counts_people())
            .map(|column| cwsw_publish::published_name(&column.name))
            .collect();
        let data = submission.join(format!("{}.csv", file.layout.measure));
        for row in read_csv(&data) {
            for column in &people {
                let value = &row[column];
                checked += 1;
                if value
                    .parse::<u64>()
                    .is_ok_and(|count| (1..=threshold).contains(&count))
                {
                    small.push(format!("{}: {column} = {value}", data.display()));
                }
            }
        }
    }
    (checked, small)
}

#[test]
fn the_threshold_is_a_setting_and_below_five_needs_the_flag() {
    let run = default_demo();
    let dir = tempfile::tempdir().expect("a folder");
    let (checked, small) = small_counts(run, &run.out.join("submission"), 5);
    assert!(checked > 1000 && small.is_empty(), "{checked}: {small:?}");
    let (_, between) = small_counts(run, &run.out.join("submission"), 10);
    assert!(!between.is_empty(), "the demo shows counts of 6 to 10");

    let (ok, stderr, _) = publish_demo_measures(&dir.path().join("three"), &["--threshold", "3"]);
    assert!(
        !ok && stderr.contains("below the default of 5")
            && stderr.contains("hint: pass --allow-threshold-below-5"),
        "{stderr}"
    );
    let (ok, stderr, _) = publish_demo_measures(
        &dir.path().join("three"),
        &["--threshold", "3", "--allow-threshold-below-5"],
    );
    assert!(ok, "{stderr}");

    let (ok, stderr, ten) = publish_demo_measures(&dir.path().join("ten"), &["--threshold", "10"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("at threshold 10"), "{stderr}");
    let (_, small) = small_counts(run, &ten, 10);
    assert!(small.is_empty(), "counts of 1 to 10 shown: {small:?}");
    let readme = std::fs::read_to_string(dir.path().join("ten/output-checking/README.md"))
        .expect("a README");
    assert!(readme.contains("from 1 to 10 are suppressed"), "{readme}");

    // `[disclosure] threshold` in cwsw.toml gives what the flag gives.
    let config = dir.path().join("cwsw.toml");
    std::fs::write(&config, "[disclosure]\nthreshold = 10\n").expect("written");
    let (ok, stderr, configured) = publish_demo_measures(
        &dir.path().join("configured"),
        &["--config", &config.to_string_lossy()],
    );
    assert!(ok, "{stderr}");
    for path in files_under(&ten) {
        let name = path.file_name().expect("a name");
        assert!(
            std::fs::read(&path).expect("flag")
                == std::fs::read(configured.join(name)).expect("config"),
            "{}: the config's threshold is the flag's",
            name.to_string_lossy()
        );
    }
}

#[test]
fn publish_refuses_a_submission_that_would_carry_a_log() {
    let dir = tempfile::tempdir().expect("a folder");
    let old = dir.path().join("old/submission");
    std::fs::create_dir_all(&old).expect("created");
    std::fs::write(old.join("absence.suppression.csv"), "an old log").expect("written");
    let (ok, stderr, _) = publish_demo_measures(&dir.path().join("old"), &[]);
    assert!(
        !ok && stderr.contains("absence.suppression.csv") && stderr.contains("hint: move"),
        "{stderr}"
    );
    let inside = dir.path().join("inside/submission/logs");
    let (ok, stderr, _) = publish_demo_measures(
        &dir.path().join("inside"),
        &["--checking", &inside.to_string_lossy()],
    );
    assert!(
        !ok && stderr.contains("inside the submission folder") && stderr.contains("hint: "),
        "{stderr}"
    );
    assert!(!inside.exists(), "nothing written");
}

/// The demo's measures as publish builds them, before disclosure control.
fn unprotected_tables(
    run: &Run,
) -> (
    Vec<cwsw_publish::PublishedTable>,
    Vec<cwsw_dictionary::layout::Layout>,
) {
    let records = cwsw_publish::read_estimates(&run.out.join("estimates/estimates.parquet"))
        .expect("the estimates");
    let la = *cwsw_publish::local_authority("801").expect("Bristol");
    let mut tables = Vec::new();
    let mut layouts = Vec::new();
    for path in files_under(&run.out.join("measures")) {
        if path.extension().is_none_or(|ext| ext != "parquet") {
            continue;
        }
        let file = cwsw_publish::read_measure_file(&path).expect("a measure file");
        let levels = cwsw_publish::Levels::of(&file.layout.measure, &records);
        tables.push(cwsw_publish::unprotected_table(&file, &levels, la).expect("a table"));
        layouts.push(file.layout);
    }
    (tables, layouts)
}

#[test]
fn every_declared_relation_holds_on_the_demo_and_a_wrong_one_is_caught() {
    let run = default_demo();
    let (tables, layouts) = unprotected_tables(run);
    let layouts: Vec<&cwsw_dictionary::layout::Layout> = layouts.iter().collect();
    let relations = cwsw_dictionary::relations::Relations::embedded().expect("relations");
    cwsw_publish::check_relations(&tables, &layouts, &relations).expect("every relation holds");
    let empty = "partitions: []\nnested: []\nidentities: []\nshared: []\n";
    for (wrong, expected) in [
        (
            "partitions:\n  - {total: CIN at any point, parts: [CINO at any point, CPPO at any point], why: w}\n",
            "CIN at any point = CINO at any point + CPPO at any point",
        ),
        (
            "nested:\n  - {larger: CIN at 31 March, smaller: CIN at any point, why: w}\n",
            "is less than",
        ),
        (
            "shared:\n  - {counts: [{measure: absence, column: t_pupils}, {measure: ks4, column: t_pupils}], why: w}\n",
            "absence t_pupils = ks4 t_pupils",
        ),
    ] {
        let key = wrong.split(':').next().expect("a key");
        let text = empty.replace(&format!("{key}: []\n"), wrong);
        let relations =
            cwsw_dictionary::relations::Relations::parse(&text, "wrong.yaml").expect("parses");
        let error = cwsw_publish::check_relations(&tables, &layouts, &relations)
            .expect_err("a wrong relation is caught");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

/// 2⁶¹ − 1: ranks of the small integer matrices below modulo this prime are their
/// ranks over the rationals.
const PRIME: u128 = (1 << 61) - 1;

fn modular_inverse(value: u128) -> u128 {
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

/// The protected cells of a submission that a reader can work out exactly from what it
/// shows, by a rank test of its own (dense, modulo [`PRIME`], over the hidden cells of
/// each connected component, shown values substituted): independent of the
/// elimination that chose the complements. Returns (protected cells checked, the
/// recoverable ones described); protected zeros, which the shown zeros may pin, are
/// left out.
fn recoverable_cells(run: &Run, submission: &Path) -> (usize, Vec<String>) {
    let (tables, layouts) = unprotected_tables(run);
    let layouts: Vec<&cwsw_dictionary::layout::Layout> = layouts.iter().collect();
    let relations = cwsw_dictionary::relations::Relations::embedded().expect("relations");
    let built = cwsw_publish::build(
        &tables,
        &layouts,
        &relations,
        &cwsw_publish::DisclosureRules::default(),
    );
    let system = &built.system;
    // What the submission shows of each cell of the system.
    let files: BTreeMap<String, Vec<BTreeMap<String, String>>> = tables
        .iter()
        .map(|table| {
            (
                table.name.clone(),
                read_csv(&submission.join(format!("{}.csv", table.name))),
            )
        })
        .collect();
    let hidden: Vec<bool> = built
        .places
        .iter()
        .map(|place| match place {
            cwsw_publish::Place::Shown { table, row, column } => {
                let table = &tables[*table];
                files[&table.name][*row][&table.indicators[*column].name] == "c"
            }
            cwsw_publish::Place::Difference { .. } => true,
        })
        .collect();
    // Components of hidden cells joined by relations.
    let mut parent: Vec<usize> = (0..system.cells.len()).collect();
    fn root(parent: &mut [usize], mut cell: usize) -> usize {
        while parent[cell] != cell {
            parent[cell] = parent[parent[cell]];
            cell = parent[cell];
        }
        cell
    }
    for relation in &system.relations {
        let cells: Vec<usize> = relation
            .terms
            .iter()
            .map(|(cell, _)| *cell)
            .filter(|cell| hidden[*cell])
            .collect();
        for pair in cells.windows(2) {
            let (a, b) = (root(&mut parent, pair[0]), root(&mut parent, pair[1]));
            parent[a] = b;
        }
    }
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for cell in (0..system.cells.len()).filter(|cell| hidden[*cell]) {
        let top = root(&mut parent, cell);
        components.entry(top).or_default().push(cell);
    }
    let mut relations_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (index, relation) in system.relations.iter().enumerate() {
        if let Some((cell, _)) = relation.terms.iter().find(|(cell, _)| hidden[*cell]) {
            let top = root(&mut parent, *cell);
            relations_of.entry(top).or_default().push(index);
        }
    }
    let (mut checked, mut recoverable) = (0, Vec::new());
    for (top, cells) in components {
        let column: BTreeMap<usize, usize> = cells
            .iter()
            .enumerate()
            .map(|(index, cell)| (*cell, index))
            .collect();
        let mut rows: Vec<Vec<u128>> = relations_of
            .get(&top)
            .into_iter()
            .flatten()
            .map(|relation| {
                let mut row = vec![0u128; cells.len()];
                for (cell, coefficient) in &system.relations[*relation].terms {
                    if let Some(at) = column.get(cell) {
                        let residue = (i128::from(*coefficient)).rem_euclid(PRIME as i128) as u128;
                        row[*at] = (row[*at] + residue) % PRIME;
                    }
                }
                row
            })
            .collect();
        // Reduced row echelon form.
        let mut pivots = Vec::new();
        let mut rank = 0;
        for at in 0..cells.len() {
            let Some(found) = (rank..rows.len()).find(|row| rows[*row][at] != 0) else {
                continue;
            };
            rows.swap(rank, found);
            let scale = modular_inverse(rows[rank][at]);
            for value in &mut rows[rank] {
                *value = *value * scale % PRIME;
            }
            let pivot = rows[rank].clone();
            for (index, values) in rows.iter_mut().enumerate() {
                if index != rank && values[at] != 0 {
                    let factor = values[at];
                    for (value, lead) in values.iter_mut().zip(&pivot) {
                        *value = (*value + PRIME - factor * lead % PRIME) % PRIME;
                    }
                }
            }
            pivots.push(at);
            rank += 1;
        }
        // eₕ is in the row space exactly when h is a pivot whose row is eₕ alone.
        for (index, cell) in cells.iter().enumerate() {
            let found = &system.cells[*cell];
            if found.start != cwsw_disclosure::Start::Protected || found.value == 0 {
                continue;
            }
            checked += 1;
            if let Some(row) = pivots.iter().position(|pivot| *pivot == index)
                && rows[row].iter().filter(|value| **value != 0).count() == 1
            {
                recoverable.push(built.describe(&tables, *cell));
            }
        }
    }
    (checked, recoverable)
}

#[test]
fn no_protected_cell_of_the_demo_can_be_worked_out_from_its_submission() {
    let run = default_demo();
    let (checked, recoverable) = recoverable_cells(run, &run.out.join("submission"));
    assert!(checked > 1000, "protected cells checked: {checked}");
    assert!(
        recoverable.is_empty(),
        "{} recoverable, first: {:?}",
        recoverable.len(),
        &recoverable[..recoverable.len().min(5)]
    );
    // Put back the true value of one complement (the first of the absence log) and the
    // cell it protects can be worked out.
    let copy = tempfile::tempdir().expect("a folder");
    for path in submission_data(run) {
        std::fs::copy(&path, copy.path().join(path.file_name().expect("a name"))).expect("copied");
    }
    let log = read_csv(&run.out.join("output-checking/absence.suppression.csv"));
    let complement = log
        .iter()
        .find(|row| row["reason"] == "secondary")
        .expect("a complement");
    let (tables, _) = unprotected_tables(run);
    let absence = tables
        .iter()
        .find(|table| table.name == "absence")
        .expect("absence");
    let levels: Vec<String> = absence
        .filters
        .iter()
        .map(|filter| complement[&filter.column].clone())
        .collect();
    let time_period: i32 = complement["time_period"].parse().expect("a year");
    let row = absence
        .rows
        .iter()
        .position(|row| {
            row.year.time_period() == time_period
                && row.group == complement["social_care_group"]
                && row.levels == levels
        })
        .expect("its row");
    let column = absence
        .indicator(&complement["indicator"])
        .expect("its column");
    let mut writer = csv::Writer::from_path(copy.path().join("absence.csv")).expect("writable");
    let mut reader = csv::Reader::from_path(run.out.join("submission/absence.csv")).expect("csv");
    let headers = reader.headers().expect("a header").clone();
    writer.write_record(&headers).expect("written");
    let at = headers
        .iter()
        .position(|name| name == complement["indicator"])
        .expect("the column");
    for (index, record) in reader.records().enumerate() {
        let mut record: Vec<String> = record
            .expect("a record")
            .iter()
            .map(str::to_string)
            .collect();
        if index == row {
            assert_eq!(record[at], "c");
            record[at] = absence.rows[row].cells[column].text().to_string();
        }
        writer.write_record(&record).expect("written");
    }
    writer.flush().expect("flushed");
    let (_, recoverable) = recoverable_cells(run, copy.path());
    assert!(
        recoverable.contains(&complement["protects"]),
        "showing {complement:?} gives away {:?}",
        recoverable
    );
}

/// Each count column of each table: (table, layout name, the value in each row, `None`
/// for `x`).
type CountColumns = Vec<(usize, String, Vec<Option<i64>>)>;

fn count_columns(
    tables: &[cwsw_publish::PublishedTable],
    layouts: &[cwsw_dictionary::layout::Layout],
) -> CountColumns {
    let mut columns = Vec::new();
    for (index, (table, layout)) in tables.iter().zip(layouts).enumerate() {
        for (at, column) in layout.columns.iter().enumerate() {
            if !matches!(column.figure, cwsw_dictionary::layout::Figure::Count { .. }) {
                continue;
            }
            let values = table
                .rows
                .iter()
                .map(|row| row.cells[at].text().parse::<i64>().ok())
                .collect();
            columns.push((index, column.name.clone(), values));
        }
    }
    columns
}

#[test]
fn no_identity_between_counts_hides_undeclared() {
    // A reader who finds two counts equal in every cell (or one the sum of others) can
    // use it: every such relation on the demo must be declared in relations.yaml.
    let run = default_demo();
    let (tables, layouts) = unprotected_tables(run);
    let relations = cwsw_dictionary::relations::Relations::embedded().expect("relations");
    let columns = count_columns(&tables, &layouts);
    let informative =
        |values: &[Option<i64>]| values.iter().flatten().filter(|v| **v > 0).count() >= 20;
    let mut undeclared = Vec::new();
    // Within a file: a column equal to another, or to the sum of two or three others.
    for (table, measure) in tables
        .iter()
        .enumerate()
        .map(|(index, table)| (index, &table.name))
    {
        let own: Vec<&(usize, String, Vec<Option<i64>>)> = columns
            .iter()
            .filter(|(index, ..)| *index == table)
            .collect();
        for (_, total_name, total_values) in own.iter().copied() {
            if !informative(total_values) {
                continue;
            }
            let others: Vec<&(usize, String, Vec<Option<i64>>)> = own
                .iter()
                .copied()
                .filter(|(_, name, values)| name != total_name && informative(values))
                .collect();
            let mut subsets: Vec<Vec<usize>> = (0..others.len()).map(|a| vec![a]).collect();
            for a in 0..others.len() {
                for b in a + 1..others.len() {
                    subsets.push(vec![a, b]);
                    for c in b + 1..others.len() {
                        subsets.push(vec![a, b, c]);
                    }
                }
            }
            for subset in subsets {
                let holds = (0..total_values.len()).all(|row| {
                    let parts: Option<i64> = subset.iter().map(|part| others[*part].2[row]).sum();
                    match (total_values[row], parts) {
                        (Some(total), Some(parts)) => total == parts,
                        _ => true,
                    }
                });
                if !holds {
                    continue;
                }
                let mut parts: Vec<&String> = subset.iter().map(|part| &others[*part].1).collect();
                parts.sort();
                let declared = relations.identities.iter().any(|identity| {
                    let mut declared: Vec<&String> = identity.parts.iter().collect();
                    declared.sort();
                    identity.measure == *measure
                        && identity.total == *total_name
                        && declared == parts
                });
                if !declared {
                    undeclared.push(format!("{measure}: {total_name} = {parts:?}"));
                }
            }
        }
    }
    // Across files: a count equal, wherever both publish the same year, group and
    // level, to one another file publishes.
    let key = |table: &cwsw_publish::PublishedTable, row: usize| {
        let published = &table.rows[row];
        (
            published.year.time_period(),
            published.group.clone(),
            table
                .filters
                .iter()
                .zip(&published.levels)
                .filter(|(_, level)| *level != "Total")
                .map(|(filter, level)| (filter.column.clone(), level.clone()))
                .collect::<Vec<_>>(),
        )
    };
    let rows_by_key: Vec<BTreeMap<_, usize>> = tables
        .iter()
        .map(|table| {
            (0..table.rows.len())
                .map(|row| (key(table, row), row))
                .collect()
        })
        .collect();
    for (a, (first, first_name, first_values)) in columns.iter().enumerate() {
        for (second, second_name, second_values) in columns.iter().skip(a + 1) {
            if first == second {
                continue;
            }
            let mut matched = 0;
            let holds = (0..second_values.len()).all(|row| {
                let Some(other) = rows_by_key[*first].get(&key(&tables[*second], row)) else {
                    return true;
                };
                match (first_values[*other], second_values[row]) {
                    (Some(x), Some(y)) => {
                        matched += usize::from(x > 0);
                        x == y
                    }
                    _ => true,
                }
            });
            if !holds || matched < 20 {
                continue;
            }
            let place =
                |table: usize, column: &String| (tables[table].name.clone(), column.clone());
            let (x, y) = (place(*first, first_name), place(*second, second_name));
            let declared = relations.shared.iter().any(|shared| {
                let places: Vec<(String, String)> = shared
                    .counts
                    .iter()
                    .map(|place| (place.measure.clone(), place.column.clone()))
                    .collect();
                places.contains(&x) && places.contains(&y)
            });
            if !declared {
                undeclared.push(format!("{} {} = {} {}", x.0, x.1, y.0, y.1));
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "undeclared relations: {undeclared:#?}"
    );
}

/// An 8,000-pupil LA of a seed, with its submission checked by the rank test.
fn assert_small_la_protected(seed: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("d");
    let out_text = out.to_string_lossy().to_string();
    let (stdout, stderr) = cwsw(&[
        "demo", "--out", &out_text, "--pupils", "8000", "--seed", seed,
    ]);
    let run = Run {
        _dir: dir,
        out,
        stdout,
        stderr,
    };
    let (checked, recoverable) = recoverable_cells(&run, &run.out.join("submission"));
    assert!(
        checked > 1000,
        "seed {seed}: protected cells checked: {checked}"
    );
    assert!(
        recoverable.is_empty(),
        "seed {seed}: {} recoverable, first: {:?}",
        recoverable.len(),
        &recoverable[..recoverable.len().min(5)]
    );
}

#[test]
fn no_protected_cell_of_a_small_la_can_be_worked_out_seed_1() {
    assert_small_la_protected("1");
}

#[test]
fn no_protected_cell_of_a_small_la_can_be_worked_out_seed_2() {
    assert_small_la_protected("2");
}

#[test]
fn no_protected_cell_of_a_small_la_can_be_worked_out_seed_3() {
    assert_small_la_protected("3");
}
