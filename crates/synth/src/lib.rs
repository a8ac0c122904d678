//! A synthetic local authority: a seeded population of children that lives across
//! academic years, written out as the raw statutory returns an LA holds, in their real
//! formats (`domain.md` §5).
//!
//! [`generate`] builds the [`Population`] — every child's true social-care history,
//! school career, attendance, exclusions and results — and [`write_returns`] writes it
//! as CIN census XML, SSDA903 CSVs, school census term extracts, KS2/KS4 results, the
//! elective home education register and the school lookup. Tests read the population
//! as ground truth. The same options give byte-identical files.
//!
//! ```
//! use cwsw_synth::{SynthOptions, generate};
//! let options = SynthOptions { pupils: 600, ..SynthOptions::default() };
//! let population = generate(&options);
//! assert!(population.children.iter().any(|child| !child.terms.is_empty()));
//! ```

mod attendance;
pub mod calendar;
mod draw;
mod model;
mod names;
mod simulate;
mod write;

pub use attendance::is_authorised;
pub use model::*;
pub use simulate::{YearStatus, generate, year_status};
pub use write::{PlantedError, WrittenReturns, write_returns};

use cwsw_dictionary::AcademicYear;

/// What can go wrong making a synthetic LA.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing a CSV file failed.
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// An option could not be understood.
    #[error("{0}")]
    Option(String),
}

/// An effect planted in the synthetic data, for checking that the pipeline finds it.
///
/// Each applies to every child in need at 31 March that year (CINO, CPPO, CLA), from
/// 2021/22, when the role began; not to a child in need only earlier in the year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// Attendance changes by this many percentage points; applies to every child in
    /// need at 31 March that year (CINO, CPPO, CLA), from 2021/22.
    Attendance {
        /// Change in attendance: +2 lowers absence by 2 points.
        percentage_points: f64,
    },
    /// The chance of one or more suspensions changes by this many points; applies to
    /// every child in need at 31 March that year (CINO, CPPO, CLA), from 2021/22, aged 7
    /// or over (synth suspends no younger child). The measured rate, over every pupil
    /// of the group, so moves by less: about −1.5 points for −2 (`benches/power.sh`).
    Suspensions {
        /// Change in the suspension rate.
        percentage_points: f64,
    },
}

impl Effect {
    /// Parses `attendance=+2pp` or `suspensions=-1.5pp`.
    pub fn parse(text: &str) -> Result<Self, SynthError> {
        let problem = || {
            SynthError::Option(format!(
                "effect `{text}` is not understood: write MEASURE=±Npp with MEASURE attendance or suspensions, e.g. attendance=+2pp"
            ))
        };
        let (measure, value) = text.split_once('=').ok_or_else(problem)?;
        let value = value.trim().strip_suffix("pp").ok_or_else(problem)?;
        let percentage_points: f64 = value
            .trim_start_matches('+')
            .parse()
            .map_err(|_| problem())?;
        if !percentage_points.is_finite() || percentage_points.abs() > 50.0 {
            return Err(problem());
        }
        match measure.trim() {
            "attendance" => Ok(Self::Attendance { percentage_points }),
            "suspensions" => Ok(Self::Suspensions { percentage_points }),
            _ => Err(problem()),
        }
    }
}

/// What the social-care groups' absence and suspensions follow over the years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Baseline {
    /// Each group's national series (domain.md §2), whose gaps to all pupils widen
    /// after 2021.
    #[default]
    National,
    /// Each group's gap to all pupils held at its 2018/19 value in every year, with
    /// the national all-pupils series kept: parallel trends, so that a
    /// difference-in-differences test on data without a planted effect should find
    /// none (issue 14).
    Parallel,
}

impl Baseline {
    /// Parses `national` or `parallel`.
    pub fn parse(text: &str) -> Result<Self, SynthError> {
        match text.trim() {
            "national" => Ok(Self::National),
            "parallel" => Ok(Self::Parallel),
            _ => Err(SynthError::Option(format!(
                "baseline `{text}` is not understood: choose `national` (each group's national series) or `parallel` (each group's 2018/19 gap to all pupils held)"
            ))),
        }
    }
}

