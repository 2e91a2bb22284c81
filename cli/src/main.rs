//! `phifd`: simulate, record, convert, inspect, evaluate and tune heartbeat
//! traces for the phifd failure detector. Run `phifd --help`.

use clap::{Args, Parser, Subcommand};
use phifd_cli::detect::{self, Params};
use phifd_cli::eval::{self, EvalOptions};
use phifd_cli::sim::{self, Delay, Loss, Model, Pauses};
use phifd_cli::svg::{Chart, Series};
use phifd_cli::trace::{Stream, Trace};
use phifd_cli::{parse_duration, qos, record, report, stats, tune};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "phifd",
    version,
    about = "Simulate, record, evaluate and tune phi-accrual failure detectors on heartbeat traces",
    long_about = "Simulate, record, evaluate and tune phi-accrual failure detectors on heartbeat traces.\n\n\
Traces are CSV files `seq,send_ns,recv_ns` (optional `node` column, `#crash,<node>,<time_ns>` markers); see docs/trace-format.md. \
Files ending in .gz are read and written gzip-compressed; `-` is standard input/output. \
Durations take units: 250us, 100ms, 1.5s, 10m, 2h, 7d (a bare number is seconds)."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate a seeded synthetic trace for a scenario.
    Simulate(SimArgs),
    /// Convert another log format into a trace (adding a network model).
    Convert {
        #[command(subcommand)]
        what: ConvertCmd,
    },
    /// Print a trace's statistics (optionally against the published WAN trace).
    Stats(StatsArgs),
    /// Capture a trace from UDP heartbeat datagrams (phifd's 56-byte heartbeat format, or with --key-file the 68-byte authenticated one).
    Record(RecordArgs),
    /// Send UDP heartbeat datagrams (for trying `record`).
    Send(SendArgs),
    /// Replay traces through every detector and report quality metrics.
    Eval(EvalArgs),
    /// Recommend phifd settings meeting a bound on mistake rate or detection time.
    Tune(TuneArgs),
}

#[derive(Args)]
struct SimArgs {
    /// Scenario: lan (sub-millisecond jitter, 0.01 % independent loss); wan (calibrated to the published
    /// JAIST-EPFL trace: 100 ms target, 103.5 ms actual send period, 135.1 ms + lognormal 6.55 +- 19.3 ms delay,
    /// ~0.4 % loss in bursts from single losses to ~2 minutes); sender-gc (lan + sender stalls every ~30 s,
    /// ~400 ms); monitor-pause (lan + monitor pauses every ~30 s, ~500 ms: arrivals held, then delivered in a burst);
    /// regime-shift (lan delay, then 40 ms + 10 +- 20 ms after --shift-at); burst-loss (lan + Gilbert-Elliott loss);
    /// crash (lan, the sender stops at --crash-at); mixed (a cluster on different networks, node column always
    /// written: node k gets the profile lan, lan, wan, wan, sender-gc, burst-loss for k = 1..6, cycled beyond 6;
    /// each peer draws from its own seeded stream; the options below apply to every peer).
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(sim::SCENARIOS.iter().chain(sim::CLUSTER_SCENARIOS)))]
    scenario: String,
    /// Random seed: the same seed and options give the same trace.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated time.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    duration: u64,
    /// Nominal heartbeat interval (the sender's timer).
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    interval: u64,
    /// Number of senders (node ids 1..=N, written with a node column when > 1; default 1, mixed: 6).
    #[arg(long)]
    nodes: Option<u32>,
    /// Output file (.gz compresses; - for stdout).
    #[arg(short, long, default_value = "-")]
    output: PathBuf,
    /// Actual mean send period (default: the interval; wan: 1.035 x interval).
    #[arg(long, value_parser = parse_duration)]
    period: Option<u64>,
    /// Send-period jitter sd (default lan 20us, wan 0.19ms).
    #[arg(long, value_parser = parse_duration)]
    send_sd: Option<u64>,
    /// Minimum one-way delay (lan 150us, wan 135.1ms).
    #[arg(long, value_parser = parse_duration)]
    delay_base: Option<u64>,
    /// Mean of the lognormal delay excess over the base (lan 50us, wan 6.55ms).
    #[arg(long, value_parser = parse_duration)]
    delay_mean: Option<u64>,
    /// Sd of the delay excess (lan 50us, wan 19.3ms).
    #[arg(long, value_parser = parse_duration)]
    delay_sd: Option<u64>,
    /// Correlation of consecutive delays in [0,1) (lan 0.5, wan 0.9).
    #[arg(long)]
    delay_rho: Option<f64>,
    /// Independent loss probability per heartbeat (replaces the scenario's loss model).
    #[arg(long)]
    loss: Option<f64>,
    /// sender-gc: mean time between sender stalls.
    #[arg(long, value_parser = parse_duration)]
    stall_every: Option<u64>,
    /// sender-gc: mean stall length (lognormal, sd = mean/2, capped at 3 s).
    #[arg(long, value_parser = parse_duration)]
    stall_mean: Option<u64>,
    /// monitor-pause: mean time between monitor pauses.
    #[arg(long, value_parser = parse_duration)]
    pause_every: Option<u64>,
    /// monitor-pause: mean pause length (lognormal, sd = mean/2, capped at 3 s).
    #[arg(long, value_parser = parse_duration)]
    pause_mean: Option<u64>,
    /// regime-shift: when the delay changes, as a fraction of the duration (default 0.5).
    #[arg(long)]
    shift_at: Option<f64>,
    /// burst-loss: good-to-bad transition probability per heartbeat (default 0.001).
    #[arg(long)]
    p_gb: Option<f64>,
    /// burst-loss: bad-to-good transition probability per heartbeat (default 0.1: bursts of 10 on average).
    #[arg(long)]
    p_bg: Option<f64>,
    /// crash: when the sender stops, as a fraction of the duration (default 0.8).
    #[arg(long)]
    crash_at: Option<f64>,
}

