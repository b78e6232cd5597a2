package logcap

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigJSONOmitsUnsetKeys(t *testing.T) {
	got, err := Config{}.JSON()
	if err != nil || string(got) != "{}" {
		t.Fatalf("empty config = %s, %v; want {}", got, err)
	}
	cfg := Config{
		MinLevel: LevelWarn,
		Queue:    &QueueConfig{Capacity: 10, WhenFull: DropNewest},
		Batch:    &BatchConfig{MaxEntries: 5, MaxDelayMS: 7},
		Pool:     &PoolConfig{MaxIdle: 3},
		Sinks: []SinkConfig{
			{Type: SinkNull, Name: "n"},
			{Type: SinkFile, Path: "/tmp/x", Keep: Ptr(uint32(0)), FsyncOnFlush: Ptr(false), Format: FormatText},
		},
	}
	got, err = cfg.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"min_level":"warn","queue":{"capacity":10,"when_full":"drop_newest"},` +
		`"batch":{"max_entries":5,"max_delay_ms":7},"pool":{"max_idle":3},` +
		`"sinks":[{"type":"null","name":"n"},{"type":"file","format":"text","path":"/tmp/x","keep":0,"fsync_on_flush":false}]}`
	if string(got) != want {
		t.Fatalf("config JSON\n got %s\nwant %s", got, want)
	}
}

func TestOpenAcceptsEveryConfigKey(t *testing.T) {
	dir := t.TempDir()
	p, err := Open(Config{
		MinLevel: LevelDebug,
		Queue:    &QueueConfig{Capacity: 100, WhenFull: DropOldest, BlockTimeoutMS: 5},
		Batch:    &BatchConfig{MaxEntries: 10, MaxBytes: 1 << 16, MaxDelayMS: 5},
		Pool:     &PoolConfig{MaxIdle: 8, MaxRetainedBytes: 4096},
		Sinks: []SinkConfig{{
			Type: SinkFile, Name: "f", Format: FormatJSON, Path: dir + "/a.log", MaxBytes: 1 << 20,
			Keep: Ptr(uint32(2)), FsyncOnFlush: Ptr(true), QueueCapacity: 4, WhenFull: Block, BlockTimeoutMS: 50,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer closeOK(t, p)
	if got := p.MinLevel(); got != LevelDebug {
		t.Errorf("MinLevel = %v, want debug", got)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	_, err := OpenJSON(`{"queue":{"capacity":"big"}}`)
	var le *Error
	if !errors.As(err, &le) || le.Code != ErrConfig || !strings.Contains(le.Message, "queue.capacity") {
		t.Fatalf("err = %v, want ErrConfig naming queue.capacity", err)
	}
	_, err = Open(Config{Sinks: []SinkConfig{{Type: SinkFile}}})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "sinks[0].path") {
		t.Fatalf("err = %v, want ErrConfig naming sinks[0].path", err)
	}
	_, err = Open(Config{Sinks: []SinkConfig{{Type: SinkFile, Path: "/nonexistent/dir/x.log"}}})
	if !errors.Is(err, ErrSinkSetup) {
		t.Fatalf("err = %v, want ErrSinkSetup", err)
	}
	// A callback sink declared without a function.
	_, err = Open(Config{Sinks: []SinkConfig{{Type: SinkCallback, Name: "cb"}}})
	if !errors.Is(err, ErrSinkSetup) {
		t.Fatalf("err = %v, want ErrSinkSetup", err)
	}
	// A function for a sink that is not a callback sink.
	_, err = Open(Config{Sinks: []SinkConfig{{Type: SinkNull, Name: "n", Callback: func(Batch) error { return nil }}}})
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
	_, err = Open(Config{MinLevel: Level(9)})
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
}
