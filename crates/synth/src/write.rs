//! Writes the population as the raw returns an LA holds, in their real formats.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use cwsw_dictionary::AcademicYear;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use rand::{Rng, SeedableRng};

use crate::calendar::{self, Census, CensusTerm};
use crate::draw::{self, Generator};
use crate::model::*;
use crate::{SynthError, SynthOptions};

/// A record written invalid on purpose, so tests know what extract must reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantedError {
    /// File relative to the output folder.
    pub file: String,
    /// What was made invalid.
    pub kind: &'static str,
}

/// What [`write_returns`] wrote.
#[derive(Debug, Clone, Default)]
pub struct WrittenReturns {
    /// Every file, relative to the output folder, in the order written.
    pub files: Vec<String>,
    /// Records made invalid on purpose.
    pub planted: Vec<PlantedError>,
}

struct Output<'a> {
    root: &'a Path,
    written: WrittenReturns,
    /// Decides which records to corrupt; separate from the population's generators so
    /// that the valid records are the same whatever the rate.
    corrupt: Generator,
    invalid_rate: f64,
}

impl Output<'_> {
    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    fn csv(&mut self, relative: &str, header: &[&str]) -> Result<CsvFile, SynthError> {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| SynthError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let mut writer = csv::WriterBuilder::new()
            .buffer_capacity(1 << 20)
            .from_path(&path)
            .map_err(|source| SynthError::Csv {
                path: path.clone(),
                source,
            })?;
        writer
            .write_record(header)
            .map_err(|source| SynthError::Csv {
                path: path.clone(),
                source,
            })?;
        self.written.files.push(relative.to_string());
        Ok(CsvFile { writer, path })
    }

    fn plant(&mut self, relative: &str, kind: &'static str) -> bool {
        if self.invalid_rate > 0.0 && draw::chance(&mut self.corrupt, self.invalid_rate) {
            self.written.planted.push(PlantedError {
                file: relative.to_string(),
                kind,
            });
            true
        } else {
            false
        }
    }
}

struct CsvFile {
    writer: csv::Writer<File>,
    path: PathBuf,
}

