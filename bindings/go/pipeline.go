package logcap

/*
#include "lcgo.h"
*/
import "C"

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// DefaultTimeout bounds Flush and Close when their context has no deadline.
const DefaultTimeout = 30 * time.Second

// Pipeline is an open logcap pipeline: a pool of entries, a queue, a batcher and sinks.
//
// Every method may be called from any number of goroutines at once, Close included.
//
// Lifetime: Close stops intake, delivers what is queued, closes the sinks and stops the
// pipeline's threads; afterwards logging returns ErrClosed and Stats still works. The small
// C object left behind is freed by a finalizer once the Pipeline is unreachable (and its
// entries too), because logcap_pipeline_free needs exclusive use, which only the garbage
// collector can prove without a lock on every log call. A pipeline that is never closed is
// closed by that finalizer (waiting up to 5 seconds); do not rely on it.
type Pipeline struct {
	c *C.logcap_pipeline

	minLevel atomic.Uint32 // a copy of the library's minimum level, for Enabled and Log
	levelMu  sync.Mutex    // orders SetMinLevel's two stores

	sinkNames []string
	callbacks []*callbackState // Go callback sinks, by their cgo.Handle

	lanes *goLanes // the unbound lanes Log writes into (lane.go)

	closeMu sync.Mutex
	closed  atomic.Bool
	freed   bool // callbacks' handles deleted; guarded by closeMu
}

// Callback binds a Go function to a sink of type "callback" in a JSON configuration given to
// OpenJSON. With Open, set SinkConfig.Callback instead.
type Callback struct {
	Name string
	Func BatchFunc
}

// Open starts a pipeline from a typed configuration. Sinks of type "callback" get the Go
// function in their SinkConfig.Callback.
func Open(cfg Config) (*Pipeline, error) {
	var cbs []Callback
	for _, s := range cfg.Sinks {
		if s.Callback != nil {
			cbs = append(cbs, Callback{Name: s.Name, Func: s.Callback})
		}
	}
	doc, err := cfg.JSON()
	if err != nil {
		return nil, err
	}
	return open(doc, cbs)
}

// OpenJSON starts a pipeline from a JSON configuration document (docs/configuration.md); an
// empty document gives the default, one JSON-lines sink on stdout. Each callback is bound to
// the "callback" sink of its name.
func OpenJSON(doc string, callbacks ...Callback) (*Pipeline, error) {
	return open([]byte(doc), callbacks)
}

