use phifd::{Config, Estimator, Monitor};

fn main() -> Result<(), phifd::Error> {
    let mut cfg = Config::new();
    cfg.set_estimator(Estimator::Normal);
    cfg.set_heartbeat_interval_ns(100_000_000)?; // peers heartbeat every 100 ms
    let monitor = Monitor::new(&cfg)?;

    // Record arrivals with the time they were received (monotonic ns).
    let mut t = phifd::now_ns();
    for _ in 0..20 {
        monitor.heartbeat(42, 1, t)?; // node 42, generation 1
        t += 100_000_000;
    }
    println!("phi after 100 ms: {:.2}", monitor.phi(42, t)?);
    println!(
        "declared dead after {} ms of silence",
        monitor.time_until_phi(42, 8.0)? / 1_000_000
    );

    // Poll regularly: transitions come out as events.
    let mut events = Vec::new();
    monitor.poll(t + 2_000_000_000, &mut events, 64);
    for e in &events {
        println!("node {}: {:?} -> {:?} (phi {:.1})", e.node, e.from, e.to, e.phi);
    }
    Ok(())
}
