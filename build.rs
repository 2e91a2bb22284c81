//! Generates the C header with cbindgen (pinned in Cargo.toml).
//!
//! The header is always written to `$OUT_DIR/phifd.h`; the path is exported to
//! the crate as `PHIFD_GENERATED_HEADER`, which the drift test compares with
//! the committed `include/phifd.h`. Set `PHIFD_UPDATE_HEADER=1` to also
//! overwrite `include/phifd.h` (`make header`).

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=PHIFD_UPDATE_HEADER");

    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let patch = env::var("CARGO_PKG_VERSION_PATCH").unwrap_or_default();
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    let versions = format!(
        "\n/** Version of this header; equals the string from phifd_version() of the matching library. */\n\
         #define PHIFD_VERSION_MAJOR {major}\n#define PHIFD_VERSION_MINOR {minor}\n#define PHIFD_VERSION_PATCH {patch}\n\
         #define PHIFD_VERSION_STRING \"{major}.{minor}.{patch}\"\n"
    );
    config.after_includes = Some(config.after_includes.unwrap_or_default() + &versions);

    let generated = out_dir.join("phifd.h");
    match cbindgen::Builder::new().with_crate(&crate_dir).with_config(config).generate() {
        Ok(bindings) => {
            bindings.write_to_file(&generated);
            if env::var("PHIFD_UPDATE_HEADER").map(|v| v == "1").unwrap_or(false) {
                bindings.write_to_file(crate_dir.join("include/phifd.h"));
            }
        }
        Err(e) => panic!("cbindgen failed to generate the header: {e}"),
    }
    println!("cargo:rustc-env=PHIFD_GENERATED_HEADER={}", generated.display());
    // The shared library's SONAME: the major ABI version (0 until 1.0).
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libphifd.so.{major}");
}
