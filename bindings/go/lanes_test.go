package logcap

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lanesCollector opens a pipeline with lanes on, the queue settings q and a collector named
// "cb"; the caller closes it.
func lanesCollector(t *testing.T, q QueueConfig) (*Pipeline, *collector) {
	t.Helper()
	c := &collector{}
	lanes := true
	q.Lanes = &lanes
	p, err := Open(Config{
		Queue: &q,
		Batch: &BatchConfig{MaxDelayMS: 5},
		Sinks: []SinkConfig{{Type: SinkCallback, WhenFull: Block, Name: "cb", Callback: c.fn}},
	})
	must(t, err)
	return p, c
}

// checkOrder fails unless every goroutine's entries (label g, field seq) arrived once and in
// order, want[g] of them.
func checkOrder(t *testing.T, entries []BatchEntry, want []int64) {
	t.Helper()
	next := make([]int64, len(want))
	for _, e := range entries {
		gs, _ := e.Label("g")
		g, err := strconv.Atoi(gs)
		must(t, err)
		seq, _ := e.Field("seq")
		if seq.Int64() != next[g] {
			t.Fatalf("goroutine %d: seq %d, want %d (out of order or twice)", g, seq.Int64(), next[g])
		}
		next[g]++
	}
	for g := range want {
		if next[g] != want[g] {
			t.Errorf("goroutine %d: %d entries arrived, want %d", g, next[g], want[g])
		}
	}
}

// checkEachOrder is checkOrder for goroutines 0 to goroutines-1, n entries each.
func checkEachOrder(t *testing.T, entries []BatchEntry, goroutines, n int64) {
	t.Helper()
	want := make([]int64, goroutines)
	for g := range want {
		want[g] = n
	}
	checkOrder(t, entries, want)
}

// Goroutines that move between threads, several per Logger (so they take turns at its lane),
// through Loggers, their children, Pipeline.Log and slog handlers, with lanes small enough to
// wrap and fill (the library's slow path then waits for room) and now and then a record
// larger than the lane (which moves the lane to a larger one): every entry arrives once and
// in its goroutine's order, and the counters add up. Run with -race by make test-go.
func TestUnboundLanesKeepEachGoroutinesOrderThroughLoggersAndSlog(t *testing.T) {
	p, c := lanesCollector(t, QueueConfig{LaneBytes: 4096, Capacity: 16, WhenFull: Block, BlockTimeoutMS: 60000})
	const goroutines, perG = 8, 2000
	big := strings.Repeat("x", 6000)
	var wg sync.WaitGroup
	shared := []*Logger{p.With(Label("svc", "a")), p.With(Label("svc", "b"))}
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			gl := Label("g", strconv.Itoa(g))
			lg := shared[g%2].With(gl)
			sl := slog.New(NewSlogHandler(p, &SlogOptions{LabelKeys: []string{"g"}})).With("g", strconv.Itoa(g))
			for i := 0; i < perG; i++ {
				var err error
				switch {
				case g == 0:
					err = p.Log(LevelInfo, "lane", gl, Int("seq", i))
				case g == 1:
					sl.Info("lane", "seq", i)
				case i%500 == 7:
					err = lg.Info("big", Int("seq", i), String("pad", big))
				default:
					err = lg.Info("lane", Int("seq", i))
				}
				if err != nil {
					t.Error(err)
					return
				}
				if i%100 == 0 {
					runtime.Gosched()
				}
			}
		}(g)
	}
	wg.Wait()
	flushOK(t, p)
	checkEachOrder(t, c.all(), goroutines, perG)
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != goroutines*perG || st.Accepted != goroutines*perG || st.DroppedMalformed != 0 ||
		st.DroppedQueueFull != 0 || st.DroppedQueueTimeout != 0 {
		t.Fatalf("%+v", st)
	}
	closeOK(t, p)
}

