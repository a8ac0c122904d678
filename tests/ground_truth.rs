//! Ground truth (issue 4): the synthetic generator knows every pupil's true sessions,
//! exclusions, results and social-care history. For a seeded synthetic LA this test
//! writes the returns, extracts them with a fresh key, runs every measure, and computes
//! the headline row (every breakdown `Total`) of every measure for every year and group
//! directly from the `Population`, in plain Rust and without reading the warehouse. The
//! two must be equal: counts exactly, sums of scores to 1e-6. It also compares each
//! group's members, in pupils, with the `cohort` table the engine registers.
//!
//! The truth is mirrored from what the returns can know wherever the returns hide it by
//! design (each such place says so and cites `crates/synth/src/write.rs`); everywhere
//! else it is the generator's own history, so a difference is a bug in the writer,
//! extract or the SQL. The definitions followed are domain.md §1 (groups) and §2
//! (measures), as `queries/` states them.
//!
//! Dates are compared as days since 1970 (`days_since_epoch`), the root package having
//! no direct `chrono` dependency.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::ops::RangeInclusive;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Int64Type, Schema};
use cwsw_dictionary::{AcademicYear, Dictionary, Term, days_since_epoch as day, upn};
use cwsw_engine::{Engine, EngineOptions, QuerySet, RunOutput};
use cwsw_extract::{ExtractOptions, ExtractSummary, PseudonymisationKey, Pseudonymiser};
use cwsw_synth::calendar::{Census, CensusTerm};
use cwsw_synth::{CareEpisode, Child, Enrolment, Population, SenProvision, SynthOptions};

/// Days since 1970-01-01.
type Day = i32;

/// Pupils of the synthetic LA: about 250 per year group, 6,250 children in all.
const PUPILS: usize = 3000;

/// The first CIN census year holding CIN plan dates (domain.md §1).
const CIN_PLANS_FROM: i32 = 2022;

// ---------------------------------------------------------------------------------
// The groups (domain.md §1), as social_care_groups.sql labels them.
// ---------------------------------------------------------------------------------

const ALL_PUPILS: &str = "All pupils comparison";
const CIN: &str = "CIN at 31 March";
const CINO: &str = "CINO at 31 March";
const CPPO: &str = "CPPO at 31 March";
const CLA: &str = "CLA at 31 March";
const CLA_12: &str = "CLA 12 months at 31 March";
const CLA_LESS: &str = "CLA less than 12 months at 31 March";
const CIN_ANY: &str = "CIN at any point";
const CINO_ANY: &str = "CINO at any point";
const CPPO_ANY: &str = "CPPO at any point";
const CLA_ANY: &str = "CLA at any point";
const EVER_CIN: &str = "Ever CIN - last 6 years";
const CWSW: &str = "CWSW";
const EVER_6_CWSW: &str = "Ever 6 CWSW";
const NEVER_CIN: &str = "Never CIN - last 6 years";

const GROUPS: [&str; 15] = [
    ALL_PUPILS,
    CIN,
    CINO,
    CPPO,
    CLA,
    CLA_12,
    CLA_LESS,
    CIN_ANY,
    CINO_ANY,
    CPPO_ANY,
    CLA_ANY,
    EVER_CIN,
    CWSW,
    EVER_6_CWSW,
    NEVER_CIN,
];

/// The dates and collection years of one academic year (domain.md §1, §5; the values
/// crates/engine binds as parameters, worked out again here).
struct Year {
    year: AcademicYear,
    time_period: i32,
    /// The CIN census and SSDA903 collection year ending on this year's 31 March.
    census_year: i32,
    /// 31 March.
    reference: Day,
    /// 1 April before it: the start of the collection year.
    period_start: Day,
    /// 1 August and 31 July.
    first_day: Day,
    last_day: Day,
    /// The first of the six collection years ending on 31 March, and its 1 April.
    lookback_census_year: i32,
    lookback_start: Day,
    /// The spring (January) census day.
    spring_census: Day,
    /// Compulsory school age for absence: 5 to 15 at 31 August before the year.
    compulsory_from: Day,
    compulsory_to: Day,
}

impl Year {
    fn new(year: AcademicYear) -> Self {
        let start = year.start_year();
        Self {
            year,
            time_period: year.time_period(),
            census_year: year.end_year(),
            reference: day(year.reference_date()),
            period_start: day(year.period_start()),
            first_day: day(year.first_day()),
            last_day: day(year.last_day()),
            lookback_census_year: year.end_year() - 5,
            lookback_start: day(AcademicYear::starting(start - 5).period_start()),
            spring_census: day(census(year, CensusTerm::Spring).day()),
            compulsory_from: day(year.compulsory_birth_from()),
            compulsory_to: day(year.compulsory_birth_to()),
        }
    }

    /// The same dates for another collection year (for links through earlier returns).
    fn of_census(census_year: i32) -> Self {
        Self::new(AcademicYear::starting(census_year - 1))
    }
}

/// A census of the calendar year ending the academic year.
fn census(year: AcademicYear, term: CensusTerm) -> Census {
    Census {
        year: year.end_year(),
        term,
    }
}

/// The census carrying a term's attendance, one term in arrears (domain.md §5; the
/// spring census carries autumn).
fn census_carrying(year: AcademicYear, term: Term) -> Census {
    match term {
        Term::Autumn => census(year, CensusTerm::Spring),
        Term::Spring => census(year, CensusTerm::Summer),
        Term::Summer => census(year, CensusTerm::Autumn),
    }
}

/// Whether the returns held support a group in a year (group_years.sql; domain.md §1:
/// the six-year groups need six census years, the CWSW groups CIN plans).
fn supported(group: &str, year: &Year, held: &RangeInclusive<i32>) -> bool {
    let has_year = held.contains(&year.census_year);
    let has_window = (year.lookback_census_year..=year.census_year).all(|c| held.contains(&c));
    match group {
        ALL_PUPILS => true,
        EVER_CIN | NEVER_CIN => has_window,
        CWSW => has_year && year.census_year >= CIN_PLANS_FROM,
        EVER_6_CWSW => has_window && year.lookback_census_year >= CIN_PLANS_FROM,
        _ => has_year,
    }
}

// ---------------------------------------------------------------------------------
// Facts about a child.
// ---------------------------------------------------------------------------------

/// Calendar year and month of a date (from its ISO text: no chrono here).
fn year_month(date: impl fmt::Display) -> (i32, u32) {
    let text = date.to_string();
    let year = text
        .get(..4)
        .and_then(|y| y.parse().ok())
        .expect("an ISO date");
    let month = text
        .get(5..7)
        .and_then(|m| m.parse().ok())
        .expect("an ISO date");
    (year, month)
}

/// National Curriculum year (reception 0) in an academic year, by birth cohort
/// (1 September to 31 August), as the census writes `ncyearactual`.
fn nc_year(child: &Child, year: AcademicYear) -> i32 {
    let (birth_year, month) = year_month(child.birth_date);
    let cohort = if month >= 9 {
        birth_year
    } else {
        birth_year - 1
    };
    year.start_year() - cohort - 5
}

/// On roll at some school of the LA on a day.
fn on_roll_on(child: &Child, date: Day) -> bool {
    child.enrolments.iter().any(|enrolment| {
        day(enrolment.entry) <= date && enrolment.leaving.is_none_or(|left| day(left) >= date)
    })
}

/// A pupil of the academic year: on roll at some point from 1 August to 31 July. This is
/// the population of All pupils comparison, Never CIN and the measures over "pupils on a
/// school census in the year" (exclusions, ehe). The census rows carry entry and leaving
/// dates, so the returns know it; a census row of a pupil who was not on roll in the
/// term it describes (a leaver listed for the exclusions it carries, a September
/// starter on the October census) does not make a pupil of the year.
fn pupil_of_year(child: &Child, year: &Year) -> bool {
    child.enrolments.iter().any(|enrolment| {
        day(enrolment.entry) <= year.last_day
            && enrolment
                .leaving
                .is_none_or(|left| day(left) >= year.first_day)
    })
}

/// Short breaks (legal status V3, V4) are respite, not care (domain.md §1).
fn respite(episode: &CareEpisode) -> bool {
    matches!(episode.legal_status, "V3" | "V4")
}

/// Whether a period from `start` to `end` (open if none) overlaps `from..=to`.
fn overlaps(start: Day, end: Option<Day>, from: Day, to: Day) -> bool {
    start <= to && end.is_none_or(|end| end >= from)
}

/// Whether a period is open on a day: started by it and not ended by it (domain.md §1:
/// CPP start ≤ 31 March < end).
fn open_on(start: Day, end: Option<Day>, date: Day) -> bool {
    start <= date && end.is_none_or(|end| end > date)
}

