//! Stages `Precheck geography` and `Check geography`: `geographic_level`, the
//! location lookups, and which geography columns are filled for which levels.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::Level;
use crate::reference::{GEOGRAPHIES, LOOKUPS, geography_for};
use crate::screen::{Finding, quoted};
use crate::table::{Input, Table, is_blank, unique};

/// `geog_level`: every geographic_level is one EES knows.
pub(crate) fn geog_level(input: &Input) -> Finding {
    let invalid: Vec<&str> = input
        .levels()
        .into_iter()
        .filter(|l| geography_for(l).is_none())
        .collect();
    Finding::unless(
        &invalid,
        Level::Fail,
        "invalid geographic_level values",
        "every geographic_level is valid",
    )
}

/// `geog_level_present`: each level in the file has its code, name and secondary
/// code columns (`Planning area` excepted).
pub(crate) fn geog_level_present(input: &Input) -> Finding {
    let levels = input.levels();
    if levels.iter().all(|l| *l == "National") {
        return Finding::pass("the file has only National rows");
    }
    let missing: Vec<&str> = unique(
        GEOGRAPHIES
            .iter()
            .filter(|g| g.level != "Planning area" && levels.contains(&g.level))
            .flat_map(|g| g.columns()),
    )
    .into_iter()
    .filter(|c| !input.data.has(c))
    .collect();
    Finding::unless(
        &missing,
        Level::Fail,
        &format!(
            "with geographic_level {} present these columns are missing",
            quoted(&levels)
        ),
        "the geography columns for every level present are in the file",
    )
}

/// How `geog_*_combos` filters the rows it checks.
enum Rows {
    /// Rows whose code is neither blank nor `x` (the levels with a restricted
    /// level in the R screener; both its branches filter the same way).
    CodeGiven,
    /// Rows whose code is not `x`; blank codes drop out as R's `NA` does.
    /// `extra` is a secondary code column whose blank rows are skipped too.
    NotX { extra: Option<&'static str> },
}

/// The shared body of the `geog_*_combos` checks: every code/name pair (with the
/// secondary code, for LAs) in the checked rows is in the lookup or is one of the
/// universal `z` options.
fn combos(
    input: &Input,
    code: &'static str,
    name: &'static str,
    rows: Rows,
    valid: impl Fn(&str, &str, &str) -> bool,
) -> Finding {
    let extra = match rows {
        Rows::NotX { extra } => extra,
        Rows::CodeGiven => None,
    };
    let columns: Vec<&str> = extra.into_iter().chain([code, name]).collect();
    if !columns.iter().all(|c| input.data.has(c)) {
        return Finding::pass(format!(
            "not every one of {} is in this file",
            columns.join(" / ")
        ));
    }
    let (ci, ni, ei) = (
        input.data.index(code),
        input.data.index(name),
        extra.and_then(|e| input.data.index(e)),
    );
    let universal = &LOOKUPS.extra_options;
    let mut seen = HashSet::new();
    let mut invalid: Vec<String> = Vec::new();
    for row in &input.data.rows {
        let (code_value, name_value) = (Table::cell(row, ci), Table::cell(row, ni));
        let extra_value = Table::cell(row, ei);
        let checked = match rows {
            Rows::CodeGiven => !is_blank(code_value) && code_value != "x",
            Rows::NotX { extra } => {
                !is_blank(code_value)
                    && code_value != "x"
                    && (extra.is_none() || !is_blank(extra_value))
            }
        };
        if !checked || !seen.insert((extra_value, code_value, name_value)) {
            continue;
        }
        let is_universal = universal
            .iter()
            .any(|(c, n)| c == code_value && n == name_value)
            && (extra.is_none() || extra_value == "z");
        if !is_universal && !valid(extra_value, code_value, name_value) {
            let shown = |v: &str| {
                if is_blank(v) {
                    "NA".to_string()
                } else {
                    v.to_string()
                }
            };
            let mut combination = Vec::new();
            if extra.is_some() {
                combination.push(shown(extra_value));
            }
            combination.push(shown(code_value));
            combination.push(shown(name_value));
            invalid.push(combination.join(" "));
        }
    }
    Finding::unless(
        &invalid,
        Level::Fail,
        &format!(
            "these {} combinations are not in the standard geography lookup (case sensitive)",
            columns.join(" / ")
        ),
        &format!("every {} combination is valid", columns.join(" / ")),
    )
}

fn pair_in(set: &HashSet<(String, String)>) -> impl Fn(&str, &str, &str) -> bool + '_ {
    move |_, code, name| set.contains(&(code.to_string(), name.to_string()))
}

