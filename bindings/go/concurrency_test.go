//go:build go1.22

package logcap

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 50 goroutines log at once; afterwards every counter adds up, per pipeline and per sink,
// under a blocking queue (nothing dropped) and under drop policies (drops counted exactly).
func TestConcurrentLoggersCountsAddUp(t *testing.T) {
	configs := map[string]Config{
		"block": {
			Queue: &QueueConfig{Capacity: 1024, WhenFull: Block, BlockTimeoutMS: 10000},
		},
		"drop_newest": {
			Queue: &QueueConfig{Capacity: 64, WhenFull: DropNewest},
			Batch: &BatchConfig{MaxEntries: 16},
		},
		"drop_oldest": {
			Queue: &QueueConfig{Capacity: 64, WhenFull: DropOldest},
			Batch: &BatchConfig{MaxEntries: 16},
		},
	}
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			var seen atomic.Uint64
			cfg.Sinks = []SinkConfig{
				{Type: SinkNull, Name: "null"},
				{Type: SinkCallback, WhenFull: Block, Name: "count", Callback: func(b Batch) error {
					seen.Add(uint64(b.Len()))
					return nil
				}},
				// A slow sink with a small queue that drops batches rather than wait.
				{Type: SinkCallback, Name: "slow", QueueCapacity: 1, WhenFull: DropNewest,
					Callback: func(Batch) error {
						time.Sleep(time.Millisecond)
						return nil
					}},
			}
			p, err := Open(cfg)
			must(t, err)
			const goroutines, perG = 50, 400
			var ok, full atomic.Uint64
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					lg := p.With(Label("g", strconv.Itoa(g)))
					for i := 0; i < perG; i++ {
						err := lg.Log(LevelInfo, "request completed", standardAttrs()[4:]...)
						switch {
						case err == nil:
							ok.Add(1)
						case errors.Is(err, ErrQueueFull):
							full.Add(1)
						default:
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			closeOK(t, p)
			st, err := p.Stats()
			must(t, err)
			total := uint64(goroutines * perG)
			if st.Submitted != total || ok.Load()+full.Load() != total {
				t.Fatalf("submitted %d, ok %d + full %d, want %d", st.Submitted, ok.Load(), full.Load(), total)
			}
			if st.Submitted != st.Accepted+st.Dropped() {
				t.Fatalf("submitted %d != accepted %d + dropped %d", st.Submitted, st.Accepted, st.Dropped())
			}
			if st.DroppedQueueFull != full.Load() || st.Queued != 0 {
				t.Fatalf("dropped_queue_full %d, Go saw %d; queued %d", st.DroppedQueueFull, full.Load(), st.Queued)
			}
			if name == "block" && st.Accepted != total {
				t.Fatalf("a blocking queue dropped entries: %+v", st)
			}
			for _, k := range st.Sinks {
				if k.Received != st.Accepted {
					t.Errorf("sink %s received %d, accepted %d", k.Name, k.Received, st.Accepted)
				}
				if k.Received != k.Delivered+k.Dropped+k.Failed || k.QueuedBatches != 0 {
					t.Errorf("sink %s: received %d != delivered %d + dropped %d + failed %d",
						k.Name, k.Received, k.Delivered, k.Dropped, k.Failed)
				}
			}
			if c, _ := st.Sink("count"); c.Delivered != seen.Load() {
				t.Errorf("count sink delivered %d, saw %d", c.Delivered, seen.Load())
			}
			t.Logf("%s: accepted %d, dropped %d (full %d, evicted %d); slow sink dropped %d",
				name, st.Accepted, st.Dropped(), st.DroppedQueueFull, st.DroppedQueueEvicted, st.Sinks[2].Dropped)
		})
	}
}

