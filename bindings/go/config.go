//go:build cgo

package logcap

import "encoding/json"

// Config is the pipeline configuration, marshalled to the JSON document the library parses
// (docs/configuration.md). Every key is optional: a zero value is left out of the document
// and takes the library's default. Pointers mark the few settings whose zero value is
// meaningful and differs from the default.
type Config struct {
	// Entries below this level are dropped at submit. Default trace.
	MinLevel Level `json:"min_level,omitempty"`
	// The intake queue between producers and the batcher.
	Queue *QueueConfig `json:"queue,omitempty"`
	// When a batch closes.
	Batch *BatchConfig `json:"batch,omitempty"`
	// Bounds of the entry pool.
	Pool *PoolConfig `json:"pool,omitempty"`
	// Every batch goes to each sink. None: one JSON-lines sink on stdout.
	Sinks []SinkConfig `json:"sinks,omitempty"`

	// The processing stage (docs/processing.md); each is off when nil.
	Sampling  *SamplingConfig  `json:"sampling,omitempty"`
	RateLimit *RateLimitConfig `json:"rate_limit,omitempty"`
	Dedup     *DedupConfig     `json:"dedup,omitempty"`
	Redact    *RedactConfig    `json:"redact,omitempty"`
}

// SamplingConfig is the "sampling" object: per (level, message) and tick, the first Initial
// entries are kept, then every Thereafter-th. Defaults: 100, 100, 1000 ms.
type SamplingConfig struct {
	Initial *uint64 `json:"initial,omitempty"`
	// 0 keeps none after the first Initial until the next tick.
	Thereafter *uint64 `json:"thereafter,omitempty"`
	TickMS     uint64  `json:"tick_ms,omitempty"`
}

// RateLimitConfig is the "rate_limit" object: a token bucket for the pipeline, or one per
// value of the label ByLabel.
type RateLimitConfig struct {
	// Tokens added per second; required, fractions allowed.
	PerSecond float64 `json:"per_second"`
	// The bucket's capacity (default PerSecond rounded up).
	Burst   uint64 `json:"burst,omitempty"`
	ByLabel string `json:"by_label,omitempty"`
	// With ByLabel, the most buckets kept (default 1024).
	MaxKeys int `json:"max_keys,omitempty"`
}

// DedupConfig is the "dedup" object: identical entries within a window collapse into one
// with a repeats count. Defaults: 1000 ms, 1024 entries held.
type DedupConfig struct {
	WindowMS uint64 `json:"window_ms,omitempty"`
	MaxKeys  int    `json:"max_keys,omitempty"`
}

// RedactConfig is the "redact" object: values of matching label and field keys are replaced
// by Censor, and the patterns are masked in the message and string fields.
type RedactConfig struct {
	// Key globs: `*` matches any run of characters; ASCII case is ignored.
	Keys []string `json:"keys,omitempty"`
	// Built-in names (credit_card, bearer_token, email, jwt) or regular expressions.
	Patterns []string `json:"patterns,omitempty"`
	// The replacement (default "[REDACTED]").
	Censor *string `json:"censor,omitempty"`
}

// WhenFull is what a full queue does with one more item.
type WhenFull string

// The queue policies.
const (
	Block      WhenFull = "block"       // wait for room, at most block_timeout_ms, then drop
	DropNewest WhenFull = "drop_newest" // drop the new item
	DropOldest WhenFull = "drop_oldest" // drop the oldest queued item
)

// QueueConfig is the "queue" object. Defaults: 16384 entries, block, 1000 ms; for pipelines
// opened from Go, lanes off (see Lanes).
type QueueConfig struct {
	Capacity       int      `json:"capacity,omitempty"`
	WhenFull       WhenFull `json:"when_full,omitempty"`
	BlockTimeoutMS uint64   `json:"block_timeout_ms,omitempty"`
	// Lanes: whether submits go through lanes (docs/lane-protocol.md). With lanes, Log,
	// Loggers and slog handlers write their records into a few lanes of the pipeline
	// themselves, with no cgo call, and keep the order of each Logger's (and each handler's)
	// entries; SubmitRecord and Submit go into Pipeline.Log's lane, keeping a goroutine's
	// order through the three. Open and OpenJSON set it to false unless it is set here (or in
	// the document).
	Lanes *bool `json:"lanes,omitempty"`
	// LaneBytes: the bytes of each lane's ring, a power of two from 4096 (default 262144).
	LaneBytes int `json:"lane_bytes,omitempty"`
}

