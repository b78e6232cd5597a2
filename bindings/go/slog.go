//go:build cgo

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
// record encoded into a pooled buffer and one cgo call per log call, or, with lanes, encoded
// into a lane with no cgo call. The handlers made from it (WithAttrs, WithGroup) write into
// the same lane, so their records keep their order.
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
	// In the order the keys are tried: the trace and span ids before labels.
	cfg.addKey(cfg.opts.TraceIDKey, roleTraceID)
	cfg.addKey(cfg.opts.SpanIDKey, roleSpanID)
	for _, k := range cfg.opts.LabelKeys {
		cfg.addKey(k, roleLabel)
	}
	return &slogHandler{p: p, cfg: cfg, lane: p.lanes.pick()}
}

type slogConfig struct {
	opts SlogOptions
	// keys holds the keys that are not plain fields (trace id, span id and label keys) by
	// their keyHash: an attribute whose full key hashes to an empty slot is a field, told
	// apart without building or comparing its full key.
	keys [64][]slogKey
}

// slogKey is a full key with a role other than a field's.
type slogKey struct {
	name string
	role slogRole
}

type slogRole uint8

const (
	roleLabel slogRole = iota
	roleTraceID
	roleSpanID
)

func (c *slogConfig) addKey(name string, role slogRole) {
	if name != "" {
		h := keyHash(len(name), name[len(name)-1])
		c.keys[h] = append(c.keys[h], slogKey{name, role})
	}
}

// keyHash is a key's slot in slogConfig.keys, from its length and last byte: both known
// without building the full key of a grouped attribute.
func keyHash(n int, last byte) uint8 { return uint8((uint(n) + 5*uint(last)) & 63) }

