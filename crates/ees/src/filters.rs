//! Stages `Precheck filters` and `Check filters`: the filter columns' values.

use crate::Level;
use crate::reference::{looks_like_observational_unit, observational_units};
use crate::screen::Finding;
use crate::table::{Input, is_blank, unique};

/// The R screener's `filter_item_limit`: the most distinct items a filter may have.
const FILTER_ITEM_MAXIMUM: usize = 25_000;

/// `filter_not_singular`: every filter has at least two levels.
pub(crate) fn filter_not_singular(input: &Input) -> Finding {
    let singular: Vec<&str> = input
        .meta
        .filters()
        .into_iter()
        .filter(|f| input.data.n_distinct(f) < 2)
        .collect();
    Finding::unless(
        &singular,
        Level::Fail,
        "these filters have fewer than two levels; remove them from the metadata",
        "every filter has two or more levels",
    )
}

/// `filter_defaults` (warning): every filter has its default item (filter_default,
/// else `Total`), and every filter group without its own row has `Total`.
pub(crate) fn filter_defaults(input: &Input) -> Finding {
    let mut defaults: Vec<(&str, &str)> = input
        .meta
        .rows
        .iter()
        .filter(|r| r.is_filter())
        .map(|r| {
            let default = if is_blank(&r.filter_default) {
                "Total"
            } else {
                r.filter_default.as_str()
            };
            (r.col_name.as_str(), default)
        })
        .collect();
    for group in input.meta.filter_groups() {
        if !input.meta.rows.iter().any(|r| r.col_name == group) {
            defaults.push((group, "Total"));
        }
    }
    let missing: Vec<&str> = defaults
        .into_iter()
        .filter(|(column, default)| !input.data.values(column).any(|v| v == *default))
        .map(|(column, _)| column)
        .collect();
    Finding::unless(
        &missing,
        Level::Warning,
        "give these filters and filter groups a 'Total' item or a filter_default that is present",
        "every filter and filter group has its default item",
    )
}

/// `filter_group_level`: a filter group has no more levels than its filter.
pub(crate) fn filter_group_level(input: &Input) -> Finding {
    let inverted: Vec<String> = input
        .meta
        .rows
        .iter()
        .filter(|r| r.is_filter() && !is_blank(&r.filter_grouping_column))
        .filter_map(|r| {
            let filter_levels = input.data.n_distinct(&r.col_name);
            let group_levels = input.data.n_distinct(&r.filter_grouping_column);
            (filter_levels < group_levels).then(|| {
                format!(
                    "{} ({group_levels}) groups {} ({filter_levels})",
                    r.filter_grouping_column, r.col_name
                )
            })
        })
        .collect();
    Finding::unless(
        &inverted,
        Level::Fail,
        "these filter groups have more levels than their filters; the hierarchy looks \
         the wrong way round",
        "every filter group has no more levels than its filter",
    )
}

/// `filter_item_limit`: no filter or filter group has more than 25,000 items.
pub(crate) fn filter_item_limit(input: &Input) -> Finding {
    let large: Vec<&str> = input
        .meta
        .columns(true, true)
        .into_iter()
        .filter(|c| input.data.n_distinct(c) > FILTER_ITEM_MAXIMUM)
        .collect();
    Finding::unless(
        &large,
        Level::Fail,
        &format!("these filters have more than {FILTER_ITEM_MAXIMUM} distinct items"),
        "every filter and filter group is within the item limit",
    )
}

/// `filter_whitespace`: no filter item has leading or trailing whitespace.
///
/// The R check also means to cover the geography columns, but builds their names
/// with `as.character()` on a data frame, which yields deparsed vectors that match
/// no column; in effect only filters are checked, and so here.
pub(crate) fn filter_whitespace(input: &Input) -> Finding {
    let padded: Vec<&str> = unique(input.meta.filters())
        .into_iter()
        .flat_map(|f| input.data.distinct(f))
        .filter(|v| !is_blank(v) && *v != v.trim())
        .collect();
    Finding::unless(
        &padded,
        Level::Fail,
        "these filter items have leading or trailing whitespace",
        "no filter item has leading or trailing whitespace",
    )
}

