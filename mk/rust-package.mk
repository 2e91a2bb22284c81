# The Rust crate as others use it (tools/check-rust-package.sh):
#   make test-rust-package   a crate outside the repository depends on phifd by path: it builds and
#                            runs, compiles none of the header generator's crates and no C library;
#                            then `cargo package -p phifd` builds the packaged crate, and the package
#                            holds only the sources, the README and the C headers. About 30 s.
.PHONY: test-rust-package

test-rust-package:
	CARGO=$(CARGO) tools/check-rust-package.sh $(CURDIR)/$(BUILD)/rust-package/target

TEST_TARGETS += test-rust-package
