package logcap

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The shared packed-record vectors: every encoder of every binding must match them.
const vectorsPath = "../../tests/vectors/records.json"

type vectorFile struct {
	Version   int             `json:"version"`
	Valid     []validVector   `json:"valid"`
	Malformed []invalidVector `json:"malformed"`
}

type validVector struct {
	Name       string      `json:"name"`
	Hex        string      `json:"hex"`
	DecodeOnly bool        `json:"decode_only"`
	Entry      vectorEntry `json:"entry"`
}

type vectorEntry struct {
	TimestampNS string      `json:"timestamp_ns"`
	Level       string      `json:"level"`
	Message     string      `json:"message"`
	TraceID     *string     `json:"trace_id"`
	SpanID      *string     `json:"span_id"`
	Labels      [][2]string `json:"labels"`
	Fields      []struct {
		Key   string          `json:"key"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"fields"`
}

type invalidVector struct {
	Name   string `json:"name"`
	Hex    string `json:"hex"`
	Error  string `json:"error"`
	Offset int    `json:"offset"`
	Result string `json:"result"`
}

func loadVectors(t *testing.T) vectorFile {
	t.Helper()
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if v.Version != RecordVersion {
		t.Fatalf("vectors are version %d, the header says %d", v.Version, RecordVersion)
	}
	return v
}

// attrs turns a vector's entry into the attributes Log takes, and its level and timestamp.
func (e *vectorEntry) attrs(t *testing.T) (Level, uint64, []Attr) {
	t.Helper()
	level, err := ParseLevel(e.Level)
	must(t, err)
	ts, err := strconv.ParseUint(e.TimestampNS, 10, 64)
	must(t, err)
	var attrs []Attr
	if e.TraceID != nil {
		attrs = append(attrs, TraceID(*e.TraceID))
	}
	if e.SpanID != nil {
		attrs = append(attrs, SpanID(*e.SpanID))
	}
	for _, l := range e.Labels {
		attrs = append(attrs, Label(l[0], l[1]))
	}
	for _, f := range e.Fields {
		var s string
		switch f.Type {
		case "str":
			must(t, json.Unmarshal(f.Value, &s))
			attrs = append(attrs, String(f.Key, s))
		case "i64":
			must(t, json.Unmarshal(f.Value, &s))
			n, err := strconv.ParseInt(s, 10, 64)
			must(t, err)
			attrs = append(attrs, Int64(f.Key, n))
		case "u64":
			must(t, json.Unmarshal(f.Value, &s))
			n, err := strconv.ParseUint(s, 10, 64)
			must(t, err)
			attrs = append(attrs, Uint64(f.Key, n))
		case "f64":
			// Parsed by strconv from the literal, so that -0.0 keeps its sign.
			x, err := strconv.ParseFloat(string(f.Value), 64)
			must(t, err)
			attrs = append(attrs, Float64(f.Key, x))
		case "bool":
			var b bool
			must(t, json.Unmarshal(f.Value, &b))
			attrs = append(attrs, Bool(f.Key, b))
		default:
			t.Fatalf("unknown field type %q", f.Type)
		}
	}
	return level, ts, attrs
}

func TestEncoderMatchesVectors(t *testing.T) {
	v := loadVectors(t)
	encoded := 0
	for _, vec := range v.Valid {
		if vec.DecodeOnly {
			continue
		}
		t.Run(vec.Name, func(t *testing.T) {
			want, err := hex.DecodeString(vec.Hex)
			must(t, err)
			level, ts, attrs := vec.Entry.attrs(t)

			got, err := AppendRecord(nil, level, ts, vec.Entry.Message, attrs...)
			must(t, err)
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendRecord\n got %x\nwant %x", got, want)
			}
			// After other bytes in the buffer, as the pooled path appends.
			got, err = AppendRecord([]byte("xyz"), level, ts, vec.Entry.Message, attrs...)
			must(t, err)
			if !bytes.Equal(got[3:], want) {
				t.Fatalf("AppendRecord after a prefix\n got %x\nwant %x", got[3:], want)
			}
			// Labels and fields interleaved: the encoder still writes labels first.
			mixed := append([]Attr(nil), attrs...)
			for i, j := 0, len(mixed)-1; i < j; i, j = i+1, j-1 {
				mixed[i], mixed[j] = mixed[j], mixed[i]
			}
			var labels, fields []Attr
			for _, a := range attrs {
				if a.IsLabel() {
					labels = append(labels, a)
				} else {
					fields = append(fields, a)
				}
			}
			interleaved := make([]Attr, 0, len(attrs))
			for i := 0; i < len(labels) || i < len(fields); i++ {
				if i < len(fields) {
					interleaved = append(interleaved, fields[i])
				}
				if i < len(labels) {
					interleaved = append(interleaved, labels[i])
				}
			}
			got, err = AppendRecord(nil, level, ts, vec.Entry.Message, interleaved...)
			must(t, err)
			if !bytes.Equal(got, want) {
				t.Fatalf("interleaved attributes\n got %x\nwant %x", got, want)
			}
			// Through a Logger with everything bound, and with half bound.
			lg := (&Logger{}).With(attrs...)
			got, err = appendRecord(nil, level, ts, vec.Entry.Message, nil, &lg.b)
			must(t, err)
			if !bytes.Equal(got, want) {
				t.Fatalf("Logger with every attribute bound\n got %x\nwant %x", got, want)
			}
			half := len(labels) / 2
			lg = (&Logger{}).With(labels[:half]...)
			rest := append(append([]Attr(nil), labels[half:]...), fields...)
			for _, a := range attrs {
				if !a.IsLabel() && !a.IsField() {
					rest = append(rest, a)
				}
			}
			got, err = appendRecord(nil, level, ts, vec.Entry.Message, rest, &lg.b)
			must(t, err)
			if !bytes.Equal(got, want) {
				t.Fatalf("Logger with some labels bound\n got %x\nwant %x", got, want)
			}
			// Encoded in two runs, as the slog handler writes its bound attributes and a
			// record's: half the labels and fields in each, the trace context in the second.
			halfFields := len(fields) / 2
			first := (&Logger{}).With(append(append([]Attr(nil), labels[:half]...), fields[:halfFields]...)...)
			second := (&Logger{}).With(append(append([]Attr(nil), labels[half:]...), fields[halfFields:]...)...)
			second = second.With(rest[len(labels)-half+len(fields):]...)
			got, err = appendEncoded(nil, level, ts, vec.Entry.Message, &first.b, &second.b)
			must(t, err)
			if !bytes.Equal(got, want) {
				t.Fatalf("two encoded runs\n got %x\nwant %x", got, want)
			}
			encoded++
		})
	}
	if encoded < 8 {
		t.Fatalf("only %d vectors encoded", encoded)
	}
}

