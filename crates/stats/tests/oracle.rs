//! Every method against an independent implementation: `tests/oracle/oracle.py` computes
//! each with statsmodels and scipy on fixed inputs and commits its output beside it
//! (`tests/oracle/oracle.json`; its README says how to regenerate). Each estimate,
//! standard error, bound, statistic and p-value must match within 1e-9 relative or
//! 1e-12 absolute.

use serde_json::Value;

use cwsw_stats::{
    Estimate, MeanSums, Periods, PupilYear, RatioSums, benjamini_hochberg,
    difference_in_differences, event_study, mean, mean_gap, progress8, progress8_gap, proportion,
    proportion_gap, ratio, ratio_gap,
};

const CONFIDENCE: f64 = 0.95;

fn oracle() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/oracle/oracle.json"
    );
    let text = std::fs::read_to_string(path).expect("tests/oracle/oracle.json");
    serde_json::from_str(&text).expect("oracle.json is JSON")
}

fn cases<'a>(oracle: &'a Value, method: &str) -> &'a [Value] {
    let cases = oracle[method].as_array().expect("a list of cases");
    assert!(!cases.is_empty(), "{method}: no cases");
    cases
}

fn number(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {value}"))
}

fn close(what: &str, got: f64, want: f64) {
    let tolerance = (1e-9 * want.abs()).max(1e-12);
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: cwsw {got:e}, statsmodels/scipy {want:e} (difference {:e})",
        (got - want).abs()
    );
}

/// Compares an estimate with the oracle's output: the four figures always, the test
/// when the oracle gives one.
fn compare(name: &str, got: &Estimate, want: &Value) {
    close(
        &format!("{name} estimate"),
        got.estimate,
        number(want, "estimate"),
    );
    close(
        &format!("{name} standard_error"),
        got.standard_error,
        number(want, "standard_error"),
    );
    close(&format!("{name} lower"), got.lower, number(want, "lower"));
    close(&format!("{name} upper"), got.upper, number(want, "upper"));
    if want.get("statistic").is_some_and(|value| !value.is_null()) {
        let test = got.test.unwrap_or_else(|| panic!("{name}: no test"));
        close(
            &format!("{name} statistic"),
            test.statistic,
            number(want, "statistic"),
        );
        close(
            &format!("{name} p_value"),
            test.p_value,
            number(want, "p_value"),
        );
    }
}

fn pairs(value: &Value) -> Vec<(f64, f64)> {
    value
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| (number_at(row, 0), number_at(row, 1)))
        .collect()
}

fn number_at(row: &Value, index: usize) -> f64 {
    row[index].as_f64().expect("a number")
}

fn values(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("values")
        .iter()
        .map(|value| value.as_f64().expect("a number"))
        .collect()
}

/// The sums a measure query returns, from pupil rows (a, p).
fn ratio_sums(rows: &[(f64, f64)]) -> RatioSums {
    RatioSums {
        n: rows.len() as u64,
        numerator: rows.iter().map(|(a, _)| a).sum(),
        denominator: rows.iter().map(|(_, p)| p).sum(),
        numerator_squared: rows.iter().map(|(a, _)| a * a).sum(),
        denominator_squared: rows.iter().map(|(_, p)| p * p).sum(),
        cross: rows.iter().map(|(a, p)| a * p).sum(),
    }
}

fn mean_sums(values: &[f64]) -> MeanSums {
    MeanSums {
        n: values.len() as u64,
        sum: values.iter().sum(),
        sum_squared: values.iter().map(|x| x * x).sum(),
    }
}

fn pupil_years(value: &Value) -> Vec<PupilYear> {
    let mut clusters = std::collections::BTreeMap::new();
    value
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let next = clusters.len() as u64;
            let cluster = *clusters
                .entry(row["cluster"].as_str().expect("a cluster").to_string())
                .or_insert(next);
            PupilYear {
                cluster,
                year: row["year"].as_i64().expect("a year") as i32,
                in_group: row["group"].as_i64() == Some(1),
                numerator: number(row, "numerator"),
                denominator: number(row, "denominator"),
            }
        })
        .collect()
}

fn years(value: &Value) -> Vec<i32> {
    value
        .as_array()
        .expect("years")
        .iter()
        .map(|year| year.as_i64().expect("a year") as i32)
        .collect()
}

fn count(value: &Value, key: &str) -> u64 {
    value[key].as_u64().expect("a count")
}

#[test]
fn the_oracle_was_made_at_the_confidence_level_used_here() {
    let oracle = oracle();
    close("confidence", number(&oracle, "confidence"), CONFIDENCE);
}

#[test]
fn wilson_matches_statsmodels() {
    let oracle = oracle();
    for case in cases(&oracle, "wilson") {
        let input = &case["input"];
        let got = proportion(
            count(input, "successes"),
            count(input, "trials"),
            CONFIDENCE,
        )
        .expect("valid")
        .expect("pupils");
        compare(&case["name"].to_string(), &got, &case["output"]);
    }
}

#[test]
fn the_ratio_estimator_matches_statsmodels() {
    let oracle = oracle();
    for case in cases(&oracle, "ratio") {
        let sums = ratio_sums(&pairs(&case["input"]["rows"]));
        let got = ratio(&sums, CONFIDENCE).expect("valid").expect("sessions");
        compare(&case["name"].to_string(), &got, &case["output"]);
    }
}

