//! The synthetic population: what really happened to every child, before any return
//! is written. Tests read this as ground truth.

use chrono::NaiveDate;
use cwsw_dictionary::{AcademicYear, Term};

/// Sex of a child as the generator knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
}

/// SEN provision (school census `senprovision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenProvision {
    /// No special educational need.
    None,
    /// SEN support (`K`).
    Support,
    /// Education, health and care plan (`E`).
    EhcPlan,
}

impl SenProvision {
    /// The census code.
    pub fn code(self) -> &'static str {
        match self {
            Self::None => "N",
            Self::Support => "K",
            Self::EhcPlan => "E",
        }
    }
}

/// Phase and type of a school.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchoolKind {
    /// State-funded primary (reception to year 6).
    Primary,
    /// State-funded secondary (years 7 to 11).
    Secondary,
    /// Special school (all ages).
    Special,
    /// Pupil referral unit (alternative provision).
    AlternativeProvision,
}

/// A school of the LA.
#[derive(Debug, Clone)]
pub struct School {
    /// Unique reference number (public register of schools).
    pub urn: u32,
    /// DfE establishment number within the LA.
    pub establishment_number: u32,
    /// LA code × 10000 + establishment number; the `NativeId` of the census extracts.
    pub laestab: u32,
    /// Name.
    pub name: String,
    /// Phase and type.
    pub kind: SchoolKind,
}

/// A CIN plan or child protection plan period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Start date.
    pub start: NaiveDate,
    /// End date; `None` if still open at the end of the simulation.
    pub end: Option<NaiveDate>,
}

/// A child protection plan.
#[derive(Debug, Clone)]
pub struct ProtectionPlan {
    /// Dates.
    pub plan: Plan,
    /// Initial category of abuse.
    pub initial_category: &'static str,
    /// Latest category of abuse.
    pub latest_category: &'static str,
    /// Review dates.
    pub reviews: Vec<NaiveDate>,
    /// Previous plans the child had.
    pub previous_plans: u32,
}

/// A section 47 enquiry.
#[derive(Debug, Clone)]
pub struct Section47 {
    /// Start of the enquiry.
    pub start: NaiveDate,
    /// Initial child protection conference, if one was held.
    pub initial_conference: Option<NaiveDate>,
}

/// An assessment.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Actual start.
    pub start: NaiveDate,
    /// Authorisation.
    pub authorised: NaiveDate,
    /// Factors identified.
    pub factors: Vec<&'static str>,
}

/// One CIN episode: referral to closure.
#[derive(Debug, Clone)]
pub struct CinEpisode {
    /// Referral date.
    pub referral: NaiveDate,
    /// Referral source code.
    pub referral_source: &'static str,
    /// Primary need code.
    pub primary_need: &'static str,
    /// Closure date; `None` if open at the end of the simulation.
    pub closure: Option<NaiveDate>,
    /// Reason for closure.
    pub reason_for_closure: &'static str,
    /// The referral led to no further action.
    pub referral_nfa: bool,
    /// Assessment, if any.
    pub assessment: Option<Assessment>,
    /// CIN plans.
    pub cin_plans: Vec<Plan>,
    /// Section 47 enquiries.
    pub section47: Vec<Section47>,
    /// Child protection plans.
    pub protection_plans: Vec<ProtectionPlan>,
}

/// One SSDA903 episode of care.
#[derive(Debug, Clone)]
pub struct CareEpisode {
    /// DECOM.
    pub start: NaiveDate,
    /// DEC; `None` if open at the end of the simulation.
    pub end: Option<NaiveDate>,
    /// RNE.
    pub reason_new_episode: &'static str,
    /// LS; V3/V4 are short breaks (respite).
    pub legal_status: &'static str,
    /// PLACE.
    pub placement: &'static str,
    /// REC (blank while open).
    pub reason_ceased: &'static str,
}

/// Absence in one teaching window (a term, or half of summer) at one school.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attendance {
    /// Possible sessions.
    pub possible: u32,
    /// Absence sessions by attendance code, in code order.
    pub reasons: Vec<(&'static str, u32)>,
    /// Sessions the pupil spent at the other school of a dual registration (code `D`):
    /// not possible sessions here and not absence, so not in `possible` (domain.md §2,
    /// dual registration); the other school counts them as its own possible sessions.
    pub dual: u32,
}

impl Attendance {
    /// Authorised absence sessions.
    pub fn authorised(&self) -> u32 {
        self.reasons
            .iter()
            .filter(|(code, _)| crate::attendance::is_authorised(code))
            .map(|(_, sessions)| sessions)
            .sum()
    }

    /// Unauthorised absence sessions.
    pub fn unauthorised(&self) -> u32 {
        self.reasons
            .iter()
            .filter(|(code, _)| !crate::attendance::is_authorised(code))
            .map(|(_, sessions)| sessions)
            .sum()
    }
}

