//! Stage `Check API` (character limits): names, labels, codes and items short
//! enough for the EES API. All four are warnings.

use crate::Level;
use crate::reference::{
    COLUMN_LABEL_LIMIT, COLUMN_NAME_LIMIT, FILTER_ITEM_LIMIT, LOCATION_CODE_LIMIT,
    geography_code_columns, geography_name_columns,
};
use crate::screen::Finding;
use crate::table::{Input, is_blank, unique};

/// The values longer than `limit` characters, blanks aside.
fn too_long<'a>(values: impl IntoIterator<Item = &'a str>, limit: usize, what: &str) -> Finding {
    let long: Vec<&str> = values
        .into_iter()
        .filter(|v| !is_blank(v) && v.chars().count() > limit)
        .collect();
    Finding::unless(
        &long,
        Level::Warning,
        &format!("these {what} exceed the EES API limit of {limit} characters"),
        &format!("every one of the {what} is within {limit} characters"),
    )
}

/// The distinct values of each of `columns` the data has.
fn distinct_values<'a>(input: &'a Input, columns: &[&str]) -> Vec<&'a str> {
    input
        .data
        .headers
        .iter()
        .map(String::as_str)
        .filter(|h| columns.contains(h))
        .flat_map(|h| input.data.distinct(h))
        .collect()
}

/// `api_char_col_name` (warning): data column names are at most 50 characters.
pub(crate) fn api_char_col_name(input: &Input) -> Finding {
    let names = input.data.headers.iter().map(String::as_str);
    too_long(names, COLUMN_NAME_LIMIT, "filter / indicator names")
}

/// `api_char_col_label` (warning): metadata labels are at most 100 characters.
pub(crate) fn api_char_col_label(input: &Input) -> Finding {
    let labels = input.meta.rows.iter().map(|r| r.label.as_str());
    too_long(labels, COLUMN_LABEL_LIMIT, "filter / indicator labels")
}

/// `api_char_loc_code` (warning): location codes are at most 30 characters.
pub(crate) fn api_char_loc_code(input: &Input) -> Finding {
    let codes = distinct_values(input, &geography_code_columns());
    too_long(codes, LOCATION_CODE_LIMIT, "location codes")
}

/// `api_char_filter_items` (warning): filter items and location names are at most
/// 120 characters.
pub(crate) fn api_char_filter_items(input: &Input) -> Finding {
    let mut columns = input.meta.filters_and_groups();
    columns.extend(geography_name_columns());
    let items = distinct_values(input, &unique(columns));
    too_long(items, FILTER_ITEM_LIMIT, "filter items / location names")
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, run};

    #[test]
    fn api_char_col_name_warns_on_a_long_name() {
        let long = "t_pupils_with_a_name_that_goes_on_well_past_fifty_chars";
        let data = DATA.replacen(",t_pupils,", &format!(",{long},"), 1);
        assert_eq!(run("api_char_col_name", &data, META).level, Level::Warning);
    }

    #[test]
    fn api_char_col_label_warns_on_a_long_label() {
        let meta = META.replacen("Number of pupils", &"Number of pupils ".repeat(7), 1);
        assert_eq!(run("api_char_col_label", DATA, &meta).level, Level::Warning);
    }

    #[test]
    fn api_char_loc_code_warns_on_a_long_code() {
        let data = DATA.replace("E06000023", "E06000023E06000023E06000023E060");
        assert_eq!(run("api_char_loc_code", &data, META).level, Level::Warning);
    }

    #[test]
    fn api_char_filter_items_warns_on_a_long_item() {
        let data = DATA.replacen(",Female,", &format!(",{},", "Female ".repeat(18)), 1);
        assert_eq!(
            run("api_char_filter_items", &data, META).level,
            Level::Warning
        );
    }
}
