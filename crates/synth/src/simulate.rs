//! Builds the population: schools, children, their social-care histories, school
//! careers, attendance, exclusions, results and home education.
//!
//! Every child draws from its own generator seeded from (seed, child), so a child's
//! history does not depend on the order children are made in.

use chrono::{Datelike, Duration, NaiveDate};
use cwsw_dictionary::{AcademicYear, Term, upn};
use rand::{Rng, SeedableRng};

use crate::attendance::{AUTHORISED_FROM_2024, AUTHORISED_TO_2024, UNAUTHORISED};
use crate::calendar::{self, Census, CensusTerm, ymd};
use crate::draw::{self, Generator};
use crate::model::*;
use crate::names;
use crate::{Baseline, Effect, SynthOptions};

/// The social-care status that drives a pupil's outcomes in an academic year, by the
/// DfE hierarchy CLA > CPP > CIN at 31 March (domain.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum YearStatus {
    /// Looked after at 31 March, continuously since 1 April the year before.
    LookedAfter12Months,
    /// Looked after at 31 March, for less than 12 months.
    LookedAfterLess,
    /// On a child protection plan at 31 March, not looked after.
    ProtectionPlan,
    /// In need at 31 March, neither of the above.
    InNeedOther,
    /// In need at some point in the year but not at 31 March.
    InNeedDuringYear,
    /// In need in the previous six years but not this one.
    EverInNeed,
    /// None of these.
    None,
}

impl YearStatus {
    /// In need at 31 March (CINO, CPPO or CLA): the children a planted effect reaches.
    /// A child in need only earlier in the year is not.
    pub fn in_need_at_31_march(self) -> bool {
        matches!(
            self,
            Self::InNeedOther
                | Self::ProtectionPlan
                | Self::LookedAfter12Months
                | Self::LookedAfterLess
        )
    }

    /// In one of the social-care groups that take their own absence rate and
    /// suspension chance (in need at 31 March, or during the year).
    fn in_group(self) -> bool {
        !matches!(self, Self::EverInNeed | Self::None)
    }
}

/// The year whose gaps `Baseline::Parallel` holds.
fn baseline_year() -> AcademicYear {
    AcademicYear::starting(2018)
}

/// Overall absence (%) by academic year for all pupils, CINO, CPPO and CLA 12 months
/// (domain.md §2 national calibration figures; 2019/20 and the all-pupils 2020/21 and
/// 2024/25 values are [K] estimates).
fn absence_targets(year: AcademicYear) -> [f64; 4] {
    match year.start_year() {
        ..=2018 => [4.7, 11.5, 13.9, 5.1],
        2019 => [4.9, 12.4, 15.4, 6.9],
        2020 => [4.6, 13.6, 17.4, 9.1],
        2021 => [7.6, 16.2, 19.4, 7.8],
        2022 => [7.4, 17.4, 21.5, 8.3],
        2023 => [7.1, 17.7, 22.2, 8.8],
        _ => [6.9, 17.4, 21.8, 9.0],
    }
}

/// Authorised share of absence for all pupils, CINO, CPPO, CLA (domain.md §2 table);
/// under `Baseline::Parallel`, the 2018/19 share in every year.
fn authorised_share(status: YearStatus, year: AcademicYear, baseline: Baseline) -> f64 {
    let year = match baseline {
        Baseline::National => year,
        Baseline::Parallel => baseline_year(),
    };
    let recent = year.start_year() >= 2021;
    match status {
        YearStatus::InNeedOther | YearStatus::InNeedDuringYear => {
            if recent {
                0.58
            } else {
                0.57
            }
        }
        YearStatus::ProtectionPlan => 0.46,
        YearStatus::LookedAfter12Months | YearStatus::LookedAfterLess => 0.69,
        _ => 0.72,
    }
}

/// Mean absence rate of a pupil in a social-care group, or `None` for pupils outside the
/// groups (whose rate is scaled so that all pupils meet the national figure).
///
/// `Baseline::National` takes the group's national rate of the year.
/// `Baseline::Parallel` takes its 2018/19 rate plus the all-pupils national change
/// since 2018/19, so the group's gap to all pupils is its 2018/19 gap in every year.
fn group_absence(status: YearStatus, year: AcademicYear, baseline: Baseline) -> Option<f64> {
    let national = |year: AcademicYear| -> Option<f64> {
        let [_, cino, cppo, cla12] = absence_targets(year);
        match status {
            YearStatus::InNeedOther => Some(cino),
            YearStatus::ProtectionPlan => Some(cppo),
            YearStatus::LookedAfter12Months => Some(cla12),
            YearStatus::LookedAfterLess => Some(cla12 * 1.6),
            YearStatus::InNeedDuringYear => Some(cino * 0.8),
            YearStatus::EverInNeed | YearStatus::None => None,
        }
    };
    let percent = match baseline {
        Baseline::National => national(year)?,
        Baseline::Parallel => {
            let all_pupils = |year: AcademicYear| absence_targets(year)[0];
            national(baseline_year())? + all_pupils(year) - all_pupils(baseline_year())
        }
    };
    Some(percent / 100.0)
}

const REFERRAL_SOURCES: &[(&str, f64)] = &[
    ("1A", 0.03),
    ("1B", 0.03),
    ("1C", 0.01),
    ("1D", 0.04),
    ("2A", 0.06),
    ("2B", 0.01),
    ("3A", 0.18),
    ("3B", 0.02),
    ("3C", 0.02),
    ("3D", 0.03),
    ("3E", 0.01),
    ("3F", 0.02),
    ("4", 0.02),
    ("5A", 0.06),
    ("5B", 0.02),
    ("5C", 0.01),
    ("6", 0.01),
    ("7", 0.01),
    ("8", 0.01),
    ("9", 0.28),
    ("10", 0.12),
];
const PRIMARY_NEEDS: &[(&str, f64)] = &[
    ("N1", 0.57),
    ("N2", 0.09),
    ("N3", 0.03),
    ("N4", 0.08),
    ("N5", 0.14),
    ("N6", 0.02),
    ("N7", 0.01),
    ("N8", 0.02),
    ("N9", 0.02),
    ("N0", 0.02),
];
const CATEGORIES: &[(&str, f64)] = &[
    ("NEG", 0.50),
    ("EMO", 0.35),
    ("PHY", 0.07),
    ("SAB", 0.04),
    ("MUL", 0.04),
];
const FACTORS: &[&str] = &[
    "1A", "1B", "2A", "2B", "3A", "3B", "3C", "4A", "4B", "5A", "5B", "5C", "6A", "6B", "7A", "8B",
    "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A", "14A", "15A", "16A", "17A", "18B",
    "18C", "19A", "19B", "19C", "20", "22A", "23A", "24A",
];
const ETHNICITIES: &[(&str, f64)] = &[
    ("WBRI", 0.66),
    ("WIRI", 0.005),
    ("WIRT", 0.002),
    ("WOTH", 0.06),
    ("WROM", 0.005),
    ("MWBC", 0.02),
    ("MWBA", 0.01),
    ("MWAS", 0.01),
    ("MOTH", 0.02),
    ("AIND", 0.03),
    ("APKN", 0.04),
    ("ABAN", 0.015),
    ("AOTH", 0.015),
    ("BCRB", 0.01),
    ("BAFR", 0.04),
    ("BOTH", 0.005),
    ("CHNE", 0.005),
    ("OOTH", 0.02),
    ("REFU", 0.01),
    ("NOBT", 0.005),
];
const SEN_TYPES: &[(&str, f64)] = &[
    ("SLCN", 0.24),
    ("SEMH", 0.20),
    ("MLD", 0.13),
    ("SPLD", 0.11),
    ("ASD", 0.13),
    ("SLD", 0.02),
    ("PMLD", 0.01),
    ("PD", 0.02),
    ("HI", 0.01),
    ("VI", 0.01),
    ("MSI", 0.005),
    ("OTH", 0.03),
    ("NSA", 0.02),
];
const FOSTER_PLACEMENTS: &[&str] = &["U1", "U2", "U3", "U4", "U5", "U6"];
const OTHER_PLACEMENTS: &[(&str, f64)] = &[
    ("K2", 0.4),
    ("R1", 0.15),
    ("P1", 0.15),
    ("H5", 0.1),
    ("Z1", 0.1),
    ("S1", 0.1),
];
const CARE_ENDINGS: &[(&str, f64)] = &[
    ("E4A", 0.30),
    ("E8", 0.16),
    ("E11", 0.08),
    ("E12", 0.03),
    ("E41", 0.05),
    ("E45", 0.06),
    ("E46", 0.02),
    ("E47", 0.04),
    ("E48", 0.04),
    ("E13", 0.05),
    ("E17", 0.04),
    ("E3", 0.03),
    ("E5", 0.03),
    ("E15", 0.02),
    ("E16", 0.02),
    ("E7", 0.02),
    ("E9", 0.01),
];
const SUSPENSION_REASONS: &[(&str, f64)] = &[
    ("PP", 0.10),
    ("PA", 0.08),
    ("VP", 0.06),
    ("VA", 0.03),
    ("BU", 0.03),
    ("RA", 0.02),
    ("SM", 0.02),
    ("DA", 0.03),
    ("DM", 0.02),
    ("TH", 0.01),
    ("DB", 0.45),
    ("OW", 0.03),
    ("LG", 0.02),
    ("DS", 0.01),
    ("MT", 0.02),
    ("PH", 0.01),
];
const EHE_REASONS: &[(&str, f64)] = &[
    ("PHIL", 0.22),
    ("MENT", 0.14),
    ("SEND", 0.08),
    ("EXCL", 0.04),
    ("SCHL", 0.18),
    ("HEAL", 0.08),
    ("OTH", 0.10),
    ("UNK", 0.16),
];
const OTHER_LA_CODES: &[&str] = &["330", "383", "873", "886", "926", "935", "202", "201"];

