# make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=] [INCLUDEDIR=] [BINDIR=] [PC_RPATH=auto]
# installs (make uninstall removes exactly these; make test-install checks them from outside):
#   $(LIBDIR)/libphifd.so.X.Y.Z, libphifd.so.X -> .X.Y.Z, libphifd.so -> .X   shared library
#   $(LIBDIR)/libphifd.a                                                        static library
#   $(INCLUDEDIR)/phifd.h, phifd.hpp                                            C and C++17 headers
#   $(LIBDIR)/pkgconfig/phifd.pc, phifd-static.pc                               pkg-config modules
#   $(LIBDIR)/cmake/phifd/phifdConfig.cmake, phifdConfigVersion.cmake           CMake package
#   $(BINDIR)/phifd                                                             the phifd tool (cli/)
# Defaults: LIBDIR=$(PREFIX)/lib, INCLUDEDIR=$(PREFIX)/include, BINDIR=$(PREFIX)/bin. Every
# file goes under $(DESTDIR); the paths written into the .pc and CMake files never contain it.
#
# Finding the shared library at run time. A libdir is a *system* library directory when the
# dynamic loader searches it without help: its built-in directories (/lib, /usr/lib, /lib64,
# /usr/lib64 and their <multiarch> subdirectories) or a directory listed in /etc/ld.so.conf or
# /etc/ld.so.conf.d/*.conf on this machine (Debian lists /usr/local/lib and
# /usr/local/lib/<multiarch>). Then:
#   - system libdir: phifd.pc has no rpath. The loader finds libphifd.so.X through its cache,
#     so `ldconfig` must run once after installing; make install runs it when DESTDIR is empty
#     and it runs as root, and prints the command otherwise (package managers run it themselves).
#   - any other libdir (a home directory, /opt/...): phifd.pc's Libs carries
#     -Wl,-rpath,${libdir}, so a program linked with `pkg-config --libs phifd` runs without
#     LD_LIBRARY_PATH.
# PC_RPATH=yes or PC_RPATH=no forces the choice (auto: the rule above).
#
# make also builds the phifd tool (all: tool); the library targets stay in the top Makefile.
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
PC_RPATH ?= auto
PHIFD_VERSION := $(shell sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -1)
PHIFD_MAJOR := $(firstword $(subst ., ,$(PHIFD_VERSION)))
INSTALL ?= install
PHIFD_TOOL := $(RELEASE)/phifd
comma := ,
# A directory as the .pc file writes it: relative to ${prefix} when it lies under PREFIX.
phifd_pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
# Path $(2) relative to directory $(1), for the CMake package (which computes the prefix from
# its own place, so an installed tree can be moved).
phifd_rel = $(shell realpath -m --relative-to='$(1)' '$(2)')

PHIFD_MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
PHIFD_LOADER_DIRS := /lib /usr/lib /lib64 /usr/lib64 \
  $(if $(PHIFD_MULTIARCH),/lib/$(PHIFD_MULTIARCH) /usr/lib/$(PHIFD_MULTIARCH))
