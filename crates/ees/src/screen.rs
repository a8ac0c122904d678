//! The running order: every check, its stage, and [`screen`], which runs the stages
//! in turn and stops after the first stage with a FAIL (`screen_dfs()`'s
//! `run_and_log_check()`).

use crate::table::Input;
use crate::{EesError, Level, Outcome, Report, Stage};
use crate::{api, columns, cross, dictionary, filename, filters, general, geography};
use crate::{harmonised, indicators, meta, time};

/// What one check found, before the runner names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) level: Level,
    pub(crate) message: String,
}

impl Finding {
    pub(crate) fn pass(message: impl Into<String>) -> Finding {
        Finding {
            level: Level::Pass,
            message: message.into(),
        }
    }

    pub(crate) fn warning(message: impl Into<String>) -> Finding {
        Finding {
            level: Level::Warning,
            message: message.into(),
        }
    }

    pub(crate) fn fail(message: impl Into<String>) -> Finding {
        Finding {
            level: Level::Fail,
            message: message.into(),
        }
    }

    /// PASS with `pass` when `problems` is empty, otherwise `level` with `problem`
    /// followed by the quoted problems.
    pub(crate) fn unless<S: AsRef<str>>(
        problems: &[S],
        level: Level,
        problem: &str,
        pass: &str,
    ) -> Finding {
        if problems.is_empty() {
            Finding::pass(pass)
        } else {
            Finding {
                level,
                message: format!("{problem}: {}", quoted(problems)),
            }
        }
    }
}