// Linking a child to a pupil (issue 13). The pipeline links ids into persons: nodes are
// UPNs and child ids (CIN LAchildID, SSDA903 CHILD), edges a CIN return's (LAchildID,
// UPN) and (LAchildID, FormerUPN), an SSDA903 header's (CHILD, UPN) and a school census
// row's (upn, formerupn), over every collection year held; a person is a connected
// component. The CIN census and the SSDA903 header carry the UPN only for a child of
// school age: write.rs writes it when the birth year + 5 is before the collection
// year, `UN1` otherwise. UPNs and ids are distinct between children, so a person never
// spans two children. Within one child, the UPNs are always linked: synth changes a UPN
// only between two census days the pupil is on roll, and every census row from the
// change on carries the former UPN (simulate.rs `simulate_identity`), so the child's
// UPNs are one node group. A child id joins it when some held return under that id
// carried a UPN (FormerUPN is written only beside a UPN, so it adds no link here).
// Without one, the id is a person of its own, with no UPN, so no pupil (by design, not
// a bug); a looked-after child whose SSDA903 CHILD differs from its LAchildID (synth's
// `care_child_id`) has its two ids linked only through UPNs.

fn upn_written(child: &Child, census_year: i32) -> bool {
    year_month(child.birth_date).0 + 5 < census_year
}

/// The child is in a year's CIN census: an episode (ReferralNFA too) open on some day of
/// the collection year (write.rs `write_cin_census`).
fn in_cin_census(child: &Child, year: &Year) -> bool {
    child.cin_episodes.iter().any(|episode| {
        overlaps(
            day(episode.referral),
            episode.closure.map(day),
            year.period_start,
            year.reference,
        )
    })
}

/// The child is in a year's SSDA903: an episode (respite too) open on some day of the
/// collection year (write.rs `write_ssda903`).
fn in_ssda903(child: &Child, year: &Year) -> bool {
    child.care_episodes.iter().any(|episode| {
        overlaps(
            day(episode.start),
            episode.end.map(day),
            year.period_start,
            year.reference,
        )
    })
}

/// One person of the pipeline, as part of one synthetic child: which of the child's
/// social care facts it pools (those under its LAchildID, those under its SSDA903
/// CHILD), and whether its component holds a UPN (is matched to the child's pupil).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Person {
    cin: bool,
    care: bool,
    pupil: bool,
}

/// The persons the returns make of a child's social care ids (a child in no CIN or
/// SSDA903 return held has none; its pupil, if any, is a person of the school census
/// alone).
fn persons(child: &Child, held: &RangeInclusive<i32>) -> Vec<Person> {
    let (mut in_cin, mut in_care, mut cin_upn, mut care_upn) = (false, false, false, false);
    for census_year in held.clone() {
        let year = Year::of_census(census_year);
        let written = upn_written(child, census_year);
        if in_cin_census(child, &year) {
            in_cin = true;
            cin_upn |= written;
        }
        if in_ssda903(child, &year) {
            in_care = true;
            care_upn |= written;
        }
    }
    let mut persons = Vec::new();
    if child.care_child_id.is_none() {
        if in_cin || in_care {
            persons.push(Person {
                cin: in_cin,
                care: in_care,
                pupil: cin_upn || care_upn,
            });
        }
        return persons;
    }
    // Two ids: each joins the pupil through a UPN of its own returns, or stays apart.
    if cin_upn || care_upn {
        persons.push(Person {
            cin: cin_upn,
            care: care_upn,
            pupil: true,
        });
    }
    if in_cin && !cin_upn {
        persons.push(Person {
            cin: true,
            care: false,
            pupil: false,
        });
    }
    if in_care && !care_upn {
        persons.push(Person {
            cin: false,
            care: true,
            pupil: false,
        });
    }
    persons
}

/// The person of the child matched to its pupil, if the returns link one.
fn linked_person(child: &Child, held: &RangeInclusive<i32>) -> Option<Person> {
    persons(child, held).into_iter().find(|person| person.pupil)
}

// ---------------------------------------------------------------------------------
// A child's social care groups in a year (domain.md §1; social_care_groups.sql).
// ---------------------------------------------------------------------------------

/// What the child's history says about one year, before the hierarchy. A census lists
/// an end date only once it has passed its 31 March (write.rs `known`), so a blank end
/// reads as open, which is what the truth says on that day: the 31 March and
/// any-point groups need no mirroring. Earlier returns of the six years hold their own
/// episodes, so every period open on some day of the six years is in one of them.
struct SocialCare {
    /// An episode (not ReferralNFA) open at 31 March.
    in_need: bool,
    /// An episode (not ReferralNFA) open on some day of the collection year.
    in_need_any_point: bool,
    /// A child protection plan open at 31 March.
    protection_plan: bool,
    /// A child protection plan open on some day of the collection year.
    protection_plan_any_point: bool,
    /// Looked after at 31 March: the start of the spell of care then.
    looked_after_since: Option<Day>,
    /// Looked after (respite aside) on some day of the collection year.
    looked_after_any_point: bool,
    /// A CIN plan open at 31 March.
    cin_plan: bool,
    /// In need, on a plan or looked after on some day of the six collection years.
    ever_in_need: bool,
    /// On a CIN or child protection plan on some day of the six collection years.
    ever_on_plan: bool,
}

/// The start of the spell of care a child is in on a day: episodes (respite aside) chain
/// while each starts on or before the day the previous ended (the returns carry DECOM
/// and DEC, so a spell is visible: social_care_children.sql `care_spells`).
fn spell_start_on(child: &Child, date: Day) -> Option<Day> {
    let mut episodes: Vec<(Day, Option<Day>)> = child
        .care_episodes
        .iter()
        .filter(|episode| !respite(episode))
        .map(|episode| (day(episode.start), episode.end.map(day)))
        .collect();
    episodes.sort();
    let mut spell_start = None;
    let mut previous_end: Option<Day> = None;
    for (start, end) in episodes {
        if previous_end.is_none_or(|previous| start > previous) {
            spell_start = Some(start);
        }
        if open_on(start, end, date) {
            return spell_start;
        }
        // An open episode ends every chain: nothing can follow it.
        previous_end = end;
        if end.is_none() {
            break;
        }
    }
    None
}

/// The social care facts of a person: the child's CIN census facts if the person holds
/// its LAchildID, its SSDA903 facts if it holds its CHILD id (pooled over its ids).
fn social_care(child: &Child, person: Person, year: &Year) -> SocialCare {
    let (reference, period_start) = (year.reference, year.period_start);
    let cin_episodes: &[cwsw_synth::CinEpisode] =
        if person.cin { &child.cin_episodes } else { &[] };
    let care_episodes: &[CareEpisode] = if person.care {
        &child.care_episodes
    } else {
        &[]
    };
    // ReferralNFA is not in need (domain.md §1).
    let episodes: Vec<(Day, Option<Day>)> = cin_episodes
        .iter()
        .filter(|episode| !episode.referral_nfa)
        .map(|episode| (day(episode.referral), episode.closure.map(day)))
        .collect();
    let protection: Vec<(Day, Option<Day>)> = cin_episodes
        .iter()
        .flat_map(|episode| &episode.protection_plans)
        .map(|plan| (day(plan.plan.start), plan.plan.end.map(day)))
        .collect();
    let cin_plans: Vec<(Day, Option<Day>)> = cin_episodes
        .iter()
        .flat_map(|episode| &episode.cin_plans)
        .map(|plan| (day(plan.start), plan.end.map(day)))
        .collect();
    let care: Vec<(Day, Option<Day>)> = care_episodes
        .iter()
        .filter(|episode| !respite(episode))
        .map(|episode| (day(episode.start), episode.end.map(day)))
        .collect();
    let open_at_reference = |periods: &[(Day, Option<Day>)]| {
        periods
            .iter()
            .any(|(start, end)| open_on(*start, *end, reference))
    };
    let open_between = |periods: &[(Day, Option<Day>)], from: Day| {
        periods
            .iter()
            .any(|(start, end)| overlaps(*start, *end, from, reference))
    };
    let six_years = year.lookback_start;
    SocialCare {
        in_need: open_at_reference(&episodes),
        in_need_any_point: open_between(&episodes, period_start),
        protection_plan: open_at_reference(&protection),
        protection_plan_any_point: open_between(&protection, period_start),
        looked_after_since: if person.care {
            spell_start_on(child, reference)
        } else {
            None
        },
        looked_after_any_point: open_between(&care, period_start),
        cin_plan: open_at_reference(&cin_plans),
        ever_in_need: open_between(&episodes, six_years)
            || open_between(&protection, six_years)
            || open_between(&care, six_years),
        ever_on_plan: open_between(&cin_plans, six_years) || open_between(&protection, six_years),
    }
}

/// The groups a child is in for a year, with the hierarchy CLA > CPP > CIN making CINO,
/// CPPO and CLA exclusive, at 31 March and at any point (domain.md §1). CWSW is the
/// role extension's plan-based cohort: a CIN or child protection plan at 31 March,
/// children looked after reported beside it, not inside (domain.md §1, VSH cohort).
fn child_groups(care: &SocialCare, year: &Year) -> Vec<&'static str> {
    let mut groups = Vec::new();
    let looked_after = care.looked_after_since.is_some();
    if care.in_need || care.protection_plan || looked_after {
        groups.push(CIN);
        if looked_after {
            groups.push(CLA);
        } else if care.protection_plan {
            groups.push(CPPO);
        } else {
            groups.push(CINO);
        }
    }
    if let Some(since) = care.looked_after_since {
        // Looked after throughout the collection year: since its 1 April or before.
        groups.push(if since <= year.period_start {
            CLA_12
        } else {
            CLA_LESS
        });
    }
    if care.in_need_any_point || care.protection_plan_any_point || care.looked_after_any_point {
        groups.push(CIN_ANY);
        if care.looked_after_any_point {
            groups.push(CLA_ANY);
        } else if care.protection_plan_any_point {
            groups.push(CPPO_ANY);
        } else {
            groups.push(CINO_ANY);
        }
    }
    if (care.cin_plan || care.protection_plan) && !looked_after {
        groups.push(CWSW);
    }
    groups
}

