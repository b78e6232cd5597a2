package logcap

import (
	"math"
	"testing"
	"time"
)

func TestAttrConstructors(t *testing.T) {
	cases := []struct {
		a     Attr
		key   string
		label bool
		field bool
		want  Value
	}{
		{String("s", "x"), "s", false, true, StringValue("x")},
		{Int64("i", -3), "i", false, true, Int64Value(-3)},
		{Int("i", 7), "i", false, true, Int64Value(7)},
		{Uint64("u", math.MaxUint64), "u", false, true, Uint64Value(math.MaxUint64)},
		{Float64("f", 12.5), "f", false, true, Float64Value(12.5)},
		{Bool("b", true), "b", false, true, BoolValue(true)},
		{Bool("b", false), "b", false, true, BoolValue(false)},
		{Field("v", Uint64Value(9)), "v", false, true, Uint64Value(9)},
		{Label("l", "y"), "l", true, false, StringValue("y")},
		{TraceID("t1"), "", false, false, StringValue("t1")},
		{SpanID("s1"), "", false, false, StringValue("s1")},
		{Timestamp(time.Unix(0, 42)), "", false, false, Uint64Value(42)},
	}
	for _, c := range cases {
		if c.a.Key() != c.key || c.a.IsLabel() != c.label || c.a.IsField() != c.field || !c.a.Value().Equal(c.want) {
			t.Errorf("%+v: key %q label %v field %v value %v", c.a, c.a.Key(), c.a.IsLabel(), c.a.IsField(), c.a.Value())
		}
	}
	if Timestamp(time.Time{}).Value().Uint64() != 0 || Timestamp(time.Unix(-1, 0)).Value().Uint64() != 0 {
		t.Error("zero and pre-1970 times must mean: stamp at submit")
	}
}
