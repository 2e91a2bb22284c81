package phifd

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// headerMajorMinor parses HeaderVersion ("X.Y.Z").
func headerMajorMinor(t *testing.T) (uint64, uint64) {
	t.Helper()
	m := regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)$`).FindStringSubmatch(HeaderVersion)
	if m == nil {
		t.Fatalf("HeaderVersion %q is not X.Y.Z", HeaderVersion)
	}
	major, _ := strconv.ParseUint(m[1], 10, 32)
	minor, _ := strconv.ParseUint(m[2], 10, 32)
	return major, minor
}

// The check made when the package initialises: a library from another install is refused.
func TestCheckLibraryVersion(t *testing.T) {
	major, minor := headerMajorMinor(t)
	accept := []string{
		HeaderVersion,
		fmt.Sprintf("%d.%d.99", major, minor),
		fmt.Sprintf("%d.%d.0", major, minor+1), // a newer library serves an older header
	}
	refuse := []string{
		fmt.Sprintf("%d.%d.0", major+1, minor), // another major version
		"", "garbage", fmt.Sprintf("%d.%d", major, minor), fmt.Sprintf("%d.x.0", major),
	}
	if minor > 0 {
		refuse = append(refuse, fmt.Sprintf("%d.%d.9", major, minor-1)) // older than the header
	}
	for _, v := range accept {
		if err := checkLibraryVersion(v); err != nil {
			t.Errorf("library %q with header %s: %v", v, HeaderVersion, err)
		}
	}
	for _, v := range refuse {
		err := checkLibraryVersion(v)
		if err == nil {
			t.Errorf("library %q with header %s: accepted", v, HeaderVersion)
		} else if !regexp.MustCompile(`phifd\.h .*install`).MatchString(err.Error()) {
			t.Errorf("library %q: the message does not say what to do: %v", v, err)
		}
	}
}

// The requirement written in gophifd.h follows the release in Cargo.toml: same major version, a
// minor version not above it.
func TestRequiredVersionMatchesCargo(t *testing.T) {
	cargo, err := os.ReadFile("../../Cargo.toml")
	if err != nil {
		t.Skip("not inside the phifd repository:", err)
	}
	m := regexp.MustCompile(`(?m)^version\s*=\s*"(\d+)\.(\d+)\.`).FindSubmatch(cargo)
	if m == nil {
		t.Fatal("no version in Cargo.toml")
	}
	major, _ := strconv.ParseUint(string(m[1]), 10, 32)
	minor, _ := strconv.ParseUint(string(m[2]), 10, 32)
	if requiredMajor != major || requiredMinor > minor {
		t.Errorf("gophifd.h requires %d.%d, Cargo.toml is %s.%s: update GOPHIFD_REQUIRED_*",
			requiredMajor, requiredMinor, m[1], m[2])
	}
}
