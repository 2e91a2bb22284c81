//! The committed C header's version macros must equal Cargo.toml's version. (That the header is
//! exactly what src/ffi generates is checked by tools/gen-header: `make check-header`.)

fn committed() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/phifd.h");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
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
