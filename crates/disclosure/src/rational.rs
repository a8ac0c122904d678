//! Exact rationals over `i128` with checked arithmetic (`disclosure.md`: exact
//! arithmetic, not `f64` with a tolerance, failing loudly on overflow).

use crate::Overflow;

/// A fraction in lowest terms with a positive denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rational {
    numerator: i128,
    denominator: i128,
}

/// The greatest common divisor of two numbers neither of which is `i128::MIN`.
fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    i128::try_from(a).unwrap_or(1)
}

impl Rational {
    /// Zero.
    pub const ZERO: Self = Self {
        numerator: 0,
        denominator: 1,
    };
    /// One.
    pub const ONE: Self = Self {
        numerator: 1,
        denominator: 1,
    };

    /// A whole number.
    pub fn integer(value: i64) -> Self {
        Self {
            numerator: i128::from(value),
            denominator: 1,
        }
    }

    /// `numerator / denominator` in lowest terms.
    pub fn new(numerator: i128, denominator: i128) -> Result<Self, Overflow> {
        if denominator == 0 || numerator == i128::MIN || denominator == i128::MIN {
            return Err(Overflow);
        }
        let divisor = gcd(numerator, denominator).max(1);
        let sign = if denominator < 0 { -1 } else { 1 };
        Ok(Self {
            numerator: (numerator / divisor).checked_mul(sign).ok_or(Overflow)?,
            denominator: (denominator / divisor).checked_mul(sign).ok_or(Overflow)?,
        })
    }

    /// Whether it is 0.
    pub fn is_zero(self) -> bool {
        self.numerator == 0
    }

    /// `self + other`.
    pub fn checked_add(self, other: Self) -> Result<Self, Overflow> {
        let divisor = gcd(self.denominator, other.denominator);
        let left = other.denominator / divisor;
        let right = self.denominator / divisor;
        let numerator = self
            .numerator
            .checked_mul(left)
            .and_then(|a| other.numerator.checked_mul(right).map(|b| (a, b)))
            .and_then(|(a, b)| a.checked_add(b))
            .ok_or(Overflow)?;
        let denominator = self.denominator.checked_mul(left).ok_or(Overflow)?;
        Self::new(numerator, denominator)
    }

    /// `self − other`.
    pub fn checked_sub(self, other: Self) -> Result<Self, Overflow> {
        self.checked_add(other.checked_neg()?)
    }

    /// `self × other`.
    pub fn checked_mul(self, other: Self) -> Result<Self, Overflow> {
        // Cross-cancel first so the products stay small.
        let first = gcd(self.numerator, other.denominator).max(1);
        let second = gcd(other.numerator, self.denominator).max(1);
        let numerator = (self.numerator / first)
            .checked_mul(other.numerator / second)
            .ok_or(Overflow)?;
        let denominator = (self.denominator / second)
            .checked_mul(other.denominator / first)
            .ok_or(Overflow)?;
        Self::new(numerator, denominator)
    }

    /// `self ÷ other` (other not 0).
    pub fn checked_div(self, other: Self) -> Result<Self, Overflow> {
        self.checked_mul(Self::new(other.denominator, other.numerator)?)
    }

    /// `−self`.
    pub fn checked_neg(self) -> Result<Self, Overflow> {
        Ok(Self {
            numerator: self.numerator.checked_neg().ok_or(Overflow)?,
            denominator: self.denominator,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_exact_and_in_lowest_terms() {
        let third = Rational::new(2, 6).expect("a third");
        assert_eq!(third, Rational::new(-1, -3).expect("a third"));
        let sum = third
            .checked_add(third)
            .and_then(|two| two.checked_add(third))
            .expect("one");
        assert_eq!(sum, Rational::ONE);
        assert_eq!(
            third.checked_sub(Rational::ONE).expect("minus two thirds"),
            Rational::new(-2, 3).expect("minus two thirds")
        );
        assert_eq!(
            third
                .checked_div(Rational::new(-1, 6).expect(""))
                .expect("-2"),
            Rational::integer(-2)
        );
        assert!(
            Rational::integer(7)
                .checked_mul(Rational::ZERO)
                .expect("0")
                .is_zero()
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrong_answer() {
        let huge = Rational::new(i128::MAX, 1).expect("huge");
        assert_eq!(huge.checked_add(huge), Err(Overflow));
        assert_eq!(huge.checked_mul(Rational::integer(2)), Err(Overflow));
        assert_eq!(Rational::new(1, 0), Err(Overflow));
        assert_eq!(
            Rational::new(i128::MIN, 1).and_then(Rational::checked_neg),
            Err(Overflow)
        );
    }
}
