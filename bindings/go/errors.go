package logcap

/*
#include "lcgo.h"
*/
import "C"

import "unsafe"

// Code is a logcap_result: the outcome of a call into the library. The numbers are those of
// include/logcap.h, stable and never reused.
//
// A Code is itself an error, so that errors.Is(err, logcap.ErrClosed) matches any [*Error]
// with that code.
type Code uint32

// The codes of logcap_result, OK excepted.
const (
	ErrNullArgument    = Code(C.LOGCAP_RESULT_NULL_ARGUMENT)    // a required argument was missing
	ErrInvalidArgument = Code(C.LOGCAP_RESULT_INVALID_ARGUMENT) // an argument was out of range
	ErrInvalidHandle   = Code(C.LOGCAP_RESULT_INVALID_HANDLE)   // an entry handle that was never issued
	ErrStaleHandle     = Code(C.LOGCAP_RESULT_STALE_HANDLE)     // an entry already released or submitted
	ErrWrongPipeline   = Code(C.LOGCAP_RESULT_WRONG_PIPELINE)   // an entry used with another pipeline
	ErrConfig          = Code(C.LOGCAP_RESULT_CONFIG)           // an invalid configuration; the message names the key
	ErrSinkSetup       = Code(C.LOGCAP_RESULT_SINK_SETUP)       // a sink could not be set up
	ErrClosed          = Code(C.LOGCAP_RESULT_CLOSED)           // the pipeline is closed
	ErrQueueFull       = Code(C.LOGCAP_RESULT_QUEUE_FULL)       // the queue was full: the entry was dropped and counted
	ErrTimeout         = Code(C.LOGCAP_RESULT_TIMEOUT)          // the call did not finish in time
	ErrNotFound        = Code(C.LOGCAP_RESULT_NOT_FOUND)        // the label or field is not set
	ErrLimit           = Code(C.LOGCAP_RESULT_LIMIT)            // an entry or record limit was reached
	ErrBufferTooSmall  = Code(C.LOGCAP_RESULT_BUFFER_TOO_SMALL) // internal: a buffer was too small
	ErrMalformedRecord = Code(C.LOGCAP_RESULT_MALFORMED_RECORD) // a packed record was refused
	ErrSinkFlush       = Code(C.LOGCAP_RESULT_SINK_FLUSH)       // a sink failed to flush
	ErrPanic           = Code(C.LOGCAP_RESULT_PANIC)            // logcap panicked inside the call (a bug)
	ErrIO              = Code(C.LOGCAP_RESULT_IO)               // a file could not be read or written
)

// String is the library's description of the code (logcap_result_text).
func (c Code) String() string {
	return C.GoString(C.logcap_result_text(C.uint32_t(c)))
}

// Error makes a Code usable as an errors.Is target.
func (c Code) Error() string { return "logcap: " + c.String() }

// Error is every error this package returns: a code and the detail the library gave for it
// (logcap_last_error), or a description made by the binding.
type Error struct {
	Code    Code
	Message string
	cause   error // a context error behind ErrTimeout, for errors.Is
}

// Error formats the code's text and the detail.
func (e *Error) Error() string {
	if e.Message == "" {
		return "logcap: " + e.Code.String()
	}
	return "logcap: " + e.Code.String() + ": " + e.Message
}

// Is reports whether target is this error's Code, or an *Error with the same Code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return e.Code == t
	case *Error:
		return t != nil && e.Code == t.Code
	}
	return false
}

// Unwrap gives the context error that ended a Flush or Close, if that is what happened.
func (e *Error) Unwrap() error { return e.cause }

func newError(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// check turns a C result into nil or an *Error, freeing the detail copy.
func check(r C.lcgo_result) error {
	if r.rc == 0 {
		return nil
	}
	return toError(r)
}

// toError is check's slow path, kept apart so check inlines.
func toError(r C.lcgo_result) *Error {
	e := &Error{Code: Code(r.rc)}
	if r.detail != nil {
		e.Message = C.GoString(r.detail)
		C.free(unsafe.Pointer(r.detail))
	}
	return e
}

// discard frees a result's detail without building an error.
func discard(r C.lcgo_result) {
	if r.detail != nil {
		C.free(unsafe.Pointer(r.detail))
	}
}
