//! Stage `Check general`: duplicate rows and null symbols, across the whole file.

use std::collections::HashSet;

use crate::reference::observational_units;
use crate::screen::{Finding, quoted};
use crate::table::{Input, Table, unique};

/// `general_dupes`: no two rows share every observational unit and filter (the
/// table tool's key). School, Provider, Institution and Planning area rows are left
/// out, unless the file is wholly School or wholly Provider level.
pub(crate) fn general_dupes(input: &Input) -> Finding {
    let mut key_columns: Vec<&str> = observational_units();
    key_columns.extend(input.meta.filters_and_groups());
    let key_columns: Vec<&str> = unique(key_columns)
        .into_iter()
        .filter(|c| input.data.has(c))
        .collect();
    let indices: Vec<Option<usize>> = key_columns.iter().map(|c| input.data.index(c)).collect();
    let levels = input.levels();
    let school_or_provider_only = levels.len() == 1 && matches!(levels[0], "School" | "Provider");
    let excluded: &[&str] = if school_or_provider_only {
        &["Institution", "Planning area"]
    } else {
        &["School", "Provider", "Institution", "Planning area"]
    };
    let li = input.data.index("geographic_level");
    let mut seen = HashSet::new();
    let mut duplicates = 0usize;
    for row in &input.data.rows {
        if excluded.contains(&Table::cell(row, li)) {
            continue;
        }
        let key: Vec<&str> = indices.iter().map(|i| Table::cell(row, *i)).collect();
        if !seen.insert(key) {
            duplicates += 1;
        }
    }
    let note = format!("({} rows were not checked)", excluded.join(", "));
    if duplicates == 0 {
        Finding::pass(format!("there are no duplicate rows {note}"))
    } else {
        Finding::fail(format!(
            "{duplicates} rows repeat another row's observational units and filters {note}"
        ))
    }
}

/// Symbols that EES reads as missing data: a FAIL anywhere in either file.
const NULL_SYMBOLS: [&str; 5] = ["NULL", "Null", "null", "NA", "na"];
/// Legacy no-data symbols: a WARNING in the data file.
const LEGACY_SYMBOLS: [&str; 5] = ["N/A", "n/a", ".", "..", "-"];

/// `general_null`: no cell of either file is `NULL`/`NA` (FAIL); no data cell is
/// a legacy no-data symbol `N/A`, `.`, `..`, `-` (WARNING).
pub(crate) fn general_null(input: &Input) -> Finding {
    let data_cells = || input.data.rows.iter().flatten().map(String::as_str);
    let null_in_data = data_cells().any(|v| NULL_SYMBOLS.contains(&v));
    let meta_cells: HashSet<&str> = input
        .meta
        .table
        .rows
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let null_in_meta: Vec<&str> = NULL_SYMBOLS
        .into_iter()
        .filter(|s| meta_cells.contains(s))
        .collect();
    if null_in_data || !null_in_meta.is_empty() {
        let mut parts = Vec::new();
        if null_in_data {
            parts.push(format!(
                "the data file has null symbols (checked: {})",
                quoted(&NULL_SYMBOLS)
            ));
        }
        if !null_in_meta.is_empty() {
            parts.push(format!("the metadata file has {}", quoted(&null_in_meta)));
        }
        return Finding::fail(parts.join("; "));
    }
    if data_cells().any(|v| LEGACY_SYMBOLS.contains(&v)) {
        return Finding::warning(format!(
            "the data file has legacy no-data symbols (checked: {}); use the GSS symbols",
            quoted(&LEGACY_SYMBOLS)
        ));
    }
    Finding::pass("no null or legacy no-data symbols in either file")
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, run};

    #[test]
    fn general_dupes_fails_on_a_repeated_row() {
        let last = DATA.lines().last().unwrap_or_default();
        let data = format!("{DATA}{last}\n");
        let outcome = run("general_dupes", &data, META);
        assert_eq!(outcome.level, Level::Fail);
        assert!(outcome.message.starts_with("1 rows"), "{}", outcome.message);
    }

    #[test]
    fn general_null_fails_on_na_and_warns_on_legacy_symbols() {
        let data = DATA.replacen(",54120,", ",NA,", 1);
        assert_eq!(run("general_null", &data, META).level, Level::Fail);
        let meta = META.replacen("Number of pupils,,", "Number of pupils,NULL,", 1);
        assert_eq!(run("general_null", DATA, &meta).level, Level::Fail);
        let data = DATA.replacen(",54120,", ",..,", 1);
        assert_eq!(run("general_null", &data, META).level, Level::Warning);
    }
}
