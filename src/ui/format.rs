//! Numbers and times as the screen shows them: tokens ("45.2k"), dollars ("$0.1234"),
//! durations ("12m05s") and wall-clock times ("14:03:07", UTC). Pure functions; nothing here
//! knows about events or widgets.

use crate::protocol::Millis;

/// A token count in at most six columns: "950", "45.2k", "1.23M".
pub fn tokens(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1_000.0),
        _ => format!("{:.2}M", n as f64 / 1_000_000.0),
    }
}

/// Dollars with four decimals: "$0.0123".
pub fn dollars(usd: f64) -> String {
    if usd.is_finite() {
        format!("${usd:.4}")
    } else {
        "$?".to_string()
    }
}

/// A duration in milliseconds, compact: "45s", "12m05s", "3h02m".
pub fn elapsed(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

/// The time of day of `at` in UTC: "14:03:07".
pub fn clock(at: Millis) -> String {
    let secs = at.0.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// A millisecond duration as "850ms" or "2.3s".
pub fn millis(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_read_well() {
        assert_eq!(tokens(950), "950");
        assert_eq!(tokens(45_230), "45.2k");
        assert_eq!(tokens(1_234_567), "1.23M");
        assert_eq!(dollars(0.01234), "$0.0123");
        assert_eq!(elapsed(45_000), "45s");
        assert_eq!(elapsed(725_000), "12m05s");
        assert_eq!(elapsed(10_920_000), "3h02m");
        assert_eq!(clock(Millis(1_700_000_000_000)), "22:13:20");
        assert_eq!(millis(850), "850ms");
        assert_eq!(millis(2_345), "2.3s");
    }
}
