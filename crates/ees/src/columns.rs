//! Stages `Precheck columns` and `Check columns`: which columns the two files have,
//! and how the data file's columns are named.

use crate::Level;
use crate::reference::{OPTIONAL_META_COLUMNS, REQUIRED_DATA_COLUMNS, REQUIRED_META_COLUMNS};
use crate::screen::{Finding, quoted};
use crate::table::Input;

/// `col_req_meta`: the metadata has all eight required columns.
pub(crate) fn col_req_meta(input: &Input) -> Finding {
    let missing: Vec<&str> = REQUIRED_META_COLUMNS
        .into_iter()
        .filter(|c| !input.meta.table.has(c))
        .collect();
    Finding::unless(
        &missing,
        Level::Fail,
        "required columns are missing from the metadata file",
        "the metadata file has every required column",
    )
}

/// `col_invalid_meta`: the metadata has no column beyond the required and optional ones.
pub(crate) fn col_invalid_meta(input: &Input) -> Finding {
    let invalid: Vec<&str> = input
        .meta
        .table
        .headers
        .iter()
        .map(String::as_str)
        .filter(|c| !REQUIRED_META_COLUMNS.contains(c) && !OPTIONAL_META_COLUMNS.contains(c))
        .collect();
    Finding::unless(
        &invalid,
        Level::Fail,
        "the metadata file has invalid columns",
        "the metadata file has no invalid columns",
    )
}

/// `col_req_data`: the data has the five mandatory columns.
pub(crate) fn col_req_data(input: &Input) -> Finding {
    let missing: Vec<&str> = REQUIRED_DATA_COLUMNS
        .into_iter()
        .filter(|c| !input.data.has(c))
        .collect();
    Finding::unless(
        &missing,
        Level::Fail,
        "required columns are missing from the data file",
        "the data file has every required column",
    )
}

/// `col_to_rows`: the metadata has no more rows than the data has columns beyond
/// the five mandatory ones (a sign of a mis-delimited file).
pub(crate) fn col_to_rows(input: &Input) -> Finding {
    let data_columns = input.data.headers.len() as i64 - 5;
    let meta_rows = input.meta.rows.len() as i64;
    if data_columns < meta_rows {
        Finding::fail(format!(
            "the metadata file has more rows ({meta_rows}) than the data file has \
             non-mandatory columns ({data_columns}); check the files' delimiters"
        ))
    } else {
        Finding::pass(format!(
            "the metadata file's {meta_rows} rows fit the data file's {data_columns} \
             non-mandatory columns"
        ))
    }
}

/// `col_names_spaces`: no data column name contains whitespace.
pub(crate) fn col_names_spaces(input: &Input) -> Finding {
    let spaced: Vec<&str> = input
        .data
        .headers
        .iter()
        .map(String::as_str)
        .filter(|h| h.chars().any(char::is_whitespace))
        .collect();
    Finding::unless(
        &spaced,
        Level::Fail,
        "remove the spaces from these data column names",
        "no data column name has a space",
    )
}

/// `col_snake_case` (warning): data column names use only `a-z`, `0-9` and `_`.
pub(crate) fn col_snake_case(input: &Input) -> Finding {
    let mut invalid: Vec<String> = Vec::new();
    for c in input.data.headers.iter().flat_map(|h| h.chars()) {
        let allowed = c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
        if !allowed && !invalid.contains(&c.to_string()) {
            invalid.push(c.to_string());
        }
    }
    Finding::unless(
        &invalid,
        Level::Warning,
        "these characters in data column names are not snake_case",
        "the data column names are snake_case",
    )
}

