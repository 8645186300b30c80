//! Time: stored as unix seconds, rendered ISO 8601 with the configured zone's offset, no fractions.

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

#[derive(Clone)]
pub struct Clock {
    tz: TimeZone,
}

impl Clock {
    pub fn new(tz: TimeZone) -> Self {
        Clock { tz }
    }

    pub fn now(&self) -> i64 {
        Timestamp::now().as_second()
    }

    pub fn zoned(&self, seconds: i64) -> Zoned {
        Timestamp::from_second(seconds)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone())
    }

    /// `2020-09-17T09:18:14+02:00`
    pub fn render(&self, seconds: i64) -> String {
        self.zoned(seconds)
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    }

    /// The zone's name (IANA, else its offset): what a kept calendar day belongs to.
    pub fn zone_name(&self) -> String {
        match self.tz.iana_name() {
            Some(name) => name.to_owned(),
            None => self.zoned(0).offset().to_string(),
        }
    }

    pub fn render_opt(&self, seconds: Option<i64>) -> Option<String> {
        seconds.map(|s| self.render(s))
    }

    /// The days `from` to `to` (both `YYYY-MM-DD`, inclusive) in the zone, as `[start, end)` in
    /// seconds; `None` when a date does not parse or `to` is before `from`.
    pub fn days(&self, from: &str, to: &str) -> Option<(i64, i64)> {
        let from: jiff::civil::Date = from.trim().parse().ok()?;
        let to: jiff::civil::Date = to.trim().parse().ok()?;
        let start = from.to_zoned(self.tz.clone()).ok()?;
        let end = to.tomorrow().ok()?.to_zoned(self.tz.clone()).ok()?;
        (to >= from).then(|| (start.timestamp().as_second(), end.timestamp().as_second()))
    }

    /// Reads an ISO 8601 timestamp with any offset or `Z` (a bare date is midnight in the zone).
    pub fn parse(&self, text: &str) -> Option<i64> {
        if let Ok(ts) = text.parse::<Timestamp>() {
            return Some(ts.as_second());
        }
        let date: jiff::civil::Date = text.parse().ok()?;
        Some(date.to_zoned(self.tz.clone()).ok()?.timestamp().as_second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Clock {
        Clock::new(TimeZone::get("Europe/Berlin").unwrap())
    }

    #[test]
    fn a_period_of_days_runs_from_midnight_to_midnight_across_a_clock_change() {
        let c = berlin();
        let (start, end) = c.days("2026-10-24", "2026-10-25").unwrap();
        assert_eq!(c.render(start), "2026-10-24T00:00:00+02:00");
        assert_eq!(c.render(end), "2026-10-26T00:00:00+01:00");
        assert_eq!(
            end - start,
            49 * 3600,
            "the day the clocks go back has 25 hours"
        );
        assert_eq!(c.days("2026-10-25", "2026-10-24"), None);
        assert_eq!(c.days("2026-13-01", "2026-12-01"), None);
    }

    #[test]
    fn renders_summer_and_winter_offsets_of_berlin() {
        let c = berlin();
        let summer = c.parse("2020-09-17T09:18:14+02:00").unwrap();
        assert_eq!(c.render(summer), "2020-09-17T09:18:14+02:00");
        let winter = c.parse("2021-02-25T07:47:25Z").unwrap();
        assert_eq!(c.render(winter), "2021-02-25T08:47:25+01:00");
    }
}