/// A group's members in a year: the persons matched to a pupil, as children (their
/// index; a child has at most one such person), and how many persons have no UPN in
/// any return (not pupils: they count only in `coverage`).
#[derive(Debug, Clone, Default)]
struct Members {
    pupils: BTreeSet<usize>,
    no_upn: usize,
}

impl<'a> IntoIterator for &'a Members {
    type Item = &'a usize;
    type IntoIter = std::collections::btree_set::Iter<'a, usize>;

    fn into_iter(self) -> Self::IntoIter {
        self.pupils.iter()
    }
}

/// Each group's members in a year, by person (see [`persons`]): a person's groups come
/// from the facts pooled over its ids, and a person is a pupil of every year once some
/// held return of any year linked it to a UPN. All pupils comparison is every pupil of
/// the year, once (a pupil whose UPN changed is one person); Never CIN - last 6 years is
/// the pupils whose person is not in need in the six years.
fn membership(
    population: &Population,
    year: &Year,
    held: &RangeInclusive<i32>,
) -> BTreeMap<&'static str, Members> {
    let mut members: BTreeMap<&'static str, Members> = GROUPS
        .iter()
        .map(|group| (*group, Members::default()))
        .collect();
    let mut add = |group: &'static str, index: usize, pupil: bool| {
        let group = members.get_mut(group).expect("group");
        if pupil {
            group.pupils.insert(index);
        } else {
            group.no_upn += 1;
        }
    };
    for child in &population.children {
        let mut ever_in_need_pupil = false;
        for person in persons(child, held) {
            let care = social_care(child, person, year);
            if person.pupil {
                ever_in_need_pupil = care.ever_in_need;
            }
            for group in child_groups(&care, year) {
                add(group, child.index, person.pupil);
            }
            if care.ever_in_need {
                add(EVER_CIN, child.index, person.pupil);
            }
            // CIN plans before the 2022 census are not in the returns; the group is not
            // supported while its six years reach before then, so never compared here.
            if care.ever_on_plan && care.looked_after_since.is_none() {
                add(EVER_6_CWSW, child.index, person.pupil);
            }
        }
        if pupil_of_year(child, year) {
            add(ALL_PUPILS, child.index, true);
            if !ever_in_need_pupil {
                add(NEVER_CIN, child.index, true);
            }
        }
    }
    members
}

// ---------------------------------------------------------------------------------
// The measures (domain.md §2), one truth function each.
// ---------------------------------------------------------------------------------

/// A result cell.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    /// Null: `x` (not collected, or the group not supported that year).
    Null,
    Int(i64),
    Float(f64),
}

