package logcap

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOpenDefaultConfig(t *testing.T) {
	p, err := OpenJSON("")
	must(t, err)
	defer closeOK(t, p)
	st, err := p.Stats()
	must(t, err)
	if len(st.Sinks) != 1 || st.Sinks[0].Name != "stdout" {
		t.Fatalf("default sinks: %+v", st.Sinks)
	}
}

func TestMisuseAfterClose(t *testing.T) {
	p, err := OpenJSON(nullConfig)
	must(t, err)
	held, err := p.Acquire()
	must(t, err)
	closeOK(t, p)
	closeOK(t, p) // idempotent

	_, err = p.Acquire()
	wantCode(t, err, ErrClosed)
	wantCode(t, p.Log(LevelInfo, "m"), ErrClosed)
	wantCode(t, p.With(Label("a", "b")).Info("m"), ErrClosed)
	rec, _ := AppendRecord(nil, LevelInfo, 0, "m")
	wantCode(t, p.SubmitRecord(rec), ErrClosed)
	wantCode(t, p.Flush(context.Background()), ErrClosed)
	if !errors.Is(p.Flush(context.Background()), ErrClosed) {
		t.Fatal("errors.Is(ErrClosed)")
	}
	// An entry acquired before Close can be filled but not submitted; Submit consumed it.
	must(t, held.SetLabel("k", "v"))
	wantCode(t, held.Submit(), ErrClosed)
	wantCode(t, held.Release(), ErrStaleHandle)
	// Reading and the minimum level still work.
	must(t, p.SetMinLevel(LevelWarn))
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != 0 {
		t.Fatalf("submitted after close: %+v", st)
	}
	// Concurrent Close calls all succeed.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Close(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestEntryOfAnotherPipeline(t *testing.T) {
	p := openNull(t)
	q := openNull(t)
	e, err := p.Acquire()
	must(t, err)
	wantCode(t, q.Submit(e), ErrWrongPipeline)
	// Still the caller's.
	must(t, e.SetLabel("still", "mine"))
	must(t, p.Submit(e))
	wantCode(t, p.Submit(e), ErrStaleHandle)
}

func TestSubmitRecordEmpty(t *testing.T) {
	p := openNull(t)
	wantCode(t, p.SubmitRecord(nil), ErrMalformedRecord)
	wantCode(t, p.SubmitRecord([]byte{}), ErrMalformedRecord)
}

func TestMinLevel(t *testing.T) {
	p := openNull(t)
	if p.MinLevel() != LevelTrace {
		t.Fatalf("default min level %v", p.MinLevel())
	}
	must(t, p.SetMinLevel(LevelWarn))
	wantCode(t, p.SetMinLevel(Level(17)), ErrInvalidArgument)
	if p.MinLevel() != LevelWarn || p.Enabled(LevelInfo) || !p.Enabled(LevelError) {
		t.Fatalf("min level %v", p.MinLevel())
	}
	// Below the level, Log and a submitted entry are dropped and counted alike, as in every
	// language; so is a Logger's call.
	must(t, p.Log(LevelInfo, "filtered"))
	must(t, p.With(Label("k", "v")).Debug("filtered too"))
	e, err := p.Acquire()
	must(t, err)
	must(t, e.Submit())
	must(t, p.Log(LevelError, "kept"))
	flushOK(t, p)
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != 4 || st.DroppedLevel != 3 || st.Accepted != 1 {
		t.Fatalf("stats %+v", st)
	}

	q, err := Open(Config{MinLevel: LevelError, Sinks: []SinkConfig{{Type: SinkNull}}})
	must(t, err)
	defer closeOK(t, q)
	if q.MinLevel() != LevelError {
		t.Fatalf("configured min level %v", q.MinLevel())
	}
}

// A sink that blocks makes Flush and Close wait: the context's deadline bounds them, a
// cancellation ends them early, and a later Close finishes the job.
func TestFlushAndCloseHonourTheContext(t *testing.T) {
	release := make(chan struct{})
	p, err := Open(Config{
		Batch: &BatchConfig{MaxDelayMS: 1},
		Sinks: []SinkConfig{{Type: SinkCallback, Name: "slow", Callback: func(Batch) error {
			<-release
			return nil
		}}},
	})
	must(t, err)
	must(t, p.Log(LevelInfo, "m"))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	start := time.Now()
	err = p.Flush(ctx)
	cancel()
	wantCode(t, err, ErrTimeout)
	if d := time.Since(start); d < 90*time.Millisecond || d > 5*time.Second {
		t.Fatalf("Flush waited %v for a 100ms deadline", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if err := p.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Flush: %v", err)
	}

	// Close's deadline passes while the callback runs: Close waits for that call to
	// return, starts no other, and counts what is left as dropped.
	must(t, p.Log(LevelInfo, "never delivered"))
	time.AfterFunc(400*time.Millisecond, func() { close(release) })
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	start = time.Now()
	err = p.Close(ctx)
	cancel()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Close with a blocked sink: %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("Close returned after %v, while the callback was still running", d)
	}
	wantCode(t, p.Log(LevelInfo, "after close started"), ErrClosed)

	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if err := p.Flush(expired); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired context: %v", err)
	}

	closeOK(t, p)
	st, err := p.Stats()
	must(t, err)
	if k := st.Sinks[0]; k.Received != 2 || k.Delivered != 1 || k.Dropped != 1 {
		t.Fatalf("sink stats after close: %+v", k)
	}
}

