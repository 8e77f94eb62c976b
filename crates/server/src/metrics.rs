//! What `/metrics` reports, in the Prometheus text format: requests by route and status, push
//! and pull latency, records pushed by outcome, conflicts raised, and the depth of every queue
//! the server works through later (read from the database at each scrape, so every server
//! process sharing a PostgreSQL database reports the same depths).
//!
//! Built on `prometheus-client`, the Prometheus project's own Rust client: typed label sets,
//! no global registry, and the OpenMetrics text encoder Prometheus scrapes.

use std::time::Duration;

use fairtill_protocol::{PushOutcome, PushResult};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::storage::QueueDepth;

/// One kind of request: the route's pattern (never the path itself, which holds ids), the
/// method and the status answered.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: String,
}

/// The server's metrics, shared by every request.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    push_seconds: Histogram,
    pull_seconds: Histogram,
    records: Family<OutcomeLabels, Counter>,
    conflicts: Counter,
    queues: Family<QueueLabels, Gauge>,
}

/// Latency buckets from 1 ms to about 16 s, doubling.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric at zero, registered under the `fairtill` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("fairtill");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route, method and status",
            requests.clone(),
        );
        let push_seconds = latency();
        registry.register(
            "push_duration_seconds",
            "Time to answer a push, from the request to its last byte of answer",
            push_seconds.clone(),
        );
        let pull_seconds = latency();
        registry.register(
            "pull_duration_seconds",
            "Time to answer a pull",
            pull_seconds.clone(),
        );
        let records = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "pushed_records",
            "Records devices pushed, by what the server did with them",
            records.clone(),
        );
        let conflicts = Counter::default();
        registry.register(
            "conflicts_raised",
            "Conflicts raised for a manager by pushed records",
            conflicts.clone(),
        );
        let queues = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "queue_depth",
            "Items waiting in a queue the server works through later",
            queues.clone(),
        );
        Metrics {
            registry,
            requests,
            push_seconds,
            pull_seconds,
            records,
            conflicts,
            queues,
        }
    }

    /// A request to `route` (its pattern; `unmatched` for none) was answered with `status`
    /// after `elapsed`.
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
        match route {
            "/v1/push" => self.push_seconds.observe(elapsed.as_secs_f64()),
            "/v1/pull" => self.pull_seconds.observe(elapsed.as_secs_f64()),
            _ => {}
        }
    }

    /// A push was answered with `results`.
    pub fn pushed(&self, results: &[PushResult]) {
        for r in results {
            let outcome = match r.outcome {
                PushOutcome::Stored => "stored",
                PushOutcome::StoredWithConflict { .. } => {
                    self.conflicts.inc();
                    "stored_with_conflict"
                }
                PushOutcome::AlreadyHad => "already_had",
                PushOutcome::Invalid { .. } => "invalid",
            };
            self.records.get_or_create(&OutcomeLabels { outcome }).inc();
        }
    }

    /// The text Prometheus scrapes, with the queues at `depths`.
    pub fn encode(&self, depths: &[QueueDepth]) -> Result<String, std::fmt::Error> {
        for d in depths {
            self.queues
                .get_or_create(&QueueLabels {
                    queue: d.queue.clone(),
                })
                .set(d.depth);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_latency_and_queues_are_reported() {
        let m = Metrics::new();
        m.request("POST", "/v1/push", 200, Duration::from_millis(3));
        m.request("POST", "/v1/push", 200, Duration::from_millis(5));
        m.request("GET", "unmatched", 404, Duration::from_millis(1));
        let text = m
            .encode(&[QueueDepth {
                queue: "mail".into(),
                depth: 4,
            }])
            .unwrap();
        assert!(text.contains(
            r#"fairtill_http_requests_total{method="POST",route="/v1/push",status="200"} 2"#
        ));
        assert!(text.contains(r#"fairtill_push_duration_seconds_count 2"#));
        assert!(text.contains(r#"fairtill_queue_depth{queue="mail"} 4"#));
        assert!(text.ends_with("# EOF\n"));
    }
}
