//go:build go1.22

package logcap

import (
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func fillStandard(t testing.TB, e *Entry) {
	t.Helper()
	must(t, e.SetLevel(LevelInfo))
	must(t, e.SetMessage("request completed"))
	must(t, e.SetLabel("service", "checkout"))
	must(t, e.SetLabel("env", "prod"))
	must(t, e.SetLabel("host", "web-1"))
	must(t, e.SetLabel("region", "eu-west-1"))
	must(t, e.SetString("method", "GET"))
	must(t, e.SetString("path", "/api/v1/orders/12345"))
	must(t, e.SetInt64("status", 200))
	must(t, e.SetFloat64("latency_ms", 12.5))
	must(t, e.SetString("user_id", "u-998877"))
	must(t, e.SetBool("cache_hit", true))
}

func TestEntrySettersAndGetters(t *testing.T) {
	p := openNull(t)
	e, err := p.Acquire()
	must(t, err)
	defer e.Release()
	fillStandard(t, e)

	if v, ok, err := e.Label("service"); err != nil || !ok || v != "checkout" {
		t.Fatalf("Label = %q %v %v", v, ok, err)
	}
	if _, ok, err := e.Label("absent"); err != nil || ok {
		t.Fatalf("absent label: %v %v", ok, err)
	}
	long := strings.Repeat("v", 1000) // longer than the first buffer
	must(t, e.SetLabel("long", long))
	if v, ok, err := e.Label("long"); err != nil || !ok || v != long {
		t.Fatalf("long label: %d %v %v", len(v), ok, err)
	}
	must(t, e.DeleteLabel("long"))
	wantCode(t, e.DeleteLabel("long"), ErrNotFound)
	wantCode(t, e.SetLabel("", "x"), ErrInvalidArgument)

	checks := map[string]Value{
		"method":     StringValue("GET"),
		"status":     Int64Value(200),
		"latency_ms": Float64Value(12.5),
		"cache_hit":  BoolValue(true),
	}
	for k, want := range checks {
		got, ok, err := e.Field(k)
		if err != nil || !ok || !got.Equal(want) {
			t.Errorf("Field(%q) = %v %v %v, want %v", k, got, ok, err, want)
		}
	}
	must(t, e.SetUint64("bytes", math.MaxUint64))
	if v, _, _ := e.Field("bytes"); v.Kind() != KindUint64 || v.Uint64() != math.MaxUint64 {
		t.Errorf("u64 field: %v", v)
	}
	must(t, e.SetString("path", long))
	if v, _, _ := e.Field("path"); v.Str() != long {
		t.Errorf("long string field: %d bytes", len(v.Str()))
	}
	must(t, e.SetString("empty", ""))
	if v, ok, _ := e.Field("empty"); !ok || v.Kind() != KindString || v.Str() != "" {
		t.Errorf("empty string field: %v %v", v, ok)
	}
	must(t, e.SetInt64("method", -5)) // a field may change type
	if v, _, _ := e.Field("method"); v.Kind() != KindInt64 || v.Int64() != -5 {
		t.Errorf("retyped field: %v", v)
	}
	must(t, e.SetField("any", Float64Value(0.25)))
	if v, _, _ := e.Field("any"); v.Float64() != 0.25 {
		t.Errorf("SetField: %v", v)
	}
	must(t, e.DeleteField("method"))
	if _, ok, err := e.Field("method"); ok || err != nil {
		t.Errorf("deleted field: %v %v", ok, err)
	}
	wantCode(t, e.DeleteField("method"), ErrNotFound)
	if l, f, err := e.Counts(); err != nil || l != 4 || f != 8 {
		t.Errorf("Counts = %d %d %v", l, f, err)
	}

	if m, err := e.Message(); err != nil || m != "request completed" {
		t.Errorf("Message = %q %v", m, err)
	}
	must(t, e.SetMessage(strings.Repeat("m", 300)))
	if m, _ := e.Message(); len(m) != 300 {
		t.Errorf("long message: %d", len(m))
	}
	must(t, e.SetMessage("a\xffb"))
	if m, _ := e.Message(); m != "a\uFFFDb" {
		t.Errorf("invalid UTF-8 not replaced: %q", m)
	}
	must(t, e.SetLevel(LevelError))
	wantCode(t, e.SetLevel(Level(6)), ErrInvalidArgument)
	if l, err := e.Level(); err != nil || l != LevelError {
		t.Errorf("Level = %v %v", l, err)
	}
	if ts, err := e.Time(); err != nil || !ts.IsZero() {
		t.Errorf("unstamped Time = %v %v", ts, err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 123, time.UTC)
	must(t, e.SetTime(at))
	if ts, err := e.Time(); err != nil || !ts.Equal(at) {
		t.Errorf("Time = %v %v", ts, err)
	}
	must(t, e.SetTraceID("4bf92f3577b34da6a3ce929d0e0e4736"))
	must(t, e.SetSpanID("00f067aa0ba902b7"))
	must(t, e.SetTraceID(""))

	// Limits.
	n := 0
	for i := 0; ; i++ {
		err := e.SetLabel("k"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26)), "v")
		if err != nil {
			wantCode(t, err, ErrLimit)
			break
		}
		n++
	}
	if l, _, _ := e.Counts(); l != MaxLabels {
		t.Errorf("labels at the limit: %d (added %d)", l, n)
	}
}