#[derive(Subcommand)]
enum ConvertCmd {
    /// PlanetLab sender log (`numseq,timestamp_start_send,timestamp_end_send`, ns) to a trace:
    /// send_ns = timestamp_start_send; receive times and losses drawn from the network model.
    Planetlab {
        /// The sender log (.gz accepted).
        file: PathBuf,
        /// Delay model: wan | lan | const:<ms> | lognormal:<base_ms>,<mean_ms>,<sd_ms>[,<rho>].
        #[arg(long, default_value = "wan")]
        delay: String,
        /// Loss model: wan | none | p:<probability> | ge:<p_gb>,<p_bg>.
        #[arg(long, default_value = "wan")]
        loss: String,
        /// Random seed of the network model.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (.gz compresses; - for stdout).
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
    },
}

#[derive(Args)]
struct StatsArgs {
    /// The trace.
    trace: PathBuf,
    /// Compare with published statistics: `wan` (JAIST-EPFL, Hayashibara et al. 2004).
    #[arg(long, value_parser = ["wan"])]
    compare: Option<String>,
    /// Exit with status 1 if a compared statistic is outside its tolerance.
    #[arg(long)]
    strict: bool,
}

#[derive(Args)]
struct RecordArgs {
    /// UDP address to listen on, e.g. 0.0.0.0:7946.
    #[arg(long)]
    listen: String,
    /// Stop after this many valid heartbeats.
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this long.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<u64>,
    /// Output file (.gz compresses; - for stdout).
    #[arg(short, long, default_value = "-")]
    output: PathBuf,
    #[command(flatten)]
    key: KeyArgs,
}

#[derive(Args)]
struct KeyArgs {
    /// Shared key file: its raw bytes, 16 to 64 of them, are the key (make one with `head -c 32 /dev/urandom > cluster.key`).
    /// send signs every heartbeat (68-byte authenticated datagrams, docs/security.md); record keeps only datagrams that verify
    /// and reports how many it rejected.
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Key id the key is known by (send puts it in every datagram; record accepts only this id). Needs --key-file.
    #[arg(long, requires = "key_file", default_value_t = record::DEFAULT_KEY_ID)]
    key_id: u32,
}

impl KeyArgs {
    /// The keyring of `--key-file`/`--key-id`, or `None` without a key file.
    fn keyring(&self) -> Result<Option<phifd::auth::Keyring>, String> {
        match &self.key_file {
            None => Ok(None),
            Some(p) => record::read_key_file(p)
                .and_then(|k| record::keyring(self.key_id, &k))
                .map(Some),
        }
    }
}

#[derive(Args)]
struct SendArgs {
    /// Destination UDP address.
    #[arg(long)]
    to: String,
    /// Node id to put in the datagrams.
    #[arg(long, default_value_t = 1)]
    node: u64,
    /// Heartbeats to send.
    #[arg(long, default_value_t = 100)]
    count: u64,
    /// Interval between heartbeats.
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    interval: u64,
    #[command(flatten)]
    key: KeyArgs,
}

