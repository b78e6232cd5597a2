//go:build cgo

package logcap

import "fmt"

// Level is an entry's severity, from [LevelTrace] to [LevelFatal]. The numbers are those of
// logcap_level and of the packed record.
type Level uint8

// The six levels, least to most severe.
const (
	LevelTrace Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
)

var levelNames = [...]string{"trace", "debug", "info", "warn", "error", "fatal"}

// String is the lower-case name used in configuration and output ("info").
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// valid reports whether l is one of the six levels.
func (l Level) valid() bool { return l <= LevelFatal }

// MarshalText writes the level's name, as the configuration expects it.
func (l Level) MarshalText() ([]byte, error) {
	if !l.valid() {
		return nil, newError(ErrInvalidArgument, fmt.Sprintf("level %d is not one of trace..fatal", uint8(l)))
	}
	return []byte(levelNames[l]), nil
}

// UnmarshalText reads a level name, ignoring ASCII case ("warning" is accepted for warn, as
// the library does).
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// ParseLevel reads a level name, ignoring ASCII case; "warning" is accepted for warn.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if equalFoldASCII(s, n) {
			return Level(i), nil
		}
	}
	if equalFoldASCII(s, "warning") {
		return LevelWarn, nil
	}
	return 0, newError(ErrInvalidArgument, fmt.Sprintf("unknown level %q", s))
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