/// How many pupils each school holds, on average.
const PRIMARY_SIZE: usize = 300;
const SECONDARY_SIZE: usize = 1000;

/// Where social-care histories begin: far enough back that episodes open at the first
/// census have their real start dates.
fn history_start(options: &SynthOptions) -> NaiveDate {
    ymd(options.first_year.start_year() - 7, 4, 1)
}

/// Generates the whole population.
pub fn generate(options: &SynthOptions) -> Population {
    let schools = make_schools(options);
    let sim_end = options.last_year.last_day();
    let cohort_size = (options.pupils / 12).max(1);
    // Birth cohorts (born 1 September c to 31 August c+1): everyone aged 0–17 at some
    // point of the simulated years.
    let first_cohort = options.first_year.start_year() - 18;
    let last_cohort = options.last_year.start_year();
    let mut children = Vec::new();
    for cohort in first_cohort..=last_cohort {
        for _ in 0..cohort_size {
            let index = children.len();
            let mut rng = child_rng(options.seed, index, 0);
            children.push(make_child(options, &mut rng, index, cohort, sim_end));
        }
    }
    for child in &mut children {
        let mut rng = child_rng(options.seed, child.index, 1);
        simulate_social_care(options, &mut rng, child);
        let mut rng = child_rng(options.seed, child.index, 2);
        simulate_school_career(options, &mut rng, child, &schools);
        let mut rng = child_rng(options.seed, child.index, 7);
        simulate_dual_registration(options, &mut rng, child, &schools);
    }
    let child_count = children.len();
    for child in &mut children {
        let mut rng = child_rng(options.seed, child.index, 8);
        simulate_identity(options, &mut rng, child, child_count);
    }
    // Absence: pupils in a social-care group take their group's rate; the rest are
    // scaled, year by year, so that all pupils together meet the national figure.
    let mut propensity: Vec<Vec<(AcademicYear, f64)>> = Vec::with_capacity(children.len());
    for child in &children {
        let mut rng = child_rng(options.seed, child.index, 3);
        let persistent = draw::gamma_mean_one(&mut rng, 2.0);
        let mut years = Vec::new();
        for year in AcademicYear::range(options.first_year, options.last_year) {
            if !child.terms.iter().any(|record| record.year == year) {
                continue;
            }
            let yearly = draw::gamma_mean_one(&mut rng, 2.2);
            years.push((year, persistent * yearly));
        }
        propensity.push(years);
    }
    let scales = calibrate_absence(options, &children, &propensity);
    let outside = match options.baseline {
        Baseline::National => Vec::new(),
        Baseline::Parallel => outside_disadvantage(options, &children),
    };
    for (child, years) in children.iter_mut().zip(&propensity) {
        let mut rng = child_rng(options.seed, child.index, 4);
        simulate_attendance(options, &mut rng, child, years, &scales);
        let mut rng = child_rng(options.seed, child.index, 5);
        simulate_exclusions(options, &mut rng, child, &outside);
        let mut rng = child_rng(options.seed, child.index, 6);
        let mut codes = child_rng(options.seed, child.index, 10);
        simulate_results(options, &mut rng, &mut codes, child);
    }
    Population {
        la_code: options.la_code.clone(),
        first_year: options.first_year,
        last_year: options.last_year,
        schools,
        children,
    }
}

fn child_rng(seed: u64, index: usize, stream: u64) -> Generator {
    // SplitMix-style mixing so nearby (seed, child, stream) triples are unrelated.
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    for value in [index as u64, stream] {
        state = state.wrapping_add(value.wrapping_mul(0xBF58_476D_1CE4_E5B9));
        state ^= state >> 31;
        state = state.wrapping_mul(0x94D0_49BB_1331_11EB);
        state ^= state >> 29;
    }
    Generator::seed_from_u64(state)
}

fn make_schools(options: &SynthOptions) -> Vec<School> {
    let la: u32 = options.la_code.parse().unwrap_or(0);
    let primary_pupils = options.pupils * 7 / 12;
    let secondary_pupils = options.pupils * 5 / 12;
    let primaries = primary_pupils.div_ceil(PRIMARY_SIZE).max(1);
    let secondaries = secondary_pupils.div_ceil(SECONDARY_SIZE).max(1);
    let specials = (options.pupils / 20_000).max(1);
    // Pupil referral units: the subsidiary registrations of dual-registered pupils.
    let alternative_provision = (options.pupils / 20_000).max(1);
    let mut rng = child_rng(options.seed, usize::MAX, 9);
    let mut schools = Vec::new();
    let mut add = |kind: SchoolKind, establishment_number: u32, rng: &mut Generator| {
        schools.push(School {
            urn: 100_000 + (la % 1000) * 1000 + schools.len() as u32,
            establishment_number,
            laestab: la * 10_000 + establishment_number,
            name: names::school_name(rng, kind),
            kind,
        });
    };
    for index in 0..primaries {
        add(SchoolKind::Primary, 2000 + index as u32, &mut rng);
    }
    for index in 0..secondaries {
        add(SchoolKind::Secondary, 4000 + index as u32, &mut rng);
    }
    for index in 0..specials {
        add(SchoolKind::Special, 7000 + index as u32, &mut rng);
    }
    for index in 0..alternative_provision {
        add(
            SchoolKind::AlternativeProvision,
            1100 + index as u32,
            &mut rng,
        );
    }
    schools
}

