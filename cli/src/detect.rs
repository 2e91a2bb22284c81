//! Detectors that `phifd eval` replays: phifd's own estimators (through the
//! library's replay API) and baselines implemented here (Chen's detector, a
//! fixed timeout, 2W-FD), and [`build`], which makes any of them by name
//! (`seqtail`'s two variants come from [`crate::seqtail`]).
//!
//! What a detector answers, and how one pass evaluates every level at once,
//! is the [`Detector`] trait's documentation (module [`crate::detector`]).
//!
//! To add a detector: implement [`Detector`] and add it to [`build`] (and to
//! [`NAMES`]); `eval`, `tune`, the tables and the charts pick it up.

pub use crate::detector::Detector;
use crate::seqtail::{SeqTail, SEQTAIL_LEVELS};
use phifd::replay::Replayer;
use phifd::{Config, Estimator};

/// Detector names [`build`] knows, in report order.
pub const NAMES: &[&str] = &[
    "akka",
    "normal",
    "exponential",
    "chen",
    "2w-fd",
    "timeout",
    "seqtail",
    "seqtail-flat",
];

/// Parameters shared by the detectors.
#[derive(Debug, Clone)]
pub struct Params {
    /// Nominal heartbeat interval, ns (the library's `heartbeat_interval_ns`;
    /// scales the default sweeps of the baselines).
    pub interval_ns: u64,
    /// Window length (phi estimators and Chen's long window).
    pub window: u32,
    /// `min_std_deviation_ns` for the phi estimators (`None`: library default, interval/4).
    pub min_sd_ns: Option<u64>,
    /// `acceptable_pause_ns` for the phi estimators.
    pub acceptable_pause_ns: u64,
    /// 2W-FD's short window.
    pub short_window: u32,
    /// Overrides the phi thresholds of the sweep.
    pub phi_levels: Option<Vec<f64>>,
}

impl Params {
    /// Defaults for a given nominal interval.
    pub fn new(interval_ns: u64) -> Params {
        Params {
            interval_ns,
            window: 1000,
            min_sd_ns: None,
            acceptable_pause_ns: 0,
            short_window: 1,
            phi_levels: None,
        }
    }
}

/// The default phi thresholds of a sweep.
pub const PHI_LEVELS: &[f64] = &[
    0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0,
];
/// Safety margins of Chen and 2W-FD, in heartbeat intervals.
pub const MARGIN_LEVELS: &[f64] = &[
    0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0,
];
/// Fixed timeouts, in heartbeat intervals.
pub const TIMEOUT_LEVELS: &[f64] = &[
    1.05, 1.1, 1.2, 1.35, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0,
];

/// Builds the detector called `name` (one of [`NAMES`]).
///
/// Errors: an unknown name, or library settings that no phi level accepts.
pub fn build(name: &str, p: &Params) -> Result<Box<dyn Detector>, String> {
    let iv_ms = p.interval_ns as f64 / 1e6;
    let ms = |xs: &[f64]| xs.iter().map(|x| x * iv_ms).collect::<Vec<_>>();
    Ok(match name {
        "akka" => Box::new(PhiDetector::new(Estimator::Akka, p)?),
        "normal" => Box::new(PhiDetector::new(Estimator::Normal, p)?),
        "exponential" => Box::new(PhiDetector::new(Estimator::Exponential, p)?),
        "chen" => Box::new(Chen::new(p, ms(MARGIN_LEVELS))),
        "2w-fd" => Box::new(TwoWindow::new(p, ms(MARGIN_LEVELS))),
        "timeout" => Box::new(Timeout::new(ms(TIMEOUT_LEVELS))),
        "seqtail" => Box::new(SeqTail::new(
            "seqtail",
            p.interval_ns,
            p.window,
            p.phi_levels.clone().unwrap_or_else(|| SEQTAIL_LEVELS.to_vec()),
            true,
        )),
        "seqtail-flat" => Box::new(SeqTail::new(
            "seqtail-flat",
            p.interval_ns,
            p.window,
            p.phi_levels.clone().unwrap_or_else(|| SEQTAIL_LEVELS.to_vec()),
            false,
        )),
        other => return Err(format!("unknown detector {other:?} (known: {})", NAMES.join(", "))),
    })
}

/// Rounds a non-negative duration up to whole ns, like the library's deadlines.
#[inline]
fn ceil_ns(e: f64) -> u64 {
    if e.is_nan() || e <= 0.0 {
        0
    } else if e >= u64::MAX as f64 {
        u64::MAX
    } else {
        let t = e as u64;
        if (t as f64) < e {
            t + 1
        } else {
            t
        }
    }
}

/// The library configuration of a phi estimator with the parameters `p` (the thresholds of a
/// sweep are given to the replayer separately). Errors: a setting the library refuses.
pub fn phi_config(est: Estimator, p: &Params) -> Result<Config, String> {
    let mut c = Config::new();
    c.set_estimator(est);
    c.set_window(u64::from(p.window)).map_err(|e| e.to_string())?;
    c.set_heartbeat_interval_ns(p.interval_ns).map_err(|e| e.to_string())?;
    if let Some(sd) = p.min_sd_ns {
        c.set_min_std_deviation_ns(sd).map_err(|e| e.to_string())?;
    }
    c.set_acceptable_pause_ns(p.acceptable_pause_ns)
        .map_err(|e| e.to_string())?;
    Ok(c)
}

