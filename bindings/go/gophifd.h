#ifndef GOPHIFD_H
#define GOPHIFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The C header comes from an installed phifd, found through pkg-config (phifd-static.pc) or, with
 * the build tag phifd_nopkgconfig, through the caller's CGO_CFLAGS. When it is missing, say what
 * to install instead of "phifd.h: No such file or directory", and stop there.
 */
#if defined(__has_include)
#if !__has_include(<phifd.h>)
#error                                                                                                                 \
    "phifd: phifd.h not found. Install the phifd C library: the Debian package libphifd-dev (make deb in the phifd repository builds it into build/deb/), or make install PREFIX=/opt/phifd then export PKG_CONFIG_PATH=/opt/phifd/lib/pkgconfig. With -tags phifd_nopkgconfig, set CGO_CFLAGS=-I<directory of phifd.h> and CGO_LDFLAGS=-L<directory of libphifd> instead."
#endif
#endif
#include <phifd.h>

/*
 * The phifd versions this binding works with: the same major version, at least this minor one
 * (a binding test checks these against Cargo.toml). The header's version is checked here, at
 * compile time; the linked library's (phifd_version()) when the package initialises.
 */
#define GOPHIFD_REQUIRED_MAJOR 0
#define GOPHIFD_REQUIRED_MINOR 1
#if defined(PHIFD_VERSION_MAJOR) &&                                                                                    \
    (PHIFD_VERSION_MAJOR != GOPHIFD_REQUIRED_MAJOR || PHIFD_VERSION_MINOR < GOPHIFD_REQUIRED_MINOR)
#error                                                                                                                 \
    "phifd: the installed phifd.h is not a version this Go binding supports (it needs 0.x with x >= 1). Install the phifd C library of the same release as the binding (libphifd-dev, or make install PREFIX=...) and point PKG_CONFIG_PATH at it."
#endif

/*
 * This header is all the C the binding needs: the two compile-time checks above, which only the
 * preprocessor can make, and the library's header. Every library function is called straight from
 * Go; call.go explains how a failure's message is read (the goroutine stays on its OS thread from
 * the call to phifd_last_error_message) and how outputs stay on the stack (cgo_noescape.go).
 */

#endif
