package logcap

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The Go Config against docs/config.schema.json, the JSON Schema generated from the Rust
// configuration types: each Go struct has exactly the keys of its schema object (so a key
// added on the Rust side fails here until Config has it), and configurations marshalled from
// Config use, for each sink type, only keys of that type.

type jsonSchema = map[string]any

func loadSchema(t *testing.T) jsonSchema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "config.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s jsonSchema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// deref follows a schema that is only a local $ref ("#/$defs/Name").
func deref(t *testing.T, root, s jsonSchema) jsonSchema {
	t.Helper()
	if _, ok := s["$ref"]; !ok || len(s) != 1 {
		return s
	}
	return deref(t, root, resolveRef(t, root, s))
}

// resolveRef is the schema s's $ref points to (s itself without one).
func resolveRef(t *testing.T, root, s jsonSchema) jsonSchema {
	t.Helper()
	ref, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	at := any(root)
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := at.(map[string]any)
		if !ok {
			t.Fatalf("$ref %s does not resolve", ref)
		}
		at = m[part]
	}
	m, ok := at.(map[string]any)
	if !ok {
		t.Fatalf("$ref %s does not resolve", ref)
	}
	return m
}

// branches lists the schemas a value may match: oneOf/anyOf flattened, $refs followed.
func branches(t *testing.T, root, s jsonSchema) []jsonSchema {
	s = deref(t, root, s)
	list, ok := s["oneOf"].([]any)
	if !ok {
		list, ok = s["anyOf"].([]any)
	}
	if !ok {
		return []jsonSchema{s}
	}
	var out []jsonSchema
	for _, b := range list {
		out = append(out, branches(t, root, b.(map[string]any))...)
	}
	return out
}

// objectSchema is the branch of s that describes an object (s may allow null besides).
func objectSchema(t *testing.T, root, s jsonSchema) jsonSchema {
	t.Helper()
	for _, b := range branches(t, root, s) {
		if _, ok := b["properties"]; ok {
			return b
		}
	}
	t.Fatalf("no object schema in %v", s)
	return nil
}