fn make_child(
    options: &SynthOptions,
    rng: &mut Generator,
    index: usize,
    cohort: i32,
    sim_end: NaiveDate,
) -> Child {
    let birth_date = draw::date_between(rng, ymd(cohort, 9, 1), ymd(cohort + 1, 8, 31));
    let disadvantage = draw::normal(rng, 0.0, 1.0);
    let sex = if draw::chance(rng, 0.512) {
        Sex::Male
    } else {
        Sex::Female
    };
    let window_start = options.first_year.first_day();
    // About one child in six arrives during the simulated years and as many leave.
    let arrival = (draw::chance(rng, 0.16) && birth_date < sim_end)
        .then(|| draw::date_between(rng, window_start.max(birth_date), sim_end));
    let departure = draw::chance(rng, 0.16)
        .then(|| draw::date_between(rng, window_start, sim_end))
        .filter(|date| arrival.is_none_or(|arrived| *date > arrived + Duration::days(60)));
    let ehc = draw::chance(rng, logistic(-3.7 + 0.7 * disadvantage));
    let support = !ehc && draw::chance(rng, logistic(-2.2 + 0.6 * disadvantage));
    let sen = if ehc {
        SenProvision::EhcPlan
    } else if support {
        SenProvision::Support
    } else {
        SenProvision::None
    };
    let sen_needs = if sen == SenProvision::None {
        Vec::new()
    } else {
        let mut needs = vec![draw::weighted(rng, SEN_TYPES)];
        if draw::chance(rng, 0.3) {
            let second = draw::weighted(rng, SEN_TYPES);
            if second != needs[0] {
                needs.push(second);
            }
        }
        needs
    };
    let mut fsm_periods = Vec::new();
    if draw::chance(rng, logistic(-1.2 + 1.1 * disadvantage)) {
        let start = draw::date_between(rng, birth_date + Duration::days(4 * 365), sim_end);
        let length = draw::exponential(rng, 4.0 * 365.0) as i64;
        let end = start + Duration::days(length.max(30));
        fsm_periods.push(Plan {
            start,
            end: (end < sim_end).then_some(end),
        });
    }
    let la_part = if arrival.is_some() && draw::chance(rng, 0.8) {
        (*draw::pick(rng, OTHER_LA_CODES)).to_string()
    } else {
        options.la_code.clone()
    };
    Child {
        index,
        la_child_id: format!("{}C{:07}", options.la_code, index + 1),
        care_child_id: None,
        upn: make_upn(&la_part, index, birth_date),
        former_upn: None,
        upn_changed: None,
        surname: names::surname(rng),
        forename: names::forename(rng, sex),
        birth_date,
        sex,
        ethnicity: draw::weighted(rng, ETHNICITIES),
        postcode: names::postcode(rng),
        disadvantage,
        sen,
        sen_needs,
        fsm_periods,
        arrival,
        departure,
        cin_episodes: Vec::new(),
        care_episodes: Vec::new(),
        enrolments: Vec::new(),
        terms: Vec::new(),
        exclusions: Vec::new(),
        ks2: None,
        ks4: None,
        home_education: Vec::new(),
    }
}

/// A child's ids (issue 13): about 30% of children ever looked after are known to the
/// SSDA903 by another id than their CIN `LAchildID` (`{la}L…` for `{la}C…`); about 1% of
/// pupils, and 5% of children ever in need or looked after, change UPN (a temporary
/// UPN replaced by a permanent one) on a day between two school census days they are
/// on roll, so that the census sees them under both UPNs, the later rows carrying the
/// former one in `formerupn` (which links the two). The former UPN comes from the same
/// generator, numbered after every child (`child_count + index`), so it is distinct from
/// every other UPN.
fn simulate_identity(
    options: &SynthOptions,
    rng: &mut Generator,
    child: &mut Child,
    child_count: usize,
) {
    let looked_after = !child.care_episodes.is_empty();
    if draw::chance(rng, 0.3) && looked_after {
        child.care_child_id = Some(format!("{}L{:07}", options.la_code, child.index + 1));
    }
    let ever_in_need = looked_after || !child.cin_episodes.is_empty();
    let changes = draw::chance(rng, if ever_in_need { 0.05 } else { 0.01 });
    if !changes {
        return;
    }
    let census_days: Vec<NaiveDate> = Census::completing(options.first_year, options.last_year)
        .into_iter()
        .map(Census::day)
        .filter(|day| *day <= options.last_year.last_day())
        .filter(|day| {
            child
                .enrolments
                .iter()
                .any(|enrolment| enrolment.on_roll_on(*day))
        })
        .collect();
    let (Some(first), Some(last)) = (census_days.first(), census_days.last()) else {
        return;
    };
    if first >= last {
        return;
    }
    let changed = draw::date_between(rng, *first + Duration::days(1), *last);
    let la_part = child.upn.get(1..4).unwrap_or(&options.la_code).to_string();
    child.former_upn = Some(make_upn(
        &la_part,
        child_count + child.index,
        child.birth_date,
    ));
    child.upn_changed = Some(changed);
}

