//! Rendering evaluation results: text tables, JSON, CSV, SVG charts and a
//! self-contained HTML page.

use crate::eval::{frontier, td_at_lambda, DetectorResult};
use crate::svg::{esc, Chart, Series};
use std::fmt::Write;

/// λ_M targets of the "T_D at equal mistake rate" table (the paper's comparison points).
pub const LAMBDA_TARGETS: &[f64] = &[0.01, 0.005, 0.002];

fn f(v: f64, prec: usize) -> String {
    if v.is_nan() {
        "-".into()
    } else {
        format!("{v:.prec$}")
    }
}

fn g(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v == 0.0 {
        "0".into()
    } else if v.abs() < 1e-3 {
        format!("{v:.3e}")
    } else {
        format!("{v:.5}")
    }
}

/// The readable table of every level of every detector.
pub fn table(results: &[DetectorResult]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<12} {:>10} {:>9} {:>11} {:>9} {:>9} {:>9} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8}",
        "detector",
        "level",
        "mistakes",
        "lambda_M/s",
        "T_MR s",
        "T_M s",
        "T_M p99",
        "P_A",
        "P_A ident",
        "T_D s",
        "T_D p50",
        "T_D p99",
        "T_D max"
    );
    for r in results {
        for l in &r.levels {
            let _ = writeln!(
                o,
                "{:<12} {:>10} {:>9} {:>11} {:>9} {:>9} {:>9} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8}",
                r.name,
                format!("{}={}", short_param(&r.param), trim_num(l.level)),
                l.mistakes,
                g(l.lambda_m),
                f(l.t_mr_mean, 1),
                f(l.t_m_mean, 4),
                f(l.t_m_p99, 4),
                f(l.p_a, 7),
                f(l.p_a_identity, 7),
                f(l.t_d[0], 3),
                f(l.t_d[1], 3),
                f(l.t_d[2], 3),
                f(l.t_d[3], 3),
            );
        }
    }
    o
}

fn short_param(p: &str) -> &str {
    match p {
        "alpha_ms" => "a_ms",
        "timeout_ms" => "t_ms",
        other => other,
    }
}

fn trim_num(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The mean T_D each detector needs for each λ_M target (interpolated on its frontier).
pub fn equal_rate_table(results: &[DetectorResult]) -> String {
    let mut o = String::new();
    let _ = write!(o, "{:<12}", "T_D (s) at");
    for t in LAMBDA_TARGETS {
        let _ = write!(o, " {:>14}", format!("lambda_M={t}"));
    }
    o.push('\n');
    for r in results {
        let _ = write!(o, "{:<12}", r.name);
        for &t in LAMBDA_TARGETS {
            let _ = write!(
                o,
                " {:>14}",
                td_at_lambda(r, t).map_or("-".into(), |v| format!("{v:.3}"))
            );
        }
        o.push('\n');
    }
    o
}

/// `v` as a JSON number, or `null` when it is NaN or infinite (JSON has neither).
pub fn jnum(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".into()
    }
}

/// All results as JSON.
pub fn json(results: &[DetectorResult], meta: &[(&str, String)]) -> String {
    let mut o = String::from("{\n");
    for (k, v) in meta {
        let _ = writeln!(o, "  \"{k}\": \"{}\",", v.replace('\\', "\\\\").replace('"', "\\\""));
    }
    o.push_str("  \"detectors\": [\n");
    for (i, r) in results.iter().enumerate() {
        let _ = writeln!(
            o,
            "    {{\"name\": \"{}\", \"param\": \"{}\", \"levels\": [",
            r.name, r.param
        );
        for (j, l) in r.levels.iter().enumerate() {
            let marked: Vec<String> = l.t_d_marked.iter().map(|&x| jnum(x)).collect();
            let _ = write!(
                o,
                "      {{\"level\": {}, \"observed_s\": {}, \"mistakes\": {}, \"lambda_m\": {}, \"t_mr_mean_s\": {}, \"t_m_mean_s\": {}, \"t_m_p99_s\": {}, \"p_a\": {}, \"p_a_identity\": {}, \"crashes\": {}, \"t_d_mean_s\": {}, \"t_d_p50_s\": {}, \"t_d_p99_s\": {}, \"t_d_max_s\": {}, \"t_d_marked_s\": [{}]}}",
                jnum(l.level), jnum(l.observed_s), l.mistakes, jnum(l.lambda_m), jnum(l.t_mr_mean), jnum(l.t_m_mean), jnum(l.t_m_p99),
                jnum(l.p_a), jnum(l.p_a_identity), l.crashes, jnum(l.t_d[0]), jnum(l.t_d[1]), jnum(l.t_d[2]), jnum(l.t_d[3]), marked.join(", ")
            );
            o.push_str(if j + 1 < r.levels.len() { ",\n" } else { "\n" });
        }
        o.push_str(if i + 1 < results.len() { "    ]},\n" } else { "    ]}\n" });
    }
    o.push_str("  ]\n}\n");
    o
}

