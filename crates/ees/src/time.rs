//! Stages `Precheck time` and `Check time`: `time_period` and `time_identifier`.

use crate::Level;
use crate::reference::{TIME_ID_GROUPS, four_digit_identifier, six_digit_identifier};
use crate::screen::Finding;
use crate::table::{Input, is_blank};

/// `^\d{4}(\d{2})?$`.
fn four_or_six_digits(period: &str) -> bool {
    (period.len() == 4 || period.len() == 6) && period.bytes().all(|b| b.is_ascii_digit())
}

/// `time_period_num`: every time_period is a 4- or 6-digit number.
pub(crate) fn time_period_num(input: &Input) -> Finding {
    let invalid: Vec<&str> = input
        .data
        .distinct("time_period")
        .into_iter()
        .filter(|p| !four_or_six_digits(p))
        .collect();
    Finding::unless(
        &invalid,
        Level::Fail,
        "time_period must be a 4 or 6 digit number; found",
        "time_period holds only 4 or 6 digit numbers",
    )
}

/// `time_id_valid`: every time_identifier is one EES accepts.
pub(crate) fn time_id_valid(input: &Input) -> Finding {
    let mut invalid: Vec<&str> = input
        .data
        .distinct("time_identifier")
        .into_iter()
        .filter(|id| !TIME_ID_GROUPS.iter().flatten().any(|valid| valid == id))
        .collect();
    if invalid.len() == 1 && is_blank(invalid[0]) {
        return Finding::fail("at least one time_identifier is blank");
    }
    invalid.sort_unstable();
    Finding::unless(
        &invalid,
        Level::Fail,
        "invalid time_identifier values",
        "every time_identifier is valid",
    )
}

/// `time_id_mix`: the file's time identifiers all come from the group of its first
/// (terms with terms, months with months; `Academic year` only with itself).
pub(crate) fn time_id_mix(input: &Input) -> Finding {
    let identifiers = input.data.distinct("time_identifier");
    let Some(base) = identifiers.first() else {
        return Finding::pass("there are no time_identifier values");
    };
    let compatible: Vec<&str> = TIME_ID_GROUPS
        .iter()
        .filter(|group| group.iter().any(|id| id == base))
        .flatten()
        .map(String::as_str)
        .collect();
    if identifiers.iter().all(|id| compatible.contains(id)) {
        Finding::pass("the time_identifier values are compatible")
    } else {
        Finding::fail(format!(
            "the file mixes incompatible time identifiers; with '{base}' present only \
             these are allowed: {}",
            crate::screen::quoted(&compatible)
        ))
    }
}

/// `time_period`: time_period has 4 digits for calendar-style identifiers and 6 for
/// academic, financial and tax years and terms (judged on the first identifier).
pub(crate) fn time_period(input: &Input) -> Finding {
    let Some(base) = input.data.values("time_identifier").next() else {
        return Finding::pass("there are no rows");
    };
    let periods = input.data.distinct("time_period");
    let length = if four_digit_identifier(base) {
        4
    } else if six_digit_identifier(base) {
        6
    } else {
        return Finding::pass(format!("'{base}' sets no time_period length"));
    };
    if periods.iter().all(|p| p.chars().count() == length) {
        Finding::pass("the time_period lengths match the time_identifier")
    } else {
        Finding::fail(format!(
            "time_period must always be a {} digit number for '{base}'",
            if length == 4 { "four" } else { "six" }
        ))
    }
}

/// `time_period_six`: a 6-digit time_period names consecutive years (`202324`,
/// `199900`).
pub(crate) fn time_period_six(input: &Input) -> Finding {
    let periods = input.data.distinct("time_period");
    if periods.iter().any(|p| is_blank(p)) {
        return Finding::fail("time_period has blanks; every value must be a valid number");
    }
    let six: Vec<&str> = periods
        .into_iter()
        .filter(|p| p.chars().count() == 6)
        .collect();
    if six.is_empty() {
        return Finding::pass("there are no six digit time_period values");
    }
    let consecutive = |period: &str| {
        let year =
            |range: std::ops::Range<usize>| period.get(range).and_then(|s| s.parse::<u32>().ok());
        match (year(2..4), year(4..6)) {
            (Some(99), Some(0)) => true,
            (Some(first), Some(second)) => first + 1 == second,
            _ => false,
        }
    };
    let broken: Vec<&str> = six.into_iter().filter(|p| !consecutive(p)).collect();
    Finding::unless(
        &broken,
        Level::Fail,
        "six digit time periods must name consecutive years, like 201920; found",
        "the six digit time periods name consecutive years",
    )
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{META, national, run};

    fn periods(rows: &[(&str, &str)]) -> String {
        let mut text = String::from(
            "time_period,time_identifier,geographic_level,country_code,country_name\n",
        );
        for (period, identifier) in rows {
            text.push_str(&format!(
                "{period},{identifier},National,E92000001,England\n"
            ));
        }
        text
    }

    #[test]
    fn time_period_num_fails_on_a_slashed_year() {
        let data = periods(&[("2023/24", "Academic year")]);
        assert_eq!(run("time_period_num", &data, META).level, Level::Fail);
        let data = periods(&[("20234", "Academic year")]);
        assert_eq!(run("time_period_num", &data, META).level, Level::Fail);
    }

    #[test]
    fn time_id_valid_fails_on_an_unknown_identifier() {
        let data = periods(&[("202324", "School year")]);
        assert_eq!(run("time_id_valid", &data, META).level, Level::Fail);
        let data = periods(&[("202324", "")]);
        let outcome = run("time_id_valid", &data, META);
        assert_eq!(outcome.level, Level::Fail);
        assert!(outcome.message.contains("blank"));
    }

    #[test]
    fn time_id_mix_fails_on_academic_year_with_terms() {
        let data = periods(&[("202324", "Academic year"), ("202324", "Autumn term")]);
        assert_eq!(run("time_id_mix", &data, META).level, Level::Fail);
        let terms = periods(&[("202324", "Spring term"), ("202324", "Autumn term")]);
        assert_eq!(run("time_id_mix", &terms, META).level, Level::Pass);
    }

    #[test]
    fn time_period_fails_on_a_four_digit_academic_year() {
        let data = periods(&[("2023", "Academic year")]);
        assert_eq!(run("time_period", &data, META).level, Level::Fail);
        let data = periods(&[("202324", "Calendar year")]);
        assert_eq!(run("time_period", &data, META).level, Level::Fail);
    }

    #[test]
    fn time_period_six_fails_on_non_consecutive_years() {
        let data = periods(&[("202325", "Academic year")]);
        assert_eq!(run("time_period_six", &data, META).level, Level::Fail);
        let data = periods(&[("199900", "Academic year")]);
        assert_eq!(run("time_period_six", &data, META).level, Level::Pass);
        let blank = national("", &[""]).replacen("202324,", ",", 1);
        assert_eq!(run("time_period_six", &blank, META).level, Level::Fail);
    }
}
