package phifd

/*
// The C library comes from an installed phifd (see README.md, "Installing"):
//   - by default through pkg-config, package phifd-static: the header directory and the static
//     archive libphifd.a by absolute path, so programs need no shared library at run time.
//     PKG_CONFIG_PATH selects a non-system prefix; inside the repository, `make go-pc` writes
//     build/go-pkgconfig/phifd-static.pc for the checkout's own build.
//   - with the build tag phifd_nopkgconfig, from the caller's CGO_CFLAGS/CGO_LDFLAGS, plus a plain
//     -lphifd (shared unless CGO_LDFLAGS names the archive or -static).
#cgo !phifd_nopkgconfig pkg-config: phifd-static
#cgo phifd_nopkgconfig LDFLAGS: -lphifd -lpthread -ldl -lm
#include "gophifd.h"
*/
import "C"

import (
	"fmt"
	"strconv"
	"strings"
)

// The oldest phifd release the binding supports (gophifd.h): the header and the library must
// have this major version and at least this minor version.
const (
	requiredMajor = C.GOPHIFD_REQUIRED_MAJOR
	requiredMinor = C.GOPHIFD_REQUIRED_MINOR
)

func init() {
	if err := checkLibraryVersion(Version()); err != nil {
		panic(err)
	}
}

// checkLibraryVersion reports whether the linked library (its phifd_version() string, lib) can
// serve code compiled against this package's header: same major version and a minor version at
// least the header's. A mismatch means the header and the library come from different installs;
// calls could then pass structs of the wrong layout, so the package refuses to start.
func checkLibraryVersion(lib string) error {
	var nums [2]uint64
	parts := strings.SplitN(lib, ".", 3)
	ok := len(parts) == 3
	for i := 0; ok && i < 2; i++ {
		n, err := strconv.ParseUint(parts[i], 10, 32)
		nums[i], ok = n, err == nil
	}
	if ok && nums[0] == C.PHIFD_VERSION_MAJOR && nums[1] >= C.PHIFD_VERSION_MINOR {
		return nil
	}
	return fmt.Errorf("phifd: the linked library is version %q but the package was compiled "+
		"against phifd.h %s: the header and the library come from different installs; install "+
		"one phifd release (libphifd-dev, or make install PREFIX=...) and rebuild", lib, HeaderVersion)
}
