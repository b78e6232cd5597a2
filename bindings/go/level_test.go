package logcap

import (
	"encoding/json"
	"testing"
)

func TestLevelNames(t *testing.T) {
	want := []string{"trace", "debug", "info", "warn", "error", "fatal"}
	for i, name := range want {
		l := Level(i)
		if l.String() != name {
			t.Errorf("Level(%d) = %q, want %q", i, l, name)
		}
		got, err := ParseLevel(name)
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", name, got, err)
		}
		b, err := json.Marshal(l)
		if err != nil || string(b) != `"`+name+`"` {
			t.Errorf("json %s, %v", b, err)
		}
	}
	if LevelTrace != 0 || LevelFatal != 5 {
		t.Fatal("level numbers are logcap_level's")
	}
	if l, err := ParseLevel("WARNING"); err != nil || l != LevelWarn {
		t.Errorf("warning: %v %v", l, err)
	}
	if _, err := ParseLevel("verbose"); err == nil {
		t.Error("unknown level accepted")
	}
	if Level(6).String() != "Level(6)" {
		t.Error(Level(6).String())
	}
	var l Level
	if err := json.Unmarshal([]byte(`"Error"`), &l); err != nil || l != LevelError {
		t.Errorf("unmarshal: %v %v", l, err)
	}
	if _, err := json.Marshal(Level(7)); err == nil {
		t.Error("an invalid level marshalled")
	}
}
