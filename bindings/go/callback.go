package logcap

/*
#include "lcgo.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"sync/atomic"
	"time"
	"unsafe"
)

// BatchFunc receives each batch of a callback sink, on the sink's own thread: never two
// calls at once for one sink. A non-nil error, or a panic (which is recovered), counts the
// batch as failed for this sink (SinkStats.Failed; a panic also counts in SinkStats.Panics)
// and the pipeline goes on.
type BatchFunc func(Batch) error

// callbackState is what a callback sink's cgo.Handle points to.
type callbackState struct {
	name      string
	fn        BatchFunc
	handle    cgo.Handle
	panics    atomic.Uint64
	lastPanic atomic.Value // string
}

// Batch is a read-only view of one batch, valid only during the BatchFunc call that
// receives it: the library frees the batch when the call returns. Every method copies what
// it returns into Go memory, so the results may be kept; the Batch itself must not be, and
// after the call it reads as empty.
type Batch struct {
	v *batchView
}

type batchView struct {
	c    *C.logcap_batch // set before the view is shared, never written again
	done atomic.Bool     // the call has returned: c is freed
}

// ptr is the batch, or nil after the call.
func (b Batch) ptr() *C.logcap_batch {
	if b.v == nil || b.v.done.Load() {
		return nil
	}
	return b.v.c
}

// BatchEntry is one entry of a batch, copied into Go memory.
type BatchEntry struct {
	Level   Level
	Time    time.Time
	Message string
	TraceID string // "" when absent
	SpanID  string // "" when absent
	Labels  []Attr // Label attributes, in the order they were set
	Fields  []Attr // field attributes, in the order they were set
}

// Label is the value of the label key, and whether the entry has it.
func (e *BatchEntry) Label(key string) (string, bool) {
	for _, a := range e.Labels {
		if a.key == key {
			return a.str, true
		}
	}
	return "", false
}

// Field is the value of the field key, and whether the entry has it.
func (e *BatchEntry) Field(key string) (Value, bool) {
	for _, a := range e.Fields {
		if a.key == key {
			return a.Value(), true
		}
	}
	return Value{}, false
}

// Len is the number of entries (0 after the call).
func (b Batch) Len() int {
	c := b.ptr()
	if c == nil {
		return 0
	}
	var n C.size_t
	if C.logcap_batch_len(c, &n) != 0 {
		return 0
	}
	return int(n)
}

// JSON is the whole batch as JSON lines (docs/output.md), one line per entry: a copy, which
// the caller owns. The library encodes it once per batch and shares it between sinks. nil
// after the call.
func (b Batch) JSON() []byte {
	c := b.ptr()
	if c == nil {
		return nil
	}
	var s C.logcap_str
	if C.logcap_batch_json(c, &s) != 0 {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(s.ptr), C.int(s.len))
}

// Entry copies entry i; it panics if i is out of range, as indexing a slice does.
func (b Batch) Entry(i int) BatchEntry {
	c := b.ptr()
	if n := b.Len(); i < 0 || i >= n {
		panic(fmt.Sprintf("logcap: batch entry %d out of range [0:%d]", i, n))
	}
	var v C.logcap_entry_view
	if rc := C.logcap_batch_entry(c, C.size_t(i), &v); rc != 0 {
		panic("logcap: logcap_batch_entry: " + Code(rc).String())
	}
	e := BatchEntry{
		Level:   Level(v.level),
		Time:    timeFromNanos(uint64(v.timestamp_ns)),
		Message: goString(v.message),
		TraceID: goString(v.trace_id),
		SpanID:  goString(v.span_id),
		Labels:  make([]Attr, 0, int(v.label_count)),
		Fields:  make([]Attr, 0, int(v.field_count)),
	}
	var k, val C.logcap_str
	for j := 0; j < int(v.label_count); j++ {
		if rc := C.logcap_batch_label(c, C.size_t(i), C.size_t(j), &k, &val); rc != 0 {
			panic("logcap: logcap_batch_label: " + Code(rc).String())
		}
		e.Labels = append(e.Labels, Label(goString(k), goString(val)))
	}
	var f C.logcap_field_view
	for j := 0; j < int(v.field_count); j++ {
		if rc := C.logcap_batch_field(c, C.size_t(i), C.size_t(j), &k, &f); rc != 0 {
			panic("logcap: logcap_batch_field: " + Code(rc).String())
		}
		key := goString(k)
		var a Attr
		switch Kind(f.kind) {
		case KindInt64:
			a = Int64(key, int64(f.i64))
		case KindUint64:
			a = Uint64(key, uint64(f.u64))
		case KindFloat64:
			a = Float64(key, float64(f.f64))
		case KindBool:
			a = Bool(key, bool(f.boolean))
		default:
			a = String(key, goString(f.str))
		}
		e.Fields = append(e.Fields, a)
	}
	return e
}

// Entries copies every entry.
func (b Batch) Entries() []BatchEntry {
	n := b.Len()
	out := make([]BatchEntry, n)
	for i := range out {
		out[i] = b.Entry(i)
	}
	return out
}

// goString copies a borrowed logcap_str.
func goString(s C.logcap_str) string {
	if s.len == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(s.ptr)), int(s.len)))
}

// onBatch runs a callback sink's Go function for lcgoOnBatch: 0 on success, 1 for an error,
// 2 for a panic (recovered: a panic must not unwind into the library's thread).
func onBatch(handle uintptr, c *C.logcap_batch) (rc int32) {
	var st *callbackState
	defer func() {
		if r := recover(); r != nil {
			if st != nil {
				st.panics.Add(1)
				st.lastPanic.Store(fmt.Sprint(r))
			}
			rc = 2
		}
	}()
	// Value panics for a deleted handle, which cannot happen while the pipeline runs; if it
	// did, the recover above turns it into a failed batch.
	st = cgo.Handle(handle).Value().(*callbackState)
	v := &batchView{c: c}
	defer v.done.Store(true)
	if err := st.fn(Batch{v: v}); err != nil {
		return 1
	}
	return 0
}
