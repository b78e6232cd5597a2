//go:build !cgo

package logcap

// Without cgo the package cannot link the logcap library: the build stops here with this
// message (the other files all need cgo).
var _ int = "logcap needs cgo: build with CGO_ENABLED=1 and a C compiler (gcc or clang) installed"