PHIFD_LDCONF_DIRS := $(shell cat /etc/ld.so.conf /etc/ld.so.conf.d/*.conf 2>/dev/null | \
  sed -e 's/\#.*//' -e '/^[[:space:]]*include[[:space:]]/d' | tr -s ' \t:,=' '\n\n\n\n\n' | grep '^/' | sed 's|/*$$||')
PHIFD_LIBDIR_CLEAN := $(patsubst %/,%,$(LIBDIR))
PHIFD_SYSTEM_LIBDIR := $(if $(filter $(PHIFD_LIBDIR_CLEAN),$(PHIFD_LOADER_DIRS) $(PHIFD_LDCONF_DIRS)),yes)
PHIFD_RPATH_ON := $(if $(filter yes,$(PC_RPATH)),yes,$(if $(filter no,$(PC_RPATH)),,$(if $(PHIFD_SYSTEM_LIBDIR),,yes)))

.PHONY: install install-prebuilt install-notes uninstall test-install tool

all: tool

# The phifd command-line tool (workspace member cli/), as target/release/phifd.
tool:
	$(CARGO) build --release -p phifd-cli --bin phifd

# `sudo make install` usually runs without ~/.cargo/bin on PATH: then the existing build in
# target/release is installed (made by `make` as the user), or the reason is given.
PHIFD_HAVE_CARGO := $(shell command -v $(CARGO) 2>/dev/null)

install-prebuilt:
	@for f in $(RELEASE)/libphifd.so $(RELEASE)/libphifd.a $(PHIFD_TOOL); do \
	  [ -f $$f ] || { echo "make install: $(CARGO) is not on PATH (sudo resets PATH) and $$f is not built: run 'make' as yourself first, then 'sudo make install'" >&2; exit 1; }; \
	done
	@echo "make install: $(CARGO) is not on PATH: installing the existing build in $(RELEASE)"

install: $(if $(PHIFD_HAVE_CARGO),lib tool,install-prebuilt)
	@case "$(PC_RPATH)" in auto|yes|no) ;; *) echo "make install: PC_RPATH must be auto, yes or no (got '$(PC_RPATH)')" >&2; exit 2;; esac
	@case "$(PREFIX)" in /*) ;; *) echo "make install: PREFIX must be an absolute path (got '$(PREFIX)'); try PREFIX=\$$HOME/.local" >&2; exit 2;; esac
	$(INSTALL) -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/phifd $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 0755 $(RELEASE)/libphifd.so $(DESTDIR)$(LIBDIR)/libphifd.so.$(PHIFD_VERSION)
	ln -sfn libphifd.so.$(PHIFD_VERSION) $(DESTDIR)$(LIBDIR)/libphifd.so.$(PHIFD_MAJOR)
	ln -sfn libphifd.so.$(PHIFD_MAJOR) $(DESTDIR)$(LIBDIR)/libphifd.so
	$(INSTALL) -m 0644 $(RELEASE)/libphifd.a $(DESTDIR)$(LIBDIR)/libphifd.a
	$(INSTALL) -m 0644 include/phifd.h include/phifd.hpp $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 0755 $(PHIFD_TOOL) $(DESTDIR)$(BINDIR)/phifd
	for pc in phifd phifd-static; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(call phifd_pc_dir,$(LIBDIR))|g' \
	      -e 's|@INCLUDEDIR@|$(call phifd_pc_dir,$(INCLUDEDIR))|g' -e 's|@VERSION@|$(PHIFD_VERSION)|g' \
	      -e 's|@RPATH_FLAG@|$(if $(PHIFD_RPATH_ON), -Wl$(comma)-rpath$(comma)$${libdir})|g' \
	      $$pc.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/$$pc.pc && \
	  chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/$$pc.pc || exit 1; \
	done
	for f in phifdConfig phifdConfigVersion; do \
	  sed -e 's|@CMAKEDIR_TO_PREFIX@|$(call phifd_rel,$(LIBDIR)/cmake/phifd,$(PREFIX))|g' \
	      -e 's|@LIBDIR_REL@|$(call phifd_rel,$(PREFIX),$(LIBDIR))|g' \
	      -e 's|@INCLUDEDIR_REL@|$(call phifd_rel,$(PREFIX),$(INCLUDEDIR))|g' \
	      -e 's|@VERSION@|$(PHIFD_VERSION)|g' -e 's|@MAJOR@|$(PHIFD_MAJOR)|g' \
	      -e "s|@SIZEOF_VOID_P@|$$(($$(getconf LONG_BIT) / 8))|g" \
	      cmake/$$f.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/phifd/$$f.cmake && \
	  chmod 0644 $(DESTDIR)$(LIBDIR)/cmake/phifd/$$f.cmake || exit 1; \
	done
	@$(MAKE) --no-print-directory install-notes

# What a user still has to do after installing into this prefix (nothing is printed for a
# DESTDIR staging install: the paths only become real on the target machine).
install-notes:
	@if [ -n "$(DESTDIR)" ]; then exit 0; fi; \
	if [ -n "$(PHIFD_SYSTEM_LIBDIR)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "ldconfig  # $(LIBDIR) is a system library directory: refresh the loader's cache"; \
	    PATH="$$PATH:/sbin:/usr/sbin" ldconfig; \
	  else \
	    echo "phifd: $(LIBDIR) is a system library directory: run 'sudo ldconfig' once so that programs find libphifd.so.$(PHIFD_MAJOR)"; \
	  fi; \
	fi; \
	pcdir=$(LIBDIR)/pkgconfig; \
	if command -v pkg-config >/dev/null 2>&1 && \
	   ! pkg-config --variable pc_path pkg-config | tr ':' '\n' | grep -qx "$$pcdir"; then \
	  echo "phifd: $$pcdir is not on pkg-config's default path; for pkg-config --cflags --libs phifd run:"; \
	  echo "  export PKG_CONFIG_PATH=$$pcdir\$${PKG_CONFIG_PATH:+:\$$PKG_CONFIG_PATH}"; \
	fi; \
	case "$(PREFIX)" in /usr|/usr/local|/) ;; *) \
	  echo "phifd: for CMake's find_package(phifd) pass -DCMAKE_PREFIX_PATH=$(PREFIX) (or put $(BINDIR) on PATH)";; \
	esac

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libphifd.so.$(PHIFD_VERSION) $(DESTDIR)$(LIBDIR)/libphifd.so.$(PHIFD_MAJOR) \
	      $(DESTDIR)$(LIBDIR)/libphifd.so $(DESTDIR)$(LIBDIR)/libphifd.a \
	      $(DESTDIR)$(INCLUDEDIR)/phifd.h $(DESTDIR)$(INCLUDEDIR)/phifd.hpp \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/phifd.pc $(DESTDIR)$(LIBDIR)/pkgconfig/phifd-static.pc \
	      $(DESTDIR)$(LIBDIR)/cmake/phifd/phifdConfig.cmake $(DESTDIR)$(LIBDIR)/cmake/phifd/phifdConfigVersion.cmake \
	      $(DESTDIR)$(BINDIR)/phifd
	@# The package directory is phifd's own; it goes when empty.
	-rmdir $(DESTDIR)$(LIBDIR)/cmake/phifd 2>/dev/null

test-install: lib tool
	MAKE="$(MAKE)" tests/install/run.sh

TEST_TARGETS += test-install
