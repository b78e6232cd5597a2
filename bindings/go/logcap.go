// Package logcap is the Go binding of logcap, a log pipeline core written in Rust and
// exposed through a C ABI (include/logcap.h).
//
// A [Pipeline] owns a pool of entries, a bounded queue, a batcher and its sinks. Log through
// it in one of three ways:
//
//   - [Pipeline.Log] and [Logger]: the fast path. Typed attributes ([String], [Int64],
//     [Label], ...) are encoded into a packed record in a reused buffer and submitted with
//     one cgo call, without allocating; with lanes ([QueueConfig].Lanes), encoded straight
//     into a lane of the pipeline's, with no cgo call (docs/lane-protocol.md).
//   - [NewSlogHandler]: a [log/slog] handler on the same packed-record path.
//   - [Pipeline.Acquire] and [Entry]: the handle API, one cgo call per setter, for building
//     an entry from several goroutines or copying one with [Entry.Clone].
//
// Every failure is an [*Error] carrying a [Code] that mirrors logcap_result, so
// errors.Is(err, logcap.ErrClosed) works.
//
// The package needs cgo. It links the static library bundled with the module for the
// platform (build/GOOS-GOARCH/liblogcap.a, linux/amd64 for now), so programs need no
// LD_LIBRARY_PATH; with the build tag logcap_system it links an installed library through
// pkg-config instead. See docs/go.md.
package logcap

/*
#include "logcap.h"
*/
import "C"

import "unsafe"

// Version is the version of the linked library, "MAJOR.MINOR.PATCH".
func Version() string {
	return C.GoString(C.logcap_version())
}

// HeaderVersion is the version of include/logcap.h the binding was compiled against.
const HeaderVersion = C.LOGCAP_VERSION_STRING

// Limits of one entry and of one packed record, from include/logcap.h.
const (
	MaxLabels         = C.LOGCAP_MAX_LABELS           // 64 labels per entry
	MaxFields         = C.LOGCAP_MAX_FIELDS           // 1024 fields per entry
	MaxKeyBytes       = C.LOGCAP_MAX_KEY_BYTES        // 1024 bytes per label or field key
	MaxMessageBytes   = C.LOGCAP_MAX_MESSAGE_BYTES    // 256 KiB per message
	RecordVersion     = C.LOGCAP_RECORD_VERSION       // the packed record layout version, 1
	RecordHeaderLen   = C.LOGCAP_RECORD_HEADER_LEN    // 20 bytes of fixed header
	MaxRecordBytes    = C.LOGCAP_RECORD_MAX_BYTES     // 1 MiB per record, header included
	MaxRecordKeyBytes = C.LOGCAP_RECORD_MAX_KEY_BYTES // 1024 bytes per key
)

// emptyCgoCall makes the cheapest call into the library, for measuring the cgo floor.
func emptyCgoCall() {
	C.logcap_version()
}

// strPtr is the address of s's bytes as C sees them (NULL for an empty string). C only
// reads them during the call, and they contain no Go pointers, so passing them is allowed
// by the cgo pointer rules without a copy.
func strPtr(s string) *C.uint8_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s)))
}

// bytesPtr is strPtr for a byte slice.
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b)))
}
