//! Stage `Check API` (data dictionary): column names and filter items from the EES
//! API data dictionary (`dfe-published-data-qa:data/data-dictionary.csv`). Both are
//! warnings: a file may publish, but not as an API data set.

use crate::Level;
use crate::reference::LOOKUPS;
use crate::screen::Finding;
use crate::table::{Input, is_blank, unique};

/// Every (col_type, column) the metadata names, as col_name or filter group.
fn meta_columns(input: &Input) -> Vec<(&str, &str)> {
    let mut columns: Vec<(&str, &str)> = Vec::new();
    for row in &input.meta.rows {
        for column in [&row.col_name, &row.filter_grouping_column] {
            let entry = (row.col_type.as_str(), column.as_str());
            if !is_blank(column) && !columns.contains(&entry) {
                columns.push(entry);
            }
        }
    }
    columns
}

fn in_dictionary(col_type: &str, column: &str) -> bool {
    LOOKUPS
        .dictionary_columns
        .contains(&(col_type.to_string(), column.to_string()))
}

/// `data_dict_col_name` (warning): every filter and indicator name is in the data
/// dictionary under its col_type.
pub(crate) fn data_dict_col_name(input: &Input) -> Finding {
    let missing: Vec<(&str, &str)> = meta_columns(input)
        .into_iter()
        .filter(|(col_type, column)| !in_dictionary(col_type, column))
        .collect();
    if missing.is_empty() {
        return Finding::pass("every col_name is in the data dictionary");
    }
    let of_type = |wanted: &str| -> Vec<&str> {
        missing
            .iter()
            .filter(|(col_type, _)| *col_type == wanted)
            .map(|(_, column)| *column)
            .collect()
    };
    let mut parts = Vec::new();
    for (wanted, heading) in [("Indicator", "indicators"), ("Filter", "filters")] {
        let columns = of_type(wanted);
        if !columns.is_empty() {
            parts.push(format!("{heading}: {}", crate::screen::quoted(&columns)));
        }
    }
    Finding::warning(format!(
        "not in the EES data dictionary, so not for an API data set until resolved: {}",
        parts.join("; ")
    ))
}

/// `data_dict_fil_item` (warning): every item of a dictionary filter is one of the
/// dictionary's items for that filter.
pub(crate) fn data_dict_fil_item(input: &Input) -> Finding {
    let filters: Vec<&str> = unique(
        meta_columns(input)
            .into_iter()
            .filter(|(col_type, column)| *col_type == "Filter" && in_dictionary(col_type, column))
            .map(|(_, column)| column),
    );
    if filters.is_empty() {
        return Finding::pass("no data dictionary filters in the metadata");
    }
    let mut unknown: Vec<String> = Vec::new();
    for filter in filters {
        let valid = LOOKUPS.dictionary_items.get(filter);
        for item in input.data.distinct(filter) {
            if !valid.is_some_and(|items| items.contains(item)) {
                unknown.push(format!("{filter} / {item}"));
            }
        }
    }
    unknown.sort();
    Finding::unless(
        &unknown,
        Level::Warning,
        "these col_name / filter_item pairs are not in the EES data dictionary",
        "every filter item is in the data dictionary",
    )
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, api_data, api_meta, run};

    #[test]
    fn data_dict_col_name_warns_on_names_outside_the_dictionary() {
        let outcome = run("data_dict_col_name", DATA, META);
        assert_eq!(outcome.level, Level::Warning);
        assert!(
            outcome
                .message
                .contains("indicators: 't_pupils', 'pt_overall'"),
            "{}",
            outcome.message
        );
        assert!(!outcome.message.contains("filters"), "{}", outcome.message);
        assert_eq!(
            run("data_dict_col_name", &api_data(), &api_meta()).level,
            Level::Pass
        );
    }

    #[test]
    fn data_dict_fil_item_warns_on_an_item_outside_the_dictionary() {
        let data = DATA.replace(",Female,", ",Girls and women,");
        let outcome = run("data_dict_fil_item", &data, META);
        assert_eq!(outcome.level, Level::Warning);
        assert!(
            outcome.message.contains("'sex / Girls and women'"),
            "{}",
            outcome.message
        );
    }
}
