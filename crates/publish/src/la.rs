//! Local authorities the publication knows: old (three-digit) code, new (ONS) code, name
//! and region, as EES's geography checks require (domain.md §4, `dfe-published-data-qa`
//! `las.csv`).

/// An LA and its region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalAuthority {
    /// Three-digit DfE code.
    pub old_la_code: &'static str,
    /// Nine-character ONS code.
    pub new_la_code: &'static str,
    /// Name as EES spells it.
    pub la_name: &'static str,
    /// ONS region code.
    pub region_code: &'static str,
    /// Region name.
    pub region_name: &'static str,
}

const NORTH_EAST: (&str, &str) = ("E12000001", "North East");
const NORTH_WEST: (&str, &str) = ("E12000002", "North West");
const YORKSHIRE: (&str, &str) = ("E12000003", "Yorkshire and The Humber");
const EAST_MIDLANDS: (&str, &str) = ("E12000004", "East Midlands");
const WEST_MIDLANDS: (&str, &str) = ("E12000005", "West Midlands");
const EAST: (&str, &str) = ("E12000006", "East of England");
const LONDON: (&str, &str) = ("E12000007", "London");
const SOUTH_EAST: (&str, &str) = ("E12000008", "South East");
const SOUTH_WEST: (&str, &str) = ("E12000009", "South West");

const fn la(
    old: &'static str,
    new: &'static str,
    name: &'static str,
    region: (&'static str, &'static str),
) -> LocalAuthority {
    LocalAuthority {
        old_la_code: old,
        new_la_code: new,
        la_name: name,
        region_code: region.0,
        region_name: region.1,
    }
}

/// The LAs known to this version.
pub const LOCAL_AUTHORITIES: &[LocalAuthority] = &[
    la("201", "E09000001", "City of London", LONDON),
    la("202", "E09000007", "Camden", LONDON),
    la("330", "E08000025", "Birmingham", WEST_MIDLANDS),
    la("352", "E08000003", "Manchester", NORTH_WEST),
    la("383", "E08000035", "Leeds", YORKSHIRE),
    la("390", "E08000037", "Gateshead", NORTH_EAST),
    la("801", "E06000023", "Bristol, City of", SOUTH_WEST),
    la("856", "E10000018", "Leicestershire", EAST_MIDLANDS),
    la("873", "E10000003", "Cambridgeshire", EAST),
    la("886", "E10000016", "Kent", SOUTH_EAST),
    la("891", "E10000024", "Nottinghamshire", EAST_MIDLANDS),
    la("926", "E10000020", "Norfolk", EAST),
    la("935", "E10000029", "Suffolk", EAST),
];

/// The LA with the given three-digit code.
pub fn local_authority(code: &str) -> Option<&'static LocalAuthority> {
    LOCAL_AUTHORITIES.iter().find(|la| la.old_la_code == code)
}
