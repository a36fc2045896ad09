//! Rate limits per tenant: a token bucket each, refilled continuously.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many requests a tenant may send: `requests` per window on average, with bursts of up
/// to `burst` at once. Above it, requests are answered `429 Too Many Requests` with a
/// `Retry-After` header, before any work is done for them.
///
/// Set one for every tenant with [`EngineBuilder::rate_limit`](super::EngineBuilder::rate_limit),
/// or per tenant with [`TenantSettings::rate_limit`](super::TenantSettings::rate_limit).
///
/// ```
/// use scim_core::engine::RateLimit;
///
/// // Entra's provisioning sends a few requests per second per app; let bursts through.
/// let limit = RateLimit::per_second(20).burst(100);
/// assert_eq!(limit.burst_size(), 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    requests: u32,
    window: Duration,
    burst: u32,
}

impl RateLimit {
    /// `requests` per second (at least 1), in bursts of as many.
    pub fn per_second(requests: u32) -> Self {
        Self::per(requests, Duration::from_secs(1))
    }

    /// `requests` per minute (at least 1), in bursts of as many.
    pub fn per_minute(requests: u32) -> Self {
        Self::per(requests, Duration::from_secs(60))
    }

    fn per(requests: u32, window: Duration) -> Self {
        let requests = requests.max(1);
        Self {
            requests,
            window,
            burst: requests,
        }
    }

    /// Lets up to `burst` requests (at least 1) through at once after a quiet time.
    #[must_use]
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }

    /// The largest burst let through.
    pub fn burst_size(&self) -> u32 {
        self.burst
    }

    /// Requests per second, on average.
    fn rate(&self) -> f64 {
        f64::from(self.requests) / self.window.as_secs_f64()
    }
}

/// What one tenant has left.
struct Bucket {
    limit: RateLimit,
    tokens: f64,
    at: Instant,
}

/// Every tenant's bucket.
#[derive(Default)]
pub(super) struct Limiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// Takes one request from `tenant`'s allowance under `limit`; when there is none left,
    /// how long until there is.
    pub(super) fn take(
        &self,
        tenant: &str,
        limit: RateLimit,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = buckets.get_mut(tenant) {
            return bucket.take(limit, now);
        }
        // The tenant's name is copied once, on its first request, not on every one.
        let mut bucket = Bucket::full(limit, now);
        let taken = bucket.take(limit, now);
        buckets.insert(tenant.to_owned(), bucket);
        taken
    }
}

impl Bucket {
    fn full(limit: RateLimit, now: Instant) -> Self {
        Self {
            limit,
            tokens: f64::from(limit.burst),
            at: now,
        }
    }

    /// Refills for the time since the last request, then takes one.
    fn take(&mut self, limit: RateLimit, now: Instant) -> Result<(), Duration> {
        if self.limit != limit {
            // The tenant's limit changed: start it afresh.
            *self = Self::full(limit, now);
        }
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = elapsed
            .mul_add(limit.rate(), self.tokens)
            .min(f64::from(limit.burst));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / limit.rate()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_at_the_rate_and_hold_the_burst() {
        let limiter = Limiter::default();
        let limit = RateLimit::per_second(2).burst(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("acme", limit, start).is_ok());
        }
        let wait = limiter.take("acme", limit, start).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-9, "{wait:?}");
        // Another tenant has its own bucket.
        assert!(limiter.take("globex", limit, start).is_ok());
        // Half a second later one request's worth is back, and only one.
        let later = start + Duration::from_millis(500);
        assert!(limiter.take("acme", limit, later).is_ok());
        assert!(limiter.take("acme", limit, later).is_err());
        // A long quiet time refills to the burst, not beyond.
        let quiet = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(limiter.take("acme", limit, quiet).is_ok());
        }
        assert!(limiter.take("acme", limit, quiet).is_err());
        // A new limit starts afresh.
        assert!(
            limiter
                .take("acme", RateLimit::per_minute(1), quiet)
                .is_ok()
        );
        let wait = limiter
            .take("acme", RateLimit::per_minute(1), quiet)
            .unwrap_err();
        assert!((wait.as_secs_f64() - 60.0).abs() < 1e-6, "{wait:?}");
    }
}