// BatchConfig is the "batch" object. Defaults: 512 entries, 1 MiB, 100 ms.
type BatchConfig struct {
	MaxEntries int    `json:"max_entries,omitempty"`
	MaxBytes   int    `json:"max_bytes,omitempty"`
	MaxDelayMS uint64 `json:"max_delay_ms,omitempty"`
}

// PoolConfig is the "pool" object. Defaults: 16384 idle entries, 64 KiB retained per entry.
type PoolConfig struct {
	MaxIdle          int `json:"max_idle,omitempty"`
	MaxRetainedBytes int `json:"max_retained_bytes,omitempty"`
}

// Sink types.
const (
	SinkNull     = "null"
	SinkStdout   = "stdout"
	SinkStderr   = "stderr"
	SinkFile     = "file"
	SinkCallback = "callback"
	SinkLoki     = "loki"   // Loki's push API, or a server that speaks it (VictoriaLogs)
	SinkSyslog   = "syslog" // RFC 5424 over UDP, TCP or a unix socket
	SinkKafka    = "kafka"  // one Kafka message per entry (librdkafka, built in)
	SinkOTLP     = "otlp"   // OpenTelemetry log records over OTLP/HTTP
)

// Output formats (docs/output.md).
const (
	FormatJSON = "json"
	FormatText = "text"
)

