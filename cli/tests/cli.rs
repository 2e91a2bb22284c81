//! Every command run on small inputs through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_phifd"))
}

fn run(args: &[&str]) -> Output {
    let o = bin().args(args).output().expect("run phifd");
    assert!(
        o.status.success(),
        "phifd {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    o
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("phifd-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Checks that `s` is well-formed XML as far as tags go: every element
/// opened is closed in order, attributes are quoted, no stray `<` or `&`.
fn assert_well_formed(s: &str, what: &str) {
    let mut stack: Vec<String> = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let end = s[i..]
                    .find('>')
                    .map(|e| i + e)
                    .unwrap_or_else(|| panic!("{what}: unclosed tag at {i}"));
                let tag = &s[i + 1..end];
                if tag.starts_with('!') || tag.starts_with('?') {
                    // <!DOCTYPE …> or <?xml …?>
                } else if let Some(name) = tag.strip_prefix('/') {
                    let open = stack
                        .pop()
                        .unwrap_or_else(|| panic!("{what}: </{name}> without opening tag"));
                    assert_eq!(open, name.trim(), "{what}: mismatched close");
                } else {
                    let name: String = tag.chars().take_while(|c| !c.is_whitespace() && *c != '/').collect();
                    assert!(
                        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                        "{what}: bad tag <{tag}>"
                    );
                    assert_eq!(tag.matches('"').count() % 2, 0, "{what}: unbalanced quotes in <{tag}>");
                    let void = ["meta", "br", "hr", "img", "link", "input"].contains(&name.as_str());
                    if !tag.ends_with('/') && !void {
                        stack.push(name);
                    }
                }
                i = end + 1;
            }
            b'&' => {
                let semi = s[i..].find(';').unwrap_or_else(|| panic!("{what}: bare & at {i}"));
                assert!(semi <= 8, "{what}: bare & at {i}");
                i += 1;
            }
            _ => i += 1,
        }
    }
    assert!(stack.is_empty(), "{what}: unclosed elements {stack:?}");
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn simulate_every_scenario_then_stats_and_eval() {
    let d = tmp("sim");
    for sc in [
        "lan",
        "wan",
        "sender-gc",
        "monitor-pause",
        "regime-shift",
        "burst-loss",
        "crash",
    ] {
        let f = d.join(format!("{sc}.csv"));
        run(&[
            "simulate",
            sc,
            "--seed",
            "3",
            "--duration",
            "10m",
            "-o",
            f.to_str().unwrap(),
        ]);
        let s = String::from_utf8(run(&["stats", f.to_str().unwrap()]).stdout).unwrap();
        assert!(s.contains("heartbeats sent"), "{s}");
    }
    // Seeded: the same command twice gives the same bytes.
    let a = run(&["simulate", "wan", "--seed", "9", "--duration", "2m"]).stdout;
    let b = run(&["simulate", "wan", "--seed", "9", "--duration", "2m"]).stdout;
    assert_eq!(a, b);
    // The crash scenario's marker gives a measured T_D in the JSON.
    let f = d.join("crash.csv");
    let j = String::from_utf8(
        run(&[
            "eval",
            f.to_str().unwrap(),
            "--json",
            "--crashes",
            "50",
            "--detectors",
            "akka,timeout",
        ])
        .stdout,
    )
    .unwrap();
    assert!(j.contains("\"t_d_marked_s\": [0."), "{}", &j[..j.len().min(2000)]);
    // Multi-node and gz round trip.
    let g = d.join("multi.csv.gz");
    run(&[
        "simulate",
        "lan",
        "--nodes",
        "3",
        "--duration",
        "1m",
        "-o",
        g.to_str().unwrap(),
    ]);
    let c = String::from_utf8(run(&["eval", g.to_str().unwrap(), "--csv", "--crashes", "10"]).stdout).unwrap();
    assert!(c.starts_with("detector,param,level,"));
    assert!(c.lines().count() > 50);
}

#[test]
fn stats_compare_wan_reports_the_published_values() {
    let d = tmp("stats");
    let f = d.join("wan.csv");
    run(&["simulate", "wan", "--duration", "1h", "-o", f.to_str().unwrap()]);
    let s = String::from_utf8(run(&["stats", f.to_str().unwrap(), "--compare", "wan"]).stdout).unwrap();
    assert!(s.contains("103.5000"), "published send interval shown: {s}");
    assert!(s.contains("inter-arrival mean"));
}

#[test]
fn convert_planetlab_then_eval_with_report() {
    let d = tmp("report");
    let t = d.join("node5.csv");
    run(&[
        "convert",
        "planetlab",
        &data("planetlab-node5-head20k.csv.gz"),
        "--delay",
        "wan",
        "--loss",
        "wan",
        "--seed",
        "2",
        "-o",
        t.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&t).unwrap();
    assert_eq!(text.lines().count(), 20_001, "one row per logged send plus the header");
    // Delay model applied: recv - send >= the WAN base delay of 135.1 ms.
    let row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    let (s, r): (u64, u64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
    assert!(r - s >= 135_100_000 && r - s < 600_000_000);
    let rep = d.join("rep");
    let svg = d.join("f.svg");
    let phi = d.join("phi.svg");
    let out = run(&[
        "eval",
        t.to_str().unwrap(),
        "--interval",
        "100ms",
        "--crashes",
        "100",
        "--report",
        rep.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--phi-svg",
        phi.to_str().unwrap(),
        "--window-from",
        "10s",
        "--window-to",
        "40s",
        "--published",
        &data("hdyk04_fig11_digitized.csv"),
    ]);
    let table = String::from_utf8(out.stdout).unwrap();
    for det in ["akka", "normal", "exponential", "chen", "2w-fd", "timeout"] {
        assert!(
            table.lines().any(|l| l.starts_with(det)),
            "{det} missing from the table"
        );
    }
    let html = std::fs::read_to_string(rep.join("index.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("lambda_M") && html.contains("2w-fd"));
    assert_well_formed(&html, "index.html");
    for f in [rep.join("frontier.svg"), rep.join("phi.svg"), svg, phi] {
        let s = std::fs::read_to_string(&f).unwrap();
        assert!(
            s.starts_with("<svg") && s.trim_end().ends_with("</svg>"),
            "{}",
            f.display()
        );
        assert_well_formed(&s, &f.display().to_string());
    }
    let fr = std::fs::read_to_string(rep.join("frontier.svg")).unwrap();
    assert!(fr.contains("paper phi"), "published points drawn");
    // A missing input is an error with a non-zero status.
    let o = bin().args(["eval", "/nonexistent/trace.csv"]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nonexistent"));
}

#[test]
fn tune_prints_settings_in_three_languages() {
    let d = tmp("tune");
    let f = d.join("lan.csv");
    run(&["simulate", "burst-loss", "--duration", "20m", "-o", f.to_str().unwrap()]);
    let s = String::from_utf8(
        run(&[
            "tune",
            f.to_str().unwrap(),
            "--max-mistake-rate",
            "0.01",
            "--crashes",
            "50",
        ])
        .stdout,
    )
    .unwrap();
    assert!(s.contains("recommended: estimator"), "{s}");
    assert!(s.contains("phifd_config_set_threshold(cfg, "));
    assert!(s.contains("Monitor(Config(estimator=Estimator."));
    assert!(s.contains("phifd.NewConfig().SetEstimator(phifd.Estimator"));
    // The printed expectation honours the bound.
    let lm: f64 = s
        .split("lambda_M ")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(lm <= 0.01);
    let s = String::from_utf8(
        run(&[
            "tune",
            f.to_str().unwrap(),
            "--max-detection-time",
            "400ms",
            "--crashes",
            "50",
        ])
        .stdout,
    )
    .unwrap();
    let td: f64 = s
        .split("T_D mean ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(td <= 0.4, "{s}");
}

#[test]
fn record_captures_udp_heartbeats_on_loopback() {
    // Library level: a sender thread, sequence 0..50 with 10 and 11 skipped.
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let h = std::thread::spawn(move || {
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(b"not a heartbeat", addr).unwrap();
        for seq in (0..50u64).filter(|s| *s != 10 && *s != 11) {
            tx.send_to(&phifd_cli::record::encode(7, seq, phifd::now_ns()), addr)
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    let r = phifd_cli::record::record(
        &sock,
        phifd_cli::record::Bounds {
            count: Some(48),
            duration: Some(std::time::Duration::from_secs(20)),
        },
        |_| {},
    )
    .unwrap();
    h.join().unwrap();
    assert_eq!(r.ignored, 1);
    assert_eq!(r.trace.rows.len(), 50, "48 received + 2 inferred lost");
    assert_eq!(r.trace.rows.iter().filter(|h| h.recv().is_none()).count(), 2);
    assert!(r.trace.rows.iter().all(|h| h.node == 7));
    for h in r.trace.rows.iter().filter(|h| h.recv().is_some()) {
        assert!(
            h.recv_ns >= h.send_ns,
            "same host, same monotonic clock: received after sent"
        );
    }

    // Binary: `phifd record` with a count bound, fed by `phifd send`.
    let d = tmp("record");
    let out = d.join("rec.csv");
    let port = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let mut child = bin()
        .args([
            "record",
            "--listen",
            &listen,
            "--count",
            "20",
            "--duration",
            "20s",
            "-o",
            out.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    run(&[
        "send",
        "--to",
        &listen,
        "--count",
        "20",
        "--interval",
        "5ms",
        "--node",
        "3",
    ]);
    assert!(child.wait().unwrap().success());
    let t = phifd_cli::trace::Trace::read_path(&out).unwrap();
    assert_eq!(t.rows.len(), 20);
    assert_eq!(t.nodes(), vec![3]);
}

#[test]
fn help_documents_every_option() {
    for sub in [
        vec!["simulate"],
        vec!["convert", "planetlab"],
        vec!["stats"],
        vec!["record"],
        vec!["send"],
        vec!["eval"],
        vec!["tune"],
    ] {
        let mut args = sub.clone();
        args.push("-h");
        let h = String::from_utf8(run(&args).stdout).unwrap();
        let mut n = 0;
        let lines: Vec<&str> = h.lines().collect();
        for (i, line) in lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with('-'))
        {
            n += 1;
            // "  --seed <SEED>  Random seed…": the spec, two spaces, then text;
            // or, when clap moves long help below, the next line is the text.
            let t = line.trim_start();
            let mut help = t.split_once("  ").map(|x| x.1.trim()).unwrap_or("").to_string();
            if help.is_empty() {
                let next = lines.get(i + 1).map_or("", |l| l.trim());
                if !next.starts_with('-') {
                    help = next.to_string();
                }
            }
            assert!(
                !help.is_empty() && !help.starts_with('['),
                "{sub:?}: option without help: {line:?}"
            );
        }
        assert!(n >= 2, "{sub:?}: no options listed");
    }
    let top = String::from_utf8(run(&["--help"]).stdout).unwrap();
    for c in ["simulate", "convert", "stats", "record", "eval", "tune"] {
        assert!(top.contains(c));
    }
}

/// A free UDP port on loopback (bound, then released).
fn free_port() -> String {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    format!("127.0.0.1:{}", s.local_addr().unwrap().port())
}

#[test]
fn record_and_send_with_a_key() {
    let d = tmp("auth");
    let key = d.join("cluster.key");
    let other = d.join("other.key");
    std::fs::write(&key, [0x5a; 32]).unwrap();
    std::fs::write(&other, [0xa5; 32]).unwrap();
    let key_s = key.to_str().unwrap();

    // Library level: signed heartbeats are recorded; an unsigned one, a forged one (right key id,
    // wrong key), one under an unknown key id and a signed one with a flipped bit are refused
    // and counted by class.
    let ring = phifd_cli::record::keyring(1, &[0x5a; 32]).unwrap();
    let wrong = phifd_cli::record::keyring(1, &[0xa5; 32]).unwrap();
    let wrong_id = phifd_cli::record::keyring(9, &[0x5a; 32]).unwrap();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let h = std::thread::spawn(move || {
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(&phifd_cli::record::encode(7, 100, phifd::now_ns()), addr)
            .unwrap();
        tx.send_to(
            &phifd_cli::record::encode_auth(&wrong, 7, 101, phifd::now_ns()).unwrap(),
            addr,
        )
        .unwrap();
        tx.send_to(
            &phifd_cli::record::encode_auth(&wrong_id, 7, 102, phifd::now_ns()).unwrap(),
            addr,
        )
        .unwrap();
        let mut flipped = phifd_cli::record::encode_auth(&ring, 7, 103, phifd::now_ns()).unwrap();
        flipped[20] ^= 0x01;
        tx.send_to(&flipped, addr).unwrap();
        for seq in 0..10u64 {
            tx.send_to(
                &phifd_cli::record::encode_auth(&ring, 7, seq, phifd::now_ns()).unwrap(),
                addr,
            )
            .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    let good = phifd_cli::record::keyring(1, &[0x5a; 32]).unwrap();
    let bounds = phifd_cli::record::Bounds {
        count: Some(10),
        duration: Some(std::time::Duration::from_secs(20)),
    };
    let r = phifd_cli::record::record_with(&sock, bounds, Some(&good), |_| {}).unwrap();
    h.join().unwrap();
    assert_eq!(
        (r.ignored, r.bad_mac, r.unknown_key),
        (1, 2, 1),
        "unsigned / forged + bit flip / unknown id"
    );
    assert_eq!(r.rejected_auth(), 3);
    let seqs: Vec<u64> = r.trace.rows.iter().map(|h| h.seq).collect();
    assert_eq!(
        seqs,
        (0..10).collect::<Vec<u64>>(),
        "only the authentic heartbeats, no forged sequence number"
    );

    // Binary: `phifd send --key-file` to `phifd record --key-file`.
    let out = d.join("rec.csv");
    let listen = free_port();
    let child = bin()
        .args([
            "record",
            "--listen",
            &listen,
            "--count",
            "15",
            "--duration",
            "20s",
            "--key-file",
            key_s,
            "-o",
            out.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    run(&[
        "send",
        "--to",
        &listen,
        "--count",
        "15",
        "--interval",
        "5ms",
        "--node",
        "4",
        "--key-file",
        key_s,
    ]);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rejected 0 unauthenticated datagrams"), "{err}");
    let t = phifd_cli::trace::Trace::read_path(&out).unwrap();
    assert_eq!(t.rows.len(), 15);
    assert_eq!(t.nodes(), vec![4]);

    // The wrong key records nothing and reports every datagram as rejected; so does a sender
    // without a key (its datagrams are ignored as unauthenticated).
    let out = d.join("wrong.csv");
    let listen = free_port();
    let child = bin()
        .args([
            "record",
            "--listen",
            &listen,
            "--duration",
            "2s",
            "--key-file",
            key_s,
            "-o",
            out.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    run(&[
        "send",
        "--to",
        &listen,
        "--count",
        "12",
        "--interval",
        "5ms",
        "--key-file",
        other.to_str().unwrap(),
    ]);
    run(&[
        "send",
        "--to",
        &listen,
        "--count",
        "5",
        "--interval",
        "5ms",
        "--key-file",
        key_s,
        "--key-id",
        "2",
    ]);
    run(&["send", "--to", &listen, "--count", "3", "--interval", "5ms"]);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("rejected 17 unauthenticated datagrams (12 bad MAC, 5 unknown key id)"),
        "{err}"
    );
    assert!(err.contains("recorded 0 rows (3 ignored datagrams"), "{err}");
    assert!(phifd_cli::trace::Trace::read_path(&out).unwrap().rows.is_empty());
}

#[test]
fn bad_key_files_are_refused_with_a_clear_message() {
    let d = tmp("badkey");
    let short = d.join("short.key");
    std::fs::write(&short, b"too short").unwrap();
    let long = d.join("long.key");
    std::fs::write(&long, [7u8; 65]).unwrap();
    let listen = free_port();
    for (file, says) in [
        (short.to_str().unwrap(), "holds 9 bytes"),
        (long.to_str().unwrap(), "holds 65 bytes"),
        ("/nonexistent/k", "/nonexistent/k"),
    ] {
        for cmd in [
            vec!["send", "--to", &listen, "--count", "1"],
            vec!["record", "--listen", &listen, "--count", "1"],
        ] {
            let mut args = cmd.clone();
            args.extend(["--key-file", file]);
            let o = bin().args(&args).output().unwrap();
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains(says) && err.contains("--key-file"), "{args:?}: {err}");
            if says.starts_with("holds") {
                assert!(err.contains("16 to 64") && err.contains("/dev/urandom"), "{err}");
            }
        }
    }
    // --key-id without --key-file is a usage error, not a silently unsigned sender.
    let o = bin()
        .args(["send", "--to", &listen, "--count", "1", "--key-id", "3"])
        .output()
        .unwrap();
    assert!(!o.status.success());
}

/// The first number after `key` in `s`.
fn num_after(s: &str, key: &str) -> f64 {
    let rest = s.split(key).nth(1).unwrap_or_else(|| panic!("no {key:?} in {s}"));
    let t = rest.trim_start_matches([':', ' ']);
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == '+'))
        .unwrap_or(t.len());
    t[..end]
        .parse()
        .unwrap_or_else(|_| panic!("not a number after {key:?}: {t:.40}"))
}

#[test]
fn eval_qos_reports_requested_versus_achieved_per_node() {
    // The short mode of `make qos-eval`: a 20-minute mixed cluster, two target levels.
    let d = tmp("qos");
    let f = d.join("mixed.csv.gz");
    let fs = f.to_str().unwrap();
    run(&["simulate", "mixed", "--seed", "2", "--duration", "20m", "-o", fs]);
    let base = [
        "eval",
        fs,
        "--interval",
        "100ms",
        "--crashes",
        "100",
        "--qos",
        "500ms,10m",
        "--qos",
        "1s,1h,2s",
    ];
    let out = String::from_utf8(run(&base).stdout).unwrap();
    assert_eq!(out.matches("requested T_D <= ").count(), 2, "{out}");
    assert!(out.contains("T_M <= 2.000 s"), "{out}");
    // One row per node (1..6) and a pooled row in each table, each with a verdict.
    for n in 1..=6 {
        assert_eq!(
            out.lines()
                .filter(|l| l.trim_start().starts_with(&format!("{n} ")))
                .count(),
            2,
            "node {n}: {out}"
        );
    }
    let verdicts = ["met", "infeasible (reported)", "MISSED"];
    let rows: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with("all ")).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| verdicts.iter().any(|v| r.ends_with(v))), "{rows:?}");
    // JSON: the pooled rate is mistakes / observed hours, inside its 95 % interval; every node
    // has the library's reports (8 checkpoints) and 100 injected crashes.
    let svg_path = d.join("c.svg");
    let mut a = base.to_vec();
    a.extend(["--json", "--qos-compare", "--svg", svg_path.to_str().unwrap()]);
    let j = String::from_utf8(run(&a).stdout).unwrap();
    assert!(j.trim_start().starts_with('[') && j.trim_end().ends_with(']'));
    let all = j.split("\"all\": {").nth(1).unwrap();
    let (k, h, lam) = (
        num_after(all, "\"mistakes\""),
        num_after(all, "\"observed_h\""),
        num_after(all, "\"lambda_m_per_h\""),
    );
    assert!(h > 1.9 && h < 2.1, "6 nodes x 20 min: {h}");
    assert!((lam - k / h).abs() < 1e-6 * (1.0 + lam), "{lam} vs {k}/{h}");
    let ci = all.split("\"lambda_m_ci95_per_h\": [").nth(1).unwrap();
    let lo: f64 = ci.split(',').next().unwrap().trim().parse().unwrap();
    let hi: f64 = ci
        .split(',')
        .nth(1)
        .unwrap()
        .trim()
        .trim_end_matches(']')
        .parse()
        .unwrap();
    assert!(lo <= lam && lam <= hi && hi > 0.0, "{lo} {lam} {hi}");
    assert_eq!(j.matches("\"checkpoints\": [{").count(), 12, "6 nodes x 2 levels");
    assert_eq!(j.matches("\"crashes\": 100,").count(), 12);
    assert!(j.contains("\"global_at_equal_lambda\": {\"t_d_mean_s\": "), "{j:.3000}");
    let svg = std::fs::read_to_string(d.join("c.svg")).unwrap();
    assert_well_formed(&svg, "qos chart");
    assert!(svg.contains("best global threshold"));
    // Bad targets: a clear message, exit status 2, nothing on stdout.
    for bad in ["500ms", "0s,1h", "500ms,1 fortnight"] {
        let o = bin().args(["eval", fs, "--qos", bad]).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("--qos") && o.stdout.is_empty(), "{bad}: {e}");
    }
    let o = bin()
        .args(["eval", fs, "--qos", "1s,1h", "--svg", "x.svg"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("--qos-compare"));
    // tune --qos: the global recommendation unchanged, then the QoS targets and snippets.
    let plain = String::from_utf8(run(&["tune", fs, "--max-mistake-rate", "0.01", "--crashes", "50"]).stdout).unwrap();
    let with =
        String::from_utf8(run(&["tune", fs, "--max-mistake-rate", "0.01", "--crashes", "50", "--qos"]).stdout).unwrap();
    assert!(
        with.starts_with(&plain),
        "tune --qos keeps the global recommendation first"
    );
    let q = &with[plain.len()..];
    assert!(q.contains("min mistake recurrence T_MR 100 s"), "{q}");
    assert!(
        q.contains("phifd_config_set_qos(cfg, &qos);")
            && q.contains("phifd::QosTargets {")
            && q.contains("config.qos = phifd.QosTargets(")
            && q.contains("cfg.SetQoS(phifd.QoS{"),
        "{q}"
    );
    let td = num_after(q, "max detection time T_D ");
    assert!(td > 0.1 && td < 5.0, "{q}");
}
