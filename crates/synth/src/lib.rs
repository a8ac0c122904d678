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
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// Attendance of children with a social worker (CIN, CPP) changes by this many
    /// percentage points from 2021/22, when the role began.
    Attendance {
        /// Change in attendance: +2 lowers absence by 2 points.
        percentage_points: f64,
    },
    /// The chance of one or more suspensions changes by this many points from 2021/22.
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
            assert_eq!(
                cwsw_dictionary::upn::validate(&child.upn),
                Ok(()),
                "{}",
                child.upn
            );
        }
    }

    /// Overall absence (sessions) of pupils with a social worker (CIN or CPP during the
    /// year, not looked after) from 2021/22, from the population's truth.
    fn social_worker_absence(population: &Population) -> f64 {
        let (mut absent, mut possible) = (0u64, 0u64);
        for child in &population.children {
            for record in &child.terms {
                let status = year_status(child, record.year);
                let social_worker = matches!(
                    status,
                    YearStatus::InNeedOther
                        | YearStatus::ProtectionPlan
                        | YearStatus::InNeedDuringYear
                );
                if social_worker && record.year.start_year() >= 2021 {
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
