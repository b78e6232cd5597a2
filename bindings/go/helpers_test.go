package logcap

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

const nullConfig = `{"sinks":[{"type":"null","name":"null"}]}`

// nullLanesConfig is nullConfig with lanes on: Log writes into the pipeline's unbound lanes.
const nullLanesConfig = `{"queue":{"lanes":true},"sinks":[{"type":"null","name":"null"}]}`

// openNull opens a pipeline with one null sink, closed at the end of the test.
func openNull(t testing.TB) *Pipeline {
	t.Helper()
	p, err := OpenJSON(nullConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeOK(t, p) })
	return p
}

func closeOK(t testing.TB, p *Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func flushOK(t testing.TB, p *Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// wantCode fails unless err is an *Error with code.
func wantCode(t testing.TB, err error, code Code) {
	t.Helper()
	var le *Error
	if !errors.As(err, &le) || le.Code != code {
		t.Fatalf("err = %v (%T), want *Error with code %d (%v)", err, err, code, code)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// collector is a callback sink that keeps copies of every entry it receives.
type collector struct {
	mu      sync.Mutex
	entries []BatchEntry
	json    []byte
	batches int
}

func (c *collector) fn(b Batch) error {
	es := b.Entries()
	js := b.JSON()
	c.mu.Lock()
	c.entries = append(c.entries, es...)
	c.json = append(c.json, js...)
	c.batches++
	c.mu.Unlock()
	return nil
}

func (c *collector) all() []BatchEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]BatchEntry(nil), c.entries...)
}

// openCollector opens a pipeline whose only sink is a collector named "cb".
func openCollector(t testing.TB) (*Pipeline, *collector) {
	t.Helper()
	c := &collector{}
	p, err := Open(Config{
		Batch: &BatchConfig{MaxDelayMS: 5},
		Sinks: []SinkConfig{{Type: SinkCallback, WhenFull: Block, Name: "cb", Callback: c.fn}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeOK(t, p) })
	return p, c
}

// standardAttrs is the standard event's attributes (/work/shared/standard-event.json).
func standardAttrs() []Attr {
	return []Attr{
		Label("service", "checkout"), Label("env", "prod"), Label("host", "web-1"), Label("region", "eu-west-1"),
		String("method", "GET"), String("path", "/api/v1/orders/12345"), Int64("status", 200),
		Float64("latency_ms", 12.5), String("user_id", "u-998877"), Bool("cache_hit", true),
	}
}