#[derive(Args, Clone)]
struct ReplayArgs {
    /// Nominal heartbeat interval for the detectors (the library's heartbeat_interval_ns; default: guessed from the trace).
    #[arg(long, value_parser = parse_duration)]
    interval: Option<u64>,
    /// Crash instants injected per stream to measure T_D.
    #[arg(long, default_value_t = 1000)]
    crashes: usize,
    /// Seed of the crash instants.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Ignore mistakes and crashes in the first part of each stream.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    warmup: u64,
    /// Worker threads (default: the number of CPUs).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Args)]
struct EvalArgs {
    /// Traces (their streams are pooled).
    #[arg(required = true)]
    traces: Vec<PathBuf>,
    #[command(flatten)]
    replay: ReplayArgs,
    /// Detectors, comma-separated: akka, normal, exponential, chen, 2w-fd, timeout.
    #[arg(
        long,
        default_value = "akka,normal,exponential,chen,2w-fd,timeout",
        value_delimiter = ','
    )]
    detectors: Vec<String>,
    /// Window length of the phi estimators and of Chen's (and 2W-FD's long) window.
    #[arg(long, default_value_t = 1000)]
    window: u32,
    /// 2W-FD's short window.
    #[arg(long, default_value_t = 1)]
    short_window: u32,
    /// min_std_deviation_ns of the phi estimators (default: the library's, interval/4).
    #[arg(long, value_parser = parse_duration)]
    min_sd: Option<u64>,
    /// acceptable_pause_ns of the phi estimators.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    acceptable_pause: u64,
    /// Phi thresholds of the sweep, comma-separated (default 0.5,1,2,...,16).
    #[arg(long, value_delimiter = ',')]
    phi_levels: Option<Vec<f64>>,
    /// Print JSON instead of the table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV instead of the table.
    #[arg(long)]
    csv: bool,
    /// Write the frontier chart (lambda_M versus mean T_D of every detector) to this SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Write the phi-over-time chart to this SVG file (see --window-from/--window-to).
    #[arg(long)]
    phi_svg: Option<PathBuf>,
    /// Start of the phi-over-time window, relative to the first arrival of the stream.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    window_from: u64,
    /// End of the phi-over-time window, relative to the first arrival (default: from + 60 s).
    #[arg(long, value_parser = parse_duration)]
    window_to: Option<u64>,
    /// Estimator of the phi-over-time chart.
    #[arg(long, default_value = "akka", value_parser = ["akka", "normal", "exponential"])]
    phi_estimator: String,
    /// Threshold of the phi-over-time chart (its transitions are marked).
    #[arg(long, default_value_t = 8.0)]
    phi_threshold: f64,
    /// Node of the phi-over-time chart (default: the first).
    #[arg(long)]
    node: Option<u64>,
    /// Published lambda_M/T_D points to draw on the frontier chart (CSV detector,detection_time_s,mistake_rate_per_s).
    #[arg(long)]
    published: Option<PathBuf>,
    /// Write a self-contained HTML report (tables and inline SVGs) and the SVGs into this directory.
    #[arg(long)]
    report: Option<PathBuf>,
    /// QoS targets T_D,T_MR[,T_M] (durations with units, e.g. 500ms,1h or 500ms,1h,2s): instead of the detector
    /// sweep, replay each trace through one phifd monitor configured with these targets and report requested versus
    /// achieved per node (lambda_M with its Poisson 95 % interval, T_D, T_M, the library's feasibility reports).
    /// Repeat the option for several levels. --json prints JSON; --svg needs --qos-compare.
    #[arg(long, action = clap::ArgAction::Append, conflicts_with_all = ["csv", "report", "phi_svg"])]
    qos: Vec<String>,
    /// Estimator of the QoS monitor.
    #[arg(long, default_value = "akka", value_parser = ["akka", "normal", "exponential"])]
    qos_estimator: String,
    /// QoS reports taken per node during a --qos replay, evenly spaced over its arrivals (the last at its last arrival).
    #[arg(long, default_value_t = 8)]
    qos_checkpoints: usize,
    /// With --qos: also evaluate phifd tune's global-threshold candidates on the same trace and give the mean T_D the
    /// best of them needs, chosen with hindsight, at the mistake rate the QoS monitor achieved (--svg then writes
    /// that comparison chart).
    #[arg(long, requires = "qos")]
    qos_compare: bool,
    /// The QoS monitor's warm-up (the library's qos_warmup_ns): how long a node's deadline is held towards the T_D bound
    /// before it rests on the node's history alone. Default: the library's, min(T_MR, 1 h); 0 = none. (Not --warmup,
    /// which leaves the start of each stream out of the counts.)
    #[arg(long, value_parser = parse_duration, requires = "qos")]
    qos_warmup: Option<u64>,
}

#[derive(Args)]
struct TuneArgs {
    /// The trace.
    trace: PathBuf,
    #[command(flatten)]
    replay: ReplayArgs,
    /// Upper bound on the mistake rate lambda_M (1/s); the recommendation minimises mean T_D.
    #[arg(
        long,
        required_unless_present = "max_detection_time",
        conflicts_with = "max_detection_time"
    )]
    max_mistake_rate: Option<f64>,
    /// Upper bound on the mean detection time T_D; the recommendation minimises lambda_M.
    #[arg(long, value_parser = parse_duration)]
    max_detection_time: Option<u64>,
    /// Window lengths to search, comma-separated.
    #[arg(long, default_value = "1000", value_delimiter = ',')]
    windows: Vec<u32>,
    /// Also emit QoS targets (T_D, T_MR) meeting the bound, for a monitor that derives each node's deadline from them,
    /// with what they achieve on this trace (replayed through a phifd monitor with the first --windows window).
    #[arg(long)]
    qos: bool,
    /// Estimator of the QoS monitor (with --qos).
    #[arg(long, default_value = "akka", value_parser = ["akka", "normal", "exponential"], requires = "qos")]
    qos_estimator: String,
    /// With --qos and --max-mistake-rate: headroom added to the slowest node's best achievable T_D, as a fraction.
    #[arg(long, default_value_t = 0.1, requires = "qos")]
    qos_margin: f64,
}

fn tty() -> bool {
    std::io::stderr().is_terminal()
}

fn progress(label: &str, done: usize, total: usize) {
    if tty() {
        let w = 30;
        let f = if total == 0 { w } else { done * w / total };
        eprint!("\r{label} [{}{}] {done}/{total}", "#".repeat(f), " ".repeat(w - f));
        if done == total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

fn load(paths: &[PathBuf]) -> Result<Vec<Stream>, String> {
    let mut streams = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        progress("reading", i, paths.len());
        let t = Trace::read_path(p).map_err(|e| e.to_string())?;
        streams.extend(t.streams());
    }
    progress("reading", paths.len(), paths.len());
    if streams.iter().all(|s| s.recv.len() < 2) {
        return Err("the traces hold fewer than two received heartbeats per node: nothing to evaluate".into());
    }
    Ok(streams)
}

fn eval_opts(r: &ReplayArgs) -> EvalOptions {
    let mut o = EvalOptions {
        crashes: r.crashes,
        seed: r.seed,
        warmup_ns: r.warmup,
        ..EvalOptions::default()
    };
    if let Some(t) = r.threads {
        o.threads = t.max(1);
    }
    o
}

fn write_file(p: &PathBuf, s: &str) -> Result<(), String> {
    std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()))
}

