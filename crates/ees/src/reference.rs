//! The screener's reference values: the small lists `eesyscreener` hard-codes in
//! `data-raw/` (restated here), and the lookups it builds from
//! `dfe-published-data-qa:data/` (vendored in `data/`, see `data/SOURCE.md`).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// `req_meta_cols` (`eesyscreener:data-raw/req_values.R`).
pub(crate) const REQUIRED_META_COLUMNS: [&str; 8] = [
    "col_name",
    "col_type",
    "label",
    "indicator_grouping",
    "indicator_unit",
    "indicator_dp",
    "filter_hint",
    "filter_grouping_column",
];

/// `optional_meta_cols`.
pub(crate) const OPTIONAL_META_COLUMNS: [&str; 2] = ["filter_default", "parent_filter"];

/// `req_data_cols`.
pub(crate) const REQUIRED_DATA_COLUMNS: [&str; 5] = [
    "geographic_level",
    "time_period",
    "time_identifier",
    "country_code",
    "country_name",
];

/// `acceptable_indicator_units` (`data-raw/acceptable_values.R`).
pub(crate) const INDICATOR_UNITS: [&str; 5] = ["%", "pp", "£", "£m", "numberstring"];

/// `legacy_gss_symbols`: the GSS symbols replaced by `low` and `x`.
pub(crate) const LEGACY_GSS_SYMBOLS: [&str; 2] = ["~", ":"];

/// `api_char_limits` (`data-raw/char_limits.R`).
pub(crate) const LOCATION_CODE_LIMIT: usize = 30;
/// Filter and indicator names.
pub(crate) const COLUMN_NAME_LIMIT: usize = 50;
/// Filter and indicator labels (the screener's value; the API standards page says 80).
pub(crate) const COLUMN_LABEL_LIMIT: usize = 100;
/// Filter items and location names.
pub(crate) const FILTER_ITEM_LIMIT: usize = 120;

const TERMS: [&str; 3] = ["Spring term", "Autumn term", "Summer term"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const FINANCIAL_QUARTERS: [&str; 4] = [
    "Financial year Q1",
    "Financial year Q2",
    "Financial year Q3",
    "Financial year Q4",
];
const FINANCIAL_HALVES: [&str; 2] = ["Part 1 (April to September)", "Part 2 (October to March)"];

/// `Week 1` … `Week 52`.
fn weeks() -> Vec<String> {
    (1..=52).map(|week| format!("Week {week}")).collect()
}

/// `acceptable_time_ids`: groups of identifiers; a file may mix identifiers only
/// within one group.
pub(crate) static TIME_ID_GROUPS: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    let owned = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        owned(&["Autumn and spring term"]),
        owned(&["Calendar year"]),
        owned(&["Financial year"]),
        owned(&["Academic year"]),
        owned(&["Tax year"]),
        owned(&["Reporting year"]),
        owned(&TERMS),
        weeks(),
        owned(&MONTHS),
        owned(&FINANCIAL_QUARTERS),
        owned(&FINANCIAL_HALVES),
    ]
});

/// `four_digit_identifiers`: calendar-style years.
pub(crate) fn four_digit_identifier(identifier: &str) -> bool {
    matches!(identifier, "Calendar year" | "Reporting year")
        || weeks().iter().any(|w| w == identifier)
        || MONTHS.contains(&identifier)
}

/// `six_digit_identifiers`: years that span two calendar years (`202324`).
pub(crate) fn six_digit_identifier(identifier: &str) -> bool {
    matches!(
        identifier,
        "Autumn and spring term" | "Financial year" | "Academic year" | "Tax year"
    ) || TERMS.contains(&identifier)
        || FINANCIAL_QUARTERS.contains(&identifier)
        || FINANCIAL_HALVES.contains(&identifier)
}

/// One row of `geography_df` (`data-raw/geography_df.R`): a geographic level and
/// the columns that locate it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geography {
    pub(crate) level: &'static str,
    pub(crate) code: Option<&'static str>,
    pub(crate) name: &'static str,
    pub(crate) secondary: Option<&'static str>,
}