#[test]
fn the_t_interval_of_a_mean_matches_statsmodels() {
    let oracle = oracle();
    for case in cases(&oracle, "mean") {
        let sums = mean_sums(&values(&case["input"]["values"]));
        let got = mean(&sums, CONFIDENCE).expect("valid").expect("pupils");
        compare(&case["name"].to_string(), &got, &case["output"]);
    }
}

#[test]
fn the_progress8_interval_matches_dfe() {
    let oracle = oracle();
    for case in cases(&oracle, "progress8") {
        let input = &case["input"];
        let sums = mean_sums(&values(&input["values"]));
        let got = progress8(sums.n, sums.sum, number(input, "national_sd")).expect("pupils");
        compare(&case["name"].to_string(), &got, &case["output"]);
    }
}

#[test]
fn the_gap_of_two_proportions_matches_statsmodels() {
    let oracle = oracle();
    for case in cases(&oracle, "gap_proportion") {
        let input = &case["input"];
        let got = proportion_gap(
            (count(input, "successes1"), count(input, "trials1")),
            (count(input, "successes2"), count(input, "trials2")),
            CONFIDENCE,
        )
        .expect("valid")
        .expect("pupils");
        compare(&case["name"].to_string(), &got, &case["output"]);
    }
}

#[test]
fn the_gap_of_two_ratios_matches_statsmodels() {
    let oracle = oracle();
    for case in cases(&oracle, "gap_ratio") {
        let input = &case["input"];
        let got = ratio_gap(
            &ratio_sums(&pairs(&input["rows1"])),
            &ratio_sums(&pairs(&input["rows2"])),
            CONFIDENCE,
        )
        .expect("valid")
        .expect("sessions");
        compare(&case["name"].to_string(), &got, &case["output"]);
    }
}

#[test]
fn the_gap_of_two_means_matches_welch() {
    let oracle = oracle();
    for case in cases(&oracle, "gap_mean") {
        let input = &case["input"];
        let got = mean_gap(
            &mean_sums(&values(&input["values1"])),
            &mean_sums(&values(&input["values2"])),
            CONFIDENCE,
        )
        .expect("valid")
        .expect("pupils");
        let name = case["name"].to_string();
        compare(&name, &got, &case["output"]);
        match got.test.map(|test| test.distribution) {
            Some(cwsw_stats::Distribution::StudentT(df)) => {
                close(&format!("{name} df"), df, number(&case["output"], "df"));
            }
            other => panic!("{name}: a Welch test has t degrees of freedom, not {other:?}"),
        }
    }
}

#[test]
fn the_gap_of_two_progress8_means_matches_the_oracle() {
    let oracle = oracle();
    for case in cases(&oracle, "gap_progress8") {
        let input = &case["input"];
        let first = mean_sums(&values(&input["values1"]));
        let second = mean_sums(&values(&input["values2"]));
        let got = progress8_gap(
            (first.n, first.sum),
            (second.n, second.sum),
            number(input, "national_sd"),
            CONFIDENCE,
        )
        .expect("valid")
        .expect("pupils");
        compare(&case["name"].to_string(), &got, &case["output"]);
    }
}

#[test]
fn the_difference_in_differences_matches_statsmodels_clustered_wls() {
    let oracle = oracle();
    for case in cases(&oracle, "did") {
        let input = &case["input"];
        let periods = Periods {
            pre: years(&input["pre"]),
            post: years(&input["post"]),
        };
        let name = case["name"].to_string();
        let got = difference_in_differences(&pupil_years(&input["rows"]), &periods, CONFIDENCE)
            .expect("valid")
            .expect("cells");
        compare(&name, &got.estimate, &case["output"]);
        assert_eq!(
            got.rows as u64,
            count(&case["output"], "rows_used"),
            "{name}"
        );
        assert_eq!(
            got.clusters as u64,
            count(&case["output"], "clusters_used"),
            "{name}"
        );
    }
}

#[test]
fn the_event_study_matches_statsmodels_clustered_wls() {
    let oracle = oracle();
    for case in cases(&oracle, "event_study") {
        let input = &case["input"];
        let name = case["name"].to_string();
        let base = input["base"].as_i64().expect("a base year") as i32;
        let got = event_study(
            &pupil_years(&input["rows"]),
            &years(&input["years"]),
            base,
            CONFIDENCE,
        )
        .expect("valid");
        let want = case["output"]["years"].as_array().expect("years");
        assert_eq!(got.len(), want.len(), "{name}");
        for ((year, contrast), want) in got.iter().zip(want) {
            assert_eq!(i64::from(*year), want["year"].as_i64().expect("a year"));
            let contrast = contrast.unwrap_or_else(|| panic!("{name} {year}: no estimate"));
            compare(&format!("{name} {year}"), &contrast.estimate, want);
        }
    }
}

#[test]
fn benjamini_hochberg_matches_statsmodels() {
    let oracle = oracle();
    for case in cases(&oracle, "bh") {
        let got = benjamini_hochberg(&values(&case["input"]["p_values"]));
        let want = values(&case["output"]["adjusted"]);
        assert_eq!(got.len(), want.len());
        for (got, want) in got.iter().zip(want) {
            close(&case["name"].to_string(), *got, want);
        }
    }
}
