//! The bad-input corpus (`tests/bad-input/`, one folder per case): each case's exact
//! error, or the rule its row is rejected or warned by, with the ledger balanced. And
//! one good 2026 return (`tests/fixtures/cin-2026`) that fills every CIN table.

use std::path::PathBuf;

use arrow::array::AsArray;
use cwsw_dictionary::Dictionary;
use cwsw_extract::{ExtractError, ExtractOptions, ExtractSummary, PseudonymisationKey, extract};

fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/bad-input")
        .join(name)
}

fn run(name: &str) -> (Result<ExtractSummary, ExtractError>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = PseudonymisationKey::from_bytes(b"obviously-fake-test-key-0123456789abcdef".to_vec())
        .expect("long enough");
    let result = extract(
        &ExtractOptions {
            input: case(name),
            output: dir.path().join("warehouse"),
            la_code: Some("999".to_string()),
            census_slice_bytes: None,
        },
        &key,
        &Dictionary::embedded().expect("dictionary"),
    );
    (result, dir)
}

/// The case extracts; every ledger entry balances.
fn extracted(name: &str) -> ExtractSummary {
    let (result, dir) = run(name);
    let summary = result.unwrap_or_else(|error| panic!("{name}: {error}"));
    for ((file, table), entry) in &summary.ledger {
        assert!(entry.balances(), "{file} {table}: {entry:?}");
    }
    assert!(dir.path().join("warehouse/ledger.parquet").exists());
    summary
}

