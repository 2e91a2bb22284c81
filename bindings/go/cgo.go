package phifd

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libphifd.a -lpthread -ldl -lm
#include <stdlib.h>
#include "gophifd.h"
*/
import "C"

import "unsafe"

// errorFrom turns a status and a message copied by one of the C wrappers into a Go error (nil
// for PHIFD_OK). It frees the copy, which the wrapper allocated with malloc.
func errorFrom(status C.phifd_status, msg *C.char) error {
	text := ""
	if msg != nil {
		text = C.GoString(msg)
		C.free(unsafe.Pointer(msg))
	}
	if status == C.PHIFD_OK {
		return nil
	}
	return &Error{Status: Status(status), Message: text}
}

// lastError builds the error for a failed call made directly (not through a wrapper). The
// caller must hold runtime.LockOSThread since before the failing call, so that the message read
// here is the one of that call. The library owns the string; it is copied, never freed.
func lastError(status C.phifd_status) error {
	if status == C.PHIFD_OK {
		return nil
	}
	return &Error{Status: Status(status), Message: C.GoString(C.phifd_last_error_message())}
}
