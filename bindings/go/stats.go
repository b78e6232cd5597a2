package logcap

/*
#include "lcgo.h"
*/
import "C"

import "runtime"

// Stats are a pipeline's counters (docs/api.md). At any time, per sink,
// Received = Delivered + Dropped + Failed + in flight; once the pipeline is flushed or
// closed, Submitted = Accepted + Dropped().
type Stats struct {
	Submitted           uint64 // entries handed to submit on an open pipeline
	Accepted            uint64 // entries that passed the queue into batches
	DroppedLevel        uint64 // dropped at submit: below the minimum level
	DroppedQueueFull    uint64 // refused: the queue was full (drop_newest)
	DroppedQueueEvicted uint64 // evicted from a full queue for a newer entry (drop_oldest)
	DroppedQueueTimeout uint64 // dropped after waiting for room (block)
	Queued              uint64 // in the queue now
	Batches             uint64 // batches made
	PoolAcquired        uint64 // entries handed out by the pool
	PoolReused          uint64 // of those, reused
	PoolAllocated       uint64 // of those, newly allocated
	PoolDiscarded       uint64 // freed on release because the pool was full
	PoolTrimmed         uint64 // whose buffers were freed on release because they held too much
	PoolIdle            uint64 // idle entries in the pool now
	SampledOut          uint64 // refused by sampling
	RateLimited         uint64 // refused by the rate limiter
	Deduplicated        uint64 // collapsed into an earlier identical entry (which counts its repeats)
	DroppedByHook       uint64 // dropped by the processor hook
	HookErrors          uint64 // processor hook errors (the entry was kept)
	Held                uint64 // held for deduplication now
	// Calls refused with ErrLimit (a setter, a log call, a record), whatever the API; not
	// part of Submitted.
	RefusedLimit uint64
	// Records found malformed in a lane and dropped: something broke the lane protocol (the
	// library's own writers never do); part of Dropped().
	DroppedMalformed uint64
	// Lanes in use now (one per thread that has submitted, with "queue": {"lanes": true}),
	// and the bytes they take; 0 with the shared queue, this binding's default.
	Lanes     uint64
	LaneBytes uint64
	Sinks     []SinkStats
}

// Dropped is every entry that did not reach a batch, whatever the reason: the level, the
// processing stage (sampling, rate limit, hook, deduplication), the queue or a malformed
// record in a lane.
func (s *Stats) Dropped() uint64 {
	return s.DroppedLevel + s.DroppedQueueFull + s.DroppedQueueEvicted + s.DroppedQueueTimeout +
		s.SampledOut + s.RateLimited + s.Deduplicated + s.DroppedByHook + s.DroppedMalformed
}

// Sink is the counters of the sink named name, if there is one.
func (s *Stats) Sink(name string) (SinkStats, bool) {
	for _, k := range s.Sinks {
		if k.Name == name {
			return k, true
		}
	}
	return SinkStats{}, false
}

// SinkStats are one sink's counters, in entries except Batches and Bytes.
type SinkStats struct {
	Name          string
	Received      uint64 // entries in batches offered to the sink
	Delivered     uint64 // entries written
	Dropped       uint64 // dropped by the sink's queue policy
	Failed        uint64 // entries whose batch the sink failed to write
	Batches       uint64 // batches written
	Bytes         uint64 // bytes written
	Panics        uint64 // panics caught in the sink; for a Go callback sink, in its function
	QueuedBatches uint64 // batches in the sink's queue now

	Requests          uint64 // network sinks: requests attempted, retries included
	Retries           uint64 // network sinks: requests repeated after a transient failure
	PermanentFailures uint64 // network sinks: requests refused permanently (HTTP 400 and the like)
	DeadLettered      uint64 // network sinks: entries written to the dead-letter file
	BytesSent         uint64 // network sinks: bytes sent, after compression
}

// Stats reads the counters; it works after Close too.
func (p *Pipeline) Stats() (Stats, error) {
	var c C.logcap_stats
	if err := check(C.lcgo_stats(p.ptr(), &c)); err != nil {
		runtime.KeepAlive(p)
		return Stats{}, err
	}
	s := Stats{
		Submitted:           uint64(c.submitted),
		Accepted:            uint64(c.accepted),
		DroppedLevel:        uint64(c.dropped_level),
		DroppedQueueFull:    uint64(c.dropped_queue_full),
		DroppedQueueEvicted: uint64(c.dropped_queue_evicted),
		DroppedQueueTimeout: uint64(c.dropped_queue_timeout),
		Queued:              uint64(c.queued),
		Batches:             uint64(c.batches),
		PoolAcquired:        uint64(c.pool_acquired),
		PoolReused:          uint64(c.pool_reused),
		PoolAllocated:       uint64(c.pool_allocated),
		PoolDiscarded:       uint64(c.pool_discarded),
		PoolTrimmed:         uint64(c.pool_trimmed),
		PoolIdle:            uint64(c.pool_idle),
		SampledOut:          uint64(c.sampled_out),
		RateLimited:         uint64(c.rate_limited),
		Deduplicated:        uint64(c.deduplicated),
		DroppedByHook:       uint64(c.dropped_by_hook),
		HookErrors:          uint64(c.hook_errors),
		Held:                uint64(c.held),
		RefusedLimit:        uint64(c.refused_limit),
		DroppedMalformed:    uint64(c.dropped_malformed),
		Lanes:               uint64(c.lanes),
		LaneBytes:           uint64(c.lane_bytes),
		Sinks:               make([]SinkStats, len(p.sinkNames)),
	}
	var k C.logcap_sink_stats
	for i, name := range p.sinkNames {
		if err := check(C.lcgo_sink_stats(p.ptr(), C.size_t(i), &k)); err != nil {
			runtime.KeepAlive(p)
			return Stats{}, err
		}
		s.Sinks[i] = SinkStats{
			Name:          name,
			Received:      uint64(k.received),
			Delivered:     uint64(k.delivered),
			Dropped:       uint64(k.dropped),
			Failed:        uint64(k.failed),
			Batches:       uint64(k.batches),
			Bytes:         uint64(k.bytes),
			Panics:        uint64(k.panics),
			QueuedBatches: uint64(k.queued_batches),

			Requests:          uint64(k.requests),
			Retries:           uint64(k.retries),
			PermanentFailures: uint64(k.permanent_failures),
			DeadLettered:      uint64(k.dead_lettered),
			BytesSent:         uint64(k.bytes_sent),
		}
	}
	runtime.KeepAlive(p)
	for _, cb := range p.callbackStates() {
		for i := range s.Sinks {
			if s.Sinks[i].Name == cb.name {
				s.Sinks[i].Panics += cb.panics.Load()
			}
		}
	}
	return s, nil
}
