//! CPU time of a process (user + system), from `/proc/PID/stat`.

use std::time::Duration;

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux configuration seen in
/// practice, and the fallback when `getconf` cannot be run).
pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// User plus system CPU time of `pid` (`self` for this process) so far, in clock ticks, or
/// `None` if the process cannot be read.
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Fields 14 (utime) and 15 (stime) of a `/proc/PID/stat` line. The command name (field 2)
/// may hold spaces and parentheses, so fields are counted after its last `)`.
fn parse_stat(stat: &str) -> Option<u64> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace();
    // After the name: state (field 3) is the first; utime is field 14, the 12th from here.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `ticks` as a duration, at `per_second` ticks per second.
pub fn ticks_to_duration(ticks: u64, per_second: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / per_second.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime() {
        let line = "1234 (tokio (x) y) S 1 1234 1234 0 -1 4194560 500 0 0 0 70 30 0 0 20 0 4 0";
        assert_eq!(parse_stat(line), Some(100));
        assert!(cpu_ticks("self").is_some());
    }
}