impl CsvFile {
    fn row<I, T>(&mut self, record: I) -> Result<(), SynthError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer
            .write_record(record)
            .map_err(|source| SynthError::Csv {
                path: self.path.clone(),
                source,
            })
    }

    fn finish(mut self) -> Result<(), SynthError> {
        self.writer.flush().map_err(|source| SynthError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Writes every return of the population under `root`.
pub fn write_returns(
    population: &Population,
    options: &SynthOptions,
    root: &Path,
) -> Result<WrittenReturns, SynthError> {
    let mut output = Output {
        root,
        written: WrittenReturns::default(),
        corrupt: Generator::seed_from_u64(options.seed ^ 0xBAD0_BAD0),
        invalid_rate: options.invalid_rate,
    };
    for year in AcademicYear::range(population.first_year, population.last_year) {
        write_cin_census(&mut output, population, year)?;
        write_ssda903(&mut output, population, year)?;
    }
    for census in Census::completing(population.first_year, population.last_year) {
        write_school_census(&mut output, population, census)?;
    }
    write_attainment(&mut output, population)?;
    write_home_education(&mut output, population)?;
    write_school_lookup(&mut output, population)?;
    Ok(output.written)
}

fn cin_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn ssda_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

fn census_date(date: NaiveDate) -> String {
    date.format("%Y-%b-%d 00:00:00").to_string()
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

struct Xml<W: Write> {
    writer: Writer<W>,
}

impl<W: Write> Xml<W> {
    fn open(&mut self, name: &str) -> std::io::Result<()> {
        self.writer.write_event(Event::Start(BytesStart::new(name)))
    }

    fn close(&mut self, name: &str) -> std::io::Result<()> {
        self.writer.write_event(Event::End(BytesEnd::new(name)))
    }

    fn leaf(&mut self, name: &str, value: &str) -> std::io::Result<()> {
        self.open(name)?;
        self.writer
            .write_event(Event::Text(BytesText::new(value)))?;
        self.close(name)
    }

    fn date(&mut self, name: &str, date: Option<NaiveDate>) -> std::io::Result<()> {
        match date {
            Some(date) => self.leaf(name, &cin_date(date)),
            None => Ok(()),
        }
    }
}

/// Reported as at the census: dates after the reference date are not yet known.
fn known(date: Option<NaiveDate>, reference: NaiveDate) -> Option<NaiveDate> {
    date.filter(|date| *date <= reference)
}

/// Days after census day within which a school makes its census return: an FSM period
/// that ended by then is returned with its end date.
const RETURN_DAYS: i64 = 28;

/// An end date as a school census return knows it: ended by the day the return is made,
/// some days after census day (so it may lie after census day).
fn returned(date: Option<NaiveDate>, census_day: NaiveDate) -> Option<NaiveDate> {
    known(date, census_day + chrono::Duration::days(RETURN_DAYS))
}

/// Whether a CIN census return records the former UPN of a child whose UPN changed:
/// about half of them, fixed by (child, year) so the same seed writes the same files.
fn records_former_upn(child: &Child, census_year: i32) -> bool {
    hex_id(0xF0F0_5EED, &[child.index as u64, census_year as u64])
        .bytes()
        .last()
        .is_some_and(|digit| digit % 2 == 0)
}

/// CIN census XML for the collection year ending 31 March of `year` (domain.md §5).
fn write_cin_census(
    output: &mut Output,
    population: &Population,
    year: AcademicYear,
) -> Result<(), SynthError> {
    let census_year = year.end_year();
    let reference = year.reference_date();
    let period_start = year.period_start();
    let relative = format!("cin_census/cin_census_{census_year}.xml");
    let path = output.path(&relative);
    std::fs::create_dir_all(path.parent().unwrap_or(output.root)).map_err(io_error(&path))?;
    let file = File::create(&path).map_err(io_error(&path))?;
    let mut xml = Xml {
        writer: Writer::new_with_indent(BufWriter::with_capacity(1 << 20, file), b' ', 4),
    };
    let plant = |output: &mut Output| output.plant(&relative, "closure before referral");
    let result: std::io::Result<()> = (|| {
        xml.writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        xml.open("Message")?;
        xml.open("Header")?;
        xml.open("CollectionDetails")?;
        xml.leaf("Collection", "CIN")?;
        xml.leaf("Year", &census_year.to_string())?;
        xml.leaf("ReferenceDate", &cin_date(reference))?;
        xml.close("CollectionDetails")?;
        xml.open("Source")?;
        xml.leaf("SourceLevel", "L")?;
        xml.leaf("LEA", &population.la_code)?;
        xml.leaf("SoftwareCode", "cwsw synth")?;
        xml.leaf("Release", env!("CARGO_PKG_VERSION"))?;
        xml.leaf("SerialNo", "001")?;
        xml.leaf("DateTime", &format!("{census_year}-05-15T09:00:00"))?;
        xml.close("Source")?;
        xml.close("Header")?;
        xml.open("Children")?;
        for child in &population.children {
            let episodes: Vec<&CinEpisode> = child
                .cin_episodes
                .iter()
                .filter(|episode| {
                    episode.referral <= reference
                        && episode.closure.is_none_or(|closed| closed >= period_start)
                })
                .collect();
            if episodes.is_empty() {
                continue;
            }
            xml.open("Child")?;
            xml.open("ChildIdentifiers")?;
            xml.leaf("LAchildID", &child.la_child_id)?;
            let school_age = child.birth_date.year() + 5 < census_year;
            if school_age {
                xml.leaf("UPN", child.upn_on(reference))?;
                // The former UPN of a child whose UPN changed by the reference date, in
                // about half of those returns (an LA does not always record it).
                if let Some(former) = child.former_upn_on(reference)
                    && records_former_upn(child, census_year)
                {
                    xml.leaf("FormerUPN", former)?;
                }
            } else {
                xml.leaf("UPNunknown", "UN1")?;
            }
            xml.leaf("PersonBirthDate", &cin_date(child.birth_date))?;
            // GenderCurrent 1/2 up to the 2024 schema, Sex M/F from 2025 (domain.md §5).
            if census_year <= 2024 {
                xml.leaf(
                    "GenderCurrent",
                    if child.sex == Sex::Male { "1" } else { "2" },
                )?;
            } else {
                xml.leaf("Sex", if child.sex == Sex::Male { "M" } else { "F" })?;
            }
            xml.close("ChildIdentifiers")?;
            xml.open("ChildCharacteristics")?;
            xml.leaf("Ethnicity", child.ethnicity)?;
            xml.open("Disabilities")?;
            let disability = if episodes.iter().any(|episode| episode.primary_need == "N2") {
                "LD"
            } else {
                "NONE"
            };
            xml.leaf("Disability", disability)?;
            xml.close("Disabilities")?;
            xml.close("ChildCharacteristics")?;
            for episode in episodes {
                let corrupt =
                    episode.closure.is_some_and(|closed| closed <= reference) && plant(output);
                write_cin_details(&mut xml, episode, reference, census_year, corrupt)?;
            }
            xml.close("Child")?;
        }
        xml.close("Children")?;
        xml.close("Message")?;
        xml.writer.get_mut().flush()
    })();
    result.map_err(io_error(&path))?;
    output.written.files.push(relative);
    Ok(())
}

fn write_cin_details<W: Write>(
    xml: &mut Xml<W>,
    episode: &CinEpisode,
    reference: NaiveDate,
    census_year: i32,
    corrupt_closure: bool,
) -> std::io::Result<()> {
    xml.open("CINdetails")?;
    xml.date("CINreferralDate", Some(episode.referral))?;
    xml.leaf("ReferralSource", episode.referral_source)?;
    xml.leaf("PrimaryNeedCode", episode.primary_need)?;
    let closure = known(episode.closure, reference);
    // A planted error: the closure is written a year before the referral.
    let closure = match closure {
        Some(_) if corrupt_closure => Some(episode.referral - chrono::Duration::days(30)),
        other => other,
    };
    xml.date("CINclosureDate", closure)?;
    if closure.is_some() {
        xml.leaf("ReasonForClosure", episode.reason_for_closure)?;
    }
    let conference = episode
        .section47
        .iter()
        .filter_map(|s47| known(s47.initial_conference, reference))
        .next();
    xml.date("DateOfInitialCPC", conference)?;
    if let Some(assessment) = &episode.assessment
        && assessment.start <= reference
    {
        xml.open("Assessments")?;
        xml.date("AssessmentActualStartDate", Some(assessment.start))?;
        let authorised = known(Some(assessment.authorised), reference);
        xml.date("AssessmentAuthorisationDate", authorised)?;
        if authorised.is_some() {
            xml.open("FactorsIdentifiedAtAssessment")?;
            for factor in &assessment.factors {
                xml.leaf("AssessmentFactors", factor)?;
            }
            xml.close("FactorsIdentifiedAtAssessment")?;
        }
        xml.close("Assessments")?;
    }
    // CIN plan dates are collected from the 2022 census on (domain.md §1).
    if census_year >= 2022 {
        for plan in episode
            .cin_plans
            .iter()
            .filter(|plan| plan.start <= reference)
        {
            xml.open("CINPlanDates")?;
            xml.date("CINPlanStartDate", Some(plan.start))?;
            xml.date("CINPlanEndDate", known(plan.end, reference))?;
            xml.close("CINPlanDates")?;
        }
    }
    for s47 in episode
        .section47
        .iter()
        .filter(|s47| s47.start <= reference)
    {
        xml.open("Section47")?;
        xml.date("S47ActualStartDate", Some(s47.start))?;
        xml.date(
            "InitialCPCtarget",
            Some(s47.start + chrono::Duration::days(15)),
        )?;
        xml.date("DateOfInitialCPC", known(s47.initial_conference, reference))?;
        xml.leaf(
            "ICPCnotRequired",
            if s47.initial_conference.is_none() {
                "true"
            } else {
                "false"
            },
        )?;
        xml.close("Section47")?;
    }
    xml.leaf(
        "ReferralNFA",
        if episode.referral_nfa {
            "true"
        } else {
            "false"
        },
    )?;
    for plan in episode
        .protection_plans
        .iter()
        .filter(|plan| plan.plan.start <= reference)
    {
        xml.open("ChildProtectionPlans")?;
        xml.date("CPPstartDate", Some(plan.plan.start))?;
        xml.date("CPPendDate", known(plan.plan.end, reference))?;
        xml.leaf("InitialCategoryOfAbuse", plan.initial_category)?;
        xml.leaf("LatestCategoryOfAbuse", plan.latest_category)?;
        xml.leaf("NumberOfPreviousCPP", &plan.previous_plans.to_string())?;
        let reviews: Vec<NaiveDate> = plan
            .reviews
            .iter()
            .copied()
            .filter(|review| *review <= reference)
            .collect();
        if !reviews.is_empty() {
            xml.open("Reviews")?;
            for review in reviews {
                xml.date("CPPreviewDate", Some(review))?;
            }
            xml.close("Reviews")?;
        }
        xml.close("ChildProtectionPlans")?;
    }
    xml.close("CINdetails")
}

/// SSDA903 header and episodes for the collection year ending 31 March of `year`.
fn write_ssda903(
    output: &mut Output,
    population: &Population,
    year: AcademicYear,
) -> Result<(), SynthError> {
    let collection_year = year.end_year();
    let reference = year.reference_date();
    let period_start = year.period_start();
    let header_name = format!("ssda903/SSDA903_{collection_year}_header.csv");
    let episodes_name = format!("ssda903/SSDA903_{collection_year}_episodes.csv");
    let mut header = output.csv(
        &header_name,
        &["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
    )?;
    let mut episodes_file = output.csv(
        &episodes_name,
        &[
            "CHILD",
            "DECOM",
            "RNE",
            "LS",
            "CIN",
            "PLACE",
            "PLACE_PROVIDER",
            "DEC",
            "REC",
            "REASON_PLACE_CHANGE",
            "HOME_POST",
            "PL_POST",
            "URN",
        ],
    )?;
    for child in &population.children {
        let episodes: Vec<&CareEpisode> = child
            .care_episodes
            .iter()
            .filter(|episode| {
                episode.start <= reference && episode.end.is_none_or(|end| end >= period_start)
            })
            .collect();
        if episodes.is_empty() {
            continue;
        }
        // SEX 1/2 until 2024, M/F/U from 2025 (domain.md §5).
        let sex = match (child.sex, collection_year >= 2025) {
            (Sex::Male, false) => "1",
            (Sex::Female, false) => "2",
            (Sex::Male, true) => "M",
            (Sex::Female, true) => "F",
        };
        let upn = if child.birth_date.year() + 5 < collection_year {
            child.upn_on(reference)
        } else {
            "UN1"
        };
        header.row([
            child.ssda903_id(),
            sex,
            &ssda_date(child.birth_date),
            child.ethnicity,
            upn,
            "",
            "",
        ])?;
        let need = child
            .cin_episodes
            .iter()
            .rev()
            .find(|episode| episode.referral <= reference)
            .map_or("N1", |episode| episode.primary_need);
        let home = child.postcode.as_str();
        for episode in episodes {
            let end = known(episode.end, reference);
            let planted = output.plant(&episodes_name, "DECOM not a date");
            let decom = if planted {
                // A day that does not exist.
                format!("31/02/{}", episode.start.year())
            } else {
                ssda_date(episode.start)
            };
            episodes_file.row([
                child.ssda903_id(),
                &decom,
                episode.reason_new_episode,
                episode.legal_status,
                need,
                // H5 leaves the PLACE code set in 2025 and K3 arrives (the placement
                // code list).
                if episode.placement == "H5" && collection_year >= 2025 {
                    "K3"
                } else {
                    episode.placement
                },
                "PR1",
                &end.map(ssda_date).unwrap_or_default(),
                if end.is_some() {
                    episode.reason_ceased
                } else {
                    ""
                },
                "",
                home,
                "",
                "",
            ])?;
        }
    }
    header.finish()?;
    episodes_file.finish()
}

/// The pupil-level column sets, as the LA extracts write them for the census year.
struct CensusColumns {
    sex: &'static str,
    totals: bool,
    second_half: bool,
}

impl CensusColumns {
    fn for_census(census: Census) -> Self {
        Self {
            // `gender` before 2023, `sex` after (domain.md §5),
            // renamed in the autumn 2023 census.
            sex: if census
                >= (Census {
                    year: 2023,
                    term: CensusTerm::Autumn,
                }) {
                "sex"
            } else {
                "gender"
            },
            // The 2025 schema drops the authorised and unauthorised totals.
            totals: census.year <= 2024,
            second_half: census.term == CensusTerm::Autumn,
        }
    }

    fn pupil_header(&self, table_id: &str, on_roll: bool) -> Vec<String> {
        let mut header: Vec<String> = [
            table_id,
            "NativeId",
            "dob",
            "surname",
            "forename",
            "upn",
            "formerupn",
            self.sex,
            "entrydate",
        ]
        .iter()
        .map(|column| (*column).to_string())
        .collect();
        if !on_roll {
            header.push("leavingdate".into());
        }
        header.extend(
            [
                &format!(
                    "{}orderseqcolumn",
                    if on_roll {
                        "pupilonroll"
                    } else {
                        "pupilnolongeronroll"
                    }
                ),
                "sourceid",
                "schoolcensustableid",
                "termlysessionspossible",
            ]
            .iter()
            .map(|column| (*column).to_string()),
        );
        if self.totals {
            header.push("termlysessionsauthorised".into());
            header.push("termlysessionsunauthorised".into());
        }
        if self.second_half {
            header.push("summerhalfterm2sessionspossible".into());
            if self.totals {
                header.push("summerhalfterm2sessionsauthorised".into());
                header.push("summerhalfterm2sessionsunauthorised".into());
            }
        }
        if on_roll {
            // As in the LA extracts: `enrolstatus` before `senprovision`.
            header.push("enrolstatus".into());
            header.push("senprovision".into());
            header.push("ncyearactual".into());
        } else {
            header.push("ncyearleaving".into());
        }
        header
    }
}

fn hex_id(seed: u64, parts: &[u64]) -> String {
    let mut rng = Generator::seed_from_u64(parts.iter().fold(seed, |acc, part| {
        acc.rotate_left(17) ^ part.wrapping_mul(0x9E37_79B9)
    }));
    format!("{:08x}", rng.random::<u32>())
}

/// The National Curriculum year of a child in an academic year (R = 0).
fn nc_year(child: &Child, year: AcademicYear) -> i32 {
    let cohort = if child.birth_date.month() >= 9 {
        child.birth_date.year()
    } else {
        child.birth_date.year() - 1
    };
    year.start_year() - cohort - 5
}

fn nc_year_code(year: i32) -> String {
    if year <= 0 {
        "R".to_string()
    } else {
        year.to_string()
    }
}

struct PupilRow<'a> {
    child: &'a Child,
    enrolment: usize,
    on_roll: bool,
    record: Option<&'a TermRecord>,
}

/// One census: pupils on and off roll with the attendance of the term in arrears,
/// session-reason rows, exclusions of the terms it carries, FSM periods and SEN needs.
fn write_school_census(
    output: &mut Output,
    population: &Population,
    census: Census,
) -> Result<(), SynthError> {
    let day = census.day();
    let (attendance_year, attendance_term) = census.attendance_term();
    let exclusion_terms = census.exclusion_terms();
    let earliest = exclusion_terms
        .iter()
        .map(|(year, term)| calendar::term_bounds(*year, *term).0)
        .chain([calendar::term_bounds(attendance_year, attendance_term).0])
        .min()
        .unwrap_or(day);
    let collects = census.collects_attendance();
    let columns = CensusColumns::for_census(census);
    let prefix = census.prefix();
    let mut rows: Vec<PupilRow> = Vec::new();
    for child in &population.children {
        for (index, enrolment) in child.enrolments.iter().enumerate() {
            let on_roll =
                enrolment.entry <= day && enrolment.leaving.is_none_or(|left| left >= day);
            let left_recently = enrolment
                .leaving
                .is_some_and(|left| left >= earliest && left < day);
            if !on_roll && !left_recently {
                continue;
            }
            let record = child.terms.iter().find(|record| {
                record.enrolment == index
                    && record.year == attendance_year
                    && record.term == attendance_term
            });
            rows.push(PupilRow {
                child,
                enrolment: index,
                on_roll,
                record,
            });
        }
    }
    rows.sort_by(|a, b| {
        let key = |row: &PupilRow| row.child.enrolments[row.enrolment].mis_id.clone();
        key(a).cmp(&key(b))
    });
    let school_key =
        |row: &PupilRow| population.schools[row.child.enrolments[row.enrolment].school].laestab;
    let census_key = (census.year as u64) * 10 + census.term as u64;
    for on_roll in [true, false] {
        let (table_id, pupil_table, details_table, half_table, exclusions_table) = if on_roll {
            (
                "pupilonrolltableid",
                "pupilonroll",
                "termlysessiondetailsonroll",
                "summerhalfterm2sessiondetailsonroll",
                "termlyexclusionsonroll",
            )
        } else {
            (
                "pupilnolongeronrolltableid",
                "pupilnolongeronroll",
                "termlysessiondetailsoffroll",
                "summerhalfterm2sessiondetailsoffroll",
                "termlyexclusionsoffroll",
            )
        };
        let pupil_name = format!("school_census/{prefix}_{pupil_table}.csv");
        let header = columns.pupil_header(table_id, on_roll);
        let mut pupils = output.csv(
            &pupil_name,
            &header.iter().map(String::as_str).collect::<Vec<_>>(),
        )?;
        let detail_header = |table: &str| {
            vec![
                table_id.to_string(),
                "NativeId".to_string(),
                format!("{table}tableid"),
                format!("{table}orderseqcolumn"),
                "sourceid".to_string(),
                // `absencesessions` until 2020, `sessions` from 2021.
                if census.year >= 2021 {
                    "sessions"
                } else {
                    "absencesessions"
                }
                .to_string(),
                "attendancereason".to_string(),
            ]
        };
        let details_name = format!("school_census/{prefix}_{details_table}.csv");
        let mut details = if collects {
            let header = detail_header(details_table);
            Some(output.csv(
                &details_name,
                &header.iter().map(String::as_str).collect::<Vec<_>>(),
            )?)
        } else {
            None
        };
        let mut halves = if collects && columns.second_half {
            let header = detail_header(half_table);
            let name = format!("school_census/{prefix}_{half_table}.csv");
            Some(output.csv(
                &name,
                &header.iter().map(String::as_str).collect::<Vec<_>>(),
            )?)
        } else {
            None
        };
        let exclusions_name = format!("school_census/{prefix}_{exclusions_table}.csv");
        let mut exclusion_header = vec![
            table_id.to_string(),
            "NativeId".to_string(),
            format!("{exclusions_table}tableid"),
            format!("{exclusions_table}orderseqcolumn"),
            "sourceid".to_string(),
            "startdate".to_string(),
            "sessions".to_string(),
        ];
        // `reason` before 2021, `reason1..3` after (domain.md §5).
        if census.year >= 2021 {
            exclusion_header.extend(["reason1", "reason2", "reason3"].map(String::from));
        } else {
            exclusion_header.push("reason".to_string());
        }
        exclusion_header.extend(["category", "senprovision"].map(String::from));
        let mut exclusions = output.csv(
            &exclusions_name,
            &exclusion_header
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )?;
        for row in rows.iter().filter(|row| row.on_roll == on_roll) {
            let child = row.child;
            let enrolment = &child.enrolments[row.enrolment];
            let laestab = school_key(row);
            let native_id = laestab.to_string();
            let source_id = hex_id(census_key, &[u64::from(laestab)]);
            let table_id_value = &enrolment.mis_id;
            let year = AcademicYear::containing(day);
            let mut upn = child.upn_on(day).to_string();
            if output.plant(&pupil_name, "UPN check letter") {
                // A wrong check letter: the next letter of the alphabet.
                let wrong = if upn.starts_with('A') { 'B' } else { 'A' };
                upn.replace_range(0..1, &wrong.to_string());
            }
            let mut record: Vec<String> = vec![
                table_id_value.clone(),
                native_id.clone(),
                census_date(child.birth_date),
                child.surname.clone(),
                child.forename.clone(),
                upn,
                child.former_upn_on(day).unwrap_or_default().to_string(),
                if child.sex == Sex::Male { "M" } else { "F" }.to_string(),
                census_date(enrolment.entry),
            ];
            if !on_roll {
                record.push(enrolment.leaving.map(census_date).unwrap_or_default());
            }
            record.push("1".to_string());
            record.push(source_id.clone());
            record.push(hex_id(census_key + 7, &[u64::from(laestab)]));
            let attendance = row.record.filter(|_| collects);
            let number = |value: u32| format!("{value}.0");
            let mut first = attendance.map(|record| record.first.clone());
            let second = attendance.map(|record| record.second_half.clone());
            if let Some(first) = first.as_mut()
                && output.plant(&pupil_name, "absence above possible")
            {
                first.reasons.push(("O", first.possible + 5));
            }
            let blank_or = |value: Option<u32>| value.map(number).unwrap_or_default();
            record.push(blank_or(first.as_ref().map(|a| a.possible)));
            if columns.totals {
                record.push(blank_or(first.as_ref().map(Attendance::authorised)));
                record.push(blank_or(first.as_ref().map(Attendance::unauthorised)));
            }
            if columns.second_half {
                record.push(blank_or(second.as_ref().map(|a| a.possible)));
                if columns.totals {
                    record.push(blank_or(second.as_ref().map(Attendance::authorised)));
                    record.push(blank_or(second.as_ref().map(Attendance::unauthorised)));
                }
            }
            let year_group = nc_year(child, year);
            if on_roll {
                record.push(child.enrol_status(row.enrolment, day).to_string());
                record.push(
                    if year_group >= 1 {
                        child.sen.code()
                    } else {
                        "N"
                    }
                    .to_string(),
                );
                record.push(nc_year_code(year_group));
            } else {
                record.push(nc_year_code(year_group));
            }
            pupils.row(&record)?;
            for (file, attendance) in [
                (details.as_mut(), first.as_ref()),
                (halves.as_mut(), second.as_ref()),
            ] {
                if let (Some(file), Some(attendance)) = (file, attendance) {
                    // Sessions at the other school of a dual registration are returned
                    // as `D` with the present and approved codes, from 2021.
                    let mut reasons = attendance.reasons.clone();
                    if census.year >= 2021 && attendance.dual > 0 {
                        reasons.push(("D", attendance.dual));
                        reasons.sort_by(|a, b| a.0.cmp(b.0));
                    }
                    for (order, (code, sessions)) in reasons.iter().enumerate() {
                        file.row([
                            table_id_value.as_str(),
                            &native_id,
                            &hex_id(
                                census_key,
                                &[u64::from(laestab), child.index as u64, order as u64, 1],
                            ),
                            &(order + 1).to_string(),
                            &source_id,
                            &number(*sessions),
                            code,
                        ])?;
                    }
                }
            }
            let mut order = 0;
            for exclusion in child
                .exclusions
                .iter()
                .filter(|exclusion| exclusion.enrolment == row.enrolment)
            {
                let reported = exclusion_terms.iter().any(|(year, term)| {
                    let (from, to) = calendar::term_bounds(*year, *term);
                    exclusion.start >= from && exclusion.start <= to
                });
                if !reported {
                    continue;
                }
                order += 1;
                // FIXD until 2020, SUSP from 2021 (domain.md §5).
                let category = if exclusion.permanent {
                    "PERM"
                } else if census.year >= 2021 {
                    "SUSP"
                } else {
                    "FIXD"
                };
                let mut record = vec![
                    table_id_value.clone(),
                    native_id.clone(),
                    hex_id(
                        census_key,
                        &[u64::from(laestab), child.index as u64, order, 2],
                    ),
                    order.to_string(),
                    source_id.clone(),
                    census_date(exclusion.start),
                    if exclusion.permanent {
                        String::new()
                    } else {
                        number(exclusion.sessions)
                    },
                ];
                if census.year >= 2021 {
                    for slot in 0..3 {
                        record.push(
                            exclusion
                                .reasons
                                .get(slot)
                                .map(|reason| reason.to_string())
                                .unwrap_or_default(),
                        );
                    }
                } else {
                    let reason = exclusion.reasons.first().copied().unwrap_or("OT");
                    // MT, OW, LG, DS and PH exist from 2021 only; before that they were `OT`.
                    let reason = if matches!(reason, "OW" | "LG" | "DS" | "MT" | "PH") {
                        "OT"
                    } else {
                        reason
                    };
                    record.push(reason.to_string());
                }
                record.push(category.to_string());
                record.push(child.sen.code().to_string());
                exclusions.row(&record)?;
            }
        }
        pupils.finish()?;
        if let Some(file) = details {
            file.finish()?;
        }
        if let Some(file) = halves {
            file.finish()?;
        }
        exclusions.finish()?;
    }
    // FSM periods and SEN needs of pupils on roll.
    let fsm_name = if census.year <= 2024 {
        format!("school_census/{prefix}_fsmperiodsonroll.csv")
    } else {
        format!("school_census/{prefix}_fsmperiod.csv")
    };
    let fsm_table = if census.year <= 2024 {
        "fsmperiodsonroll"
    } else {
        "fsmperiod"
    };
    let mut fsm = output.csv(
        &fsm_name,
        &[
            "pupilonrolltableid",
            "NativeId",
            &format!("{fsm_table}tableid"),
            &format!("{fsm_table}orderseqcolumn"),
            "sourceid",
            "fsmstartdate",
            "fsmenddate",
            "ukcountry",
        ],
    )?;
    let sen_name = format!("school_census/{prefix}_senneeds.csv");
    let mut sen = output.csv(
        &sen_name,
        &[
            "pupilonrolltableid",
            "NativeId",
            "senneedstableid",
            "senneedsorderseqcolumn",
            "sourceid",
            "sentyperank",
            "sentype",
        ],
    )?;
    let year = AcademicYear::containing(day);
    for row in rows.iter().filter(|row| row.on_roll) {
        let child = row.child;
        let enrolment = &child.enrolments[row.enrolment];
        let laestab = school_key(row);
        let source_id = hex_id(census_key, &[u64::from(laestab)]);
        for (order, period) in child
            .fsm_periods
            .iter()
            .filter(|period| {
                period.start <= day && period.end.is_none_or(|end| end >= year.first_day())
            })
            .enumerate()
        {
            fsm.row([
                enrolment.mis_id.as_str(),
                &laestab.to_string(),
                &hex_id(
                    census_key,
                    &[u64::from(laestab), child.index as u64, order as u64, 3],
                ),
                &(order + 1).to_string(),
                &source_id,
                &census_date(period.start),
                &returned(period.end, day)
                    .map(census_date)
                    .unwrap_or_default(),
                "ENG",
            ])?;
        }
        if nc_year(child, year) >= 1 {
            for (rank, need) in child.sen_needs.iter().enumerate() {
                sen.row([
                    enrolment.mis_id.as_str(),
                    &laestab.to_string(),
                    &hex_id(
                        census_key,
                        &[u64::from(laestab), child.index as u64, rank as u64, 4],
                    ),
                    &(rank + 1).to_string(),
                    &source_id,
                    &format!("{}.0", rank + 1),
                    need,
                ])?;
            }
        }
    }
    fsm.finish()?;
    sen.finish()
}

fn write_attainment(output: &mut Output, population: &Population) -> Result<(), SynthError> {
    let mut ks2 = output.csv(
        "attainment/ks2_results.csv",
        &[
            "UPN",
            "ACADYR",
            "LEA",
            "URN",
            "KS2_READSCORE",
            "KS2_MATSCORE",
            "KS2_GPSSCORE",
            "KS2_WRITTA",
            "KS2_SCITA",
            "KS2_RWM_EXP",
            "KS2_READRESULT",
            "KS2_MATRESULT",
            "KS2_GPSRESULT",
        ],
    )?;
    let mut ks4 = output.csv(
        "attainment/ks4_results.csv",
        &[
            "UPN",
            "ACADYR",
            "LEA",
            "URN",
            "ATT8",
            "P8SCORE",
            "L2BASICS_94",
            "L2BASICS_95",
            "EBACCAPS",
            "EBACC_ENTRY",
        ],
    )?;
    let flag = |value: bool| if value { "1" } else { "0" };
    let score = |test: Ks2Test| test.score().map(|s| s.to_string()).unwrap_or_default();
    let code = |test: Ks2Test| test.code().unwrap_or_default();
    let two_places = |value: Option<f64>| value.map(|v| format!("{v:.2}")).unwrap_or_default();
    for child in &population.children {
        // The UPN current on the result's date, 31 July of the year.
        if let Some(result) = &child.ks2 {
            ks2.row([
                child.upn_on(result.year.last_day()),
                &result.year.to_string(),
                &population.la_code,
                &population.schools[result.school].urn.to_string(),
                &score(result.reading),
                &score(result.maths),
                &score(result.gps),
                result.writing,
                result.science,
                flag(result.rwm_expected()),
                code(result.reading),
                code(result.maths),
                code(result.gps),
            ])?;
        }
        if let Some(result) = &child.ks4 {
            ks4.row([
                child.upn_on(result.year.last_day()),
                &result.year.to_string(),
                &population.la_code,
                &population.schools[result.school].urn.to_string(),
                &two_places(result.attainment8),
                &two_places(result.progress8),
                flag(result.english_maths_4),
                flag(result.english_maths_5),
                &two_places(result.ebacc_aps()),
                flag(result.ebacc_entry),
            ])?;
        }
    }
    ks2.finish()?;
    ks4.finish()
}

fn write_home_education(output: &mut Output, population: &Population) -> Result<(), SynthError> {
    let mut register = output.csv(
        "ehe/ehe_register.csv",
        &[
            "UPN",
            "SURNAME",
            "FORENAME",
            "DOB",
            "POSTCODE",
            "START_DATE",
            "END_DATE",
            "REASON",
        ],
    )?;
    for child in &population.children {
        for spell in &child.home_education {
            register.row([
                child.upn_on(spell.start),
                &child.surname,
                &child.forename,
                &ssda_date(child.birth_date),
                &child.postcode,
                &ssda_date(spell.start),
                &spell.end.map(ssda_date).unwrap_or_default(),
                spell.reason,
            ])?;
        }
    }
    register.finish()
}

fn write_school_lookup(output: &mut Output, population: &Population) -> Result<(), SynthError> {
    let mut lookup = output.csv(
        "schools/school_lookup.csv",
        &[
            "URN",
            "LA (code)",
            "EstablishmentNumber",
            "EstablishmentName",
            "TypeOfEstablishment (name)",
            "PhaseOfEducation (name)",
            "StatutoryLowAge",
            "StatutoryHighAge",
        ],
    )?;
    for school in &population.schools {
        let (kind, phase, low, high) = match school.kind {
            SchoolKind::Primary => ("Community school", "Primary", "4", "11"),
            SchoolKind::Secondary => ("Academy converter", "Secondary", "11", "16"),
            SchoolKind::Special => ("Community special school", "Not applicable", "4", "19"),
            SchoolKind::AlternativeProvision => {
                ("Pupil referral unit", "Not applicable", "5", "16")
            }
        };
        lookup.row([
            school.urn.to_string().as_str(),
            &population.la_code,
            &school.establishment_number.to_string(),
            &school.name,
            kind,
            phase,
            low,
            high,
        ])?;
    }
    lookup.finish()
}
