// Package compare benchmarks the standard event (/work/shared/standard-event.json, message
// "request completed" at info, 4 labels, 6 fields) through logcap's Go fast path and slog
// handler beside the Go loggers users would otherwise pick, in one run, so the figures compare
// on the same machine at the same moment (docs/benchmarks.md).
//
// It is a module of its own, so that zerolog and zap never become dependencies of logcap's Go
// package. Run it with `make bench-go` or:
//
//	cd bindings/go/compare && go test -run '^$' -bench . -benchmem -count=5
//
// The other loggers write JSON lines to io.Discard on the caller's goroutine. logcap hands the
// event to its pipeline (a null sink behind a queue that drops rather than blocks), as in
// bindings/go/bench_test.go, and flushes every round calls with the timer stopped.
package compare

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	logcap "github.com/logcap/logcap/bindings/go"
	"github.com/rs/zerolog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const benchConfig = `{"queue":{"capacity":1048576,"when_full":"drop_newest"},"sinks":[{"type":"null","name":"null"}]}`

// lanesConfig is benchConfig with lanes on: Log and the slog handler write their records into
// the pipeline's lanes themselves, with no cgo call (docs/lane-protocol.md); a lane holds a
// round of records.
const lanesConfig = `{"queue":{"capacity":1048576,"when_full":"drop_newest","lanes":true,"lane_bytes":4194304},"sinks":[{"type":"null","name":"null"}]}`

// round is how many calls run between two flushes of a logcap pipeline: fewer than its pool
// keeps idle and its queue holds.
const round = 4096

var labelKeys = []string{"service", "env", "host", "region"}

func BenchmarkStandardEvent(b *testing.B) {
	for _, c := range []struct{ name, doc string }{{"", benchConfig}, {"_lanes", lanesConfig}} {
		b.Run("logcap_Log"+c.name, func(b *testing.B) {
			p := open(b, c.doc)
			loop(b, p, func() error {
				return p.Log(logcap.LevelInfo, "request completed",
					logcap.Label("service", "checkout"), logcap.Label("env", "prod"), logcap.Label("host", "web-1"),
					logcap.Label("region", "eu-west-1"), logcap.String("method", "GET"),
					logcap.String("path", "/api/v1/orders/12345"), logcap.Int64("status", 200),
					logcap.Float64("latency_ms", 12.5), logcap.String("user_id", "u-998877"), logcap.Bool("cache_hit", true))
			})
		})
		b.Run("logcap_slog"+c.name, func(b *testing.B) {
			p := open(b, c.doc)
			l := slog.New(logcap.NewSlogHandler(p, &logcap.SlogOptions{LabelKeys: labelKeys}))
			loop(b, p, func() error { slogEvent(l); return nil })
		})
	}
	b.Run("zerolog", func(b *testing.B) {
		l := zerolog.New(io.Discard).With().Timestamp().Logger()
		loop(b, nil, func() error {
			l.Info().Str("service", "checkout").Str("env", "prod").Str("host", "web-1").Str("region", "eu-west-1").
				Str("method", "GET").Str("path", "/api/v1/orders/12345").Int("status", 200).
				Float64("latency_ms", 12.5).Str("user_id", "u-998877").Bool("cache_hit", true).
				Msg("request completed")
			return nil
		})
	})
	b.Run("zap", func(b *testing.B) {
		enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		l := zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
		loop(b, nil, func() error {
			l.Info("request completed", zap.String("service", "checkout"), zap.String("env", "prod"),
				zap.String("host", "web-1"), zap.String("region", "eu-west-1"), zap.String("method", "GET"),
				zap.String("path", "/api/v1/orders/12345"), zap.Int("status", 200), zap.Float64("latency_ms", 12.5),
				zap.String("user_id", "u-998877"), zap.Bool("cache_hit", true))
			return nil
		})
	})
	b.Run("slog_json", func(b *testing.B) {
		l := slog.New(slog.NewJSONHandler(io.Discard, nil))
		loop(b, nil, func() error { slogEvent(l); return nil })
	})
	// What slog.Logger costs before any handler does work: a handler that drops every record.
	// No slog handler, logcap's included, can be cheaper than this.
	b.Run("slog_floor", func(b *testing.B) {
		l := slog.New(discard{})
		loop(b, nil, func() error { slogEvent(l); return nil })
	})
}

func slogEvent(l *slog.Logger) {
	l.LogAttrs(context.Background(), slog.LevelInfo, "request completed",
		slog.String("service", "checkout"), slog.String("env", "prod"), slog.String("host", "web-1"),
		slog.String("region", "eu-west-1"), slog.String("method", "GET"),
		slog.String("path", "/api/v1/orders/12345"), slog.Int("status", 200), slog.Float64("latency_ms", 12.5),
		slog.String("user_id", "u-998877"), slog.Bool("cache_hit", true))
}

type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return true }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }

func open(b *testing.B, doc string) *logcap.Pipeline {
	b.Helper()
	p, err := logcap.OpenJSON(doc)
	if err != nil {
		b.Fatal(err)
	}
	// Every logged event must have been delivered: a figure that counted drops would flatter.
	b.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		st, err := p.Stats()
		if err != nil {
			b.Fatal(err)
		}
		if st.Dropped() != 0 || st.Submitted == 0 {
			b.Errorf("submitted %d, dropped %d", st.Submitted, st.Dropped())
		}
	})
	return p
}

// loop times call, flushing p (when not nil) every round calls with the timer stopped, and
// fails the benchmark on an error other than a full queue's drop.
func loop(b *testing.B, p *logcap.Pipeline, call func() error) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := call(); err != nil {
			var e *logcap.Error
			if !errors.As(err, &e) || e.Code != logcap.ErrQueueFull {
				b.Fatal(err)
			}
		}
		if n++; p != nil && n == round {
			n = 0
			b.StopTimer()
			if err := p.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}