impl Geography {
    /// Code, name and secondary code columns, those that exist.
    pub(crate) fn columns(&self) -> Vec<&'static str> {
        [self.code, Some(self.name), self.secondary]
            .into_iter()
            .flatten()
            .collect()
    }
}

const fn geography(
    level: &'static str,
    code: Option<&'static str>,
    name: &'static str,
    secondary: Option<&'static str>,
) -> Geography {
    Geography {
        level,
        code,
        name,
        secondary,
    }
}

/// `geography_df`, in its row order.
pub(crate) const GEOGRAPHIES: [Geography; 18] = [
    geography("National", Some("country_code"), "country_name", None),
    geography("Regional", Some("region_code"), "region_name", None),
    geography(
        "Local authority",
        Some("new_la_code"),
        "la_name",
        Some("old_la_code"),
    ),
    geography(
        "Local authority district",
        Some("lad_code"),
        "lad_name",
        None,
    ),
    geography("RSC region", None, "rsc_region_lead_name", None),
    geography(
        "Parliamentary constituency",
        Some("pcon_code"),
        "pcon_name",
        None,
    ),
    geography(
        "Local skills improvement plan area",
        Some("lsip_code"),
        "lsip_name",
        None,
    ),
    geography(
        "Local enterprise partnership",
        Some("local_enterprise_partnership_code"),
        "local_enterprise_partnership_name",
        None,
    ),
    geography(
        "English devolved area",
        Some("english_devolved_area_code"),
        "english_devolved_area_name",
        None,
    ),
    geography(
        "Opportunity area",
        Some("opportunity_area_code"),
        "opportunity_area_name",
        None,
    ),
    geography("Ward", Some("ward_code"), "ward_name", None),
    geography("MAT", Some("trust_id"), "trust_name", None),
    geography("Sponsor", Some("sponsor_id"), "sponsor_name", None),
    geography(
        "School",
        Some("school_urn"),
        "school_name",
        Some("school_laestab"),
    ),
    geography("Provider", Some("provider_ukprn"), "provider_name", None),
    geography(
        "Institution",
        Some("institution_id"),
        "institution_name",
        None,
    ),
    geography(
        "Planning area",
        Some("planning_area_code"),
        "planning_area_name",
        None,
    ),
    geography("Police force area", Some("pfa_code"), "pfa_name", None),
];

/// The row of `geography_df` for `level`.
pub(crate) fn geography_for(level: &str) -> Option<&'static Geography> {
    GEOGRAPHIES.iter().find(|g| g.level == level)
}

/// `get_acceptable_ob_units()`: time and level columns, then every geography code,
/// name and secondary code column (column by column, as R's `unlist` orders them).
pub(crate) fn observational_units() -> Vec<&'static str> {
    let mut units = vec!["time_period", "time_identifier", "geographic_level"];
    units.extend(GEOGRAPHIES.iter().filter_map(|g| g.code));
    units.extend(GEOGRAPHIES.iter().map(|g| g.name));
    units.extend(GEOGRAPHIES.iter().filter_map(|g| g.secondary));
    units
}

/// `get_geo_code_cols()`: code columns then secondary code columns.
pub(crate) fn geography_code_columns() -> Vec<&'static str> {
    let mut columns: Vec<&str> = GEOGRAPHIES.iter().filter_map(|g| g.code).collect();
    columns.extend(GEOGRAPHIES.iter().filter_map(|g| g.secondary));
    columns
}

/// `get_geo_name_cols()`.
pub(crate) fn geography_name_columns() -> Vec<&'static str> {
    GEOGRAPHIES.iter().map(|g| g.name).collect()
}

const OB_UNIT_PREFIXES: [&str; 16] = [
    "country", "sch", "prov", "inst", "estab", "reg", "la", "local", "rsc", "pfa", "pcon", "lep",
    "mca", "oa", "ward", "mat",
];
const OB_UNIT_SUFFIXES: [&str; 7] = ["name", "code", "urn", "ukprn", "number", "upin", "id"];
const OB_UNIT_WHOLE: &[&str] = &[
    "laestab",
    "estab",
    "sch",
    "school",
    "schools",
    "prov",
    "provider",
    "providers",
    "inst",
    "institution",
    "institutions",
    "name",
    "code",
    "urn",
    "ukprn",
    "number",
    "upin",
    "id",
    "region",
    "la",
    "lad",
    "rsc",
    "pcon",
    "lep",
    "mca",
    "oa",
    "ward",
    "mat",
];

