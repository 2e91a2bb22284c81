//! Generation and drift check of `include/phifd.h`, the C header of the `phifd` crate.
//!
//! The header is produced by cbindgen (pinned in this crate's Cargo.toml) from the `phifd` crate's
//! sources and `cbindgen.toml`, plus the `PHIFD_VERSION_*` macros taken from the `version` of
//! phifd's Cargo.toml. The binary `phifd-gen-header` writes it (`make header`) or checks the
//! committed copy byte for byte (`make check-header`).

use std::path::Path;

/// The version of a Cargo package as the header spells it: `MAJOR.MINOR.PATCH` (a pre-release
/// or build suffix such as `-rc.1` is not part of the macros, as with `CARGO_PKG_VERSION_PATCH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: String,
    pub minor: String,
    pub patch: String,
}

/// Reads `version = "X.Y.Z"` from the `[package]` table of a Cargo.toml.
///
/// Errors (as a message naming the problem): no `[package]` version, a version that is not three
/// dot-separated numbers, or `version.workspace = true` (not supported: the version must be
/// written in the crate's own Cargo.toml, where the bindings' tests read it too).
pub fn package_version(cargo_toml: &str) -> Result<Version, String> {
    let mut in_package = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        let Some(rest) = line.strip_prefix("version") else {
            continue;
        };
        let rest = rest.trim_start();
        if rest.starts_with('.') {
            return Err(
                "Cargo.toml: `version.workspace` is not supported; write `version = \"X.Y.Z\"` in [package]".into(),
            );
        }
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.split('"').next())
            .ok_or_else(|| format!("Cargo.toml: the [package] version {value} is not a quoted string"))?;
        let core = value.split(['-', '+']).next().unwrap_or_default();
        let parts: Vec<&str> = core.split('.').collect();
        let numeric = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if parts.len() != 3 || !parts.iter().all(numeric) {
            return Err(format!(
                "Cargo.toml: the [package] version \"{value}\" is not MAJOR.MINOR.PATCH"
            ));
        }
        return Ok(Version {
            major: parts[0].into(),
            minor: parts[1].into(),
            patch: parts[2].into(),
        });
    }
    Err("Cargo.toml: no `version = \"X.Y.Z\"` line in the [package] table".into())
}

/// The text inserted after the includes: the version macros of the header.
pub fn version_macros(v: &Version) -> String {
    let Version { major, minor, patch } = v;
    format!(
        "\n/** Version of this header; equals the string from phifd_version() of the matching library. */\n\
         #define PHIFD_VERSION_MAJOR {major}\n#define PHIFD_VERSION_MINOR {minor}\n#define PHIFD_VERSION_PATCH {patch}\n\
         #define PHIFD_VERSION_STRING \"{major}.{minor}.{patch}\"\n"
    )
}

/// Generates the header for the `phifd` crate whose Cargo.toml, `cbindgen.toml` and `src/` are in
/// `crate_dir`, and returns its full text. Runs `cargo metadata` (through cbindgen), so `cargo`
/// must be on PATH or named by `$CARGO`. Errors name the file or the cbindgen failure.
pub fn generate(crate_dir: &Path) -> Result<String, String> {
    let manifest = crate_dir.join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let version = package_version(&toml)?;
    let config_path = crate_dir.join("cbindgen.toml");
    let mut config =
        cbindgen::Config::from_file(&config_path).map_err(|e| format!("cannot load {}: {e}", config_path.display()))?;
    config.after_includes = Some(config.after_includes.unwrap_or_default() + &version_macros(&version));
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .map_err(|e| {
            format!(
                "cbindgen could not generate the header from {}: {e}",
                crate_dir.display()
            )
        })?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).map_err(|e| format!("cbindgen produced a header that is not UTF-8: {e}"))
}

/// Where two texts first differ: the 1-based line number and that line in each (without its
/// line ending; `None` past the end of a text).
#[derive(Debug, PartialEq, Eq)]
pub struct Difference {
    pub line: usize,
    pub committed: Option<String>,
    pub generated: Option<String>,
}

/// `None` if the texts are identical byte for byte; otherwise the first line that differs,
/// counting line endings (`\r\n` against `\n`, a missing final newline) as differences.
pub fn first_difference(committed: &str, generated: &str) -> Option<Difference> {
    if committed == generated {
        return None;
    }
    let mut a = committed.split_inclusive('\n');
    let mut b = generated.split_inclusive('\n');
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                let show = |s: Option<&str>| s.map(|s| s.escape_debug().to_string());
                return Some(Difference {
                    line,
                    committed: show(x),
                    generated: show(y),
                });
            }
        }
    }
}
