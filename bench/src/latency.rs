//! Per-operation latency, recorded in an HDR histogram and summarized as percentiles.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Longest latency the histogram tracks exactly; longer ones are recorded as this.
const LATENCY_NS_MAX: u64 = 60_000_000_000;

/// One thread's record of operation latencies, in nanoseconds, 3 significant digits.
pub struct Latencies {
    histogram: Histogram<u64>,
}

impl Latencies {
    /// An empty record.
    #[must_use]
    pub fn new() -> Self {
        let histogram =
            Histogram::new_with_bounds(1, LATENCY_NS_MAX, 3).expect("valid histogram bounds");
        Self { histogram }
    }

    /// Records one operation that took `elapsed`.
    pub fn record(&mut self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.histogram.saturating_record(ns);
    }

    /// Adds another thread's record to this one.
    pub fn merge(&mut self, other: &Self) {
        self.histogram.add(&other.histogram).expect("histograms with the same bounds");
    }

    /// Operations recorded.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// The percentiles the report shows.
    #[must_use]
    pub fn summary(&self) -> LatencySummary {
        let us = |q: f64| self.histogram.value_at_quantile(q) as f64 / 1000.0;
        LatencySummary { p50_us: us(0.50), p99_us: us(0.99), p999_us: us(0.999) }
    }
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

/// Latency percentiles of one phase, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_spread() {
        let mut a = Latencies::new();
        let mut b = Latencies::new();
        for us in 1..=500 {
            a.record(Duration::from_micros(us));
            b.record(Duration::from_micros(us + 500));
        }
        a.merge(&b);
        assert_eq!(a.count(), 1000);
        let s = a.summary();
        assert!((s.p50_us - 500.0).abs() < 1.0, "{s:?}");
        assert!((s.p99_us - 990.0).abs() < 1.0, "{s:?}");
        assert!((s.p999_us - 999.0).abs() < 1.0, "{s:?}");
    }
}