// The point of the lanes: once a Logger's lane is open, a log call that finds room and the
// batcher awake makes no cgo call. The batcher is kept awake, inside the callback sink, which
// waits; the lane holds everything logged meanwhile.
func TestUnboundLaneLogMakesNoCgoCall(t *testing.T) {
	inside, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	var got atomic.Int64
	lanes := true
	p, err := Open(Config{
		Queue: &QueueConfig{Lanes: &lanes, WhenFull: Block},
		Batch: &BatchConfig{MaxEntries: 1},
		Sinks: []SinkConfig{{Type: SinkCallback, WhenFull: Block, Name: "cb", Callback: func(b Batch) error {
			if !first.Swap(true) {
				close(inside)
				<-release
			}
			got.Add(int64(b.Len()))
			return nil
		}}},
	})
	must(t, err)
	lg := p.With(Label("svc", "api"))
	must(t, lg.Info("opens the lane and wakes the batcher"))
	<-inside
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	const n = 200 // their records fit in the lane (262144 bytes)
	before := runtime.NumCgoCall()
	for i := 0; i < n; i++ {
		if err := lg.Info("request completed", standardAttrs()...); err != nil {
			t.Fatal(err)
		}
	}
	calls := runtime.NumCgoCall() - before
	close(release)
	released = true
	if calls != 0 {
		t.Errorf("%d log calls made %d cgo calls, want 0", n, calls)
	}
	closeOK(t, p)
	if got.Load() != n+1 {
		t.Fatalf("%d entries delivered, want %d", got.Load(), n+1)
	}
}

// Below the minimum level an entry is counted, not written, with no cgo call; a full lane
// under drop_newest refuses through the library with ErrQueueFull and counts it.
func TestUnboundLaneLevelAndFullLaneAreCounted(t *testing.T) {
	inside, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	lanes := true
	p, err := Open(Config{
		MinLevel: LevelInfo,
		Queue:    &QueueConfig{Lanes: &lanes, Capacity: 8, WhenFull: DropNewest},
		Batch:    &BatchConfig{MaxEntries: 1},
		Sinks: []SinkConfig{{Type: SinkCallback, WhenFull: Block, Name: "cb", Callback: func(b Batch) error {
			if !first.Swap(true) {
				close(inside)
				<-release
			}
			return nil
		}}},
	})
	must(t, err)
	lg := p.With()
	must(t, lg.Info("first"))
	<-inside
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	before := runtime.NumCgoCall()
	for i := 0; i < 5; i++ {
		must(t, lg.Debug("below the level"))
	}
	if calls := runtime.NumCgoCall() - before; calls != 0 {
		t.Errorf("entries below the level made %d cgo calls", calls)
	}
	var full int
	for i := 0; i < 20; i++ {
		if err := lg.Info("fill"); err != nil {
			wantCode(t, err, ErrQueueFull)
			full++
		}
	}
	close(release)
	released = true
	flushOK(t, p)
	st, err := p.Stats()
	must(t, err)
	if full == 0 || st.DroppedLevel != 5 || st.DroppedQueueFull != uint64(full) ||
		st.Submitted != 26 || st.Accepted != uint64(21-full) {
		t.Fatalf("full %d, %+v", full, st)
	}
	closeOK(t, p)
}

// Close racing loggers: every call that returned nil is delivered, every later one gets
// ErrClosed, and nothing else is counted.
func TestUnboundLanesCloseRacingLoggers(t *testing.T) {
	p, c := lanesCollector(t, QueueConfig{LaneBytes: 8192, WhenFull: Block, BlockTimeoutMS: 60000})
	const goroutines = 6
	accepted := make([]int64, goroutines)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			lg := p.With(Label("g", strconv.Itoa(g)))
			for i := 0; ; i++ {
				err := lg.Info("race", Int("seq", i))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				accepted[g]++
			}
		}(g)
	}
	time.Sleep(30 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	must(t, p.Close(ctx))
	wg.Wait()
	checkOrder(t, c.all(), accepted)
	var total int64
	for _, n := range accepted {
		total += n
	}
	st, err := p.Stats()
	must(t, err)
	if total == 0 || st.Submitted != uint64(total) || st.Accepted != uint64(total) {
		t.Fatalf("accepted %d, %+v", total, st)
	}
}

