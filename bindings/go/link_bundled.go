//go:build cgo && !logcap_system

package logcap

// The header bundled with the module (in the repository, `make bindings-lib` links it there
// from include/). The library comes from the file of the platform (link_GOOS_GOARCH.go).

// #cgo CFLAGS: -I${SRCDIR}/build/include
import "C"
