//go:build cgo

package logcap

import (
	"math"
	"strconv"
)

// Kind is the type of a field value; the numbers are those of logcap_value_kind and of the
// packed record.
type Kind uint8

// The five field types.
const (
	KindString Kind = iota
	KindInt64
	KindUint64
	KindFloat64
	KindBool
)

var kindNames = [...]string{"str", "i64", "u64", "f64", "bool"}

// String is the type's name in docs/output.md ("i64").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a typed field value. The zero Value is the empty string.
type Value struct {
	str  string
	num  uint64 // i64, u64, f64 bits or bool
	kind Kind
}

// StringValue is a string value.
func StringValue(s string) Value { return Value{str: s, kind: KindString} }

// Int64Value is a signed integer value.
func Int64Value(n int64) Value { return Value{num: uint64(n), kind: KindInt64} }

// Uint64Value is an unsigned integer value.
func Uint64Value(n uint64) Value { return Value{num: n, kind: KindUint64} }

// Float64Value is a double value.
func Float64Value(f float64) Value { return Value{num: math.Float64bits(f), kind: KindFloat64} }

// BoolValue is a boolean value.
func BoolValue(b bool) Value {
	v := Value{kind: KindBool}
	if b {
		v.num = 1
	}
	return v
}

// Kind is the value's type.
func (v Value) Kind() Kind { return v.kind }

// Str is the text of a string value ("" for other kinds).
func (v Value) Str() string {
	if v.kind != KindString {
		return ""
	}
	return v.str
}

// Int64 is the value of a signed integer (0 for other kinds).
func (v Value) Int64() int64 {
	if v.kind != KindInt64 {
		return 0
	}
	return int64(v.num)
}

// Uint64 is the value of an unsigned integer (0 for other kinds).
func (v Value) Uint64() uint64 {
	if v.kind != KindUint64 {
		return 0
	}
	return v.num
}

// Float64 is the value of a double (0 for other kinds).
func (v Value) Float64() float64 {
	if v.kind != KindFloat64 {
		return 0
	}
	return math.Float64frombits(v.num)
}

// Bool is the value of a boolean (false for other kinds).
func (v Value) Bool() bool { return v.kind == KindBool && v.num != 0 }

// Any is the value as a string, int64, uint64, float64 or bool.
func (v Value) Any() any {
	switch v.kind {
	case KindInt64:
		return v.Int64()
	case KindUint64:
		return v.num
	case KindFloat64:
		return v.Float64()
	case KindBool:
		return v.Bool()
	}
	return v.str
}

// String formats any kind of value as text: strings as they are, numbers in decimal.
func (v Value) String() string {
	switch v.kind {
	case KindInt64:
		return strconv.FormatInt(int64(v.num), 10)
	case KindUint64:
		return strconv.FormatUint(v.num, 10)
	case KindFloat64:
		return strconv.FormatFloat(v.Float64(), 'g', -1, 64)
	case KindBool:
		return strconv.FormatBool(v.num != 0)
	}
	return v.str
}

// Equal reports whether two values have the same kind and value (floats compared bitwise).
func (v Value) Equal(w Value) bool { return v.kind == w.kind && v.num == w.num && v.str == w.str }