// SubmitRecord goes into the lane Pipeline.Log writes, checked whole by the library: one
// goroutine's records through both keep one order, and a malformed one is refused with its
// code and message, as without lanes.
func TestUnboundLaneSubmitRecordKeepsOrderWithLog(t *testing.T) {
	p, c := lanesCollector(t, QueueConfig{LaneBytes: 4096, WhenFull: Block, BlockTimeoutMS: 60000})
	const n = 3000
	for i := 0; i < n; i++ {
		var err error
		if i%2 == 0 {
			err = p.Log(LevelInfo, "log", Label("g", "0"), Int("seq", i))
		} else {
			var rec []byte
			rec, err = AppendRecord(nil, LevelInfo, 0, "record", Label("g", "0"), Int("seq", i))
			must(t, err)
			err = p.SubmitRecord(rec)
		}
		must(t, err)
		if i%50 == 0 {
			runtime.Gosched()
		}
	}
	rec, err := AppendRecord(nil, LevelInfo, 0, "bad", Int("seq", 0))
	must(t, err)
	err = p.SubmitRecord(rec[:len(rec)-1])
	wantCode(t, err, ErrMalformedRecord)
	if !strings.Contains(err.Error(), "length") {
		t.Errorf("the refusal says where: %v", err)
	}
	flushOK(t, p)
	checkOrder(t, c.all(), []int64{n})
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != n || st.Accepted != n || st.DroppedMalformed != 0 {
		t.Fatalf("%+v", st)
	}
	closeOK(t, p)
}

// Entries go into the lane Pipeline.Log and SubmitRecord write, through the library: each
// goroutine's entries, logs and records keep one order however the goroutines move between
// threads (before, an entry went into the lane of the thread the goroutine happened to be
// on), with a lane small enough to wrap and fill; the entry handle is consumed.
func TestUnboundLaneEntriesKeepOrderWithLogAndSubmitRecord(t *testing.T) {
	p, c := lanesCollector(t, QueueConfig{LaneBytes: 4096, WhenFull: Block, BlockTimeoutMS: 60000})
	const goroutines, n = 4, 1500
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			gs := strconv.Itoa(g)
			for i := 0; i < n; i++ {
				var err error
				switch i % 3 {
				case 0:
					err = p.Log(LevelInfo, "log", Label("g", gs), Int("seq", i))
				case 1:
					var rec []byte
					if rec, err = AppendRecord(nil, LevelInfo, 0, "record", Label("g", gs), Int("seq", i)); err == nil {
						err = p.SubmitRecord(rec)
					}
				default:
					var e *Entry
					if e, err = p.Acquire(); err != nil {
						break
					}
					if err = e.SetMessage("entry"); err == nil {
						if err = e.SetLabel("g", gs); err == nil {
							err = e.SetInt64("seq", int64(i))
						}
					}
					if err == nil {
						err = e.Submit()
						if e.Release() == nil {
							t.Errorf("a submitted entry was still the caller's")
						}
					}
				}
				if err != nil {
					t.Errorf("goroutine %d, %d: %v", g, i, err)
					return
				}
				if i%40 == 0 {
					runtime.Gosched()
				}
			}
		}(g)
	}
	wg.Wait()
	flushOK(t, p)
	checkEachOrder(t, c.all(), goroutines, n)
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != goroutines*n || st.Accepted != goroutines*n {
		t.Fatalf("%+v", st)
	}
	late, err := p.Acquire()
	must(t, err)
	closeOK(t, p)
	// After close, Submit of an entry acquired before answers ErrClosed, and none can be had.
	wantCode(t, late.Submit(), ErrClosed)
	_, err = p.Acquire()
	wantCode(t, err, ErrClosed)
}
