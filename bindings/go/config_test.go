package logcap

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
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

func TestConfigJSONOfTheProcessingAndNetworkKeys(t *testing.T) {
	cfg := Config{
		Sampling:  &SamplingConfig{Initial: Ptr(uint64(0)), Thereafter: Ptr(uint64(10)), TickMS: 500},
		RateLimit: &RateLimitConfig{PerSecond: 0.5, Burst: 3, ByLabel: "service", MaxKeys: 9},
		Dedup:     &DedupConfig{WindowMS: 250, MaxKeys: 7},
		Redact:    &RedactConfig{Keys: []string{"*token*"}, Patterns: []string{"email"}, Censor: Ptr("")},
		Sinks: []SinkConfig{
			{Type: SinkLoki, URL: "http://127.0.0.1:3100", BearerToken: "t", Headers: map[string]string{"X-A": "b"},
				CAFile: "/ca.pem", Retry: &RetryConfig{Attempts: 1}},
			{Type: SinkSyslog, Transport: "tcp", Address: "127.0.0.1:514", EnterpriseID: 1},
		},
	}
	got, err := cfg.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"sinks":[{"type":"loki","url":"http://127.0.0.1:3100","bearer_token":"t","headers":{"X-A":"b"},` +
		`"ca_file":"/ca.pem","retry":{"attempts":1}},` +
		`{"type":"syslog","transport":"tcp","address":"127.0.0.1:514","enterprise_id":1}],` +
		`"sampling":{"initial":0,"thereafter":10,"tick_ms":500},` +
		`"rate_limit":{"per_second":0.5,"burst":3,"by_label":"service","max_keys":9},` +
		`"dedup":{"window_ms":250,"max_keys":7},` +
		`"redact":{"keys":["*token*"],"patterns":["email"],"censor":""}}`
	if string(got) != want {
		t.Fatalf("config JSON\n got %s\nwant %s", got, want)
	}
}

func TestConfigJSONOfTheKafkaAndOTLPKeys(t *testing.T) {
	cfg := Config{Sinks: []SinkConfig{
		{Type: SinkKafka, Brokers: []string{"127.0.0.1:9092"}, Topic: "logs", TopicLabel: "stream",
			ErrorTopic: "logs.errors", DebugTopic: "logs.debug", KeyLabel: "service", Compression: "zstd",
			Acks: "all", Idempotence: Ptr(true), MessageTimeoutMS: 5000, Properties: map[string]string{"linger.ms": "1"}},
		{Type: SinkOTLP, URL: "http://127.0.0.1:4318", Encoding: "json", Compression: "none", LabelsAs: "attributes",
			Resource: map[string]string{"service.name": "api"}},
	}}
	got, err := cfg.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"sinks":[{"type":"kafka","brokers":["127.0.0.1:9092"],"topic":"logs","topic_label":"stream",` +
		`"error_topic":"logs.errors","debug_topic":"logs.debug","key_label":"service","compression":"zstd",` +
		`"acks":"all","idempotence":true,"message_timeout_ms":5000,"properties":{"linger.ms":"1"}},` +
		`{"type":"otlp","url":"http://127.0.0.1:4318","encoding":"json","compression":"none",` +
		`"labels_as":"attributes","resource":{"service.name":"api"}}]}`
	if string(got) != want {
		t.Fatalf("config JSON\n got %s\nwant %s", got, want)
	}
}