/// A spell on roll at one school.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Index into [`Population::schools`].
    pub school: usize,
    /// Entry date.
    pub entry: NaiveDate,
    /// Leaving date; `None` if still on roll at the end of the simulation.
    pub leaving: Option<NaiveDate>,
    /// Row id of the pupil in the school's MIS (links the census sub-tables).
    pub mis_id: String,
    /// For a subsidiary registration (`enrolstatus` S) at an alternative provision
    /// school, the index of the main enrolment it runs beside (within whose spell it
    /// lies); `None` for a main or single registration.
    pub main: Option<usize>,
}

impl Enrolment {
    /// On roll on a day: entered by it and not left before it.
    pub fn on_roll_on(&self, date: NaiveDate) -> bool {
        self.entry <= date && self.leaving.is_none_or(|left| left >= date)
    }

    /// A subsidiary registration of a dual-registered pupil.
    pub fn is_subsidiary(&self) -> bool {
        self.main.is_some()
    }
}

/// A pupil's attendance in one term at one school.
#[derive(Debug, Clone)]
pub struct TermRecord {
    /// Academic year.
    pub year: AcademicYear,
    /// Term.
    pub term: Term,
    /// Index into the child's enrolments.
    pub enrolment: usize,
    /// The term (autumn, spring) or the first half of summer.
    pub first: Attendance,
    /// The second half of summer; empty for other terms.
    pub second_half: Attendance,
}

/// A suspension or permanent exclusion.
#[derive(Debug, Clone)]
pub struct Exclusion {
    /// Index into the child's enrolments.
    pub enrolment: usize,
    /// Start date.
    pub start: NaiveDate,
    /// Sessions (0.5 days each) of the suspension.
    pub sessions: u32,
    /// Permanent (`PERM`) rather than a suspension.
    pub permanent: bool,
    /// Reason codes.
    pub reasons: Vec<&'static str>,
}

/// One KS2 test (reading, maths, grammar, punctuation and spelling): a scaled score, or
/// a result code in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ks2Test {
    /// Scaled score (80–120).
    Score(u32),
    /// No score, and why (the `ks2_test_result` code list): `A` absent, `B` working
    /// below the standard of the test, `U` unable to access the test, `M` missing, `Q`
    /// annulled for maladministration, `J` just arrived, not taking part.
    Code(&'static str),
}

impl Ks2Test {
    /// The scaled score, if the pupil has one.
    pub fn score(self) -> Option<u32> {
        match self {
            Self::Score(score) => Some(score),
            Self::Code(_) => None,
        }
    }

    /// The result code, if the pupil has no score.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Self::Score(_) => None,
            Self::Code(code) => Some(code),
        }
    }

    /// A scaled score of 100 or more.
    pub fn expected(self) -> bool {
        self.score().is_some_and(|score| score >= 100)
    }
}

/// Key stage 2 results.
#[derive(Debug, Clone)]
pub struct Ks2Result {
    /// Year taken.
    pub year: AcademicYear,
    /// School (index).
    pub school: usize,
    /// Reading.
    pub reading: Ks2Test,
    /// Maths.
    pub maths: Ks2Test,
    /// Grammar, punctuation and spelling.
    pub gps: Ks2Test,
    /// Writing teacher assessment (PKF/WTS/EXS/GDS, or `A` absent, `D` disapplied).
    pub writing: &'static str,
    /// Science teacher assessment (HNM/EXS, or `A` absent, `D` disapplied).
    pub science: &'static str,
}

impl Ks2Result {
    /// Met the expected standard in reading, writing and maths.
    pub fn rwm_expected(&self) -> bool {
        self.reading.expected() && self.maths.expected() && matches!(self.writing, "EXS" | "GDS")
    }
}

/// Key stage 4 results.
#[derive(Debug, Clone)]
pub struct Ks4Result {
    /// Year taken.
    pub year: AcademicYear,
    /// School (index).
    pub school: usize,
    /// Attainment 8 (0–90); `None` for a pupil with no qualifying entries (written
    /// blank; they score 0 in the DfE measures).
    pub attainment8: Option<f64>,
    /// Progress 8; `None` in years without one (domain.md §2) and for a non-entrant.
    pub progress8: Option<f64>,
    /// English and maths grade 4 or above.
    pub english_maths_4: bool,
    /// English and maths grade 5 or above.
    pub english_maths_5: bool,
    /// Entered every EBacc pillar.
    pub ebacc_entry: bool,
}

impl Ks4Result {
    /// The EBacc average point score as the register writes it (none for a non-entrant).
    pub fn ebacc_aps(&self) -> Option<f64> {
        self.attainment8.map(|attainment8| attainment8 / 10.5)
    }
}