/// `geog_country_combos`: country_code / country_name pairs are in `country.csv`.
pub(crate) fn geog_country_combos(input: &Input) -> Finding {
    let rows = Rows::NotX { extra: None };
    combos(
        input,
        "country_code",
        "country_name",
        rows,
        pair_in(&LOOKUPS.countries),
    )
}

/// `geog_region_combos`: region pairs are in `regions.csv`.
pub(crate) fn geog_region_combos(input: &Input) -> Finding {
    combos(
        input,
        "region_code",
        "region_name",
        Rows::CodeGiven,
        pair_in(&LOOKUPS.regions),
    )
}

/// `geog_ward_combos`: ward pairs are in the ward hierarchy.
pub(crate) fn geog_ward_combos(input: &Input) -> Finding {
    combos(
        input,
        "ward_code",
        "ward_name",
        Rows::CodeGiven,
        pair_in(&LOOKUPS.wards),
    )
}

/// `geog_pcon_combos`: constituency pairs are in `pcons.csv` or `pcon_2024_v2.csv`.
pub(crate) fn geog_pcon_combos(input: &Input) -> Finding {
    combos(
        input,
        "pcon_code",
        "pcon_name",
        Rows::CodeGiven,
        pair_in(&LOOKUPS.pcons),
    )
}

/// `geog_lad_combos`: local authority district pairs are in `lads.csv`.
pub(crate) fn geog_lad_combos(input: &Input) -> Finding {
    combos(
        input,
        "lad_code",
        "lad_name",
        Rows::CodeGiven,
        pair_in(&LOOKUPS.lads),
    )
}

/// `geog_lep_combos`: local enterprise partnership pairs are in `leps.csv`.
pub(crate) fn geog_lep_combos(input: &Input) -> Finding {
    combos(
        input,
        "local_enterprise_partnership_code",
        "local_enterprise_partnership_name",
        Rows::CodeGiven,
        pair_in(&LOOKUPS.leps),
    )
}

/// `geog_lsip_combos`: LSIP area pairs are in `lsips.csv`.
pub(crate) fn geog_lsip_combos(input: &Input) -> Finding {
    combos(
        input,
        "lsip_code",
        "lsip_name",
        Rows::CodeGiven,
        pair_in(&LOOKUPS.lsips),
    )
}

/// `geog_eda_combos`: English devolved area pairs are in `english_devolved_areas.csv`.
pub(crate) fn geog_eda_combos(input: &Input) -> Finding {
    combos(
        input,
        "english_devolved_area_code",
        "english_devolved_area_name",
        Rows::CodeGiven,
        pair_in(&LOOKUPS.edas),
    )
}

/// `geog_la_combos`: old_la_code / new_la_code / la_name triples are in `las.csv`
/// (rows with a blank old_la_code are not checked, as in the R screener).
pub(crate) fn geog_la_combos(input: &Input) -> Finding {
    let valid = |old: &str, new: &str, name: &str| {
        LOOKUPS
            .las
            .contains(&(old.to_string(), new.to_string(), name.to_string()))
    };
    let rows = Rows::NotX {
        extra: Some("old_la_code"),
    };
    combos(input, "new_la_code", "la_name", rows, valid)
}

