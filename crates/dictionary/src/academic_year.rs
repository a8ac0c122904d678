//! Academic years and terms, the time grain of every measure.

use chrono::NaiveDate;

/// An English academic year, 1 August to 31 July, named by the calendar year it starts in.
/// Prints as `2021/22`; [`AcademicYear::time_period`] gives EES's `202122`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AcademicYear {
    start_year: i32,
}

/// A school term. Attendance is collected by term, the summer term in two halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Term {
    /// 1 August – 31 December.
    Autumn,
    /// 1 January – Easter.
    Spring,
    /// Easter – 31 July.
    Summer,
}

impl Term {
    /// All three, in order.
    pub const ALL: [Term; 3] = [Term::Autumn, Term::Spring, Term::Summer];

    /// Lowercase name, as written in the warehouse.
    pub fn name(self) -> &'static str {
        match self {
            Self::Autumn => "autumn",
            Self::Spring => "spring",
            Self::Summer => "summer",
        }
    }

    /// Parses a lowercase or capitalised term name.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "autumn" => Some(Self::Autumn),
            "spring" => Some(Self::Spring),
            "summer" => Some(Self::Summer),
            _ => None,
        }
    }
}

impl AcademicYear {
    /// The academic year starting in August of `start_year`.
    pub const fn starting(start_year: i32) -> Self {
        Self { start_year }
    }

    /// Parses `2021/22`, `2021/2022` or `202122`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (start, end) = if let Some((start, end)) = text.split_once('/') {
            (start.parse::<i32>().ok()?, end)
        } else if text.len() == 6 {
            (text.get(..4)?.parse::<i32>().ok()?, text.get(4..)?)
        } else {
            return None;
        };
        let end: i32 = end.parse().ok()?;
        let consecutive = match end {
            0..=99 => (start + 1) % 100 == end,
            _ => start + 1 == end,
        };
        consecutive.then_some(Self { start_year: start })
    }

    /// The academic year a date falls in (1 August starts a year).
    pub fn containing(date: NaiveDate) -> Self {
        use chrono::Datelike;
        let start_year = if date.month() >= 8 {
            date.year()
        } else {
            date.year() - 1
        };
        Self { start_year }
    }

    /// The calendar year the academic year starts in.
    pub fn start_year(self) -> i32 {
        self.start_year
    }

    /// The calendar year the academic year ends in; the CIN census and SSDA903 of that
    /// year have their reference date in it.
    pub fn end_year(self) -> i32 {
        self.start_year + 1
    }

    /// EES `time_period`: `202122` (domain.md §4).
    pub fn time_period(self) -> i32 {
        self.start_year * 100 + (self.start_year + 1) % 100
    }

    /// The next academic year.
    pub fn next(self) -> Self {
        Self {
            start_year: self.start_year + 1,
        }
    }

    /// 1 August.
    pub fn first_day(self) -> NaiveDate {
        date(self.start_year, 8, 1)
    }

    /// 31 July.
    pub fn last_day(self) -> NaiveDate {
        date(self.start_year + 1, 7, 31)
    }

    /// The social-care reference date: 31 March within the academic year (domain.md §1).
    pub fn reference_date(self) -> NaiveDate {
        date(self.start_year + 1, 3, 31)
    }

    /// The spring school census day in the academic year: the third Thursday of January
    /// (DfE school census calendar: 17 January 2019, 20 January 2022, 16 January 2025,
    /// 15 January 2026), the day DfE reads FSM eligibility and SEN on (domain.md §2).
    pub fn spring_census_day(self) -> NaiveDate {
        NaiveDate::from_weekday_of_month_opt(self.start_year + 1, 1, chrono::Weekday::Thu, 3)
            .unwrap_or_else(|| date(self.start_year + 1, 1, 15))
    }

    /// The first day of the social-care collection year that ends on the reference
    /// date: 1 April of the previous calendar year.
    pub fn period_start(self) -> NaiveDate {
        date(self.start_year, 4, 1)
    }

    /// The earliest birth date of a pupil of compulsory school age for absence
    /// statistics: aged 15 at 31 August before the year (domain.md §5).
    pub fn compulsory_birth_from(self) -> NaiveDate {
        date(self.start_year - 16, 9, 1)
    }

    /// The latest birth date of a pupil of compulsory school age: aged 5 at 31 August.
    pub fn compulsory_birth_to(self) -> NaiveDate {
        date(self.start_year - 5, 8, 31)
    }

    /// The years from `first` to `last`, inclusive.
    pub fn range(first: Self, last: Self) -> impl Iterator<Item = Self> {
        (first.start_year..=last.start_year).map(Self::starting)
    }
}

/// Days since 1970-01-01: how Arrow's `Date32` stores a date.
pub fn days_since_epoch(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)).num_days() as i32
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    // Every call passes a fixed, valid month and day.
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

impl std::fmt::Display for AcademicYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{:02}", self.start_year, (self.start_year + 1) % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_both_ways() {
        let year = AcademicYear::starting(2021);
        assert_eq!(year.to_string(), "2021/22");
        assert_eq!(year.time_period(), 202122);
        assert_eq!(AcademicYear::starting(1999).to_string(), "1999/00");
    }

    #[test]
    fn parses_every_spelling() {
        let year = Some(AcademicYear::starting(2021));
        assert_eq!(AcademicYear::parse("2021/22"), year);
        assert_eq!(AcademicYear::parse("2021/2022"), year);
        assert_eq!(AcademicYear::parse("202122"), year);
        assert_eq!(AcademicYear::parse("202120"), None);
        assert_eq!(AcademicYear::parse("2021/23"), None);
    }

    #[test]
    fn spring_census_days_are_the_dfe_calendar() {
        // DfE school census guides: spring census days 2019 to 2026.
        for (start, day) in [
            (2018, 17),
            (2019, 16),
            (2020, 21),
            (2021, 20),
            (2022, 19),
            (2023, 18),
            (2024, 16),
            (2025, 15),
        ] {
            assert_eq!(
                AcademicYear::starting(start).spring_census_day(),
                date(start + 1, 1, day),
                "{start}"
            );
        }
    }

    #[test]
    fn days_since_epoch_is_date32() {
        assert_eq!(days_since_epoch(date(1970, 1, 1)), 0);
        assert_eq!(days_since_epoch(date(2022, 3, 31)), 19_082);
    }

    #[test]
    fn dates() {
        let year = AcademicYear::starting(2021);
        assert_eq!(year.reference_date().to_string(), "2022-03-31");
        assert_eq!(year.period_start().to_string(), "2021-04-01");
        assert_eq!(year.compulsory_birth_from().to_string(), "2005-09-01");
        assert_eq!(year.compulsory_birth_to().to_string(), "2016-08-31");
        let july = NaiveDate::from_ymd_opt(2022, 7, 31).expect("valid");
        assert_eq!(AcademicYear::containing(july), year);
    }
}
