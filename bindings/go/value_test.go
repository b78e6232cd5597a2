package logcap

import (
	"math"
	"testing"
)

func TestValueAccessors(t *testing.T) {
	if v := Float64Value(math.Copysign(0, -1)); !math.Signbit(v.Float64()) || v.Kind() != KindFloat64 {
		t.Error("-0.0 lost its sign")
	}
	if v := Int64Value(math.MinInt64); v.Int64() != math.MinInt64 || v.Uint64() != 0 || v.String() != "-9223372036854775808" {
		t.Errorf("i64 min: %v", v)
	}
	if v := Uint64Value(math.MaxUint64); v.Uint64() != math.MaxUint64 || v.Int64() != 0 || v.Any() != uint64(math.MaxUint64) {
		t.Errorf("u64 max: %v", v)
	}
	if v := BoolValue(true); !v.Bool() || v.String() != "true" || v.Any() != true {
		t.Errorf("bool: %v", v)
	}
	if v := StringValue("x"); v.Str() != "x" || v.Any() != "x" || Int64Value(1).Str() != "" {
		t.Errorf("str: %v", v)
	}
	if Float64Value(12.5).String() != "12.5" || KindUint64.String() != "u64" || Kind(9).String() != "Kind(9)" {
		t.Error("formatting")
	}
	var zero Value
	if zero.Kind() != KindString || zero.Str() != "" {
		t.Error("the zero Value is the empty string")
	}
}