func TestEntryCloneIsDeep(t *testing.T) {
	p, c := openCollector(t)
	e, err := p.Acquire()
	must(t, err)
	fillStandard(t, e)
	cl, err := e.Clone()
	must(t, err)
	must(t, cl.SetLabel("service", "copy"))
	if v, _, _ := e.Label("service"); v != "checkout" {
		t.Fatalf("the original changed: %q", v)
	}
	if v, _, _ := cl.Label("region"); v != "eu-west-1" {
		t.Fatalf("the clone lacks a label: %q", v)
	}
	must(t, cl.Submit())
	must(t, e.Submit())
	closeOK(t, p)
	got := c.all()
	if len(got) != 2 {
		t.Fatalf("%d entries delivered", len(got))
	}
	if s, _ := got[0].Label("service"); s != "copy" {
		t.Errorf("first entry service = %q", s)
	}
	if s, _ := got[1].Label("service"); s != "checkout" {
		t.Errorf("second entry service = %q", s)
	}
}

// Every entry operation after Release, after Submit, and on a stale handle whose slot was
// reused answers ErrStaleHandle and leaves the new owner's entry alone.
func TestEntryUseAfterConsume(t *testing.T) {
	p := openNull(t)
	ops := func(e *Entry) map[string]error {
		_, _, lerr := e.Label("k")
		_, _, ferr := e.Field("k")
		_, _, cerr := e.Counts()
		_, merr := e.Message()
		_, gerr := e.Level()
		_, terr := e.Time()
		_, clerr := e.Clone()
		return map[string]error{
			"SetLabel": e.SetLabel("k", "v"), "Label": lerr, "DeleteLabel": e.DeleteLabel("k"),
			"SetString": e.SetString("k", "v"), "SetInt64": e.SetInt64("k", 1), "SetUint64": e.SetUint64("k", 1),
			"SetFloat64": e.SetFloat64("k", 1), "SetBool": e.SetBool("k", true), "Field": ferr,
			"DeleteField": e.DeleteField("k"), "Counts": cerr, "SetMessage": e.SetMessage("m"), "Message": merr,
			"SetLevel": e.SetLevel(LevelWarn), "Level": gerr, "SetTime": e.SetTime(time.Now()), "Time": terr,
			"SetTraceID": e.SetTraceID("t"), "SetSpanID": e.SetSpanID("s"), "Clone": clerr,
			"Submit": e.Submit(), "Release": e.Release(),
		}
	}
	released, err := p.Acquire()
	must(t, err)
	must(t, released.Release())
	for op, err := range ops(released) {
		wantCode(t, err, ErrStaleHandle)
		if !strings.Contains(err.Error(), "released") {
			t.Errorf("%s after Release: %v does not say released", op, err)
		}
	}
	submitted, err := p.Acquire()
	must(t, err)
	must(t, submitted.Submit())
	for op, err := range ops(submitted) {
		wantCode(t, err, ErrStaleHandle)
		if !strings.Contains(err.Error(), "submitted") {
			t.Errorf("%s after Submit: %v does not say submitted", op, err)
		}
	}

	old, err := p.Acquire()
	must(t, err)
	must(t, old.Release())
	fresh, err := p.Acquire()
	must(t, err)
	must(t, fresh.SetLabel("owner", "fresh"))
	wantCode(t, old.SetLabel("owner", "old"), ErrStaleHandle)
	wantCode(t, old.Release(), ErrStaleHandle)
	if v, _, _ := fresh.Label("owner"); v != "fresh" {
		t.Fatalf("a stale handle changed a reused slot: %q", v)
	}
	must(t, fresh.Release())
}