/// A valid UPN: check letter, LA code, establishment, year of allocation, serial.
fn make_upn(la_code: &str, index: usize, birth_date: NaiveDate) -> String {
    let establishment = 1000 + (index / 1000) % 9000;
    let year = (birth_date.year() + 4) % 100;
    let serial = index % 1000;
    let rest = format!("{la_code:0>3}{establishment:04}{year:02}{serial:03}");
    let bytes: [u8; 12] = rest.as_bytes().try_into().unwrap_or([b'0'; 12]);
    let letter = upn::check_letter(&bytes).unwrap_or(b'A');
    format!("{}{rest}", char::from(letter))
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn years_between(from: NaiveDate, to: NaiveDate) -> f64 {
    (to - from).num_days() as f64 / 365.25
}

/// Referral, assessment, plans, section 47s, protection plans and care, as an event
/// process over the child's time in the LA (before the 18th birthday).
fn simulate_social_care(options: &SynthOptions, rng: &mut Generator, child: &mut Child) {
    let eighteenth = ymd(child.birth_date.year() + 18, child.birth_date.month(), 1);
    let start = child
        .birth_date
        .max(child.arrival.unwrap_or(NaiveDate::MIN))
        .max(history_start(options));
    let end = eighteenth
        .min(child.departure.unwrap_or(NaiveDate::MAX))
        .min(options.last_year.last_day());
    if start >= end {
        return;
    }
    let risk = (1.05 * child.disadvantage - 0.55).exp();
    let disabled = child.sen == SenProvision::EhcPlan && draw::chance(rng, 0.12);
    let mut t = start;
    let mut recent_closure: Option<NaiveDate> = None;
    loop {
        let age = years_between(child.birth_date, t);
        let age_factor = match age {
            a if a < 1.0 => 1.6,
            a if a < 5.0 => 1.0,
            a if a < 10.0 => 0.85,
            a if a < 16.0 => 1.1,
            _ => 0.9,
        };
        let boost = match recent_closure {
            Some(closed) if (t - closed).num_days() < 365 => 2.5,
            _ => 1.0,
        };
        let rate = 0.052 * risk * age_factor * boost * if disabled { 2.0 } else { 1.0 };
        let wait = draw::exponential(rng, 365.25 / rate).min(40_000.0);
        t += Duration::days(wait.ceil() as i64);
        if t >= end {
            break;
        }
        let episode_end = simulate_episode(rng, child, t, end, disabled);
        match episode_end {
            Some(closed) => {
                recent_closure = Some(closed);
                t = closed + Duration::days(1);
            }
            None => break,
        }
    }
}

/// One referral and what follows it. Returns the closure date, or `None` if the episode
/// is still open at `end`.
fn simulate_episode(
    rng: &mut Generator,
    child: &mut Child,
    referral: NaiveDate,
    end: NaiveDate,
    disabled: bool,
) -> Option<NaiveDate> {
    let referral_source = draw::weighted(rng, REFERRAL_SOURCES);
    let primary_need = if disabled {
        "N2"
    } else {
        draw::weighted(rng, PRIMARY_NEEDS)
    };
    let clip = |date: NaiveDate| (date < end).then_some(date);
    let mut episode = CinEpisode {
        referral,
        referral_source,
        primary_need,
        closure: None,
        reason_for_closure: "",
        referral_nfa: false,
        assessment: None,
        cin_plans: Vec::new(),
        section47: Vec::new(),
        protection_plans: Vec::new(),
    };
    // About one referral in eleven leads to no further action (ReferralNFA).
    if !disabled && draw::chance(rng, 0.09) {
        episode.referral_nfa = true;
        episode.closure = clip(referral);
        episode.reason_for_closure = if episode.closure.is_some() { "RC8" } else { "" };
        let closure = episode.closure;
        child.cin_episodes.push(episode);
        return closure;
    }
    let assessment_start = referral + Duration::days(rng.random_range(1..=10));
    let authorised = assessment_start + Duration::days(rng.random_range(10..=45));
    // One to four distinct factors; 24A (child criminal exploitation) exists from the
    // 2022 census, whose year began on 1 April 2021.
    let factor_count = rng.random_range(1..=4);
    let mut factors: Vec<&'static str> = Vec::with_capacity(factor_count);
    while factors.len() < factor_count {
        let factor = *draw::pick(rng, FACTORS);
        let too_early = factor == "24A"
            && NaiveDate::from_ymd_opt(2021, 4, 1).is_some_and(|start| assessment_start < start);
        if !too_early && !factors.contains(&factor) {
            factors.push(factor);
        }
    }
    episode.assessment = Some(Assessment {
        start: assessment_start,
        authorised,
        factors,
    });
    let severity = child.disadvantage;
    if !disabled && draw::chance(rng, 0.40) {
        let closed = authorised;
        let reason = if closed.year() >= 2023 && draw::chance(rng, 0.4) {
            "RC9"
        } else {
            "RC8"
        };
        let closure = clip(closed);
        episode.closure = closure;
        episode.reason_for_closure = if closure.is_some() { reason } else { "" };
        child.cin_episodes.push(episode);
        return closure;
    }
    let mut last_activity = authorised;
    let mut care_start: Option<NaiveDate> = None;
    if !disabled && draw::chance(rng, logistic(-0.9 + 0.35 * severity)) {
        let s47 = referral + Duration::days(rng.random_range(0..=5));
        let conference =
            draw::chance(rng, 0.62).then(|| s47 + Duration::days(rng.random_range(5..=15)));
        episode.section47.push(Section47 {
            start: s47,
            initial_conference: conference,
        });
        if let Some(conference) = conference
            && draw::chance(rng, 0.85)
        {
            let length = draw::lognormal(rng, 250.0, 0.55).clamp(20.0, 1400.0) as i64;
            let mut plan_end = conference + Duration::days(length);
            if draw::chance(rng, logistic(-2.3 + 0.4 * severity)) {
                let start = draw::date_between(rng, conference + Duration::days(5), plan_end);
                care_start = Some(start);
                plan_end = start;
            }
            let initial = draw::weighted(rng, CATEGORIES);
            let latest = if draw::chance(rng, 0.85) {
                initial
            } else {
                draw::weighted(rng, CATEGORIES)
            };
            let mut reviews = Vec::new();
            let mut review = conference + Duration::days(90);
            while review < plan_end {
                reviews.push(review);
                review += Duration::days(180);
            }
            episode.protection_plans.push(ProtectionPlan {
                plan: Plan {
                    start: conference,
                    end: clip(plan_end),
                },
                initial_category: initial,
                latest_category: latest,
                reviews,
                previous_plans: u32::from(draw::chance(rng, 0.2)),
            });
            last_activity = plan_end;
            if care_start.is_none() && draw::chance(rng, 0.55) {
                let step_down = draw::lognormal(rng, 130.0, 0.4) as i64;
                episode.cin_plans.push(Plan {
                    start: plan_end,
                    end: clip(plan_end + Duration::days(step_down)),
                });
                last_activity = plan_end + Duration::days(step_down);
            }
        }
    }
    if episode.protection_plans.is_empty() {
        let length = if disabled {
            draw::lognormal(rng, 900.0, 0.5)
        } else {
            draw::lognormal(rng, 210.0, 0.65)
        }
        .clamp(30.0, 4000.0) as i64;
        let mut plan_end = authorised + Duration::days(length);
        if !disabled && draw::chance(rng, logistic(-2.9 + 0.4 * severity)) {
            let start = draw::date_between(rng, authorised, plan_end);
            care_start = Some(start);
            plan_end = start;
        }
        episode.cin_plans.push(Plan {
            start: authorised,
            end: clip(plan_end),
        });
        last_activity = plan_end;
        if disabled {
            simulate_short_breaks(rng, child, authorised, plan_end.min(end));
        }
    }
    if let Some(start) = care_start
        && start < end
    {
        last_activity = simulate_care(rng, child, start, end);
    }
    let closed = last_activity + Duration::days(rng.random_range(0..=30));
    let closure = clip(closed);
    episode.closure = closure;
    episode.reason_for_closure = match closure {
        None => "",
        Some(_) => match child
            .care_episodes
            .last()
            .map(|episode| episode.reason_ceased)
        {
            Some("E11" | "E12") if care_start.is_some() => "RC1",
            Some("E41" | "E45" | "E46" | "E47" | "E48") if care_start.is_some() => "RC4",
            _ => draw::weighted(
                rng,
                &[
                    ("RC7", 0.6),
                    ("RC3", 0.05),
                    ("RC5", 0.1),
                    ("RC6", 0.03),
                    ("RC8", 0.22),
                ],
            ),
        },
    };
    child.cin_episodes.push(episode);
    closure
}

/// A spell of care from `start`, split into episodes at placement changes. Returns the
/// day care ended (or `end` if it had not).
fn simulate_care(
    rng: &mut Generator,
    child: &mut Child,
    start: NaiveDate,
    end: NaiveDate,
) -> NaiveDate {
    let eighteenth = ymd(child.birth_date.year() + 18, child.birth_date.month(), 1);
    let length = draw::lognormal(rng, 520.0, 1.0).clamp(14.0, 7000.0) as i64;
    let spell_end = (start + Duration::days(length)).min(eighteenth);
    let legal_status = draw::weighted(
        rng,
        &[
            ("C2", 0.45),
            ("V2", 0.25),
            ("C1", 0.15),
            ("E1", 0.08),
            ("L2", 0.04),
            ("J1", 0.03),
        ],
    );
    let mut episode_start = start;
    let mut first = true;
    while episode_start < spell_end && episode_start < end {
        let gap = draw::exponential(rng, 420.0).max(20.0) as i64;
        let episode_end = (episode_start + Duration::days(gap)).min(spell_end);
        let placement = if draw::chance(rng, 0.72) {
            *draw::pick(rng, FOSTER_PLACEMENTS)
        } else {
            draw::weighted(rng, OTHER_PLACEMENTS)
        };
        let closes_spell = episode_end >= spell_end;
        let open = episode_end >= end;
        child.care_episodes.push(CareEpisode {
            start: episode_start,
            end: (!open).then_some(episode_end),
            reason_new_episode: if first {
                "S"
            } else {
                draw::weighted(
                    rng,
                    &[("P", 0.6), ("T", 0.2), ("L", 0.1), ("B", 0.05), ("U", 0.05)],
                )
            },
            legal_status: if first {
                legal_status
            } else if draw::chance(rng, 0.2) {
                "C2"
            } else {
                legal_status
            },
            placement,
            reason_ceased: if open {
                ""
            } else if closes_spell {
                if episode_end >= eighteenth {
                    "E8"
                } else {
                    draw::weighted(rng, CARE_ENDINGS)
                }
            } else {
                "X1"
            },
        });
        first = false;
        episode_start = episode_end;
    }
    spell_end.min(end)
}

/// Short breaks for a disabled child: a planned series (V3) or single breaks (V4),
/// which DfE does not count as looked after (domain.md §1).
fn simulate_short_breaks(rng: &mut Generator, child: &mut Child, from: NaiveDate, to: NaiveDate) {
    let mut t = from + Duration::days(rng.random_range(10..=60));
    while t < to {
        let series = draw::chance(rng, 0.3);
        let length = if series {
            rng.random_range(60..=300)
        } else {
            rng.random_range(2..=5)
        };
        let episode_end = t + Duration::days(length);
        let open = episode_end >= to;
        child.care_episodes.push(CareEpisode {
            start: t,
            end: (!open).then_some(episode_end),
            reason_new_episode: "S",
            legal_status: if series { "V3" } else { "V4" },
            placement: "H5",
            reason_ceased: if open { "" } else { "E13" },
        });
        t = episode_end + Duration::days(rng.random_range(20..=120));
    }
}

/// The child's status in an academic year, by the DfE hierarchy at 31 March.
pub fn year_status(child: &Child, year: AcademicYear) -> YearStatus {
    let reference = year.reference_date();
    let looked_after = child.care_episodes.iter().find(|episode| {
        !matches!(episode.legal_status, "V3" | "V4")
            && episode.start <= reference
            && episode.end.is_none_or(|end| end > reference)
    });
    if looked_after.is_some() {
        let continuous = child.care_episodes.iter().any(|episode| {
            !matches!(episode.legal_status, "V3" | "V4")
                && episode.start <= year.period_start()
                && episode.end.is_none_or(|end| end > year.period_start())
        });
        return if continuous {
            YearStatus::LookedAfter12Months
        } else {
            YearStatus::LookedAfterLess
        };
    }
    let open = |episode: &CinEpisode, date: NaiveDate| {
        !episode.referral_nfa
            && episode.referral <= date
            && episode.closure.is_none_or(|closed| closed > date)
    };
    let on_plan = child
        .cin_episodes
        .iter()
        .flat_map(|episode| &episode.protection_plans)
        .any(|plan| {
            plan.plan.start <= reference && plan.plan.end.is_none_or(|end| end > reference)
        });
    if on_plan {
        return YearStatus::ProtectionPlan;
    }
    if child
        .cin_episodes
        .iter()
        .any(|episode| open(episode, reference))
    {
        return YearStatus::InNeedOther;
    }
    let overlaps = |episode: &CinEpisode, from: NaiveDate, to: NaiveDate| {
        !episode.referral_nfa
            && episode.referral <= to
            && episode.closure.is_none_or(|closed| closed >= from)
    };
    if child
        .cin_episodes
        .iter()
        .any(|episode| overlaps(episode, year.period_start(), reference))
    {
        return YearStatus::InNeedDuringYear;
    }
    let six_years_back = ymd(year.start_year() - 5, 4, 1);
    if child
        .cin_episodes
        .iter()
        .any(|episode| overlaps(episode, six_years_back, reference))
    {
        return YearStatus::EverInNeed;
    }
    YearStatus::None
}

/// Enrolments from reception to year 11 while the child lives in the LA, with moves,
/// transfers at 11, special schools, home education and exclusion to a PRU.
fn simulate_school_career(
    options: &SynthOptions,
    rng: &mut Generator,
    child: &mut Child,
    schools: &[School],
) {
    let cohort = if child.birth_date.month() >= 9 {
        child.birth_date.year()
    } else {
        child.birth_date.year() - 1
    };
    let reception = AcademicYear::starting(cohort + 5);
    let year11 = AcademicYear::starting(cohort + 16);
    let window_first = options.first_year.first_day();
    let window_last = options.last_year.last_day();
    let school_first = calendar::first_teaching_day(reception);
    let school_last = calendar::last_teaching_day(year11);
    let present_from = child.arrival.unwrap_or(NaiveDate::MIN).max(school_first);
    let present_to = child.departure.unwrap_or(NaiveDate::MAX).min(school_last);
    if present_from > present_to || present_to < window_first || present_from > window_last {
        return;
    }
    let of_kind = |kind: SchoolKind| -> Vec<usize> {
        schools
            .iter()
            .enumerate()
            .filter(|(_, school)| school.kind == kind)
            .map(|(index, _)| index)
            .collect()
    };
    let primaries = of_kind(SchoolKind::Primary);
    let secondaries = of_kind(SchoolKind::Secondary);
    let specials = of_kind(SchoolKind::Special);
    let special = child.sen == SenProvision::EhcPlan && draw::chance(rng, 0.45);
    let year7_start = calendar::first_teaching_day(AcademicYear::starting(cohort + 12));
    let choose = |rng: &mut Generator, date: NaiveDate| -> usize {
        if special {
            *draw::pick(rng, &specials)
        } else if date >= year7_start {
            *draw::pick(rng, &secondaries)
        } else {
            *draw::pick(rng, &primaries)
        }
    };
    // Break points: the transfer to secondary, moves, and home education.
    let mut t = present_from;
    let mut school = choose(rng, t);
    let mut segments: Vec<(usize, NaiveDate, NaiveDate)> = Vec::new();
    let cin_risk = child
        .cin_episodes
        .iter()
        .any(|episode| !episode.referral_nfa);
    while t <= present_to {
        // A child arriving in the weeks before year 7 starts at the secondary school:
        // a primary spell ending 40 days before year 7 would end before it began.
        if !special && t < year7_start && t >= year7_start - Duration::days(40) {
            t = year7_start;
            school = choose(rng, t);
        }
        let mut next_break = present_to;
        let mut reason = "end";
        if !special && t < year7_start && year7_start <= present_to {
            next_break = year7_start - Duration::days(40);
            reason = "transfer";
        }
        let move_at = t + Duration::days(draw::exponential(rng, 365.25 / 0.03) as i64 + 1);
        if move_at < next_break {
            next_break = move_at;
            reason = "move";
        }
        let ehe_rate = if cin_risk { 0.009 } else { 0.003 };
        let ehe_at = t + Duration::days(draw::exponential(rng, 365.25 / ehe_rate) as i64 + 1);
        if ehe_at < next_break && ehe_at > window_first {
            next_break = ehe_at;
            reason = "ehe";
        }
        segments.push((school, t, next_break));
        match reason {
            "transfer" => {
                t = year7_start;
                school = choose(rng, t);
            }
            "move" => {
                t = next_break + Duration::days(rng.random_range(1..=14));
                let previous = school;
                school = choose(rng, t);
                if school == previous {
                    school = choose(rng, t);
                }
            }
            "ehe" => {
                let returns = draw::chance(rng, 0.3);
                let length = rng.random_range(120..=700);
                let back = next_break + Duration::days(length);
                let reason = draw::weighted(rng, EHE_REASONS);
                // The register holds what has happened by the last year simulated.
                if next_break < window_last {
                    child.home_education.push(HomeEducation {
                        start: next_break + Duration::days(1),
                        end: (returns && back <= present_to.min(window_last)).then_some(back),
                        reason,
                    });
                }
                if returns && back <= present_to {
                    t = back + Duration::days(1);
                    school = choose(rng, t);
                } else {
                    break;
                }
            }
            _ => break,
        }
    }
    for (school, entry, leaving) in segments {
        if leaving < window_first || entry > window_last {
            continue;
        }
        let leaving = (leaving < window_last).then_some(leaving);
        let mis_id = format!(
            "{:08x}-{:03x}",
            rng.random::<u32>(),
            rng.random_range(0..0x1000)
        );
        child.enrolments.push(Enrolment {
            school,
            entry,
            leaving,
            mis_id,
            main: None,
        });
    }
    // Term records for every enrolment overlapping a teaching window.
    for year in AcademicYear::range(options.first_year, options.last_year) {
        for term in Term::ALL {
            let windows = calendar::teaching_windows(year, term);
            for (index, enrolment) in child.enrolments.iter().enumerate() {
                let leaving = enrolment.leaving.unwrap_or(NaiveDate::MAX);
                let possible: Vec<u32> = windows
                    .iter()
                    .map(|window| window.possible(enrolment.entry, leaving))
                    .collect();
                if possible.iter().all(|sessions| *sessions == 0) {
                    continue;
                }
                child.terms.push(TermRecord {
                    year,
                    term,
                    enrolment: index,
                    first: Attendance {
                        possible: possible[0],
                        ..Attendance::default()
                    },
                    second_half: Attendance {
                        possible: possible.get(1).copied().unwrap_or(0),
                        ..Attendance::default()
                    },
                });
            }
        }
    }
}

/// Dual registration (domain.md §2): a pupil on the roll of a mainstream school (the
/// main registration) is also on the roll of a pupil referral unit (the subsidiary
/// registration) for a spell of a term or two, attending it for part of each week. More
/// often for a child in need, on a plan or looked after that year (5%) than for other
/// pupils (0.4%). The pupil's sessions in the spell are split: those at the unit become
/// its possible sessions and are marked `D` at the main school, where they are not
/// possible, so the two registrations add up to the pupil's sessions.
fn simulate_dual_registration(
    options: &SynthOptions,
    rng: &mut Generator,
    child: &mut Child,
    schools: &[School],
) {
    let units: Vec<usize> = schools
        .iter()
        .enumerate()
        .filter(|(_, school)| school.kind == SchoolKind::AlternativeProvision)
        .map(|(index, _)| index)
        .collect();
    if units.is_empty() || child.enrolments.is_empty() {
        return;
    }
    let mut previous_end = NaiveDate::MIN;
    for year in AcademicYear::range(options.first_year, options.last_year) {
        let rate = match year_status(child, year) {
            YearStatus::LookedAfter12Months
            | YearStatus::LookedAfterLess
            | YearStatus::ProtectionPlan
            | YearStatus::InNeedOther
            | YearStatus::InNeedDuringYear => 0.05,
            _ => 0.004,
        };
        if !draw::chance(rng, rate) {
            continue;
        }
        let from = draw::date_between(
            rng,
            calendar::first_teaching_day(year),
            ymd(year.end_year(), 4, 30),
        );
        let length = Duration::days(rng.random_range(60..=200));
        let share = rng.random_range(0.3..0.7);
        let unit = *draw::pick(rng, &units);
        let mis_id = format!(
            "{:08x}-{:03x}",
            rng.random::<u32>(),
            rng.random_range(0..0x1000)
        );
        if from <= previous_end || years_between(child.birth_date, from) < 6.0 {
            continue;
        }
        // The main registration: a mainstream school the pupil is on roll at on the
        // first day and for a few weeks after.
        let Some(main) = child.enrolments.iter().position(|enrolment| {
            !enrolment.is_subsidiary()
                && matches!(
                    schools[enrolment.school].kind,
                    SchoolKind::Primary | SchoolKind::Secondary
                )
                && enrolment.entry <= from
                && enrolment
                    .leaving
                    .is_none_or(|left| left >= from + Duration::days(20))
        }) else {
            continue;
        };
        let to = (from + length)
            .min(calendar::last_teaching_day(year))
            .min(child.enrolments[main].leaving.unwrap_or(NaiveDate::MAX));
        previous_end = to;
        let subsidiary = child.enrolments.len();
        child.enrolments.push(Enrolment {
            school: unit,
            entry: from,
            leaving: (to < options.last_year.last_day()).then_some(to),
            mis_id,
            main: Some(main),
        });
        let mut records = Vec::new();
        for record in child
            .terms
            .iter_mut()
            .filter(|record| record.enrolment == main)
        {
            let windows = calendar::teaching_windows(record.year, record.term);
            let mut at_unit = [0u32; 2];
            for ((window, attendance), sessions) in windows
                .iter()
                .zip([&mut record.first, &mut record.second_half])
                .zip(at_unit.iter_mut())
            {
                // The pupil's sessions in the spell, a share of them at the unit.
                let in_spell = window.possible(from, to).min(attendance.possible);
                *sessions = (f64::from(in_spell) * share).round() as u32;
                attendance.possible -= *sessions;
                attendance.dual += *sessions;
            }
            if at_unit.iter().any(|sessions| *sessions > 0) {
                records.push(TermRecord {
                    year: record.year,
                    term: record.term,
                    enrolment: subsidiary,
                    first: Attendance {
                        possible: at_unit[0],
                        ..Attendance::default()
                    },
                    second_half: Attendance {
                        possible: at_unit[1],
                        ..Attendance::default()
                    },
                });
            }
        }
        child.terms.extend(records);
    }
}

/// Per academic year, the scale for pupils outside the social-care groups that brings
/// all pupils' overall absence (ratio of sessions) to the national figure.
fn calibrate_absence(
    options: &SynthOptions,
    children: &[Child],
    propensity: &[Vec<(AcademicYear, f64)>],
) -> Vec<(AcademicYear, f64)> {
    let mut scales = Vec::new();
    for year in AcademicYear::range(options.first_year, options.last_year) {
        let target = absence_targets(year)[0] / 100.0;
        let mut fixed = 0.0;
        let mut scaled = 0.0;
        let mut possible_total = 0.0;
        for (child, years) in children.iter().zip(propensity) {
            let Some((_, draw)) = years.iter().find(|(y, _)| *y == year) else {
                continue;
            };
            let possible: f64 = child
                .terms
                .iter()
                .filter(|record| record.year == year)
                .map(|record| f64::from(record.first.possible + record.second_half.possible))
                .sum();
            possible_total += possible;
            let status = year_status(child, year);
            match group_absence(status, year, options.baseline) {
                Some(rate) => fixed += possible * (rate * draw).min(0.95),
                None => scaled += possible * draw * pupil_factor(child, status, year),
            }
        }
        let scale = if scaled > 0.0 {
            ((target * possible_total - fixed) / scaled).max(0.0)
        } else {
            0.0
        };
        scales.push((year, scale));
    }
    scales
}

/// Relative absence of a pupil outside the groups: FSM, SEN and past social care.
fn pupil_factor(child: &Child, status: YearStatus, year: AcademicYear) -> f64 {
    let fsm = child.fsm_periods.iter().any(|period| {
        period.start <= year.last_day() && period.end.is_none_or(|end| end >= year.first_day())
    });
    let mut factor = 1.0;
    if fsm {
        factor *= 1.6;
    }
    factor *= match child.sen {
        SenProvision::EhcPlan => 1.5,
        SenProvision::Support => 1.4,
        SenProvision::None => 1.0,
    };
    if status == YearStatus::EverInNeed {
        factor *= 1.5;
    }
    factor
}

/// The planted attendance effect: every child in need at 31 March, from 2021/22.
fn effect_on_attendance(options: &SynthOptions, status: YearStatus, year: AcademicYear) -> f64 {
    options
        .effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Attendance { percentage_points }
                if status.in_need_at_31_march() && year.start_year() >= 2021 =>
            {
                Some(*percentage_points / 100.0)
            }
            _ => None,
        })
        .sum()
}

