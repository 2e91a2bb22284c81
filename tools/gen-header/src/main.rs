//! `phifd-gen-header`: writes or checks include/phifd.h (see the crate documentation).
//!
//! Usage: phifd-gen-header (--write | --check | --print) [--crate-dir DIR]
//!   --write      regenerate DIR/include/phifd.h (what `make header` runs)
//!   --check      exit 1 if DIR/include/phifd.h differs in any byte from the generated header
//!                (what `make check-header` runs)
//!   --print      write the generated header to standard output
//!   --crate-dir  the phifd crate's directory (default: the repository this tool lives in)
//! Exit status: 0 on success, 1 on drift, 2 on a usage error or a generation failure.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: phifd-gen-header (--write | --check | --print) [--crate-dir DIR]";

enum Mode {
    Write,
    Check,
    Print,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("phifd-gen-header: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut mode = None;
    let mut crate_dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let chosen = match arg.as_str() {
            "--write" => Mode::Write,
            "--check" => Mode::Check,
            "--print" => Mode::Print,
            "--crate-dir" => {
                crate_dir = args
                    .next()
                    .map(PathBuf::from)
                    .ok_or(format!("--crate-dir needs a directory\n{USAGE}"))?;
                continue;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        };
        if mode.replace(chosen).is_some() {
            return Err(format!("give exactly one of --write, --check, --print\n{USAGE}"));
        }
    }
    let mode = mode.ok_or(format!("give one of --write, --check, --print\n{USAGE}"))?;
    let crate_dir = crate_dir
        .canonicalize()
        .map_err(|e| format!("crate directory {}: {e}", crate_dir.display()))?;
    let generated = phifd_gen_header::generate(&crate_dir)?;
    let header = crate_dir.join("include/phifd.h");
    match mode {
        Mode::Print => print!("{generated}"),
        Mode::Write => {
            let current = std::fs::read_to_string(&header).unwrap_or_default();
            if current == generated {
                println!("{} is up to date", header.display());
            } else {
                std::fs::write(&header, &generated).map_err(|e| format!("cannot write {}: {e}", header.display()))?;
                println!("{} regenerated", header.display());
            }
        }
        Mode::Check => {
            let committed =
                std::fs::read_to_string(&header).map_err(|e| format!("cannot read {}: {e}", header.display()))?;
            if let Some(d) = phifd_gen_header::first_difference(&committed, &generated) {
                let show = |s: Option<String>| s.unwrap_or_else(|| "(end of file)".into());
                eprintln!(
                    "{} is out of date: first difference at line {}\n  committed: {}\n  generated: {}\n\
                     run `make header` and commit include/phifd.h",
                    header.display(),
                    d.line,
                    show(d.committed),
                    show(d.generated)
                );
                return Ok(ExitCode::FAILURE);
            }
            println!("{} matches the generated header", header.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