// The original design's test: 50 writers and 50 readers, 100 operations each, on one
// entry's labels and fields. Every write lands, every read sees a value some writer wrote,
// and each reader sees each key's values in the order they were written.
func TestEntryConcurrentLabelsAndFields(t *testing.T) {
	p := openNull(t)
	e, err := p.Acquire()
	must(t, err)
	const writers, readers, ops = 50, 50, 100
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lk, fk := "l"+strconv.Itoa(w), "f"+strconv.Itoa(w)
			for i := 0; i < ops; i++ {
				if err := e.SetLabel(lk, fmt.Sprintf("w%d-%d", w, i)); err != nil {
					errs <- err
					return
				}
				if err := e.SetInt64(fk, int64(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			last := make([]int64, writers)
			for i := range last {
				last[i] = -1
			}
			for i := 0; i < ops; i++ {
				w := rng.IntN(writers)
				v, ok, err := e.Label("l" + strconv.Itoa(w))
				if err != nil || ok && !strings.HasPrefix(v, fmt.Sprintf("w%d-", w)) {
					errs <- fmt.Errorf("label l%d = %q, %v", w, v, err)
					return
				}
				f, ok, err := e.Field("f" + strconv.Itoa(w))
				if err != nil {
					errs <- err
					return
				}
				if ok {
					n := f.Int64()
					if f.Kind() != KindInt64 || n < last[w] || n >= ops {
						errs <- fmt.Errorf("field f%d = %v after %d", w, f, last[w])
						return
					}
					last[w] = n
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	labels, fields, err := e.Counts()
	must(t, err)
	if labels != writers || fields != writers {
		t.Fatalf("%d labels, %d fields, want %d each", labels, fields, writers)
	}
	for w := 0; w < writers; w++ {
		v, ok, err := e.Label("l" + strconv.Itoa(w))
		if err != nil || !ok || v != fmt.Sprintf("w%d-%d", w, ops-1) {
			t.Errorf("label l%d = %q %v %v", w, v, ok, err)
		}
		f, ok, err := e.Field("f" + strconv.Itoa(w))
		if err != nil || !ok || f.Int64() != ops-1 {
			t.Errorf("field f%d = %v %v %v", w, f, ok, err)
		}
	}
	must(t, e.Submit())
}

// One second of every entry operation at once, Clone included, on shared entries that are
// replaced as they are submitted: only the documented errors, no crash, and the counters
// add up.
func TestEntryStress(t *testing.T) {
	p, err := Open(Config{
		Queue: &QueueConfig{Capacity: 4096, WhenFull: DropNewest},
		Sinks: []SinkConfig{{Type: SinkNull, Name: "null"}},
	})
	must(t, err)
	var cur atomic.Pointer[Entry]
	first, err := p.Acquire()
	must(t, err)
	cur.Store(first)

	stop := time.Now().Add(time.Second)
	var wg sync.WaitGroup
	var opsDone, stale, submitted, clones atomic.Uint64
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			for time.Now().Before(stop) {
				e := cur.Load()
				k := "k" + strconv.Itoa(rng.IntN(40))
				var err error
				switch rng.IntN(16) {
				case 0:
					err = e.SetLabel(k, "v")
				case 1:
					_, _, err = e.Label(k)
				case 2:
					err = e.DeleteLabel(k)
				case 3:
					err = e.SetString(k, strings.Repeat("s", rng.IntN(200)))
				case 4:
					err = e.SetInt64(k, rng.Int64())
				case 5:
					err = e.SetUint64(k, rng.Uint64())
				case 6:
					err = e.SetFloat64(k, rng.Float64())
				case 7:
					err = e.SetBool(k, rng.IntN(2) == 1)
				case 8:
					_, _, err = e.Field(k)
				case 9:
					err = e.DeleteField(k)
				case 10:
					_, _, err = e.Counts()
				case 11:
					err = e.SetMessage("message " + k)
				case 12:
					_, err = e.Message()
				case 13:
					err = e.SetLevel(Level(rng.IntN(6)))
				case 14:
					var c *Entry
					if c, err = e.Clone(); err == nil {
						clones.Add(1)
						if rng.IntN(2) == 0 {
							err = c.Release()
						} else if err = c.Submit(); errors.Is(err, ErrQueueFull) {
							err = nil
						}
					}
				case 15:
					// Replace the shared entry and submit the old one; others may still be
					// using it and must get ErrStaleHandle.
					n, aerr := p.Acquire()
					if aerr != nil {
						err = aerr
						break
					}
					if cur.CompareAndSwap(e, n) {
						if err = e.Submit(); errors.Is(err, ErrQueueFull) {
							err = nil
						}
						submitted.Add(1)
					} else {
						err = n.Release()
					}
				}
				switch {
				case err == nil, errors.Is(err, ErrNotFound), errors.Is(err, ErrLimit):
				case errors.Is(err, ErrStaleHandle):
					stale.Add(1)
				default:
					select {
					case errs <- err:
					default:
					}
					return
				}
				opsDone.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	must(t, cur.Load().Release())
	closeOK(t, p)
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != st.Accepted+st.Dropped() || st.Sinks[0].Received != st.Accepted ||
		st.Sinks[0].Received != st.Sinks[0].Delivered+st.Sinks[0].Dropped+st.Sinks[0].Failed {
		t.Fatalf("counters do not add up: %+v", st)
	}
	if opsDone.Load() < 1000 || submitted.Load() == 0 || clones.Load() == 0 {
		t.Fatalf("too little done: %d ops, %d submitted, %d clones", opsDone.Load(), submitted.Load(), clones.Load())
	}
	t.Logf("%d ops, %d entries submitted, %d clones, %d stale-handle answers", opsDone.Load(), submitted.Load(),
		clones.Load(), stale.Load())
}
