# make install [PREFIX=/usr/local] [DESTDIR=]: the shared library with its SONAME links, the
# static library, the C and C++ headers, and a pkg-config file generated from phifd.pc.in.
#   $(DESTDIR)$(PREFIX)/lib/libphifd.so.X.Y.Z, libphifd.so.X -> .X.Y.Z, libphifd.so -> .X
#   $(DESTDIR)$(PREFIX)/lib/libphifd.a
#   $(DESTDIR)$(PREFIX)/include/phifd.h, phifd.hpp
#   $(DESTDIR)$(PREFIX)/lib/pkgconfig/phifd.pc
# make uninstall removes exactly these files. make test-install checks the result from outside.
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PHIFD_VERSION := $(shell sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -1)
PHIFD_MAJOR := $(firstword $(subst ., ,$(PHIFD_VERSION)))
INSTALL ?= install
# A directory as the .pc file writes it: relative to ${prefix} when it lies under PREFIX.
phifd_pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

.PHONY: install uninstall test-install

install: lib
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	$(INSTALL) -m 0755 $(RELEASE)/libphifd.so $(DESTDIR)$(LIBDIR)/libphifd.so.$(PHIFD_VERSION)
	ln -sfn libphifd.so.$(PHIFD_VERSION) $(DESTDIR)$(LIBDIR)/libphifd.so.$(PHIFD_MAJOR)
	ln -sfn libphifd.so.$(PHIFD_MAJOR) $(DESTDIR)$(LIBDIR)/libphifd.so
	$(INSTALL) -m 0644 $(RELEASE)/libphifd.a $(DESTDIR)$(LIBDIR)/libphifd.a
	$(INSTALL) -m 0644 include/phifd.h include/phifd.hpp $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(call phifd_pc_dir,$(LIBDIR))|g' \
	    -e 's|@INCLUDEDIR@|$(call phifd_pc_dir,$(INCLUDEDIR))|g' \
	    -e 's|@VERSION@|$(PHIFD_VERSION)|g' phifd.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/phifd.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/phifd.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libphifd.so.$(PHIFD_VERSION) $(DESTDIR)$(LIBDIR)/libphifd.so.$(PHIFD_MAJOR) \
	      $(DESTDIR)$(LIBDIR)/libphifd.so $(DESTDIR)$(LIBDIR)/libphifd.a \
	      $(DESTDIR)$(INCLUDEDIR)/phifd.h $(DESTDIR)$(INCLUDEDIR)/phifd.hpp \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/phifd.pc

test-install: lib
	MAKE="$(MAKE)" tests/install/run.sh

TEST_TARGETS += test-install