/// Rows of `level`.
fn rows_at<'a>(input: &'a Input, level: &'a str) -> impl Iterator<Item = &'a Vec<String>> + 'a {
    let li = input.data.index("geographic_level");
    input
        .data
        .rows
        .iter()
        .filter(move |row| Table::cell(row, li) == level)
}

/// `geog_level_completed`: each level's name and secondary code (and code, except
/// new_la_code, blank for old LAs) are filled for every row of that level.
pub(crate) fn geog_level_completed(input: &Input) -> Finding {
    let levels = input.levels();
    let mut incomplete: Vec<&str> = Vec::new();
    for geography in GEOGRAPHIES
        .iter()
        .filter(|g| g.level != "Planning area" && levels.contains(&g.level))
    {
        let code = geography.code.filter(|c| *c != "new_la_code");
        for column in [code, Some(geography.name), geography.secondary]
            .into_iter()
            .flatten()
            .filter(|c| input.data.has(c))
        {
            let index = input.data.index(column);
            if rows_at(input, geography.level).any(|row| is_blank(Table::cell(row, index))) {
                incomplete.push(column);
            }
        }
    }
    Finding::unless(
        &incomplete,
        Level::Fail,
        "these columns are blank on rows of their own geographic level",
        "every geographic level's columns are completed",
    )
}

/// `geog_ignored_rows`: the file is not only Institution or Planning area rows
/// (which the table tool ignores), and does not mix School with Provider rows.
pub(crate) fn geog_ignored_rows(input: &Input) -> Finding {
    let levels: Vec<&str> = input.data.values("geographic_level").collect();
    let visible = levels
        .iter()
        .filter(|l| !matches!(**l, "Institution" | "Planning area"))
        .count();
    if visible == 0 {
        return Finding::fail(
            "the file has only Institution or Planning area rows, which the EES table tool \
             ignores; upload it as an ancillary file",
        );
    }
    let ignored = levels
        .iter()
        .filter(|l| matches!(**l, "School" | "Provider" | "Institution" | "Planning area"))
        .count();
    let present = input.levels();
    if ignored == 0 || (present.len() == 1 && matches!(present[0], "School" | "Provider")) {
        return Finding::pass("no rows will be ignored by the EES table tool");
    }
    if present.contains(&"School") && present.contains(&"Provider") {
        return Finding::fail("School and Provider rows are mixed; contact the EES platforms team");
    }
    Finding::pass(format!(
        "{ignored} rows at School, Provider, Institution or Planning area level will be \
         ignored by the EES table tool"
    ))
}

/// The shared body of `geog_other_dupes` (`by_name`) and `geog_other_code_dupes`:
/// at Opportunity area, MAT and Sponsor level, one name has one code and one code
/// one name.
fn other_dupes(input: &Input, by_name: bool) -> Finding {
    let levels = input.levels();
    let mut repeated: Vec<String> = Vec::new();
    for geography in GEOGRAPHIES
        .iter()
        .filter(|g| matches!(g.level, "Opportunity area" | "MAT" | "Sponsor"))
        .filter(|g| levels.contains(&g.level))
    {
        let Some(code) = geography.code else { continue };
        if !input.data.has(code) || !input.data.has(geography.name) {
            continue;
        }
        let (ci, ni) = (input.data.index(code), input.data.index(geography.name));
        let mut partners: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for row in rows_at(input, geography.level) {
            let (code_value, name_value) = (Table::cell(row, ci), Table::cell(row, ni));
            if is_blank(code_value) {
                continue;
            }
            let (key, partner) = if by_name {
                (name_value, code_value)
            } else {
                (code_value, name_value)
            };
            let entry = partners.entry(key).or_default();
            if entry.is_empty() {
                order.push(key);
            }
            entry.insert(partner);
        }
        for key in order {
            let count = partners.get(key).map_or(0, BTreeSet::len);
            if count > 1 {
                let what = if by_name { "codes" } else { "names" };
                let key = if is_blank(key) { "NA" } else { key };
                repeated.push(format!("{key} - {count} different {what}"));
            }
        }
    }
    if by_name {
        Finding::unless(
            &repeated,
            Level::Fail,
            "these geographies have more than one code",
            "every geography has one code",
        )
    } else {
        Finding::unless(
            &repeated,
            Level::Fail,
            "these geography codes have more than one name",
            "every geography code has one name",
        )
    }
}