fn simulate_attendance(
    options: &SynthOptions,
    rng: &mut Generator,
    child: &mut Child,
    years: &[(AcademicYear, f64)],
    scales: &[(AcademicYear, f64)],
) {
    for (year, draw_value) in years {
        let status = year_status(child, *year);
        let scale = scales
            .iter()
            .find(|(y, _)| y == year)
            .map_or(0.0, |(_, scale)| *scale);
        let group_rate = group_absence(status, *year, options.baseline);
        // Absence is more dispersed within the social-care groups than across all pupils
        // (domain.md §2: CINO 11.5% overall but 33.3% persistent in 2018/19): one more
        // mean-one factor for them.
        let dispersion = if group_rate.is_some() {
            draw::gamma_mean_one(rng, 3.0)
        } else {
            1.0
        };
        let mean =
            group_rate.unwrap_or_else(|| scale * pupil_factor(child, status, *year)) * dispersion;
        // An attendance effect raises attendance, so lowers absence.
        let rate =
            (mean * draw_value - effect_on_attendance(options, status, *year)).clamp(0.0, 0.95);
        let authorised_share = authorised_share(status, *year, options.baseline);
        let authorised_codes = if year.start_year() >= 2024 {
            AUTHORISED_FROM_2024
        } else {
            AUTHORISED_TO_2024
        };
        for record in child.terms.iter_mut().filter(|record| record.year == *year) {
            let factors: [f64; 2] = match record.term {
                Term::Autumn => [0.93, 0.0],
                Term::Spring => [1.04, 0.0],
                Term::Summer => [0.96, 1.12],
            };
            for (attendance, factor) in [&mut record.first, &mut record.second_half]
                .into_iter()
                .zip(factors)
            {
                if attendance.possible == 0 {
                    continue;
                }
                let absent = draw::binomial(rng, attendance.possible, (rate * factor).min(0.98));
                let authorised = draw::binomial(rng, absent, authorised_share);
                let mut reasons = draw::split(rng, authorised, authorised_codes);
                reasons.extend(draw::split(rng, absent - authorised, UNAUTHORISED));
                reasons.sort_by(|a, b| a.0.cmp(b.0));
                attendance.reasons = reasons;
            }
        }
    }
}

