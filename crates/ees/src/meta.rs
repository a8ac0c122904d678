//! Stages `Precheck meta` and `Check meta`: the metadata file's fields.

use std::collections::HashSet;

use crate::Level;
use crate::reference::{INDICATOR_UNITS, looks_like_observational_unit, observational_units};
use crate::screen::{Finding, quoted};
use crate::table::{Input, duplicated, is_blank, unique};

/// The metadata rows of one type whose `field` is filled in.
fn filled(
    input: &Input,
    indicator: bool,
    field: impl Fn(&crate::table::MetaRow) -> &str,
) -> Vec<&str> {
    input
        .meta
        .rows
        .iter()
        .filter(|r| {
            if indicator {
                r.is_indicator()
            } else {
                r.is_filter()
            }
        })
        .filter(|r| !is_blank(field(r)))
        .map(|r| r.col_name.as_str())
        .collect()
}

/// `meta_col_type`: every col_type is `Filter` or `Indicator`.
pub(crate) fn meta_col_type(input: &Input) -> Finding {
    let invalid: Vec<&str> = unique(input.meta.rows.iter().map(|r| r.col_type.as_str()))
        .into_iter()
        .filter(|t| *t != "Filter" && *t != "Indicator")
        .collect();
    Finding::unless(
        &invalid,
        Level::Fail,
        "col_type must be 'Filter' or 'Indicator'; found",
        "col_type is always 'Filter' or 'Indicator'",
    )
}

/// `meta_ob_unit`: no observational unit (time, level or geography column) is
/// listed in the metadata; `school_name` and `provider_name` may be filters.
pub(crate) fn meta_ob_unit(input: &Input) -> Finding {
    let listed = input.meta.columns(true, false);
    let units: Vec<&str> = observational_units()
        .into_iter()
        .filter(|u| *u != "school_name" && *u != "provider_name")
        .filter(|u| listed.contains(u))
        .collect();
    Finding::unless(
        &units,
        Level::Fail,
        "remove these observational units from the metadata file",
        "no observational units are in the metadata file",
    )
}

/// `meta_col_name`: every metadata row has a col_name.
pub(crate) fn meta_col_name(input: &Input) -> Finding {
    let blank = input
        .meta
        .rows
        .iter()
        .filter(|r| r.col_name.trim().is_empty())
        .count();
    if blank == 0 {
        Finding::pass("every metadata row has a col_name")
    } else {
        Finding::fail(format!("{blank} metadata rows have no col_name"))
    }
}

/// `meta_dupe_label`: labels are unique.
pub(crate) fn meta_dupe_label(input: &Input) -> Finding {
    let duplicates = duplicated(input.meta.rows.iter().map(|r| r.label.as_str()));
    Finding::unless(
        &duplicates,
        Level::Fail,
        "these labels appear more than once in the metadata",
        "every label is unique",
    )
}

/// `meta_fil_grp`: indicators have no filter_grouping_column.
pub(crate) fn meta_fil_grp(input: &Input) -> Finding {
    let grouped = filled(input, true, |r| &r.filter_grouping_column);
    Finding::unless(
        &grouped,
        Level::Fail,
        "indicators must not have a filter_grouping_column; these do",
        "no indicator has a filter_grouping_column",
    )
}

/// `meta_fil_grp_dupe`: no filter group is used twice.
pub(crate) fn meta_fil_grp_dupe(input: &Input) -> Finding {
    let groups = input.meta.filter_groups();
    let duplicates = unique(duplicated(groups.iter().copied()));
    Finding::unless(
        &duplicates,
        Level::Fail,
        "these filter_grouping_column values are repeated",
        "every filter group is unique",
    )
}

/// `meta_fil_grp_is_fil` (warning): every filter group has its own metadata row.
pub(crate) fn meta_fil_grp_is_fil(input: &Input) -> Finding {
    let missing: Vec<&str> = input
        .meta
        .filter_groups()
        .into_iter()
        .filter(|g| !input.meta.rows.iter().any(|r| r.col_name == *g))
        .collect();
    Finding::unless(
        &missing,
        Level::Warning,
        "filter groups should also appear in col_name; add rows for",
        "every filter group appears in col_name",
    )
}

/// `meta_fil_grp_match`: every filter group is a column of the data.
pub(crate) fn meta_fil_grp_match(input: &Input) -> Finding {
    let missing: Vec<&str> = unique(input.meta.filter_groups())
        .into_iter()
        .filter(|g| !input.data.has(g))
        .collect();
    Finding::unless(
        &missing,
        Level::Fail,
        "these filter groups are not columns of the data file",
        "every filter group is in the data file",
    )
}

