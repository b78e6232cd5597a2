package logcap

import (
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"
)

// What the binding judges for the lanes, without the library, must agree with the library's
// full check: a record Log would copy into a lane as within every limit must be one that
// SubmitRecord accepts, or the batcher would drop it as malformed after Log returned nil; and
// one the library refuses must go to the library, so that the refusal keeps its code and
// counter. The seeds sit on every limit; `go test -fuzz FuzzLaneLimits` explores around them.
func FuzzLaneLimitsAgreeWithTheLibrary(f *testing.F) {
	for _, s := range []struct {
		msg, labels, fields, keyLen int
		bound                       bool
	}{
		{0, 0, 0, 1, false},
		{MaxMessageBytes, 4, 6, MaxKeyBytes, false},
		{MaxMessageBytes + 1, 4, 6, 10, false},
		{10, MaxLabels, 0, 5, true},
		{10, MaxLabels + 1, 0, 5, false},
		{10, MaxLabels + 1, 0, 5, true},
		{10, 0, MaxFields, 3, false},
		{10, 0, MaxFields + 1, 3, true},
		{10, 2, 2, 0, false},
		{10, 2, 2, 0, true},
		{10, 2, 2, MaxKeyBytes + 1, false},
		{10, 2, 2, MaxKeyBytes + 1, true},
		{MaxMessageBytes, 60, 1000, MaxKeyBytes, false}, // over MaxRecordBytes
	} {
		f.Add(s.msg, s.labels, s.fields, s.keyLen, s.bound)
	}
	p, err := OpenJSON(nullConfig)
	if err != nil {
		f.Fatal(err)
	}
	defer closeOK(f, p)
	f.Fuzz(func(t *testing.T, msgLen, labels, fields, keyLen int, useBound bool) {
		if msgLen < 0 || labels < 0 || fields < 0 || keyLen < 0 ||
			msgLen > 2*MaxMessageBytes || labels > 2*MaxLabels || fields > 2*MaxFields || keyLen > 2*MaxKeyBytes {
			t.Skip()
		}
		var la, fa []Attr
		for i := 0; i < labels; i++ {
			la = append(la, Label(key(i, keyLen, i == labels-1), "v"))
		}
		for i := 0; i < fields; i++ {
			fa = append(fa, Int(key(i, keyLen, i == 0), int(i)))
		}
		msg := strings.Repeat("m", msgLen)
		var b *bound
		attrs := append(la, fa...)
		if useBound {
			b = &p.With(la...).b
			attrs = fa
		}
		rec, err := appendRecord(nil, LevelInfo, 1, msg, attrs, b)
		if err != nil {
			t.Skip() // beyond what the format can express: refused before any lane
		}
		accepted := p.SubmitRecord(rec) == nil
		if n, _ := entrySize(msg, attrs, b); n != 0 && n != len(rec) {
			t.Fatalf("entrySize %d, the record has %d bytes", n, len(rec))
		}
		if entryInLimits(msg, attrs, b) && !accepted {
			t.Fatalf("judged within the limits, refused by the library (msg %d, labels %d, fields %d, key %d, bound %v)",
				msgLen, labels, fields, keyLen, useBound)
		}
		if got := recordInLimits(rec); got != accepted {
			t.Fatalf("recordInLimits %v, the library accepted %v (msg %d, labels %d, fields %d, key %d, bound %v)",
				got, accepted, msgLen, labels, fields, keyLen, useBound)
		}
	})
}

// key is the i-th distinct key, of keyLen bytes when odd is set (a key that may break a
// limit: empty, or too long), of its natural length otherwise.
func key(i, keyLen int, odd bool) string {
	if odd {
		return strings.Repeat("k", keyLen)
	}
	return "k" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
}

// Log judges the record's length by the size entrySize computes from the attributes (the
// library refuses a record over MaxRecordBytes): for every kind of attribute, with a Logger's
// bound ones and without, the two must agree to the byte.
func TestEntrySizeIsTheEncodedSize(t *testing.T) {
	p := openNull(t)
	all := append(standardAttrs(), Uint64("u", 7), Field("v", StringValue("x")),
		TraceID("4bf92f3577b34da6a3ce929d0e0e4736"), SpanID("00f067aa0ba902b7"),
		Timestamp(time.Unix(1, 2)), Label("", "empty key"), Int("", 1))
	for _, b := range []*bound{nil, &p.With(Label("svc", "a"), Bool("ok", true), TraceID("t")).b} {
		for i := 0; i <= len(all); i++ {
			for _, msg := range []string{"", "request completed"} {
				rec, err := appendRecord(nil, LevelWarn, 0, msg, all[:i], b)
				must(t, err)
				if n, _ := entrySize(msg, all[:i], b); n != len(rec) && !(n == 0 && i >= len(all)-1) {
					t.Fatalf("%d attributes, bound %v: entrySize %d, encoded %d", i, b != nil, n, len(rec))
				}
			}
		}
	}
}

// The slog handler writes into a lane a record of the size encodedSize computes from what it
// collected, and judges the limits by it: for every kind of value, groups, labels, the trace
// context and the source, the size must be the record's.
func TestSlogEncodedSizeIsTheEncodedSize(t *testing.T) {
	p := openNull(t)
	h := NewSlogHandler(p, &SlogOptions{LabelKeys: []string{"service", "g.region"}, TraceIDKey: "trace",
		AddSource: true}).WithAttrs([]slog.Attr{slog.String("service", "checkout"), slog.Int("n", 1)}).
		WithGroup("g").(*slogHandler)
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	r := slog.NewRecord(time.Unix(5, 6), slog.LevelWarn, "request completed", pcs[0])
	r.AddAttrs(slog.String("region", "eu"), slog.Int64("i", -1), slog.Uint64("u", 2), slog.Float64("f", 1.5),
		slog.Bool("b", true), slog.Duration("d", time.Second), slog.Time("t", time.Unix(1, 0)),
		slog.Any("a", []int{1}), slog.Group("sub", slog.String("x", "y")), slog.String("trace", "abc"))
	e := &slogEncoder{}
	e.collect(h, &r)
	rec, err := appendEncoded(nil, LevelWarn, 1, r.Message, &h.b, &e.out)
	must(t, err)
	n, ok := encodedSize(r.Message, &h.b, &e.out)
	if !ok || n != len(rec) {
		t.Fatalf("encodedSize %d (in limits %v), encoded %d", n, ok, len(rec))
	}
	long := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
	long.AddAttrs(slog.Int(strings.Repeat("k", MaxKeyBytes), 1))
	e.collect(h, &long) // under the group "g.": one byte too many
	if _, ok := encodedSize(long.Message, &h.b, &e.out); ok {
		t.Fatal("a key over MaxKeyBytes with its group judged within the limits")
	}
}
