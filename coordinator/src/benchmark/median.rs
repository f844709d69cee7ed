//! The median days from concern to conclusion, which has no closed form: interpolated within
//! the `days_to_conclude` histogram, with a parametric-bootstrap interval from the known noise.

use msp_estimate::{Estimate, Noisy};
use msp_schemas::spec::DAYS_BUCKETS;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// Bootstrap draws for the median.
const BOOTSTRAP_DRAWS: usize = 1_000;

/// The median of a histogram over the `days_to_conclude` buckets, interpolating within the
/// bucket that holds it (the last, open bucket is taken as 366–730 days).
pub fn histogram_median(counts: &[f64]) -> Option<f64> {
    let bounds: Vec<(f64, f64)> = {
        let mut lo = 0.0;
        let mut v = Vec::new();
        for (hi, _) in DAYS_BUCKETS {
            v.push((lo, f64::from(hi) + 1.0));
            lo = f64::from(hi) + 1.0;
        }
        v.push((lo, 731.0));
        v
    };
    let counts: Vec<f64> = counts.iter().map(|c| c.max(0.0)).collect();
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let half = total / 2.0;
    let mut seen = 0.0;
    for (c, (lo, hi)) in counts.iter().zip(bounds) {
        if seen + c >= half && *c > 0.0 {
            return Some(lo + (hi - lo) * (half - seen) / c);
        }
        seen += c;
    }
    None
}

/// The median days with a parametric-bootstrap 95% interval: the histogram is redrawn with the
/// published noise (Gaussian with each cell's variance) and the middle 95% of the redrawn
/// medians, re-centred on the estimate, is the interval. The draws use a fixed seed so that the
/// same releases always give the same interval; no data are changed.
pub fn bootstrap_median(cells: &[Noisy]) -> Option<Estimate> {
    let value = histogram_median(&cells.iter().map(|c| c.value).collect::<Vec<_>>())?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x6d65_6469_616e);
    let mut draws: Vec<f64> = (0..BOOTSTRAP_DRAWS)
        .filter_map(|_| {
            let redrawn: Vec<f64> = cells
                .iter()
                .map(|c| {
                    c.value
                        + c.variance.sqrt() * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
                })
                .collect();
            histogram_median(&redrawn)
        })
        .collect();
    if draws.len() < BOOTSTRAP_DRAWS / 2 {
        return None;
    }
    draws.sort_by(f64::total_cmp);
    let q = |p: f64| draws[((draws.len() - 1) as f64 * p).round() as usize];
    // Basic bootstrap: reflect the spread of the redrawn medians around the estimate.
    let (lo, hi) = ((2.0 * value - q(0.975)).max(0.0), (2.0 * value - q(0.025)).max(0.0));
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    let se = (draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (draws.len() - 1) as f64).sqrt();
    Some(Estimate { value, se, low: lo.min(value), high: hi.max(value), too_wide: hi - lo > 0.5 * value.max(1.0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_median_interpolates_within_its_bucket() {
        // 0-7: 10, 8-28: 10 → the median (10 of 20) is at the top of the first bucket.
        assert_eq!(histogram_median(&[10.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0]), Some(8.0));
        // Half way through the second bucket (8..29 days).
        assert_eq!(histogram_median(&[0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0]), Some(18.5));
        assert_eq!(histogram_median(&[-3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), None);
    }

    #[test]
    fn the_bootstrap_interval_contains_the_estimate_and_narrows_with_less_noise() {
        let cells = |sigma: f64| -> Vec<Noisy> {
            [50.0, 300.0, 250.0, 120.0, 80.0, 30.0, 10.0].iter().map(|v| Noisy::new(*v, sigma)).collect()
        };
        let wide = bootstrap_median(&cells(20.0)).unwrap();
        let narrow = bootstrap_median(&cells(2.0)).unwrap();
        assert!(wide.low <= wide.value && wide.value <= wide.high);
        assert!(narrow.high - narrow.low < wide.high - wide.low);
        assert_eq!(bootstrap_median(&cells(2.0)).unwrap(), narrow, "the same releases give the same interval");
    }
}