/// `meta_fil_grp_stripped`: a filter group's distinct items stay distinct once
/// everything but letters and digits is stripped (`Key stage 2` vs `Key-stage 2`).
pub(crate) fn meta_fil_grp_stripped(input: &Input) -> Finding {
    let mut suspect: Vec<&str> = Vec::new();
    for group in input.meta.filter_groups() {
        let raw = input.data.distinct(group);
        let stripped: HashSet<Option<String>> = raw
            .iter()
            .map(|v| (!is_blank(v)).then(|| v.chars().filter(|c| c.is_alphanumeric()).collect()))
            .collect();
        if stripped.len() != raw.len() {
            suspect.extend(raw);
        }
    }
    Finding::unless(
        &suspect,
        Level::Fail,
        "filter group items collide once punctuation and spaces are stripped; check",
        "filter group items stay distinct without punctuation",
    )
}

/// `meta_label`: every metadata row has a label.
pub(crate) fn meta_label(input: &Input) -> Finding {
    let blank = input
        .meta
        .rows
        .iter()
        .filter(|r| is_blank(&r.label) || r.label == " ")
        .count();
    if blank == 0 {
        Finding::pass("every metadata row has a label")
    } else {
        Finding::fail(format!("{blank} metadata rows have no label"))
    }
}

/// `meta_filter_hint`: indicators have no filter_hint.
pub(crate) fn meta_filter_hint(input: &Input) -> Finding {
    let hinted = filled(input, true, |r| &r.filter_hint);
    Finding::unless(
        &hinted,
        Level::Fail,
        "indicators must not have a filter_hint; these do",
        "no indicator has a filter_hint",
    )
}

/// `meta_geog_catch`: no filter or filter group looks like a geography column
/// (`potential_ob_units_regex`), except a lone `school_name` / `provider_name` filter.
pub(crate) fn meta_geog_catch(input: &Input) -> Finding {
    let filters = input.meta.filters();
    let groups = input.meta.filter_groups();
    let school_or_provider =
        |c: Option<&&str>| c.is_some_and(|c| *c == "school_name" || *c == "provider_name");
    let mut candidates: Vec<&str> = filters.iter().chain(groups.iter()).copied().collect();
    if filters.len() == 1
        && (school_or_provider(filters.first()) || school_or_provider(groups.first()))
    {
        candidates.retain(|c| *c != "school_name" && *c != "provider_name");
    }
    let caught: Vec<&str> = candidates
        .into_iter()
        .filter(|c| looks_like_observational_unit(c))
        .collect();
    Finding::unless(
        &caught,
        Level::Fail,
        "these filters look like geography columns and should not be in the metadata",
        "no filter looks like a mislabelled geography column",
    )
}

/// `meta_indicator_dp`: filters have no indicator_dp.
pub(crate) fn meta_indicator_dp(input: &Input) -> Finding {
    let with_dp = filled(input, false, |r| &r.indicator_dp);
    Finding::unless(
        &with_dp,
        Level::Fail,
        "filters must not have an indicator_dp; these do",
        "no filter has an indicator_dp",
    )
}

/// `meta_col_name_spaces`: no col_name contains whitespace.
pub(crate) fn meta_col_name_spaces(input: &Input) -> Finding {
    let spaced: Vec<&str> = input
        .meta
        .rows
        .iter()
        .map(|r| r.col_name.as_str())
        .filter(|c| c.chars().any(char::is_whitespace))
        .collect();
    Finding::unless(
        &spaced,
        Level::Fail,
        "these col_name values have spaces",
        "no col_name has a space",
    )
}

/// `meta_col_name_dupe`: col_name values are unique.
pub(crate) fn meta_col_name_dupe(input: &Input) -> Finding {
    let duplicates = duplicated(input.meta.rows.iter().map(|r| r.col_name.as_str()));
    Finding::unless(
        &duplicates,
        Level::Fail,
        "these col_name values appear more than once",
        "every col_name is unique",
    )
}

/// `meta_ind_dp_set` (warning): every indicator states its decimal places.
pub(crate) fn meta_ind_dp_set(input: &Input) -> Finding {
    let unset: Vec<&str> = input
        .meta
        .rows
        .iter()
        .filter(|r| r.is_indicator() && r.indicator_dp.trim().is_empty())
        .map(|r| r.col_name.as_str())
        .collect();
    Finding::unless(
        &unset,
        Level::Warning,
        "these indicators do not state indicator_dp (EES then shows 2 dp)",
        "every indicator states indicator_dp",
    )
}

