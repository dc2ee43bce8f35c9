//! Capped exponential backoff for requeues, shared by the drivers.

use std::time::Duration;

/// Delay before the `attempt`-th retry (0-based): 200 ms doubling, capped at 10 s.
pub fn backoff(attempt: u32) -> Duration {
    let ms = 200u64.saturating_mul(1u64 << attempt.min(16));
    Duration::from_millis(ms.min(10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps_at_ten_seconds() {
        assert_eq!(backoff(0), Duration::from_millis(200));
        assert_eq!(backoff(1), Duration::from_millis(400));
        assert_eq!(backoff(6), Duration::from_millis(10_000));
        assert_eq!(backoff(u32::MAX), Duration::from_millis(10_000));
    }
}