/// One of phifd's estimators, replayed by the library itself ([`phifd::replay::Replayer`]):
/// the library's node code learns each arrival (seed history, window, effective mean and sd,
/// Akka's, Cassandra's and the burst learning rules) and gives each threshold's deadline.
/// Not modelled: the monitor's local-pause guard and local health (they react to the monitor's
/// own scheduling, which a trace does not record).
pub struct PhiDetector {
    levels: Vec<f64>,
    replay: Replayer,
}

impl PhiDetector {
    /// A detector for `est` at the thresholds of `p.phi_levels` (default
    /// [`PHI_LEVELS`]); thresholds the library rejects for these settings
    /// (timing rule) are left out. Errors: no threshold is accepted.
    pub fn new(est: Estimator, p: &Params) -> Result<PhiDetector, String> {
        let want = p.phi_levels.clone().unwrap_or_else(|| PHI_LEVELS.to_vec());
        let cfg = phi_config(est, p)?;
        let mut levels = Vec::new();
        let mut last_err = String::new();
        for &v in &want {
            match Replayer::new(&cfg, &[v]) {
                Ok(_) => levels.push(v),
                Err(e) => last_err = e.to_string(),
            }
        }
        if levels.is_empty() {
            return Err(format!("{}: no threshold accepted: {last_err}", est.name()));
        }
        let replay = Replayer::new(&cfg, &levels).map_err(|e| e.to_string())?;
        Ok(PhiDetector { levels, replay })
    }

    /// The library's replayer behind this detector (its thresholds are [`Detector::levels`]).
    pub fn replayer(&self) -> &Replayer {
        &self.replay
    }
}

impl Detector for PhiDetector {
    fn name(&self) -> String {
        self.replay.estimator().name().to_string()
    }
    fn param_name(&self) -> &'static str {
        "phi"
    }
    fn levels(&self) -> &[f64] {
        &self.levels
    }
    fn reset(&mut self) {
        self.replay.reset();
    }
    fn arrive(&mut self, now: u64, _seq: u64, deadlines: &mut [u64]) {
        // The slice has one slot per level (the trait's contract), so this cannot fail; if it
        // ever did, every level would keep its previous deadline.
        let _ = self.replay.arrive(now, deadlines);
    }
}

/// Chen's estimate of the next arrival from the last `n` arrivals:
/// `EA = (1/n) Σ (A_i − η·s_i) + η·(s_last + 1)`, with `s_i` the sequence
/// numbers (so losses do not shift it) and η the sender's interval.
/// η is estimated from the window's oldest and newest arrivals (the sender's
/// real rate can differ from the nominal one: 103.5 ms instead of 100 ms on the
/// published WAN trace, which with a nominal η would shift EA by seconds).
#[derive(Debug, Clone)]
pub struct ChenWindow {
    cap: usize,
    a: std::collections::VecDeque<(i128, i128)>,
    sum_a: i128,
    sum_s: i128,
    base: Option<u64>,
}

impl ChenWindow {
    /// An empty window of `n` arrivals (at least 1).
    pub fn new(n: u32) -> ChenWindow {
        ChenWindow {
            cap: n.max(1) as usize,
            a: Default::default(),
            sum_a: 0,
            sum_s: 0,
            base: None,
        }
    }
    /// Forgets everything.
    pub fn clear(&mut self) {
        self.a.clear();
        self.sum_a = 0;
        self.sum_s = 0;
        self.base = None;
    }
    /// Adds arrival `seq` at `now` ns. Callers push only fresh heartbeats (`seq` above every
    /// one pushed before), so the newest entry carries the highest sequence number.
    pub fn push(&mut self, now: u64, seq: u64) {
        let base = *self.base.get_or_insert(now);
        let x = (i128::from(now) - i128::from(base), i128::from(seq));
        if self.a.len() == self.cap {
            if let Some(o) = self.a.pop_front() {
                self.sum_a -= o.0;
                self.sum_s -= o.1;
            }
        }
        self.a.push_back(x);
        self.sum_a += x.0;
        self.sum_s += x.1;
    }
    /// The highest sequence number in the window (the newest one pushed), if any.
    pub fn last_seq(&self) -> Option<u64> {
        self.a.back().and_then(|l| u64::try_from(l.1).ok())
    }
    /// The sender's interval estimated over the window, or `None` with fewer
    /// than two distinct sequence numbers.
    pub fn eta(&self) -> Option<f64> {
        let (f, l) = (self.a.front()?, self.a.back()?);
        (l.1 > f.1).then(|| (l.0 - f.0) as f64 / (l.1 - f.1) as f64)
    }
    /// Expected arrival (absolute ns) of the heartbeat after the newest one, given η.
    pub fn expected_next(&self, eta: f64) -> f64 {
        let n = self.a.len().max(1) as f64;
        let last_s = self.a.back().map_or(0, |l| l.1);
        let mean_a = self.sum_a as f64 / n;
        let mean_s = self.sum_s as f64 / n;
        self.base.unwrap_or(0) as f64 + mean_a + eta * ((last_s as f64 + 1.0) - mean_s)
    }
}

