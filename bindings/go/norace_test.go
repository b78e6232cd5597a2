//go:build !race

package logcap

const raceEnabled = false
