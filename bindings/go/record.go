package logcap

import (
	"encoding/binary"
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
// It refuses with ErrLimit what the format cannot carry (more than MaxLabels labels or
// MaxFields fields, or a record over MaxRecordBytes) and with ErrInvalidArgument a level
// above LevelFatal, returning dst unchanged. Empty and over-long keys are left to the
// library, which refuses the record with ErrMalformedRecord.
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
	if nLabels > MaxLabels || nFields > MaxFields {
		return dst, limitError(nLabels, nFields)
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
	if nLabels > MaxLabels || nFields > MaxFields {
		return dst, limitError(nLabels, nFields)
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

// finishRecord writes the total length of the record that starts at out[start:], or refuses
// a record over MaxRecordBytes with ErrLimit and returns out[:start].
func finishRecord(out []byte, start int) ([]byte, error) {
	n := len(out) - start
	if n > MaxRecordBytes {
		return out[:start], newError(ErrLimit, "the record is "+strconv.Itoa(n)+" bytes, more than "+
			strconv.Itoa(MaxRecordBytes))
	}
	binary.LittleEndian.PutUint32(out[start+offLength:], uint32(n))
	return out, nil
}

// limitError refuses a record with more than MaxLabels labels or MaxFields fields.
func limitError(nLabels, nFields int) *Error {
	return newError(ErrLimit, "a record holds at most "+strconv.Itoa(MaxLabels)+" labels and "+
		strconv.Itoa(MaxFields)+" fields, not "+strconv.Itoa(nLabels)+" and "+strconv.Itoa(nFields))
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