fn simulate(a: SimArgs) -> Result<(), String> {
    if sim::CLUSTER_SCENARIOS.contains(&a.scenario.as_str()) {
        let nodes = a.nodes.unwrap_or(sim::MIXED_PEERS.len() as u32);
        if nodes == 0 {
            return Err("--nodes must be at least 1".into());
        }
        let mut models = sim::cluster_models(&a.scenario, a.interval as f64, nodes).ok_or("unknown scenario")?;
        for (_, m) in models.iter_mut() {
            apply_overrides(m, &a)?;
        }
        let refs: Vec<&Model> = models.iter().map(|x| &x.1).collect();
        let pauses = models.iter().find_map(|x| x.1.monitor_pauses);
        let t = sim::generate_nodes(&refs, pauses, a.seed, a.duration, true);
        return t.write_path(&a.output).map_err(|e| e.to_string());
    }
    let mut m = Model::scenario(&a.scenario, a.interval as f64).ok_or("unknown scenario")?;
    apply_overrides(&mut m, &a)?;
    let t = sim::generate(&m, a.seed, a.duration, a.nodes.unwrap_or(1));
    t.write_path(&a.output).map_err(|e| e.to_string())
}

/// Applies the scenario options of `a` (period, jitter, delay, loss, stalls, pauses, shift,
/// Gilbert-Elliott, crash) to `m`. Errors: a loss that is not a probability.
fn apply_overrides(m: &mut Model, a: &SimArgs) -> Result<(), String> {
    if let Some(p) = a.period {
        m.period_ns = p as f64;
    }
    if let Some(s) = a.send_sd {
        m.send_sd_ns = s as f64;
    }
    let patch = |d: &mut Delay| {
        if let Some(v) = a.delay_base {
            d.base_ns = v as f64
        }
        if let Some(v) = a.delay_mean {
            d.excess_mean_ns = v as f64
        }
        if let Some(v) = a.delay_sd {
            d.excess_sd_ns = v as f64
        }
        if let Some(v) = a.delay_rho {
            d.rho = v.clamp(0.0, 0.999)
        }
    };
    patch(&mut m.delay);
    if let Some(p) = a.loss {
        if !(0.0..=1.0).contains(&p) {
            return Err("--loss must be a probability".into());
        }
        m.loss = Loss::Independent(p);
    }
    patch_pauses(&mut m.sender_stalls, a.stall_every, a.stall_mean, 400_000_000);
    patch_pauses(&mut m.monitor_pauses, a.pause_every, a.pause_mean, 500_000_000);
    if let (Some(f), Some(sh)) = (a.shift_at, m.shift.as_mut()) {
        sh.0 = f.clamp(0.0, 1.0);
    }
    if let Loss::GilbertElliott { p_gb, p_bg, .. } = &mut m.loss {
        if let Some(v) = a.p_gb {
            *p_gb = v
        }
        if let Some(v) = a.p_bg {
            *p_bg = v
        }
    }
    if let Some(c) = a.crash_at {
        m.crash_at = Some(c.clamp(0.0, 1.0));
    }
    Ok(())
}

fn parse_floats(s: &str) -> Result<Vec<f64>, String> {
    s.split(',')
        .map(|x| x.trim().parse::<f64>().map_err(|_| format!("bad number {x:?}")))
        .collect()
}

fn network_model(delay: &str, loss: &str) -> Result<Model, String> {
    let mut m = Model::scenario("lan", 100e6).ok_or("internal")?;
    m.delay = match delay.split_once(':') {
        None if delay == "wan" => sim::WAN_DELAY,
        None if delay == "lan" => sim::LAN_DELAY,
        Some(("const", v)) => Delay {
            base_ns: parse_floats(v)?[0] * 1e6,
            excess_mean_ns: 0.0,
            excess_sd_ns: 0.0,
            rho: 0.0,
            excess_max_ns: 0.0,
        },
        Some(("lognormal", v)) => {
            let p = parse_floats(v)?;
            if p.len() < 3 {
                return Err("lognormal:<base_ms>,<mean_ms>,<sd_ms>[,<rho>]".into());
            }
            Delay {
                base_ns: p[0] * 1e6,
                excess_mean_ns: p[1] * 1e6,
                excess_sd_ns: p[2] * 1e6,
                rho: p.get(3).copied().unwrap_or(0.0).clamp(0.0, 0.999),
                excess_max_ns: f64::INFINITY,
            }
        }
        _ => return Err(format!("unknown delay model {delay:?}")),
    };
    m.loss = match loss.split_once(':') {
        None if loss == "wan" => Loss::Wan {
            start_p: sim::WAN_BURST_START,
        },
        None if loss == "none" => Loss::Independent(0.0),
        Some(("p", v)) => Loss::Independent(parse_floats(v)?[0]),
        Some(("ge", v)) => {
            let p = parse_floats(v)?;
            if p.len() < 2 {
                return Err("ge:<p_gb>,<p_bg>".into());
            }
            Loss::GilbertElliott {
                p_gb: p[0],
                p_bg: p[1],
                loss_bad: 1.0,
            }
        }
        _ => return Err(format!("unknown loss model {loss:?}")),
    };
    Ok(m)
}

/// Applies `--stall-every/--stall-mean` or `--pause-every/--pause-mean` (ns)
/// to a scenario's pauses: overrides its values, or, when the scenario has
/// none and either option is given, adds pauses every 30 s (by default) of
/// `default_mean_ns` on average, capped at 3 s.
fn patch_pauses(p: &mut Option<Pauses>, every: Option<u64>, mean: Option<u64>, default_mean_ns: u64) {
    if let Some(s) = p.as_mut() {
        if let Some(v) = every {
            s.every_ns = v as f64
        }
        if let Some(v) = mean {
            s.mean_ns = v as f64
        }
    } else if every.is_some() || mean.is_some() {
        *p = Some(Pauses {
            every_ns: every.unwrap_or(30_000_000_000) as f64,
            mean_ns: mean.unwrap_or(default_mean_ns) as f64,
            max_ns: 3e9,
        });
    }
}

