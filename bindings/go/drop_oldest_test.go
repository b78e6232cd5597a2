package logcap

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// gate is a callback sink that records each entry's seq field and waits in every call until
// the gate opens, holding the pipeline still so which entries are where is known exactly.
type gate struct {
	mu      sync.Mutex
	cv      *sync.Cond
	open    bool
	entered int
	seen    []uint64
}

func newGate() *gate {
	g := &gate{}
	g.cv = sync.NewCond(&g.mu)
	return g
}

func (g *gate) fn(b Batch) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range b.Entries() {
		v, ok := e.Field("seq")
		if !ok || v.Kind() != KindUint64 {
			panic("an entry without a uint64 seq")
		}
		g.seen = append(g.seen, v.Uint64())
	}
	g.entered++
	g.cv.Broadcast()
	for !g.open {
		g.cv.Wait()
	}
	return nil
}

func (g *gate) waitEntered(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.entered < n {
		g.cv.Wait()
	}
}

func (g *gate) release() {
	g.mu.Lock()
	g.open = true
	g.cv.Broadcast()
	g.mu.Unlock()
}

func (g *gate) got() []uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.seen)
}

func logSeq(t *testing.T, p *Pipeline, from, to uint64) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := p.Log(LevelInfo, "request completed", Uint64("seq", i)); err != nil {
			t.Fatalf("Log seq %d: %v", i, err)
		}
	}
}

// waitStats polls the counters until cond holds, for at most a minute.
func waitStats(t *testing.T, p *Pipeline, what string, cond func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := p.Stats()
		must(t, err)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %+v", what, st)
		}
		time.Sleep(time.Millisecond)
	}
}

func seqRange(from, to uint64) []uint64 {
	var s []uint64
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// A full intake queue under drop_oldest keeps the newest entries: with the batcher stuck
// offering entry 2 to a full sink queue, 13 more entries into a queue of 8 evict the 5 oldest.
func TestDropOldestIntakeKeepsTheNewest(t *testing.T) {
	g := newGate()
	// On a failure too, so that the pipeline's finalizer, which closes it, is not held up.
	t.Cleanup(g.release)
	p, err := Open(Config{
		Queue: &QueueConfig{Capacity: 8, WhenFull: DropOldest},
		Batch: &BatchConfig{MaxEntries: 1, MaxDelayMS: 1},
		Sinks: []SinkConfig{{Type: SinkCallback, Name: "gate", QueueCapacity: 1,
			WhenFull: Block, BlockTimeoutMS: 600000, Callback: g.fn}},
	})
	must(t, err)
	logSeq(t, p, 0, 1)
	g.waitEntered(1)
	logSeq(t, p, 1, 2)
	waitStats(t, p, "entry 1 in the sink queue", func(s Stats) bool {
		return s.Sinks[0].Received == 2 && s.Sinks[0].QueuedBatches == 1
	})
	logSeq(t, p, 2, 3)
	waitStats(t, p, "entry 2 offered", func(s Stats) bool { return s.Sinks[0].Received == 3 && s.Queued == 0 })
	logSeq(t, p, 3, 16)
	st, err := p.Stats()
	must(t, err)
	if st.Queued != 8 || st.DroppedQueueEvicted != 5 {
		t.Fatalf("queued %d evicted %d, want 8 and 5", st.Queued, st.DroppedQueueEvicted)
	}
	g.release()
	closeOK(t, p)
	want := append(seqRange(0, 3), seqRange(8, 16)...)
	if got := g.got(); !slices.Equal(got, want) {
		t.Fatalf("survivors %v, want %v (the newest)", got, want)
	}
	st, err = p.Stats()
	must(t, err)
	if st.Submitted != 16 || st.Accepted != 11 || st.DroppedQueueEvicted != 5 || st.Dropped() != 5 {
		t.Fatalf("counters: %+v", st)
	}
	if k := st.Sinks[0]; k.Received != 11 || k.Delivered != 11 || k.Dropped != 0 {
		t.Fatalf("sink counters: %+v", k)
	}
}

// A full sink queue under drop_oldest keeps the newest batches: with the callback holding
// entry 0, 10 one-entry batches into a sink queue of 4 evict the 6 oldest.
func TestDropOldestSinkKeepsTheNewest(t *testing.T) {
	g := newGate()
	t.Cleanup(g.release)
	p, err := Open(Config{
		Queue: &QueueConfig{Capacity: 1024, WhenFull: Block, BlockTimeoutMS: 600000},
		Batch: &BatchConfig{MaxEntries: 1, MaxDelayMS: 1},
		Sinks: []SinkConfig{{Type: SinkCallback, Name: "gate", QueueCapacity: 4,
			WhenFull: DropOldest, Callback: g.fn}},
	})
	must(t, err)
	logSeq(t, p, 0, 1)
	g.waitEntered(1)
	logSeq(t, p, 1, 11)
	// A batch is counted received as it is offered, a moment before it is queued and the
	// eviction it causes is counted: wait for all ten to be in the queue or dropped.
	st := waitStats(t, p, "every batch offered and placed", func(s Stats) bool {
		k := s.Sinks[0]
		return k.Received == 11 && k.Dropped+k.QueuedBatches == 10
	})
	if k := st.Sinks[0]; k.Dropped != 6 || k.QueuedBatches != 4 {
		t.Fatalf("sink: %+v, want 6 dropped and 4 queued", k)
	}
	g.release()
	closeOK(t, p)
	want := append([]uint64{0}, seqRange(7, 11)...)
	if got := g.got(); !slices.Equal(got, want) {
		t.Fatalf("survivors %v, want %v (the newest)", got, want)
	}
	st, err = p.Stats()
	must(t, err)
	k := st.Sinks[0]
	if st.Dropped() != 0 || k.Received != 11 || k.Delivered != 5 || k.Dropped != 6 || k.Failed != 0 {
		t.Fatalf("counters: %+v", st)
	}
}
