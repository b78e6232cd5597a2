//go:build cgo && !logcap_system && !(linux && amd64)

package logcap

// No library is bundled for this platform: the build stops here with this message. A platform
// gains a bundled library with a build/GOOS-GOARCH/liblogcap.a and a link_GOOS_GOARCH.go like
// link_linux_amd64.go, and loses its place in the constraint above.
var _ int = "logcap: no bundled library for this GOOS/GOARCH (bundled: linux/amd64); install logcap (make install) and build with -tags logcap_system"