fn convert(c: ConvertCmd) -> Result<(), String> {
    let ConvertCmd::Planetlab {
        file,
        delay,
        loss,
        seed,
        output,
    } = c;
    let m = network_model(&delay, &loss)?;
    let r = phifd_cli::trace::open(&file).map_err(|e| e.to_string())?;
    let mut sends = Vec::new();
    for (i, line) in std::io::BufRead::lines(r).enumerate() {
        let line = line.map_err(|e| e.to_string())?;
        if i == 0 || line.trim().is_empty() {
            if i == 0 && !line.starts_with("numseq") {
                return Err(format!(
                    "{}: expected the header numseq,timestamp_start_send,timestamp_end_send",
                    file.display()
                ));
            }
            continue;
        }
        let mut p = line.split(',');
        let (Some(a), Some(b)) = (p.next(), p.next()) else {
            return Err(format!("line {}: too few fields", i + 1));
        };
        let seq = a
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("line {}: bad numseq", i + 1))?;
        let t = b
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("line {}: bad timestamp_start_send", i + 1))?;
        sends.push((seq, t));
    }
    let t = sim::apply_network(&sends, &m, seed);
    t.write_path(&output).map_err(|e| e.to_string())
}

fn print_stats(a: StatsArgs) -> Result<bool, String> {
    let t = Trace::read_path(&a.trace).map_err(|e| e.to_string())?;
    let s = stats::compute(&t);
    println!("heartbeats sent        {}", s.sent);
    println!("received               {}", s.received);
    println!("loss                   {:.4} %", s.loss * 100.0);
    println!(
        "loss bursts            {} ({:.1} per million sent; {:.1} % single; {} longer than 25)",
        s.bursts,
        s.bursts_per_million,
        s.single_share * 100.0,
        s.bursts_over_25
    );
    println!("longest bursts         {:?}", s.longest);
    println!(
        "send interval (ms)     mean {:.3}  sd {:.3}  max {:.3}",
        s.send_interval[0], s.send_interval[1], s.send_interval[2]
    );
    println!(
        "inter-arrival (ms)     mean {:.3}  sd {:.3}  max {:.3}",
        s.inter_arrival[0], s.inter_arrival[1], s.inter_arrival[2]
    );
    println!(
        "one-way delay (ms)     mean {:.3}  sd {:.3}  min {:.3}  max {:.3}",
        s.delay[0], s.delay[1], s.delay[2], s.delay[3]
    );
    println!("span                   {:.1} s", s.duration_s);
    println!("crash markers          {}", s.crashes);
    let mut all_ok = true;
    if a.compare.is_some() {
        println!(
            "\n{:<30} {:>12} {:>12} {:>10} {:>10}  source",
            "compared with JAIST-EPFL", "this trace", "published", "deviation", "tolerance"
        );
        for c in stats::compare_wan(&s) {
            all_ok &= c.ok();
            println!(
                "{:<30} {:>12.4} {:>12.4} {:>+9.1}% {:>9.0}%  {}{}",
                c.name,
                c.ours,
                c.published,
                c.deviation() * 100.0,
                c.tolerance * 100.0,
                c.source,
                if c.ok() { "" } else { "  OUTSIDE" }
            );
        }
        println!("(tolerances apply to wan traces of at least 3 simulated days; the longest published bursts were 495, 503, 621, 819, 1093 in one week)");
    }
    Ok(all_ok || !a.strict)
}

fn do_record(a: RecordArgs) -> Result<(), String> {
    let keyring = a.key.keyring()?;
    let sock = std::net::UdpSocket::bind(&a.listen).map_err(|e| format!("{}: {e}", a.listen))?;
    let bounds = record::Bounds {
        count: a.count,
        duration: a.duration.map(std::time::Duration::from_nanos),
    };
    let total = a.count.unwrap_or(0) as usize;
    let r = record::record_with(&sock, bounds, keyring.as_ref(), |n| {
        if total > 0 {
            progress("recording", n as usize, total)
        } else if tty() {
            eprint!("\rrecording {n} heartbeats")
        }
    })
    .map_err(|e| e.to_string())?;
    if tty() {
        eprintln!();
    }
    eprintln!(
        "recorded {} rows ({} ignored datagrams, {} duplicates)",
        r.trace.rows.len(),
        r.ignored,
        r.duplicates
    );
    if keyring.is_some() {
        eprintln!(
            "rejected {} unauthenticated datagrams ({} bad MAC, {} unknown key id)",
            r.rejected_auth(),
            r.bad_mac,
            r.unknown_key
        );
    }
    r.trace.write_path(&a.output).map_err(|e| e.to_string())
}

fn params_for(streams: &[Stream], r: &ReplayArgs) -> Result<Params, String> {
    let iv = match r.interval {
        Some(i) => i,
        None => phifd_cli::guess_interval(streams).ok_or("cannot guess the heartbeat interval: give --interval")?,
    };
    Ok(Params::new(iv))
}

fn estimator_named(name: &str) -> phifd::Estimator {
    match name {
        "normal" => phifd::Estimator::Normal,
        "exponential" => phifd::Estimator::Exponential,
        _ => phifd::Estimator::Akka,
    }
}