func TestValidVectorsAreAccepted(t *testing.T) {
	v := loadVectors(t)
	p := openNull(t)
	for _, vec := range v.Valid {
		rec, err := hex.DecodeString(vec.Hex)
		must(t, err)
		if err := p.SubmitRecord(rec); err != nil {
			t.Errorf("%s: %v", vec.Name, err)
		}
	}
	closeOK(t, p)
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != uint64(len(v.Valid)) || st.Accepted != uint64(len(v.Valid)) {
		t.Fatalf("submitted %d accepted %d, want %d", st.Submitted, st.Accepted, len(v.Valid))
	}
}

func TestMalformedVectorsAreRefused(t *testing.T) {
	v := loadVectors(t)
	if len(v.Malformed) < 10 {
		t.Fatalf("only %d malformed vectors", len(v.Malformed))
	}
	p := openNull(t)
	for _, vec := range v.Malformed {
		rec, err := hex.DecodeString(vec.Hex)
		must(t, err)
		err = p.SubmitRecord(rec)
		// LOGCAP_RESULT_LIMIT for a record over a limit, MALFORMED_RECORD otherwise.
		want := ErrMalformedRecord
		if vec.Result == "LOGCAP_RESULT_LIMIT" {
			want = ErrLimit
		}
		var le *Error
		if !errors.As(err, &le) || le.Code != want {
			t.Errorf("%s: err = %v, want %v", vec.Name, err, want)
			continue
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: errors.Is(err, %v) is false", vec.Name, want)
		}
		// The library's detail says where.
		if !strings.Contains(le.Message, "offset") && !strings.Contains(le.Message, "byte") {
			t.Errorf("%s: message %q does not say where", vec.Name, le.Message)
		}
	}
	flushOK(t, p)
	st, err := p.Stats()
	must(t, err)
	if st.Submitted != 0 {
		t.Fatalf("malformed records were submitted: %+v", st)
	}
}

func TestAppendRecordLeavesLimitsToTheLibrary(t *testing.T) {
	attrs := make([]Attr, MaxLabels+1)
	for i := range attrs {
		attrs[i] = Label("k"+strconv.Itoa(i), "v")
	}
	// Over MaxLabels the format still holds the record: the library refuses and counts it.
	rec, err := AppendRecord(nil, LevelInfo, 0, "m", attrs...)
	must(t, err)
	p := openNull(t)
	wantCode(t, p.SubmitRecord(rec), ErrLimit)
	// What the format itself cannot express is refused here, dst unchanged.
	many := make([]Attr, 1<<16)
	for i := range many {
		many[i] = Bool("b", true)
	}
	out, err := AppendRecord([]byte("keep"), LevelInfo, 0, "m", many...)
	wantCode(t, err, ErrLimit)
	if string(out) != "keep" {
		t.Fatalf("dst changed on error: %q", out)
	}
	_, err = AppendRecord(nil, Level(6), 0, "m")
	wantCode(t, err, ErrInvalidArgument)
	// What only the library checks, besides the limits: an empty key.
	wantCode(t, p.Log(LevelInfo, "m", String("", "v")), ErrMalformedRecord)
}