impl Cell {
    fn same(self, other: Cell) -> bool {
        match (self, other) {
            (Cell::Null, Cell::Null) => true,
            (Cell::Int(a), Cell::Int(b)) => a == b,
            (Cell::Float(a), Cell::Float(b)) => (a - b).abs() <= 1e-6,
            (Cell::Int(a), Cell::Float(b)) | (Cell::Float(b), Cell::Int(a)) => {
                (a as f64 - b).abs() <= 1e-6
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => write!(f, "null (x)"),
            Cell::Int(value) => write!(f, "{value}"),
            Cell::Float(value) => write!(f, "{value:.6}"),
        }
    }
}

type Values = Vec<(&'static str, Cell)>;

/// A measure: its name and the headline columns compared, the years it was not
/// collected (all `x`) and columns not collected in some years (domain.md §2, `x`
/// values), and its truth.
struct Measure {
    name: &'static str,
    columns: &'static [&'static str],
    not_collected: &'static [i32],
    not_collected_columns: &'static [(&'static str, &'static [i32])],
    truth: fn(&Population, &Year, &Members) -> Values,
}

const MEASURES: &[Measure] = &[
    Measure {
        name: "absence",
        columns: &[
            "t_pupils",
            "t_sess_possible",
            "t_sess_overall",
            "t_sess_authorised",
            "t_sess_unauthorised",
            "t_pupils_pa_10_exact",
            "t_pupils_pa_50_exact",
        ],
        not_collected: &[201920],
        not_collected_columns: &[],
        truth: absence,
    },
    Measure {
        name: "exclusions",
        columns: &["t_pupils", "t_perm_excl", "t_one_plus_sus", "t_suspensions"],
        not_collected: &[],
        not_collected_columns: &[],
        truth: exclusions,
    },
    Measure {
        name: "ks2",
        columns: &[
            "t_pupils",
            "t_read_eligible_pupils",
            "t_read_met_expected_standard",
            "pt_read_met_expected_standard",
            "t_writta_eligible_pupils",
            "t_writta_met_expected_standard",
            "pt_writta_met_expected_standard",
            "t_mat_eligible_pupils",
            "t_mat_met_expected_standard",
            "pt_mat_met_expected_standard",
            "t_rwm_eligible_pupils",
            "t_rwm_met_expected_standard",
            "pt_rwm_met_expected_standard",
            "t_gps_eligible_pupils",
            "t_gps_met_expected_standard",
            "pt_gps_met_expected_standard",
            "t_scita_eligible_pupils",
            "t_scita_met_expected_standard",
            "pt_scita_met_expected_standard",
        ],
        not_collected: &[201920, 202021],
        not_collected_columns: &[],
        truth: ks2,
    },
    Measure {
        name: "ks4",
        columns: &[
            "t_pupils",
            "sum_att8",
            "avg_att8",
            "t_p8_pupils",
            "sum_p8score",
            "t_l2basics_94",
            "t_l2basics_95",
            "avg_ebaccaps",
            "t_ebacc_e_ptq_ee",
            "pt_ebacc_e_ptq_ee",
        ],
        not_collected: &[],
        not_collected_columns: &[
            ("t_p8_pupils", &[201920, 202021, 202425]),
            ("sum_p8score", &[201920, 202021, 202425]),
        ],
        truth: ks4,
    },
    Measure {
        name: "sen",
        columns: &[
            "t_pupils",
            "t_no_identified_SEN",
            "t_all_SEN",
            "t_SEN_support",
            "t_statement_or_EHC_plan",
            "t_SEMH",
        ],
        not_collected: &[],
        not_collected_columns: &[],
        truth: sen,
    },
    Measure {
        name: "fsm",
        columns: &["t_pupils", "t_FSM_eligible"],
        not_collected: &[],
        not_collected_columns: &[],
        truth: fsm,
    },
    Measure {
        name: "ehe",
        columns: &["t_pupils", "t_ehe_moves"],
        not_collected: &[],
        not_collected_columns: &[],
        truth: ehe,
    },
    Measure {
        name: "coverage",
        columns: &[
            "t_children",
            "t_matched",
            "t_no_upn",
            "t_upn_not_found",
            "pt_matched",
        ],
        not_collected: &[],
        not_collected_columns: &[],
        truth: coverage,
    },
];

fn count(value: usize) -> Cell {
    Cell::Int(value as i64)
}

/// A pupil's absence in the year: possible, authorised and unauthorised sessions summed
/// over every enrolment (single, main and subsidiary registrations) and term (a ratio
/// of sums, domain.md §5); sessions at the other school of a dual registration (`D`)
/// are possible only there, and never absence (domain.md §2), for a pupil of
/// compulsory school age (5 to 15 at 31 August before the year) with possible sessions.
/// Terms whose census collected no attendance (2019/20 spring and summer) are not known.
fn pupil_absence(child: &Child, year: &Year) -> Option<(u64, u64, u64)> {
    let born = day(child.birth_date);
    if born < year.compulsory_from || born > year.compulsory_to {
        return None;
    }
    let (mut possible, mut authorised, mut unauthorised) = (0u64, 0u64, 0u64);
    for record in child.terms.iter().filter(|record| {
        record.year == year.year && census_carrying(record.year, record.term).collects_attendance()
    }) {
        for attendance in [&record.first, &record.second_half] {
            possible += u64::from(attendance.possible);
            authorised += u64::from(attendance.authorised());
            unauthorised += u64::from(attendance.unauthorised());
        }
    }
    (possible > 0).then_some((possible, authorised, unauthorised))
}

/// Absence (domain.md §2): sessions and persistent (≥10%) and severe (≥50%) absentees.
fn absence(population: &Population, year: &Year, members: &Members) -> Values {
    let mut pupils = 0;
    let (mut possible, mut authorised, mut unauthorised) = (0u64, 0u64, 0u64);
    let (mut persistent, mut severe) = (0, 0);
    for &index in members {
        let Some((p, a, u)) = pupil_absence(&population.children[index], year) else {
            continue;
        };
        pupils += 1;
        possible += p;
        authorised += a;
        unauthorised += u;
        // Exact thresholds: absence / possible ≥ 10%, ≥ 50%.
        if 10 * (a + u) >= p {
            persistent += 1;
        }
        if 2 * (a + u) >= p {
            severe += 1;
        }
    }
    vec![
        ("t_pupils", count(pupils)),
        ("t_sess_possible", Cell::Int(possible as i64)),
        (
            "t_sess_overall",
            Cell::Int((authorised + unauthorised) as i64),
        ),
        ("t_sess_authorised", Cell::Int(authorised as i64)),
        ("t_sess_unauthorised", Cell::Int(unauthorised as i64)),
        ("t_pupils_pa_10_exact", count(persistent)),
        ("t_pupils_pa_50_exact", count(severe)),
    ]
}

/// Permanent exclusions and suspensions over the whole year (domain.md §2, exclusions
/// over the whole year): the group's pupils with an exclusion starting from 1 August to
/// 31 July, whatever census carried it and whether or not they are on the spring census
/// (excluded in the autumn and off roll by January, joined after January). Every such
/// pupil has a pupil record: the census carrying an exclusion lists its pupil, in
/// pupilnolongeronroll if they left (write.rs). Only the denominator, `t_pupils`, is
/// the group's pupils on roll at the spring census day (domain.md §5), so a pupil in
/// the numerator may be outside it. Each exclusion arrives in two censuses and is
/// de-duplicated on (pupil, start date, category, FIXD read as SUSP) (domain.md §5): two
/// suspensions of one pupil starting the same day cannot be told from one carried
/// twice, so by design they count once.
fn exclusions(population: &Population, year: &Year, members: &Members) -> Values {
    let (mut pupils, mut permanent, mut suspended, mut suspensions) = (0, 0, 0, 0);
    for &index in members {
        let child = &population.children[index];
        if on_roll_on(child, year.spring_census) {
            pupils += 1;
        }
        let in_year: Vec<_> = child
            .exclusions
            .iter()
            .filter(|exclusion| (year.first_day..=year.last_day).contains(&day(exclusion.start)))
            .collect();
        if in_year.iter().any(|exclusion| exclusion.permanent) {
            permanent += 1;
        }
        let starts: BTreeSet<Day> = in_year
            .iter()
            .filter(|exclusion| !exclusion.permanent)
            .map(|exclusion| day(exclusion.start))
            .collect();
        if !starts.is_empty() {
            suspended += 1;
        }
        suspensions += starts.len();
    }
    vec![
        ("t_pupils", count(pupils)),
        ("t_perm_excl", count(permanent)),
        ("t_one_plus_sus", count(suspended)),
        ("t_suspensions", count(suspensions)),
    ]
}

/// A KS2 test's outcome for one pupil: `Some(true)` met the expected standard,
/// `Some(false)` not met (in the denominator), `None` not eligible (out of it). A
/// scaled score of 100 or more is met, below 100 not met. In place of a score (the
/// `ks2_test_result` code list's meanings, data-dictionary/code-lists, as of issue 13):
/// `A` absent, `B` working below the standard of the test, `U` unable to access it, `J`
/// just arrived, `Q` annulled for maladministration and `H` annulled for cheating are
/// not met; `M` missing and `L` left the school before the test are not eligible.
fn ks2_test(score: Option<u32>, code: Option<&str>) -> Option<bool> {
    match (score, code) {
        (Some(score), _) => Some(score >= 100),
        (None, Some("A" | "B" | "U" | "J" | "Q" | "H")) => Some(false),
        (None, Some("M" | "L")) => None,
        (None, other) => panic!("a KS2 test with no score and code {other:?}"),
    }
}

/// A KS2 teacher assessment's outcome, as [`ks2_test`] (the `ks2_writing_ta` and
/// `ks2_science_ta` code lists): writing EXS or GDS met, WTS, PKF, PK1-PK6, BLW, `A`
/// (absent) or `D` (disapplied) not met; science EXS met, HNM, `A` or `D` not met; `L`
/// (left), `F` (future) and `P` (past) not eligible.
fn ks2_ta(code: &str) -> Option<bool> {
    match code {
        "EXS" | "GDS" => Some(true),
        "WTS" | "PKF" | "PK1" | "PK2" | "PK3" | "PK4" | "PK5" | "PK6" | "BLW" | "HNM" | "A"
        | "D" => Some(false),
        "L" | "F" | "P" => None,
        other => panic!("a KS2 teacher assessment {other}"),
    }
}

/// The KS2 subjects in the order of the measure's columns.
const KS2_SUBJECTS: [&str; 6] = ["read", "writta", "mat", "rwm", "gps", "scita"];

/// KS2 at the expected standard (domain.md §2): per subject, the pupils eligible and
/// those who met it ([`ks2_test`], [`ks2_ta`]); RWM is eligible when eligible in all of
/// reading, writing and maths, and met when met in all three.
fn ks2(population: &Population, year: &Year, members: &Members) -> Values {
    let mut pupils = 0;
    let (mut eligible, mut met) = ([0usize; 6], [0usize; 6]);
    for &index in members {
        let Some(result) = &population.children[index].ks2 else {
            continue;
        };
        if result.year != year.year {
            continue;
        }
        pupils += 1;
        let test = |test: cwsw_synth::Ks2Test| ks2_test(test.score(), test.code());
        let (reading, writing, maths) = (
            test(result.reading),
            ks2_ta(result.writing),
            test(result.maths),
        );
        let rwm = match (reading, writing, maths) {
            (Some(r), Some(w), Some(m)) => Some(r && w && m),
            _ => None,
        };
        let outcomes = [
            reading,
            writing,
            maths,
            rwm,
            test(result.gps),
            ks2_ta(result.science),
        ];
        for (subject, outcome) in outcomes.into_iter().enumerate() {
            if let Some(outcome) = outcome {
                eligible[subject] += 1;
                met[subject] += usize::from(outcome);
            }
        }
    }
    let mut values = vec![("t_pupils", count(pupils))];
    for (subject, name) in KS2_SUBJECTS.into_iter().enumerate() {
        let [eligible_column, met_column, pt_column] = ks2_columns(name);
        values.push((eligible_column, count(eligible[subject])));
        values.push((met_column, count(met[subject])));
        values.push((pt_column, percent(met[subject], eligible[subject])));
    }
    values
}

/// The eligible, met and percentage columns of a KS2 subject.
fn ks2_columns(subject: &str) -> [&'static str; 3] {
    match subject {
        "read" => [
            "t_read_eligible_pupils",
            "t_read_met_expected_standard",
            "pt_read_met_expected_standard",
        ],
        "writta" => [
            "t_writta_eligible_pupils",
            "t_writta_met_expected_standard",
            "pt_writta_met_expected_standard",
        ],
        "mat" => [
            "t_mat_eligible_pupils",
            "t_mat_met_expected_standard",
            "pt_mat_met_expected_standard",
        ],
        "rwm" => [
            "t_rwm_eligible_pupils",
            "t_rwm_met_expected_standard",
            "pt_rwm_met_expected_standard",
        ],
        "gps" => [
            "t_gps_eligible_pupils",
            "t_gps_met_expected_standard",
            "pt_gps_met_expected_standard",
        ],
        _ => [
            "t_scita_eligible_pupils",
            "t_scita_met_expected_standard",
            "pt_scita_met_expected_standard",
        ],
    }
}

/// 100 × part ÷ whole, null over no one.
fn percent(part: usize, whole: usize) -> Cell {
    if whole == 0 {
        Cell::Null
    } else {
        Cell::Float(100.0 * part as f64 / whole as f64)
    }
}

/// A sum over a count, null over no one.
fn average(sum: f64, whole: usize) -> Cell {
    if whole == 0 {
        Cell::Null
    } else {
        Cell::Float(sum / whole as f64)
    }
}

/// KS4 (domain.md §2): every pupil with a KS4 row is in `t_pupils`; a pupil with no
/// qualifying entries (ATT8 and EBACCAPS blank) scores 0 in the averages of Attainment 8
/// and the EBacc APS over `t_pupils`; Progress 8 over the pupils with a score; English
/// and maths 4+ and 5+; EBacc entry (`EBACC_ENTRY` 1) over `t_pupils`. The results
/// register writes the scores to 2 dp (write.rs), as the truth holds them.
fn ks4(population: &Population, year: &Year, members: &Members) -> Values {
    let (mut pupils, mut p8_pupils, mut basics_4, mut basics_5, mut ebacc) = (0, 0, 0, 0, 0);
    let (mut sum_att8, mut sum_p8, mut sum_ebacc_aps) = (0.0, 0.0, 0.0);
    let two_places = |value: f64| -> f64 {
        format!("{value:.2}")
            .parse()
            .expect("a formatted number parses")
    };
    for &index in members {
        let Some(result) = &population.children[index].ks4 else {
            continue;
        };
        if result.year != year.year {
            continue;
        }
        pupils += 1;
        sum_att8 += result.attainment8.map_or(0.0, two_places);
        sum_ebacc_aps += result.ebacc_aps().map_or(0.0, two_places);
        if let Some(progress8) = result.progress8 {
            p8_pupils += 1;
            sum_p8 += two_places(progress8);
        }
        basics_4 += usize::from(result.english_maths_4);
        basics_5 += usize::from(result.english_maths_5);
        ebacc += usize::from(result.ebacc_entry);
    }
    vec![
        ("t_pupils", count(pupils)),
        ("sum_att8", Cell::Float(sum_att8)),
        ("avg_att8", average(sum_att8, pupils)),
        ("t_p8_pupils", count(p8_pupils)),
        ("sum_p8score", Cell::Float(sum_p8)),
        ("t_l2basics_94", count(basics_4)),
        ("t_l2basics_95", count(basics_5)),
        ("avg_ebaccaps", average(sum_ebacc_aps, pupils)),
        ("t_ebacc_e_ptq_ee", count(ebacc)),
        ("pt_ebacc_e_ptq_ee", percent(ebacc, pupils)),
    ]
}

/// SEN provision recorded for a pupil on the spring census, by the main or single
/// registration (a subsidiary registration's school writes the same values, and the
/// subsidiary lies within the main's spell, so the pupil is on roll at the main school
/// on that day whenever at the subsidiary). The census records SEN
/// from year 1: write.rs writes `N` (and no SEN needs) for a reception pupil, so the
/// returns cannot know a reception pupil's SEN, by design.
fn recorded_sen(child: &Child, year: &Year) -> SenProvision {
    if nc_year(child, year.year) >= 1 {
        child.sen
    } else {
        SenProvision::None
    }
}

/// SEN (domain.md §2) among the group's pupils on roll at the spring census; SEMH is a
/// pupil with SEN whose rank-1 need is SEMH.
fn sen(population: &Population, year: &Year, members: &Members) -> Values {
    let (mut pupils, mut none, mut support, mut plan, mut semh) = (0, 0, 0, 0, 0);
    for &index in members {
        let child = &population.children[index];
        if !on_roll_on(child, year.spring_census) {
            continue;
        }
        pupils += 1;
        let provision = recorded_sen(child, year);
        match provision {
            SenProvision::None => none += 1,
            SenProvision::Support => support += 1,
            SenProvision::EhcPlan => plan += 1,
        }
        if provision != SenProvision::None && child.sen_needs.first() == Some(&"SEMH") {
            semh += 1;
        }
    }
    vec![
        ("t_pupils", count(pupils)),
        ("t_no_identified_SEN", count(none)),
        ("t_all_SEN", count(support + plan)),
        ("t_SEN_support", count(support)),
        ("t_statement_or_EHC_plan", count(plan)),
        ("t_SEMH", count(semh)),
    ]
}

/// FSM (domain.md §2) among the group's pupils on roll at the spring census: eligible
/// when a period covers the census day (started on or before it, and ended after it or
/// not at all). The return is made some days after census day, so it writes the end
/// date of a period that ended after census day but by the return (write.rs
/// `returned`); a period ending on the census day itself reads as ended.
fn fsm(population: &Population, year: &Year, members: &Members) -> Values {
    let (mut pupils, mut eligible) = (0, 0);
    for &index in members {
        let child = &population.children[index];
        if !on_roll_on(child, year.spring_census) {
            continue;
        }
        pupils += 1;
        if child
            .fsm_periods
            .iter()
            .any(|period| open_on(day(period.start), period.end.map(day), year.spring_census))
        {
            eligible += 1;
        }
    }
    vec![
        ("t_pupils", count(pupils)),
        ("t_FSM_eligible", count(eligible)),
    ]
}

/// Moves into elective home education: the group's pupils of the year who began a spell
/// from 1 August to 31 July.
fn ehe(population: &Population, year: &Year, members: &Members) -> Values {
    let (mut pupils, mut moves) = (0, 0);
    for &index in members {
        let child = &population.children[index];
        if !pupil_of_year(child, year) {
            continue;
        }
        pupils += 1;
        if child
            .home_education
            .iter()
            .any(|spell| (year.first_day..=year.last_day).contains(&day(spell.start)))
        {
            moves += 1;
        }
    }
    vec![("t_pupils", count(pupils)), ("t_ehe_moves", count(moves))]
}

/// How many of the group's persons the school census finds (Total breakdown only):
/// matched (the person's pupil is on roll at some point of the year, `pupil_of_year`),
/// with a UPN in some return that no census record of the year holds, or with no UPN in
/// any return. All pupils comparison and Never CIN - last 6 years are drawn from the
/// census, so all their pupils are matched.
fn coverage(population: &Population, year: &Year, members: &Members) -> Values {
    let matched = members
        .pupils
        .iter()
        .filter(|index| pupil_of_year(&population.children[**index], year))
        .count();
    let children = members.pupils.len() + members.no_upn;
    vec![
        ("t_children", count(children)),
        ("t_matched", count(matched)),
        ("t_no_upn", count(members.no_upn)),
        ("t_upn_not_found", count(members.pupils.len() - matched)),
        ("pt_matched", percent(matched, children)),
    ]
}

// ---------------------------------------------------------------------------------
// Expected and found headline rows.
// ---------------------------------------------------------------------------------

/// (academic year, group, measure) → column → value.
type Table = BTreeMap<(i32, String, &'static str), BTreeMap<String, Cell>>;

/// What the population says: every measure's headline row for every year and group (all
/// null where the group is not supported or the measure not collected), and each
/// supported group's members.
struct Truth {
    table: Table,
    /// (academic year, group) → members, for supported groups.
    members: BTreeMap<(i32, &'static str), BTreeSet<usize>>,
}

fn expected(population: &Population, held: &RangeInclusive<i32>) -> Truth {
    let mut table = Table::new();
    let mut all_members = BTreeMap::new();
    for academic_year in AcademicYear::range(population.first_year, population.last_year) {
        let year = Year::new(academic_year);
        let members = membership(population, &year, held);
        for group in GROUPS {
            let supported = supported(group, &year, held);
            if supported {
                all_members.insert((year.time_period, group), members[group].pupils.clone());
            }
            for measure in MEASURES {
                let x = !supported || measure.not_collected.contains(&year.time_period);
                let mut row: BTreeMap<String, Cell> = if x {
                    measure
                        .columns
                        .iter()
                        .map(|column| (column.to_string(), Cell::Null))
                        .collect()
                } else {
                    (measure.truth)(population, &year, &members[group])
                        .into_iter()
                        .map(|(column, value)| (column.to_string(), value))
                        .collect()
                };
                for (column, years) in measure.not_collected_columns {
                    if years.contains(&year.time_period) {
                        row.insert(column.to_string(), Cell::Null);
                    }
                }
                table.insert((year.time_period, group.to_string(), measure.name), row);
            }
        }
    }
    Truth {
        table,
        members: all_members,
    }
}

/// The batch with every text column as `Utf8` (DataFusion may hand back string views),
/// cast once so that reading a cell is cheap.
fn with_utf8(batch: &RecordBatch) -> RecordBatch {
    let schema = batch.schema();
    let (fields, columns): (Vec<Field>, Vec<ArrayRef>) = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| match column.data_type() {
            DataType::Utf8View | DataType::LargeUtf8 => (
                Field::new(field.name(), DataType::Utf8, true),
                arrow::compute::cast(column, &DataType::Utf8).expect("cast to text"),
            ),
            _ => (field.as_ref().clone(), column.clone()),
        })
        .unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("same rows")
}

fn string_at(batch: &RecordBatch, column: &str, row: usize) -> Option<String> {
    let strings = batch.column_by_name(column)?.as_string_opt::<i32>()?;
    strings
        .is_valid(row)
        .then(|| strings.value(row).to_string())
}

fn cell_at(batch: &RecordBatch, column: &str, row: usize) -> Option<Cell> {
    let array = batch.column_by_name(column)?;
    if array.is_null(row) {
        return Some(Cell::Null);
    }
    Some(match array.data_type() {
        DataType::Int64 => Cell::Int(array.as_primitive::<Int64Type>().value(row)),
        DataType::Int32 => Cell::Int(i64::from(array.as_primitive::<Int32Type>().value(row))),
        DataType::Float64 => Cell::Float(array.as_primitive::<Float64Type>().value(row)),
        other => panic!("column {column} is {other}, not a number"),
    })
}

/// The headline rows of every measure the engine returned; a second headline row for
/// the same (year, group) is an error in itself.
fn found(run: &RunOutput, problems: &mut Vec<String>) -> Table {
    let mut table = Table::new();
    for measure in MEASURES {
        let Some(result) = run
            .measures
            .iter()
            .find(|result| result.header.name == measure.name)
        else {
            problems.push(format!("the engine returned no measure `{}`", measure.name));
            continue;
        };
        for batch in &result.batches {
            let batch = &with_utf8(batch);
            let breakdowns: Vec<&str> =
                ["phase_type_grouping", "sex", "sen_provision", "year_group"]
                    .into_iter()
                    .filter(|column| batch.column_by_name(column).is_some())
                    .collect();
            for row in 0..batch.num_rows() {
                if !breakdowns
                    .iter()
                    .all(|column| string_at(batch, column, row).as_deref() == Some("Total"))
                {
                    continue;
                }
                let year = match cell_at(batch, "academic_year", row) {
                    Some(Cell::Int(year)) => year as i32,
                    other => panic!("{}: academic_year is {other:?}", measure.name),
                };
                let group = string_at(batch, "social_care_group", row).unwrap_or_default();
                let mut values = BTreeMap::new();
                for column in measure.columns {
                    match cell_at(batch, column, row) {
                        Some(value) => {
                            values.insert(column.to_string(), value);
                        }
                        None => problems.push(format!(
                            "{}: the result has no column `{column}`",
                            measure.name
                        )),
                    }
                }
                if table
                    .insert((year, group.clone(), measure.name), values)
                    .is_some()
                {
                    problems.push(format!(
                        "{}: two headline rows for {year} {group}",
                        measure.name
                    ));
                }
            }
        }
    }
    table
}

/// One cell that differs.
struct Mismatch {
    year: i32,
    group: String,
    measure: &'static str,
    column: String,
    expected: String,
    found: String,
}

fn compare(expected: &Table, found: &Table) -> (Vec<Mismatch>, usize) {
    let mut mismatches = Vec::new();
    let mut cells = 0;
    let keys: BTreeSet<_> = expected.keys().chain(found.keys()).collect();
    for key in keys {
        let (year, group, measure) = key;
        let mismatch = |column: &str, expected: String, found: String| Mismatch {
            year: *year,
            group: group.clone(),
            measure,
            column: column.to_string(),
            expected,
            found,
        };
        match (expected.get(key), found.get(key)) {
            (Some(want), Some(got)) => {
                for (column, value) in want {
                    cells += 1;
                    let got_value = got.get(column).copied();
                    if !got_value.is_some_and(|got_value| value.same(got_value)) {
                        mismatches.push(mismatch(
                            column,
                            value.to_string(),
                            got_value.map_or("(no column)".to_string(), |v| v.to_string()),
                        ));
                    }
                }
            }
            (Some(_), None) => {
                mismatches.push(mismatch("(row)", "a headline row".into(), "none".into()))
            }
            (None, Some(_)) => mismatches.push(mismatch(
                "(row)",
                "no row (no such group)".into(),
                "a headline row".into(),
            )),
            (None, None) => {}
        }
    }
    (mismatches, cells)
}

// ---------------------------------------------------------------------------------
// Membership in pupils: the truth against the engine's `cohort` table.
// ---------------------------------------------------------------------------------

/// (academic year, group) → pupils (as children) in `cohort`; unknown pupil ids listed.
fn cohort_members(
    batches: &[RecordBatch],
    pupils: &HashMap<String, usize>,
    problems: &mut Vec<String>,
) -> BTreeMap<(i32, String), BTreeSet<usize>> {
    let mut members: BTreeMap<(i32, String), BTreeSet<usize>> = BTreeMap::new();
    for batch in batches {
        let batch = &with_utf8(batch);
        for row in 0..batch.num_rows() {
            let year = match cell_at(batch, "academic_year", row) {
                Some(Cell::Int(year)) => year as i32,
                other => panic!("cohort academic_year is {other:?}"),
            };
            let group = string_at(batch, "social_care_group", row).unwrap_or_default();
            let Some(pupil) = string_at(batch, "pupil_id", row) else {
                continue;
            };
            match pupils.get(&pupil) {
                Some(index) => {
                    members.entry((year, group)).or_default().insert(*index);
                }
                None => problems.push(format!(
                    "{year} {group}: cohort pupil {pupil} is no child's UPN"
                )),
            }
        }
    }
    members
}

/// What a differing pupil's history looks like, for the failure message.
fn describe(population: &Population, index: usize) -> String {
    let child = &population.children[index];
    let kind = |school: usize| {
        let school = &population.schools[school];
        format!("{:?} {}", school.kind, school.laestab)
    };
    let enrolments: Vec<String> = child
        .enrolments
        .iter()
        .map(|enrolment| {
            format!(
                "{}{} {}..{}",
                if enrolment.is_subsidiary() { "S " } else { "" },
                kind(enrolment.school),
                enrolment.entry,
                enrolment
                    .leaving
                    .map_or("".to_string(), |left| left.to_string())
            )
        })
        .collect();
    let episodes: Vec<String> = child
        .cin_episodes
        .iter()
        .map(|episode| {
            format!(
                "{}..{}{}{}",
                episode.referral,
                episode
                    .closure
                    .map_or("".to_string(), |closed| closed.to_string()),
                if episode.referral_nfa { " NFA" } else { "" },
                if episode.protection_plans.is_empty() {
                    ""
                } else {
                    " CPP"
                }
            )
        })
        .collect();
    let care: Vec<String> = child
        .care_episodes
        .iter()
        .map(|episode| {
            format!(
                "{} {}..{}",
                episode.legal_status,
                episode.start,
                episode.end.map_or("".to_string(), |end| end.to_string())
            )
        })
        .collect();
    let care_id = child
        .care_child_id
        .as_ref()
        .map_or(String::new(), |id| format!(", SSDA903 {id}"));
    let upn_change = match (&child.former_upn, child.upn_changed) {
        (Some(former), Some(changed)) => format!(", UPN {former} until {changed}"),
        _ => String::new(),
    };
    format!(
        "child {index} ({}{care_id}{upn_change}, born {}): enrolments [{}]; CIN [{}]; care [{}]",
        child.la_child_id,
        child.birth_date,
        enrolments.join(", "),
        episodes.join(", "),
        care.join(", ")
    )
}

fn compare_membership(
    population: &Population,
    truth: &BTreeMap<(i32, &'static str), BTreeSet<usize>>,
    cohort: &BTreeMap<(i32, String), BTreeSet<usize>>,
) -> Vec<String> {
    let empty = BTreeSet::new();
    let mut report = Vec::new();
    for ((year, group), want) in truth {
        let got = cohort.get(&(*year, group.to_string())).unwrap_or(&empty);
        if want == got {
            continue;
        }
        let only_truth: Vec<usize> = want.difference(got).copied().collect();
        let only_sql: Vec<usize> = got.difference(want).copied().collect();
        let mut text = format!(
            "{year} {group}: truth {} pupils, cohort {}; {} only in the truth, {} only in cohort",
            want.len(),
            got.len(),
            only_truth.len(),
            only_sql.len()
        );
        // Where the pupils only in cohort were on roll, relative to the year.
        let academic_year = Year::new(AcademicYear::starting(year / 100));
        let mut kinds: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for index in &only_sql {
            let child = &population.children[*index];
            let before = |e: &Enrolment| {
                e.leaving
                    .is_some_and(|left| day(left) < academic_year.first_day)
            };
            let after = |e: &Enrolment| day(e.entry) > academic_year.last_day;
            let kind = if child.enrolments.iter().all(before) {
                "left every school before 1 August"
            } else if child.enrolments.iter().all(after) {
                "joined every school after 31 July"
            } else if child.enrolments.iter().all(|e| before(e) || after(e)) {
                "on roll before and after the year, not in it"
            } else {
                "other"
            };
            kinds.entry(kind).or_default().push(*index);
        }
        for (kind, children) in &kinds {
            text.push_str(&format!("\n      {} only in cohort {kind}", children.len()));
            if !matches!(
                *kind,
                "left every school before 1 August" | "joined every school after 31 July"
            ) {
                text.push_str(&format!(", e.g. {}", describe(population, children[0])));
            }
        }
        for index in only_truth.iter().take(3) {
            text.push_str(&format!(
                "\n      truth only: {}",
                describe(population, *index)
            ));
        }
        for index in only_sql.iter().take(3) {
            text.push_str(&format!(
                "\n      cohort only: {}",
                describe(population, *index)
            ));
        }
        report.push(text);
    }
    report
}

// ---------------------------------------------------------------------------------
// Pupils behind a differing cell. Per-pupil totals are read back from the warehouse
// for the failure message only: they never feed an expected value.
// ---------------------------------------------------------------------------------

/// Per-pupil, per-year totals from the warehouse: absence sessions (pupil_terms) and
/// exclusions (exclusions), before any group or age filter.
struct Diagnostics {
    absence: Vec<RecordBatch>,
    exclusions: Vec<RecordBatch>,
}

/// (academic year, child) → the named columns of a per-pupil diagnostic query.
fn per_pupil(
    batches: &[RecordBatch],
    columns: &[&str],
    pupils: &HashMap<String, usize>,
) -> BTreeMap<(i32, usize), Vec<i64>> {
    let mut values = BTreeMap::new();
    for batch in batches {
        let batch = &with_utf8(batch);
        for row in 0..batch.num_rows() {
            let Some(Cell::Int(year)) = cell_at(batch, "academic_year", row) else {
                continue;
            };
            let Some(index) = string_at(batch, "pupil_id", row).and_then(|id| pupils.get(&id))
            else {
                continue;
            };
            // A pupil whose UPN changed has rows under both UPNs: add them up.
            let numbers: &mut Vec<i64> = values
                .entry((year as i32, *index))
                .or_insert_with(|| vec![0; columns.len()]);
            for (total, column) in numbers.iter_mut().zip(columns) {
                if let Some(Cell::Int(value)) = cell_at(batch, column, row) {
                    *total += value;
                }
            }
        }
    }
    values
}

/// The truth of the same per-pupil totals, for every child.
fn truth_per_pupil(
    population: &Population,
    measure: &str,
    year: &Year,
) -> BTreeMap<(i32, usize), Vec<i64>> {
    let mut values = BTreeMap::new();
    for child in &population.children {
        let value = match measure {
            "absence" => {
                let (mut p, mut a, mut u) = (0, 0, 0);
                for record in child.terms.iter().filter(|record| {
                    record.year == year.year
                        && census_carrying(record.year, record.term).collects_attendance()
                }) {
                    for attendance in [&record.first, &record.second_half] {
                        p += i64::from(attendance.possible);
                        a += i64::from(attendance.authorised());
                        u += i64::from(attendance.unauthorised());
                    }
                }
                (p > 0).then(|| vec![p, a, u])
            }
            _ => {
                let in_year: Vec<_> = child
                    .exclusions
                    .iter()
                    .filter(|e| (year.first_day..=year.last_day).contains(&day(e.start)))
                    .collect();
                let permanent = in_year.iter().filter(|e| e.permanent).count() as i64;
                let suspensions = in_year
                    .iter()
                    .filter(|e| !e.permanent)
                    .map(|e| day(e.start))
                    .collect::<BTreeSet<_>>()
                    .len() as i64;
                (!in_year.is_empty()).then(|| vec![permanent, suspensions])
            }
        };
        if let Some(value) = value {
            values.insert((year.time_period, child.index), value);
        }
    }
    values
}

/// The first pupils whose per-pupil totals differ, for each (measure, year) with a
/// differing cell.
fn pupils_behind(pipeline: &Pipeline, mismatches: &[Mismatch]) -> Vec<String> {
    let wanted: BTreeSet<(&str, i32)> = mismatches
        .iter()
        .filter(|m| matches!(m.measure, "absence" | "exclusions"))
        .map(|m| (m.measure, m.year))
        .collect();
    let mut lines = Vec::new();
    for (measure, time_period) in wanted {
        let (batches, columns): (&[RecordBatch], &[&str]) = if measure == "absence" {
            (
                &pipeline.diagnostics.absence,
                &["possible", "authorised", "unauthorised"],
            )
        } else {
            (
                &pipeline.diagnostics.exclusions,
                &["permanent", "suspensions"],
            )
        };
        let found: BTreeMap<_, _> = per_pupil(batches, columns, &pipeline.pupil_ids)
            .into_iter()
            .filter(|((year, _), _)| *year == time_period)
            .collect();
        let year = Year::new(AcademicYear::starting(time_period / 100));
        let truth = truth_per_pupil(&pipeline.population, measure, &year);
        let keys: BTreeSet<_> = truth.keys().chain(found.keys()).collect();
        let differing: Vec<_> = keys
            .into_iter()
            .filter(|key| truth.get(key) != found.get(key))
            .collect();
        lines.push(format!(
            "{measure} {time_period}: {} pupils differ ({columns:?}, truth vs warehouse)",
            differing.len()
        ));
        for key in differing.iter().take(4) {
            lines.push(format!(
                "  {:?} vs {:?}: {}",
                truth.get(key),
                found.get(key),
                describe(&pipeline.population, key.1)
            ));
        }
    }
    lines
}

// ---------------------------------------------------------------------------------
// The pipeline, in process.
// ---------------------------------------------------------------------------------

struct Pipeline {
    _dir: tempfile::TempDir,
    population: Population,
    summary: ExtractSummary,
    run: RunOutput,
    cohort: Vec<RecordBatch>,
    diagnostics: Diagnostics,
    pupil_ids: HashMap<String, usize>,
    held: RangeInclusive<i32>,
}

fn pipeline(seed: u64) -> Pipeline {
    let started = Instant::now();
    let options = SynthOptions {
        pupils: PUPILS,
        seed,
        invalid_rate: 0.0,
        ..SynthOptions::default()
    };
    options.validate().expect("valid options");
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("raw");
    let warehouse = dir.path().join("warehouse");
    std::fs::create_dir_all(&raw).expect("raw folder");
    let population = cwsw_synth::generate(&options);
    require_cases(seed, &population);
    cwsw_synth::write_returns(&population, &options, &raw).expect("returns written");
    eprintln!(
        "seed {seed}: {} children, returns written in {:.1}s",
        population.children.len(),
        started.elapsed().as_secs_f64()
    );
    let key = PseudonymisationKey::generate();
    let dictionary = Dictionary::embedded().expect("the dictionary loads");
    let summary = cwsw_extract::extract(
        &ExtractOptions {
            input: raw,
            output: warehouse.clone(),
            la_code: None,
            census_slice_bytes: None,
        },
        &key,
        &dictionary,
    )
    .expect("extract");
    let mut rejects: BTreeMap<&str, usize> = BTreeMap::new();
    for reject in &summary.rejects {
        *rejects.entry(reject.rule_id).or_default() += 1;
    }
    eprintln!(
        "seed {seed}: extracted in {:.1}s; rejected or warned rows by rule: {rejects:?}",
        started.elapsed().as_secs_f64()
    );
    let years: Vec<AcademicYear> =
        AcademicYear::range(options.first_year, options.last_year).collect();
    let (run, cohort, diagnostics) = run_engine(&warehouse, &years);
    eprintln!(
        "seed {seed}: measures run in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let pseudonymiser = Pseudonymiser::new(&key);
    // Either of a child's UPNs may name its person's pupil.
    let pupil_ids = population
        .children
        .iter()
        .flat_map(|child| {
            child.upns().map(|upn| {
                (
                    pseudonymiser
                        .pupil_id(&upn::normalise(upn))
                        .as_str()
                        .to_string(),
                    child.index,
                )
            })
        })
        .collect();
    Pipeline {
        _dir: dir,
        held: population.first_year.end_year()..=population.last_year.end_year(),
        population,
        summary,
        run,
        cohort,
        diagnostics,
        pupil_ids,
    }
}

fn run_engine(
    warehouse: &Path,
    years: &[AcademicYear],
) -> (RunOutput, Vec<RecordBatch>, Diagnostics) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let queries = QuerySet::embedded().expect("the embedded queries parse");
        let engine = Engine::open(warehouse, queries, &EngineOptions::default())
            .await
            .expect("the engine opens the warehouse");
        let run = engine
            .run(years, &[], &[], &mut |_| {})
            .await
            .expect("every measure runs");
        let sql = |text: &'static str| {
            let engine = &engine;
            async move { engine.sql(text, &[]).await.expect(text) }
        };
        let cohort = sql(
            "select academic_year, social_care_group, pupil_id from cohort where pupil_id is not null",
        )
        .await;
        let diagnostics = Diagnostics {
            absence: sql(
                "select academic_year, pupil_id, sum(sessions_possible) as possible, \
                 sum(coalesce(sessions_authorised, 0)) as authorised, \
                 sum(coalesce(sessions_unauthorised, 0)) as unauthorised \
                 from pupil_terms where sessions_possible is not null group by academic_year, pupil_id",
            )
            .await,
            exclusions: sql(
                "select academic_year, pupil_id, \
                 sum(case when category = 'PERM' then 1 else 0 end) as permanent, \
                 sum(case when category in ('FIXD', 'SUSP') then 1 else 0 end) as suspensions \
                 from exclusions group by academic_year, pupil_id",
            )
            .await,
        };
        (run, cohort, diagnostics)
    })
}

