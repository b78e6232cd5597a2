package logcap

import (
	"context"
	"strings"
	"testing"
)

func TestStatsHelpers(t *testing.T) {
	s := Stats{DroppedLevel: 1, DroppedQueueFull: 2, DroppedQueueEvicted: 3, DroppedQueueTimeout: 4,
		SampledOut: 10, RateLimited: 20, Deduplicated: 40, DroppedByHook: 80, DroppedMalformed: 160,
		Sinks: []SinkStats{{Name: "a", Received: 5}, {Name: "b", Received: 6}}}
	if s.Dropped() != 320 {
		t.Fatalf("Dropped = %d", s.Dropped())
	}
	if k, ok := s.Sink("b"); !ok || k.Received != 6 {
		t.Fatalf("Sink(b) = %+v %v", k, ok)
	}
	if _, ok := s.Sink("c"); ok {
		t.Fatal("Sink(c) found")
	}
}

// Every counter the library keeps reaches the Go struct, with the sink names in
// configuration order.
func TestStatsCounters(t *testing.T) {
	p, err := Open(Config{
		Queue: &QueueConfig{Capacity: 4, WhenFull: DropNewest},
		Pool:  &PoolConfig{MaxIdle: 2},
		Sinks: []SinkConfig{{Type: SinkNull, Name: "first"}, {Type: SinkNull}},
	})
	must(t, err)
	must(t, p.SetMinLevel(LevelInfo))
	for i := 0; i < 5; i++ {
		e, err := p.Acquire()
		must(t, err)
		must(t, e.SetLevel(LevelDebug))
		must(t, e.Submit()) // below the minimum: dropped and counted
	}
	full := 0
	for i := 0; i < 2000; i++ {
		if err := p.Log(LevelInfo, "m"); err != nil {
			wantCode(t, err, ErrQueueFull)
			full++
		}
	}
	closeOK(t, p)
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != 2005 || st.DroppedLevel != 5 || st.DroppedQueueFull != uint64(full) ||
		st.Accepted != uint64(2000-full) || st.Batches == 0 || st.PoolAcquired < 2005 ||
		st.PoolReused+st.PoolAllocated != st.PoolAcquired || st.PoolIdle > 2 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
	if len(st.Sinks) != 2 || st.Sinks[0].Name != "first" || st.Sinks[1].Name != "null-1" {
		t.Fatalf("sinks %+v", st.Sinks)
	}
	for _, k := range st.Sinks {
		if k.Received != st.Accepted || k.Delivered != st.Accepted || k.Batches == 0 || k.QueuedBatches != 0 {
			t.Fatalf("sink %+v", k)
		}
	}
}

// A pipeline opened with lanes counts the lane of the thread that logged and its memory (a
// 256-byte header and the ring); one opened without, this binding's default, has none.
func TestStatsLanes(t *testing.T) {
	p, err := OpenJSON(`{"queue":{"lanes":true,"lane_bytes":8192},"sinks":[{"type":"null"}]}`)
	must(t, err)
	must(t, p.Log(LevelInfo, "one")) // one cgo call: one thread, one lane
	must(t, p.Flush(context.Background()))
	st, err := p.Stats()
	must(t, err)
	if st.Lanes != 1 || st.LaneBytes != 256+8192 || st.Accepted != 1 || st.DroppedMalformed != 0 {
		t.Fatalf("with lanes: %+v", st)
	}
	closeOK(t, p)

	p, err = OpenJSON(`{"sinks":[{"type":"null"}]}`)
	must(t, err)
	must(t, p.Log(LevelInfo, "one"))
	must(t, p.Flush(context.Background()))
	st, err = p.Stats()
	must(t, err)
	if st.Lanes != 0 || st.LaneBytes != 0 || st.Accepted != 1 {
		t.Fatalf("without lanes: %+v", st)
	}
	closeOK(t, p)
}

func TestProcessingStageCountsAndMetrics(t *testing.T) {
	p, err := OpenJSON(`{"sampling":{"initial":2,"thereafter":1000,"tick_ms":600000},
		"sinks":[{"type":"null","name":"n"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := p.Log(LevelInfo, "same message", String("k", "v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Submitted != 10 || st.SampledOut != 8 || st.Accepted != 2 || st.Submitted != st.Accepted+st.Dropped() {
		t.Fatalf("counts: %+v", st)
	}
	m, err := p.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# TYPE logcap_entries_dropped_total counter\n",
		"logcap_entries_dropped_total{reason=\"sampled_out\"} 8\n",
		"logcap_sink_entries_delivered_total{sink=\"n\"} 2\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
}