/// `col_var_start` (warning): data column names start with a lowercase letter.
pub(crate) fn col_var_start(input: &Input) -> Finding {
    let invalid: Vec<&str> = input
        .data
        .headers
        .iter()
        .map(String::as_str)
        .filter(|h| !h.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect();
    Finding::unless(
        &invalid,
        Level::Warning,
        "these data column names do not start with a lowercase letter",
        "every data column name starts with a lowercase letter",
    )
}

/// The filter items `col_ind_smushed` looks for inside indicator names.
const FILTER_WORDS: [&str; 19] = [
    "male",
    "female",
    "asian",
    "chinese",
    "indian",
    "pakistani",
    "bangladeshi",
    "black",
    "african",
    "caribbean",
    "white",
    "roma",
    "irish",
    "english",
    "british",
    "scottish",
    "welsh",
    "northern irish",
    "arab",
];

/// `col_ind_smushed`: no indicator name carries a filter item (`male_count`): the
/// data should be long, with the item in a filter.
pub(crate) fn col_ind_smushed(input: &Input) -> Finding {
    let smushed: Vec<&str> = input
        .meta
        .rows
        .iter()
        .filter(|r| r.is_indicator())
        .map(|r| r.col_name.as_str())
        .filter(|name| {
            let lower = name.to_lowercase();
            FILTER_WORDS.iter().any(|word| lower.contains(word))
        })
        .collect();
    Finding::unless(
        &smushed,
        Level::Fail,
        "these indicators look like filter items folded into indicator names; pivot \
         longer and add a filter",
        "no indicator name holds a typical filter item",
    )
}

/// `col_var_characteristic` (warning): no `characteristic` or `characteristic_group`
/// columns, which the EES table tool handles badly.
pub(crate) fn col_var_characteristic(input: &Input) -> Finding {
    let rows = &input.meta.rows;
    let found = rows
        .iter()
        .any(|r| r.col_name == "characteristic" || r.col_name == "characteristic_group")
        || rows
            .iter()
            .any(|r| r.filter_grouping_column == "characteristic_group");
    if found {
        Finding::warning(format!(
            "{} are not recommended for the EES table tool; use specific filters",
            quoted(&["characteristic", "characteristic_group"])
        ))
    } else {
        Finding::pass("the metadata has no characteristic or characteristic_group fields")
    }
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, run};

    #[test]
    fn col_req_meta_fails_without_label() {
        let meta = "col_name,col_type\nsex,Filter\n";
        assert_eq!(run("col_req_meta", DATA, meta).level, Level::Fail);
    }

    #[test]
    fn col_invalid_meta_fails_on_an_extra_column() {
        let meta = META.replacen("filter_default", "filter_default,notes", 1);
        let meta = meta.replace("\n", ",\n").replacen(",\n", "\n", 1);
        assert_eq!(run("col_invalid_meta", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn col_req_data_fails_without_country_name() {
        let data = "time_period,time_identifier,geographic_level,country_code\n\
                    202324,Academic year,National,E92000001\n";
        let outcome = run("col_req_data", data, META);
        assert_eq!(outcome.level, Level::Fail);
        assert!(outcome.message.contains("'country_name'"));
    }

    #[test]
    fn col_to_rows_fails_when_meta_outgrows_the_data() {
        let data = "time_period,time_identifier,geographic_level,country_code,country_name,sex\n\
                    202324,Academic year,National,E92000001,England,Total\n";
        assert_eq!(run("col_to_rows", data, META).level, Level::Fail);
    }

    #[test]
    fn col_names_spaces_fails_on_a_spaced_name() {
        let data = DATA.replacen(",sex,", ",pupil sex,", 1);
        assert_eq!(run("col_names_spaces", &data, META).level, Level::Fail);
    }

    #[test]
    fn col_snake_case_warns_on_capitals() {
        let data = DATA.replacen(",t_pupils,", ",t_SEN,", 1);
        let outcome = run("col_snake_case", &data, META);
        assert_eq!(outcome.level, Level::Warning);
        assert!(
            outcome.message.contains("'S', 'E', 'N'"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn col_var_start_warns_on_a_leading_digit() {
        let data = DATA.replacen(",t_pupils,", ",1_pupils,", 1);
        assert_eq!(run("col_var_start", &data, META).level, Level::Warning);
    }

    #[test]
    fn col_ind_smushed_fails_on_a_sex_in_an_indicator() {
        let meta = META.replacen("t_pupils,", "t_pupils_female,", 1);
        assert_eq!(run("col_ind_smushed", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn col_var_characteristic_warns_on_characteristic() {
        let meta = META.replacen("sex,Filter", "characteristic,Filter", 1);
        assert_eq!(
            run("col_var_characteristic", DATA, &meta).level,
            Level::Warning
        );
    }
}
