//go:build cgo

package logcap

// Log logs one entry: the message and attributes at level, stamped at the call. It encodes
// one packed record into a pooled buffer and makes one cgo call, or, when the pipeline has
// lanes (QueueConfig.Lanes), copies it into a lane with no cgo call unless the lane is full
// (see lane.go); it allocates nothing (unless it fails).
//
// Below MinLevel the library drops the entry and counts it in Stats().DroppedLevel, as it
// does for every API, and nil is returned; check Enabled first to skip the call for a level
// that is off (an entry never logged is counted nowhere, in any language). ErrLimit means
// the entry was over a limit (MaxLabels, MaxFields, MaxKeyBytes, MaxMessageBytes,
// MaxRecordBytes): nothing was submitted and it is counted in Stats().RefusedLimit.
// ErrQueueFull and ErrTimeout mean the queue policy dropped the entry (and counted it);
// ErrClosed that the pipeline is closed.
func (p *Pipeline) Log(level Level, msg string, attrs ...Attr) error {
	return p.log(level, msg, attrs, nil, 0)
}

func (p *Pipeline) log(level Level, msg string, attrs []Attr, b *bound, lane uint32) error {
	bp := getRecordBuf()
	rec, err := appendRecord((*bp)[:0], level, 0, msg, attrs, b)
	if err == nil {
		// The limits matter only to a record written into a lane: not judged for the shared
		// queue, whose library call checks the record.
		inLimits := !p.lanes.off.Load() && entryInLimits(msg, attrs, b)
		err = p.submitEncoded(lane, rec, inLimits)
	}
	putRecordBuf(bp, rec)
	return err
}

// submitEncoded submits a record the binding encoded: into lane (see lane.go) when the
// pipeline has lanes, with one cgo call otherwise. inLimits as for submitToLane.
func (p *Pipeline) submitEncoded(lane uint32, rec []byte, inLimits bool) error {
	if ok, err := p.submitToLane(lane, rec, inLimits); ok {
		return err
	}
	return p.submitRecord(rec)
}

// Logger logs to a pipeline with labels, fields and a trace context bound once, encoded
// once, and copied into every record. A Logger is immutable and safe for concurrent use.
type Logger struct {
	p    *Pipeline
	b    bound
	lane uint32 // see lane.go
}

// With returns a Logger whose entries carry attrs (labels, fields, trace and span ids; a
// Timestamp attribute is ignored here).
func (p *Pipeline) With(attrs ...Attr) *Logger {
	return (&Logger{p: p, lane: p.lanes.pick()}).With(attrs...)
}

// With returns a Logger with attrs added to l's.
func (l *Logger) With(attrs ...Attr) *Logger {
	n := &Logger{p: l.p, lane: l.lane, b: bound{
		labels:  append([]byte(nil), l.b.labels...),
		fields:  append([]byte(nil), l.b.fields...),
		nLabels: l.b.nLabels, nFields: l.b.nFields,
		traceID: l.b.traceID, spanID: l.b.spanID, badKeys: l.b.badKeys,
	}}
	for i := range attrs {
		a := &attrs[i]
		switch a.kind {
		case attrLabel:
			n.b.labels = appendStr(appendStr(n.b.labels, a.key), a.str)
			n.b.nLabels++
			n.b.badKeys = n.b.badKeys || !keyInLimits(a.key)
		case attrTraceID:
			n.b.traceID = a.str
		case attrSpanID:
			n.b.spanID = a.str
		case attrTime:
		default:
			n.b.fields = appendField(n.b.fields, a)
			n.b.nFields++
			n.b.badKeys = n.b.badKeys || !keyInLimits(a.key)
		}
	}
	return n
}

// Pipeline is the pipeline l logs to.
func (l *Logger) Pipeline() *Pipeline { return l.p }

// Log logs one entry with l's attributes followed by attrs, as Pipeline.Log does. A key
// given both ways keeps the position of l's and the value of the call's.
func (l *Logger) Log(level Level, msg string, attrs ...Attr) error {
	return l.p.log(level, msg, attrs, &l.b, l.lane)
}

// Trace logs at LevelTrace.
func (l *Logger) Trace(msg string, attrs ...Attr) error { return l.Log(LevelTrace, msg, attrs...) }

// Debug logs at LevelDebug.
func (l *Logger) Debug(msg string, attrs ...Attr) error { return l.Log(LevelDebug, msg, attrs...) }

// Info logs at LevelInfo.
func (l *Logger) Info(msg string, attrs ...Attr) error { return l.Log(LevelInfo, msg, attrs...) }

// Warn logs at LevelWarn.
func (l *Logger) Warn(msg string, attrs ...Attr) error { return l.Log(LevelWarn, msg, attrs...) }

// Error logs at LevelError.
func (l *Logger) Error(msg string, attrs ...Attr) error { return l.Log(LevelError, msg, attrs...) }