/// `geog_other_dupes`: at Opportunity area, MAT and Sponsor level each name has one code.
pub(crate) fn geog_other_dupes(input: &Input) -> Finding {
    other_dupes(input, true)
}

/// `geog_other_code_dupes`: at those levels each code has one name.
pub(crate) fn geog_other_code_dupes(input: &Input) -> Finding {
    other_dupes(input, false)
}

/// The shared body of the `geog_*_col_present` checks: if any of a level's columns
/// is present, all are.
fn col_present(input: &Input, level: &str) -> Finding {
    let columns = geography_for(level)
        .map(|g| g.columns())
        .unwrap_or_default();
    let present = columns.iter().filter(|c| input.data.has(c)).count();
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !input.data.has(c))
        .collect();
    let level = level.to_lowercase();
    if present == 0 {
        return Finding::pass(format!("no {level} columns are in this file"));
    }
    Finding::unless(
        &missing,
        Level::Fail,
        &format!("when any {level} column is present all must be; missing"),
        &format!("every {level} column is present"),
    )
}

/// `geog_la_col_present`: new_la_code, la_name and old_la_code come together.
pub(crate) fn geog_la_col_present(input: &Input) -> Finding {
    col_present(input, "Local authority")
}

/// `geog_region_col_present`: region_code and region_name come together.
pub(crate) fn geog_region_col_present(input: &Input) -> Finding {
    col_present(input, "Regional")
}

/// The shared body of `geog_region_for_la` / `_lad` (warning): rows at `level`
/// carry their region.
fn region_for(input: &Input, level: &str) -> Finding {
    if rows_at(input, level).next().is_none() {
        return Finding::pass(format!("there are no {level} rows"));
    }
    let missing: Vec<&str> = ["region_code", "region_name"]
        .into_iter()
        .filter(|c| !input.data.has(c))
        .collect();
    if !missing.is_empty() {
        return Finding::warning(format!(
            "region columns {} are missing; {level} rows should carry their region",
            quoted(&missing)
        ));
    }
    let (ci, ni) = (
        input.data.index("region_code"),
        input.data.index("region_name"),
    );
    let incomplete = rows_at(input, level)
        .any(|row| is_blank(Table::cell(row, ci)) || is_blank(Table::cell(row, ni)));
    if incomplete {
        Finding::warning(format!(
            "region_code or region_name is blank on some {level} rows; include the region"
        ))
    } else {
        Finding::pass(format!("every {level} row has its region"))
    }
}

/// `geog_region_for_la` (warning): LA rows carry their region.
pub(crate) fn geog_region_for_la(input: &Input) -> Finding {
    region_for(input, "Local authority")
}

/// `geog_region_for_lad` (warning): LAD rows carry their region.
pub(crate) fn geog_region_for_lad(input: &Input) -> Finding {
    region_for(input, "Local authority district")
}

/// The levels `geog_na` and `geog_na_code` check: those without a lookup of their
/// own, bar RSC region (no code) and Institution / Planning area (ignored by EES).
fn unlooked_up_levels() -> impl Iterator<Item = &'static crate::reference::Geography> {
    GEOGRAPHIES.iter().filter(|g| {
        matches!(
            g.level,
            "Opportunity area" | "MAT" | "Sponsor" | "School" | "Provider" | "Police force area"
        )
    })
}