type slogHandler struct {
	p      *Pipeline
	cfg    *slogConfig
	prefix string // the open groups, "g1.g2."
	b      bound  // attributes from WithAttrs, encoded once when the handler is made
	lane   uint32 // see lane.go; the handlers made from this one keep it
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
	e := slogEncoder{cfg: h.cfg, prefix: []byte(h.prefix)}
	e.out = h.b
	e.out.labels = append([]byte(nil), h.b.labels...)
	e.out.fields = append([]byte(nil), h.b.fields...)
	for _, a := range attrs {
		e.attr(a)
	}
	n := *h
	n.b = e.out
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

// slogEncoder encodes attributes: a record's own in Handle, the bound ones in WithAttrs. It
// keeps labels and fields apart, since the layout puts all labels first. Pooled with its
// buffers.
type slogEncoder struct {
	cfg    *slogConfig
	out    bound  // the attributes encoded so far, and the trace context
	prefix []byte // the open groups
	key    []byte // scratch for a full key
	rec    []byte // the record Handle submits
}

var slogEncoders = sync.Pool{New: func() any { return &slogEncoder{} }}

func (h *slogHandler) Handle(_ context.Context, r slog.Record) error {
	e := slogEncoders.Get().(*slogEncoder)
	e.collect(h, &r)
	level, ts := slogLevel(r.Level), unixNanos(r.Time)
	if !h.p.lanes.off.Load() {
		if n, ok := encodedSize(r.Message, &h.b, &e.out); ok {
			done, err := h.p.encodeToLane(h.lane, level, n, func(dst []byte) ([]byte, error) {
				return appendEncoded(dst, level, ts, r.Message, &h.b, &e.out)
			})
			if done {
				e.release()
				return err
			}
		}
	}
	rec, err := appendEncoded(e.rec[:0], level, ts, r.Message, &h.b, &e.out)
	e.rec = rec
	if err == nil {
		err = h.p.submitEncoded(h.lane, rec, false)
	}
	e.release()
	return err
}

// release returns e to the pool, unless its buffers grew too large to keep.
func (e *slogEncoder) release() {
	e.cfg = nil
	e.out.traceID, e.out.spanID = "", ""
	if cap(e.rec)+cap(e.out.labels)+cap(e.out.fields) <= maxPooledRecord {
		slogEncoders.Put(e)
	}
}

// record encodes r for h into e.rec: h's attributes, encoded once by WithAttrs, then r's.
func (e *slogEncoder) record(h *slogHandler, r *slog.Record) ([]byte, error) {
	e.collect(h, r)
	rec, err := appendEncoded(e.rec[:0], slogLevel(r.Level), unixNanos(r.Time), r.Message, &h.b, &e.out)
	e.rec = rec
	return rec, err
}

// collect encodes r's attributes for h into e.out, with h's trace context.
func (e *slogEncoder) collect(h *slogHandler, r *slog.Record) {
	e.cfg = h.cfg
	e.prefix = append(e.prefix[:0], h.prefix...)
	e.out = bound{
		labels: e.out.labels[:0], fields: e.out.fields[:0],
		traceID: h.b.traceID, spanID: h.b.spanID,
	}
	r.Attrs(func(a slog.Attr) bool {
		e.attr(a)
		return true
	})
	if h.cfg.opts.AddSource && r.PC != 0 {
		e.source(r.PC)
	}
}

// attr encodes one attribute under the current prefix.
func (e *slogEncoder) attr(a slog.Attr) {
	v := a.Value
	kind := v.Kind()
	if kind == slog.KindLogValuer {
		v = v.Resolve()
		kind = v.Kind()
	}
	if kind == slog.KindGroup {
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
	h := keyHash(len(e.prefix)+len(a.Key), a.Key[len(a.Key)-1])
	if keys := e.cfg.keys[h]; keys != nil && e.special(keys, a.Key, kind, v) {
		return
	}
	e.out.fields = e.appendKey(e.out.fields, a.Key)
	e.out.fields = appendSlogValue(e.out.fields, kind, v)
	e.out.nFields++
}

// special encodes an attribute whose full key is one of keys (a trace or span id, or a
// label), and reports whether it was.
func (e *slogEncoder) special(keys []slogKey, key string, kind slog.Kind, v slog.Value) bool {
	// The full key, for the comparisons only: without groups it is the attribute's own; with
	// them it views the scratch buffer, not copied.
	full := key
	if len(e.prefix) > 0 {
		e.key = append(append(e.key[:0], e.prefix...), key...)
		full = unsafe.String(unsafe.SliceData(e.key), len(e.key))
	}
	for _, k := range keys {
		if k.name != full {
			continue
		}
		switch k.role {
		case roleTraceID:
			e.out.traceID = textOf(kind, v)
		case roleSpanID:
			e.out.spanID = textOf(kind, v)
		default:
			e.out.labels = e.appendKey(e.out.labels, key)
			e.out.labels = appendTextStr(e.out.labels, kind, v)
			e.out.nLabels++
		}
		return true
	}
	return false
}

// appendKey writes prefix+key as one str.
func (e *slogEncoder) appendKey(b []byte, key string) []byte {
	e.out.badKeys = e.out.badKeys || !keyLenInLimits(len(e.prefix)+len(key))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(e.prefix)+len(key)))
	if len(e.prefix) > 0 {
		b = append(b, e.prefix...)
	}
	return append(b, key...)
}

// textOf is v as a string that outlives the encoder's buffers.
func textOf(kind slog.Kind, v slog.Value) string {
	if kind == slog.KindString {
		return v.String()
	}
	return string(appendText(nil, kind, v))
}

// source adds the "source" field, "file:line", written in place.
func (e *slogEncoder) source(pc uintptr) {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	b := appendStr(e.out.fields, slog.SourceKey)
	b = append(b, byte(KindString), 0, 0, 0, 0)
	at := len(b)
	b = append(append(b, f.File...), ':')
	b = strconv.AppendInt(b, int64(f.Line), 10)
	binary.LittleEndian.PutUint32(b[at-4:], uint32(len(b)-at))
	e.out.fields = b
	e.out.nFields++
}

// appendSlogValue writes a field's type and payload; kind is v.Kind().
func appendSlogValue(b []byte, kind slog.Kind, v slog.Value) []byte {
	switch kind {
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
	// Everything else as text.
	return appendTextStr(append(b, byte(KindString)), kind, v)
}

// appendTextStr writes v as text, as one str: written in place, the length patched after.
func appendTextStr(b []byte, kind slog.Kind, v slog.Value) []byte {
	if kind == slog.KindString {
		return appendStr(b, v.String())
	}
	b = append(b, 0, 0, 0, 0)
	at := len(b)
	b = appendText(b, kind, v)
	binary.LittleEndian.PutUint32(b[at-4:], uint32(len(b)-at))
	return b
}

// appendText writes any resolved, non-group value as text; kind is v.Kind().
func appendText(b []byte, kind slog.Kind, v slog.Value) []byte {
	switch kind {
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