/// `potential_ob_units_regex` (case-insensitive): a name that starts with a
/// geography prefix and ends with an identifier suffix (`la_name`, `sch_urn`), or is
/// exactly one of the bare identifiers (`school`, `urn`, `region`).
pub(crate) fn looks_like_observational_unit(column: &str) -> bool {
    let lower = column.to_lowercase();
    let prefixed = OB_UNIT_PREFIXES.iter().any(|prefix| {
        lower
            .strip_prefix(prefix)
            .is_some_and(|rest| OB_UNIT_SUFFIXES.iter().any(|suffix| rest.ends_with(suffix)))
    });
    prefixed || OB_UNIT_WHOLE.contains(&lower.as_str())
}

/// The lookups built from `dfe-published-data-qa:data/`.
pub(crate) struct Lookups {
    pub(crate) countries: HashSet<(String, String)>,
    pub(crate) regions: HashSet<(String, String)>,
    pub(crate) lads: HashSet<(String, String)>,
    pub(crate) leps: HashSet<(String, String)>,
    pub(crate) pcons: HashSet<(String, String)>,
    pub(crate) lsips: HashSet<(String, String)>,
    pub(crate) edas: HashSet<(String, String)>,
    pub(crate) wards: HashSet<(String, String)>,
    /// `(old_la_code, new_la_code, la_name)`.
    pub(crate) las: HashSet<(String, String, String)>,
    /// `acceptable_extra_geog_options`: `z` code and name pairs valid at any level.
    pub(crate) extra_options: Vec<(String, String)>,
    /// `acceptable_ethnicity_values`: (major, minor).
    pub(crate) ethnicity: Vec<(String, String)>,
    /// `harmonised_col_names`: (search string, harmonised name).
    pub(crate) harmonised: Vec<(String, String)>,
    /// The data dictionary's (col_type, col_name), children and parents.
    pub(crate) dictionary_columns: HashSet<(String, String)>,
    /// The data dictionary's filter items by column, children and parents.
    pub(crate) dictionary_items: HashMap<String, HashSet<String>>,
}

/// A vendored CSV as rows of named fields, read as `readr::read_csv` reads it:
/// surrounding whitespace trimmed, empty cells and `NA` missing.
fn read(text: &str) -> Vec<HashMap<String, Option<String>>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(_) => return Vec::new(),
    };
    reader
        .records()
        .filter_map(Result::ok)
        .map(|record| {
            headers
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let value = record.get(i).map(str::trim).unwrap_or("");
                    let value = (!value.is_empty() && value != "NA").then(|| value.to_string());
                    (h.clone(), value)
                })
                .collect()
        })
        .collect()
}

fn pairs(text: &str, code: &str, name: &str) -> HashSet<(String, String)> {
    read(text)
        .into_iter()
        .map(|row| {
            let get = |c: &str| row.get(c).cloned().flatten().unwrap_or_default();
            (get(code), get(name))
        })
        .collect()
}

