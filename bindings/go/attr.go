//go:build cgo

package logcap

import (
	"math"
	"time"
)

// Attr is one typed attribute of a log call: a field, a label, or the entry's trace id, span
// id or timestamp. It is a small struct with a kind tag, so passing attributes boxes nothing
// and allocates nothing.
type Attr struct {
	key  string
	str  string
	num  uint64
	kind attrKind
}

type attrKind uint8

// Field kinds share their numbers with Kind; the others are roles.
const (
	attrString           = attrKind(KindString)
	attrInt64            = attrKind(KindInt64)
	attrUint64           = attrKind(KindUint64)
	attrFloat64          = attrKind(KindFloat64)
	attrBool             = attrKind(KindBool)
	attrLabel   attrKind = 16 + iota
	attrTraceID
	attrSpanID
	attrTime
)

// String is a string field.
func String(key, value string) Attr { return Attr{key: key, str: value, kind: attrString} }

// Int64 is a signed integer field.
func Int64(key string, value int64) Attr { return Attr{key: key, num: uint64(value), kind: attrInt64} }

// Int is a signed integer field.
func Int(key string, value int) Attr { return Int64(key, int64(value)) }

// Uint64 is an unsigned integer field.
func Uint64(key string, value uint64) Attr { return Attr{key: key, num: value, kind: attrUint64} }

// Float64 is a double field.
func Float64(key string, value float64) Attr {
	return Attr{key: key, num: math.Float64bits(value), kind: attrFloat64}
}

// Bool is a boolean field.
func Bool(key string, value bool) Attr {
	a := Attr{key: key, kind: attrBool}
	if value {
		a.num = 1
	}
	return a
}

// Field is a field of any kind.
func Field(key string, v Value) Attr {
	return Attr{key: key, str: v.str, num: v.num, kind: attrKind(v.kind)}
}

// Label is a label: a low-cardinality stream label (service, env, ...), not a field.
func Label(key, value string) Attr { return Attr{key: key, str: value, kind: attrLabel} }

// TraceID sets the entry's trace id.
func TraceID(id string) Attr { return Attr{str: id, kind: attrTraceID} }

// SpanID sets the entry's span id.
func SpanID(id string) Attr { return Attr{str: id, kind: attrSpanID} }

// Timestamp sets the entry's time instead of the time it is submitted at. The zero time
// (or one before 1970) leaves the stamping to the pipeline.
func Timestamp(t time.Time) Attr { return Attr{num: unixNanos(t), kind: attrTime} }

// Key is the attribute's key ("" for trace id, span id and timestamp).
func (a Attr) Key() string { return a.key }

// IsLabel reports whether the attribute is a label.
func (a Attr) IsLabel() bool { return a.kind == attrLabel }

// IsField reports whether the attribute is a field.
func (a Attr) IsField() bool { return a.kind <= attrBool }

// Value is the value of a field, or the text of a label, trace id or span id (a timestamp's
// value is its nanoseconds as an unsigned integer).
func (a Attr) Value() Value {
	switch {
	case a.kind <= attrBool:
		return Value{str: a.str, num: a.num, kind: Kind(a.kind)}
	case a.kind == attrTime:
		return Uint64Value(a.num)
	}
	return StringValue(a.str)
}