// ---------------------------------------------------------------------------------
// What the seed must exercise (issue 12): the rules a measure would get wrong unseen.
// ---------------------------------------------------------------------------------

/// How many of each case the population holds, over the years simulated.
#[derive(Debug, Default)]
struct Cases {
    /// Subsidiary (S) registrations current on a spring census day.
    dual_registrations: usize,
    /// Pupil-years with an exclusion in the autumn term and on no roll at the spring
    /// census day.
    autumn_excluded_off_roll: usize,
    /// Enrolments entered after the spring census day with an exclusion there later in
    /// the same year.
    post_january_joiners_excluded: usize,
    /// Of those, pupils on no roll at the spring census day.
    post_january_joiners_off_roll: usize,
    /// FSM periods ending after a spring census day, within the days before the return
    /// (write.rs `RETURN_DAYS`, 28), of a pupil on roll that day: the spring census
    /// writes their end date.
    fsm_ending_after_census: usize,
    /// Pupils at the end of KS4 with no qualifying entries (ATT8 blank).
    ks4_non_entrants: usize,
    /// Children whose UPN changed, linked to their pupil and in need or looked after in
    /// the returns, on a school census both before and after the change.
    group_upn_changes_seen_both_sides: usize,
    /// Looked-after children with two ids (SSDA903 CHILD not their LAchildID) whose
    /// CIN and SSDA903 returns both carry a UPN (so link).
    two_ids_with_upns: usize,
    /// Children whose first CIN return held writes UN1 and a later one a UPN.
    un1_then_upn: usize,
    /// KS2 results by code in place of a test score (A, B, U, M, Q, J) and, as
    /// `TA A`, `TA D`, `TA L`, of a teacher assessment.
    ks2_codes: BTreeMap<String, usize>,
}

