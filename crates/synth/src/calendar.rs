//! School calendar facts the generator needs: term boundaries, teaching windows,
//! possible sessions and census days.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use cwsw_dictionary::{AcademicYear, Term};

/// Possible sessions in a full term (2 a day); 380 in a full year (domain.md §5).
pub const AUTUMN_SESSIONS: u32 = 144;
/// Spring term.
pub const SPRING_SESSIONS: u32 = 118;
/// First half of the summer term (to the end of May).
pub const SUMMER_FIRST_HALF_SESSIONS: u32 = 58;
/// Second half of the summer term (June and July).
pub const SUMMER_SECOND_HALF_SESSIONS: u32 = 60;

/// Which of the three censuses of a calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CensusTerm {
    /// January census.
    Spring,
    /// May census.
    Summer,
    /// October census.
    Autumn,
}

/// One school census: a calendar year and a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Census {
    /// Calendar year of the census day.
    pub year: i32,
    /// Spring, summer or autumn.
    pub term: CensusTerm,
}

impl Census {
    /// The census day: third Thursday of January or May, first Thursday of October.
    pub fn day(self) -> NaiveDate {
        let (month, nth) = match self.term {
            CensusTerm::Spring => (1, 3),
            CensusTerm::Summer => (5, 3),
            CensusTerm::Autumn => (10, 1),
        };
        NaiveDate::from_weekday_of_month_opt(self.year, month, Weekday::Thu, nth)
            .unwrap_or(NaiveDate::MIN)
    }

    /// File-name prefix, as in the LA extracts: `2024_autumn`.
    pub fn prefix(self) -> String {
        let term = match self.term {
            CensusTerm::Spring => "spring",
            CensusTerm::Summer => "summer",
            CensusTerm::Autumn => "autumn",
        };
        format!("{}_{term}", self.year)
    }

    /// The term whose attendance this census carries: one term in arrears (domain.md §5).
    pub fn attendance_term(self) -> (AcademicYear, Term) {
        match self.term {
            CensusTerm::Spring => (AcademicYear::starting(self.year - 1), Term::Autumn),
            CensusTerm::Summer => (AcademicYear::starting(self.year - 1), Term::Spring),
            CensusTerm::Autumn => (AcademicYear::starting(self.year - 1), Term::Summer),
        }
    }

    /// The terms whose exclusions this census carries: two terms in arrears, and since
    /// autumn 2019 also one in arrears (domain.md §5).
    pub fn exclusion_terms(self) -> Vec<(AcademicYear, Term)> {
        let two_behind = match self.term {
            CensusTerm::Spring => (AcademicYear::starting(self.year - 2), Term::Summer),
            CensusTerm::Summer => (AcademicYear::starting(self.year - 1), Term::Autumn),
            CensusTerm::Autumn => (AcademicYear::starting(self.year - 1), Term::Spring),
        };
        let mut terms = vec![two_behind];
        if self
            >= (Census {
                year: 2019,
                term: CensusTerm::Autumn,
            })
        {
            terms.push(self.attendance_term());
        }
        terms
    }

    /// Every census carrying attendance for a term of the given academic years.
    pub fn covering(first: AcademicYear, last: AcademicYear) -> Vec<Census> {
        let mut censuses = Vec::new();
        for year in AcademicYear::range(first, last) {
            for term in [CensusTerm::Spring, CensusTerm::Summer, CensusTerm::Autumn] {
                censuses.push(Census {
                    year: year.end_year(),
                    term,
                });
            }
        }
        censuses
    }

    /// Every census an LA needs to complete the given academic years: those carrying
    /// their attendance (the spring, summer and autumn censuses of each year's second
    /// calendar year), and the spring census after, which carries the last year's summer
    /// term exclusions two terms in arrears (domain.md §2, complete years).
    pub fn completing(first: AcademicYear, last: AcademicYear) -> Vec<Census> {
        let mut censuses = Self::covering(first, last);
        censuses.push(Census {
            year: last.end_year() + 1,
            term: CensusTerm::Spring,
        });
        censuses
    }

    /// Whether the census collected attendance. DfE collected none for the spring and
    /// summer terms of 2019/20 (schools closed); absence for 2019/20 is `x` (domain.md §2).
    pub fn collects_attendance(self) -> bool {
        !matches!(
            self,
            Census {
                year: 2020,
                term: CensusTerm::Summer
            } | Census {
                year: 2020,
                term: CensusTerm::Autumn
            }
        )
    }
}

/// Easter Sunday (anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

