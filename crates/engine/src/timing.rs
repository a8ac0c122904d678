//! How long each query took over a run, and the peak resident memory while it ran
//! (Linux VmHWM, reset before each query).

use std::time::Instant;

/// How long one query took over every year of a run, and the peak memory while it ran.
#[derive(Debug, Clone)]
pub struct QueryTiming {
    /// The query name.
    pub query: String,
    /// Wall seconds, summed over the years.
    pub seconds: f64,
    /// Peak resident memory of the process while it ran (Linux; `None` elsewhere).
    pub peak_rss_bytes: Option<u64>,
}

/// Resets the kernel's record of the peak resident memory, so the next reading is the
/// peak since now (Linux `clear_refs`; a no-op elsewhere).
pub(crate) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident memory (VmHWM) in bytes, where the kernel reports it.
pub(crate) fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Times one query and records its peak memory.
pub(crate) struct Timer {
    query: String,
    started: Instant,
}

impl Timer {
    pub(crate) fn start(query: &str) -> Self {
        reset_peak_rss();
        Self {
            query: query.to_string(),
            started: Instant::now(),
        }
    }

    pub(crate) fn stop(self) -> QueryTiming {
        QueryTiming {
            query: self.query,
            seconds: self.started.elapsed().as_secs_f64(),
            peak_rss_bytes: peak_rss(),
        }
    }
}
