//! Small sampling helpers over a seeded generator. Parameters are the generator's own
//! constants, so the distributions' constructors cannot fail; each still falls back to
//! the mean rather than panic.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Exp1, Gamma, Poisson, StandardNormal};

/// The generator every draw uses.
pub type Generator = ChaCha8Rng;

/// True with probability `p`.
pub fn chance(rng: &mut Generator, p: f64) -> bool {
    rng.random::<f64>() < p.clamp(0.0, 1.0)
}

/// A normal draw.
pub fn normal(rng: &mut Generator, mean: f64, sd: f64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    mean + sd * z
}

/// A log-normal draw given its median.
pub fn lognormal(rng: &mut Generator, median: f64, sigma: f64) -> f64 {
    median * normal(rng, 0.0, sigma).exp()
}

/// An exponential draw with the given mean.
pub fn exponential(rng: &mut Generator, mean: f64) -> f64 {
    let unit: f64 = rng.sample(Exp1);
    unit * mean
}

/// A gamma draw with mean 1 and the given shape.
pub fn gamma_mean_one(rng: &mut Generator, shape: f64) -> f64 {
    Gamma::new(shape, 1.0 / shape).map_or(1.0, |gamma| gamma.sample(rng))
}

/// A binomial draw.
pub fn binomial(rng: &mut Generator, trials: u32, p: f64) -> u32 {
    let p = p.clamp(0.0, 1.0);
    Binomial::new(u64::from(trials), p).map_or((f64::from(trials) * p).round() as u32, |binomial| {
        binomial.sample(rng) as u32
    })
}

/// A Poisson draw.
pub fn poisson(rng: &mut Generator, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    Poisson::new(mean).map_or(mean.round() as u32, |poisson| poisson.sample(rng) as u32)
}

/// A uniformly chosen element.
pub fn pick<'a, T>(rng: &mut Generator, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// An element chosen by weight.
pub fn weighted<T: Copy>(rng: &mut Generator, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, weight)| weight).sum();
    let mut target = rng.random::<f64>() * total;
    for (item, weight) in items {
        if target < *weight {
            return *item;
        }
        target -= weight;
    }
    items[items.len() - 1].0
}

/// A date uniformly between two dates, inclusive.
pub fn date_between(rng: &mut Generator, first: NaiveDate, last: NaiveDate) -> NaiveDate {
    let days = (last - first).num_days().max(0);
    first + Duration::days(rng.random_range(0..=days))
}

/// Splits `total` into the given shares (a multinomial draw by successive binomials).
pub fn split<T: Copy>(rng: &mut Generator, total: u32, shares: &[(T, f64)]) -> Vec<(T, u32)> {
    let mut remaining = total;
    let mut weight_left: f64 = shares.iter().map(|(_, share)| share).sum();
    let mut parts = Vec::new();
    for (index, (item, share)) in shares.iter().enumerate() {
        if remaining == 0 {
            break;
        }
        let count = if index + 1 == shares.len() {
            remaining
        } else {
            binomial(rng, remaining, share / weight_left)
        };
        weight_left -= share;
        remaining -= count;
        if count > 0 {
            parts.push((*item, count));
        }
    }
    parts
}
