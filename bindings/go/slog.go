package logcap

import (
	"context"
	"encoding"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// SlogOptions configure the handler of NewSlogHandler. The zero value is usable.
type SlogOptions struct {
	// LabelKeys are the attribute keys that become labels instead of fields, matched against
	// the full key: "service", or "http.route" for attribute route in group http. A label's
	// value is written as text.
	LabelKeys []string
	// TraceIDKey and SpanIDKey, when set, name attributes whose text becomes the entry's
	// trace id and span id instead of a field.
	TraceIDKey string
	SpanIDKey  string
	// AddSource adds a "source" field, "file:line", for records with a PC.
	AddSource bool
	// Level, when set, is a minimum applied on top of the pipeline's.
	Level slog.Leveler
}

// NewSlogHandler is a log/slog Handler that logs to p through the packed-record path: one
// record encoded into a pooled buffer and one cgo call per log call.
//
//   - Levels: below slog.LevelDebug is trace, Debug debug, Info info, Warn warn, Error error,
//     above Error fatal (each slog level maps to the logcap level at or below it).
//     Enabled compares with the pipeline's MinLevel (and opts.Level).
//   - Attributes become fields with their types: signed integers i64, unsigned u64, floats
//     f64, booleans and strings as such; durations, times (RFC 3339 with nanoseconds),
//     errors, fmt.Stringers and anything else as strings. LogValuers are resolved.
//   - Groups prefix their attributes' keys with "group."; an empty group is left out and a
//     group with an empty key is inlined. Attributes with an empty key are left out (the
//     record format has no empty keys).
//   - Keys in opts.LabelKeys become labels.
//   - The record's time is the entry's time; a zero time leaves the stamping to the pipeline
//     at submit, so every entry has a time.
func NewSlogHandler(p *Pipeline, opts *SlogOptions) slog.Handler {
	cfg := &slogConfig{}
	if opts != nil {
		cfg.opts = *opts
	}
	if len(cfg.opts.LabelKeys) > 0 {
		cfg.labelKeys = make(map[string]struct{}, len(cfg.opts.LabelKeys))
		for _, k := range cfg.opts.LabelKeys {
			cfg.labelKeys[k] = struct{}{}
		}
	}
	return &slogHandler{p: p, cfg: cfg}
}

type slogConfig struct {
	opts      SlogOptions
	labelKeys map[string]struct{}
}

type slogHandler struct {
	p      *Pipeline
	cfg    *slogConfig
	prefix string // the open groups, "g1.g2."
	b      bound  // attributes from WithAttrs, encoded
}

// slogLevel maps a slog level to the logcap level at or below it.
func slogLevel(l slog.Level) Level {
	switch {
	case l < slog.LevelDebug:
		return LevelTrace
	case l < slog.LevelInfo:
		return LevelDebug
	case l < slog.LevelWarn:
		return LevelInfo
	case l < slog.LevelError:
		return LevelWarn
	case l == slog.LevelError:
		return LevelError
	}
	return LevelFatal
}

func (h *slogHandler) Enabled(_ context.Context, l slog.Level) bool {
	if lv := h.cfg.opts.Level; lv != nil && l < lv.Level() {
		return false
	}
	return h.p.Enabled(slogLevel(l))
}

func (h *slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	n := *h
	n.b.labels = append([]byte(nil), h.b.labels...)
	n.b.fields = append([]byte(nil), h.b.fields...)
	enc := slogEncoder{cfg: h.cfg, b: &n.b}
	enc.prefix = append(enc.prefix, h.prefix...)
	for _, a := range attrs {
		enc.attr(a)
	}
	return &n
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.prefix = h.prefix + name + "."
	return &n
}

// slogEncoder gathers one record's attributes, labels and fields apart since the layout
// puts labels first. Pooled with its buffers.
type slogEncoder struct {
	cfg    *slogConfig
	b      *bound
	own    bound  // b for Handle: the handler's attributes, then the record's
	prefix []byte // the open groups
	key    []byte // scratch for a full key
	text   []byte // scratch for a value written as text
}

var slogEncoders = sync.Pool{New: func() any { return &slogEncoder{} }}

func (h *slogHandler) Handle(_ context.Context, r slog.Record) error {
	enc := slogEncoders.Get().(*slogEncoder)
	enc.cfg = h.cfg
	enc.own = bound{
		labels:  append(enc.own.labels[:0], h.b.labels...),
		fields:  append(enc.own.fields[:0], h.b.fields...),
		nLabels: h.b.nLabels, nFields: h.b.nFields,
		traceID: h.b.traceID, spanID: h.b.spanID,
	}
	enc.b = &enc.own
	enc.prefix = append(enc.prefix[:0], h.prefix...)
	r.Attrs(func(a slog.Attr) bool {
		enc.attr(a)
		return true
	})
	if h.cfg.opts.AddSource && r.PC != 0 {
		enc.source(r.PC)
	}

	bp := getRecordBuf()
	rec, err := appendRecord((*bp)[:0], slogLevel(r.Level), unixNanos(r.Time), r.Message, nil, enc.b)
	if err == nil {
		err = h.p.submitRecord(rec)
	}
	putRecordBuf(bp, rec)

	enc.b, enc.cfg = nil, nil
	enc.own.traceID, enc.own.spanID = "", ""
	if cap(enc.own.labels)+cap(enc.own.fields) <= maxPooledRecord {
		slogEncoders.Put(enc)
	}
	return err
}

// attr encodes one attribute under the current prefix.
func (e *slogEncoder) attr(a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		attrs := v.Group()
		if len(attrs) == 0 {
			return
		}
		n := len(e.prefix)
		if a.Key != "" {
			e.prefix = append(append(e.prefix, a.Key...), '.')
		}
		for _, g := range attrs {
			e.attr(g)
		}
		e.prefix = e.prefix[:n]
		return
	}
	if a.Key == "" {
		return
	}
	// The full key, for the comparisons and the lookup below only: without groups it is the
	// attribute's own; with them it views the scratch buffer, not copied.
	full := a.Key
	if len(e.prefix) > 0 {
		e.key = append(append(e.key[:0], e.prefix...), a.Key...)
		full = unsafe.String(unsafe.SliceData(e.key), len(e.key))
	}
	switch {
	case e.cfg.opts.TraceIDKey != "" && full == e.cfg.opts.TraceIDKey:
		e.b.traceID = e.textOf(v)
		return
	case e.cfg.opts.SpanIDKey != "" && full == e.cfg.opts.SpanIDKey:
		e.b.spanID = e.textOf(v)
		return
	}
	if e.cfg.labelKeys != nil {
		if _, ok := e.cfg.labelKeys[full]; ok {
			e.b.labels = e.appendKey(e.b.labels, a.Key)
			e.text = appendText(e.text[:0], v)
			e.b.labels = binary.LittleEndian.AppendUint32(e.b.labels, uint32(len(e.text)))
			e.b.labels = append(e.b.labels, e.text...)
			e.b.nLabels++
			return
		}
	}
	e.b.fields = e.appendKey(e.b.fields, a.Key)
	e.b.fields = appendSlogValue(e.b.fields, v)
	e.b.nFields++
}

