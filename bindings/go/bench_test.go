//go:build go1.24

package logcap

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The benchmarks log the standard event (/work/shared/standard-event.json: message
// "request completed" at info, 4 labels, 6 fields) to a null sink behind a large queue that
// drops rather than blocks, so the producer is measured, not the consumer. A benchmark fails
// if any call returns an error or the pipeline dropped anything (finishBench): a refused call
// must not be timed as a cheap one. The single-goroutine ones flush every benchRound calls
// with the timer stopped (see pacer), so the figure is the producer's cost while the pipeline
// keeps up.
const benchConfig = `{"queue":{"capacity":1048576,"when_full":"drop_newest"},"sinks":[{"type":"null","name":"null"}]}`

func openBench(b *testing.B) *Pipeline {
	b.Helper()
	p, err := OpenJSON(benchConfig)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// cpuTime is the CPU time of the whole process so far, every thread included: the Go
// goroutines and the library's batcher and sink threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startBench resets the timer and notes the CPU time, for finishBench.
func startBench(b *testing.B) time.Duration {
	b.ReportAllocs()
	b.ResetTimer()
	return cpuTime()
}

// finishBench closes the pipeline (delivering what is queued), fails the benchmark unless
// every submitted entry was accepted and delivered, nothing dropped, and reports the process's
// CPU time per operation, delivery included. On a machine shared with other work, cpu-ns/op
// moves less than the wall-clock ns/op.
func finishBench(b *testing.B, p *Pipeline, cpu0 time.Duration) {
	finishBenchSubmitted(b, p, cpu0, uint64(b.N))
}

// finishBenchSubmitted is finishBench for a benchmark that submits `want` entries in all.
func finishBenchSubmitted(b *testing.B, p *Pipeline, cpu0 time.Duration, want uint64) {
	b.Helper()
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		b.Fatal(err)
	}
	st, err := p.Stats()
	if err != nil {
		b.Fatal(err)
	}
	if st.Submitted != want || st.Dropped() != 0 || st.Accepted != st.Submitted || st.Queued != 0 {
		b.Fatalf("the pipeline dropped entries the benchmark counts as logged: %+v", st)
	}
	for _, k := range st.Sinks {
		if k.Delivered != st.Accepted || k.Dropped != 0 || k.Failed != 0 {
			b.Fatalf("sink %s lost entries the benchmark counts as logged: %+v", k.Name, k)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// benchRound is how many calls run between flushes: fewer than the pool keeps idle and the
// queue holds, so every call finds a pooled entry and room in the queue.
const benchRound = 4096

// pacer flushes the pipeline every benchRound calls with the timer stopped. The batcher and
// the sink work beside the caller, as in a service that logs no faster than the pipeline
// delivers, and a backlog never builds up: without the pause a producer faster than the
// batcher's decoding of records would, over millions of calls, measure the pool running dry
// (fresh allocations) rather than the steady state. cpu-ns/op still counts the delivery.
type pacer struct {
	b *testing.B
	p *Pipeline
	n int
}

func (r *pacer) tick() {
	r.n++
	if r.n < benchRound {
		return
	}
	r.n = 0
	r.b.StopTimer()
	if err := r.p.Flush(context.Background()); err != nil {
		r.b.Fatal(err)
	}
	r.b.StartTimer()
}

func BenchmarkLogStandardEvent(b *testing.B) {
	p := openBench(b)
	pace := pacer{b: b, p: p}
	cpu0 := startBench(b)
	for b.Loop() {
		err := p.Log(LevelInfo, "request completed",
			Label("service", "checkout"), Label("env", "prod"), Label("host", "web-1"), Label("region", "eu-west-1"),
			String("method", "GET"), String("path", "/api/v1/orders/12345"), Int64("status", 200),
			Float64("latency_ms", 12.5), String("user_id", "u-998877"), Bool("cache_hit", true))
		if err != nil {
			b.Fatal(err)
		}
		pace.tick()
	}
	finishBench(b, p, cpu0)
}

// The labels bound once in a Logger, the fields given per call.
func BenchmarkLoggerStandardEvent(b *testing.B) {
	p := openBench(b)
	lg := p.With(Label("service", "checkout"), Label("env", "prod"), Label("host", "web-1"), Label("region", "eu-west-1"))
	pace := pacer{b: b, p: p}
	cpu0 := startBench(b)
	for b.Loop() {
		err := lg.Info("request completed",
			String("method", "GET"), String("path", "/api/v1/orders/12345"), Int64("status", 200),
			Float64("latency_ms", 12.5), String("user_id", "u-998877"), Bool("cache_hit", true))
		if err != nil {
			b.Fatal(err)
		}
		pace.tick()
	}
	finishBench(b, p, cpu0)
}

// All ten attributes through slog.Logger.LogAttrs, the labels chosen by key.
func BenchmarkSlogStandardEvent(b *testing.B) {
	p := openBench(b)
	l := slog.New(NewSlogHandler(p, &SlogOptions{LabelKeys: []string{"service", "env", "host", "region"}}))
	ctx := context.Background()
	pace := pacer{b: b, p: p}
	cpu0 := startBench(b)
	for b.Loop() {
		l.LogAttrs(ctx, slog.LevelInfo, "request completed",
			slog.String("service", "checkout"), slog.String("env", "prod"), slog.String("host", "web-1"),
			slog.String("region", "eu-west-1"), slog.String("method", "GET"),
			slog.String("path", "/api/v1/orders/12345"), slog.Int("status", 200), slog.Float64("latency_ms", 12.5),
			slog.String("user_id", "u-998877"), slog.Bool("cache_hit", true))
		pace.tick()
	}
	finishBench(b, p, cpu0)
}

// The labels bound once with slog.Logger.With.
func BenchmarkSlogWithStandardEvent(b *testing.B) {
	p := openBench(b)
	l := slog.New(NewSlogHandler(p, &SlogOptions{LabelKeys: []string{"service", "env", "host", "region"}})).
		With(slog.String("service", "checkout"), slog.String("env", "prod"), slog.String("host", "web-1"),
			slog.String("region", "eu-west-1"))
	ctx := context.Background()
	pace := pacer{b: b, p: p}
	cpu0 := startBench(b)
	for b.Loop() {
		l.LogAttrs(ctx, slog.LevelInfo, "request completed",
			slog.String("method", "GET"), slog.String("path", "/api/v1/orders/12345"), slog.Int("status", 200),
			slog.Float64("latency_ms", 12.5), slog.String("user_id", "u-998877"), slog.Bool("cache_hit", true))
		pace.tick()
	}
	finishBench(b, p, cpu0)
}

// The handle API: Acquire, the message, 10 setters (4 labels, 6 fields), Submit: 13 cgo calls
// and one Entry allocation (the level is info by default).
func BenchmarkHandleAPIStandardEvent(b *testing.B) {
	p := openBench(b)
	pace := pacer{b: b, p: p}
	cpu0 := startBench(b)
	for b.Loop() {
		e, err := p.Acquire()
		if err != nil {
			b.Fatal(err)
		}
		if err := errors.Join(
			e.SetMessage("request completed"),
			e.SetLabel("service", "checkout"),
			e.SetLabel("env", "prod"),
			e.SetLabel("host", "web-1"),
			e.SetLabel("region", "eu-west-1"),
			e.SetString("method", "GET"),
			e.SetString("path", "/api/v1/orders/12345"),
			e.SetInt64("status", 200),
			e.SetFloat64("latency_ms", 12.5),
			e.SetString("user_id", "u-998877"),
			e.SetBool("cache_hit", true),
		); err != nil {
			b.Fatal(err)
		}
		if err := e.Submit(); err != nil {
			b.Fatal(err)
		}
		pace.tick()
	}
	finishBench(b, p, cpu0)
}

// The encoder alone, no cgo: what the fast path spends in Go.
func BenchmarkEncodeStandardEvent(b *testing.B) {
	attrs := standardAttrs()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendRecord(buf[:0], LevelInfo, 0, "request completed", attrs...)
	}
}

// The cgo floor: the cheapest call into the library (logcap_version).
func BenchmarkEmptyCgoCall(b *testing.B) {
	cpu0 := startBench(b)
	for b.Loop() {
		emptyCgoCall()
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// A level below the minimum: Log encodes and submits the entry, and the library drops it
// and counts it in DroppedLevel, as it does for every API.
func BenchmarkLogDisabled(b *testing.B) {
	p := openBench(b)
	if err := p.SetMinLevel(LevelWarn); err != nil {
		b.Fatal(err)
	}
	cpu0 := startBench(b)
	for b.Loop() {
		if err := p.Log(LevelDebug, "request completed", String("method", "GET"), Int64("status", 200)); err != nil {
			b.Fatal(err)
		}
	}
	finishBenchSubmitted(b, p, cpu0, 0)
}

// The check that skips a call for a level that is off.
func BenchmarkEnabled(b *testing.B) {
	p := openBench(b)
	if err := p.SetMinLevel(LevelWarn); err != nil {
		b.Fatal(err)
	}
	cpu0 := startBench(b)
	for b.Loop() {
		if p.Enabled(LevelDebug) {
			b.Fatal("debug is off")
		}
	}
	finishBench(b, p, cpu0)
}

// Many goroutines logging at once (GOMAXPROCS of them, see -cpu).
func BenchmarkLogStandardEventParallel(b *testing.B) {
	p := openBench(b)
	var failed atomic.Uint64
	var firstErr atomic.Value
	cpu0 := startBench(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := p.Log(LevelInfo, "request completed",
				Label("service", "checkout"), Label("env", "prod"), Label("host", "web-1"), Label("region", "eu-west-1"),
				String("method", "GET"), String("path", "/api/v1/orders/12345"), Int64("status", 200),
				Float64("latency_ms", 12.5), String("user_id", "u-998877"), Bool("cache_hit", true))
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}
	})
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d calls failed; the first: %v", n, firstErr.Load())
	}
	finishBench(b, p, cpu0)
}

// The fast path without the queue: the standard event encoded as Log does and submitted
// with one cgo call to a pipeline whose minimum level is above it, so the library decodes it
// into a pooled entry and drops it at submit (counted in dropped_level) instead of handing it
// to the batcher thread. The difference from BenchmarkLogStandardEvent is the cost of the
// intake queue hand-off.
func BenchmarkLogStandardEventWithoutQueue(b *testing.B) {
	p := openBench(b)
	if err := p.SetMinLevel(LevelWarn); err != nil {
		b.Fatal(err)
	}
	attrs := standardAttrs()
	cpu0 := startBench(b)
	for b.Loop() {
		bp := getRecordBuf()
		rec, _ := appendRecord((*bp)[:0], LevelInfo, 0, "request completed", attrs, nil)
		if err := p.submitRecord(rec); err != nil {
			b.Fatal(err)
		}
		putRecordBuf(bp, rec)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		b.Fatal(err)
	}
	// Every record was decoded and dropped at the level check, as this benchmark intends;
	// nothing else.
	st, err := p.Stats()
	if err != nil {
		b.Fatal(err)
	}
	if st.Submitted != uint64(b.N) || st.DroppedLevel != st.Submitted || st.Dropped() != st.DroppedLevel {
		b.Fatalf("want %d entries dropped at the level check and nothing else: %+v", b.N, st)
	}
}

// The library's side of the fast path: the standard event's record, encoded once beforehand,
// submitted with one cgo call per iteration into the queue, as Log submits it. With
// BenchmarkEncodeStandardEvent (the Go side) and BenchmarkEmptyCgoCall (the crossing), it
// splits BenchmarkLogStandardEvent into its parts.
func BenchmarkSubmitRecordStandardEvent(b *testing.B) {
	p := openBench(b)
	rec, err := AppendRecord(nil, LevelInfo, 0, "request completed", standardAttrs()...)
	if err != nil {
		b.Fatal(err)
	}
	pace := pacer{b: b, p: p}
	cpu0 := startBench(b)
	for b.Loop() {
		if err := p.submitRecord(rec); err != nil {
			b.Fatal(err)
		}
		pace.tick()
	}
	finishBench(b, p, cpu0)
}

// The slog handler's own work, no cgo: the standard event's record (all ten attributes, the
// labels chosen by key) encoded as Handle does, with the handler's encoder taken from and
// returned to its pool.
func BenchmarkSlogEncodeStandardEvent(b *testing.B) {
	h := NewSlogHandler(nil, &SlogOptions{LabelKeys: []string{"service", "env", "host", "region"}}).(*slogHandler)
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request completed", 0)
	r.AddAttrs(slogStandardAttrs()...)
	b.ReportAllocs()
	for b.Loop() {
		e := slogEncoders.Get().(*slogEncoder)
		if _, err := e.record(h, &r); err != nil {
			b.Fatal(err)
		}
		e.release()
	}
}
