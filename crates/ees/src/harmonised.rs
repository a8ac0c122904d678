//! Stage `Check harmonised`: DfE harmonised variable names and GSS ethnicity values.

use crate::Level;
use crate::reference::LOOKUPS;
use crate::screen::Finding;
use crate::table::{Input, unique};

/// `harmonised_variables`: a column whose name suggests a harmonised variable (it
/// contains `sen_`, `ethnic`, `school_type`, …) uses the harmonised name
/// (`sen_status`, `ethnicity_major`, `establishment_type`, …).
pub(crate) fn harmonised_variables(input: &Input) -> Finding {
    let harmonised = &LOOKUPS.harmonised;
    let bad: Vec<&str> = input
        .meta
        .columns(true, false)
        .into_iter()
        .filter(|c| {
            let lower = c.to_lowercase();
            harmonised
                .iter()
                .any(|(search, _)| lower.contains(search.as_str()))
                && !harmonised.iter().any(|(_, name)| name == c)
        })
        .collect();
    Finding::unless(
        &bad,
        Level::Fail,
        "these columns look like harmonised variables but do not use the harmonised names",
        "no harmonised column name issues",
    )
}

/// The distinct values of `column`, for those not in `acceptable`.
fn nonstandard<'a>(input: &'a Input, column: &str, acceptable: &[&str]) -> Vec<&'a str> {
    input
        .data
        .distinct(column)
        .into_iter()
        .filter(|v| !acceptable.contains(v))
        .collect()
}

/// `harmonised_eth_vals` (warning): ethnicity_major / ethnicity_minor values (or
/// their pairs, when both are present) follow the GSS standard.
pub(crate) fn harmonised_eth_vals(input: &Input) -> Finding {
    let ethnicity = &LOOKUPS.ethnicity;
    let (has_major, has_minor) = (
        input.data.has("ethnicity_major"),
        input.data.has("ethnicity_minor"),
    );
    let found: Vec<String> = match (has_major, has_minor) {
        (false, false) => return Finding::pass("no ethnicity columns"),
        (true, true) => {
            let majors: Vec<&str> = input.data.values("ethnicity_major").collect();
            let minors = input.data.values("ethnicity_minor");
            let pairs: Vec<String> = majors
                .iter()
                .zip(minors)
                .filter(|(major, minor)| {
                    !ethnicity.iter().any(|(a, b)| a == **major && b == *minor)
                })
                .map(|(major, minor)| format!("{major}, {minor}"))
                .collect();
            unique(pairs.iter().map(String::as_str))
                .into_iter()
                .map(str::to_string)
                .collect()
        }
        (true, false) => {
            let majors: Vec<&str> = ethnicity.iter().map(|(a, _)| a.as_str()).collect();
            nonstandard(input, "ethnicity_major", &majors)
                .into_iter()
                .map(str::to_string)
                .collect()
        }
        (false, true) => {
            let minors: Vec<&str> = ethnicity.iter().map(|(_, b)| b.as_str()).collect();
            nonstandard(input, "ethnicity_minor", &minors)
                .into_iter()
                .map(str::to_string)
                .collect()
        }
    };
    Finding::unless(
        &found,
        Level::Warning,
        "these ethnicity values do not follow the GSS standard",
        "every ethnicity value follows the GSS standard",
    )
}

