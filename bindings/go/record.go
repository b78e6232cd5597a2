//go:build cgo

package logcap

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"sync"
)

// The packed record, version 1 (docs/record-format.md, core/src/record/mod.rs): every integer
// little-endian, str = u32 byte length then the bytes.
//
//	offset size
//	0      2   magic 'L' 'C'
//	2      1   version 1
//	3      1   level
//	4      4   u32 total length, header included
//	8      8   u64 timestamp, ns since the Unix epoch; 0 = stamped at submit
//	16     2   u16 label count
//	18     2   u16 field count
//	20     ... str message, str trace_id, str span_id (empty = absent)
//	           label_count × (str key, str value)
//	           field_count × (str key, u8 type, payload)
//	type: 0 str, 1 i64, 2 u64, 3 f64 (IEEE 754 bits), 4 bool (1 byte)
const (
	offLength = 4
	offLabels = 16
	offFields = 18
)

// AppendRecord appends one packed record to dst: the entry at level with the message and
// attributes, timestamped timestampNS (nanoseconds since the Unix epoch; 0 lets the
// pipeline stamp it at submit, and a Timestamp attribute overrides it). Labels are written
// in the order given, then fields in the order given; a key given twice keeps its first
// position and its last value when decoded.
//
// It refuses with ErrInvalidArgument a level above LevelFatal, and with ErrLimit only what
// the format cannot express at all (more than 65,535 labels or fields), returning dst
// unchanged. The entry limits (MaxLabels, MaxFields, MaxKeyBytes, MaxMessageBytes,
// MaxRecordBytes) are the library's to enforce: SubmitRecord then refuses the record with
// ErrLimit and counts it in Stats().RefusedLimit, exactly as for every other API. An empty
// key is refused by the library as ErrMalformedRecord.
func AppendRecord(dst []byte, level Level, timestampNS uint64, msg string, attrs ...Attr) ([]byte, error) {
	return appendRecord(dst, level, timestampNS, msg, attrs, nil)
}

// bound is what a Logger or a slog handler adds to every record: labels and fields already
// encoded, with their counts, and the trace context.
type bound struct {
	labels  []byte
	fields  []byte
	nLabels int
	nFields int
	traceID string
	spanID  string
	// badKeys: a key is empty or over MaxKeyBytes (a Logger's; see entryInLimits).
	badKeys bool
}

// appendRecord encodes a record from attributes and pre-encoded ones. Labels must precede
// fields in the layout, so attrs is read three times: for counts and the trace context,
// then labels, then fields.
func appendRecord(dst []byte, level Level, ts uint64, msg string, attrs []Attr, b *bound) ([]byte, error) {
	if !level.valid() {
		return dst, newError(ErrInvalidArgument, "level "+strconv.Itoa(int(level))+" is not one of trace..fatal")
	}
	var nLabels, nFields int
	var traceID, spanID string
	if b != nil {
		nLabels, nFields, traceID, spanID = b.nLabels, b.nFields, b.traceID, b.spanID
	}
	for i := range attrs {
		a := &attrs[i]
		switch a.kind {
		case attrLabel:
			nLabels++
		case attrTraceID:
			traceID = a.str
		case attrSpanID:
			spanID = a.str
		case attrTime:
			ts = a.num
		default:
			nFields++
		}
	}
	if nLabels > maxCount || nFields > maxCount {
		return dst, countError(nLabels, nFields)
	}

	start := len(dst)
	out := appendHeader(dst, level, ts, nLabels, nFields)
	out = appendStr(out, msg)
	out = appendStr(out, traceID)
	out = appendStr(out, spanID)
	if b != nil {
		out = append(out, b.labels...)
	}
	for i := range attrs {
		if a := &attrs[i]; a.kind == attrLabel {
			out = appendStr(out, a.key)
			out = appendStr(out, a.str)
		}
	}
	if b != nil {
		out = append(out, b.fields...)
	}
	for i := range attrs {
		if a := &attrs[i]; a.kind <= attrBool {
			out = appendField(out, a)
		}
	}
	return finishRecord(out, start)
}

// appendEncoded encodes a record whose attributes are all encoded already, in two runs: a's
// labels and fields, then b's (a handler's bound attributes, then a record's own). The trace
// context is b's. The level must be valid.
func appendEncoded(dst []byte, level Level, ts uint64, msg string, a, b *bound) ([]byte, error) {
	nLabels, nFields := a.nLabels+b.nLabels, a.nFields+b.nFields
	if nLabels > maxCount || nFields > maxCount {
		return dst, countError(nLabels, nFields)
	}
	start := len(dst)
	out := slices.Grow(dst, RecordHeaderLen+12+len(msg)+len(b.traceID)+len(b.spanID)+
		len(a.labels)+len(b.labels)+len(a.fields)+len(b.fields))
	out = appendHeader(out, level, ts, nLabels, nFields)
	out = appendStr(out, msg)
	out = appendStr(out, b.traceID)
	out = appendStr(out, b.spanID)
	out = append(out, a.labels...)
	out = append(out, b.labels...)
	out = append(out, a.fields...)
	out = append(out, b.fields...)
	return finishRecord(out, start)
}

// appendHeader appends the fixed header, its total length left zero for finishRecord.
func appendHeader(b []byte, level Level, ts uint64, nLabels, nFields int) []byte {
	b = append(b, 'L', 'C', RecordVersion, byte(level), 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, ts)
	b = binary.LittleEndian.AppendUint16(b, uint16(nLabels))
	return binary.LittleEndian.AppendUint16(b, uint16(nFields))
}

// finishRecord writes the total length of the record that starts at out[start:]. A record
// over MaxRecordBytes is written all the same: the library refuses it with ErrLimit and
// counts it, as it does for every API. One whose length does not fit the format's 32 bits
// cannot be written: ErrLimit, and out[:start].
func finishRecord(out []byte, start int) ([]byte, error) {
	n := len(out) - start
	if uint64(n) > math.MaxUint32 {
		return out[:start], newError(ErrLimit, "the record is "+strconv.Itoa(n)+
			" bytes: the format cannot express its length")
	}
	binary.LittleEndian.PutUint32(out[start+offLength:], uint32(n))
	return out, nil
}

// maxCount is the most labels or fields the format's 16-bit counts can express.
const maxCount = math.MaxUint16

// countError refuses a record the format cannot express: more than maxCount labels or
// fields. (Above MaxLabels or MaxFields, the library refuses and counts the record.)
func countError(nLabels, nFields int) *Error {
	return newError(ErrLimit, "a record's format counts at most "+strconv.Itoa(maxCount)+
		" labels and fields, not "+strconv.Itoa(nLabels)+" and "+strconv.Itoa(nFields))
}

func appendStr(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// appendField writes one field: key, type, payload.
func appendField(b []byte, a *Attr) []byte {
	b = appendStr(b, a.key)
	b = append(b, byte(a.kind))
	switch a.kind {
	case attrString:
		return appendStr(b, a.str)
	case attrBool:
		return append(b, byte(a.num&1))
	}
	return binary.LittleEndian.AppendUint64(b, a.num)
}

// maxPooledRecord bounds the buffers kept for reuse, so one huge record does not pin memory.
const maxPooledRecord = 64 << 10

var recordPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}

func getRecordBuf() *[]byte { return recordPool.Get().(*[]byte) }

func putRecordBuf(bp *[]byte, b []byte) {
	if cap(b) > maxPooledRecord {
		return
	}
	*bp = b[:0]
	recordPool.Put(bp)
}