// propertyNames lists the properties of an object schema, with those of what it refers to
// and of its allOf parts.
func propertyNames(t *testing.T, root, s jsonSchema) []string {
	var names []string
	if _, ok := s["$ref"]; ok {
		names = append(names, propertyNames(t, root, resolveRef(t, root, s))...)
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for k := range props {
			names = append(names, k)
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, p := range all {
			names = append(names, propertyNames(t, root, p.(map[string]any))...)
		}
	}
	return sortedSet(names)
}

func property(t *testing.T, root, s jsonSchema, name string) jsonSchema {
	t.Helper()
	props, _ := deref(t, root, s)["properties"].(map[string]any)
	p, ok := props[name].(map[string]any)
	if !ok {
		t.Fatalf("no property %s", name)
	}
	return p
}

func sortedSet(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// jsonKeys lists the JSON keys of a struct type's exported fields ("-" left out).
func jsonKeys(typ reflect.Type) []string {
	var keys []string
	for i := 0; i < typ.NumField(); i++ {
		tag := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
		if tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	return sortedSet(keys)
}

// sinkSchemas maps each sink type name to its schema.
func sinkSchemas(t *testing.T, root jsonSchema) map[string]jsonSchema {
	t.Helper()
	var items jsonSchema
	for _, b := range branches(t, root, property(t, root, root, "sinks")) {
		if it, ok := b["items"].(map[string]any); ok {
			items = it
		}
	}
	out := map[string]jsonSchema{}
	for _, b := range branches(t, root, items) {
		typ := deref(t, root, b["properties"].(map[string]any)["type"].(map[string]any))
		if c, ok := typ["const"].(string); ok {
			out[c] = b
		}
		if e, ok := typ["enum"].([]any); ok {
			for _, name := range e {
				out[name.(string)] = b
			}
		}
	}
	return out
}

func TestConfigStructsHaveTheSchemaKeys(t *testing.T) {
	root := loadSchema(t)
	obj := func(name string) jsonSchema { return objectSchema(t, root, property(t, root, root, name)) }
	sinks := sinkSchemas(t, root)
	var sinkKeys []string
	for _, s := range sinks {
		sinkKeys = append(sinkKeys, propertyNames(t, root, s)...)
	}
	loki := sinks["loki"]
	cases := []struct {
		goType reflect.Type
		keys   []string
	}{
		{reflect.TypeOf(Config{}), propertyNames(t, root, root)},
		{reflect.TypeOf(QueueConfig{}), propertyNames(t, root, obj("queue"))},
		{reflect.TypeOf(BatchConfig{}), propertyNames(t, root, obj("batch"))},
		{reflect.TypeOf(PoolConfig{}), propertyNames(t, root, obj("pool"))},
		{reflect.TypeOf(SamplingConfig{}), propertyNames(t, root, obj("sampling"))},
		{reflect.TypeOf(RateLimitConfig{}), propertyNames(t, root, obj("rate_limit"))},
		{reflect.TypeOf(DedupConfig{}), propertyNames(t, root, obj("dedup"))},
		{reflect.TypeOf(RedactConfig{}), propertyNames(t, root, obj("redact"))},
		{reflect.TypeOf(SinkConfig{}), sortedSet(sinkKeys)},
		{reflect.TypeOf(RetryConfig{}), propertyNames(t, root, objectSchema(t, root, property(t, root, loki, "retry")))},
		{reflect.TypeOf(BasicAuth{}), propertyNames(t, root, objectSchema(t, root, property(t, root, loki, "basic_auth")))},
	}
	for _, c := range cases {
		if got := jsonKeys(c.goType); !reflect.DeepEqual(got, c.keys) {
			t.Errorf("%s has the JSON keys %v; the schema has %v", c.goType.Name(), got, c.keys)
		}
	}
	names := []string{SinkNull, SinkStdout, SinkStderr, SinkFile, SinkCallback, SinkLoki, SinkSyslog, SinkKafka, SinkOTLP}
	for _, name := range names {
		if _, ok := sinks[name]; !ok {
			t.Errorf("the Go sink type %q is not in the schema", name)
		}
	}
	if len(sinks) != len(names) {
		t.Errorf("the schema has %d sink types, the Go binding names %d", len(sinks), len(names))
	}
}

func TestConfigJSONUsesEachSinkTypesKeys(t *testing.T) {
	root := loadSchema(t)
	sinks := sinkSchemas(t, root)
	cfg := Config{
		MinLevel:  LevelInfo,
		Queue:     &QueueConfig{Capacity: 1024, WhenFull: DropNewest, BlockTimeoutMS: 10, Lanes: Ptr(false), LaneBytes: 8192},
		Batch:     &BatchConfig{MaxEntries: 64, MaxBytes: 1 << 16, MaxDelayMS: 5},
		Pool:      &PoolConfig{MaxIdle: 64, MaxRetainedBytes: 4096},
		Sampling:  &SamplingConfig{Initial: Ptr(uint64(10)), Thereafter: Ptr(uint64(0)), TickMS: 100},
		RateLimit: &RateLimitConfig{PerSecond: 0.5, Burst: 2, ByLabel: "service", MaxKeys: 8},
		Dedup:     &DedupConfig{WindowMS: 100, MaxKeys: 8},
		Redact:    &RedactConfig{Keys: []string{"password"}, Patterns: []string{"email"}, Censor: Ptr("x")},
		Sinks: []SinkConfig{
			{Type: SinkNull, Name: "n", QueueCapacity: 4, WhenFull: Block, BlockTimeoutMS: 5},
			{Type: SinkStdout, Format: FormatText},
			{Type: SinkStderr, Format: FormatJSON},
			{Type: SinkFile, Path: "/tmp/x.log", Format: FormatJSON, MaxBytes: 1 << 20, Keep: Ptr(uint32(2)), FsyncOnFlush: Ptr(false), CreateDirs: true},
			{Type: SinkCallback, Name: "cb"},
			{Type: SinkLoki, URL: "http://127.0.0.1:3100", TenantID: "t", BasicAuth: &BasicAuth{"u", "p"},
				Headers: map[string]string{"X-A": "b"}, CAFile: "/ca.pem", Encoding: "json", FieldsAs: "line",
				LineFormat: FormatText, MaxRequestEntries: 10, MaxRequestBytes: 1 << 10, TimeoutMS: 100,
				Retry: &RetryConfig{InitialMS: 1, MaxMS: 2, Attempts: 3}, DeadLetterPath: "/tmp/d.jsonl"},
			{Type: SinkLoki, Name: "loki-bearer", URL: "http://127.0.0.1:3100", BearerToken: "token"},
			{Type: SinkSyslog, Transport: "udp", Address: "127.0.0.1:514", Facility: "local0", AppName: "a",
				Hostname: "h", MaxMessageBytes: 1024, FieldsAs: "msg", MsgFormat: FormatText, EnterpriseID: 1,
				TimeoutMS: 10, Retry: &RetryConfig{Attempts: 1}, DeadLetterPath: "/tmp/s.jsonl"},
			{Type: SinkSyslog, Name: "sys-unix", Transport: "unix", Path: "/dev/log"},
			{Type: SinkKafka, Brokers: []string{"127.0.0.1:9092"}, Topic: "logs", TopicLabel: "topic",
				ErrorTopic: "errors", DebugTopic: "debug", KeyLabel: "service", Format: FormatJSON,
				Compression: "zstd", Acks: "all", Idempotence: Ptr(true), MessageTimeoutMS: 1000,
				Properties: map[string]string{"linger.ms": "5"}, DeadLetterPath: "/tmp/k.jsonl"},
			{Type: SinkOTLP, URL: "http://127.0.0.1:4318", Encoding: "json", Compression: "gzip",
				LabelsAs: "attributes", Resource: map[string]string{"service.name": "s"},
				Headers: map[string]string{"X-A": "b"}, CAFile: "/ca.pem", MaxRequestEntries: 10,
				MaxRequestBytes: 1 << 10, TimeoutMS: 100, Retry: &RetryConfig{Attempts: 2},
				DeadLetterPath: "/tmp/o.jsonl"},
		},
	}
	doc, err := cfg.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	top := propertyNames(t, root, root)
	for k := range m {
		if !contains(top, k) {
			t.Errorf("top-level key %q is not in the schema", k)
		}
	}
	for i, raw := range m["sinks"].([]any) {
		sink := raw.(map[string]any)
		s, ok := sinks[sink["type"].(string)]
		if !ok {
			t.Errorf("sinks[%d]: type %v is not in the schema", i, sink["type"])
			continue
		}
		keys := propertyNames(t, root, s)
		for k := range sink {
			if !contains(keys, k) {
				t.Errorf("sinks[%d] (%v): key %q is not a key of this sink type in the schema", i, sink["type"], k)
			}
		}
		if req, ok := s["required"].([]any); ok {
			for _, k := range req {
				if _, ok := sink[k.(string)]; !ok {
					t.Errorf("sinks[%d] (%v): the schema requires %q", i, sink["type"], k)
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