/// The KS2 test codes every seed must hold.
const KS2_TEST_CODES: [&str; 6] = ["A", "B", "U", "M", "Q", "J"];

fn cases(population: &Population) -> Cases {
    let mut cases = Cases::default();
    let held = population.first_year.end_year()..=population.last_year.end_year();
    let census_days: Vec<Day> = Census::completing(population.first_year, population.last_year)
        .into_iter()
        .map(|census| day(census.day()))
        .collect();
    for child in &population.children {
        if child
            .ks4
            .as_ref()
            .is_some_and(|ks4| ks4.attainment8.is_none())
        {
            cases.ks4_non_entrants += 1;
        }
        if let Some(result) = &child.ks2 {
            for test in [result.reading, result.maths, result.gps] {
                if let Some(code) = test.code() {
                    *cases.ks2_codes.entry(code.to_string()).or_default() += 1;
                }
            }
            for ta in [result.writing, result.science] {
                if matches!(ta, "A" | "D" | "L") {
                    *cases.ks2_codes.entry(format!("TA {ta}")).or_default() += 1;
                }
            }
        }
        let linked = linked_person(child, &held);
        if let (Some(person), Some(changed)) = (linked, child.upn_changed) {
            let changed = day(changed);
            let in_group = (person.cin
                && child
                    .cin_episodes
                    .iter()
                    .any(|episode| !episode.referral_nfa))
                || (person.care && child.care_episodes.iter().any(|e| !respite(e)));
            let before = census_days
                .iter()
                .any(|d| *d < changed && on_roll_on(child, *d));
            let after = census_days
                .iter()
                .any(|d| *d >= changed && on_roll_on(child, *d));
            if in_group && before && after {
                cases.group_upn_changes_seen_both_sides += 1;
            }
        }
        if child.care_child_id.is_some() && linked.is_some_and(|person| person.cin && person.care) {
            cases.two_ids_with_upns += 1;
        }
        let cin_years: Vec<i32> = held
            .clone()
            .filter(|census_year| in_cin_census(child, &Year::of_census(*census_year)))
            .collect();
        if let Some(first) = cin_years.first()
            && !upn_written(child, *first)
            && cin_years.iter().any(|year| upn_written(child, *year))
        {
            cases.un1_then_upn += 1;
        }
    }
    for academic_year in AcademicYear::range(population.first_year, population.last_year) {
        let year = Year::new(academic_year);
        let census_day = year.spring_census;
        // The autumn term of exclusions: 1 August to 31 December (domain.md §5).
        let autumn_end = day(cwsw_synth::calendar::ymd(
            academic_year.start_year(),
            12,
            31,
        ));
        for child in &population.children {
            let on_roll = on_roll_on(child, census_day);
            cases.dual_registrations += child
                .enrolments
                .iter()
                .filter(|enrolment| {
                    enrolment.is_subsidiary()
                        && day(enrolment.entry) <= census_day
                        && enrolment.leaving.is_none_or(|left| day(left) >= census_day)
                })
                .count();
            let in_autumn = child
                .exclusions
                .iter()
                .any(|exclusion| (year.first_day..=autumn_end).contains(&day(exclusion.start)));
            if in_autumn && !on_roll {
                cases.autumn_excluded_off_roll += 1;
            }
            for (index, enrolment) in child.enrolments.iter().enumerate() {
                let entry = day(enrolment.entry);
                if enrolment.is_subsidiary() || entry <= census_day || entry > year.last_day {
                    continue;
                }
                if child.exclusions.iter().any(|exclusion| {
                    exclusion.enrolment == index
                        && day(exclusion.start) >= entry
                        && day(exclusion.start) <= year.last_day
                }) {
                    cases.post_january_joiners_excluded += 1;
                    if !on_roll {
                        cases.post_january_joiners_off_roll += 1;
                    }
                }
            }
            if on_roll {
                cases.fsm_ending_after_census += child
                    .fsm_periods
                    .iter()
                    .filter(|period| {
                        day(period.start) <= census_day
                            && period.end.is_some_and(|end| {
                                day(end) > census_day && day(end) <= census_day + 28
                            })
                    })
                    .count();
            }
        }
    }
    cases
}