/// The lookups, parsed once.
pub(crate) static LOOKUPS: LazyLock<Lookups> = LazyLock::new(|| {
    let mut pcons = pairs(include_str!("../data/pcons.csv"), "pcon_code", "pcon_name");
    pcons.extend(pairs(
        include_str!("../data/pcon_2024_v2.csv"),
        "PCON24CD",
        "PCON24NM",
    ));
    let las = read(include_str!("../data/las.csv"))
        .into_iter()
        .map(|row| {
            let get = |c: &str| row.get(c).cloned().flatten().unwrap_or_default();
            (get("old_la_code"), get("new_la_code"), get("la_name"))
        })
        .collect();
    let to_vec = |set: HashSet<(String, String)>| {
        let mut items: Vec<_> = set.into_iter().collect();
        items.sort();
        items
    };
    let mut dictionary_columns = HashSet::new();
    let mut dictionary_items: HashMap<String, HashSet<String>> = HashMap::new();
    for row in read(include_str!("../data/data-dictionary.csv")) {
        let get = |c: &str| row.get(c).cloned().flatten();
        let col_type = get("col_type").unwrap_or_default();
        for (column, item) in [
            (get("col_name"), get("filter_item")),
            (get("col_name_parent"), get("filter_item_parent")),
        ] {
            if let Some(column) = column {
                dictionary_columns.insert((col_type.clone(), column.clone()));
                if let Some(item) = item {
                    dictionary_items.entry(column).or_default().insert(item);
                }
            }
        }
    }
    let ordered = |text: &str, a: &str, b: &str| -> Vec<(String, String)> {
        read(text)
            .into_iter()
            .map(|row| {
                let get = |c: &str| row.get(c).cloned().flatten().unwrap_or_default();
                (get(a), get(b))
            })
            .collect()
    };
    Lookups {
        countries: pairs(
            include_str!("../data/country.csv"),
            "country_code",
            "country_name",
        ),
        regions: pairs(
            include_str!("../data/regions.csv"),
            "region_code",
            "region_name",
        ),
        lads: pairs(include_str!("../data/lads.csv"), "lad_code", "lad_name"),
        leps: pairs(
            include_str!("../data/leps.csv"),
            "local_enterprise_partnership_code",
            "local_enterprise_partnership_name",
        ),
        pcons,
        lsips: pairs(include_str!("../data/lsips.csv"), "lsip_code", "lsip_name"),
        edas: pairs(
            include_str!("../data/english_devolved_areas.csv"),
            "english_devolved_area_code",
            "english_devolved_area_name",
        ),
        wards: pairs(include_str!("../data/wards.csv"), "ward_code", "ward_name"),
        las,
        extra_options: to_vec(pairs(
            include_str!("../data/universal_geog_options.csv"),
            "code",
            "name",
        )),
        ethnicity: ordered(
            include_str!("../data/ethnicity.csv"),
            "ethnicity_major",
            "ethnicity_minor",
        ),
        harmonised: ordered(
            include_str!("../data/harmonised_col_names.csv"),
            "col_name_search_string",
            "col_name_harmonised",
        ),
        dictionary_columns,
        dictionary_items,
    }
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_load_every_vendored_file() {
        let lookups = &*LOOKUPS;
        assert_eq!(lookups.countries.len(), 8);
        assert_eq!(lookups.regions.len(), 11);
        assert_eq!(lookups.extra_options.len(), 6);
        assert!(lookups.las.contains(&(
            "801".to_string(),
            "E06000023".to_string(),
            "Bristol, City of".to_string()
        )));
        assert!(lookups.lads.len() > 300);
        assert!(
            lookups.pcons.len() > 1000,
            "pre-2024 and 2024 constituencies"
        );
        assert!(lookups.wards.len() > 14_000);
        assert!(
            lookups
                .lsips
                .contains(&("E69000001".to_string(), "Sussex and Brighton".to_string()))
        );
        assert!(lookups.edas.len() > 10);
        assert!(lookups.leps.len() > 50);
        assert_eq!(lookups.ethnicity.len(), 42);
        assert_eq!(lookups.harmonised.len(), 15);
        assert!(
            lookups
                .dictionary_columns
                .contains(&("Filter".to_string(), "social_care_group".to_string()))
        );
        assert!(lookups.dictionary_items["sex"].contains("Total"));
    }

    #[test]
    fn observational_unit_pattern() {
        for name in [
            "la_name",
            "LA_CODE",
            "sch_urn",
            "school",
            "region",
            "country_id",
        ] {
            assert!(looks_like_observational_unit(name), "{name}");
        }
        for name in ["sex", "social_care_group", "school_type", "pupil_count", ""] {
            assert!(!looks_like_observational_unit(name), "{name}");
        }
    }

    #[test]
    fn time_identifier_lengths() {
        assert!(six_digit_identifier("Academic year"));
        assert!(four_digit_identifier("Week 52"));
        assert!(!four_digit_identifier("Week 53"));
        assert!(!six_digit_identifier("Calendar year"));
    }
}