/// Per academic year, the mean of the positive part of disadvantage (what raises the
/// suspension chance) over pupils on roll outside the social-care groups.
fn outside_disadvantage(options: &SynthOptions, children: &[Child]) -> Vec<(AcademicYear, f64)> {
    AcademicYear::range(options.first_year, options.last_year)
        .map(|year| {
            let (mut total, mut pupils) = (0.0, 0usize);
            for child in children {
                if child.terms.iter().any(|record| record.year == year)
                    && !year_status(child, year).in_group()
                {
                    total += child.disadvantage.max(0.0);
                    pupils += 1;
                }
            }
            (
                year,
                if pupils > 0 {
                    total / pupils as f64
                } else {
                    0.0
                },
            )
        })
        .collect()
}

/// Suspensions and permanent exclusions (domain.md §2 exclusion figures).
///
/// `outside` is [`outside_disadvantage`], needed only under `Baseline::Parallel`.
fn simulate_exclusions(
    options: &SynthOptions,
    rng: &mut Generator,
    child: &mut Child,
    outside: &[(AcademicYear, f64)],
) {
    for year in AcademicYear::range(options.first_year, options.last_year) {
        let status = year_status(child, year);
        // Exclusions are by the main or single registration's school.
        let records: Vec<usize> = child
            .terms
            .iter()
            .enumerate()
            .filter(|(_, record)| {
                record.year == year && !child.enrolments[record.enrolment].is_subsidiary()
            })
            .map(|(index, _)| index)
            .collect();
        if records.is_empty() {
            continue;
        }
        let (suspension, permanent) = match status {
            YearStatus::InNeedOther | YearStatus::InNeedDuringYear => (0.103, 0.0075),
            YearStatus::ProtectionPlan => (0.125, 0.0105),
            YearStatus::LookedAfter12Months | YearStatus::LookedAfterLess => (0.113, 0.0011),
            _ => (0.022 * (1.0 + 0.6 * child.disadvantage.max(0.0)), 0.0008),
        };
        let trend = if year.start_year() >= 2021 { 1.3 } else { 1.0 };
        // Under `Baseline::Parallel` a group's chance moves by what the pupils outside
        // the groups move on average that year (their trend at their mean
        // disadvantage), added rather than multiplied, so the gap group − others at a
        // given age (the age factor scales both) stays at its value before 2021/22 in
        // expectation. The others' mean, not the child's own disadvantage: group
        // children are more disadvantaged, and their own would widen the gap a little.
        let outside_mean = outside
            .iter()
            .find(|(outside_year, _)| *outside_year == year)
            .map(|(_, mean)| *mean);
        let trended = match (options.baseline, outside_mean) {
            (Baseline::Parallel, Some(mean)) if status.in_group() => {
                suspension + 0.022 * (trend - 1.0) * (1.0 + 0.6 * mean)
            }
            _ => suspension * trend,
        };
        let effect: f64 = options
            .effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Suspensions { percentage_points }
                    if year.start_year() >= 2021 && status.in_need_at_31_march() =>
                {
                    Some(*percentage_points / 100.0)
                }
                _ => None,
            })
            .sum();
        let age = years_between(child.birth_date, year.first_day());
        if age < 7.0 {
            continue;
        }
        let age_factor = if age >= 11.0 { 1.4 } else { 0.5 };
        if draw::chance(rng, (trended * age_factor + effect).max(0.0)) {
            let count = 1 + draw::poisson(rng, 0.6);
            for _ in 0..count {
                let record = &child.terms[*draw::pick(rng, &records)];
                let window = calendar::teaching_windows(record.year, record.term)[0];
                let enrolment = &child.enrolments[record.enrolment];
                let first = window.first.max(enrolment.entry);
                let last = window.last.min(enrolment.leaving.unwrap_or(NaiveDate::MAX));
                if first > last {
                    continue;
                }
                let reason_count = if draw::chance(rng, 0.2) { 2 } else { 1 };
                child.exclusions.push(Exclusion {
                    enrolment: record.enrolment,
                    start: draw::date_between(rng, first, last),
                    sessions: rng.random_range(1..=10),
                    permanent: false,
                    reasons: (0..reason_count)
                        .map(|_| draw::weighted(rng, SUSPENSION_REASONS))
                        .collect(),
                });
            }
        }
        if draw::chance(rng, permanent * age_factor) {
            let record = &child.terms[*draw::pick(rng, &records)];
            let window = calendar::teaching_windows(record.year, record.term)[0];
            let enrolment = &child.enrolments[record.enrolment];
            let first = window.first.max(enrolment.entry);
            let last = window.last.min(enrolment.leaving.unwrap_or(NaiveDate::MAX));
            if first <= last {
                child.exclusions.push(Exclusion {
                    enrolment: record.enrolment,
                    start: draw::date_between(rng, first, last),
                    sessions: 0,
                    permanent: true,
                    reasons: vec![draw::weighted(rng, SUSPENSION_REASONS)],
                });
            }
        }
        // Not on a day the pupil already has one: a second exclusion starting the same
        // day could not be told from the first carried again (domain.md §5).
        let extra: Vec<Exclusion> = whole_year_exclusions(rng, child, year, age_factor)
            .into_iter()
            .filter(|extra| {
                !child
                    .exclusions
                    .iter()
                    .any(|other| other.start == extra.start)
            })
            .collect();
        child.exclusions.extend(extra);
    }
    child.exclusions.sort_by_key(|exclusion| exclusion.start);
}