/// Fails, naming what is missing, unless the seed holds every case of [`Cases`].
fn require_cases(seed: u64, population: &Population) {
    let cases = cases(population);
    eprintln!("seed {seed}: {cases:?}");
    let mut missing = Vec::new();
    if cases.dual_registrations == 0 {
        missing.push("a dual registration (an S enrolment) current on a spring census day");
    }
    if cases.autumn_excluded_off_roll == 0 {
        missing.push("a pupil excluded in the autumn term and off roll on the spring census day");
    }
    if cases.post_january_joiners_excluded == 0 {
        missing.push(
            "a pupil joining a school after the spring census day and excluded there that year",
        );
    }
    if cases.fsm_ending_after_census == 0 {
        missing.push("an FSM period ending after a spring census day that the census writes with its end date");
    }
    if cases.ks4_non_entrants == 0 {
        missing.push("a KS4 pupil with no qualifying entries");
    }
    if cases.group_upn_changes_seen_both_sides == 0 {
        missing.push("a child in need or looked after whose UPN changed, on a school census on both sides of the change");
    }
    if cases.two_ids_with_upns == 0 {
        missing.push("a looked-after child with two ids whose CIN and SSDA903 returns carry a UPN");
    }
    if cases.un1_then_upn == 0 {
        missing.push("a child whose first CIN return has UN1 and a later one a UPN");
    }
    let codes: Vec<String> = KS2_TEST_CODES
        .iter()
        .map(|code| code.to_string())
        .chain(["TA A", "TA D", "TA L"].map(str::to_string))
        .filter(|code| !cases.ks2_codes.contains_key(code))
        .map(|code| format!("KS2 result code {code}"))
        .collect();
    for code in &codes {
        missing.push(code);
    }
    assert!(
        missing.is_empty(),
        "seed {seed}: the synthetic LA holds no {}",
        missing.join("; no ")
    );
}

