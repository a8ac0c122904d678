//! Stage `Check indicators`: the indicator cells.

use crate::Level;
use crate::reference::LEGACY_GSS_SYMBOLS;
use crate::screen::{Finding, quoted};
use crate::table::{Input, is_blank, unique};

/// `ind_invalid_entry`: no indicator cell is blank or a legacy GSS symbol (`~`, `:`);
/// use `x`, `z`, `c` or `low`.
///
/// The R check matches `""`; reading a CSV through DuckDB turns an empty cell into
/// `NA`, which `%in%` does not match, so the R package passes a blank it means to
/// fail. Blank cells fail here, as the check (and its tests) intend.
pub(crate) fn ind_invalid_entry(input: &Input) -> Finding {
    let invalid: Vec<&str> = unique(
        input
            .meta
            .rows
            .iter()
            .filter(|r| r.is_indicator())
            .map(|r| r.col_name.as_str()),
    )
    .into_iter()
    .filter(|c| {
        input
            .data
            .values(c)
            .any(|v| is_blank(v) || LEGACY_GSS_SYMBOLS.contains(&v))
    })
    .collect();
    Finding::unless(
        &invalid,
        Level::Fail,
        &format!(
            "these indicators have blank cells or the legacy symbols {}",
            quoted(&LEGACY_GSS_SYMBOLS)
        ),
        "no indicator has blanks or legacy GSS symbols",
    )
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, run};

    #[test]
    fn ind_invalid_entry_fails_on_blanks_and_legacy_symbols() {
        for value in ["", "~", ":"] {
            let data = DATA.replacen(",7.4\n", &format!(",{value}\n"), 1);
            let outcome = run("ind_invalid_entry", &data, META);
            assert_eq!(outcome.level, Level::Fail, "{value:?}");
            assert!(
                outcome.message.contains("'pt_overall'"),
                "{}",
                outcome.message
            );
        }
        assert_eq!(
            run("ind_invalid_entry", DATA, META).level,
            Level::Pass,
            "c, z and x pass"
        );
    }
}
