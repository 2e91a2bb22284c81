# Debian packages, built with Debian's own tools (dpkg-buildpackage, debhelper) from
# packaging/debian:
#   libphifd0      /usr/lib/<multiarch>/libphifd.so.X.Y.Z and the SONAME link libphifd.so.X
#   libphifd-dev   phifd.h, phifd.hpp, libphifd.so, libphifd.a, phifd.pc, phifd-static.pc and
#                  the CMake package; depends on libphifd0 (= the same version)
#   phifd-tools    /usr/bin/phifd
#   make deb       build the three into build/deb/ (reuses target/release: cargo runs, and finds
#                  the build up to date if make already built it)
#   make test-deb  build them and check them without installing anything: file lists, Depends,
#                  shlibs, ldd of the tool, a C program and a CMake project built against an
#                  extracted -dev tree (tests/install/deb.sh)
# Needs: debhelper (>= 13) and dpkg-dev, i.e. `apt-get install debhelper dpkg-dev`; run as root,
# make deb installs them itself when they are missing. cargo comes from PATH (rustup), not from
# a Debian package, so it is not a Build-Depends (see packaging/debian/control).
# The version is packaging/debian/changelog's; its upstream part must equal Cargo.toml's.
DEB_DIR := $(BUILD)/deb
DEB_VERSION := $(shell head -1 packaging/debian/changelog | tr -d '()' | awk '{print $$2}')
# PHIFD_VERSION comes from mk/install.mk, read after this file: expand late.
DEB_STAGE = $(DEB_DIR)/src/phifd-$(PHIFD_VERSION)

.PHONY: deb deb-tools test-deb

deb-tools:
	@missing=; command -v dh >/dev/null 2>&1 || missing="debhelper"; \
	command -v dpkg-buildpackage >/dev/null 2>&1 || missing="$$missing dpkg-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make deb: installing$$missing (apt-get)"; \
	    apt-get install -y --no-install-recommends $$missing || \
	      { apt-get update && apt-get install -y --no-install-recommends $$missing; } || exit 1; \
	  else \
	    echo "make deb: missing $$missing: run 'sudo apt-get install debhelper dpkg-dev', then make deb again" >&2; exit 1; \
	  fi; \
	fi
	@command -v $(CARGO) >/dev/null 2>&1 || \
	  { echo "make deb: $(CARGO) not found on PATH: install Rust (https://rustup.rs) or pass CARGO=/path/to/cargo" >&2; exit 1; }
	@[ "$(DEB_VERSION)" != "" ] && [ "$(firstword $(subst -, ,$(DEB_VERSION)))" = "$(PHIFD_VERSION)" ] || \
	  { echo "make deb: packaging/debian/changelog is at '$(DEB_VERSION)' but Cargo.toml at $(PHIFD_VERSION): add a changelog entry (dch -v $(PHIFD_VERSION)-1)" >&2; exit 1; }

# The packaging build happens in a copy under build/deb/src, so debian/tmp, debian/files and
# the other debhelper state never land in the checkout; PHIFD_SOURCE points back at it.
deb: deb-tools lib tool
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_STAGE)
	cp -r packaging/debian $(DEB_STAGE)/debian
	cd $(DEB_STAGE) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PHIFD_SOURCE=$(CURDIR) \
	  dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || \
	  { tail -40 ../build.log; echo "make deb: dpkg-buildpackage failed (full log: $(DEB_DIR)/src/build.log)" >&2; exit 1; }
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/src/*.changes $(DEB_DIR)/
	@ls -1 $(DEB_DIR)/*.deb
	@echo "install with: sudo apt-get install $(addprefix ./,$(DEB_DIR))/*.deb   (or sudo dpkg -i $(DEB_DIR)/*.deb)"

test-deb: deb
	tests/install/deb.sh $(DEB_DIR) $(DEB_VERSION)

TEST_TARGETS += test-deb
