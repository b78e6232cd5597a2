//go:build cgo && !logcap_system

package logcap

// The static library bundled with the module for linux/amd64 (in the repository, `make
// bindings-lib` links target/release/liblogcap.a there), and what it needs besides libc
// (rustc --print native-static-libs).

// #cgo LDFLAGS: ${SRCDIR}/build/linux-amd64/liblogcap.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
import "C"
