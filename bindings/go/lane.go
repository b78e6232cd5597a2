//go:build cgo

package logcap

/*
#include "lcgo.h"
*/
import "C"

import (
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Lanes bound to no thread (docs/lane-protocol.md, "Who writes a lane"). A goroutine moves
// between threads, so Go cannot have a lane per thread; a pipeline opened with lanes on
// instead has a few lanes of its own, each shared by goroutines that take turns at it under a
// mutex: the goroutine holding it writes the record's frame into the lane's memory and
// publishes it with sync/atomic, with no cgo call. It calls the library only when the plain
// case does not apply: a full lane (the queue's policy, applied on the library's side), a
// record larger than the ring or over a limit, a closed pipeline or a poisoned lane, and to
// wake an asleep batcher. A Logger (and its children) and a slog handler (and the handlers
// made from it) write into one lane, picked round robin when the first was made; Pipeline.Log
// writes into the first. Entries through one of them keep their order; entries that one
// goroutine logs through two of them are ordered as entries of two threads are, not at all.

// The lane header's fields the writer uses (docs/lane-protocol.md, "The header").
const (
	laneCapacity      = 8
	laneMaxRecords    = 12
	laneWrite         = 64
	laneSubmitted     = 80
	laneDroppedLevel  = 88
	laneDroppedFull   = 96
	laneDroppedTime   = 104
	laneBusy          = 112
	laneRead          = 128
	laneReleased      = 160
	laneAsleep        = 192
	laneClosed        = 196
	lanePoisoned      = 200
	laneMinLevel      = 204
	laneHeaderLen     = 256
	frameKindRecord   = 1
	frameKindSkip     = 2
	recordStampOffset = 8
)

// lanesMax bounds the lanes of one pipeline.
const lanesMax = 16

// goLane is one unbound lane and the position its writers keep. Every field but the mutex is
// used only with the mutex held.
type goLane struct {
	mu sync.Mutex
	// The lane (a *C.logcap_unbound_lane as an integer, 0 until opened) and its memory,
	// allocated by the library.
	handle  uintptr
	memAddr uintptr
	mem     unsafe.Pointer
	// The ring's capacity in bytes and the most records it holds (0: no bound).
	capacity   uint64
	maxRecords uint64
	// The writers' own copies: where the next frame goes, the records submitted and pushed.
	write     uint64
	submitted uint64
	pushed    uint64
	// The consumer's position and released records, as last loaded.
	read     uint64
	released uint64
	// Where the write position goes once the reserved record is committed.
	next uint64
	_    [64]byte // the next lane's mutex on another cache line
}

// goLanes are a pipeline's unbound lanes.
type goLanes struct {
	lanes []goLane
	next  atomic.Uint32 // round robin for new loggers and handlers
	off   atomic.Bool   // the pipeline takes its submits through the shared queue
}

func newGoLanes() *goLanes {
	n := runtime.GOMAXPROCS(0)
	if n > lanesMax {
		n = lanesMax
	}
	return &goLanes{lanes: make([]goLane, n)}
}

// pick is the lane of a new Logger or slog handler.
func (s *goLanes) pick() uint32 {
	return s.next.Add(1) % uint32(len(s.lanes))
}

func (l *goLane) u64(off uintptr) *uint64 { return (*uint64)(unsafe.Add(l.mem, off)) }
func (l *goLane) u32(off uintptr) *uint32 { return (*uint32)(unsafe.Add(l.mem, off)) }

// setMemory takes the lane's memory from memAddr and reads its layout, and the position and
// counts from its producer line (the library's calls may have written it).
func (l *goLane) setMemory() {
	l.mem = *(*unsafe.Pointer)(unsafe.Pointer(&l.memAddr))
	l.capacity = uint64(*l.u32(laneCapacity))
	l.maxRecords = uint64(*l.u32(laneMaxRecords))
	l.takeUp()
}

// takeUp reloads the position and counts after a call into the library, which wrote the
// lane's producer line: the writers and the library are one producer, one after the other.
func (l *goLane) takeUp() {
	l.write = atomic.LoadUint64(l.u64(laneWrite))
	l.submitted = atomic.LoadUint64(l.u64(laneSubmitted))
	l.pushed = l.submitted - atomic.LoadUint64(l.u64(laneDroppedLevel)) -
		atomic.LoadUint64(l.u64(laneDroppedFull)) - atomic.LoadUint64(l.u64(laneDroppedTime))
	l.read = atomic.LoadUint64(l.u64(laneRead))
	l.released = atomic.LoadUint64(l.u64(laneReleased))
}

// open gets the lane from the library: false when the pipeline has no lanes.
func (l *goLane) open(p *Pipeline) (bool, error) {
	r := C.lcgo_unbound_lane(C.uintptr_t(uintptr(unsafe.Pointer(p.ptr()))), (*C.uintptr_t)(unsafe.Pointer(&l.memAddr)))
	runtime.KeepAlive(p)
	if err := check(r); err != nil {
		return false, err
	}
	if r.value == 0 {
		return false, nil
	}
	l.handle = uintptr(r.value)
	l.setMemory()
	return true, nil
}

// What reserve found.
const (
	reserved = iota // dst is the frame's payload: encode into it, then commit or abandon
	counted         // below the minimum level: counted in the lane, nothing to write
	slowPath        // not the plain case (closed, poisoned, no room, larger than the ring)
)

// reserve opens a call into the lane for a record of n bytes at level (steps 1–3 of "Close",
// then "Reserve" of docs/lane-protocol.md): on reserved, dst is where the record goes, and
// the call must end with commit or abandon; otherwise the call is over.
func (l *goLane) reserve(n uint64, level uint32) (dst []byte, r int) {
	busy := l.u32(laneBusy)
	// Sequentially consistent, as every sync/atomic operation: the store and the load of
	// closed are the producer's half of close's Dekker pair.
	atomic.StoreUint32(busy, 1)
	if atomic.LoadUint32(l.u32(laneClosed)) != 0 || atomic.LoadUint32(l.u32(lanePoisoned)) != 0 {
		atomic.StoreUint32(busy, 0)
		return nil, slowPath
	}
	if level < atomic.LoadUint32(l.u32(laneMinLevel)) {
		l.submitted++
		*l.u64(laneSubmitted) = l.submitted
		dl := l.u64(laneDroppedLevel)
		*dl++
		atomic.StoreUint32(busy, 0)
		return nil, counted
	}
	f := 8 + (n+7)&^7
	w := l.write
	var skip uint64
	if toEnd := l.capacity - w&(l.capacity-1); f > toEnd {
		skip = toEnd
	}
	if !l.room(w + skip + f) {
		atomic.StoreUint32(busy, 0)
		return nil, slowPath
	}
	ring := unsafe.Add(l.mem, laneHeaderLen)
	if skip != 0 {
		frameHeader(unsafe.Add(ring, w&(l.capacity-1)), 0, frameKindSkip)
	}
	at := unsafe.Add(ring, (w+skip)&(l.capacity-1))
	frameHeader(at, uint32(n), frameKindRecord)
	l.next = w + skip + f
	return unsafe.Slice((*byte)(unsafe.Add(at, 8)), n), reserved
}

// commit publishes the record written into dst (from reserve), stamped now if it has no
// timestamp, and ends the call: it reports whether the batcher must be woken.
func (l *goLane) commit(dst []byte) (wake bool) {
	if binary.LittleEndian.Uint64(dst[recordStampOffset:]) == 0 {
		binary.LittleEndian.PutUint64(dst[recordStampOffset:], uint64(time.Now().UnixNano()))
	}
	l.submitted++
	l.pushed++
	l.write = l.next
	// A counter is written by its one writer and read Relaxed (docs/lane-protocol.md): a plain
	// aligned store. The write position is the publish: an atomic store, ordered after every
	// byte of the frame.
	*l.u64(laneSubmitted) = l.submitted
	atomic.StoreUint64(l.u64(laneWrite), l.write)
	atomic.StoreUint32(l.u32(laneBusy), 0)
	return atomic.LoadUint32(l.u32(laneAsleep)) != 0
}

// abandon ends a call whose record was not written after all: nothing is published, and the
// bytes written past the write position are overwritten by the next record.
func (l *goLane) abandon() {
	atomic.StoreUint32(l.u32(laneBusy), 0)
}

// push copies rec (a record within every limit) into the lane: done is false when the
// library must take it, wake whether the batcher must be woken.
func (l *goLane) push(rec []byte) (done, wake bool) {
	dst, r := l.reserve(uint64(len(rec)), uint32(rec[3]))
	switch r {
	case reserved:
		copy(dst, rec)
		return true, l.commit(dst)
	case counted:
		return true, false
	}
	return false, false
}

// room reports whether the ring has room up to position end and for one more record,
// loading the consumer's position again only when the last one says no.
func (l *goLane) room(end uint64) bool {
	fits := func() bool {
		return end-l.read <= l.capacity && (l.maxRecords == 0 || l.pushed-l.released < l.maxRecords)
	}
	if end-l.write > l.capacity {
		return false // larger than the ring
	}
	if fits() {
		return true
	}
	l.read = atomic.LoadUint64(l.u64(laneRead))
	l.released = atomic.LoadUint64(l.u64(laneReleased))
	return fits()
}

func frameHeader(at unsafe.Pointer, length, kind uint32) {
	b := unsafe.Slice((*byte)(at), 8)
	binary.LittleEndian.PutUint32(b, length)
	binary.LittleEndian.PutUint32(b[4:], kind)
}

// slow submits rec through the library into the lane, which takes up what the writers
// published, applies the queue's policy and may move the lane to new memory.
func (l *goLane) slow(p *Pipeline, rec []byte) error {
	r := C.lcgo_unbound_lane_submit_record(C.uintptr_t(uintptr(unsafe.Pointer(p.ptr()))), C.uintptr_t(l.handle),
		bytesPtr(rec), C.size_t(len(rec)), (*C.uintptr_t)(unsafe.Pointer(&l.memAddr)))
	runtime.KeepAlive(p)
	l.setMemory()
	return check(r)
}

// release lets go of the lane; the pipeline is unreachable (its finalizer calls this).
func (l *goLane) release() {
	if l.handle != 0 {
		C.lcgo_unbound_lane_release(C.uintptr_t(l.handle))
		l.handle, l.mem = 0, nil
	}
}

// submitToLane submits an encoded record through lane i: written into the lane when it keeps
// every limit and the plain case applies, through the library otherwise (with the same
// answers and counters as SubmitRecord). entryInLimits says that the encoder knows every limit
// but the record's length holds (see entryInLimits); otherwise the record is read to find
// out. ok is false when the pipeline has no lanes.
func (p *Pipeline) submitToLane(i uint32, rec []byte, entryInLimits bool) (ok bool, err error) {
	l, ok, err := p.lockLane(i)
	if !ok || err != nil {
		return ok, err
	}
	var done, wake bool
	if entryInLimits || recordInLimits(rec) {
		done, wake = l.push(rec)
	}
	if !done {
		err = l.slow(p, rec)
	}
	p.unlockLane(l, wake)
	return true, err
}

// submitToLaneChecked submits rec, which may be malformed, into lane i through the library,
// which checks it whole (the slow path's call): ok is false when the pipeline has no lanes.
func (p *Pipeline) submitToLaneChecked(i uint32, rec []byte) (ok bool, err error) {
	l, ok, err := p.lockLane(i)
	if !ok || err != nil {
		return ok, err
	}
	err = l.slow(p, rec)
	p.unlockLane(l, false)
	return true, err
}

// submitEntryToLane submits e into lane 0 (Pipeline.Log's) through the library, which takes
// up what the goroutines published there first: ok is false when the pipeline has no lanes
// (or the lane cannot be opened), and the caller submits e as without lanes.
func (p *Pipeline) submitEntryToLane(e *Entry) (r C.lcgo_result, ok bool) {
	l, ok, err := p.lockLane(0)
	if !ok || err != nil {
		return r, false
	}
	r = C.lcgo_unbound_lane_submit_entry(C.uintptr_t(uintptr(unsafe.Pointer(p.ptr()))), C.uintptr_t(l.handle),
		C.uintptr_t(e.h), (*C.uintptr_t)(unsafe.Pointer(&l.memAddr)))
	runtime.KeepAlive(p)
	runtime.KeepAlive(e)
	l.setMemory()
	p.unlockLane(l, false)
	return r, true
}

// lockLane locks lane i, opening it on first use: ok is false (and the lane not locked) when
// the pipeline has no lanes; on an error the lane is not locked either.
func (p *Pipeline) lockLane(i uint32) (l *goLane, ok bool, err error) {
	s := p.lanes
	if s.off.Load() {
		return nil, false, nil
	}
	l = &s.lanes[i]
	l.mu.Lock()
	if l.handle == 0 {
		opened, err := l.open(p)
		if !opened {
			l.mu.Unlock()
			if err == nil {
				s.off.Store(true)
				return nil, false, nil
			}
			return nil, true, err
		}
	}
	return l, true, nil
}

// unlockLane unlocks a lane lockLane locked, then wakes the batcher if wake says so.
func (p *Pipeline) unlockLane(l *goLane, wake bool) {
	h := l.handle
	l.mu.Unlock()
	if wake {
		// The lane stays allocated until the pipeline's finalizer releases it, and p is
		// reachable here.
		C.lcgo_unbound_lane_wake(C.uintptr_t(h))
		runtime.KeepAlive(p)
	}
}

// encodeToLane has encode write a record of exactly n bytes at level straight into lane i,
// when the pipeline has lanes and the plain case applies: for the slog handler, whose parts
// are encoded already, so that writing them into the lane costs what a copy of the record
// would (Log encodes outside the mutex and copies: the encoding under it would hold it twice
// as long, for no gain measured). done is false when the caller must encode and submit the
// record the other way (no lanes, a full lane, close: the library's path decides).
func (p *Pipeline) encodeToLane(i uint32, level Level, n int, encode func(dst []byte) ([]byte, error)) (done bool, err error) {
	l, ok, err := p.lockLane(i)
	if !ok || err != nil {
		return ok, err
	}
	dst, r := l.reserve(uint64(n), uint32(level))
	wake := false
	switch r {
	case reserved:
		rec, err := encode(dst[:0])
		if err != nil || len(rec) != n || unsafe.SliceData(rec) != unsafe.SliceData(dst) {
			// Not the size computed beforehand: the record went elsewhere; submit it the
			// other way.
			l.abandon()
			break
		}
		wake, done = l.commit(dst), true
	case counted:
		done = true
	}
	p.unlockLane(l, wake)
	return done, nil
}

// releaseLanes lets go of every lane; for the finalizer.
func (s *goLanes) releaseLanes() {
	for i := range s.lanes {
		s.lanes[i].release()
	}
}
