//! Test fixtures: the clean Bristol pair and helpers that run one check by name.

use crate::screen::REGISTRY;
use crate::table::Input;
use crate::{Outcome, Report, screen};

/// A clean local-authority file: Bristol (801 / E06000023, South West), two years,
/// `social_care_group` (default `All pupils comparison`) by `sex`, with `c`, `z` and `x`.
pub(crate) const DATA: &str = r#"time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,old_la_code,new_la_code,la_name,social_care_group,sex,t_pupils,pt_overall
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",All pupils comparison,Total,54120,7.4
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",All pupils comparison,Female,26480,7.3
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",All pupils comparison,Male,27640,7.5
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CINO at 31 March,Total,1210,16.9
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CINO at 31 March,Female,540,17.8
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CINO at 31 March,Male,670,16.2
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CPPO at 31 March,Total,265,21.0
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CPPO at 31 March,Female,131,22.4
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CPPO at 31 March,Male,134,19.6
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CLA 12 months at 31 March,Total,x,x
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CLA 12 months at 31 March,Female,x,x
202223,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CLA 12 months at 31 March,Male,x,x
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",All pupils comparison,Total,54380,7.1
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",All pupils comparison,Female,26590,7.0
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",All pupils comparison,Male,27790,7.2
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CINO at 31 March,Total,1185,17.2
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CINO at 31 March,Female,530,18.1
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CINO at 31 March,Male,655,16.5
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CPPO at 31 March,Total,7,c
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CPPO at 31 March,Female,c,c
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CPPO at 31 March,Male,c,c
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CLA 12 months at 31 March,Total,310,8.9
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CLA 12 months at 31 March,Female,0,z
202324,Academic year,Local authority,E92000001,England,E12000009,South West,801,E06000023,"Bristol, City of",CLA 12 months at 31 March,Male,310,8.9
"#;

/// The metadata for [`DATA`].
pub(crate) const META: &str = "\
col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column,filter_default\n\
social_care_group,Filter,Social care group,,,,Filter by social care group,,All pupils comparison\n\
sex,Filter,Sex,,,,,,Total\n\
t_pupils,Indicator,Number of pupils,,,0,,,\n\
pt_overall,Indicator,Overall absence rate,,%,1,,,\n";

/// [`DATA`] with the indicators under the EES data dictionary's names.
pub(crate) fn api_data() -> String {
    DATA.replacen(",t_pupils,pt_overall", ",pupil_count,session_percent", 1)
}

/// [`META`] with the indicators under the EES data dictionary's names.
pub(crate) fn api_meta() -> String {
    META.replace("t_pupils,", "pupil_count,")
        .replace("pt_overall,", "session_percent,")
}

/// Run the check called `check` on the given pair.
pub(crate) fn run_named(
    check: &str,
    data_name: &str,
    data: &str,
    meta_name: &str,
    meta: &str,
) -> Outcome {
    let input = match Input::parse(data_name, data.as_bytes(), meta_name, meta.as_bytes()) {
        Ok(input) => input,
        Err(error) => panic!("fixture does not parse: {error}"),
    };
    let Some(entry) = REGISTRY.iter().find(|c| c.name == check) else {
        panic!("no check called `{check}`");
    };
    let finding = (entry.run)(&input);
    Outcome {
        check: entry.name,
        stage: entry.stage,
        level: finding.level,
        message: finding.message,
    }
}

/// Run the check called `check` on `absence.csv` / `absence.meta.csv`.
pub(crate) fn run(check: &str, data: &str, meta: &str) -> Outcome {
    run_named(check, "absence.csv", data, "absence.meta.csv", meta)
}

/// Screen `absence.csv` / `absence.meta.csv`.
pub(crate) fn screen_pair(data: &str, meta: &str) -> Report {
    match screen(
        "absence.csv",
        data.as_bytes(),
        "absence.meta.csv",
        meta.as_bytes(),
    ) {
        Ok(report) => report,
        Err(error) => panic!("fixture does not parse: {error}"),
    }
}

/// A minimal national file with one filter, for checks that need custom columns.
/// `extra_header` and `extra_cells` are appended to every row (start them with a comma).
pub(crate) fn national(extra_header: &str, rows: &[&str]) -> String {
    let mut text = format!(
        "time_period,time_identifier,geographic_level,country_code,country_name{extra_header}\n"
    );
    for row in rows {
        text.push_str("202324,Academic year,National,E92000001,England");
        text.push_str(row);
        text.push('\n');
    }
    text
}
