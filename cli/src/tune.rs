//! `phifd tune`: searches phifd's settings for the best detector under a
//! bound on the mistake rate or on the detection time, on a given trace.

use crate::detect::{Detector, Params, PhiDetector};
use crate::eval::{evaluate_all, DetectorResult, EvalOptions, LevelResult};
use crate::trace::Stream;
use phifd::Estimator;
use std::fmt::Write;

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// λ_M at most this (1/s); minimise mean T_D.
    MaxMistakeRate(f64),
    /// Mean T_D at most this (s); minimise λ_M.
    MaxDetectionTime(f64),
}

/// A recommended configuration and its measured quality.
#[derive(Debug, Clone)]
pub struct Recommendation {
    /// Estimator.
    pub estimator: Estimator,
    /// Threshold.
    pub threshold: f64,
    /// Window.
    pub window: u32,
    /// Heartbeat interval, ns.
    pub interval_ns: u64,
    /// Explicit sd floor (None: the library default, interval/4).
    pub min_sd_ns: Option<u64>,
    /// Measured metrics at this setting.
    pub metrics: LevelResult,
}

/// Thresholds searched.
pub fn tune_levels() -> Vec<f64> {
    (1..=40).map(|i| f64::from(i) * 0.5).collect()
}

/// Evaluates every candidate (estimators × sd floors × windows, all
/// thresholds of [`tune_levels`] in one pass each) and picks the best under
/// `goal`. Returns the recommendation (None if no candidate meets the bound)
/// and all candidate results with their parameters.
pub fn tune(
    streams: &[Stream],
    interval_ns: u64,
    windows: &[u32],
    goal: Goal,
    opt: &EvalOptions,
) -> (Option<Recommendation>, Vec<(Params, Estimator, DetectorResult)>) {
    let mut cands: Vec<(Params, Estimator)> = Vec::new();
    for &w in windows {
        for est in [Estimator::Akka, Estimator::Normal, Estimator::Exponential] {
            let floors: Vec<Option<u64>> = if est == Estimator::Exponential {
                vec![None]
            } else {
                vec![None, Some(interval_ns / 10), Some(interval_ns / 100)]
            };
            for fl in floors {
                let mut p = Params::new(interval_ns);
                p.window = w;
                p.min_sd_ns = fl;
                p.phi_levels = Some(tune_levels());
                cands.push((p, est));
            }
        }
    }
    let mut dets: Vec<Box<dyn Detector>> = Vec::new();
    let mut kept = Vec::new();
    for (p, est) in cands {
        if let Ok(d) = PhiDetector::new(est, &p) {
            dets.push(Box::new(d));
            kept.push((p, est));
        }
    }
    let results = evaluate_all(dets, streams, opt);
    let all: Vec<(Params, Estimator, DetectorResult)> =
        kept.into_iter().zip(results).map(|((p, e), r)| (p, e, r)).collect();
    let best = pick(&all, goal);
    (best, all)
}

/// The best level of the evaluated candidates `all` under `goal` (the choice of
/// [`tune`]; ties in the score go to the smaller mean T_D). None if no level meets
/// the bound.
pub fn pick(all: &[(Params, Estimator, DetectorResult)], goal: Goal) -> Option<Recommendation> {
    let mut best: Option<Recommendation> = None;
    for (p, est, r) in all {
        for l in &r.levels {
            if !l.t_d[0].is_finite() || !l.lambda_m.is_finite() {
                continue;
            }
            let (meets, score) = match goal {
                Goal::MaxMistakeRate(m) => (l.lambda_m <= m, l.t_d[0]),
                Goal::MaxDetectionTime(t) => (l.t_d[0] <= t, l.lambda_m),
            };
            let better = best.as_ref().is_none_or(|b| {
                let bs = match goal {
                    Goal::MaxMistakeRate(_) => b.metrics.t_d[0],
                    Goal::MaxDetectionTime(_) => b.metrics.lambda_m,
                };
                score < bs || (score == bs && l.t_d[0] < b.metrics.t_d[0])
            });
            if meets && better {
                best = Some(Recommendation {
                    estimator: *est,
                    threshold: l.level,
                    window: p.window,
                    interval_ns: p.interval_ns,
                    min_sd_ns: p.min_sd_ns,
                    metrics: l.clone(),
                });
            }
        }
    }
    best
}

fn go_dur(ns: u64) -> String {
    if ns % 1_000_000 == 0 {
        format!("{} * time.Millisecond", ns / 1_000_000)
    } else if ns % 1_000 == 0 {
        format!("{} * time.Microsecond", ns / 1_000)
    } else {
        format!("{ns} * time.Nanosecond")
    }
}

/// The configuration in C, Python and Go (the bindings' exact API names).
pub fn snippets(r: &Recommendation) -> String {
    let (c_est, py_est, go_est) = match r.estimator {
        Estimator::Akka => ("PHIFD_ESTIMATOR_AKKA", "Estimator.AKKA", "phifd.EstimatorAkka"),
        Estimator::Normal => ("PHIFD_ESTIMATOR_NORMAL", "Estimator.NORMAL", "phifd.EstimatorNormal"),
        Estimator::Exponential => (
            "PHIFD_ESTIMATOR_EXPONENTIAL",
            "Estimator.EXPONENTIAL",
            "phifd.EstimatorExponential",
        ),
    };
    let th = r.threshold;
    let mut o = String::new();
    let _ = writeln!(o, "C:");
    let _ = writeln!(o, "    struct phifd_config *cfg;");
    let _ = writeln!(o, "    phifd_config_new(&cfg);");
    let _ = writeln!(o, "    phifd_config_set_estimator(cfg, {c_est});");
    let _ = writeln!(o, "    phifd_config_set_threshold(cfg, {th:?});");
    let _ = writeln!(o, "    phifd_config_set_window(cfg, {});", r.window);
    let _ = writeln!(o, "    phifd_config_set_heartbeat_interval_ns(cfg, {});", r.interval_ns);
    if let Some(sd) = r.min_sd_ns {
        let _ = writeln!(o, "    phifd_config_set_min_std_deviation_ns(cfg, {sd});");
    }
    let _ = writeln!(o, "    struct phifd_monitor *m;");
    let _ = writeln!(o, "    phifd_monitor_new(cfg, &m);");
    let _ = writeln!(o, "    phifd_config_free(cfg);");
    let _ = writeln!(o, "\nPython:");
    let _ = writeln!(o, "    from phifd import Config, Estimator, Monitor");
    let sd = r
        .min_sd_ns
        .map_or(String::new(), |s| format!(", min_std_deviation_ns={s}"));
    let _ = writeln!(
        o,
        "    m = Monitor(Config(estimator={py_est}, threshold={th:?}, window={}, heartbeat_interval_ns={}{sd}))",
        r.window, r.interval_ns
    );
    let _ = writeln!(o, "\nGo:");
    let _ = write!(
        o,
        "    cfg := phifd.NewConfig().SetEstimator({go_est}).SetThreshold({th:?}).SetWindow({}).SetHeartbeatInterval({})",
        r.window,
        go_dur(r.interval_ns)
    );
    if let Some(s) = r.min_sd_ns {
        let _ = write!(o, ".SetMinStdDeviation({})", go_dur(s));
    }
    let _ = writeln!(o, "\n    m, err := phifd.NewMonitor(cfg)");
    o
}