func open(doc []byte, cbs []Callback) (*Pipeline, error) {
	p, err := start(sharedQueue(doc), cbs)
	if errors.Is(err, ErrConfig) {
		// The error of the document as the caller wrote it, so that its line and column
		// point into that document.
		_, err = start(doc, cbs)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// sharedQueue returns doc with "queue": {"lanes": false} unless doc sets queue.lanes itself
// (docs/lane-protocol.md): with lanes, the handle API goes into the lane of the thread the
// goroutine is on, and a goroutine may move to another thread between two cgo
// calls, so their entries could be delivered out of order; the shared queue keeps each
// goroutine's order. A document that is not a JSON object is returned as it is, for the
// library to say what is wrong with it.
func sharedQueue(doc []byte) []byte {
	if len(bytes.TrimSpace(doc)) == 0 {
		return []byte(`{"queue":{"lanes":false}}`)
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(doc, &top) != nil || top == nil {
		return doc
	}
	queue := map[string]json.RawMessage{}
	if raw, ok := top["queue"]; ok {
		if json.Unmarshal(raw, &queue) != nil || queue == nil {
			return doc
		}
	}
	if _, set := queue["lanes"]; set {
		return doc
	}
	queue["lanes"] = json.RawMessage("false")
	q, err := json.Marshal(queue)
	if err != nil {
		return doc
	}
	top["queue"] = q
	out, err := json.Marshal(top)
	if err != nil {
		return doc
	}
	return out
}

// start makes the pipeline of doc and reads what the binding keeps of it.
func start(doc []byte, cbs []Callback) (*Pipeline, error) {
	p := &Pipeline{lanes: newGoLanes()}
	if len(cbs) == 0 {
		var c *C.logcap_pipeline
		if err := check(C.lcgo_pipeline_new(bytesPtr(doc), C.size_t(len(doc)), &c)); err != nil {
			return nil, err
		}
		p.c = c
	} else if err := p.build(doc, cbs); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(p, (*Pipeline).finalize)

	r := C.lcgo_min_level(p.c)
	if err := check(r); err != nil {
		return nil, err
	}
	p.minLevel.Store(uint32(r.value))
	var st C.logcap_stats
	if err := check(C.lcgo_stats(p.c, &st)); err != nil {
		return nil, err
	}
	p.sinkNames = make([]string, int(st.sink_count))
	for i := range p.sinkNames {
		name, err := p.sinkName(i)
		if err != nil {
			return nil, err
		}
		p.sinkNames[i] = name
	}
	return p, nil
}

// build starts a pipeline with callback sinks through the builder functions.
func (p *Pipeline) build(doc []byte, cbs []Callback) error {
	var b *C.logcap_builder
	if err := check(C.lcgo_builder_new(bytesPtr(doc), C.size_t(len(doc)), &b)); err != nil {
		return err
	}
	for _, cb := range cbs {
		if cb.Func == nil {
			C.logcap_builder_free(b)
			p.deleteHandles()
			return newError(ErrNullArgument, "callback "+cb.Name+" has no function")
		}
		st := &callbackState{name: cb.Name, fn: cb.Func}
		st.handle = cgo.NewHandle(st)
		p.callbacks = append(p.callbacks, st)
		r := C.lcgo_builder_add_callback(b, strPtr(cb.Name), C.size_t(len(cb.Name)), C.uintptr_t(st.handle))
		if err := check(r); err != nil {
			C.logcap_builder_free(b)
			p.deleteHandles()
			return err
		}
	}
	// The builder is consumed whatever the result.
	var c *C.logcap_pipeline
	if err := check(C.lcgo_builder_build(b, &c)); err != nil {
		p.deleteHandles()
		return err
	}
	p.c = c
	return nil
}

// deleteHandles releases the callbacks' handles; the states stay, for their counters.
func (p *Pipeline) deleteHandles() {
	for _, cb := range p.callbacks {
		cb.handle.Delete()
	}
}

// callbackStates are the Go callback sinks; set before the Pipeline is returned by Open.
func (p *Pipeline) callbackStates() []*callbackState { return p.callbacks }

// ptr is the C pipeline. It panics if the pipeline was freed, which only the finalizer does,
// so a reachable Pipeline always has one.
func (p *Pipeline) ptr() *C.logcap_pipeline {
	if p.c == nil {
		panic("logcap: use of a freed Pipeline")
	}
	return p.c
}

// freedPipelines counts finalized pipelines, for tests.
var freedPipelines atomic.Uint64

func (p *Pipeline) finalize() {
	// Unreachable: no other call can be running, as logcap_pipeline_free requires.
	p.lanes.releaseLanes()
	C.logcap_pipeline_free(p.c)
	p.c = nil
	freedPipelines.Add(1)
	p.closeMu.Lock()
	if !p.freed {
		p.freed = true
		p.deleteHandles()
	}
	p.closeMu.Unlock()
}

// Close stops intake (later submits get ErrClosed), delivers everything queued, closes the
// sinks and stops the pipeline's threads. It is idempotent and safe to call concurrently
// with logging. It waits until ctx's deadline (DefaultTimeout without one). If that is not
// enough, delivery is abandoned at the deadline and Close returns ErrTimeout: no sink is
// called again and what was not delivered is counted in each sink's Dropped; a callback
// running at the deadline is waited for (a Go function cannot be interrupted), so Close may
// return later than the deadline by the rest of that call. A later Close waits for the
// pipeline's threads to be gone. If ctx is cancelled first, Close returns ctx.Err() and the
// close goes on in the background until its deadline.
//
// Once Close has returned, with nil or ErrTimeout, the Go functions of callback sinks are
// no longer called and their handles are released.
func (p *Pipeline) Close(ctx context.Context) error {
	return p.wait(ctx, "close", true, func(ms uint64) error {
		p.closeMu.Lock()
		defer p.closeMu.Unlock()
		err := check(C.lcgo_pipeline_close(p.ptr(), C.uint64_t(ms)))
		runtime.KeepAlive(p)
		if err == nil {
			p.closed.Store(true)
		}
		if (err == nil || errors.Is(err, ErrTimeout)) && !p.freed {
			// Whatever close returned, the library calls no callback any more.
			p.freed = true
			p.deleteHandles()
		}
		return err
	})
}

// Flush waits until everything submitted before the call has been delivered, dropped or
// failed by every sink, and every sink has flushed (a file sink fsyncs). It waits until
// ctx's deadline (DefaultTimeout without one) and returns ErrTimeout after it; ErrClosed
// after Close; ErrSinkFlush when a sink failed to flush. If ctx is cancelled first, Flush
// returns ctx.Err().
func (p *Pipeline) Flush(ctx context.Context) error {
	return p.wait(ctx, "flush", false, func(ms uint64) error {
		err := check(C.lcgo_pipeline_flush(p.ptr(), C.uint64_t(ms)))
		runtime.KeepAlive(p)
		return err
	})
}

// wait runs a blocking call with a timeout taken from ctx, returning early on cancellation.
// With overrun, a call that outlasts the deadline (close waiting for a callback in progress)
// is waited for, so that its guarantees hold when wait returns.
func (p *Pipeline) wait(ctx context.Context, what string, overrun bool, call func(ms uint64) error) error {
	if err := ctx.Err(); err != nil {
		return ctxError(what, err)
	}
	ms := uint64(DefaultTimeout / time.Millisecond)
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d)
		if left <= 0 {
			return ctxError(what, context.DeadlineExceeded)
		}
		// Rounded up, so a deadline under a millisecond away still waits.
		ms = uint64((left + time.Millisecond - 1) / time.Millisecond)
	}
	if ctx.Done() == nil {
		return call(ms)
	}
	done := make(chan error, 1)
	go func() { done <- call(ms) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		if overrun && ctx.Err() == context.DeadlineExceeded {
			return <-done
		}
		// The library's own timeout and the deadline end together: prefer its answer.
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Millisecond):
		}
		return ctxError(what, ctx.Err())
	}
}