/// `geog_na`: a location coded `x` is named `Not available`.
pub(crate) fn geog_na(input: &Input) -> Finding {
    let levels = input.levels();
    let failing: Vec<&str> = unlooked_up_levels()
        .filter(|g| levels.contains(&g.level))
        .filter(|g| {
            let Some(code) = g.code else { return false };
            if !input.data.has(code) || !input.data.has(g.name) {
                return false;
            }
            let (ci, ni) = (input.data.index(code), input.data.index(g.name));
            input.data.rows.iter().any(|row| {
                let name = Table::cell(row, ni);
                Table::cell(row, ci) == "x" && !is_blank(name) && name != "Not available"
            })
        })
        .map(|g| g.level)
        .collect();
    Finding::unless(
        &failing,
        Level::Fail,
        "at these levels a location coded 'x' is not named 'Not available'",
        "every location coded 'x' is named 'Not available'",
    )
}

/// `geog_na_code`: a location named `Not available` is coded `x`.
pub(crate) fn geog_na_code(input: &Input) -> Finding {
    let levels = input.levels();
    let failing: Vec<&str> = unlooked_up_levels()
        .filter(|g| levels.contains(&g.level))
        .filter(|g| {
            let Some(code) = g.code else { return false };
            if !input.data.has(code) || !input.data.has(g.name) {
                return false;
            }
            let (ci, ni) = (input.data.index(code), input.data.index(g.name));
            rows_at(input, g.level).any(|row| {
                let code = Table::cell(row, ci);
                Table::cell(row, ni) == "Not available" && !is_blank(code) && code != "x"
            })
        })
        .map(|g| g.level)
        .collect();
    Finding::unless(
        &failing,
        Level::Fail,
        "at these levels a location named 'Not available' is not coded 'x'",
        "every location named 'Not available' is coded 'x'",
    )
}

/// The levels whose rows may carry `level`'s columns: its own, and the levels that
/// sit within it (`check_geog_overcompleted_cols`'s `compatible_levels`).
fn compatible_levels(level: &str) -> &'static [&'static str] {
    match level {
        "Regional" => &[
            "Regional",
            "Local skills improvement plan area",
            "Local authority",
            "Local enterprise partnership",
            "Opportunity area",
            "Local authority district",
            "Parliamentary constituency",
            "English devolved area",
            "Ward",
            "School",
            "Provider",
            "Institution",
            "Planning area",
            "Police force area",
        ],
        "Local authority" => &[
            "Local authority",
            "Parliamentary constituency",
            "Local authority district",
            "Ward",
            "School",
            "Provider",
            "Institution",
            "Planning area",
            "Police force area",
        ],
        "Local authority district" => &[
            "Local authority district",
            "Ward",
            "School",
            "Provider",
            "Institution",
            "Police force area",
        ],
        "Local skills improvement plan area" => &[
            "Local skills improvement plan area",
            "Local authority district",
            "School",
            "Provider",
            "Institution",
            "Planning area",
        ],
        "RSC region" => &["RSC region", "School", "Provider", "Institution"],
        "Parliamentary constituency" => &[
            "Parliamentary constituency",
            "School",
            "Provider",
            "Institution",
        ],
        "Local enterprise partnership" => &[
            "Local enterprise partnership",
            "School",
            "Provider",
            "Institution",
        ],
        "English devolved area" => &["English devolved area", "School", "Provider", "Institution"],
        "Opportunity area" => &["Opportunity area", "School", "Provider", "Institution"],
        "Ward" => &["Ward", "School", "Provider", "Institution"],
        "MAT" => &["MAT", "School", "Provider", "Institution"],
        "Sponsor" => &["Sponsor", "School", "Provider", "Institution"],
        "Planning area" => &["Planning area", "School", "Provider", "Institution"],
        "Police force area" => &["Police force area", "School", "Provider", "Institution"],
        "School" => &["School"],
        "Provider" => &["Provider"],
        "Institution" => &["Institution"],
        _ => &[],
    }
}

