//! The pieces of the generator that are not cbindgen itself: the version read from Cargo.toml
//! and the byte-for-byte comparison behind `make check-header`.

use phifd_gen_header::{first_difference, package_version, version_macros, Difference, Version};

fn v(major: &str, minor: &str, patch: &str) -> Version {
    Version {
        major: major.into(),
        minor: minor.into(),
        patch: patch.into(),
    }
}

#[test]
fn version_comes_from_the_package_table_only() {
    let toml = "[workspace.package]\nversion = \"9.9.9\"\n\n[package]\nname = \"phifd\"\nversion = \"0.12.3\"\n\n[dependencies]\nversion = \"1\"\n";
    assert_eq!(package_version(toml), Ok(v("0", "12", "3")));
}

#[test]
fn prerelease_suffix_is_not_part_of_the_patch() {
    assert_eq!(
        package_version("[package]\nversion = \"1.2.3-rc.1\"\n"),
        Ok(v("1", "2", "3"))
    );
    assert_eq!(
        package_version("[package]\nversion = \"1.2.3+build5\"\n"),
        Ok(v("1", "2", "3"))
    );
}

#[test]
fn bad_versions_are_errors_that_say_what_to_write() {
    let missing = package_version("[package]\nname = \"phifd\"\n").unwrap_err();
    assert!(missing.contains("no `version"), "{missing}");
    let two_parts = package_version("[package]\nversion = \"1.2\"\n").unwrap_err();
    assert!(two_parts.contains("not MAJOR.MINOR.PATCH"), "{two_parts}");
    let inherited = package_version("[package]\nversion.workspace = true\n").unwrap_err();
    assert!(inherited.contains("not supported"), "{inherited}");
}

#[test]
fn version_macros_spell_the_version() {
    let text = version_macros(&v("2", "0", "11"));
    assert!(text.contains("\n#define PHIFD_VERSION_MAJOR 2\n"), "{text}");
    assert!(text.contains("\n#define PHIFD_VERSION_MINOR 0\n"), "{text}");
    assert!(text.contains("\n#define PHIFD_VERSION_PATCH 11\n"), "{text}");
    assert!(text.contains("\n#define PHIFD_VERSION_STRING \"2.0.11\"\n"), "{text}");
}

#[test]
fn identical_texts_have_no_difference() {
    assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
}

#[test]
fn first_changed_line_is_reported() {
    let d = first_difference("a\nb\nc\n", "a\nB\nc\n").expect("texts differ");
    assert_eq!(
        d,
        Difference {
            line: 2,
            committed: Some("b\\n".into()),
            generated: Some("B\\n".into())
        }
    );
}

#[test]
fn line_endings_and_length_count() {
    let crlf = first_difference("a\r\nb\n", "a\nb\n").expect("CRLF differs");
    assert_eq!(crlf.line, 1);
    let no_final_newline = first_difference("a\nb", "a\nb\n").expect("final newline differs");
    assert_eq!(no_final_newline.line, 2);
    let longer = first_difference("a\n", "a\nb\n").expect("extra line differs");
    assert_eq!(
        longer,
        Difference {
            line: 2,
            committed: None,
            generated: Some("b\\n".into())
        }
    );
}
