//! Times for people: UTC date-times and short durations, without a calendar crate. Pure.

use crate::protocol::Millis;

/// `2026-11-21 09:13:20` (UTC).
pub fn datetime(at: Millis) -> String {
    let secs = at.0.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `12s`, `3m05s`, `2h04m`, `3d02h`.
pub fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants_and_durations() {
        assert_eq!(datetime(Millis(0)), "1970-01-01 00:00:00");
        assert_eq!(datetime(Millis(1_795_000_000_000)), "2026-11-18 11:06:40");
        assert_eq!(datetime(Millis(951_782_400_000)), "2000-02-29 00:00:00");
        assert_eq!(duration(59_999), "59s");
        assert_eq!(duration(185_000), "3m05s");
        assert_eq!(duration(7_440_000), "2h04m");
        assert_eq!(duration(-5), "0s");
    }
}