/// `eval --qos`: each trace on its own monitor, every target level, optionally the
/// hindsight global-threshold comparison.
fn run_eval_qos(a: EvalArgs) -> Result<(), String> {
    let levels: Vec<qos::Targets> = a.qos.iter().map(|q| qos::parse_targets(q)).collect::<Result<_, _>>()?;
    if a.svg.is_some() && !a.qos_compare {
        return Err("--svg with --qos draws the global-threshold comparison: add --qos-compare".into());
    }
    if a.svg.is_some() && a.traces.len() > 1 {
        return Err("--svg with --qos draws one trace: give one trace (or leave out --svg)".into());
    }
    let est = estimator_named(&a.qos_estimator);
    let opt = eval_opts(&a.replay);
    let mut json_parts = Vec::new();
    let mut chart_points: Vec<(String, f64, f64)> = Vec::new();
    let mut envelope = Vec::new();
    let mut floor_h = f64::INFINITY;
    for path in &a.traces {
        let t0 = Instant::now();
        let streams = load(std::slice::from_ref(path))?;
        let mut p = params_for(&streams, &a.replay)?;
        p.window = a.window;
        p.min_sd_ns = a.min_sd;
        p.acceptable_pause_ns = a.acceptable_pause;
        let arrivals: usize = streams.iter().map(|s| s.recv.len()).sum();
        let name = path.display().to_string();
        let candidates = if a.qos_compare {
            let goal = tune::Goal::MaxMistakeRate(f64::INFINITY);
            Some(tune::tune(&streams, p.interval_ns, &[p.window], goal, &opt).1)
        } else {
            None
        };
        if !a.json {
            println!(
                "{name}: {} nodes, {arrivals} arrivals; monitor: estimator {}, heartbeat interval {} ms, window {}, {} injected crashes per node (seed {})",
                streams.len(),
                est.name(),
                p.interval_ns as f64 / 1e6,
                p.window,
                opt.crashes,
                opt.seed
            );
        }
        for (li, t) in levels.iter().enumerate() {
            let o = qos::QosOptions {
                targets: Some(*t),
                estimator: est,
                params: p.clone(),
                eval: opt.clone(),
                checkpoints: a.qos_checkpoints,
                qos_warmup_ns: a.qos_warmup,
            };
            let t1 = Instant::now();
            let r = qos::replay(&streams, &o)?;
            let sum = qos::summarise(&r);
            eprintln!(
                "{name}: --qos {} replayed in {:.2} s",
                a.qos[li],
                t1.elapsed().as_secs_f64()
            );
            let cmp = candidates
                .as_ref()
                .map(|c| qos::global_at(c, sum.lambda_per_h / 3600.0));
            if a.json {
                let mut extra = String::new();
                if let Some(g) = &cmp {
                    let pick = g.pick.as_ref().map_or("null".into(), |b| {
                        format!(
                            "{{\"estimator\": \"{}\", \"threshold\": {}, \"min_sd_ns\": {}, \"lambda_m_per_h\": {}, \"t_d_mean_s\": {}}}",
                            b.estimator.name(),
                            b.threshold,
                            b.min_sd_ns.map_or("null".into(), |v| v.to_string()),
                            b.metrics.lambda_m * 3600.0,
                            b.metrics.t_d[0]
                        )
                    });
                    extra = format!(
                        "\"global_at_equal_lambda\": {{\"t_d_mean_s\": {}, \"candidate\": \"{}\", \"tune_pick\": {pick}}}",
                        report::jnum(g.td_mean_s),
                        g.label
                    );
                }
                let j = qos::json(&name, &r, t, &extra);
                json_parts.push(j);
            } else {
                println!();
                print!("{}", qos::table(&format!("--qos {}", a.qos[li]), &r, t));
                if let Some(g) = &cmp {
                    println!(
                        "best global threshold at lambda_M <= {:.4}/h (hindsight, phifd tune's candidates): T_D mean {} s ({}); QoS / global = {}",
                        sum.lambda_per_h,
                        if g.td_mean_s.is_finite() { format!("{:.3}", g.td_mean_s) } else { "-".into() },
                        g.label,
                        if g.td_mean_s.is_finite() && sum.t_d_s.0.is_finite() {
                            format!("{:.3}", sum.t_d_s.0 / g.td_mean_s)
                        } else {
                            "-".into()
                        }
                    );
                    if let Some(b) = &g.pick {
                        println!(
                            "  phifd tune's pick at that rate: {} threshold {} (sd floor {}): lambda_M {:.4}/h, T_D mean {:.3} s",
                            b.estimator.name(),
                            b.threshold,
                            b.min_sd_ns.map_or("interval/4".into(), |v| format!("{:.1} ms", v as f64 / 1e6)),
                            b.metrics.lambda_m * 3600.0,
                            b.metrics.t_d[0]
                        );
                    }
                }
            }
            if sum.observed_h > 0.0 {
                floor_h = floor_h.min(0.5 / sum.observed_h);
            }
            chart_points.push((format!("QoS {}", a.qos[li]), sum.t_d_s.0, sum.lambda_per_h / 3600.0));
        }
        if let Some(c) = &candidates {
            envelope = qos::global_envelope(c);
        }
        eprintln!("{name}: {:.2} s in all", t0.elapsed().as_secs_f64());
    }
    if a.json {
        print!("[\n{}]\n", json_parts.join(",\n"));
    }
    if let Some(f) = &a.svg {
        let floor = if floor_h.is_finite() { floor_h } else { 1e-3 };
        let title = format!("QoS monitor versus the best global threshold (a rate of 0 drawn at {floor:.3}/h)");
        let requested: Vec<(f64, String)> = levels
            .iter()
            .zip(&a.qos)
            .map(|(t, q)| (t.lambda_per_hour(), format!("requested by {q}")))
            .collect();
        let chart = qos::comparison_chart(&title, &envelope, &chart_points, &requested, floor);
        write_file(f, &chart.render(860.0, 520.0))?;
    }
    Ok(())
}

