//go:build !cgo

package phifd

// The package calls the phifd C library through cgo. Without cgo (CGO_ENABLED=0, or no C
// compiler found, in which case the go command disables cgo by itself) every other file of the
// package is left out, and this one stops the build with an error that names the cause instead of
// "undefined: phifd.NewMonitor".
var _ = phifd_needs_cgo__install_a_C_compiler_and_set_CGO_ENABLED_1