// appendKey writes prefix+key as one str.
func (e *slogEncoder) appendKey(b []byte, key string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(e.prefix)+len(key)))
	b = append(b, e.prefix...)
	return append(b, key...)
}

// textOf is v as a string that outlives the encoder's scratch buffers.
func (e *slogEncoder) textOf(v slog.Value) string {
	if v.Kind() == slog.KindString {
		return v.String()
	}
	return string(appendText(nil, v))
}

func (e *slogEncoder) source(pc uintptr) {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	e.b.fields = appendStr(e.b.fields, slog.SourceKey)
	e.b.fields = append(e.b.fields, byte(KindString))
	e.b.fields = appendStr(e.b.fields, f.File+":"+strconv.Itoa(f.Line))
	e.b.nFields++
}

// appendSlogValue writes a field's type and payload.
func appendSlogValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendStr(append(b, byte(KindString)), v.String())
	case slog.KindInt64:
		return binary.LittleEndian.AppendUint64(append(b, byte(KindInt64)), uint64(v.Int64()))
	case slog.KindUint64:
		return binary.LittleEndian.AppendUint64(append(b, byte(KindUint64)), v.Uint64())
	case slog.KindFloat64:
		return binary.LittleEndian.AppendUint64(append(b, byte(KindFloat64)), math.Float64bits(v.Float64()))
	case slog.KindBool:
		if v.Bool() {
			return append(b, byte(KindBool), 1)
		}
		return append(b, byte(KindBool), 0)
	}
	// Everything else as text, written in place: the length is patched afterwards.
	b = append(b, byte(KindString), 0, 0, 0, 0)
	at := len(b)
	b = appendText(b, v)
	binary.LittleEndian.PutUint32(b[at-4:], uint32(len(b)-at))
	return b
}

// appendText writes any resolved, non-group value as text.
func appendText(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return append(b, v.String()...)
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return append(b, v.Duration().String()...)
	case slog.KindTime:
		return v.Time().AppendFormat(b, time.RFC3339Nano)
	}
	switch x := v.Any().(type) {
	case nil:
		return b
	case error:
		return append(b, x.Error()...)
	case fmt.Stringer:
		return append(b, x.String()...)
	case encoding.TextMarshaler:
		if t, err := x.MarshalText(); err == nil {
			return append(b, t...)
		}
	case []byte:
		return append(b, x...)
	}
	return fmt.Append(b, v.Any())
}
