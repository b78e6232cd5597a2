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
}

// WhenFull is what a full queue does with one more item.
type WhenFull string

// The queue policies.
const (
	Block      WhenFull = "block"       // wait for room, at most block_timeout_ms, then drop
	DropNewest WhenFull = "drop_newest" // drop the new item
	DropOldest WhenFull = "drop_oldest" // drop the oldest queued item
)

// QueueConfig is the "queue" object. Defaults: 16384 entries, block, 1000 ms.
type QueueConfig struct {
	Capacity       int      `json:"capacity,omitempty"`
	WhenFull       WhenFull `json:"when_full,omitempty"`
	BlockTimeoutMS uint64   `json:"block_timeout_ms,omitempty"`
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
)

// Output formats (docs/output.md).
const (
	FormatJSON = "json"
	FormatText = "text"
)

// SinkConfig is one element of "sinks". Which keys a type accepts is checked by the library:
// format for stdout, stderr and file; path, max_bytes, keep and fsync_on_flush for file.
type SinkConfig struct {
	// One of SinkNull, SinkStdout, SinkStderr, SinkFile, SinkCallback.
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
	// Batches the sink's own queue holds (default 64).
	QueueCapacity int `json:"queue_capacity,omitempty"`
	// What happens to a batch when the sink's queue is full (default block).
	WhenFull WhenFull `json:"when_full,omitempty"`
	// With block, how long the dispatcher waits for room (default 1000).
	BlockTimeoutMS uint64 `json:"block_timeout_ms,omitempty"`

	// Callback sink: the Go function that receives each batch. Not part of the document;
	// Open binds it to the sink's Name.
	Callback BatchFunc `json:"-"`
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