/// The exclusions that make the year whole (domain.md §2, exclusions over the whole
/// year): a pupil who leaves in the autumn term and is off every roll on the January
/// census day was often suspended or permanently excluded first, and a pupil who joins a
/// school after the January census day (a managed move, a new arrival) is more often
/// suspended in the terms left. Both count in the year but are outside its denominator.
fn whole_year_exclusions(
    rng: &mut Generator,
    child: &Child,
    year: AcademicYear,
    age_factor: f64,
) -> Vec<Exclusion> {
    let census_day = Census {
        year: year.end_year(),
        term: CensusTerm::Spring,
    }
    .day();
    let autumn = calendar::teaching_windows(year, Term::Autumn)[0];
    let off_roll_at_census = !child
        .enrolments
        .iter()
        .any(|enrolment| enrolment.on_roll_on(census_day));
    let mut exclusions = Vec::new();
    let reason = |rng: &mut Generator| vec![draw::weighted(rng, SUSPENSION_REASONS)];
    for (index, enrolment) in child.enrolments.iter().enumerate() {
        if enrolment.is_subsidiary() {
            continue;
        }
        if let Some(left) = enrolment.leaving
            && off_roll_at_census
            && left >= autumn.first + Duration::days(10)
            && left < census_day
            && draw::chance(rng, 0.2 * age_factor)
        {
            let last = left.min(autumn.last);
            let first = (last - Duration::days(30))
                .max(enrolment.entry)
                .max(autumn.first);
            if first <= last {
                let permanent = draw::chance(rng, 0.3);
                exclusions.push(Exclusion {
                    enrolment: index,
                    start: draw::date_between(rng, first, last),
                    sessions: if permanent {
                        0
                    } else {
                        rng.random_range(1..=10)
                    },
                    permanent,
                    reasons: reason(rng),
                });
            }
        }
        if enrolment.entry > census_day
            && enrolment.entry <= ymd(year.end_year(), 6, 30)
            && draw::chance(rng, 0.15 * age_factor)
        {
            let spans: Vec<(NaiveDate, NaiveDate)> = [Term::Spring, Term::Summer]
                .into_iter()
                .map(|term| calendar::teaching_windows(year, term)[0])
                .map(|window| {
                    (
                        window.first.max(enrolment.entry),
                        window.last.min(enrolment.leaving.unwrap_or(NaiveDate::MAX)),
                    )
                })
                .filter(|(first, last)| first <= last)
                .collect();
            if !spans.is_empty() {
                let (first, last) = *draw::pick(rng, &spans);
                exclusions.push(Exclusion {
                    enrolment: index,
                    start: draw::date_between(rng, first, last),
                    sessions: rng.random_range(1..=10),
                    permanent: false,
                    reasons: reason(rng),
                });
            }
        }
    }
    exclusions
}