/// `geog_overcompleted_cols`: a level's columns are blank on rows of levels that
/// do not sit within it (no region_code on National rows). Country columns are
/// never flagged.
pub(crate) fn geog_overcompleted_cols(input: &Input) -> Finding {
    let levels = input.levels();
    let filters = input.meta.filters();
    let groups = input.meta.filter_groups();
    let li = input.data.index("geographic_level");
    let mut overcomplete: Vec<&str> = Vec::new();
    for geography in GEOGRAPHIES.iter().filter(|g| g.level != "National") {
        let mut columns: Vec<&str> = geography
            .columns()
            .into_iter()
            .filter(|c| input.data.has(c))
            .collect();
        if matches!(geography.level, "School" | "Provider") && filters.len() == 1 {
            let name = geography.name;
            if filters.contains(&name) || groups.contains(&name) {
                columns.retain(|c| *c != name);
            }
        }
        let compatible = compatible_levels(geography.level);
        let incompatible: Vec<&str> = levels
            .iter()
            .copied()
            .filter(|l| !compatible.contains(l))
            .collect();
        if columns.is_empty() || incompatible.is_empty() {
            continue;
        }
        for column in columns {
            let ci = input.data.index(column);
            let filled = input.data.rows.iter().any(|row| {
                incompatible.contains(&Table::cell(row, li)) && !is_blank(Table::cell(row, ci))
            });
            if filled && !overcomplete.contains(&column) {
                overcomplete.push(column);
            }
        }
    }
    Finding::unless(
        &overcomplete,
        Level::Fail,
        "these geography columns are filled on rows of levels they do not apply to",
        "geography columns are blank where expected",
    )
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, run};

    const ONE_FILTER: &str = "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column,filter_default\nsex,Filter,Sex,,,,,,\n";

    /// A file with one row per `(level, extra cells)`; `header` names the extra columns.
    fn rows(header: &str, rows: &[(&str, &str)]) -> String {
        let mut text = format!(
            "time_period,time_identifier,geographic_level,country_code,country_name{header},sex\n"
        );
        for (level, cells) in rows {
            text.push_str(&format!(
                "202324,Academic year,{level},E92000001,England{cells},Total\n"
            ));
        }
        text
    }

    #[test]
    fn geog_level_fails_on_an_unknown_level() {
        let data = DATA.replace("Local authority,", "Council,");
        assert_eq!(run("geog_level", &data, META).level, Level::Fail);
    }

    #[test]
    fn geog_level_present_fails_without_la_name() {
        let data = rows(
            ",new_la_code,old_la_code",
            &[("Local authority", ",E06000023,801")],
        );
        let outcome = run("geog_level_present", &data, ONE_FILTER);
        assert_eq!(outcome.level, Level::Fail);
        assert!(outcome.message.contains("'la_name'"), "{}", outcome.message);
        assert!(!outcome.message.contains("'region_code'"));
    }

    #[test]
    fn geog_country_combos_fails_on_a_misspelt_country() {
        let data = DATA.replace(",England,", ",Englnad,");
        assert_eq!(run("geog_country_combos", &data, META).level, Level::Fail);
    }

    #[test]
    fn geog_region_combos_fails_on_the_wrong_region() {
        let data = DATA.replace(",E12000009,South West,", ",E12000009,South East,");
        assert_eq!(run("geog_region_combos", &data, META).level, Level::Fail);
        let unknown = DATA.replace(",E12000009,South West,", ",z,Unknown,");
        assert_eq!(run("geog_region_combos", &unknown, META).level, Level::Pass);
    }

    #[test]
    fn geog_ward_combos_fails_on_an_invented_ward() {
        let good = rows(",ward_code,ward_name", &[("Ward", ",E05000026,Abbey")]);
        assert_eq!(
            run("geog_ward_combos", &good, ONE_FILTER).level,
            Level::Pass
        );
        let bad = rows(",ward_code,ward_name", &[("Ward", ",E05000026,Abbot")]);
        assert_eq!(run("geog_ward_combos", &bad, ONE_FILTER).level, Level::Fail);
    }

    #[test]
    fn geog_pcon_combos_fails_on_an_invented_constituency() {
        let good = rows(
            ",pcon_code,pcon_name",
            &[("Parliamentary constituency", ",E14001263,Hamble Valley")],
        );
        assert_eq!(
            run("geog_pcon_combos", &good, ONE_FILTER).level,
            Level::Pass
        );
        let bad = rows(
            ",pcon_code,pcon_name",
            &[("Parliamentary constituency", ",E14001263,Hamble")],
        );
        assert_eq!(run("geog_pcon_combos", &bad, ONE_FILTER).level, Level::Fail);
    }

    #[test]
    fn geog_lad_combos_fails_on_an_invented_district() {
        let good = rows(
            ",lad_code,lad_name",
            &[("Local authority district", ",E06000001,Hartlepool")],
        );
        assert_eq!(run("geog_lad_combos", &good, ONE_FILTER).level, Level::Pass);
        let bad = rows(
            ",lad_code,lad_name",
            &[("Local authority district", ",E06000001,Middlesbrough")],
        );
        assert_eq!(run("geog_lad_combos", &bad, ONE_FILTER).level, Level::Fail);
    }

    #[test]
    fn geog_lep_combos_fails_on_an_invented_partnership() {
        let header = ",local_enterprise_partnership_code,local_enterprise_partnership_name";
        let good = rows(
            header,
            &[("Local enterprise partnership", ",E37000001,Black Country")],
        );
        assert_eq!(run("geog_lep_combos", &good, ONE_FILTER).level, Level::Pass);
        let bad = rows(
            header,
            &[("Local enterprise partnership", ",E37000001,Black County")],
        );
        assert_eq!(run("geog_lep_combos", &bad, ONE_FILTER).level, Level::Fail);
    }

    #[test]
    fn geog_lsip_combos_fails_on_an_invented_area() {
        let good = rows(
            ",lsip_code,lsip_name",
            &[(
                "Local skills improvement plan area",
                ",E69000001,Sussex and Brighton",
            )],
        );
        assert_eq!(
            run("geog_lsip_combos", &good, ONE_FILTER).level,
            Level::Pass
        );
        let bad = rows(
            ",lsip_code,lsip_name",
            &[("Local skills improvement plan area", ",E69000001,Sussex")],
        );
        assert_eq!(run("geog_lsip_combos", &bad, ONE_FILTER).level, Level::Fail);
    }

    #[test]
    fn geog_eda_combos_fails_on_an_invented_area() {
        let header = ",english_devolved_area_code,english_devolved_area_name";
        let good = rows(
            header,
            &[(
                "English devolved area",
                ",E61000001,Greater London Authority",
            )],
        );
        assert_eq!(run("geog_eda_combos", &good, ONE_FILTER).level, Level::Pass);
        let bad = rows(header, &[("English devolved area", ",E61000001,London")]);
        assert_eq!(run("geog_eda_combos", &bad, ONE_FILTER).level, Level::Fail);
    }

    #[test]
    fn geog_la_combos_fails_on_a_mismatched_triple() {
        let data = DATA.replace(",801,", ",802,");
        let outcome = run("geog_la_combos", &data, META);
        assert_eq!(outcome.level, Level::Fail);
        assert!(
            outcome.message.contains("802 E06000023 Bristol, City of"),
            "{}",
            outcome.message
        );
        assert_eq!(run("geog_la_combos", DATA, META).level, Level::Pass);
    }

    #[test]
    fn geog_level_completed_fails_on_a_blank_la_name() {
        let data = DATA.replace("\"Bristol, City of\"", "");
        assert_eq!(run("geog_level_completed", &data, META).level, Level::Fail);
    }

    #[test]
    fn geog_ignored_rows_fails_on_institution_only_or_school_with_provider() {
        let only = rows(
            ",institution_id,institution_name",
            &[("Institution", ",1,A college")],
        );
        assert_eq!(
            run("geog_ignored_rows", &only, ONE_FILTER).level,
            Level::Fail
        );
        let header = ",school_urn,school_laestab,school_name,provider_ukprn,provider_name";
        let mixed = rows(
            header,
            &[
                ("School", ",100000,2011000,A school,,"),
                ("Provider", ",,,,10000001,A provider"),
            ],
        );
        assert_eq!(
            run("geog_ignored_rows", &mixed, ONE_FILTER).level,
            Level::Fail
        );
    }

    #[test]
    fn geog_other_dupes_fails_on_a_name_with_two_codes() {
        let data = rows(
            ",trust_id,trust_name",
            &[("MAT", ",1,Oak Trust"), ("MAT", ",2,Oak Trust")],
        );
        let outcome = run("geog_other_dupes", &data, ONE_FILTER);
        assert_eq!(outcome.level, Level::Fail);
        assert!(outcome.message.contains("Oak Trust - 2 different codes"));
    }

    #[test]
    fn geog_other_code_dupes_fails_on_a_code_with_two_names() {
        let data = rows(
            ",trust_id,trust_name",
            &[("MAT", ",1,Oak Trust"), ("MAT", ",1,Ash Trust")],
        );
        let outcome = run("geog_other_code_dupes", &data, ONE_FILTER);
        assert_eq!(outcome.level, Level::Fail);
        assert!(outcome.message.contains("1 - 2 different names"));
    }

    #[test]
    fn geog_la_col_present_fails_without_old_la_code() {
        let data = rows(
            ",new_la_code,la_name",
            &[("Local authority", ",E06000023,\"Bristol, City of\"")],
        );
        assert_eq!(
            run("geog_la_col_present", &data, ONE_FILTER).level,
            Level::Fail
        );
    }

    #[test]
    fn geog_region_col_present_fails_without_region_name() {
        let data = rows(",region_code", &[("Regional", ",E12000009")]);
        assert_eq!(
            run("geog_region_col_present", &data, ONE_FILTER).level,
            Level::Fail
        );
    }

    #[test]
    fn geog_region_for_la_warns_without_a_region() {
        let data = DATA.replace(",E12000009,South West,", ",,,");
        assert_eq!(run("geog_region_for_la", &data, META).level, Level::Warning);
        let no_columns = rows(
            ",new_la_code,la_name,old_la_code",
            &[("Local authority", ",E06000023,\"Bristol, City of\",801")],
        );
        assert_eq!(
            run("geog_region_for_la", &no_columns, ONE_FILTER).level,
            Level::Warning
        );
    }

    #[test]
    fn geog_region_for_lad_warns_without_a_region() {
        let data = rows(
            ",lad_code,lad_name",
            &[("Local authority district", ",E06000001,Hartlepool")],
        );
        assert_eq!(
            run("geog_region_for_lad", &data, ONE_FILTER).level,
            Level::Warning
        );
    }

    #[test]
    fn geog_na_fails_on_x_without_not_available() {
        let data = rows(",trust_id,trust_name", &[("MAT", ",x,Unknown trust")]);
        assert_eq!(run("geog_na", &data, ONE_FILTER).level, Level::Fail);
        let fine = rows(",trust_id,trust_name", &[("MAT", ",x,Not available")]);
        assert_eq!(run("geog_na", &fine, ONE_FILTER).level, Level::Pass);
    }

    #[test]
    fn geog_na_code_fails_on_not_available_without_x() {
        let data = rows(",trust_id,trust_name", &[("MAT", ",z,Not available")]);
        assert_eq!(run("geog_na_code", &data, ONE_FILTER).level, Level::Fail);
    }

    #[test]
    fn geog_overcompleted_cols_fails_on_a_region_on_a_national_row() {
        let data = rows(
            ",region_code,region_name",
            &[
                ("National", ",E12000009,South West"),
                ("Regional", ",E12000009,South West"),
            ],
        );
        let outcome = run("geog_overcompleted_cols", &data, ONE_FILTER);
        assert_eq!(outcome.level, Level::Fail);
        assert!(
            outcome.message.contains("'region_code', 'region_name'"),
            "{}",
            outcome.message
        );
    }
}
