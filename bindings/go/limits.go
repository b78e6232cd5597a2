//go:build cgo

package logcap

import "encoding/binary"

// What a binding writing lanes must judge itself: whether a record keeps every limit of the
// library (include/logcap.h, docs/api.md "Limits"). A record that does goes into a lane with no
// check on the caller's side (the batcher checks every record it reads); one that does not,
// or that the binding cannot judge, goes through the library, which refuses it with ErrLimit
// and counts it, as for every API.

// encodedSize is entrySize for appendEncoded's record of a and b.
func encodedSize(msg string, a, b *bound) (n int, inLimits bool) {
	n = RecordHeaderLen + 12 + len(msg) + len(b.traceID) + len(b.spanID) +
		len(a.labels) + len(b.labels) + len(a.fields) + len(b.fields)
	return n, !a.badKeys && !b.badKeys && a.nLabels+b.nLabels <= MaxLabels &&
		a.nFields+b.nFields <= MaxFields && len(msg) <= MaxMessageBytes && n <= MaxRecordBytes
}

// entrySize is the size of the record appendRecord encodes from msg, attrs and b (at a valid
// level), computed without encoding it, and whether that record keeps every limit of the
// library (counts, keys, the message, its own length).
func entrySize(msg string, attrs []Attr, b *bound) (n int, inLimits bool) {
	var nl, nf int
	traceID, spanID := "", ""
	n = RecordHeaderLen + 12 + len(msg)
	if b != nil {
		if b.badKeys {
			return 0, false
		}
		nl, nf = b.nLabels, b.nFields
		traceID, spanID = b.traceID, b.spanID
		n += len(b.labels) + len(b.fields)
	}
	for i := range attrs {
		a := &attrs[i]
		switch a.kind {
		case attrLabel:
			nl++
			n += 8 + len(a.key) + len(a.str)
		case attrTraceID:
			traceID = a.str
			continue
		case attrSpanID:
			spanID = a.str
			continue
		case attrTime:
			continue
		case attrString:
			nf++
			n += 9 + len(a.key) + len(a.str)
		case attrBool:
			nf++
			n += 6 + len(a.key)
		default:
			nf++
			n += 13 + len(a.key)
		}
		if !keyInLimits(a.key) {
			return 0, false
		}
	}
	n += len(traceID) + len(spanID)
	return n, nl <= MaxLabels && nf <= MaxFields && len(msg) <= MaxMessageBytes && n <= MaxRecordBytes
}

// entryInLimits reports, without encoding anything, whether the entry Log encodes from msg,
// attrs and b keeps every limit (see entrySize).
func entryInLimits(msg string, attrs []Attr, b *bound) bool {
	_, ok := entrySize(msg, attrs, b)
	return ok
}

// keyInLimits reports whether a label or field key is neither empty nor over MaxKeyBytes.
func keyInLimits(k string) bool { return keyLenInLimits(len(k)) }

// keyLenInLimits reports whether a key of n bytes is neither empty nor over MaxKeyBytes.
func keyLenInLimits(n int) bool { return uint(n)-1 < MaxKeyBytes }

// recordInLimits reports whether rec, as appendRecord wrote it, keeps every limit of the
// library (counts, key and message lengths, its own length); a record that does not goes
// through the library, which refuses it with ErrLimit and counts it.
func recordInLimits(rec []byte) bool {
	if len(rec) > MaxRecordBytes {
		return false
	}
	nl := int(binary.LittleEndian.Uint16(rec[offLabels:]))
	nf := int(binary.LittleEndian.Uint16(rec[offFields:]))
	if nl > MaxLabels || nf > MaxFields {
		return false
	}
	i := RecordHeaderLen
	str := func() (uint64, bool) {
		if i+4 > len(rec) {
			return 0, false
		}
		n := uint64(binary.LittleEndian.Uint32(rec[i:]))
		i += 4
		if n > uint64(len(rec)-i) {
			return 0, false
		}
		i += int(n)
		return n, true
	}
	if n, ok := str(); !ok || n > MaxMessageBytes {
		return false
	}
	for k := 0; k < 2; k++ { // trace and span ids
		if _, ok := str(); !ok {
			return false
		}
	}
	key := func() bool {
		n, ok := str()
		return ok && n > 0 && n <= MaxKeyBytes
	}
	for k := 0; k < nl; k++ {
		if !key() {
			return false
		}
		if _, ok := str(); !ok {
			return false
		}
	}
	for k := 0; k < nf; k++ {
		if !key() || i >= len(rec) {
			return false
		}
		t := rec[i]
		i++
		switch t {
		case byte(attrString):
			if _, ok := str(); !ok {
				return false
			}
		case byte(attrBool):
			i++
		default:
			i += 8
		}
	}
	return i == len(rec)
}
