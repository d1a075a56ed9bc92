//! Request metrics kept in memory and rendered as Prometheus text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Cumulative counts per bucket of [`BUCKETS`].
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    errors: BTreeMap<&'static str, u64>,
}

/// Counters by route and status, latency histograms by route, errors by code.
///
/// Routes are the matched route templates (`/v1/dispatch/query`) or
/// `unmatched`, never raw paths, so labels stay few; no label carries a tenant.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// Records one finished request.
    pub fn record(
        &self,
        route: &str,
        status: u16,
        elapsed: Duration,
        error_code: Option<&'static str>,
    ) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        *inner
            .requests
            .entry((route.to_owned(), status))
            .or_default() += 1;
        let seconds = elapsed.as_secs_f64();
        let h = inner.latency.entry(route.to_owned()).or_default();
        for (bound, count) in BUCKETS.iter().zip(h.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
        if let Some(code) = error_code {
            *inner.errors.entry(code).or_default() += 1;
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let Ok(inner) = self.inner.lock() else {
            return out;
        };
        out.push_str("# HELP ox_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE ox_http_requests_total counter\n");
        for ((route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "ox_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP ox_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE ox_http_request_duration_seconds histogram\n");
        for (route, h) in &inner.latency {
            let route = escape(route);
            for (bound, count) in BUCKETS.iter().zip(h.buckets.iter()) {
                let _ = writeln!(out, "ox_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(
                out,
                "ox_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "ox_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "ox_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP ox_http_errors_total Error responses by error code (storage errors are ARGON_RUNTIME_STORAGE_UNAVAILABLE).\n");
        out.push_str("# TYPE ox_http_errors_total counter\n");
        for (code, n) in &inner.errors {
            let _ = writeln!(out, "ox_http_errors_total{{code=\"{code}\"}} {n}");
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_buckets() {
        let m = Metrics::default();
        m.record("/healthz", 200, Duration::from_millis(2), None);
        m.record("/healthz", 200, Duration::from_millis(20), None);
        m.record(
            "unmatched",
            404,
            Duration::from_millis(1),
            Some("ARGON_RUNTIME_NOT_FOUND"),
        );
        let text = m.render();
        assert!(text.contains("ox_http_requests_total{route=\"/healthz\",status=\"200\"} 2"));
        assert!(text.contains(
            "ox_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains("ox_http_request_duration_seconds_count{route=\"/healthz\"} 2"));
        assert!(text.contains("ox_http_errors_total{code=\"ARGON_RUNTIME_NOT_FOUND\"} 1"));
    }
}