fn run_eval(a: EvalArgs) -> Result<(), String> {
    if !a.qos.is_empty() {
        return run_eval_qos(a);
    }
    let t0 = Instant::now();
    let streams = load(&a.traces)?;
    let t_load = t0.elapsed();
    let mut p = params_for(&streams, &a.replay)?;
    p.window = a.window;
    p.short_window = a.short_window;
    p.min_sd_ns = a.min_sd;
    p.acceptable_pause_ns = a.acceptable_pause;
    p.phi_levels = a.phi_levels.clone();
    let mut dets = Vec::new();
    for d in &a.detectors {
        dets.push(detect::build(d.trim(), &p)?);
    }
    let n_det = dets.len();
    progress("evaluating", 0, n_det);
    let opt = eval_opts(&a.replay);
    let t1 = Instant::now();
    let results = eval::evaluate_all(dets, &streams, &opt);
    let t_eval = t1.elapsed();
    progress("evaluating", n_det, n_det);
    let heartbeats: usize = streams.iter().map(|s| s.recv.len()).sum();
    eprintln!(
        "{} streams, {} arrivals; read {:.2} s, replay {:.2} s ({} detectors, {} threads)",
        streams.len(),
        heartbeats,
        t_load.as_secs_f64(),
        t_eval.as_secs_f64(),
        n_det,
        opt.threads
    );
    let names: Vec<String> = a.traces.iter().map(|p| p.display().to_string()).collect();
    let meta: Vec<(&str, String)> = vec![
        ("traces", names.join(" ")),
        ("streams", streams.len().to_string()),
        ("arrivals", heartbeats.to_string()),
        ("interval_ns", p.interval_ns.to_string()),
        ("window", p.window.to_string()),
        (
            "min_sd_ns",
            p.min_sd_ns
                .map_or("library default (interval/4)".into(), |v| v.to_string()),
        ),
        ("crashes_per_stream", opt.crashes.to_string()),
        ("seed", opt.seed.to_string()),
        ("phifd", phifd::VERSION.to_string()),
    ];
    if a.json {
        print!("{}", report::json(&results, &meta));
    } else if a.csv {
        print!("{}", report::csv(&results));
    } else {
        print!("{}", report::table(&results));
        println!();
        print!("{}", report::equal_rate_table(&results));
    }
    let published = match &a.published {
        Some(p) => report::published_series(&std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => Vec::new(),
    };
    let frontier =
        report::frontier_chart("Mistake rate versus detection time", &results, published).render(860.0, 520.0);
    let want_phi = a.phi_svg.is_some() || a.report.is_some();
    let phi_svg = if want_phi {
        Some(phi_chart(&a, &p, &streams)?)
    } else {
        None
    };
    if let Some(f) = &a.svg {
        write_file(f, &frontier)?;
    }
    if let (Some(f), Some(s)) = (&a.phi_svg, &phi_svg) {
        write_file(f, s)?;
    }
    if let Some(dir) = &a.report {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        write_file(&dir.join("frontier.svg"), &frontier)?;
        let mut charts = vec![(
            "Frontier: lambda_M versus mean T_D (one point per level)".to_string(),
            frontier.clone(),
        )];
        if let Some(s) = &phi_svg {
            write_file(&dir.join("phi.svg"), s)?;
            charts.push((
                format!("phi over time ({}, threshold {})", a.phi_estimator, a.phi_threshold),
                s.clone(),
            ));
        }
        let html = report::html("phifd evaluation", &meta, &results, &charts);
        write_file(&dir.join("index.html"), &html)?;
        write_file(&dir.join("results.json"), &report::json(&results, &meta))?;
        write_file(&dir.join("results.csv"), &report::csv(&results))?;
        eprintln!("report written to {}", dir.join("index.html").display());
    }
    Ok(())
}

fn phi_chart(a: &EvalArgs, p: &Params, streams: &[Stream]) -> Result<String, String> {
    let s = match a.node {
        Some(n) => streams
            .iter()
            .find(|s| s.node == n)
            .ok_or(format!("no node {n} in the traces"))?,
        None => streams.iter().find(|s| !s.recv.is_empty()).ok_or("no arrivals")?,
    };
    let est = match a.phi_estimator.as_str() {
        "normal" => phifd::Estimator::Normal,
        "exponential" => phifd::Estimator::Exponential,
        _ => phifd::Estimator::Akka,
    };
    let base = s.recv[0];
    let from = base + a.window_from;
    let to = base + a.window_to.unwrap_or(a.window_from + 60_000_000_000);
    if to <= from {
        return Err("--window-to must be after --window-from".into());
    }
    let (pts, _arrivals, susp) = eval::phi_series(est, a.phi_threshold, p, s, from, to, 2000)?;
    let mut c = Chart::new(
        &format!(
            "phi over time, node {} ({}, threshold {})",
            s.node,
            est.name(),
            a.phi_threshold
        ),
        "time since the first arrival (s)",
        "phi",
        false,
        false,
    );
    let cap = (a.phi_threshold * 2.0).max(4.0);
    c.y_range = Some((0.0, cap));
    c.series.push(Series {
        name: "phi".into(),
        points: pts
            .iter()
            .map(|q| ((q.t_ns - base) as f64 / 1e9, q.phi.min(cap)))
            .collect(),
        markers_only: false,
    });
    c.h_lines
        .push((a.phi_threshold, format!("threshold {}", a.phi_threshold)));
    for t in susp {
        c.v_marks.push(((t - base) as f64 / 1e9, "suspect".into()));
    }
    if c.v_marks.is_empty() {
        c.title.push_str(" - no suspicion in this window");
    } else {
        c.title.push_str(&format!(" - {} suspicions (red)", c.v_marks.len()));
    }
    Ok(c.render(860.0, 420.0))
}

fn run_tune(a: TuneArgs) -> Result<bool, String> {
    let streams = load(std::slice::from_ref(&a.trace))?;
    let p = params_for(&streams, &a.replay)?;
    let goal = match (a.max_mistake_rate, a.max_detection_time) {
        (Some(r), _) => tune::Goal::MaxMistakeRate(r),
        (None, Some(t)) => tune::Goal::MaxDetectionTime(t as f64 / 1e9),
        _ => return Err("give --max-mistake-rate or --max-detection-time".into()),
    };
    let (best, all) = tune::tune(&streams, p.interval_ns, &a.windows, goal, &eval_opts(&a.replay));
    println!(
        "searched {} configurations x {} thresholds (interval {} ns)",
        all.len(),
        tune::tune_levels().len(),
        p.interval_ns
    );
    let Some(b) = best else {
        println!("no phifd configuration meets the bound on this trace");
        if a.qos {
            return print_qos_suggestion(&a, &streams, &p, goal);
        }
        return Ok(false);
    };
    let m = &b.metrics;
    println!(
        "recommended: estimator {}, threshold {}, window {}, heartbeat interval {} ns, min sd {}",
        b.estimator.name(),
        b.threshold,
        b.window,
        b.interval_ns,
        b.min_sd_ns
            .map_or("library default (interval/4)".into(), |v| format!("{v} ns"))
    );
    println!(
        "expected on this trace: lambda_M {:.6}/s ({} mistakes in {:.0} s), T_D mean {:.3} s (p99 {:.3} s, max {:.3} s), P_A {:.7}",
        m.lambda_m, m.mistakes, m.observed_s, m.t_d[0], m.t_d[2], m.t_d[3], m.p_a
    );
    println!();
    print!("{}", tune::snippets(&b));
    if a.qos {
        print_qos_suggestion(&a, &streams, &p, goal)?;
    }
    Ok(true)
}

/// `tune --qos`: QoS targets meeting the bound and what they achieve on the trace.
/// Returns whether targets were found.
fn print_qos_suggestion(
    a: &TuneArgs,
    streams: &[Stream],
    p: &phifd_cli::detect::Params,
    goal: tune::Goal,
) -> Result<bool, String> {
    if !(0.0..=10.0).contains(&a.qos_margin) {
        return Err(format!(
            "--qos-margin must be a fraction in [0, 10], got {}",
            a.qos_margin
        ));
    }
    let mut params = p.clone();
    params.window = a.windows.first().copied().unwrap_or(1000);
    let o = qos::QosOptions {
        targets: None,
        estimator: estimator_named(&a.qos_estimator),
        params,
        eval: eval_opts(&a.replay),
        checkpoints: 8,
        qos_warmup_ns: None,
    };
    println!();
    let Some(sg) = qos::suggest(streams, goal, a.qos_margin, &o)? else {
        println!("QoS: no T_MR of the grid is feasible for every node with this T_D on this trace");
        return Ok(false);
    };
    let t = &sg.targets;
    println!(
        "QoS targets (estimator {}): max detection time T_D {:.3} s, min mistake recurrence T_MR {:.0} s (lambda_M <= {:.6}/s)",
        o.estimator.name(),
        t.max_detection_ns as f64 / 1e9,
        t.min_mistake_recurrence_ns as f64 / 1e9,
        1e9 / t.min_mistake_recurrence_ns as f64
    );
    println!("  T_D: {}", sg.why);
    let s = qos::summarise(&sg.nodes);
    let feasible = sg
        .nodes
        .iter()
        .filter(|n| n.checkpoints.last().is_some_and(|c| c.feasible))
        .count();
    println!(
        "expected on this trace: lambda_M {:.6}/s ({} mistakes in {:.0} s; 95 % interval {:.6}-{:.6}/s), T_D mean {:.3} s (max {:.3} s), feasible at the end for {feasible} of {} nodes; {}",
        s.lambda_per_h / 3600.0,
        s.mistakes,
        s.observed_h * 3600.0,
        s.lambda_ci_per_h.0 / 3600.0,
        s.lambda_ci_per_h.1 / 3600.0,
        s.t_d_s.0,
        s.t_d_s.1,
        sg.nodes.len(),
        qos::overall_verdict(&sg.nodes, t).name()
    );
    println!("(T_D here is measured from the crash, network delay included; the library's T_D bound counts round_trip_ns / 2 for the delay when it is set)");
    println!();
    print!("{}", qos::snippets(t));
    Ok(true)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r: Result<bool, String> = match cli.cmd {
        Cmd::Simulate(a) => simulate(a).map(|_| true),
        Cmd::Convert { what } => convert(what).map(|_| true),
        Cmd::Stats(a) => print_stats(a),
        Cmd::Record(a) => do_record(a).map(|_| true),
        Cmd::Send(a) => {
            a.to.parse()
                .map_err(|e| format!("{}: {e}", a.to))
                .and_then(|to| {
                    let keyring = a.key.keyring()?;
                    record::send_with(
                        to,
                        a.node,
                        a.count,
                        std::time::Duration::from_nanos(a.interval),
                        keyring.as_ref(),
                    )
                    .map_err(|e| e.to_string())
                })
                .map(|_| true)
        }
        Cmd::Eval(a) => run_eval(a).map(|_| true),
        Cmd::Tune(a) => run_tune(a),
    };
    match r {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("phifd: {e}");
            ExitCode::from(2)
        }
    }
}