/// A spell of elective home education.
#[derive(Debug, Clone)]
pub struct HomeEducation {
    /// Start.
    pub start: NaiveDate,
    /// End, if the child returned to school.
    pub end: Option<NaiveDate>,
    /// Reason code.
    pub reason: &'static str,
}

/// One child of the LA, with everything that happened to them.
#[derive(Debug, Clone)]
pub struct Child {
    /// Position in [`Population::children`].
    pub index: usize,
    /// LAchildID (also the SSDA903 CHILD id unless [`Child::care_child_id`] is set).
    pub la_child_id: String,
    /// The SSDA903 `CHILD` id when the LA's care records know the child by another id
    /// than the CIN census `LAchildID` (a child with two ids).
    pub care_child_id: Option<String>,
    /// Unique pupil number (valid, with check letter): from [`Child::upn_changed`] on,
    /// if the UPN changed.
    pub upn: String,
    /// The UPN before [`Child::upn_changed`] (a temporary UPN replaced by a permanent
    /// one): valid, and distinct from every other UPN.
    pub former_upn: Option<String>,
    /// The day the UPN changed from [`Child::former_upn`] to [`Child::upn`].
    pub upn_changed: Option<NaiveDate>,
    /// Surname.
    pub surname: String,
    /// Forename.
    pub forename: String,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Ethnicity code.
    pub ethnicity: &'static str,
    /// Postcode.
    pub postcode: String,
    /// Latent disadvantage (standard normal); drives need, FSM, SEN and outcomes.
    pub disadvantage: f64,
    /// SEN provision while at school.
    pub sen: SenProvision,
    /// SEN types by rank.
    pub sen_needs: Vec<&'static str>,
    /// Periods eligible for free school meals.
    pub fsm_periods: Vec<Plan>,
    /// Date the child arrived in the LA, if after the start.
    pub arrival: Option<NaiveDate>,
    /// Date the child left the LA, if they did.
    pub departure: Option<NaiveDate>,
    /// CIN episodes.
    pub cin_episodes: Vec<CinEpisode>,
    /// Episodes of care.
    pub care_episodes: Vec<CareEpisode>,
    /// Spells on roll.
    pub enrolments: Vec<Enrolment>,
    /// Attendance by term.
    pub terms: Vec<TermRecord>,
    /// Suspensions and exclusions.
    pub exclusions: Vec<Exclusion>,
    /// KS2 results.
    pub ks2: Option<Ks2Result>,
    /// KS4 results.
    pub ks4: Option<Ks4Result>,
    /// Elective home education.
    pub home_education: Vec<HomeEducation>,
}

impl Child {
    /// The UPN current on a day: the former UPN before the change, [`Child::upn`] on and
    /// after it.
    pub fn upn_on(&self, date: NaiveDate) -> &str {
        match (&self.former_upn, self.upn_changed) {
            (Some(former), Some(changed)) if date < changed => former,
            _ => &self.upn,
        }
    }

    /// The former UPN once it has been replaced by a day (the `formerupn` of a record
    /// dated on or after the change).
    pub fn former_upn_on(&self, date: NaiveDate) -> Option<&str> {
        match (&self.former_upn, self.upn_changed) {
            (Some(former), Some(changed)) if date >= changed => Some(former),
            _ => None,
        }
    }

    /// Every UPN the child has had: the former one first.
    pub fn upns(&self) -> impl Iterator<Item = &str> {
        self.former_upn
            .as_deref()
            .into_iter()
            .chain([self.upn.as_str()])
    }

    /// The SSDA903 `CHILD` id.
    pub fn ssda903_id(&self) -> &str {
        self.care_child_id.as_deref().unwrap_or(&self.la_child_id)
    }

    /// The census `enrolstatus` of an enrolment on a census day: `S` for a subsidiary
    /// registration, `M` for a main one while a subsidiary registration beside it is
    /// current on the day, `C` (single) otherwise (domain.md §2, dual registration).
    pub fn enrol_status(&self, enrolment: usize, date: NaiveDate) -> &'static str {
        if self.enrolments[enrolment].is_subsidiary() {
            return "S";
        }
        let dual = self
            .enrolments
            .iter()
            .any(|other| other.main == Some(enrolment) && other.on_roll_on(date));
        if dual { "M" } else { "C" }
    }
}

/// The whole LA.
#[derive(Debug, Clone)]
pub struct Population {
    /// Three-digit LA code.
    pub la_code: String,
    /// First academic year simulated.
    pub first_year: AcademicYear,
    /// Last academic year simulated.
    pub last_year: AcademicYear,
    /// Schools.
    pub schools: Vec<School>,
    /// Children.
    pub children: Vec<Child>,
}