// SinkConfig is one element of "sinks". Which keys a type accepts is checked by the library:
// format for stdout, stderr and file; path, max_bytes, keep and fsync_on_flush for file; the
// network keys below for loki, syslog, kafka and otlp (docs/configuration.md, "Network
// sinks").
type SinkConfig struct {
	// One of SinkNull, SinkStdout, SinkStderr, SinkFile, SinkCallback, SinkLoki, SinkSyslog,
	// SinkKafka, SinkOTLP.
	Type string `json:"type"`
	// Unique in the pipeline; names the sink's counters. Required for a callback sink.
	Name string `json:"name,omitempty"`
	// FormatJSON (default) or FormatText.
	Format string `json:"format,omitempty"`
	// File sink: the file written to.
	Path string `json:"path,omitempty"`
	// File sink: rotate at this size; 0 never rotates.
	MaxBytes uint64 `json:"max_bytes,omitempty"`
	// File sink: rotated files kept (default 5).
	Keep *uint32 `json:"keep,omitempty"`
	// File sink: fsync when the pipeline flushes (default true).
	FsyncOnFlush *bool `json:"fsync_on_flush,omitempty"`
	// File sink: create the missing directories of Path (default false).
	CreateDirs bool `json:"create_dirs,omitempty"`
	// Batches the sink's own queue holds (default 16).
	QueueCapacity int `json:"queue_capacity,omitempty"`
	// What happens to a batch when the sink's queue is full. Default: DropNewest for
	// callback, loki and syslog sinks, whose pace is set outside the library, so that a slow
	// or dead one degrades only itself (each dropped entry counted in SinkStats.Dropped);
	// Block for file, stdout, stderr and null.
	WhenFull WhenFull `json:"when_full,omitempty"`
	// With Block, how long the dispatcher, and so every sink, waits for room (default 1000).
	BlockTimeoutMS uint64 `json:"block_timeout_ms,omitempty"`

	// Loki: the push endpoint (a URL without a path gets /loki/api/v1/push); required.
	URL string `json:"url,omitempty"`
	// Loki: sent as X-Scope-OrgID.
	TenantID  string     `json:"tenant_id,omitempty"`
	BasicAuth *BasicAuth `json:"basic_auth,omitempty"`
	// Loki: sent as "Authorization: Bearer …"; excludes BasicAuth.
	BearerToken string `json:"bearer_token,omitempty"`
	// Loki: extra request headers.
	Headers map[string]string `json:"headers,omitempty"`
	// Loki: PEM file of the certificate authorities trusted for https (default: the bundled
	// Mozilla roots).
	CAFile string `json:"ca_file,omitempty"`
	// Loki: "protobuf" (default) or "json".
	Encoding string `json:"encoding,omitempty"`
	// Loki: "structured_metadata" (default) or "line"; syslog: "structured_data" (default) or
	// "msg".
	FieldsAs string `json:"fields_as,omitempty"`
	// Loki with FieldsAs "line": FormatJSON (default) or FormatText.
	LineFormat        string `json:"line_format,omitempty"`
	MaxRequestEntries int    `json:"max_request_entries,omitempty"`
	MaxRequestBytes   int    `json:"max_request_bytes,omitempty"`
	// Loki and syslog: the request's (or connect and write) timeout (default 10000).
	TimeoutMS uint64       `json:"timeout_ms,omitempty"`
	Retry     *RetryConfig `json:"retry,omitempty"`
	// Loki and syslog: a JSON-lines file for the entries finally not delivered.
	DeadLetterPath string `json:"dead_letter_path,omitempty"`

	// Syslog: "udp", "tcp", "unix" (default) or "unix_stream". Path is the socket for the unix
	// transports (default /dev/log).
	Transport string `json:"transport,omitempty"`
	// Syslog: "host:port", required for udp and tcp.
	Address string `json:"address,omitempty"`
	// Syslog: a facility name, "user" by default.
	Facility string `json:"facility,omitempty"`
	AppName  string `json:"app_name,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	// Syslog: longer messages are cut (default 2048 for udp and unix, 65536 for the streams).
	MaxMessageBytes int `json:"max_message_bytes,omitempty"`
	// Syslog with FieldsAs "msg": FormatJSON (default) or FormatText.
	MsgFormat string `json:"msg_format,omitempty"`
	// Syslog: the private enterprise number in the SD-IDs (default 32473).
	EnterpriseID uint32 `json:"enterprise_id,omitempty"`

	// Kafka: bootstrap brokers, "host:port" each; required.
	Brokers []string `json:"brokers,omitempty"`
	// Kafka: the topic of every entry no rule below sends elsewhere; required.
	Topic string `json:"topic,omitempty"`
	// Kafka: an entry with this label goes to the topic the label names.
	TopicLabel string `json:"topic_label,omitempty"`
	// Kafka: the topic of error and fatal entries, and of trace and debug entries.
	ErrorTopic string `json:"error_topic,omitempty"`
	DebugTopic string `json:"debug_topic,omitempty"`
	// Kafka: the message key is this label's value (default: no key).
	KeyLabel string `json:"key_label,omitempty"`
	// Kafka: "none" (default), "gzip", "snappy", "lz4" or "zstd"; OTLP: "gzip" (default) or
	// "none".
	Compression string `json:"compression,omitempty"`
	// Kafka: "all" (default), "1" or "0".
	Acks string `json:"acks,omitempty"`
	// Kafka: the idempotent producer (default true with acks "all").
	Idempotence *bool `json:"idempotence,omitempty"`
	// Kafka: how long the client may try a message before it is dead-lettered (default 30000).
	MessageTimeoutMS uint64 `json:"message_timeout_ms,omitempty"`
	// Kafka: further librdkafka properties (security, timeouts…).
	Properties map[string]string `json:"properties,omitempty"`

	// OTLP: "resource" (default) or "attributes": where labels go. URL, Encoding ("protobuf"
	// or "json"), Headers, CAFile, MaxRequestEntries, MaxRequestBytes, TimeoutMS, Retry and
	// DeadLetterPath apply too.
	LabelsAs string `json:"labels_as,omitempty"`
	// OTLP: resource attributes of every request ("service.name"…).
	Resource map[string]string `json:"resource,omitempty"`

	// Callback sink: the Go function that receives each batch. Not part of the document;
	// Open binds it to the sink's Name.
	Callback BatchFunc `json:"-"`
}

// BasicAuth is a loki sink's "basic_auth" object.
type BasicAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// RetryConfig is a network sink's "retry" object. Defaults: 100 ms, 5000 ms, 5 attempts.
type RetryConfig struct {
	InitialMS uint64 `json:"initial_ms,omitempty"`
	MaxMS     uint64 `json:"max_ms,omitempty"`
	// Tries in all, the first included (1: never retry).
	Attempts int `json:"attempts,omitempty"`
}

// JSON is the document Open passes to the library.
func (c Config) JSON() ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, newError(ErrConfig, err.Error())
	}
	return b, nil
}

// Ptr returns a pointer to v, for the optional settings of SinkConfig.
func Ptr[T any](v T) *T { return &v }
