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
            census_slice_bytes: None,
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
    for table in [
        "cin_episode",
        "cin_plan",
        "cin_child_protection_plan",
        "cin_assessment",
        "cin_section47",
        "cin_cpp_review",
    ] {
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
    // School census: a quarter of the pupils keep the fixtures' hex "UPNs" and are
    // rejected; the rows that name a rejected pupil cannot be linked.
    let census = |file: &str, table: &str| entry(&format!("school_census/{file}"), table);
    let pupils = census("2024_autumn_pupilonroll.csv", "school_census_pupil_on_roll");
    assert_eq!((pupils.read, pupils.accepted), (30, 23), "{pupils:?}");
    let mut by_rule: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for reject in &summary.rejects {
        *by_rule
            .entry((reject.source_file.as_str(), reject.rule_id))
            .or_default() += 1;
    }
    let rule = |file: &str, rule: &str| {
        by_rule
            .get(&(format!("school_census/{file}").as_str(), rule))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(rule("2024_autumn_pupilonroll.csv", "UPN-INVALID"), 7);
    assert!(
        summary
            .rejects
            .iter()
            .any(|reject| reject.rule_id == "SC-ABSENCE-ABOVE-POSSIBLE")
    );
    assert!(
        rule(
            "2024_autumn_fsmperiodsonroll.csv",
            "SC-FSM-END-BEFORE-START"
        ) > 0
    );
    assert!(rule("2024_autumn_fsmperiodsonroll.csv", "SC-PUPIL-LINK") > 0);
    assert!(rule("2025_spring_senneeds.csv", "DUPLICATE") > 0);
    assert!(rule("2024_autumn_termlyexclusionsonroll.csv", "SC-PUPIL-LINK") > 0);
    // `Y3` (a 2024-regulation code) is not an attendance code before the 2025 census;
    // `H` (retired by them) is not one from 2025.
    assert!(
        rule(
            "2024_autumn_summerhalfterm2sessiondetailsoffroll.csv",
            "SC-ATTENDANCE-CODE"
        ) > 0
    );
    assert!(
        rule(
            "2025_spring_termlysessiondetailsonroll.csv",
            "SC-ATTENDANCE-CODE"
        ) > 0
    );
    // Valid rows of every kind land in the warehouse.
    for table in [
        "pupil_terms",
        "exclusions",
        "fsm_periods",
        "sen_needs",
        "cin_children",
        "cin_assessments",
        "cin_assessment_factors",
        "cin_section47_enquiries",
        "cin_cpp_reviews",
        "cin_disabilities",
        "care_children",
        "care_episodes",
    ] {
        assert!(summary.tables[table] > 0, "{table} has rows");
    }
    // The address files are known, and never read.
    assert!(summary.skipped.iter().any(|skipped| {
        skipped.file.ends_with("addressesoffroll.csv") && skipped.reason.contains("never read")
    }));
    assert_eq!(
        by_rule[&("ssda903/SSDA903_2020_header.csv", "DUPLICATE")],
        3
    );
    // One child's UPN and one child's FormerUPN are not valid UPNs: kept, unlinked.
    assert_eq!(
        by_rule[&("cin_census/BAR_cin_2022.xml", "UPN-INVALID-LINK")],
        2
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