/// `meta_ind_dp_values`: indicator_dp is blank or a whole number ≥ 0 (R's
/// `as.numeric`: surrounding spaces allowed, `NaN` reads as missing).
pub(crate) fn meta_ind_dp_values(input: &Input) -> Finding {
    let invalid: Vec<&str> = input
        .meta
        .rows
        .iter()
        .map(|r| r.indicator_dp.as_str())
        .filter(|dp| !dp.trim().is_empty())
        .filter(|dp| match dp.trim().parse::<f64>() {
            Ok(value) if value.is_nan() => false,
            Ok(value) => !(value.fract() == 0.0 && value >= 0.0),
            Err(_) => true,
        })
        .collect();
    Finding::unless(
        &invalid,
        Level::Fail,
        "indicator_dp must be blank, zero or a positive whole number; found",
        "indicator_dp holds only blanks, zero or positive whole numbers",
    )
}

/// `meta_ind_unit`: filters have no indicator_unit.
pub(crate) fn meta_ind_unit(input: &Input) -> Finding {
    let with_unit = filled(input, false, |r| &r.indicator_unit);
    Finding::unless(
        &with_unit,
        Level::Fail,
        "filters must not have an indicator_unit; these do",
        "no filter has an indicator_unit",
    )
}

/// `meta_ind_unit_validation`: indicator units are blank or one of
/// `%`, `pp`, `£`, `£m`, `numberstring`.
pub(crate) fn meta_ind_unit_validation(input: &Input) -> Finding {
    let invalid: Vec<&str> = unique(
        input
            .meta
            .rows
            .iter()
            .filter(|r| r.is_indicator() && !is_blank(&r.indicator_unit))
            .map(|r| r.indicator_unit.as_str()),
    )
    .into_iter()
    .filter(|u| !INDICATOR_UNITS.contains(u))
    .collect();
    Finding::unless(
        &invalid,
        Level::Fail,
        &format!(
            "indicator_unit must be blank or one of {}; found",
            quoted(&INDICATOR_UNITS)
        ),
        "every indicator_unit is valid",
    )
}

