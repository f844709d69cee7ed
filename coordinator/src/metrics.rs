//! Prometheus metrics, kept in memory and rendered in the text exposition format at `/metrics`:
//! requests by route and status, submissions by outcome, and request latency by route.

use std::{collections::BTreeMap, fmt::Write, sync::Mutex, time::Duration};

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The coordinator's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    submissions: Mutex<BTreeMap<String, u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    /// Counts one request.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((method.to_owned(), route.to_owned(), status))
            .or_insert(0) += 1;
        let secs = took.as_secs_f64();
        let mut latency = self.latency.lock().expect("metrics lock");
        let h = latency.entry(route.to_owned()).or_default();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Counts one submission outcome (`accepted`, `repeated`, or a problem type's slug).
    pub fn submission(&self, outcome: &str) {
        *self.submissions.lock().expect("metrics lock").entry(outcome.to_owned()).or_insert(0) += 1;
    }

    /// The metrics in Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP msp_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE msp_http_requests_total counter\n");
        for ((method, route, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "msp_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP msp_submissions_total Submissions by outcome: accepted, repeated, or the problem type refused.\n",
        );
        out.push_str("# TYPE msp_submissions_total counter\n");
        for (outcome, n) in self.submissions.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "msp_submissions_total{{outcome=\"{outcome}\"}} {n}");
        }
        out.push_str("# HELP msp_http_request_duration_seconds HTTP request latency by route.\n");
        out.push_str("# TYPE msp_http_request_duration_seconds histogram\n");
        for (route, h) in self.latency.lock().expect("metrics lock").iter() {
            for (le, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "msp_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {n}");
            }
            let _ =
                writeln!(out, "msp_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "msp_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "msp_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_in_the_prometheus_text_format() {
        let m = Metrics::default();
        m.request("POST", "/v1/submissions", 201, Duration::from_millis(3));
        m.request("POST", "/v1/submissions", 409, Duration::from_millis(30));
        m.submission("accepted");
        m.submission("conflict");
        let text = m.render();
        assert!(text.contains("msp_http_requests_total{method=\"POST\",route=\"/v1/submissions\",status=\"201\"} 1"));
        assert!(text.contains("msp_submissions_total{outcome=\"conflict\"} 1"));
        assert!(text.contains("msp_http_request_duration_seconds_bucket{route=\"/v1/submissions\",le=\"0.005\"} 1"));
        assert!(text.contains("msp_http_request_duration_seconds_count{route=\"/v1/submissions\"} 2"));
    }
}