/// `'a', 'b', 'c'`; a blank value shows as `NA`, as the R screener prints it.
pub(crate) fn quoted<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|item| {
            let item = item.as_ref();
            if item.is_empty() {
                "NA".to_string()
            } else {
                format!("'{item}'")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One check: its screener name, its stage, and the function that runs it.
pub(crate) struct Check {
    pub(crate) name: &'static str,
    pub(crate) stage: Stage,
    pub(crate) run: fn(&Input) -> Finding,
}

macro_rules! checks {
    ($( $stage:ident : [ $( $module:ident :: $check:ident ),* $(,)? ] )*) => {
        /// Every check in running order.
        pub(crate) const REGISTRY: &[Check] = &[
            $( $( Check { name: stringify!($check), stage: Stage::$stage, run: $module::$check }, )* )*
        ];
    };
}

checks! {
    Filename: [filename::filename_spaces, filename::filename_special, filename::filenames_match]
    PrecheckColumns: [
        columns::col_req_meta, columns::col_invalid_meta, columns::col_req_data,
        columns::col_to_rows,
    ]
    PrecheckCrossFile: [cross::cross_meta_to_data, cross::cross_data_to_meta]
    CheckColumns: [
        columns::col_names_spaces, columns::col_snake_case, columns::col_var_start,
        columns::col_ind_smushed, columns::col_var_characteristic,
    ]
    PrecheckMeta: [meta::meta_col_type, meta::meta_ob_unit, meta::meta_col_name]
    CheckMeta: [
        meta::meta_dupe_label, meta::meta_fil_grp, meta::meta_fil_grp_dupe,
        meta::meta_fil_grp_is_fil, meta::meta_fil_grp_match, meta::meta_fil_grp_stripped,
        meta::meta_label, meta::meta_filter_hint, meta::meta_geog_catch,
        meta::meta_indicator_dp, meta::meta_col_name_spaces, meta::meta_col_name_dupe,
        meta::meta_ind_dp_set, meta::meta_ind_dp_values, meta::meta_ind_unit,
        meta::meta_ind_unit_validation, meta::meta_indicator_grouping,
    ]
    PrecheckTime: [time::time_period_num, time::time_id_valid, time::time_id_mix]
    PrecheckFilters: [filters::filter_not_singular]
    PrecheckGeography: [geography::geog_level, geography::geog_level_present]
    CheckTime: [time::time_period, time::time_period_six]
    CheckFilters: [
        filters::filter_defaults, filters::filter_group_level, filters::filter_item_limit,
        filters::filter_whitespace, filters::filter_ob_total, filters::filter_blanks,
    ]
    CheckGeography: [
        geography::geog_country_combos, geography::geog_region_combos,
        geography::geog_ward_combos, geography::geog_pcon_combos, geography::geog_lad_combos,
        geography::geog_lep_combos, geography::geog_lsip_combos, geography::geog_eda_combos,
        geography::geog_la_combos, geography::geog_level_completed,
        geography::geog_ignored_rows, geography::geog_other_dupes,
        geography::geog_la_col_present, geography::geog_region_col_present,
        geography::geog_region_for_la, geography::geog_region_for_lad, geography::geog_na,
        geography::geog_na_code, geography::geog_other_code_dupes,
        geography::geog_overcompleted_cols,
    ]
    CheckGeneral: [general::general_dupes, general::general_null]
    CheckIndicators: [indicators::ind_invalid_entry]
    CheckHarmonised: [
        harmonised::harmonised_variables, harmonised::harmonised_eth_vals,
        harmonised::harmonised_eth_char_grp, harmonised::harmonised_eth_char_vals,
    ]
    CheckApi: [
        api::api_char_col_name, api::api_char_col_label, api::api_char_loc_code,
        api::api_char_filter_items, dictionary::data_dict_col_name,
        dictionary::data_dict_fil_item,
    ]
}

/// Every check's name, in running order (81 checks over 16 stages).
pub const CHECKS: [&str; 81] = [
    "filename_spaces",
    "filename_special",
    "filenames_match",
    "col_req_meta",
    "col_invalid_meta",
    "col_req_data",
    "col_to_rows",
    "cross_meta_to_data",
    "cross_data_to_meta",
    "col_names_spaces",
    "col_snake_case",
    "col_var_start",
    "col_ind_smushed",
    "col_var_characteristic",
    "meta_col_type",
    "meta_ob_unit",
    "meta_col_name",
    "meta_dupe_label",
    "meta_fil_grp",
    "meta_fil_grp_dupe",
    "meta_fil_grp_is_fil",
    "meta_fil_grp_match",
    "meta_fil_grp_stripped",
    "meta_label",
    "meta_filter_hint",
    "meta_geog_catch",
    "meta_indicator_dp",
    "meta_col_name_spaces",
    "meta_col_name_dupe",
    "meta_ind_dp_set",
    "meta_ind_dp_values",
    "meta_ind_unit",
    "meta_ind_unit_validation",
    "meta_indicator_grouping",
    "time_period_num",
    "time_id_valid",
    "time_id_mix",
    "filter_not_singular",
    "geog_level",
    "geog_level_present",
    "time_period",
    "time_period_six",
    "filter_defaults",
    "filter_group_level",
    "filter_item_limit",
    "filter_whitespace",
    "filter_ob_total",
    "filter_blanks",
    "geog_country_combos",
    "geog_region_combos",
    "geog_ward_combos",
    "geog_pcon_combos",
    "geog_lad_combos",
    "geog_lep_combos",
    "geog_lsip_combos",
    "geog_eda_combos",
    "geog_la_combos",
    "geog_level_completed",
    "geog_ignored_rows",
    "geog_other_dupes",
    "geog_la_col_present",
    "geog_region_col_present",
    "geog_region_for_la",
    "geog_region_for_lad",
    "geog_na",
    "geog_na_code",
    "geog_other_code_dupes",
    "geog_overcompleted_cols",
    "general_dupes",
    "general_null",
    "ind_invalid_entry",
    "harmonised_variables",
    "harmonised_eth_vals",
    "harmonised_eth_char_grp",
    "harmonised_eth_char_vals",
    "api_char_col_name",
    "api_char_col_label",
    "api_char_loc_code",
    "api_char_filter_items",
    "data_dict_col_name",
    "data_dict_fil_item",
];

/// Screen a data file and its metadata file, as `screen_csv()` does: the file-name
/// checks, then every `screen_dfs()` stage in order, stopping after the first stage
/// that has a FAIL.
///
/// `data_name` and `meta_name` are the file names (`absence.csv`,
/// `absence.meta.csv`); the file-name checks read them. A file that is not a UTF-8
/// CSV with a header, or that repeats a column name, is an [`EesError`].
pub fn screen(
    data_name: &str,
    data: &[u8],
    meta_name: &str,
    meta: &[u8],
) -> Result<Report, EesError> {
    let input = Input::parse(data_name, data, meta_name, meta)?;
    let mut report = Report {
        outcomes: Vec::with_capacity(REGISTRY.len()),
        stopped_after: None,
    };
    for stage in Stage::ALL {
        for check in REGISTRY.iter().filter(|c| c.stage == stage) {
            let finding = (check.run)(&input);
            report.outcomes.push(Outcome {
                check: check.name,
                stage,
                level: finding.level,
                message: finding.message,
            });
        }
        if report.failures().next().is_some() {
            report.stopped_after = Some(stage);
            break;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::testing::{DATA, META, api_data, api_meta, screen_pair};

    #[test]
    fn registry_runs_in_the_order_of_checks() {
        let registered: Vec<&str> = REGISTRY.iter().map(|c| c.name).collect();
        assert_eq!(registered, CHECKS.to_vec());
        let stages: Vec<Stage> = REGISTRY.iter().map(|c| c.stage).collect();
        let mut sorted = stages.clone();
        sorted.sort();
        assert_eq!(
            stages, sorted,
            "checks are grouped by stage, stages in order"
        );
    }

    #[test]
    fn a_clean_pair_runs_every_check_once() {
        let report = screen_pair(&api_data(), &api_meta());
        let ran: Vec<&str> = report.outcomes.iter().map(|o| o.check).collect();
        assert_eq!(
            ran,
            CHECKS.to_vec(),
            "CHECKS and the checks actually run differ"
        );
        let distinct: BTreeSet<&str> = ran.iter().copied().collect();
        assert_eq!(distinct.len(), CHECKS.len());
    }

    #[test]
    fn the_bristol_pair_with_dictionary_names_is_clean() {
        let report = screen_pair(&api_data(), &api_meta());
        assert!(report.is_clean(), "{report}");
        assert_eq!(report.stopped_after, None);
        assert_eq!(report.to_string(), "all 81 checks passed\n");
    }

    /// The pair exactly as specified: `t_pupils` and `pt_overall` are the DfE outcomes
    /// publication's names but are not in the EES data dictionary, so the real
    /// screener passes the files and warns that they are not API-ready.
    #[test]
    fn the_bristol_pair_passes_with_only_the_data_dictionary_warning() {
        let report = screen_pair(DATA, META);
        assert_eq!(report.failures().count(), 0, "{report}");
        let warned: Vec<&str> = report.warnings().map(|o| o.check).collect();
        assert_eq!(warned, ["data_dict_col_name"], "{report}");
        let message = &report
            .warnings()
            .map(|o| o.message.clone())
            .collect::<String>();
        assert!(message.contains("'t_pupils', 'pt_overall'"), "{message}");
        assert!(!report.is_clean());
    }

    #[test]
    fn a_failing_stage_stops_screening() {
        let data = DATA.replace("E06000023", "E06000099");
        let report = screen_pair(&data, META);
        assert_eq!(report.stopped_after, Some(Stage::CheckGeography));
        assert!(
            report
                .outcome("geog_la_combos")
                .is_some_and(|o| o.level == Level::Fail)
        );
        assert!(
            report.outcome("general_dupes").is_none(),
            "later stages are not run"
        );
        let shown = report.to_string();
        assert!(
            shown.contains("FAIL [Check geography] geog_la_combos"),
            "{shown}"
        );
        assert!(
            shown.contains("not run: Check general, Check indicators"),
            "{shown}"
        );
    }

    #[test]
    fn a_bad_file_name_stops_before_the_data_checks() {
        let report = screen(
            "my data.csv",
            DATA.as_bytes(),
            "my data.meta.csv",
            META.as_bytes(),
        );
        let Ok(report) = report else {
            panic!("the fixture parses");
        };
        assert_eq!(report.stopped_after, Some(Stage::Filename));
        assert_eq!(report.outcomes.len(), 3);
    }

    #[test]
    fn unreadable_files_are_errors_naming_the_file() {
        let ragged = "a,b\n1,2,3\n";
        let error = screen("x.csv", ragged.as_bytes(), "x.meta.csv", META.as_bytes());
        assert!(matches!(&error, Err(EesError::Csv { file, .. }) if file == "x.csv"));
        let latin1 = b"time_period,la_name\n202324,Caf\xe9\n";
        let error = screen("x.csv", latin1, "x.meta.csv", META.as_bytes());
        assert!(
            matches!(&error, Err(EesError::NotUtf8 { line: 2, .. })),
            "{error:?}"
        );
        let twice = "a,a\n1,2\n";
        let error = screen("x.csv", DATA.as_bytes(), "x.meta.csv", twice.as_bytes());
        assert!(
            matches!(&error, Err(EesError::DuplicateColumn { file, .. }) if file == "x.meta.csv")
        );
        let error = screen("x.csv", b"", "x.meta.csv", META.as_bytes());
        assert!(matches!(&error, Err(EesError::Empty { .. })), "{error:?}");
    }
}
