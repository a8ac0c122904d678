//! Extract over a synthetic LA with records made invalid on purpose.

use std::path::Path;

use cwsw_dictionary::Dictionary;
use cwsw_extract::{ExtractError, ExtractOptions, PseudonymisationKey, extract};
use cwsw_synth::{SynthOptions, generate, write_returns};

fn fake_key() -> PseudonymisationKey {
    PseudonymisationKey::from_bytes(b"obviously-fake-test-key-0123456789abcdef".to_vec())
        .expect("long enough")
}

fn synthetic_la(dir: &Path, invalid_rate: f64) -> cwsw_synth::WrittenReturns {
    let options = SynthOptions {
        pupils: 1500,
        invalid_rate,
        seed: 11,
        ..SynthOptions::default()
    };
    write_returns(&generate(&options), &options, dir).expect("writes")
}

#[test]
fn planted_errors_are_rejected_by_their_rules_and_the_ledger_balances() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    let written = synthetic_la(&raw, 0.01);
    let planted = |kind: &str| {
        written
            .planted
            .iter()
            .filter(|error| error.kind == kind)
            .count()
    };
    assert!(
        planted("UPN check letter") > 0
            && planted("closure before referral") > 0
            && planted("DECOM not a date") > 0
    );
    let summary = extract(
        &ExtractOptions {
            input: raw,
            output: dir.path().join("warehouse"),
            la_code: None,
            census_slice_bytes: None,
        },
        &fake_key(),
        &Dictionary::embedded().expect("dictionary"),
    )
    .expect("extract succeeds");
    let rejected = |rule: &str| {
        summary
            .rejects
            .iter()
            .filter(|reject| reject.rule_id == rule)
            .count()
    };
    assert_eq!(rejected("UPN-INVALID"), planted("UPN check letter"));
    assert_eq!(
        rejected("CIN-CLOSURE-BEFORE-REFERRAL"),
        planted("closure before referral")
    );
    assert_eq!(rejected("DATE-INVALID"), planted("DECOM not a date"));
    // A row planted with both a bad UPN and too much absence is rejected for its UPN.
    let absence = rejected("SC-ABSENCE-ABOVE-POSSIBLE");
    assert!(absence <= planted("absence above possible"));
    assert!(absence + planted("UPN check letter") >= planted("absence above possible"));
    for ((file, table), entry) in &summary.ledger {
        assert!(entry.balances(), "{file} {table}: {entry:?}");
    }
    let read: u64 = summary.ledger.values().map(|entry| entry.read).sum();
    assert!(read > 10_000, "rows read: {read}");
    // Identifiers are never quoted in rejects.
    for reject in &summary.rejects {
        if matches!(
            reject.field.as_deref(),
            Some("upn" | "UPN" | "LAchildID" | "CHILD")
        ) {
            assert_eq!(reject.value, None, "{reject:?}");
        }
    }
}

#[test]
fn a_truncated_file_stops_extract_and_keeps_the_previous_warehouse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    synthetic_la(&raw, 0.0);
    let warehouse = dir.path().join("warehouse");
    let options = ExtractOptions {
        input: raw.clone(),
        output: warehouse.clone(),
        la_code: None,
        census_slice_bytes: None,
    };
    let dictionary = Dictionary::embedded().expect("dictionary");
    extract(&options, &fake_key(), &dictionary).expect("first extract");
    let before = files_under(&warehouse);
    assert!(
        before.len() > 20,
        "a warehouse of many parts: {}",
        before.len()
    );
    let cin = raw.join("cin_census/cin_census_2022.xml");
    let text = std::fs::read_to_string(&cin).expect("xml");
    std::fs::write(&cin, &text[..text.len() / 2]).expect("truncate");
    let error = extract(&options, &fake_key(), &dictionary).expect_err("a truncated file fails");
    let message = error.to_string();
    assert!(matches!(error, ExtractError::Malformed { .. }), "{message}");
    assert!(message.contains("cin_census_2022.xml line "), "{message}");
    assert!(message.contains("truncated"), "{message}");
    assert_eq!(
        files_under(&warehouse),
        before,
        "the previous warehouse is kept"
    );
}

#[test]
fn the_same_inputs_and_key_give_the_same_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    synthetic_la(&raw, 0.005);
    let dictionary = Dictionary::embedded().expect("dictionary");
    let run = |name: &str| {
        let output = dir.path().join(name);
        extract(
            &ExtractOptions {
                input: raw.clone(),
                output: output.clone(),
                la_code: None,
                census_slice_bytes: None,
            },
            &fake_key(),
            &dictionary,
        )
        .expect("extract");
        output
    };
    let (a, b) = (run("a"), run("b"));
    let (a, b) = (files_under(&a), files_under(&b));
    assert!(a.len() > 20, "a warehouse of many parts: {}", a.len());
    assert_eq!(
        a.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        b.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );
    for ((name, a), (_, b)) in a.iter().zip(&b) {
        assert!(a == b, "{name} differs");
    }
}

/// Every file under a folder: its path relative to the folder, and its bytes.
fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let name = path
                    .strip_prefix(root)
                    .expect("under root")
                    .to_string_lossy()
                    .to_string();
                files.push((name, std::fs::read(&path).expect("readable")));
            }
        }
    }
    files.sort();
    files
}

/// Every row of a warehouse table (all its parts), rendered as text and sorted: the
/// table's content regardless of row order.
fn sorted_rows(folder: &Path) -> Vec<String> {
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(folder).expect("a table folder") {
        let file = std::fs::File::open(entry.expect("entry").path()).expect("parquet");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("reader")
            .build()
            .expect("batches");
        rows.extend(batch_rows(reader));
    }
    rows.sort();
    rows
}

fn batch_rows(reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader) -> Vec<String> {
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let columns: Vec<_> = batch
            .columns()
            .iter()
            .map(|column| {
                arrow::util::display::ArrayFormatter::try_new(column.as_ref(), &Default::default())
                    .expect("formatter")
            })
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(
                columns
                    .iter()
                    .map(|column| column.value(row).to_string())
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
    }
    rows
}

/// A large census is read a slice of schools at a time; slicing changes the order of
/// rows, never which rows are written, rejected or counted.
#[test]
fn reading_a_census_in_slices_changes_nothing_but_row_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    synthetic_la(&raw, 0.01);
    let dictionary = Dictionary::embedded().expect("dictionary");
    let run = |name: &str, slice: Option<u64>| {
        let output = dir.path().join(name);
        let summary = extract(
            &ExtractOptions {
                input: raw.clone(),
                output: output.clone(),
                la_code: None,
                census_slice_bytes: slice,
            },
            &fake_key(),
            &dictionary,
        )
        .expect("extract");
        (output, summary)
    };
    let (whole, whole_summary) = run("whole", None);
    // Slices of 20 kB: every census of this LA is read in several passes.
    let (sliced, sliced_summary) = run("sliced", Some(20_000));
    assert_eq!(whole_summary.ledger, sliced_summary.ledger);
    let rules = |summary: &cwsw_extract::ExtractSummary| {
        let mut rules: Vec<_> = summary
            .rejects
            .iter()
            .map(|reject| format!("{reject:?}"))
            .collect();
        rules.sort();
        rules
    };
    assert_eq!(rules(&whole_summary), rules(&sliced_summary));
    assert!(!whole_summary.rejects.is_empty());
    for table in ["pupil_terms", "exclusions", "fsm_periods", "sen_needs"] {
        let rows = sorted_rows(&whole.join(table));
        assert!(!rows.is_empty(), "{table}");
        assert_eq!(rows, sorted_rows(&sliced.join(table)), "{table}");
    }
}
