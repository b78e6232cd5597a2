package logcap

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The shared limit vectors (tests/vectors/limits.json): every Go API gets the library's
// result for each case, and the same counts: one RefusedLimit for a refusal, one Submitted
// for an accepted entry.
const limitsPath = "../../tests/vectors/limits.json"

type limitCase struct {
	Name         string `json:"name"`
	Labels       int    `json:"labels"`
	Fields       int    `json:"fields"`
	MessageBytes int    `json:"message_bytes"`
	LongLabelKey int    `json:"long_label_key"`
	LongFieldKey int    `json:"long_field_key"`
	Result       string `json:"result"`
}

type limitVectors struct {
	Limits struct {
		MaxLabels       int `json:"max_labels"`
		MaxFields       int `json:"max_fields"`
		MaxKeyBytes     int `json:"max_key_bytes"`
		MaxMessageBytes int `json:"max_message_bytes"`
		MaxRecordBytes  int `json:"max_record_bytes"`
	} `json:"limits"`
	Cases []limitCase `json:"cases"`
}

func loadLimits(t *testing.T) limitVectors {
	t.Helper()
	b, err := os.ReadFile(limitsPath)
	must(t, err)
	var v limitVectors
	must(t, json.Unmarshal(b, &v))
	if len(v.Cases) < 10 {
		t.Fatalf("only %d cases", len(v.Cases))
	}
	return v
}

func (c limitCase) message() string { return strings.Repeat("m", c.MessageBytes) }

// labels and fields as attributes, in the order the vectors describe.
func (c limitCase) attrs() (labels, fields []Attr) {
	for i := 0; i < c.Labels; i++ {
		labels = append(labels, Label("l"+strconv.Itoa(i), "v"))
	}
	if c.LongLabelKey > 0 {
		labels = append(labels, Label(strings.Repeat("k", c.LongLabelKey), "v"))
	}
	for i := 0; i < c.Fields; i++ {
		fields = append(fields, Int("f"+strconv.Itoa(i), i))
	}
	if c.LongFieldKey > 0 {
		fields = append(fields, Int(strings.Repeat("k", c.LongFieldKey), 0))
	}
	return labels, fields
}

// resultName is the header's name of err's code.
func resultName(err error) string {
	var le *Error
	switch {
	case err == nil:
		return "LOGCAP_RESULT_OK"
	case errors.As(err, &le) && le.Code == ErrLimit:
		return "LOGCAP_RESULT_LIMIT"
	case errors.As(err, &le):
		return "code " + strconv.Itoa(int(le.Code))
	}
	return err.Error()
}

func counts(t *testing.T, p *Pipeline) (refused, submitted uint64) {
	t.Helper()
	st, err := p.Stats()
	must(t, err)
	return st.RefusedLimit, st.Submitted
}

func TestLimitsAreTheLibrarys(t *testing.T) {
	v := loadLimits(t)
	l := v.Limits
	if l.MaxLabels != MaxLabels || l.MaxFields != MaxFields || l.MaxKeyBytes != MaxKeyBytes ||
		l.MaxMessageBytes != MaxMessageBytes || l.MaxRecordBytes != MaxRecordBytes {
		t.Fatalf("limits.json %+v against the header's", l)
	}
}

func TestLimitVectorsInEveryAPI(t *testing.T) {
	for name, doc := range map[string]string{"shared queue": nullConfig, "lanes": nullLanesConfig} {
		t.Run(name, func(t *testing.T) { limitVectorsInEveryAPI(t, doc) })
	}
}

func limitVectorsInEveryAPI(t *testing.T, doc string) {
	v := loadLimits(t)
	p, err := OpenJSON(doc)
	must(t, err)
	t.Cleanup(func() { closeOK(t, p) })
	apis := map[string]func(c limitCase) error{
		"Log": func(c limitCase) error {
			labels, fields := c.attrs()
			return p.Log(LevelInfo, c.message(), append(labels, fields...)...)
		},
		"Logger": func(c limitCase) error {
			labels, fields := c.attrs()
			// The labels bound once, the fields per call.
			return p.With(labels...).Info(c.message(), fields...)
		},
		"slog": func(c limitCase) error {
			labels, fields := c.attrs()
			var args []any
			keys := make([]string, 0, len(labels))
			for _, a := range labels {
				args = append(args, slog.String(a.Key(), a.Value().String()))
				keys = append(keys, a.Key())
			}
			for _, a := range fields {
				args = append(args, slog.Int(a.Key(), int(a.Value().Int64())))
			}
			h := NewSlogHandler(p, &SlogOptions{LabelKeys: keys})
			r := slog.NewRecord(time.Time{}, slog.LevelInfo, c.message(), 0)
			r.Add(args...)
			// slog.Logger drops Handle's error: the library still counts the refusal.
			return h.Handle(context.Background(), r)
		},
		"Entry": func(c limitCase) error {
			e, err := p.Acquire()
			if err != nil {
				return err
			}
			labels, fields := c.attrs()
			err = e.SetMessage(c.message())
			for _, a := range labels {
				if err == nil {
					err = e.SetLabel(a.Key(), a.Value().String())
				}
			}
			for _, a := range fields {
				if err == nil {
					err = e.SetInt64(a.Key(), a.Value().Int64())
				}
			}
			if err != nil {
				must(t, e.Release())
				return err
			}
			return e.Submit()
		},
	}
	for api, call := range apis {
		for _, c := range v.Cases {
			r0, s0 := counts(t, p)
			err := call(c)
			if got := resultName(err); got != c.Result {
				t.Errorf("%s, %s: %s (%v), want %s", api, c.Name, got, err, c.Result)
			}
			r1, s1 := counts(t, p)
			want := [2]uint64{0, 1}
			if c.Result == "LOGCAP_RESULT_LIMIT" {
				want = [2]uint64{1, 0}
			}
			if got := [2]uint64{r1 - r0, s1 - s0}; got != want {
				t.Errorf("%s, %s: refused_limit and submitted moved by %v, want %v", api, c.Name, got, want)
			}
		}
	}
}