/// Options of a synthetic LA.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Pupils on roll (reception to year 11) in a year.
    pub pupils: usize,
    /// First academic year.
    pub first_year: AcademicYear,
    /// Last academic year.
    pub last_year: AcademicYear,
    /// Three-digit LA code.
    pub la_code: String,
    /// Seed of every random draw.
    pub seed: u64,
    /// Planted effects.
    pub effects: Vec<Effect>,
    /// What the social-care groups' absence and suspensions follow.
    pub baseline: Baseline,
    /// Share of records written deliberately invalid (0 to 0.05).
    pub invalid_rate: f64,
}

impl Default for SynthOptions {
    /// A mid-sized LA (~60k pupils) over 2018/19–2024/25.
    fn default() -> Self {
        Self {
            pupils: 60_000,
            first_year: AcademicYear::starting(2018),
            last_year: AcademicYear::starting(2024),
            la_code: "801".to_string(),
            seed: 2021,
            effects: Vec::new(),
            baseline: Baseline::National,
            invalid_rate: 0.0,
        }
    }
}

impl SynthOptions {
    /// Checks the options make sense.
    pub fn validate(&self) -> Result<(), SynthError> {
        if self.la_code.len() != 3 || !self.la_code.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(SynthError::Option(format!(
                "LA code `{}` is not three digits",
                self.la_code
            )));
        }
        if self.first_year > self.last_year {
            return Err(SynthError::Option(format!(
                "years run backwards: {} to {}",
                self.first_year, self.last_year
            )));
        }
        if self.first_year.start_year() < 2016 || self.last_year.start_year() > 2025 {
            return Err(SynthError::Option(format!(
                "years {}..{} are outside the schema years the generator writes (2016/17 to 2025/26)",
                self.first_year, self.last_year
            )));
        }
        if self.pupils < 12 || self.pupils > 20_000_000 {
            return Err(SynthError::Option(format!(
                "--pupils {} is outside 12 to 20,000,000",
                self.pupils
            )));
        }
        if !(0.0..=0.05).contains(&self.invalid_rate) {
            return Err(SynthError::Option(format!(
                "invalid-record rate {} is outside 0 to 0.05",
                self.invalid_rate
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_parse() {
        assert_eq!(
            Effect::parse("attendance=+2pp").expect("valid"),
            Effect::Attendance {
                percentage_points: 2.0
            }
        );
        assert_eq!(
            Effect::parse("suspensions=-1.5pp").expect("valid"),
            Effect::Suspensions {
                percentage_points: -1.5
            }
        );
        assert!(Effect::parse("attendance=2").is_err());
        assert!(Effect::parse("ks2=+2pp").is_err());
    }

    #[test]
    fn generated_upns_are_valid() {
        let population = generate(&SynthOptions {
            pupils: 1200,
            ..SynthOptions::default()
        });
        for child in &population.children {
            for upn in child.upns() {
                assert_eq!(cwsw_dictionary::upn::validate(upn), Ok(()), "{upn}");
            }
        }
    }

    /// The CIN census children of a file: (LAchildID, UPN, FormerUPN), from the text.
    fn cin_children(path: &std::path::Path) -> Vec<(String, Option<String>, Option<String>)> {
        let text = std::fs::read_to_string(path).expect("a CIN census file");
        let element = |block: &str, name: &str| {
            let open = format!("<{name}>");
            let start = block.find(&open)? + open.len();
            let end = block[start..].find(&format!("</{name}>"))?;
            Some(block[start..start + end].to_string())
        };
        text.split("<Child>")
            .skip(1)
            .map(|block| {
                (
                    element(block, "LAchildID").expect("an id"),
                    element(block, "UPN"),
                    element(block, "FormerUPN"),
                )
            })
            .collect()
    }

    /// Issue 13: UPN changes (the census writes the former UPN after the change, and
    /// the returns the UPN current on their date) and children with two ids.
    #[test]
    fn upn_changes_and_two_ids_are_written() {
        let options = SynthOptions {
            pupils: 3000,
            first_year: AcademicYear::starting(2021),
            last_year: AcademicYear::starting(2023),
            ..SynthOptions::default()
        };
        let population = generate(&options);
        let dir = tempfile::tempdir().expect("tempdir");
        write_returns(&population, &options, dir.path()).expect("returns written");
        let mut every_upn = std::collections::HashSet::new();
        for child in &population.children {
            for upn in child.upns() {
                assert!(every_upn.insert(upn.to_string()), "{upn} is not unique");
                assert_eq!(cwsw_dictionary::upn::validate(upn), Ok(()), "{upn}");
            }
            assert_eq!(child.former_upn.is_some(), child.upn_changed.is_some());
        }
        let changed: Vec<&Child> = population
            .children
            .iter()
            .filter(|child| child.former_upn.is_some())
            .collect();
        let pupils = population
            .children
            .iter()
            .filter(|child| !child.enrolments.is_empty())
            .count();
        assert!(
            changed.len() * 200 > pupils && changed.len() * 25 < pupils,
            "{} of {pupils} pupils changed UPN",
            changed.len()
        );
        // The census: the UPN current on census day, and formerupn from the change on.
        let by_upn: std::collections::HashMap<&str, &Child> = population
            .children
            .iter()
            .flat_map(|child| child.upns().map(move |upn| (upn, child)))
            .collect();
        let (mut before, mut after) = (0, 0);
        for census in calendar::Census::completing(options.first_year, options.last_year) {
            let day = census.day();
            for table in ["pupilonroll", "pupilnolongeronroll"] {
                let path = dir
                    .path()
                    .join(format!("school_census/{}_{table}.csv", census.prefix()));
                for row in read_rows(&path) {
                    let child = by_upn[row["upn"].as_str()];
                    assert_eq!(row["upn"], child.upn_on(day));
                    assert_eq!(row["formerupn"], child.former_upn_on(day).unwrap_or(""));
                    if let (Some(former), Some(changed)) = (&child.former_upn, child.upn_changed) {
                        if day < changed {
                            assert_eq!(&row["upn"], former);
                            before += 1;
                        } else {
                            assert_eq!(row["upn"], child.upn);
                            assert_ne!(row["upn"], *former);
                            after += 1;
                        }
                    }
                }
            }
        }
        assert!(
            before > 0 && after > 0,
            "{before} rows before, {after} after"
        );
        // The CIN census: the UPN current on 31 March, FormerUPN in some returns after
        // the change (never before it), UN1 below school age.
        let (mut with_former, mut without_former) = (0, 0);
        for year in AcademicYear::range(options.first_year, options.last_year) {
            let reference = year.reference_date();
            let path = dir
                .path()
                .join(format!("cin_census/cin_census_{}.xml", year.end_year()));
            let by_id: std::collections::HashMap<&str, &Child> = population
                .children
                .iter()
                .map(|child| (child.la_child_id.as_str(), child))
                .collect();
            for (id, upn, former) in cin_children(&path) {
                let child = by_id[id.as_str()];
                match upn {
                    Some(upn) => assert_eq!(upn, child.upn_on(reference)),
                    None => assert!(former.is_none()),
                }
                match (former, child.former_upn_on(reference)) {
                    (Some(written), Some(former)) => {
                        assert_eq!(written, former);
                        with_former += 1;
                    }
                    (None, Some(_)) => without_former += 1,
                    (Some(written), None) => panic!("{id}: FormerUPN {written} before a change"),
                    (None, None) => {}
                }
            }
        }
        assert!(
            with_former > 0 && without_former > 0,
            "{with_former} CIN returns with FormerUPN, {without_former} without"
        );
        // Two ids: SSDA903 uses the care id in every table, the CIN census LAchildID.
        let two_ids: Vec<&Child> = population
            .children
            .iter()
            .filter(|child| child.care_child_id.is_some())
            .collect();
        let looked_after = population
            .children
            .iter()
            .filter(|child| !child.care_episodes.is_empty())
            .count();
        assert!(
            two_ids.len() * 5 > looked_after && two_ids.len() * 5 < looked_after * 2,
            "{} of {looked_after} looked-after children have two ids",
            two_ids.len()
        );
        let mut care_ids = std::collections::HashSet::new();
        for year in AcademicYear::range(options.first_year, options.last_year) {
            for table in ["header", "episodes"] {
                let path = dir
                    .path()
                    .join(format!("ssda903/SSDA903_{}_{table}.csv", year.end_year()));
                for row in read_rows(&path) {
                    care_ids.insert(row["CHILD"].clone());
                }
            }
            let path = dir
                .path()
                .join(format!("cin_census/cin_census_{}.xml", year.end_year()));
            for (id, _, _) in cin_children(&path) {
                assert!(!id.contains('L'), "{id} in the CIN census");
            }
        }
        let written = two_ids
            .iter()
            .filter(|child| care_ids.contains(child.ssda903_id()))
            .count();
        assert!(written > 0, "no child with two ids in the SSDA903");
        for child in &two_ids {
            assert_ne!(child.ssda903_id(), child.la_child_id);
            assert!(!care_ids.contains(&child.la_child_id));
        }
    }

    /// Overall absence (sessions) of pupils in need at 31 March (CINO, CPPO, CLA), whom
    /// a planted effect reaches, from 2021/22, from the population's truth.
    fn social_worker_absence(population: &Population) -> f64 {
        let (mut absent, mut possible) = (0u64, 0u64);
        for child in &population.children {
            for record in &child.terms {
                let status = year_status(child, record.year);
                if status.in_need_at_31_march() && record.year.start_year() >= 2021 {
                    for attendance in [&record.first, &record.second_half] {
                        possible += u64::from(attendance.possible);
                        absent += u64::from(attendance.authorised() + attendance.unauthorised());
                    }
                }
            }
        }
        absent as f64 / possible as f64
    }

    #[test]
    fn a_planted_attendance_effect_shows_in_the_truth() {
        let base = SynthOptions {
            pupils: 6000,
            ..SynthOptions::default()
        };
        let planted = SynthOptions {
            effects: vec![Effect::Attendance {
                percentage_points: 4.0,
            }],
            ..base.clone()
        };
        let without = social_worker_absence(&generate(&base));
        let with = social_worker_absence(&generate(&planted));
        // Four points of attendance, less what the floor at zero absence absorbs.
        assert!(
            without - with > 0.025,
            "without {without:.4}, with {with:.4}"
        );
        assert!(
            without - with < 0.045,
            "without {without:.4}, with {with:.4}"
        );
    }

    /// Overall absence (ratio of sessions) in `year` of pupils whose status is one of
    /// `statuses`, and of every other pupil, from the population's truth.
    fn absence_of(
        population: &Population,
        year: AcademicYear,
        statuses: &[YearStatus],
    ) -> (f64, f64) {
        // (absent, possible) of the pupils in `statuses`, then of the others.
        let mut sessions = [(0u64, 0u64); 2];
        for child in &population.children {
            let others = usize::from(!statuses.contains(&year_status(child, year)));
            for record in child.terms.iter().filter(|record| record.year == year) {
                for attendance in [&record.first, &record.second_half] {
                    sessions[others].0 +=
                        u64::from(attendance.authorised() + attendance.unauthorised());
                    sessions[others].1 += u64::from(attendance.possible);
                }
            }
        }
        let rate = |(absent, possible): (u64, u64)| absent as f64 / possible as f64;
        (rate(sessions[0]), rate(sessions[1]))
    }

    /// CINO (in need at 31 March, no plan, not looked after) overall absence less that
    /// of all other pupils, in `year`, in percentage points.
    fn cino_gap(population: &Population, year: AcademicYear) -> f64 {
        let (cino, others) = absence_of(population, year, &[YearStatus::InNeedOther]);
        100.0 * (cino - others)
    }

    /// Issue 14: 2018/19 to 2022/23 at the default LA size. A year's CINO absence is
    /// noisy (one pupil's rate varies about 1.4 times its mean), so the gap of one year
    /// moves by about half a point from sampling alone at 60k pupils, a point at 25k.
    fn baseline_options(baseline: Baseline, effects: Vec<Effect>) -> SynthOptions {
        SynthOptions {
            pupils: 60_000,
            last_year: AcademicYear::starting(2022),
            baseline,
            effects,
            ..SynthOptions::default()
        }
    }

    /// The parallel population without an effect, made once for the tests that use it.
    fn parallel_population() -> &'static Population {
        static POPULATION: std::sync::OnceLock<Population> = std::sync::OnceLock::new();
        POPULATION.get_or_init(|| generate(&baseline_options(Baseline::Parallel, Vec::new())))
    }

    /// How far CINO's gap to all other pupils moves from 2018/19 to 2022/23, in points.
    fn cino_gap_change(population: &Population) -> f64 {
        cino_gap(population, AcademicYear::starting(2022))
            - cino_gap(population, AcademicYear::starting(2018))
    }

    /// The parallel baseline holds CINO's gap; the national series, from the same seed,
    /// widens it by more than the tolerance (about 6.8 points in 2018/19 to 10 in
    /// 2022/23 nationally).
    #[test]
    fn a_parallel_baseline_holds_the_cino_gap() {
        let parallel = cino_gap_change(parallel_population());
        let national =
            cino_gap_change(&generate(&baseline_options(Baseline::National, Vec::new())));
        let tolerance = 1.25;
        assert!(
            parallel.abs() < tolerance,
            "CINO gap moves {parallel:+.2} points from 2018/19 to 2022/23 on the parallel baseline"
        );
        assert!(
            national > tolerance,
            "CINO gap moves {national:+.2} points on the national baseline"
        );
    }

    /// An attendance effect of +2pp on the parallel baseline narrows CINO's gap by about
    /// two points (less what the floor at zero absence absorbs), reaches looked-after
    /// children too, and does not reach a child in need only earlier in the year.
    #[test]
    fn a_planted_effect_on_a_parallel_baseline_narrows_the_gap() {
        let planted = generate(&baseline_options(
            Baseline::Parallel,
            vec![Effect::Attendance {
                percentage_points: 2.0,
            }],
        ));
        let without = parallel_population();
        let change = cino_gap_change(&planted);
        assert!(
            (-3.25..-0.75).contains(&change),
            "CINO gap moves {change:+.2} points from 2018/19 to 2022/23 with the effect"
        );
        // The same seed without the effect: the same children, most of the same draws.
        let effect = change - cino_gap_change(without);
        assert!(
            (-2.3..-1.3).contains(&effect),
            "the effect moves CINO's gap {effect:+.2} points"
        );
        let looked_after = [YearStatus::LookedAfter12Months, YearStatus::LookedAfterLess];
        let year = AcademicYear::starting(2022);
        let (with_effect, _) = absence_of(&planted, year, &looked_after);
        let (no_effect, _) = absence_of(without, year, &looked_after);
        assert!(
            (0.005..0.03).contains(&(no_effect - with_effect)),
            "looked-after absence {no_effect:.4} without the effect, {with_effect:.4} with"
        );
        // In need during a year but never at 31 March from 2021/22: the same draws (each
        // child draws from its own generator, and the effect does not move the
        // calibration), so the same days.
        let in_need_at_31_march = [
            YearStatus::InNeedOther,
            YearStatus::ProtectionPlan,
            YearStatus::LookedAfter12Months,
            YearStatus::LookedAfterLess,
        ];
        let during_year = |population: &Population| -> Vec<String> {
            population
                .children
                .iter()
                .filter(|child| {
                    AcademicYear::range(AcademicYear::starting(2021), population.last_year)
                        .all(|year| !in_need_at_31_march.contains(&year_status(child, year)))
                })
                .flat_map(|child| {
                    child
                        .terms
                        .iter()
                        .filter(move |record| {
                            record.year.start_year() >= 2021
                                && year_status(child, record.year) == YearStatus::InNeedDuringYear
                        })
                        .map(|record| format!("{record:?}"))
                })
                .collect()
        };
        let (with_effect, no_effect) = (during_year(&planted), during_year(without));
        assert!(!no_effect.is_empty());
        assert!(
            with_effect == no_effect,
            "the effect reached a child not in need at 31 March"
        );
    }

    #[test]
    fn baselines_parse() {
        assert_eq!(
            Baseline::parse("national").expect("valid"),
            Baseline::National
        );
        assert_eq!(
            Baseline::parse("parallel").expect("valid"),
            Baseline::Parallel
        );
        assert_eq!(SynthOptions::default().baseline, Baseline::National);
        let error = Baseline::parse("flat")
            .expect_err("not a baseline")
            .to_string();
        assert!(
            error.contains("`flat`")
                && error.contains("`national`")
                && error.contains("`parallel`"),
            "{error}"
        );
        assert!(Baseline::parse("").is_err());
        assert!(Baseline::parse("Parallel").is_err());
    }

    /// The rows of a census CSV file, by column name.
    fn read_rows(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
        let mut reader = csv::Reader::from_path(path).expect("a census file");
        let headers = reader.headers().expect("a header").clone();
        reader
            .records()
            .map(|record| {
                let record = record.expect("a row");
                headers
                    .iter()
                    .zip(record.iter())
                    .map(|(name, value)| (name.to_string(), value.to_string()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn dual_registration_splits_the_sessions() {
        use calendar::{Census, CensusTerm};
        use cwsw_dictionary::Term;
        let options = SynthOptions {
            pupils: 3000,
            first_year: AcademicYear::starting(2021),
            last_year: AcademicYear::starting(2022),
            ..SynthOptions::default()
        };
        let population = generate(&options);
        let dir = tempfile::tempdir().expect("tempdir");
        write_returns(&population, &options, dir.path()).expect("returns written");
        // (census prefix, MIS id, file) → D sessions, and (census prefix, MIS id) →
        // enrolstatus, as written.
        let mut d_rows = std::collections::HashMap::new();
        let mut status = std::collections::HashMap::new();
        for census in Census::completing(options.first_year, options.last_year) {
            let prefix = census.prefix();
            for (table, id) in [
                ("termlysessiondetailsonroll", "pupilonrolltableid"),
                ("termlysessiondetailsoffroll", "pupilnolongeronrolltableid"),
                ("summerhalfterm2sessiondetailsonroll", "pupilonrolltableid"),
                (
                    "summerhalfterm2sessiondetailsoffroll",
                    "pupilnolongeronrolltableid",
                ),
            ] {
                let path = dir
                    .path()
                    .join(format!("school_census/{prefix}_{table}.csv"));
                if !path.exists() {
                    continue;
                }
                let second = table.starts_with("summer");
                for row in read_rows(&path) {
                    if row["attendancereason"] == "D" {
                        let sessions: f64 = row["sessions"].parse().expect("sessions");
                        d_rows.insert((prefix.clone(), row[id].clone(), second), sessions as u32);
                    }
                }
            }
            let path = dir
                .path()
                .join(format!("school_census/{prefix}_pupilonroll.csv"));
            for row in read_rows(&path) {
                status.insert(
                    (prefix.clone(), row["pupilonrolltableid"].clone()),
                    row["enrolstatus"].clone(),
                );
            }
        }
        let carrying = |year: AcademicYear, term: Term| Census {
            year: year.end_year(),
            term: match term {
                Term::Autumn => CensusTerm::Spring,
                Term::Spring => CensusTerm::Summer,
                Term::Summer => CensusTerm::Autumn,
            },
        };
        let (mut spells, mut terms, mut statuses) = (0, 0, 0);
        for child in &population.children {
            for (index, subsidiary) in child.enrolments.iter().enumerate() {
                let Some(main_index) = subsidiary.main else {
                    continue;
                };
                spells += 1;
                let main = &child.enrolments[main_index];
                assert_eq!(
                    population.schools[subsidiary.school].kind,
                    SchoolKind::AlternativeProvision
                );
                assert_ne!(
                    population.schools[main.school].kind,
                    SchoolKind::AlternativeProvision
                );
                assert!(main.entry <= subsidiary.entry);
                assert!(
                    main.leaving
                        .is_none_or(|left| subsidiary.leaving.is_some_and(|s| s <= left))
                );
                assert_ne!(main.mis_id, subsidiary.mis_id);
                for record in child
                    .terms
                    .iter()
                    .filter(|record| record.enrolment == index)
                {
                    let main_record = child
                        .terms
                        .iter()
                        .find(|other| {
                            other.enrolment == main_index
                                && other.year == record.year
                                && other.term == record.term
                        })
                        .expect("a term at the subsidiary school is a term at the main one");
                    let windows = calendar::teaching_windows(record.year, record.term);
                    let census = carrying(record.year, record.term);
                    for (half, (at_main, at_unit)) in [
                        (&main_record.first, &record.first),
                        (&main_record.second_half, &record.second_half),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        // Both registrations together: the pupil's sessions, once.
                        let sessions = windows.get(half).map_or(0, |window| {
                            window.possible(
                                main.entry,
                                main.leaving.unwrap_or(chrono::NaiveDate::MAX),
                            )
                        });
                        assert_eq!(at_main.possible + at_unit.possible, sessions);
                        assert_eq!(at_main.dual, at_unit.possible);
                        assert_eq!(at_unit.dual, 0);
                        // The main school returns them as D, from 2021.
                        let written =
                            d_rows.get(&(census.prefix(), main.mis_id.clone(), half == 1));
                        if at_main.dual > 0 && census.year >= 2021 {
                            assert_eq!(written, Some(&at_main.dual), "{census:?} {half}");
                        } else {
                            assert_eq!(written, None);
                        }
                    }
                    terms += 1;
                }
                // The registrations' enrolstatus on each census day.
                for census in Census::completing(options.first_year, options.last_year) {
                    let day = census.day();
                    if subsidiary.on_roll_on(day) {
                        let of = |mis_id: &str| status.get(&(census.prefix(), mis_id.to_string()));
                        assert_eq!(of(&subsidiary.mis_id).map(String::as_str), Some("S"));
                        assert_eq!(of(&main.mis_id).map(String::as_str), Some("M"));
                        statuses += 1;
                    }
                }
            }
        }
        assert!(spells > 5, "{spells} dual registrations");
        assert!(terms > 5, "{terms} dual-registered terms");
        assert!(statuses > 0, "no dual registration current on a census day");
        // A single registration is C.
        assert!(status.values().any(|value| value == "C"));
        assert!(
            status
                .values()
                .all(|value| matches!(value.as_str(), "C" | "M" | "S"))
        );
    }

    #[test]
    fn same_seed_same_files() {
        let options = SynthOptions {
            pupils: 600,
            first_year: AcademicYear::starting(2023),
            ..SynthOptions::default()
        };
        let (a, b) = (
            tempfile::tempdir().expect("tempdir"),
            tempfile::tempdir().expect("tempdir"),
        );
        let written = write_returns(&generate(&options), &options, a.path()).expect("written");
        write_returns(&generate(&options), &options, b.path()).expect("written");
        // The spring census after the last year completes its exclusions.
        assert!(
            written
                .files
                .contains(&"school_census/2026_spring_pupilonroll.csv".to_string())
        );
        for file in &written.files {
            let read = |dir: &tempfile::TempDir| std::fs::read(dir.path().join(file)).expect(file);
            assert!(read(&a) == read(&b), "{file} differs");
        }
    }

    #[test]
    fn same_seed_same_population() {
        let options = SynthOptions {
            pupils: 600,
            ..SynthOptions::default()
        };
        let a = generate(&options);
        let b = generate(&options);
        assert_eq!(format!("{:?}", a.children), format!("{:?}", b.children));
    }
}