/// The case stops extract with a malformed-input error; no warehouse is left.
fn malformed(name: &str) -> (String, u64, u64, String) {
    let (result, dir) = run(name);
    let Err(ExtractError::Malformed {
        path,
        line,
        column,
        message,
    }) = result
    else {
        panic!("{name}: expected a malformed-input error, got {result:?}");
    };
    assert!(!dir.path().join("warehouse").exists(), "no warehouse");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("tempdir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert!(names.is_empty(), "no staging folder is left: {names:?}");
    (
        path.file_name()
            .map(|name| name.to_string_lossy().to_string())
            .unwrap_or_default(),
        line,
        column,
        message,
    )
}

/// The (rule, location) of every reject or warning.
fn rules(summary: &ExtractSummary) -> Vec<(&'static str, String)> {
    summary
        .rejects
        .iter()
        .map(|reject| (reject.rule_id, reject.location.clone()))
        .collect()
}

#[test]
fn truncated_xml_stops_naming_file_line_and_column() {
    let (file, line, column, message) = malformed("truncated-xml");
    assert_eq!(file, "cin_2024.xml");
    // The file ends part-way through line 44, after 28 characters.
    assert_eq!((line, column), (44, 29), "{message}");
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn a_wrong_header_row_is_reported_as_no_known_return() {
    let summary = extracted("wrong-header");
    assert_eq!(summary.skipped.len(), 1);
    assert_eq!(summary.skipped[0].file, "ssda903/SSDA903_2024_episodes.csv");
    assert!(summary.skipped[0].reason.starts_with("not a known return"));
}

#[test]
fn a_byte_order_mark_is_dropped() {
    let summary = extracted("bom");
    assert_eq!(summary.tables["care_children"], 1);
    assert!(summary.rejects.is_empty(), "{:?}", summary.rejects);
}

#[test]
fn crlf_line_ends_and_trailing_blank_lines_are_read() {
    let summary = extracted("crlf");
    assert_eq!(summary.tables["care_children"], 2);
    assert!(summary.rejects.is_empty(), "{:?}", summary.rejects);
}

#[test]
fn an_empty_file_stops_extract() {
    let (file, line, _, message) = malformed("empty-file");
    assert_eq!(file, "SSDA903_2024_header.csv");
    assert_eq!(line, 1);
    assert_eq!(message, "the file is empty: expected a header row");
}

#[test]
fn a_non_date_is_rejected() {
    let summary = extracted("non-date");
    assert_eq!(
        rules(&summary),
        vec![(
            "DATE-INVALID",
            "line 25 (Child 1 / CINdetails 1)".to_string()
        )]
    );
    let reject = &summary.rejects[0];
    assert_eq!(reject.value.as_deref(), Some("2023-13-45"));
    assert_eq!(summary.tables["cin_episodes"], 0);
    assert_eq!(summary.tables["cin_children"], 1);
}

#[test]
fn an_unknown_code_is_kept_as_null_with_a_warning() {
    let summary = extracted("unknown-code");
    assert_eq!(
        rules(&summary),
        vec![("CODE-UNKNOWN", "line 2".to_string())]
    );
    assert_eq!(summary.rejects[0].value.as_deref(), Some("ZZZZ"));
    assert_eq!(summary.tables["care_children"], 1);
}

#[test]
fn a_duplicated_child_is_dropped() {
    let summary = extracted("duplicated-child");
    assert_eq!(
        rules(&summary),
        vec![("DUPLICATE", "line 33 (Child 2)".to_string())]
    );
    let entry = summary.ledger[&(
        "cin_census/cin_2024.xml".to_string(),
        "cin_child".to_string(),
    )];
    assert_eq!((entry.read, entry.accepted, entry.deduplicated), (2, 1, 1));
}

#[test]
fn negative_sessions_are_rejected() {
    let summary = extracted("negative-sessions");
    assert_eq!(
        rules(&summary),
        vec![("SC-SESSIONS-NEGATIVE", "line 2".to_string())]
    );
    assert_eq!(summary.tables["pupil_terms"], 1);
}

#[test]
fn absence_above_possible_is_rejected() {
    let summary = extracted("absence-above-possible");
    assert_eq!(
        rules(&summary),
        vec![("SC-ABSENCE-ABOVE-POSSIBLE", "line 2".to_string())]
    );
    assert_eq!(summary.tables["pupil_terms"], 1);
}

#[test]
fn gendercurrent_in_a_2025_return_is_warned() {
    let summary = extracted("gendercurrent-2025");
    assert_eq!(
        rules(&summary),
        vec![("CIN-SEX-SCHEMA", "line 15 (Child 1)".to_string())]
    );
    assert_eq!(summary.tables["cin_children"], 1);
}

/// Every part of a 2026-schema child: disabilities, an assessment and its factors,
/// section 47 enquiries, a plan and its reviews, pre-proceedings; `Sex`, not
/// `GenderCurrent`; booleans in each accepted spelling (`tests/fixtures/cin-2026`).
#[test]
fn a_2026_return_lands_in_every_cin_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = PseudonymisationKey::from_bytes(b"obviously-fake-test-key-0123456789abcdef".to_vec())
        .expect("long enough");
    let warehouse = dir.path().join("warehouse");
    let summary = extract(
        &ExtractOptions {
            input: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/cin-2026"),
            output: warehouse.clone(),
            la_code: None,
            census_slice_bytes: None,
        },
        &key,
        &Dictionary::embedded().expect("dictionary"),
    )
    .expect("extract");
    assert!(summary.rejects.is_empty(), "{:?}", summary.rejects);
    for (table, rows) in [
        ("cin_children", 1),
        ("cin_disabilities", 2),
        ("cin_episodes", 1),
        ("cin_assessments", 1),
        ("cin_assessment_factors", 2),
        ("cin_section47_enquiries", 3),
        ("cin_child_protection_plans", 1),
        ("cin_cpp_reviews", 2),
        ("cin_pre_proceedings_fgdm", 1),
    ] {
        assert_eq!(summary.tables[table], rows, "{table}");
    }
    let booleans = |table: &str, column: &str| -> Vec<Option<bool>> {
        table_column(&warehouse.join(table), column)
            .iter()
            .flat_map(|array| array.as_boolean().iter().collect::<Vec<_>>())
            .collect()
    };
    // `false`, `1` and `TRUE`.
    assert_eq!(
        booleans("cin_section47_enquiries", "icpc_not_required"),
        vec![Some(false), Some(true), Some(true)]
    );
    // `true` and `False`; `0` for ReferralNFA.
    assert_eq!(
        booleans("cin_pre_proceedings_fgdm", "fgdm_meeting_offer"),
        vec![Some(true)]
    );
    assert_eq!(
        booleans("cin_pre_proceedings_fgdm", "fgdm_meeting_facilitated"),
        vec![Some(false)]
    );
    assert_eq!(booleans("cin_episodes", "referral_nfa"), vec![Some(false)]);
}

#[test]
fn a_truncated_csv_stops_naming_line_and_field() {
    let (file, line, column, message) = malformed("truncated-csv");
    assert_eq!(file, "2024_spring_pupilonroll.csv");
    assert_eq!((line, column), (3, 6), "{message}");
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn a_csv_that_is_not_utf8_stops_naming_line_and_field() {
    let (file, line, column, message) = malformed("not-utf8");
    assert_eq!(file, "SSDA903_2024_header.csv");
    assert_eq!((line, column), (3, 4), "{message}");
    assert!(message.contains("not UTF-8"), "{message}");
}

/// An exclusion listed twice in one file (a dual-registered pupil, under each school) is
/// kept once, from the first line, however the census is sliced.
#[test]
fn an_exclusion_repeated_in_a_file_is_dropped_however_the_census_is_sliced() {
    let key = PseudonymisationKey::from_bytes(b"obviously-fake-test-key-0123456789abcdef".to_vec())
        .expect("long enough");
    let dictionary = Dictionary::embedded().expect("dictionary");
    for slice in [None, Some(64)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let summary = extract(
            &ExtractOptions {
                input: case("repeated-exclusion"),
                output: dir.path().join("warehouse"),
                la_code: Some("999".to_string()),
                census_slice_bytes: slice,
            },
            &key,
            &dictionary,
        )
        .expect("extract");
        let entry = summary.ledger[&(
            "school_census/2024_spring_termlyexclusionsonroll.csv".to_string(),
            "school_census_exclusions".to_string(),
        )];
        assert_eq!(
            (entry.read, entry.accepted, entry.deduplicated),
            (4, 3, 1),
            "{slice:?}"
        );
        let rejects = rules(&summary);
        assert_eq!(
            rejects,
            vec![("DUPLICATE", "line 5".to_string())],
            "{slice:?}"
        );
        // The kept copy is the first: school 9994001.
        let mut schools: Vec<String> =
            table_column(&dir.path().join("warehouse/exclusions"), "school")
                .iter()
                .flat_map(|array| {
                    array
                        .as_string::<i32>()
                        .iter()
                        .flatten()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect();
        schools.sort();
        assert_eq!(schools, ["9994001", "9994002", "9994003"], "{slice:?}");
    }
}

/// Dual registration (domain.md §2): each registration keeps its enrolment status and
/// its own sessions; the main school's `D` (attending the other establishment) is not
/// absence, and not possible either (the census's possible sessions leave it out).
#[test]
fn a_dual_registered_pupil_keeps_each_registration_and_its_own_sessions() {
    let (result, dir) = run("dual-registration");
    let summary = result.expect("extract");
    for ((file, table), entry) in &summary.ledger {
        assert!(entry.balances(), "{file} {table}: {entry:?}");
    }
    assert_eq!(
        rules(&summary),
        vec![("CODE-UNKNOWN", "line 4".to_string())]
    );
    assert_eq!(summary.rejects[0].value.as_deref(), Some("N"));
    let folder = dir.path().join("warehouse/pupil_terms");
    let strings = |column: &str| -> Vec<Option<String>> {
        table_column(&folder, column)
            .iter()
            .flat_map(|array| {
                array
                    .as_string::<i32>()
                    .iter()
                    .map(|value| value.map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let numbers = |column: &str| -> Vec<Option<i32>> {
        table_column(&folder, column)
            .iter()
            .flat_map(|array| {
                array
                    .as_primitive::<arrow::datatypes::Int32Type>()
                    .iter()
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let mut rows: Vec<_> = strings("school")
        .into_iter()
        .zip(strings("enrol_status"))
        .zip(numbers("sessions_possible"))
        .zip(
            numbers("sessions_authorised")
                .into_iter()
                .zip(numbers("sessions_unauthorised")),
        )
        .map(
            |(((school, status), possible), (authorised, unauthorised))| {
                (school, status, possible, authorised, unauthorised)
            },
        )
        .collect();
    rows.sort();
    let text = |value: &str| Some(value.to_string());
    assert_eq!(
        rows,
        vec![
            (text("9991100"), text("S"), Some(40), Some(0), Some(4)),
            (text("9994001"), None, Some(120), Some(3), Some(0)),
            (text("9994001"), text("M"), Some(100), Some(6), Some(2)),
        ]
    );
}

/// One column of a warehouse table, from every part in its folder.
fn table_column(folder: &std::path::Path, column: &str) -> Vec<arrow::array::ArrayRef> {
    let mut arrays = Vec::new();
    for entry in std::fs::read_dir(folder).expect("a table folder") {
        let file = std::fs::File::open(entry.expect("entry").path()).expect("parquet");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("reader")
            .build()
            .expect("batches");
        for batch in reader {
            arrays.push(
                batch
                    .expect("batch")
                    .column_by_name(column)
                    .expect("column")
                    .clone(),
            );
        }
    }
    arrays
}
