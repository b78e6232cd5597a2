package logcap_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	logcap "github.com/logcap/logcap/bindings/go"
)

// Log the standard event through the fast path to a file, then read the JSON line back.
func ExamplePipeline_Log() {
	dir, _ := os.MkdirTemp("", "logcap-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.log")

	p, err := logcap.Open(logcap.Config{
		Sinks: []logcap.SinkConfig{{Type: logcap.SinkFile, Path: path}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = p.Log(logcap.LevelInfo, "request completed",
		logcap.Label("service", "checkout"), logcap.Label("env", "prod"),
		logcap.String("method", "GET"), logcap.Int64("status", 200),
		logcap.Float64("latency_ms", 12.5), logcap.Bool("cache_hit", true),
		logcap.Timestamp(time.Date(2026, 11, 27, 20, 42, 8, 123456789, time.UTC)))
	if err != nil {
		fmt.Println(err)
	}
	if err := p.Close(context.Background()); err != nil {
		fmt.Println(err)
	}

	line, _ := os.ReadFile(path)
	fmt.Print(string(line))
	// Output:
	// {"ts":"2026-11-27T20:42:08.123456789Z","level":"info","msg":"request completed","labels":{"service":"checkout","env":"prod"},"fields":{"method":"GET","status":200,"latency_ms":12.5,"cache_hit":true}}
}

// A Logger binds labels once; its entries go to a Go function.
func ExamplePipeline_With() {
	var mu sync.Mutex
	var got []logcap.BatchEntry
	p, err := logcap.Open(logcap.Config{
		Sinks: []logcap.SinkConfig{{
			Type: logcap.SinkCallback,
			Name: "collect",
			Callback: func(b logcap.Batch) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, b.Entries()...)
				return nil
			},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	log := p.With(logcap.Label("service", "checkout"))
	_ = log.Info("order placed", logcap.Int("items", 3))
	_ = log.Warn("payment slow", logcap.Float64("seconds", 2.5))
	_ = p.Close(context.Background())

	for _, e := range got {
		service, _ := e.Label("service")
		fmt.Println(e.Level, e.Message, service, e.Fields[0].Key(), e.Fields[0].Value())
	}
	// Output:
	// info order placed checkout items 3
	// warn payment slow checkout seconds 2.5
}

// Use the pipeline as the backend of log/slog: chosen keys become labels, groups prefix
// their keys.
func ExampleNewSlogHandler() {
	var lines []byte
	var mu sync.Mutex
	p, err := logcap.Open(logcap.Config{
		Sinks: []logcap.SinkConfig{{
			Type: logcap.SinkCallback,
			Name: "json",
			Callback: func(b logcap.Batch) error {
				mu.Lock()
				defer mu.Unlock()
				lines = append(lines, b.JSON()...)
				return nil
			},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	logger := slog.New(logcap.NewSlogHandler(p, &logcap.SlogOptions{LabelKeys: []string{"service"}}))
	logger = logger.With("service", "checkout")
	logger.WithGroup("http").Info("request completed", "method", "GET", "status", 200, "took", 1500*time.Millisecond)
	_ = p.Close(context.Background())

	var entry struct {
		Level  string
		Msg    string
		Labels map[string]string
		Fields map[string]any
	}
	sc := bufio.NewScanner(bytes.NewReader(lines))
	for sc.Scan() {
		_ = json.Unmarshal(sc.Bytes(), &entry)
		fmt.Println(entry.Level, entry.Msg, entry.Labels, entry.Fields)
	}
	// Output:
	// info request completed map[service:checkout] map[http.method:GET http.status:200 http.took:1.5s]
}

// The handle API builds an entry with one call per setter, from any goroutine.
func ExamplePipeline_Acquire() {
	p, err := logcap.OpenJSON(`{"sinks":[{"type":"null"}]}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close(context.Background())

	e, err := p.Acquire()
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = e.SetMessage("request completed")
	_ = e.SetLabel("service", "checkout")
	_ = e.SetInt64("status", 200)
	status, ok, _ := e.Field("status")
	fmt.Println(status.Kind(), status.Int64(), ok)

	if err := e.Submit(); err != nil {
		fmt.Println(err)
	}
	// The entry now belongs to the pipeline: using it again is an error, not a crash.
	err = e.SetLabel("service", "billing")
	fmt.Println(errors.Is(err, logcap.ErrStaleHandle))
	// Output:
	// i64 200 true
	// true
}

// Every error is an *Error with a code; errors.Is matches the code.
func ExampleError() {
	p, _ := logcap.OpenJSON(`{"sinks":[{"type":"null"}]}`)
	_ = p.Close(context.Background())

	err := p.Log(logcap.LevelInfo, "too late")
	var lerr *logcap.Error
	fmt.Println(errors.Is(err, logcap.ErrClosed), errors.As(err, &lerr) && lerr.Code == logcap.ErrClosed)

	_, err = logcap.OpenJSON(`{"queue":{"capacity":"big"}}`)
	fmt.Println(errors.Is(err, logcap.ErrConfig))
	// Output:
	// true true
	// true
}

// Stats after Close: every entry is accounted for, per pipeline and per sink.
func ExamplePipeline_Stats() {
	p, _ := logcap.Open(logcap.Config{Sinks: []logcap.SinkConfig{{Type: logcap.SinkNull, Name: "discard"}}})
	for i := 0; i < 1000; i++ {
		_ = p.Log(logcap.LevelInfo, "tick", logcap.Int("i", i))
	}
	_ = p.Close(context.Background())
	st, _ := p.Stats()
	fmt.Println(st.Submitted, st.Accepted, st.Dropped())
	for _, k := range st.Sinks {
		fmt.Println(k.Name, k.Received, k.Delivered, k.Dropped, k.Failed)
	}
	// Output:
	// 1000 1000 0
	// discard 1000 1000 0 0
}
