package logcap

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCallbackSinkReceivesEntries(t *testing.T) {
	p, c := openCollector(t)
	at := time.Date(2026, 11, 27, 20, 42, 8, 123456789, time.UTC)
	attrs := append(standardAttrs(), TraceID("4bf92f3577b34da6a3ce929d0e0e4736"), SpanID("00f067aa0ba902b7"),
		Timestamp(at), Uint64("big", 1<<64-1))
	for i := 0; i < 100; i++ {
		must(t, p.Log(LevelInfo, "request completed", attrs...))
	}
	closeOK(t, p)
	got := c.all()
	if len(got) != 100 {
		t.Fatalf("%d entries", len(got))
	}
	e := got[0]
	if e.Level != LevelInfo || e.Message != "request completed" || !e.Time.Equal(at) ||
		e.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || e.SpanID != "00f067aa0ba902b7" {
		t.Fatalf("entry %+v", e)
	}
	wantLabels := "service=checkout env=prod host=web-1 region=eu-west-1"
	var ls []string
	for _, l := range e.Labels {
		ls = append(ls, l.Key()+"="+l.Value().Str())
		if !l.IsLabel() {
			t.Fatalf("label %v is not marked a label", l)
		}
	}
	if strings.Join(ls, " ") != wantLabels {
		t.Fatalf("labels %v", ls)
	}
	if len(e.Fields) != 7 {
		t.Fatalf("fields %v", e.Fields)
	}
	for _, want := range []Attr{String("method", "GET"), Int64("status", 200), Float64("latency_ms", 12.5),
		Bool("cache_hit", true), Uint64("big", 1<<64-1)} {
		v, ok := e.Field(want.Key())
		if !ok || !v.Equal(want.Value()) {
			t.Errorf("field %s = %v, want %v", want.Key(), v, want.Value())
		}
	}
	if v, ok := e.Label("env"); !ok || v != "prod" {
		t.Errorf("Label(env) = %q", v)
	}
	if _, ok := e.Label("nope"); ok {
		t.Error("absent label found")
	}
	if _, ok := e.Field("nope"); ok {
		t.Error("absent field found")
	}

	// JSON(): one line per entry, the docs/output.md schema.
	c.mu.Lock()
	js := c.json
	c.mu.Unlock()
	lines := bytes.Split(bytes.TrimSuffix(js, []byte("\n")), []byte("\n"))
	if len(lines) != 100 {
		t.Fatalf("%d JSON lines", len(lines))
	}
	want := `{"ts":"2026-11-27T20:42:08.123456789Z","level":"info","msg":"request completed",` +
		`"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",` +
		`"labels":{"service":"checkout","env":"prod","host":"web-1","region":"eu-west-1"},` +
		`"fields":{"method":"GET","path":"/api/v1/orders/12345","status":200,"latency_ms":12.5,` +
		`"user_id":"u-998877","cache_hit":true,"big":18446744073709551615}}`
	if string(lines[0]) != want {
		t.Fatalf("JSON line\n got %s\nwant %s", lines[0], want)
	}
}

// A Batch kept past its call reads as empty instead of touching freed memory.
func TestBatchAfterTheCall(t *testing.T) {
	var kept atomic.Value
	p, err := Open(Config{Sinks: []SinkConfig{{Type: SinkCallback, WhenFull: Block, Name: "cb", Callback: func(b Batch) error {
		kept.Store(b)
		return nil
	}}}})
	must(t, err)
	must(t, p.Log(LevelInfo, "m"))
	closeOK(t, p)
	b := kept.Load().(Batch)
	if b.Len() != 0 || b.JSON() != nil || len(b.Entries()) != 0 {
		t.Fatal("a batch used after its call is not empty")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Entry(0) of an expired batch did not panic")
		}
	}()
	b.Entry(0)
}