// The library accepts every Kafka and OTLP key, and refuses a bad one naming it. Nothing
// listens on port 9: with no entry submitted, nothing is sent.
func TestOpenAcceptsTheKafkaAndOTLPKeys(t *testing.T) {
	dir := t.TempDir()
	p, err := Open(Config{Sinks: []SinkConfig{
		{Type: SinkKafka, Name: "k", Brokers: []string{"127.0.0.1:9"}, Topic: "logs", TopicLabel: "stream",
			ErrorTopic: "errs", DebugTopic: "dbg", KeyLabel: "service", Compression: "lz4", Acks: "1",
			Idempotence: Ptr(false), MessageTimeoutMS: 1000, Properties: map[string]string{"linger.ms": "2"},
			DeadLetterPath: dir + "/k.jsonl", Format: FormatText},
		{Type: SinkOTLP, Name: "o", URL: "http://127.0.0.1:9", Encoding: "json", Compression: "none",
			LabelsAs: "attributes", Resource: map[string]string{"service.name": "api"},
			Headers: map[string]string{"X-A": "b"}, MaxRequestEntries: 10, MaxRequestBytes: 1 << 16,
			TimeoutMS: 100, Retry: &RetryConfig{Attempts: 1}, DeadLetterPath: dir + "/o.jsonl"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Stats()
	if err != nil || len(st.Sinks) != 2 || st.Sinks[0].Name != "k" || st.Sinks[1].Name != "o" {
		t.Errorf("stats = %+v, %v; want the sinks k and o", st, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = Open(Config{Sinks: []SinkConfig{{Type: SinkKafka, Brokers: []string{"x:1"}, Topic: "t", Acks: "2"}}})
	if err == nil || !strings.Contains(err.Error(), "sinks[0].acks") {
		t.Fatalf("err = %v, want one naming sinks[0].acks", err)
	}
}

// Every processing key and every network sink key is one the library accepts (it refuses
// unknown keys), and the stages configured this way act.
func TestOpenAcceptsTheProcessingAndNetworkKeys(t *testing.T) {
	c := &collector{}
	p, err := Open(Config{
		Batch:     &BatchConfig{MaxDelayMS: 5},
		Sampling:  &SamplingConfig{Initial: Ptr(uint64(1)), Thereafter: Ptr(uint64(0)), TickMS: 60_000},
		RateLimit: &RateLimitConfig{PerSecond: 1e6, Burst: 1_000, ByLabel: "service", MaxKeys: 16},
		Dedup:     &DedupConfig{WindowMS: 1, MaxKeys: 16},
		Redact:    &RedactConfig{Keys: []string{"password"}, Patterns: []string{"email"}, Censor: Ptr("***")},
		Sinks: []SinkConfig{
			{Type: SinkCallback, WhenFull: Block, Name: "cb", Callback: c.fn},
			// Nothing listens on port 9: the one entry that passes fails at the loki sink at
			// once (one attempt) into its dead-letter file, and goes nowhere over UDP.
			{Type: SinkLoki, Name: "loki", URL: "http://127.0.0.1:9", TenantID: "team",
				BasicAuth: &BasicAuth{Username: "u", Password: "p"}, Headers: map[string]string{"X-Env": "test"},
				Encoding: "json", FieldsAs: "line", LineFormat: FormatText, MaxRequestEntries: 10,
				MaxRequestBytes: 1 << 16, TimeoutMS: 100, Retry: &RetryConfig{InitialMS: 1, MaxMS: 2, Attempts: 1},
				DeadLetterPath: t.TempDir() + "/dead.jsonl", WhenFull: DropNewest},
			{Type: SinkSyslog, Name: "syslog", Transport: "udp", Address: "127.0.0.1:9", Facility: "local3",
				AppName: "test", Hostname: "host", MaxMessageBytes: 1024, FieldsAs: "msg", MsgFormat: FormatJSON,
				EnterpriseID: 32473, TimeoutMS: 100, Retry: &RetryConfig{Attempts: 1}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		must(t, p.Log(LevelInfo, "sign-up from a@example.com", Label("service", "web"), String("password", "hunter2")))
	}
	flushOK(t, p)
	es := c.all()
	if len(es) != 1 || es[0].Message != "sign-up from ***" {
		t.Fatalf("entries = %+v, want one, redacted", es)
	}
	if v, _ := es[0].Field("password"); v.String() != "***" {
		t.Errorf("password = %v, want ***", v)
	}
	st, err := p.Stats()
	must(t, err)
	if st.SampledOut != 2 || st.Accepted != 1 {
		t.Errorf("SampledOut = %d, Accepted = %d; want 2, 1", st.SampledOut, st.Accepted)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The network sinks got the entry: the loki sink tried once, as its retry says, and
	// wrote the entry to its dead-letter file; the datagram was sent.
	st, err = p.Stats()
	must(t, err)
	for _, s := range st.Sinks {
		switch s.Name {
		case "loki":
			if s.Received != 1 || s.Requests != 1 || s.DeadLettered != 1 {
				t.Errorf("loki sink = %+v, want 1 received, 1 request, 1 dead-lettered", s)
			}
		case "syslog":
			if s.Received != 1 || s.Delivered != 1 {
				t.Errorf("syslog sink = %+v, want 1 received and delivered", s)
			}
		}
	}
}

func TestGoPipelinesUseTheSharedQueueUnlessTheDocumentSaysOtherwise(t *testing.T) {
	lanes := func(doc string) any {
		var top struct {
			Queue map[string]any `json:"queue"`
		}
		if err := json.Unmarshal(sharedQueue([]byte(doc)), &top); err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		return top.Queue["lanes"]
	}
	for doc, want := range map[string]any{
		"":                                       false,
		"  ":                                     false,
		`{"sinks":[{"type":"null"}]}`:            false,
		`{"queue":{"capacity":64}}`:              false,
		`{"queue":{"capacity":64,"lanes":true}}`: true,
		`{"queue":{"lanes":false},"min_level":"x"}`: false,
	} {
		if got := lanes(doc); got != want {
			t.Errorf("%q: queue.lanes = %v, want %v", doc, got, want)
		}
	}
	// Anything but a JSON object is left for the library to refuse, naming what is wrong.
	for _, doc := range []string{`[]`, `{"queue":3}`, `{"sinks":`, `null`} {
		if got := string(sharedQueue([]byte(doc))); got != doc {
			t.Errorf("%q became %q", doc, got)
		}
	}
	// The library's error points into the caller's own document (its line and column), not
	// into the one with queue.lanes added in front of "sinks".
	_, err := OpenJSON(`{"sinks":5}`)
	_, same := OpenJSON(`{"sinks":5,"queue":{"lanes":false}}`)
	if !errors.Is(err, ErrConfig) || same == nil || err.Error() != same.Error() {
		t.Fatalf("err = %v, want %v", err, same)
	}
}