/// Chen, Toueg and Aguilera's detector (NFD-E): after each fresh heartbeat `ℓ`, suspect at
/// `τ = EA_{ℓ+1} + α`, the expected arrival of the next heartbeat plus the safety margin.
/// Stale heartbeats (a sequence number not above the highest received) are ignored. A
/// heartbeat that arrives after its successor's freshness point (`τ <= now`) does not restore
/// trust: the suspicion goes on until a heartbeat arrives before its own `τ`.
pub struct Chen {
    w: ChenWindow,
    levels: Vec<f64>,
    nominal: f64,
}

/// Writes `ea + α` (ns, rounded up) for every margin `α` (ms).
fn write_deadlines(ea: f64, alphas_ms: &[f64], deadlines: &mut [u64]) {
    for (d, a) in deadlines.iter_mut().zip(alphas_ms) {
        *d = ceil_ns(ea + a * 1e6);
    }
}

impl Chen {
    /// Window `p.window`; `alphas_ms` the safety margins of the sweep.
    pub fn new(p: &Params, alphas_ms: Vec<f64>) -> Chen {
        Chen {
            w: ChenWindow::new(p.window),
            levels: alphas_ms,
            nominal: p.interval_ns as f64,
        }
    }
}

impl Detector for Chen {
    fn name(&self) -> String {
        "chen".into()
    }
    fn param_name(&self) -> &'static str {
        "alpha_ms"
    }
    fn levels(&self) -> &[f64] {
        &self.levels
    }
    fn reset(&mut self) {
        self.w.clear();
    }
    fn is_stale(&self, seq: u64) -> bool {
        self.w.last_seq().is_some_and(|l| seq <= l)
    }
    fn arrive(&mut self, now: u64, seq: u64, deadlines: &mut [u64]) {
        if !self.is_stale(seq) {
            self.w.push(now, seq);
        }
        let eta = self.w.eta().unwrap_or(self.nominal);
        write_deadlines(self.w.expected_next(eta), &self.levels, deadlines);
    }
}

/// 2W-FD (Tomsic, Sens, Garcia, Arantes, Sopena, 2015): Chen's estimate over
/// a short and a long window, suspect at `max(EA_short, EA_long) + α`; stale
/// heartbeats ignored and late ones handled as in [`Chen`].
pub struct TwoWindow {
    short: ChenWindow,
    long: ChenWindow,
    levels: Vec<f64>,
    nominal: f64,
}

impl TwoWindow {
    /// Short window `p.short_window`, long window `p.window`.
    pub fn new(p: &Params, alphas_ms: Vec<f64>) -> TwoWindow {
        TwoWindow {
            short: ChenWindow::new(p.short_window),
            long: ChenWindow::new(p.window),
            levels: alphas_ms,
            nominal: p.interval_ns as f64,
        }
    }
}

impl Detector for TwoWindow {
    fn name(&self) -> String {
        "2w-fd".into()
    }
    fn param_name(&self) -> &'static str {
        "alpha_ms"
    }
    fn levels(&self) -> &[f64] {
        &self.levels
    }
    fn reset(&mut self) {
        self.short.clear();
        self.long.clear();
    }
    fn is_stale(&self, seq: u64) -> bool {
        self.long.last_seq().is_some_and(|l| seq <= l)
    }
    fn arrive(&mut self, now: u64, seq: u64, deadlines: &mut [u64]) {
        if !self.is_stale(seq) {
            self.short.push(now, seq);
            self.long.push(now, seq);
        }
        let eta = self.long.eta().unwrap_or(self.nominal);
        write_deadlines(
            self.short.expected_next(eta).max(self.long.expected_next(eta)),
            &self.levels,
            deadlines,
        );
    }
}

/// A fixed timeout after the last arrival.
pub struct Timeout {
    levels: Vec<f64>,
}

impl Timeout {
    /// `timeouts_ms`: the timeouts of the sweep.
    pub fn new(timeouts_ms: Vec<f64>) -> Timeout {
        Timeout { levels: timeouts_ms }
    }
}

impl Detector for Timeout {
    fn name(&self) -> String {
        "timeout".into()
    }
    fn param_name(&self) -> &'static str {
        "timeout_ms"
    }
    fn levels(&self) -> &[f64] {
        &self.levels
    }
    fn reset(&mut self) {}
    fn arrive(&mut self, now: u64, _seq: u64, deadlines: &mut [u64]) {
        for (d, t) in deadlines.iter_mut().zip(&self.levels) {
            *d = now.saturating_add(ceil_ns(t * 1e6));
        }
    }
}