/// The dates a term's data covers, for attributing events: autumn 1 Aug–31 Dec, spring
/// 1 Jan–Easter Sunday, summer Easter Monday–31 Jul (domain.md §5, exclusions).
pub fn term_bounds(year: AcademicYear, term: Term) -> (NaiveDate, NaiveDate) {
    let easter = easter_sunday(year.end_year());
    match term {
        Term::Autumn => (year.first_day(), ymd(year.start_year(), 12, 31)),
        Term::Spring => (ymd(year.end_year(), 1, 1), easter),
        Term::Summer => (easter + Duration::days(1), year.last_day()),
    }
}

/// A stretch of teaching days and the possible sessions it holds.
#[derive(Debug, Clone, Copy)]
pub struct TeachingWindow {
    /// First teaching day.
    pub first: NaiveDate,
    /// Last teaching day.
    pub last: NaiveDate,
    /// Possible sessions for a pupil on roll throughout.
    pub sessions: u32,
}

impl TeachingWindow {
    /// Possible sessions for a pupil on roll from `from` to `to` (inclusive), pro rata.
    pub fn possible(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let start = from.max(self.first);
        let end = to.min(self.last);
        if end < start {
            return 0;
        }
        let covered = (end - start).num_days() + 1;
        let total = (self.last - self.first).num_days() + 1;
        ((f64::from(self.sessions) * covered as f64 / total as f64).round()) as u32
    }
}

/// The teaching windows of a term: one, or two for summer (first and second half).
pub fn teaching_windows(year: AcademicYear, term: Term) -> Vec<TeachingWindow> {
    let easter = easter_sunday(year.end_year());
    match term {
        Term::Autumn => vec![TeachingWindow {
            first: first_weekday_on_or_after(ymd(year.start_year(), 9, 3)),
            last: ymd(year.start_year(), 12, 19),
            sessions: AUTUMN_SESSIONS,
        }],
        Term::Spring => vec![TeachingWindow {
            first: first_weekday_on_or_after(ymd(year.end_year(), 1, 5)),
            last: easter - Duration::days(3),
            sessions: SPRING_SESSIONS,
        }],
        Term::Summer => vec![
            TeachingWindow {
                first: easter + Duration::days(8),
                last: ymd(year.end_year(), 5, 31),
                sessions: SUMMER_FIRST_HALF_SESSIONS,
            },
            TeachingWindow {
                first: first_weekday_on_or_after(ymd(year.end_year(), 6, 1)),
                last: ymd(year.end_year(), 7, 21),
                sessions: SUMMER_SECOND_HALF_SESSIONS,
            },
        ],
    }
}

/// The first day of the autumn term: when new pupils start.
pub fn first_teaching_day(year: AcademicYear) -> NaiveDate {
    first_weekday_on_or_after(ymd(year.start_year(), 9, 3))
}

/// The last day of the summer term: when leavers leave.
pub fn last_teaching_day(year: AcademicYear) -> NaiveDate {
    ymd(year.end_year(), 7, 21)
}

fn first_weekday_on_or_after(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => date + Duration::days(2),
        Weekday::Sun => date + Duration::days(1),
        _ => date,
    }
}

/// A fixed, valid calendar date.
pub fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter() {
        assert_eq!(easter_sunday(2024), ymd(2024, 3, 31));
        assert_eq!(easter_sunday(2025), ymd(2025, 4, 20));
        assert_eq!(easter_sunday(2019), ymd(2019, 4, 21));
    }

    #[test]
    fn censuses_carry_the_right_terms() {
        let spring = Census {
            year: 2023,
            term: CensusTerm::Spring,
        };
        assert_eq!(
            spring.attendance_term(),
            (AcademicYear::starting(2022), Term::Autumn)
        );
        let autumn = Census {
            year: 2023,
            term: CensusTerm::Autumn,
        };
        assert_eq!(
            autumn.attendance_term(),
            (AcademicYear::starting(2022), Term::Summer)
        );
        assert_eq!(
            autumn.exclusion_terms(),
            vec![
                (AcademicYear::starting(2022), Term::Spring),
                (AcademicYear::starting(2022), Term::Summer)
            ]
        );
        assert_eq!(
            Census {
                year: 2019,
                term: CensusTerm::Spring
            }
            .exclusion_terms()
            .len(),
            1
        );
    }

    #[test]
    fn a_full_year_is_380_sessions() {
        let year = AcademicYear::starting(2022);
        let total: u32 = Term::ALL
            .iter()
            .flat_map(|term| teaching_windows(year, *term))
            .map(|window| window.possible(year.first_day(), year.last_day()))
            .sum();
        assert_eq!(total, 380);
    }
}
