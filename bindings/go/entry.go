package logcap

/*
#include "lcgo.h"
*/
import "C"

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// Entry is a pooled log entry acquired from a Pipeline, filled with one call per setter and
// consumed by Submit or Release.
//
// Its methods may be called from any number of goroutines at once: the library locks the
// entry for each call. The handle is checked by the library, so a use after Submit or
// Release returns ErrStaleHandle rather than touching another entry.
//
// An Entry that becomes unreachable without Submit or Release is released by a finalizer.
// It keeps its Pipeline reachable.
type Entry struct {
	h        uintptr // the checked handle; an integer, never a Go pointer (see lcgo.h)
	p        *Pipeline
	consumed atomic.Bool // submitted or released: the finalizer has nothing to do
}

// Acquire takes an empty entry from the pipeline's pool: level info, no timestamp (it is
// stamped at submit). ErrClosed after Close.
func (p *Pipeline) Acquire() (*Entry, error) {
	r := C.lcgo_acquire(p.ptr())
	runtime.KeepAlive(p)
	if err := check(r); err != nil {
		return nil, err
	}
	return p.newEntry(uintptr(r.value)), nil
}

func (p *Pipeline) newEntry(h uintptr) *Entry {
	e := &Entry{h: h, p: p}
	runtime.SetFinalizer(e, (*Entry).finalize)
	return e
}

// finalize releases an entry that was dropped without Submit or Release. The handle is
// checked, so even a finalizer racing an explicit Release cannot release another entry.
func (e *Entry) finalize() {
	if !e.consumed.Load() {
		discard(C.lcgo_release(C.uintptr_t(e.h)))
	}
}

// Submit submits the entry to its pipeline (see Pipeline.Submit).
func (e *Entry) Submit() error { return e.p.Submit(e) }

// Submit submits e: it is stamped (if it has no timestamp) and queued, then batched and
// written by every sink. The entry is consumed, whatever the result, except for
// ErrStaleHandle, ErrInvalidHandle and ErrWrongPipeline (an entry of another pipeline),
// after which it is still the caller's. ErrQueueFull and ErrTimeout mean the queue policy
// dropped it (and counted it); ErrClosed that the pipeline is closed. An entry below the
// minimum level is dropped, counted, and nil is returned. With lanes, the entry goes into
// the lane Pipeline.Log and SubmitRecord write, so that one goroutine's entries and records
// through those keep one order.
func (p *Pipeline) Submit(e *Entry) error {
	r, inLane := p.submitEntryToLane(e)
	if !inLane {
		r = C.lcgo_submit(p.ptr(), C.uintptr_t(e.h))
	}
	runtime.KeepAlive(p)
	runtime.KeepAlive(e)
	switch Code(r.rc) {
	case ErrNullArgument, ErrInvalidHandle, ErrStaleHandle, ErrWrongPipeline:
	default:
		e.consumed.Store(true)
	}
	return check(r)
}

// Release returns the entry to its pool without submitting it. A second Release, or one
// after Submit, returns ErrStaleHandle.
func (e *Entry) Release() error {
	r := C.lcgo_release(C.uintptr_t(e.h))
	runtime.KeepAlive(e)
	if r.rc == 0 {
		e.consumed.Store(true)
	}
	return check(r)
}

// Clone deep-copies the entry into a new entry of the same pipeline, owned by the caller
// until submitted or released.
func (e *Entry) Clone() (*Entry, error) {
	r := C.lcgo_clone(C.uintptr_t(e.h))
	runtime.KeepAlive(e)
	if err := check(r); err != nil {
		return nil, err
	}
	return e.p.newEntry(uintptr(r.value)), nil
}

// SetLabel sets a label (a low-cardinality stream label), replacing its value. ErrLimit
// beyond MaxLabels labels; an empty key is ErrInvalidArgument.
func (e *Entry) SetLabel(key, value string) error {
	r := C.lcgo_set_label(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)), strPtr(value), C.size_t(len(value)))
	runtime.KeepAlive(e)
	return check(r)
}

// DeleteLabel removes a label; ErrNotFound if it was not set.
func (e *Entry) DeleteLabel(key string) error {
	r := C.lcgo_delete_label(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)))
	runtime.KeepAlive(e)
	return check(r)
}

// Label reads a label: its value and whether it is set.
func (e *Entry) Label(key string) (string, bool, error) {
	buf := make([]byte, 64)
	for {
		r := C.lcgo_get_label(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)), bytesPtr(buf), C.size_t(len(buf)))
		runtime.KeepAlive(e)
		switch Code(r.rc) {
		case ErrBufferTooSmall:
			// Another goroutine may change the value between two calls: try again.
			buf = make([]byte, int(r.value))
			continue
		case ErrNotFound:
			return "", false, nil
		}
		if err := check(r); err != nil {
			return "", false, err
		}
		return string(buf[:r.value]), true, nil
	}
}

// SetString sets a string field, replacing any value (of any type) it had. ErrLimit beyond
// MaxFields fields.
func (e *Entry) SetString(key, value string) error {
	r := C.lcgo_set_str(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)), strPtr(value), C.size_t(len(value)))
	runtime.KeepAlive(e)
	return check(r)
}

// SetInt64 sets a signed integer field.
func (e *Entry) SetInt64(key string, value int64) error {
	r := C.lcgo_set_i64(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)), C.int64_t(value))
	runtime.KeepAlive(e)
	return check(r)
}

// SetUint64 sets an unsigned integer field.
func (e *Entry) SetUint64(key string, value uint64) error {
	r := C.lcgo_set_u64(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)), C.uint64_t(value))
	runtime.KeepAlive(e)
	return check(r)
}