// Release racing Release, and the finalizer racing an explicit Release: exactly one wins,
// the others get ErrStaleHandle, nothing crashes and no other entry is touched.
func TestDoubleReleaseRaces(t *testing.T) {
	p := openNull(t)
	for round := 0; round < 200; round++ {
		e, err := p.Acquire()
		must(t, err)
		bystander, err := p.Acquire()
		must(t, err)
		must(t, bystander.SetLabel("k", "v"))
		before, err := p.Stats()
		must(t, err)
		var wg sync.WaitGroup
		results := make([]error, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i == 3 {
					// What the finalizer does, as if the collector had found e unreachable.
					e.finalize()
					return
				}
				results[i] = e.Release()
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range results[:3] {
			if err == nil {
				ok++
			} else {
				wantCode(t, err, ErrStaleHandle)
			}
		}
		// The finalizer reports nothing: it won when no Release did. Either way exactly one
		// release happened: the pool got exactly one entry back.
		if ok > 1 {
			t.Fatalf("round %d: %d releases succeeded", round, ok)
		}
		after, err := p.Stats()
		must(t, err)
		if after.PoolIdle != before.PoolIdle+1 {
			t.Fatalf("round %d: the pool got %d entries back, want exactly 1 (%d Release calls succeeded)",
				round, int64(after.PoolIdle)-int64(before.PoolIdle), ok)
		}
		wantCode(t, e.Release(), ErrStaleHandle)
		if v, _, err := bystander.Label("k"); err != nil || v != "v" {
			t.Fatalf("round %d: bystander entry touched: %q %v", round, v, err)
		}
		must(t, bystander.Release())
	}
}

// Entries dropped without Submit or Release return to the pool through their finalizer.
func TestEntryFinalizerReleases(t *testing.T) {
	p, err := OpenJSON(`{"pool":{"max_idle":1000},"sinks":[{"type":"null"}]}`)
	must(t, err)
	defer closeOK(t, p)
	const n = 200
	func() {
		for i := 0; i < n; i++ {
			e, err := p.Acquire()
			must(t, err)
			must(t, e.SetLabel("k", "v"))
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		st, err := p.Stats()
		must(t, err)
		if st.PoolIdle >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after GC, %d of %d dropped entries are back in the pool", st.PoolIdle, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Hundreds of live entries at once: handle tokens of slots 191 and up look like addresses in
// the Go heap (0xc000000000...). Kept as integers, they survive collections.
func TestManyLiveEntries(t *testing.T) {
	p := openNull(t)
	const n = 600
	entries := make([]*Entry, n)
	for i := range entries {
		e, err := p.Acquire()
		must(t, err)
		entries[i] = e
	}
	for round := 0; round < 3; round++ {
		runtime.GC()
		for i, e := range entries {
			must(t, e.SetInt64("i", int64(i+round)))
		}
	}
	for i, e := range entries {
		if v, _, err := e.Field("i"); err != nil || v.Int64() != int64(i+2) {
			t.Fatalf("entry %d: %v %v", i, v, err)
		}
		must(t, e.Release())
	}
}
