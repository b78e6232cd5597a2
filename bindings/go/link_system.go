//go:build cgo && logcap_system

package logcap

// With the build tag logcap_system, the installed library (make install) as pkg-config
// describes it: its header, and -llogcap, the shared library, which must then be on the
// loader's path at run time.

// #cgo pkg-config: logcap
import "C"