// Panics and errors in Go callbacks are recovered and counted as failures of that sink only;
// the other sinks and the process go on.
func TestCallbackPanicsAreRecoveredAndCounted(t *testing.T) {
	var good collector
	var calls atomic.Int64
	p, err := Open(Config{
		Batch: &BatchConfig{MaxEntries: 10, MaxDelayMS: 1},
		Sinks: []SinkConfig{
			{Type: SinkCallback, WhenFull: Block, Name: "panics", Callback: func(b Batch) error {
				calls.Add(1)
				b.Entry(b.Len()) // out of range: panics
				return nil
			}},
			{Type: SinkCallback, WhenFull: Block, Name: "errors", Callback: func(Batch) error { return errors.New("refused") }},
			{Type: SinkCallback, WhenFull: Block, Name: "nil-deref", Callback: func(Batch) error {
				var m map[string]int
				m["x"] = 1
				return nil
			}},
			{Type: SinkCallback, WhenFull: Block, Name: "good", Callback: good.fn},
		},
	})
	must(t, err)
	const n = 500
	for i := 0; i < n; i++ {
		must(t, p.Log(LevelInfo, "m", Int("i", i)))
	}
	closeOK(t, p)
	st, err := p.Stats()
	must(t, err)
	for _, name := range []string{"panics", "errors", "nil-deref"} {
		k, ok := st.Sink(name)
		if !ok || k.Received != n || k.Failed != n || k.Delivered != 0 {
			t.Errorf("sink %s: %+v", name, k)
		}
	}
	if k, _ := st.Sink("panics"); k.Panics != uint64(calls.Load()) || k.Panics == 0 {
		t.Errorf("panics counted %d, calls %d", k.Panics, calls.Load())
	}
	if k, _ := st.Sink("errors"); k.Panics != 0 {
		t.Errorf("an error counted as a panic: %+v", k)
	}
	if k, _ := st.Sink("good"); k.Delivered != n || k.Failed != 0 || len(good.all()) != n {
		t.Errorf("good sink: %+v, %d entries", k, len(good.all()))
	}
	if _, ok := st.Sink("absent"); ok {
		t.Error("an absent sink was found")
	}
}

func TestCallbackBinding(t *testing.T) {
	doc := `{"sinks":[{"type":"callback","name":"a"},{"type":"null","name":"n"}]}`
	// Through OpenJSON.
	var c collector
	p, err := OpenJSON(doc, Callback{Name: "a", Func: c.fn})
	must(t, err)
	must(t, p.Log(LevelWarn, "hello"))
	closeOK(t, p)
	if got := c.all(); len(got) != 1 || got[0].Message != "hello" || got[0].Level != LevelWarn {
		t.Fatalf("entries %+v", got)
	}
	// Unbound, unknown, not a callback, no function.
	_, err = OpenJSON(doc)
	wantCode(t, err, ErrSinkSetup)
	_, err = OpenJSON(doc, Callback{Name: "zzz", Func: c.fn})
	wantCode(t, err, ErrConfig)
	_, err = OpenJSON(doc, Callback{Name: "n", Func: c.fn})
	wantCode(t, err, ErrConfig)
	_, err = OpenJSON(doc, Callback{Name: "a"})
	wantCode(t, err, ErrNullArgument)
	_, err = OpenJSON(`{"sinks":`, Callback{Name: "a", Func: c.fn})
	wantCode(t, err, ErrConfig)
}

// The same callback function on two sinks, and a callback that logs to another pipeline.
func TestCallbackReentry(t *testing.T) {
	inner, ic := openCollector(t)
	forward := func(b Batch) error {
		for _, e := range b.Entries() {
			if err := inner.Log(e.Level, "forwarded: "+e.Message, e.Fields...); err != nil {
				return err
			}
		}
		return nil
	}
	p, err := Open(Config{Sinks: []SinkConfig{
		{Type: SinkCallback, WhenFull: Block, Name: "one", Callback: forward},
		{Type: SinkCallback, WhenFull: Block, Name: "two", Callback: forward},
	}})
	must(t, err)
	for i := 0; i < 10; i++ {
		must(t, p.Log(LevelInfo, "m", Int("i", i)))
	}
	closeOK(t, p)
	flushOK(t, inner)
	if got := ic.all(); len(got) != 20 || got[0].Message != "forwarded: m" {
		t.Fatalf("%d forwarded entries", len(got))
	}
}

func TestBatchJSONIsValid(t *testing.T) {
	p, c := openCollector(t)
	must(t, p.Log(LevelInfo, "ctl \x00\x1b\u2028", String("k", "\"q\"\\")))
	closeOK(t, p)
	var m map[string]any
	must(t, json.Unmarshal(c.json, &m))
	if m["msg"] != "ctl \x00\x1b\u2028" {
		t.Fatalf("msg %q", m["msg"])
	}
}
