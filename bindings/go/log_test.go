package logcap

import (
	"testing"
)

func TestLogStandardEvent(t *testing.T) {
	p, c := openCollector(t)
	must(t, p.Log(LevelInfo, "request completed", standardAttrs()...))
	lg := p.With(Label("service", "checkout"), Label("env", "prod"), Label("host", "web-1"), Label("region", "eu-west-1"))
	must(t, lg.Info("request completed", standardAttrs()[4:]...))
	closeOK(t, p)
	got := c.all()
	if len(got) != 2 {
		t.Fatalf("%d entries", len(got))
	}
	c.mu.Lock()
	js := string(c.json)
	c.mu.Unlock()
	// Both ways give the same entry; the timestamps differ.
	const tail = `,"level":"info","msg":"request completed","labels":{"service":"checkout","env":"prod",` +
		`"host":"web-1","region":"eu-west-1"},"fields":{"method":"GET","path":"/api/v1/orders/12345",` +
		`"status":200,"latency_ms":12.5,"user_id":"u-998877","cache_hit":true}}`
	lines := splitLines(js)
	for i, l := range lines {
		if !tsPattern.MatchString(l[7:min(len(l), 37)]) || l[37:] != `"`+tail {
			t.Errorf("line %d: %s", i, l)
		}
	}
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

func TestLoggerWith(t *testing.T) {
	p, c := openCollector(t)
	base := p.With(Label("service", "a"), String("f", "base"), TraceID("t1"))
	child := base.With(Label("env", "prod"), Int("n", 1), SpanID("s1"))
	if base.Pipeline() != p || child.Pipeline() != p {
		t.Fatal("Pipeline()")
	}
	must(t, base.Trace("base"))
	must(t, child.Debug("child"))
	must(t, child.Warn("override", Label("service", "b"), String("f", "call")))
	must(t, child.Error("error"))
	must(t, p.SetMinLevel(LevelWarn))
	must(t, child.Info("filtered"))
	closeOK(t, p)
	got := c.all()
	if len(got) != 4 {
		t.Fatalf("%d entries", len(got))
	}
	if got[0].TraceID != "t1" || got[0].SpanID != "" || len(got[0].Labels) != 1 || len(got[0].Fields) != 1 {
		t.Errorf("base entry %+v", got[0])
	}
	if got[1].Level != LevelDebug || got[1].SpanID != "s1" || len(got[1].Labels) != 2 || len(got[1].Fields) != 2 {
		t.Errorf("child entry %+v", got[1])
	}
	// A key given twice keeps its first position and its last value.
	if got[2].Labels[0].Key() != "service" || got[2].Labels[0].Value().Str() != "b" || len(got[2].Labels) != 2 {
		t.Errorf("override labels %v", got[2].Labels)
	}
	if v, _ := got[2].Field("f"); v.Str() != "call" {
		t.Errorf("override field %v", v)
	}
	if got[3].Level != LevelError {
		t.Errorf("level %v", got[3].Level)
	}
	// The parent is unchanged by the child.
	if base.b.nLabels != 1 || base.b.nFields != 1 || base.b.spanID != "" {
		t.Errorf("parent changed: %+v", base.b)
	}
}

func TestLogRejectsBadLevel(t *testing.T) {
	p := openNull(t)
	wantCode(t, p.Log(Level(6), "m"), ErrInvalidArgument)
}

func TestLogDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	p, err := OpenJSON(`{"queue":{"capacity":1000000,"when_full":"drop_newest"},"sinks":[{"type":"null"}]}`)
	must(t, err)
	defer closeOK(t, p)
	attrs := standardAttrs()
	lg := p.With(attrs[:4]...)
	// A refused call could allocate nothing and prove nothing: every call must succeed, and
	// every entry reach the sink.
	var failed error
	if n := testing.AllocsPerRun(1000, func() {
		if err := p.Log(LevelInfo, "request completed", attrs...); err != nil {
			failed = err
		}
	}); n != 0 {
		t.Errorf("Pipeline.Log: %v allocs per call", n)
	}
	must(t, failed)
	if n := testing.AllocsPerRun(1000, func() {
		if err := lg.Log(LevelInfo, "request completed",
			String("method", "GET"), String("path", "/api/v1/orders/12345"), Int64("status", 200),
			Float64("latency_ms", 12.5), String("user_id", "u-998877"), Bool("cache_hit", true)); err != nil {
			failed = err
		}
	}); n != 0 {
		t.Errorf("Logger.Log: %v allocs per call", n)
	}
	must(t, failed)
	flushOK(t, p)
	st, err := p.Stats()
	must(t, err)
	// AllocsPerRun calls each function once more than it counts.
	if st.Submitted != 2002 || st.Dropped() != 0 || st.Sinks[0].Delivered != st.Submitted {
		t.Fatalf("not every call was delivered: %+v", st)
	}
}
