package logcap

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// deadRecord is one dead-letter line as a network sink writes it.
func deadRecord(level, msg string) string {
	return fmt.Sprintf(`{"entry":{"ts":"2026-11-27T20:42:08.000000001Z","level":%q,"msg":%q,"labels":{},"fields":{"n":1}},"sink":"loki-0","error":"HTTP 400","attempts":1,"time":"2026-11-27T20:42:09Z"}`, level, msg)
}

// Replay counts only the entries the pipeline took into its queue; those its minimum level
// drops stay in the dead-letter file, and leftovers of an unfinished replay are read first.
func TestReplayDeadLettersKeepsWhatThePipelineDrops(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dead.jsonl")
	var infos []string
	for i := 0; i < 4; i++ {
		infos = append(infos, deadRecord("info", fmt.Sprintf("info-%d", i)))
	}
	lines := append(slices.Clone(infos), deadRecord("warn", "warn-0"), deadRecord("error", "error-0"))
	must(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	left := path + ".replay-999999-1"
	must(t, os.WriteFile(left, []byte(deadRecord("warn", "left-0")+"\n"), 0o600))

	var c collector
	p, err := Open(Config{
		MinLevel: LevelWarn,
		Batch:    &BatchConfig{MaxDelayMS: 1},
		Sinks:    []SinkConfig{{Type: SinkCallback, Name: "cb", Callback: c.fn}},
	})
	must(t, err)
	n, err := p.ReplayDeadLetters(path)
	must(t, err)
	if n != 3 {
		t.Fatalf("replayed %d, want 3 (the leftover and two entries at warn or above)", n)
	}
	closeOK(t, p)
	var got []string
	for _, e := range c.all() {
		got = append(got, e.Message)
	}
	if want := []string{"left-0", "warn-0", "error-0"}; !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	back, err := os.ReadFile(path)
	must(t, err)
	if want := strings.Join(infos, "\n") + "\n"; string(back) != want {
		t.Fatalf("the file holds\n%s\nwant the four info entries\n%s", back, want)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("the leftover is still there: %v", err)
	}
}