/// The characteristic_group labels for ethnicity: the harmonised ethnicity names
/// in title case (`Ethnicity Major`, …, `Minority Ethnic`).
fn ethnicity_groups() -> Vec<String> {
    let names = unique(
        LOOKUPS
            .harmonised
            .iter()
            .filter(|(search, _)| search.contains("ethnic"))
            .map(|(_, name)| name.as_str()),
    );
    names
        .into_iter()
        .map(|name| {
            name.split('_')
                .map(|word| {
                    let mut chars = word.chars();
                    chars.next().map_or_else(String::new, |first| {
                        first.to_uppercase().chain(chars).collect()
                    })
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// `harmonised_eth_char_grp`: a characteristic_group about ethnicity contains one of
/// the standard labels (`Ethnicity Major`, …; case sensitive).
pub(crate) fn harmonised_eth_char_grp(input: &Input) -> Finding {
    if !input.data.has("characteristic_group") {
        return Finding::pass("no characteristic_group column");
    }
    let standard = ethnicity_groups();
    let bad: Vec<&str> = input
        .data
        .distinct("characteristic_group")
        .into_iter()
        .filter(|g| g.to_lowercase().contains("ethnic"))
        .filter(|g| !standard.iter().any(|s| g.contains(s.as_str())))
        .collect();
    Finding::unless(
        &bad,
        Level::Fail,
        &format!(
            "these ethnicity characteristic_group values do not use the standard labels ({})",
            standard.join(", ")
        ),
        "every ethnicity characteristic_group uses the standard labels",
    )
}

/// `harmonised_eth_char_vals` (warning): the characteristic of an ethnicity
/// characteristic_group is a GSS ethnicity value.
pub(crate) fn harmonised_eth_char_vals(input: &Input) -> Finding {
    if !input.data.has("characteristic_group") || !input.data.has("characteristic") {
        return Finding::pass("no characteristic_group and characteristic columns");
    }
    let groups = input.data.values("characteristic_group");
    let characteristics = input.data.values("characteristic");
    let ethnicity = &LOOKUPS.ethnicity;
    let bad = unique(
        groups
            .zip(characteristics)
            .filter(|(group, _)| group.to_lowercase().contains("ethnic"))
            .map(|(_, characteristic)| characteristic)
            .filter(|c| {
                !ethnicity
                    .iter()
                    .any(|(major, minor)| major == c || minor == c)
            }),
    );
    Finding::unless(
        &bad,
        Level::Warning,
        "these ethnicity characteristic values do not follow the GSS standard",
        "every ethnicity characteristic follows the GSS standard",
    )
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, national, run};

    const ETHNICITY_META: &str = "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column,filter_default\nethnicity_minor,Filter,Ethnicity,,,,,ethnicity_major,\n";

    #[test]
    fn harmonised_variables_fails_on_a_non_standard_sen_name() {
        let meta = META.replacen("sex,Filter", "sen_support,Filter", 1);
        let outcome = run("harmonised_variables", DATA, &meta);
        assert_eq!(outcome.level, Level::Fail);
        assert!(outcome.message.contains("'sen_support'"));
    }

    #[test]
    fn harmonised_eth_vals_warns_on_a_non_gss_pair() {
        let data = national(
            ",ethnicity_major,ethnicity_minor",
            &[",Total,Total", ",White,Irish", ",Asian,Indian"],
        );
        let outcome = run("harmonised_eth_vals", &data, ETHNICITY_META);
        assert_eq!(outcome.level, Level::Warning);
        assert!(
            outcome.message.contains("'Asian, Indian'"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn harmonised_eth_char_grp_fails_on_a_non_standard_group() {
        let data = national(
            ",characteristic_group,characteristic",
            &[",Ethnic group,White", ",Ethnicity Major,White"],
        );
        let outcome = run("harmonised_eth_char_grp", &data, META);
        assert_eq!(outcome.level, Level::Fail);
        assert!(
            outcome.message.contains("'Ethnic group'"),
            "{}",
            outcome.message
        );
        assert!(
            !outcome.message.contains("'Ethnicity Major'"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn harmonised_eth_char_vals_warns_on_a_non_gss_value() {
        let data = national(
            ",characteristic_group,characteristic",
            &[",Ethnicity Major,Asian", ",Ethnicity Major,White"],
        );
        let outcome = run("harmonised_eth_char_vals", &data, META);
        assert_eq!(outcome.level, Level::Warning);
        assert!(outcome.message.contains("'Asian'"), "{}", outcome.message);
    }
}