// ctxError is ErrTimeout for a passed deadline (errors.Is also matches
// context.DeadlineExceeded), and the context's own error for a cancellation.
func ctxError(what string, err error) error {
	if err == context.DeadlineExceeded {
		return &Error{Code: ErrTimeout, Message: what + ": context deadline exceeded", cause: err}
	}
	return err
}

// SetMinLevel sets the minimum level: entries below it are not logged. It takes effect for
// log calls that start after it returns.
func (p *Pipeline) SetMinLevel(l Level) error {
	p.levelMu.Lock()
	defer p.levelMu.Unlock()
	err := check(C.lcgo_set_min_level(p.ptr(), C.uint32_t(l)))
	runtime.KeepAlive(p)
	if err == nil {
		p.minLevel.Store(uint32(l))
	}
	return err
}

// MinLevel is the minimum level.
func (p *Pipeline) MinLevel() Level { return Level(p.minLevel.Load()) }

// Enabled reports whether an entry at level l would be logged.
func (p *Pipeline) Enabled(l Level) bool { return uint32(l) >= p.minLevel.Load() }

// SubmitRecord submits one packed record (docs/record-format.md), as encoded by
// AppendRecord or by another binding: one cgo call, in which the library checks it whole. A
// malformed record is refused with ErrMalformedRecord, whose message says where and why, and
// nothing is submitted. rec is only read during the call. With lanes, the record goes into
// the lane Pipeline.Log writes, so that a goroutine's records through both keep one order.
func (p *Pipeline) SubmitRecord(rec []byte) error {
	if ok, err := p.submitToLaneChecked(0, rec); ok {
		return err
	}
	return p.submitRecord(rec)
}

func (p *Pipeline) submitRecord(rec []byte) error {
	r := C.lcgo_submit_record(C.uintptr_t(uintptr(unsafe.Pointer(p.ptr()))), bytesPtr(rec), C.size_t(len(rec)))
	runtime.KeepAlive(p)
	return check(r)
}

func (p *Pipeline) sinkName(i int) (string, error) {
	return readText(64, func(buf []byte) C.lcgo_result {
		r := C.lcgo_sink_name(p.ptr(), C.size_t(i), bytesPtr(buf), C.size_t(len(buf)))
		runtime.KeepAlive(p)
		return r
	})
}

// readText calls read with a buffer of size bytes, then with one of the length it asks for
// as long as it answers ErrBufferTooSmall (the text may grow between two calls), and returns
// the text it wrote.
func readText(size int, read func(buf []byte) C.lcgo_result) (string, error) {
	buf := make([]byte, size)
	for {
		r := read(buf)
		if Code(r.rc) == ErrBufferTooSmall {
			buf = make([]byte, int(r.value))
			continue
		}
		if err := check(r); err != nil {
			return "", err
		}
		return string(buf[:r.value]), nil
	}
}

// Metrics renders every counter of the pipeline, its sinks and its processing stage in the
// Prometheus text exposition format, for a service to serve on its own /metrics.
func (p *Pipeline) Metrics() (string, error) {
	return readText(8192, func(buf []byte) C.lcgo_result {
		r := C.lcgo_metrics(p.ptr(), bytesPtr(buf), C.size_t(len(buf)))
		runtime.KeepAlive(p)
		return r
	})
}

// ReplayDeadLetters re-submits the entries of a network sink's dead-letter file
// (docs/network-sinks.md) through this pipeline and returns how many were taken into its
// queue. Entries the pipeline's minimum level, sampling, rate limiting or hook drop are not
// counted and stay in the file. An *Error with code ErrIO means the file could not be read.
func (p *Pipeline) ReplayDeadLetters(path string) (int, error) {
	b := []byte(path)
	r := C.lcgo_replay(p.ptr(), bytesPtr(b), C.size_t(len(b)))
	runtime.KeepAlive(p)
	runtime.KeepAlive(b)
	if err := check(r); err != nil {
		return 0, err
	}
	return int(r.value), nil
}