/// `filter_ob_total`: observational-unit columns (and columns named like them) hold
/// no `Total`/`All` rows; those cells should be blank.
pub(crate) fn filter_ob_total(input: &Input) -> Finding {
    let school_or_provider = |c: &str| c == "school_name" || c == "provider_name";
    let units = observational_units();
    let headers: Vec<&str> = input.data.headers.iter().map(String::as_str).collect();
    let mut columns: Vec<&str> = units
        .into_iter()
        .filter(|u| !school_or_provider(u) && headers.contains(u))
        .collect();
    columns.extend(
        headers
            .iter()
            .copied()
            .filter(|h| looks_like_observational_unit(h)),
    );
    let mut columns = unique(columns);
    let filters = input.meta.filters();
    let groups = input.meta.filter_groups();
    if filters.len() == 1
        && (filters.first().is_some_and(|f| school_or_provider(f))
            || groups.first().is_some_and(|g| school_or_provider(g)))
    {
        columns.retain(|c| !school_or_provider(c));
    }
    let with_total: Vec<&str> = columns
        .into_iter()
        .filter(|c| {
            input
                .data
                .values(c)
                .any(|v| matches!(v, "Total" | "total" | "All" | "all"))
        })
        .collect();
    Finding::unless(
        &with_total,
        Level::Fail,
        "these observational-unit columns have Total or All rows; leave those cells blank",
        "no observational-unit column has Total or All rows",
    )
}

/// `filter_blanks`: no filter or filter group cell is blank.
pub(crate) fn filter_blanks(input: &Input) -> Finding {
    let with_blanks: Vec<&str> = unique(input.meta.filters_and_groups())
        .into_iter()
        .filter(|c| input.data.values(c).any(is_blank))
        .collect();
    Finding::unless(
        &with_blanks,
        Level::Fail,
        "every filter cell needs a value; these columns have blanks",
        "no filter or filter group has blanks",
    )
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, national, run};

    const HEADER: &str = "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column,filter_default\n";

    #[test]
    fn filter_not_singular_fails_on_a_one_level_filter() {
        let data = DATA
            .replace(",Female,", ",Total,")
            .replace(",Male,", ",Total,");
        assert_eq!(run("filter_not_singular", &data, META).level, Level::Fail);
    }

    #[test]
    fn filter_defaults_warns_without_total() {
        let data = DATA.replace(",Total,", ",All,");
        let outcome = run("filter_defaults", &data, META);
        assert_eq!(outcome.level, Level::Warning);
        assert!(outcome.message.contains("'sex'"), "{}", outcome.message);
        assert!(
            !outcome.message.contains("social_care_group"),
            "{}",
            outcome.message
        );
        let meta = META.replacen(",All pupils comparison\n", ",\n", 1);
        let outcome = run("filter_defaults", DATA, &meta);
        assert_eq!(
            outcome.level,
            Level::Warning,
            "no Total in social_care_group"
        );
    }

    #[test]
    fn filter_group_level_fails_when_the_group_is_finer() {
        let meta = format!(
            "{HEADER}phase,Filter,Phase,,,,,school_type,\nschool_type,Filter,School type,,,,,,\n"
        );
        let data = national(
            ",phase,school_type",
            &[",Total,Total", ",Total,Academy", ",Primary,Special"],
        );
        assert_eq!(run("filter_group_level", &data, &meta).level, Level::Fail);
    }

    #[test]
    fn filter_item_limit_fails_beyond_25000_items() {
        let meta = format!("{HEADER}pupil,Filter,Pupil,,,,,,\n");
        let rows: Vec<String> = (0..25_001).map(|i| format!(",p{i}")).collect();
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let data = national(",pupil", &rows);
        assert_eq!(run("filter_item_limit", &data, &meta).level, Level::Fail);
    }

    #[test]
    fn filter_whitespace_fails_on_a_padded_item() {
        let data = DATA.replacen(",Female,", ",Female ,", 1);
        assert_eq!(run("filter_whitespace", &data, META).level, Level::Fail);
    }

    #[test]
    fn filter_ob_total_fails_on_a_total_la_name() {
        let data = DATA.replacen("\"Bristol, City of\"", "Total", 1);
        let outcome = run("filter_ob_total", &data, META);
        assert_eq!(outcome.level, Level::Fail);
        assert!(outcome.message.contains("'la_name'"));
    }

    #[test]
    fn filter_blanks_fails_on_a_blank_filter_cell() {
        let data = DATA.replacen(",Female,", ",,", 1);
        assert_eq!(run("filter_blanks", &data, META).level, Level::Fail);
    }
}
