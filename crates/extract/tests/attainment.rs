//! The KS2 and KS4 registers with and without their optional columns (result codes,
//! EBacc entry): older files still load, and the new fields reach the warehouse.

use std::path::Path;

use cwsw_dictionary::{Dictionary, upn};
use cwsw_extract::{ExtractOptions, PseudonymisationKey, extract};

fn fake_key() -> PseudonymisationKey {
    PseudonymisationKey::from_bytes(b"obviously-fake-test-key-0123456789abcdef".to_vec())
        .expect("long enough")
}

/// A valid UPN for a number, with its check letter.
fn upn_for(number: u64) -> String {
    let digits = format!("{:012}", 801_000_000_000 + number);
    let rest: [u8; 12] = digits.as_bytes().try_into().expect("12 characters");
    let letter = upn::check_letter(&rest).expect("a check letter") as char;
    format!("{letter}{digits}")
}

/// Every row of a warehouse table, its columns joined by `|`, sorted.
fn rows(warehouse: &Path, table: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(warehouse.join(table)).expect("a table folder") {
        let file = std::fs::File::open(entry.expect("entry").path()).expect("parquet");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("reader")
            .build()
            .expect("batches");
        for batch in reader {
            let batch = batch.expect("batch");
            let columns: Vec<_> = batch
                .columns()
                .iter()
                .map(|column| {
                    arrow::util::display::ArrayFormatter::try_new(
                        column.as_ref(),
                        &Default::default(),
                    )
                    .expect("formatter")
                })
                .collect();
            for row in 0..batch.num_rows() {
                // The pupil id (first column) differs per key: leave it out.
                rows.push(
                    columns[1..]
                        .iter()
                        .map(|column| column.value(row).to_string())
                        .collect::<Vec<_>>()
                        .join("|"),
                );
            }
        }
    }
    rows.sort();
    rows
}

#[test]
fn optional_result_columns_load_and_older_files_still_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).expect("raw folder");
    let (a, b, c) = (upn_for(1), upn_for(2), upn_for(3));
    // 2021/22 in the old layout; 2022/23 with the result codes and EBacc entry.
    std::fs::write(
        raw.join("ks2_2022.csv"),
        format!(
            "UPN,ACADYR,LEA,URN,KS2_READSCORE,KS2_MATSCORE,KS2_GPSSCORE,KS2_WRITTA,KS2_SCITA,KS2_RWM_EXP\n\
             {a},2021/22,801,900001,104,,99,EXS,EXS,0\n"
        ),
    )
    .expect("writes");
    std::fs::write(
        raw.join("ks2_2023.csv"),
        format!(
            "UPN,ACADYR,LEA,URN,KS2_READSCORE,KS2_MATSCORE,KS2_GPSSCORE,KS2_WRITTA,KS2_SCITA,KS2_RWM_EXP,KS2_READRESULT,KS2_MATRESULT,KS2_GPSRESULT\n\
             {b},2022/23,801,900001,,,101,L,D,0,M,A,\n"
        ),
    )
    .expect("writes");
    std::fs::write(
        raw.join("ks4_2022.csv"),
        format!(
            "UPN,ACADYR,LEA,URN,ATT8,P8SCORE,L2BASICS_94,L2BASICS_95,EBACCAPS\n\
             {a},2021/22,801,900002,40.5,0.25,1,0,4.1\n"
        ),
    )
    .expect("writes");
    std::fs::write(
        raw.join("ks4_2023.csv"),
        format!(
            "UPN,ACADYR,LEA,URN,ATT8,P8SCORE,L2BASICS_94,L2BASICS_95,EBACCAPS,EBACC_ENTRY\n\
             {b},2022/23,801,900002,,,0,0,,0\n\
             {c},2022/23,801,900002,55,1.5,1,1,5.5,1\n"
        ),
    )
    .expect("writes");
    let warehouse = dir.path().join("warehouse");
    let summary = extract(
        &ExtractOptions {
            input: raw,
            output: warehouse.clone(),
            la_code: None,
            census_slice_bytes: None,
        },
        &fake_key(),
        &Dictionary::embedded().expect("dictionary"),
    )
    .expect("extract succeeds");
    assert!(summary.rejects.is_empty(), "{:?}", summary.rejects);
    assert_eq!(
        rows(&warehouse, "ks2_attainment"),
        [
            "202122|801|900001|104||99|EXS|EXS|false|||",
            "202223|801|900001|||101|L|D|false|M|A|",
        ]
    );
    assert_eq!(
        rows(&warehouse, "ks4_attainment"),
        [
            "202122|801|900002|40.5|0.25|true|false|4.1|",
            "202223|801|900002|55.0|1.5|true|true|5.5|true",
            "202223|801|900002|||false|false||false",
        ]
    );
}