// docs/output.md: one JSON object per line, keys ts, level, msg, [trace_id], [span_id],
// labels, fields in that order.
var tsPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$`)

func TestFileSinkWritesJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	p, err := Open(Config{Sinks: []SinkConfig{{Type: SinkFile, Name: "file", Path: path}}})
	must(t, err)
	const n = 1000
	lg := p.With(Label("service", "checkout"), Label("env", "prod"))
	at := time.Date(2026, 11, 27, 20, 42, 8, 123456789, time.UTC)
	for i := 0; i < n; i++ {
		attrs := []Attr{Int("i", i), String("text", "line\n\"quoted\""), Float64("ratio", 200),
			Uint64("big", 1<<63), Bool("odd", i%2 == 1)}
		if i%10 == 0 {
			attrs = append(attrs, TraceID("4bf92f3577b34da6a3ce929d0e0e4736"), SpanID("00f067aa0ba902b7"),
				Timestamp(at))
		}
		must(t, lg.Log(Level(i%6), fmt.Sprintf("entry %d", i), attrs...))
	}
	closeOK(t, p)

	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	count := 0
	for sc.Scan() {
		line := sc.Bytes()
		i := count
		count++
		keys := topLevelKeys(t, line)
		want := []string{"ts", "level", "msg", "labels", "fields"}
		if i%10 == 0 {
			want = []string{"ts", "level", "msg", "trace_id", "span_id", "labels", "fields"}
		}
		if strings.Join(keys, ",") != strings.Join(want, ",") {
			t.Fatalf("line %d keys %v, want %v", i, keys, want)
		}
		var got struct {
			TS      string                     `json:"ts"`
			Level   string                     `json:"level"`
			Msg     string                     `json:"msg"`
			TraceID string                     `json:"trace_id"`
			Labels  map[string]string          `json:"labels"`
			Fields  map[string]json.RawMessage `json:"fields"`
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		must(t, dec.Decode(&got))
		if !tsPattern.MatchString(got.TS) {
			t.Fatalf("line %d ts %q", i, got.TS)
		}
		if i%10 == 0 && (got.TS != "2026-11-27T20:42:08.123456789Z" || got.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736") {
			t.Fatalf("line %d: ts %q trace %q", i, got.TS, got.TraceID)
		}
		if got.Level != Level(i%6).String() || got.Msg != fmt.Sprintf("entry %d", i) {
			t.Fatalf("line %d: level %q msg %q", i, got.Level, got.Msg)
		}
		if len(got.Labels) != 2 || got.Labels["service"] != "checkout" || got.Labels["env"] != "prod" {
			t.Fatalf("line %d labels %v", i, got.Labels)
		}
		wantFields := map[string]string{
			"i": fmt.Sprint(i), "text": `"line\n\"quoted\""`, "ratio": "200.0",
			"big": "9223372036854775808", "odd": fmt.Sprint(i%2 == 1),
		}
		for k, w := range wantFields {
			if string(got.Fields[k]) != w {
				t.Fatalf("line %d field %s = %s, want %s", i, k, got.Fields[k], w)
			}
		}
	}
	must(t, sc.Err())
	if count != n {
		t.Fatalf("%d lines, want %d", count, n)
	}
}

// topLevelKeys lists an object's keys in order.
func topLevelKeys(t *testing.T, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", line)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		must(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		must(t, dec.Decode(&skip))
	}
	return keys
}

// Dropped pipelines are closed and freed by their finalizer; callback handles go with them.
func TestPipelineFinalizer(t *testing.T) {
	before := freedPipelines.Load()
	func() {
		for i := 0; i < 20; i++ {
			p, err := Open(Config{Sinks: []SinkConfig{{Type: SinkCallback, WhenFull: Block, Name: "cb",
				Callback: func(Batch) error { return nil }}}})
			must(t, err)
			must(t, p.Log(LevelInfo, "m"))
			if i%2 == 0 {
				closeOK(t, p)
			}
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for freedPipelines.Load()-before < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 20 dropped pipelines freed", freedPipelines.Load()-before)
		}
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReplayDeadLettersOfAMissingFileSubmitsNothing(t *testing.T) {
	p, err := OpenJSON(`{"sinks":[{"type":"null"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	n, err := p.ReplayDeadLetters(t.TempDir() + "/none.jsonl")
	if err != nil || n != 0 {
		t.Fatalf("replay of a missing file: %d, %v", n, err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ReplayDeadLetters("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("replay after close: %v", err)
	}
}