/// KS2 in year 6 and KS4 in year 11 (no KS2 tests in 2019/20 or 2020/21; no Progress 8
/// in 2019/20, 2020/21 or 2024/25: domain.md §2).
///
/// Result codes and non-entry are drawn from their own generator (`codes`), so the
/// scores drawn are the same as without them. About 3.8% of pupils have a code in
/// place of each test's score, more with disadvantage, SEN or social care (`A` absent
/// 1%, `B` working below the standard 2%, `U` unable to access 0.3%, `M` missing 0.2%,
/// `Q` annulled for maladministration 0.1%, `J` just arrived 0.2%: the
/// `ks2_test_result` code list), and a writing or science TA is
/// `A` (absent, 0.3%) or `D` (disapplied, 0.2%) as often. About 3% of pupils at the end
/// of KS4 have no qualifying entries (more for looked-after and EHC-plan pupils); about
/// 40% of entrants enter every EBacc pillar, fewer with lower attainment.
fn simulate_results(
    options: &SynthOptions,
    rng: &mut Generator,
    codes: &mut Generator,
    child: &mut Child,
) {
    let cohort = if child.birth_date.month() >= 9 {
        child.birth_date.year()
    } else {
        child.birth_date.year() - 1
    };
    let year6 = AcademicYear::starting(cohort + 11);
    let year11 = AcademicYear::starting(cohort + 16);
    let sen_penalty = match child.sen {
        SenProvision::EhcPlan => 2.2,
        SenProvision::Support => 1.0,
        SenProvision::None => 0.0,
    };
    let social_care = |year: AcademicYear| match year_status(child, year) {
        YearStatus::InNeedOther | YearStatus::ProtectionPlan | YearStatus::InNeedDuringYear => 0.55,
        YearStatus::LookedAfter12Months | YearStatus::LookedAfterLess => 0.5,
        YearStatus::EverInNeed => 0.3,
        YearStatus::None => 0.0,
    };
    // The school of the main or single registration (a pupil referral unit beside it
    // does not enter the pupil for the key stage).
    let on_roll_in = |year: AcademicYear| {
        child
            .terms
            .iter()
            .rfind(|record| {
                record.year == year
                    && record.term == Term::Summer
                    && !child.enrolments[record.enrolment].is_subsidiary()
            })
            .map(|record| child.enrolments[record.enrolment].school)
    };
    let in_range = |year: AcademicYear| year >= options.first_year && year <= options.last_year;
    let (care6, care11) = (social_care(year6), social_care(year11));
    let (school6, school11) = (on_roll_in(year6), on_roll_in(year11));
    let disadvantage = child.disadvantage;
    if in_range(year6)
        && !matches!(year6.start_year(), 2019 | 2020)
        && let Some(school) = school6
    {
        let ability =
            -0.55 * disadvantage - 0.5 * sen_penalty - care6 + draw::normal(rng, 0.0, 0.8);
        let score = |rng: &mut Generator, shift: f64| -> u32 {
            (104.0 + 7.0 * (ability + shift + draw::normal(rng, 0.0, 0.4)))
                .round()
                .clamp(80.0, 120.0) as u32
        };
        let writing_level = ability + draw::normal(rng, 0.0, 0.4);
        let (reading, maths, gps) = (score(rng, 0.1), score(rng, 0.0), score(rng, 0.15));
        let writing = match writing_level {
            l if l > 0.9 => "GDS",
            l if l > -0.55 => "EXS",
            l if l > -2.2 => "WTS",
            _ => "PKF",
        };
        let science = if writing_level > -0.7 { "EXS" } else { "HNM" };
        // More codes with disadvantage, SEN and social care (mean weight about one).
        let weight = (0.75 + 0.35 * disadvantage.max(0.0))
            * match child.sen {
                SenProvision::EhcPlan => 3.0,
                SenProvision::Support => 1.4,
                SenProvision::None => 1.0,
            }
            * (1.0 + care6);
        let mut test = |score: u32| match result_code(codes, KS2_TEST_CODES, weight) {
            Some(code) => Ks2Test::Code(code),
            None => Ks2Test::Score(score),
        };
        let (reading, maths, gps) = (test(reading), test(maths), test(gps));
        let writing = result_code(codes, KS2_TA_CODES, weight).unwrap_or(writing);
        let science = result_code(codes, KS2_TA_CODES, weight).unwrap_or(science);
        child.ks2 = Some(Ks2Result {
            year: year6,
            school,
            reading,
            maths,
            gps,
            writing,
            science,
        });
    }
    if in_range(year11)
        && let Some(school) = school11
    {
        let ability =
            -0.55 * disadvantage - 0.5 * sen_penalty - 1.3 * care11 + draw::normal(rng, 0.0, 0.8);
        let attainment8 = (46.0 + 14.0 * ability + draw::normal(rng, 0.0, 4.0)).clamp(0.0, 90.0);
        let attainment8 = (attainment8 * 100.0).round() / 100.0;
        let progress8 = (!matches!(year11.start_year(), 2019 | 2020 | 2024))
            .then(|| ((ability * 0.9 + draw::normal(rng, 0.0, 0.6)) * 100.0).round() / 100.0);
        let english_maths_4 = attainment8 + draw::normal(rng, 0.0, 6.0) >= 42.0;
        let english_maths_5 = attainment8 + draw::normal(rng, 0.0, 6.0) >= 50.0;
        let looked_after = matches!(
            year_status(child, year11),
            YearStatus::LookedAfter12Months | YearStatus::LookedAfterLess
        );
        let non_entry = 0.02
            * (1.0 + 0.3 * disadvantage.max(0.0))
            * match child.sen {
                SenProvision::EhcPlan => 4.0,
                SenProvision::Support => 1.3,
                SenProvision::None => 1.0,
            }
            * if looked_after {
                3.0
            } else if care11 > 0.0 {
                1.5
            } else {
                1.0
            };
        let entered = !draw::chance(codes, non_entry.min(0.5));
        let ebacc_entry = entered && draw::chance(codes, logistic(-0.35 + 0.8 * ability));
        child.ks4 = Some(if entered {
            Ks4Result {
                year: year11,
                school,
                attainment8: Some(attainment8),
                progress8,
                english_maths_4,
                english_maths_5,
                ebacc_entry,
            }
        } else {
            Ks4Result {
                year: year11,
                school,
                attainment8: None,
                progress8: None,
                english_maths_4: false,
                english_maths_5: false,
                ebacc_entry: false,
            }
        });
    }
}

/// KS2 test result codes and their shares of pupils (domain.md §2, KS2).
/// The codes are those of the `ks2_test_result` code list: `U` unable to access the
/// test, `Q` result annulled for maladministration.
const KS2_TEST_CODES: &[(&str, f64)] = &[
    ("A", 0.01),
    ("B", 0.02),
    ("U", 0.003),
    ("M", 0.002),
    ("Q", 0.001),
    ("J", 0.002),
];

/// KS2 teacher assessment codes besides the standards: absent, disapplied, and left
/// (not eligible: so a subject's eligible pupils are not always every pupil with a
/// result, as in a real LA's file).
const KS2_TA_CODES: &[(&str, f64)] = &[("A", 0.003), ("D", 0.002), ("L", 0.002)];

/// One draw: a code with its share times `weight`, or none.
fn result_code(
    rng: &mut Generator,
    codes: &[(&'static str, f64)],
    weight: f64,
) -> Option<&'static str> {
    let draw: f64 = rng.random();
    let mut total = 0.0;
    for (code, share) in codes {
        total += share * weight;
        if draw < total {
            return Some(code);
        }
    }
    None
}