// SetFloat64 sets a double field (NaN and infinities are written as strings in JSON).
func (e *Entry) SetFloat64(key string, value float64) error {
	r := C.lcgo_set_f64(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)), C.double(value))
	runtime.KeepAlive(e)
	return check(r)
}

// SetBool sets a boolean field.
func (e *Entry) SetBool(key string, value bool) error {
	r := C.lcgo_set_bool(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)), C._Bool(value))
	runtime.KeepAlive(e)
	return check(r)
}

// SetField sets a field of any kind.
func (e *Entry) SetField(key string, v Value) error {
	switch v.kind {
	case KindInt64:
		return e.SetInt64(key, int64(v.num))
	case KindUint64:
		return e.SetUint64(key, v.num)
	case KindFloat64:
		return e.SetFloat64(key, math.Float64frombits(v.num))
	case KindBool:
		return e.SetBool(key, v.num != 0)
	}
	return e.SetString(key, v.str)
}

// DeleteField removes a field; ErrNotFound if it was not set.
func (e *Entry) DeleteField(key string) error {
	r := C.lcgo_delete_field(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)))
	runtime.KeepAlive(e)
	return check(r)
}

// Field reads a field: its typed value and whether it is set.
func (e *Entry) Field(key string) (Value, bool, error) {
	buf := make([]byte, 32)
	for {
		f := C.lcgo_get_field(C.uintptr_t(e.h), strPtr(key), C.size_t(len(key)), bytesPtr(buf), C.size_t(len(buf)))
		runtime.KeepAlive(e)
		switch Code(f.r.rc) {
		case ErrBufferTooSmall:
			buf = make([]byte, int(f.str_len))
			continue
		case ErrNotFound:
			return Value{}, false, nil
		}
		if err := check(f.r); err != nil {
			return Value{}, false, err
		}
		switch Kind(f.kind) {
		case KindInt64:
			return Int64Value(int64(f.i64)), true, nil
		case KindUint64:
			return Uint64Value(uint64(f.u64)), true, nil
		case KindFloat64:
			return Float64Value(float64(f.f64)), true, nil
		case KindBool:
			return BoolValue(bool(f.boolean)), true, nil
		}
		return StringValue(string(buf[:f.str_len])), true, nil
	}
}

// Counts is the number of labels and of fields.
func (e *Entry) Counts() (labels, fields int, err error) {
	r := C.lcgo_counts(C.uintptr_t(e.h))
	runtime.KeepAlive(e)
	if err := check(r); err != nil {
		return 0, 0, err
	}
	return int(r.value >> 32), int(r.value & 0xffffffff), nil
}

// SetMessage sets the message.
func (e *Entry) SetMessage(msg string) error {
	r := C.lcgo_set_message(C.uintptr_t(e.h), strPtr(msg), C.size_t(len(msg)))
	runtime.KeepAlive(e)
	return check(r)
}

// Message reads the message.
func (e *Entry) Message() (string, error) {
	return readText(64, func(buf []byte) C.lcgo_result {
		r := C.lcgo_get_message(C.uintptr_t(e.h), bytesPtr(buf), C.size_t(len(buf)))
		runtime.KeepAlive(e)
		return r
	})
}

// SetLevel sets the level; a level above LevelFatal is ErrInvalidArgument.
func (e *Entry) SetLevel(l Level) error {
	r := C.lcgo_set_level(C.uintptr_t(e.h), C.uint32_t(l))
	runtime.KeepAlive(e)
	return check(r)
}

// Level reads the level.
func (e *Entry) Level() (Level, error) {
	r := C.lcgo_get_level(C.uintptr_t(e.h))
	runtime.KeepAlive(e)
	if err := check(r); err != nil {
		return 0, err
	}
	return Level(r.value), nil
}

// SetTime sets the timestamp. The zero time (or any time before 1970) clears it: the entry
// is then stamped when it is submitted.
func (e *Entry) SetTime(t time.Time) error {
	r := C.lcgo_set_timestamp(C.uintptr_t(e.h), C.uint64_t(unixNanos(t)))
	runtime.KeepAlive(e)
	return check(r)
}

// Time reads the timestamp; the zero time if it has none yet.
func (e *Entry) Time() (time.Time, error) {
	r := C.lcgo_get_timestamp(C.uintptr_t(e.h))
	runtime.KeepAlive(e)
	if err := check(r); err != nil {
		return time.Time{}, err
	}
	return timeFromNanos(uint64(r.value)), nil
}

// SetTraceID sets the trace id; an empty one clears it.
func (e *Entry) SetTraceID(id string) error {
	r := C.lcgo_set_trace_id(C.uintptr_t(e.h), strPtr(id), C.size_t(len(id)))
	runtime.KeepAlive(e)
	return check(r)
}

// SetSpanID sets the span id; an empty one clears it.
func (e *Entry) SetSpanID(id string) error {
	r := C.lcgo_set_span_id(C.uintptr_t(e.h), strPtr(id), C.size_t(len(id)))
	runtime.KeepAlive(e)
	return check(r)
}

// unixNanos is t in nanoseconds since the Unix epoch, 0 ("stamp at submit") for the zero
// time and times before the epoch.
func unixNanos(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	n := t.UnixNano()
	if n < 0 {
		return 0
	}
	return uint64(n)
}

// timeFromNanos is the inverse of unixNanos; the zero time for 0.
func timeFromNanos(ns uint64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	if ns > math.MaxInt64 {
		ns = math.MaxInt64
	}
	return time.Unix(0, int64(ns))
}
