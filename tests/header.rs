//! The committed C header must be exactly what the code generates, and its
//! version macros must equal Cargo.toml's version.

const GENERATED: &str = include_str!(env!("PHIFD_GENERATED_HEADER"));

fn committed() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/phifd.h");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

#[test]
fn committed_header_matches_generated() {
    let committed = committed();
    if committed != GENERATED {
        let first = committed.lines().zip(GENERATED.lines()).position(|(a, b)| a != b);
        panic!(
            "include/phifd.h is out of date (first differing line: {:?}); run `make header` and commit it",
            first.map(|i| i + 1)
        );
    }
}

#[test]
fn header_version_macros_equal_cargo_version() {
    let toml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let version = toml
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("Cargo.toml has a version line");
    let header = committed();
    let macro_value = |name: &str| -> String {
        header
            .lines()
            .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("{name} missing from the header"))
            .trim()
            .to_string()
    };
    let from_macros = format!(
        "{}.{}.{}",
        macro_value("PHIFD_VERSION_MAJOR"),
        macro_value("PHIFD_VERSION_MINOR"),
        macro_value("PHIFD_VERSION_PATCH")
    );
    assert_eq!(from_macros, version);
    assert_eq!(macro_value("PHIFD_VERSION_STRING"), format!("\"{version}\""));
    assert_eq!(phifd::VERSION, version);
}