/// All results as CSV, one row per level.
pub fn csv(results: &[DetectorResult]) -> String {
    let mut o = String::from("detector,param,level,observed_s,mistakes,lambda_m,t_mr_mean_s,t_m_mean_s,t_m_p99_s,p_a,p_a_identity,crashes,t_d_mean_s,t_d_p50_s,t_d_p99_s,t_d_max_s\n");
    for r in results {
        for l in &r.levels {
            let c = |v: f64| if v.is_finite() { format!("{v}") } else { String::new() };
            let _ = writeln!(
                o,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.name,
                r.param,
                c(l.level),
                c(l.observed_s),
                l.mistakes,
                c(l.lambda_m),
                c(l.t_mr_mean),
                c(l.t_m_mean),
                c(l.t_m_p99),
                c(l.p_a),
                c(l.p_a_identity),
                l.crashes,
                c(l.t_d[0]),
                c(l.t_d[1]),
                c(l.t_d[2]),
                c(l.t_d[3])
            );
        }
    }
    o
}

/// The frontier chart: λ_M versus mean T_D for every detector, plus optional
/// reference series (e.g. published points).
pub fn frontier_chart(title: &str, results: &[DetectorResult], extra: Vec<Series>) -> Chart {
    let mut c = Chart::new(
        title,
        "mean detection time T_D (s)",
        "mistake rate lambda_M (1/s)",
        true,
        true,
    );
    for r in results {
        c.series.push(Series {
            name: r.name.clone(),
            points: frontier(r).iter().map(|p| (p.0, p.1)).collect(),
            markers_only: false,
        });
    }
    c.series.extend(extra);
    c
}

/// Reads a published λ_M–T_D file (`detector,detection_time_s,mistake_rate_per_s`)
/// into one marker series per detector.
pub fn published_series(text: &str) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("detector"))
    {
        let p: Vec<&str> = line.split(',').collect();
        if p.len() < 3 {
            continue;
        }
        let (Ok(td), Ok(lm)) = (p[1].trim().parse::<f64>(), p[2].trim().parse::<f64>()) else {
            continue;
        };
        let name = format!("paper {} (est. T_D)", p[0].trim());
        match out.iter_mut().find(|s| s.name == name) {
            Some(s) => s.points.push((td, lm)),
            None => out.push(Series {
                name,
                points: vec![(td, lm)],
                markers_only: true,
            }),
        }
    }
    out
}

/// A self-contained HTML page with the tables and the inline SVG charts.
pub fn html(title: &str, meta: &[(&str, String)], results: &[DetectorResult], charts: &[(String, String)]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>",
        esc(title)
    );
    o.push_str("<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee}td.l{text-align:left}</style>\n</head>\n<body>\n");
    let _ = writeln!(o, "<h1>{}</h1>", esc(title));
    o.push_str("<table>\n");
    for (k, v) in meta {
        let _ = writeln!(o, "<tr><th>{}</th><td class=\"l\">{}</td></tr>", esc(k), esc(v));
    }
    o.push_str("</table>\n<h2>Charts</h2>\n");
    for (name, svg) in charts {
        let _ = writeln!(o, "<h3>{}</h3>\n<div>{}</div>", esc(name), svg);
    }
    o.push_str("<h2>Mean detection time at equal mistake rate</h2>\n<table>\n<tr><th>detector</th>");
    for t in LAMBDA_TARGETS {
        let _ = write!(o, "<th>&#955;<sub>M</sub> = {t}/s</th>");
    }
    o.push_str("</tr>\n");
    for r in results {
        let _ = write!(o, "<tr><td class=\"l\">{}</td>", esc(&r.name));
        for &t in LAMBDA_TARGETS {
            let _ = write!(
                o,
                "<td>{}</td>",
                td_at_lambda(r, t).map_or("-".into(), |v| format!("{v:.3} s"))
            );
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n<h2>All levels</h2>\n<table>\n<tr><th>detector</th><th>level</th><th>mistakes</th><th>&#955;<sub>M</sub> (1/s)</th><th>T<sub>MR</sub> (s)</th><th>T<sub>M</sub> mean (s)</th><th>T<sub>M</sub> p99 (s)</th><th>P<sub>A</sub></th><th>1 &#8722; E[T<sub>M</sub>]/E[T<sub>MR</sub>]</th><th>T<sub>D</sub> mean</th><th>p50</th><th>p99</th><th>max</th></tr>\n");
    for r in results {
        for l in &r.levels {
            let _ = writeln!(
                o,
                "<tr><td class=\"l\">{}</td><td>{} = {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.name), esc(&r.param), trim_num(l.level), l.mistakes, g(l.lambda_m), f(l.t_mr_mean, 1), f(l.t_m_mean, 4), f(l.t_m_p99, 4),
                f(l.p_a, 7), f(l.p_a_identity, 7), f(l.t_d[0], 3), f(l.t_d[1], 3), f(l.t_d[2], 3), f(l.t_d[3], 3)
            );
        }
    }
    o.push_str("</table>\n</body>\n</html>\n");
    o
}