/// Runs the pipeline for a seed and checks every headline cell and every group's
/// members against the truth.
fn check(seed: u64) {
    let started = Instant::now();
    let pipeline = pipeline(seed);
    let truth = expected(&pipeline.population, &pipeline.held);
    eprintln!(
        "seed {seed}: truth computed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let mut problems = Vec::new();
    let found_rows = found(&pipeline.run, &mut problems);
    let (mismatches, cells) = compare(&truth.table, &found_rows);
    let cohort = cohort_members(&pipeline.cohort, &pipeline.pupil_ids, &mut problems);
    let membership = compare_membership(&pipeline.population, &truth.members, &cohort);
    if mismatches.is_empty() && membership.is_empty() && problems.is_empty() {
        eprintln!(
            "seed {seed}: {cells} headline cells and {} group-years equal the truth ({:.1}s)",
            truth.members.len(),
            started.elapsed().as_secs_f64()
        );
        return;
    }
    let mut message = format!(
        "seed {seed}: {} of {cells} headline cells differ from the truth; {} of {} group-years differ in members\n",
        mismatches.len(),
        membership.len(),
        truth.members.len()
    );
    for problem in &problems {
        message.push_str(&format!("  {problem}\n"));
    }
    let mut by_column: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for mismatch in &mismatches {
        *by_column
            .entry((mismatch.measure, mismatch.column.as_str()))
            .or_default() += 1;
    }
    message.push_str("  cells differing, by measure and column:\n");
    for ((measure, column), n) in &by_column {
        message.push_str(&format!("    {measure}.{column}: {n}\n"));
    }
    message.push_str("  year    group                                  measure     column                          expected      found\n");
    for mismatch in mismatches.iter().take(80) {
        message.push_str(&format!(
            "  {:<7} {:<38} {:<11} {:<31} {:>12} {:>10}\n",
            mismatch.year,
            mismatch.group,
            mismatch.measure,
            mismatch.column,
            mismatch.expected,
            mismatch.found
        ));
    }
    if mismatches.len() > 80 {
        message.push_str(&format!("  … and {} more\n", mismatches.len() - 80));
    }
    let behind = pupils_behind(&pipeline, &mismatches);
    if !behind.is_empty() {
        message.push_str("  pupils behind the differing absence and exclusion cells:\n");
        for line in &behind {
            message.push_str(&format!("    {line}\n"));
        }
    }
    if !membership.is_empty() {
        message.push_str("  members (pupils) differing from the cohort table:\n");
        for text in membership.iter().take(40) {
            message.push_str(&format!("    {text}\n"));
        }
    }
    let mut rejects: BTreeMap<&str, usize> = BTreeMap::new();
    for reject in &pipeline.summary.rejects {
        *rejects.entry(reject.rule_id).or_default() += 1;
    }
    if !rejects.is_empty() {
        message.push_str(&format!(
            "  extract rejected or warned rows, by rule: {rejects:?}\n"
        ));
    }
    panic!("{message}");
}

#[test]
fn seed_1_measures_equal_the_truth() {
    check(1);
}

#[test]
fn seed_2_measures_equal_the_truth() {
    check(2);
}

#[test]
fn seed_3_measures_equal_the_truth() {
    check(3);
}
