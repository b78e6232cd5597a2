package logcap

import (
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// Lanes from Go: a goroutine locked to its thread keeps that thread's lane, so its entries
// arrive once and in its order; each goroutine here ends still locked, so Go ends its thread,
// which retires the lane with whatever records the batcher has not read yet. Run with -race
// by make test-go.
func TestLanesFromGoroutinesLockedToTheirThreads(t *testing.T) {
	c := &collector{}
	lanes := true
	p, err := Open(Config{
		Queue: &QueueConfig{Lanes: &lanes, LaneBytes: 8192, WhenFull: Block, BlockTimeoutMS: 60000},
		Sinks: []SinkConfig{{Type: SinkCallback, WhenFull: Block, Name: "cb", Callback: c.fn}},
	})
	must(t, err)
	const goroutines, perG = 8, 3000
	var wg sync.WaitGroup
	var inUse sync.Map
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			lg := p.With(Label("g", strconv.Itoa(g)))
			for i := 0; i < perG; i++ {
				if err := lg.Log(LevelInfo, "lane", Int("seq", i)); err != nil {
					t.Error(err)
					return
				}
			}
			st, err := p.Stats()
			if err != nil {
				t.Error(err)
				return
			}
			inUse.Store(g, st.Lanes)
		}(g)
	}
	wg.Wait()
	flushOK(t, p)
	next := make([]int64, goroutines)
	for _, e := range c.all() {
		gs, _ := e.Label("g")
		g, err := strconv.Atoi(gs)
		must(t, err)
		seq, _ := e.Field("seq")
		if seq.Int64() != next[g] {
			t.Fatalf("goroutine %d: seq %d, want %d (out of order or twice)", g, seq.Int64(), next[g])
		}
		next[g]++
	}
	for g, n := range next {
		if n != perG {
			t.Errorf("goroutine %d: %d entries arrived, want %d", g, n, perG)
		}
	}
	inUse.Range(func(g, n any) bool {
		if n.(uint64) < 1 {
			t.Errorf("goroutine %v: no lane in use while it logged", g)
		}
		return true
	})
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != goroutines*perG || st.Accepted != goroutines*perG || st.DroppedMalformed != 0 {
		t.Fatalf("%+v", st)
	}
	closeOK(t, p)
}
