//! Extract over trimmed copies of the Social Finance LIIA real-format fixtures
//! (`tests/fixtures/liia`, MIT licence beside them): synthetic content in the real
//! formats, with rows that are deliberately invalid.

use std::collections::BTreeMap;
use std::path::Path;

use cwsw_dictionary::Dictionary;
use cwsw_extract::{ExtractOptions, LedgerEntry, PseudonymisationKey, extract};

#[test]
fn liia_fixtures_extract_with_rejects_and_a_balanced_ledger() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/liia");
    let dir = tempfile::tempdir().expect("tempdir");
    let key = PseudonymisationKey::from_bytes(b"obviously-fake-test-key-0123456789abcdef".to_vec())
        .expect("long enough");
    let summary = extract(
        &ExtractOptions {
            input: fixtures,
            output: dir.path().join("warehouse"),
            la_code: None,
        },
        &key,
        &Dictionary::embedded().expect("dictionary"),
    )
    .expect("extract reads every fixture");
    let entry = |file: &str, table: &str| -> LedgerEntry {
        *summary
            .ledger
            .get(&(file.to_string(), table.to_string()))
            .unwrap_or_else(|| panic!("ledger has {file} {table}"))
    };
    for ((file, table), counts) in &summary.ledger {
        assert!(counts.balances(), "{file} {table}: {counts:?}");
    }
    // The CIN child is kept, but its UPN has the wrong check letter, so it cannot be linked.
    let cin = "cin_census/BAR_cin_2022.xml";
    assert_eq!(
        entry(cin, "cin_child"),
        LedgerEntry {
            read: 1,
            accepted: 1,
            rejected: 0,
            warned: 1,
            deduplicated: 0
        }
    );
    for table in ["cin_episode", "cin_plan", "cin_child_protection_plan"] {
        assert_eq!(entry(cin, table).accepted, 1, "{table}");
    }
    // SSDA903: one child three times and another twice; invalid UPNs kept unlinked;
    // an RNE of `*DUMMY*` written as null.
    let header = entry("ssda903/SSDA903_2020_header.csv", "ssda903_header");
    assert_eq!(
        header,
        LedgerEntry {
            read: 5,
            accepted: 2,
            rejected: 0,
            warned: 2,
            deduplicated: 3
        }
    );
    let episodes = entry("ssda903/SSDA903_2020_episodes.csv", "ssda903_episodes");
    assert_eq!(
        episodes,
        LedgerEntry {
            read: 5,
            accepted: 5,
            rejected: 0,
            warned: 1,
            deduplicated: 0
        }
    );
    // School census: the fixture's UPNs are not UPNs, so every pupil row is rejected;
    // `H` (retired by the 2024 regulations) is not an attendance code in 2025.
    for file in [
        "2024_autumn_pupilonroll.csv",
        "2024_autumn_pupilnolongeronroll.csv",
        "2025_spring_pupilonroll.csv",
    ] {
        let table = if file.contains("nolonger") {
            "school_census_pupil_no_longer_on_roll"
        } else {
            "school_census_pupil_on_roll"
        };
        let counts = entry(&format!("school_census/{file}"), table);
        assert_eq!((counts.read, counts.rejected), (40, 40), "{file}");
    }
    let mut by_rule: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for reject in &summary.rejects {
        *by_rule
            .entry((reject.source_file.as_str(), reject.rule_id))
            .or_default() += 1;
    }
    assert_eq!(
        by_rule[&("school_census/2024_autumn_pupilonroll.csv", "UPN-INVALID")],
        40
    );
    assert_eq!(
        by_rule[&("ssda903/SSDA903_2020_header.csv", "DUPLICATE")],
        3
    );
    assert_eq!(
        by_rule[&(
            "school_census/2025_spring_termlysessiondetailsonroll.csv",
            "SC-ATTENDANCE-CODE"
        )],
        5
    );
    assert_eq!(
        by_rule[&("cin_census/BAR_cin_2022.xml", "UPN-INVALID-LINK")],
        1
    );
    // The licence beside the fixtures is reported, not silently skipped.
    assert!(
        summary
            .skipped
            .iter()
            .any(|skipped| skipped.file == "LICENSE")
    );
    // Identifiers are never quoted in a reject.
    for reject in &summary.rejects {
        for identifier in ["DfEX0000001", "A123456789123", "689661", "249901", "SUR"] {
            assert!(!reject.message.contains(identifier), "{reject:?}");
            assert!(
                reject
                    .value
                    .as_deref()
                    .is_none_or(|value| !value.contains(identifier)),
                "{reject:?}"
            );
        }
    }
}
