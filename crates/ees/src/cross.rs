//! Stage `Precheck cross-file`: the data and metadata describe the same columns.

use crate::Level;
use crate::reference::observational_units;
use crate::screen::Finding;
use crate::table::{Input, unique};

/// `cross_meta_to_data`: every filter and filter group named in the metadata is a
/// column of the data. (Indicators are not checked here, as in the R screener.)
pub(crate) fn cross_meta_to_data(input: &Input) -> Finding {
    let missing: Vec<&str> = unique(input.meta.filters_and_groups())
        .into_iter()
        .filter(|c| !input.data.has(c))
        .collect();
    Finding::unless(
        &missing,
        Level::Fail,
        "these metadata variables are not columns of the data file",
        "every filter and filter group in the metadata is in the data file",
    )
}

/// `cross_data_to_meta` (warning): every data column is an observational unit, has
/// a single value, or is described in the metadata.
pub(crate) fn cross_data_to_meta(input: &Input) -> Finding {
    let units = observational_units();
    let described = input.meta.columns(true, false);
    let undescribed: Vec<&str> = input
        .data
        .headers
        .iter()
        .map(String::as_str)
        .filter(|c| !units.contains(c))
        .filter(|c| input.data.n_distinct(c) != 1)
        .filter(|c| !described.contains(c))
        .collect();
    Finding::unless(
        &undescribed,
        Level::Warning,
        "these data columns are not observational units, have more than one value, \
         and are not in the metadata",
        "every data column is an observational unit or is in the metadata",
    )
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, run};

    #[test]
    fn cross_meta_to_data_fails_on_a_filter_missing_from_the_data() {
        let meta = format!("{META}phase,Filter,Phase,,,,,,\n");
        let outcome = run("cross_meta_to_data", DATA, &meta);
        assert_eq!(outcome.level, Level::Fail);
        assert!(outcome.message.contains("'phase'"));
    }

    #[test]
    fn cross_data_to_meta_warns_on_an_undescribed_column() {
        let meta = META.replace("pt_overall,Indicator,Overall absence rate,,%,1,,,\n", "");
        let outcome = run("cross_data_to_meta", DATA, &meta);
        assert_eq!(outcome.level, Level::Warning);
        assert!(outcome.message.contains("'pt_overall'"));
    }
}