/// `meta_indicator_grouping`: filters have no indicator_grouping.
pub(crate) fn meta_indicator_grouping(input: &Input) -> Finding {
    let grouped = filled(input, false, |r| &r.indicator_grouping);
    Finding::unless(
        &grouped,
        Level::Fail,
        "filters must not have an indicator_grouping; these do",
        "no filter has an indicator_grouping",
    )
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, run};

    const HEADER: &str = "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column,filter_default\n";

    fn meta_with(rows: &str) -> String {
        format!("{HEADER}{rows}")
    }

    /// The Bristol data with a `sex_group` column grouping `sex`.
    fn grouped_data(group_of: impl Fn(&str) -> &'static str) -> String {
        let mut lines = DATA.lines();
        let mut text = format!("{},sex_group\n", lines.next().unwrap_or_default());
        for line in lines {
            // Field 12 of a naive split: `"Bristol, City of"` holds a comma.
            let sex = line.split(',').nth(12).unwrap_or_default();
            text.push_str(&format!("{line},{}\n", group_of(sex)));
        }
        text
    }

    #[test]
    fn meta_col_type_fails_on_an_unknown_type() {
        let meta = META.replacen("sex,Filter", "sex,Filtre", 1);
        assert_eq!(run("meta_col_type", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_ob_unit_fails_on_la_name_in_the_metadata() {
        let meta = format!("{META}la_name,Filter,Local authority,,,,,,\n");
        assert_eq!(run("meta_ob_unit", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_col_name_fails_on_a_blank_name() {
        let meta = meta_with("sex,Filter,Sex,,,,,,\n ,Indicator,Pupils,,,0,,,\n");
        assert_eq!(run("meta_col_name", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_dupe_label_fails_on_a_repeated_label() {
        let meta = META.replacen("Number of pupils", "Sex", 1);
        assert_eq!(run("meta_dupe_label", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_fil_grp_fails_on_a_grouped_indicator() {
        let meta = META.replacen(
            "t_pupils,Indicator,Number of pupils,,,0,,",
            "t_pupils,Indicator,Number of pupils,,,0,,sex",
            1,
        );
        assert_eq!(run("meta_fil_grp", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_fil_grp_dupe_fails_on_a_reused_group() {
        let meta = meta_with("a,Filter,A,,,,,g,\nb,Filter,B,,,,,g,\n");
        assert_eq!(run("meta_fil_grp_dupe", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_fil_grp_is_fil_warns_on_a_group_without_a_row() {
        let meta = META.replacen("sex,Filter,Sex,,,,,", "sex,Filter,Sex,,,,,sex_group", 1);
        let data = grouped_data(|_| "All");
        assert_eq!(
            run("meta_fil_grp_is_fil", &data, &meta).level,
            Level::Warning
        );
    }

    #[test]
    fn meta_fil_grp_match_fails_on_a_group_missing_from_the_data() {
        let meta = META.replacen("sex,Filter,Sex,,,,,", "sex,Filter,Sex,,,,,sex_group", 1);
        assert_eq!(run("meta_fil_grp_match", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_fil_grp_stripped_fails_when_items_collide() {
        let meta = META.replacen("sex,Filter,Sex,,,,,", "sex,Filter,Sex,,,,,sex_group", 1);
        let data = grouped_data(|sex| {
            if sex == "Male" {
                "Known-sex"
            } else {
                "Known sex"
            }
        });
        let outcome = run("meta_fil_grp_stripped", &data, &meta);
        assert_eq!(outcome.level, Level::Fail, "{}", outcome.message);
    }

    #[test]
    fn meta_label_fails_on_a_blank_label() {
        let meta = META.replacen("Number of pupils", "", 1);
        assert_eq!(run("meta_label", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_filter_hint_fails_on_a_hinted_indicator() {
        let meta = META.replacen(
            "t_pupils,Indicator,Number of pupils,,,0,",
            "t_pupils,Indicator,Number of pupils,,,0,Pick one",
            1,
        );
        assert_eq!(run("meta_filter_hint", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_geog_catch_fails_on_a_geography_filter() {
        let meta = META.replacen("sex,Filter", "school_urn,Filter", 1);
        assert_eq!(run("meta_geog_catch", DATA, &meta).level, Level::Fail);
        let lone_school = meta_with("school_name,Filter,School,,,,,,\n");
        assert_eq!(
            run("meta_geog_catch", DATA, &lone_school).level,
            Level::Pass
        );
    }

    #[test]
    fn meta_indicator_dp_fails_on_a_filter_dp() {
        let meta = META.replacen("sex,Filter,Sex,,,,", "sex,Filter,Sex,,,1,", 1);
        assert_eq!(run("meta_indicator_dp", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_col_name_spaces_fails_on_a_spaced_name() {
        let meta = META.replacen("t_pupils,", "t pupils,", 1);
        assert_eq!(run("meta_col_name_spaces", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_col_name_dupe_fails_on_a_repeated_name() {
        let meta = format!("{META}sex,Filter,Sex again,,,,,,\n");
        assert_eq!(run("meta_col_name_dupe", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_ind_dp_set_warns_on_a_missing_dp() {
        let meta = META.replacen("Number of pupils,,,0,", "Number of pupils,,,,", 1);
        assert_eq!(run("meta_ind_dp_set", DATA, &meta).level, Level::Warning);
    }

    #[test]
    fn meta_ind_dp_values_fails_on_fractional_negative_or_text() {
        for dp in ["1.5", "-1", "two"] {
            let meta = META.replacen(
                "Number of pupils,,,0,",
                &format!("Number of pupils,,,{dp},"),
                1,
            );
            assert_eq!(
                run("meta_ind_dp_values", DATA, &meta).level,
                Level::Fail,
                "{dp}"
            );
        }
        let meta = META.replacen("Number of pupils,,,0,", "Number of pupils,,, 2 ,", 1);
        assert_eq!(run("meta_ind_dp_values", DATA, &meta).level, Level::Pass);
    }

    #[test]
    fn meta_ind_unit_fails_on_a_filter_unit() {
        let meta = META.replacen("sex,Filter,Sex,,", "sex,Filter,Sex,,%", 1);
        assert_eq!(run("meta_ind_unit", DATA, &meta).level, Level::Fail);
    }

    #[test]
    fn meta_ind_unit_validation_fails_on_percent_spelt_out() {
        let meta = META.replacen(",%,", ",percent,", 1);
        assert_eq!(
            run("meta_ind_unit_validation", DATA, &meta).level,
            Level::Fail
        );
    }

    #[test]
    fn meta_indicator_grouping_fails_on_a_grouped_filter() {
        let meta = META.replacen("sex,Filter,Sex,", "sex,Filter,Sex,Pupils", 1);
        assert_eq!(
            run("meta_indicator_grouping", DATA, &meta).level,
            Level::Fail
        );
    }
}
