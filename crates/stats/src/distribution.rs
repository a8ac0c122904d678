//! The two reference distributions every interval and test here uses: the standard
//! normal and Student's t. One place, so a quantile or a tail is computed one way.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::StatsError;

/// The two-sided critical value of the standard normal: Φ⁻¹(1 − (1 − level)/2).
pub(crate) fn normal_quantile(confidence: f64) -> Result<f64, StatsError> {
    check_confidence(confidence)?;
    Ok(Normal::standard().inverse_cdf(1.0 - (1.0 - confidence) / 2.0))
}

/// Two-sided normal p-value of a z statistic: 2 (1 − Φ(|z|)), from the upper tail so
/// that small p-values keep their precision.
pub(crate) fn normal_p_value(statistic: f64) -> f64 {
    2.0 * Normal::standard().sf(statistic.abs())
}

/// The two-sided critical value of Student's t with `degrees_of_freedom`.
pub(crate) fn t_quantile(confidence: f64, degrees_of_freedom: f64) -> Result<f64, StatsError> {
    check_confidence(confidence)?;
    let t = student(degrees_of_freedom)?;
    Ok(t.inverse_cdf(1.0 - (1.0 - confidence) / 2.0))
}

/// Two-sided p-value of a t statistic with `degrees_of_freedom`.
pub(crate) fn t_p_value(statistic: f64, degrees_of_freedom: f64) -> Result<f64, StatsError> {
    Ok(2.0 * student(degrees_of_freedom)?.sf(statistic.abs()))
}

fn student(degrees_of_freedom: f64) -> Result<StudentsT, StatsError> {
    StudentsT::new(0.0, 1.0, degrees_of_freedom)
        .map_err(|_| StatsError::DegreesOfFreedom(degrees_of_freedom))
}

fn check_confidence(confidence: f64) -> Result<(), StatsError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(StatsError::Confidence(confidence))
    }
}
