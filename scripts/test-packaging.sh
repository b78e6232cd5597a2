#!/usr/bin/env bash
# make test-packaging: the artifacts of `make dist`, each consumed from a fresh temporary
# directory outside the repository as its user would, each logging the standard event. Every
# line must be the C quickstart's (built here from the repository, as `make demo` does) but for
# the timestamp.
#
#   C      the tarball unpacked into a prefix: pkg-config (shared, static, and Libs.private),
#          CMake find_package (shared and static); the installed files checked (SONAME, links,
#          stripped, debug link)
#   C++    logcap.hpp through pkg-config and CMake
#   Go     a new module: go get from the GOPROXY tree, build, run; CGO_ENABLED=0 must fail
#          saying cgo is needed; -tags logcap_system against `make install`'s tree
#   Node   npm install of the tarball: CommonJS, ES module, tsc --noEmit
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

version=$(sed -n 's/^#define LOGCAP_VERSION_STRING "\(.*\)"$/\1/p' include/logcap.h)
IFS=. read -r major minor patch <<<"$version"
if [ "$major" != 0 ]; then sover=$major; elif [ "$minor" != 0 ]; then sover=0.$minor; else sover=0.0.$patch; fi
tarball=$(ls dist/logcap-"$version"-*.tar.gz)
npm_tgz=dist/npm/logcap-$version.tgz
for f in "$tarball" "$npm_tgz" "dist/goproxy/github.com/logcap/logcap/bindings/go/@v/v$version.zip"; do
  [ -f "$f" ] || { echo "test-packaging: $f is missing; run \`make dist\`" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/logcap-packaging-XXXXXX")
cleanup() {
  chmod -R u+w "$work" 2>/dev/null || true # the Go module cache is read-only
  rm -rf "$work"
}
trap cleanup EXIT
logs=$work/logs
mkdir -p "$logs"
config() { printf '{"sinks":[{"type":"file","name":"file","path":"%s/%s.log"}]}' "$logs" "$1"; }
step() { printf '\n== %s\n' "$*"; }
fail() { echo "test-packaging: $*" >&2; exit 1; }

step "reference: the C quickstart built in the repository"
mkdir -p build
cc -std=c11 -Wall -Wextra -Werror -Iinclude bindings/c/examples/quickstart.c target/release/liblogcap.a \
  -lpthread -ldl -lm -o build/quickstart
LOGCAP_CONFIG=$(config reference) build/quickstart

step "C/C++: $tarball unpacked into $work/prefix"
mkdir -p "$work/prefix"
tar -xzf "$tarball" -C "$work/prefix" --strip-components=1
lib=$work/prefix/lib
for f in LICENSE README.md; do [ -f "$work/prefix/share/doc/logcap/$f" ] || fail "the tarball has no share/doc/logcap/$f"; done
[ "$(readlink "$lib/liblogcap.so")" = "liblogcap.so.$sover" ] || fail "liblogcap.so does not link to liblogcap.so.$sover"
[ "$(readlink "$lib/liblogcap.so.$sover")" = "liblogcap.so.$version" ] || fail "liblogcap.so.$sover does not link to liblogcap.so.$version"
readelf -d "$lib/liblogcap.so.$version" | grep -q "soname: \[liblogcap.so.$sover\]" || fail "no SONAME liblogcap.so.$sover"
readelf -S "$lib/liblogcap.so.$version" | grep -q '\.debug_info' && fail "the shared library keeps its debug info"
readelf -S "$lib/liblogcap.a" | grep -q '\.debug_info' && fail "the static library keeps its debug info"
readelf --string-dump=.gnu_debuglink "$lib/liblogcap.so.$version" | grep -q "liblogcap.so.$version.debug" ||
  fail "the shared library has no debug link"
readelf -S "$lib/.debug/liblogcap.so.$version.debug" | grep -q '\.debug_info' || fail "the debug file has no debug info"
echo "SONAME liblogcap.so.$sover, links, stripped libraries, debug file: ok"

cd "$work"
mkdir c && cd c
cp "$root/bindings/c/examples/quickstart.c" "$root/bindings/cpp/examples/quickstart.cpp" .
export PKG_CONFIG_PATH=$lib/pkgconfig
pc="pkg-config --define-prefix" # the tarball's .pc files say /usr/local; it is unpacked elsewhere
libdir=$($pc --variable=libdir logcap)

step "C, shared: cc quickstart.c \$(pkg-config --cflags --libs logcap)"
cc -std=c11 -Wall -Wextra -Werror quickstart.c $($pc --cflags --libs logcap) -Wl,-rpath,"$libdir" -o c_shared
readelf -d c_shared | grep -q "NEEDED.*\[liblogcap.so.$sover\]" || fail "c_shared does not need liblogcap.so.$sover"
LOGCAP_CONFIG=$(config c-shared) ./c_shared

step "C, static: cc quickstart.c \$(pkg-config --cflags --libs logcap-static)"
cc -std=c11 -Wall -Wextra -Werror quickstart.c $($pc --cflags --libs logcap-static) -o c_static
readelf -d c_static | grep -q liblogcap && fail "c_static needs a shared liblogcap"
LOGCAP_CONFIG=$(config c-static) ./c_static

step "C, static with logcap.pc's Libs.private: pkg-config --static --libs logcap, the archive chosen"
cc -std=c11 quickstart.c $($pc --cflags logcap) $($pc --static --libs logcap | sed 's/-llogcap\b/-l:liblogcap.a/') -o c_static_private
readelf -d c_static_private | grep -q liblogcap && fail "c_static_private needs a shared liblogcap"
LOGCAP_CONFIG=$(config c-static-private) ./c_static_private

step "C++: c++ -std=c++17 quickstart.cpp \$(pkg-config --cflags --libs logcap) (logcap.hpp)"
c++ -std=c++17 -Wall -Wextra -Werror -pedantic quickstart.cpp $($pc --cflags --libs logcap) -Wl,-rpath,"$libdir" -o cpp_shared
LOGCAP_CONFIG=$(config cpp-shared) ./cpp_shared

step "CMake: find_package(logcap) and logcap::logcap, shared then static"
cp "$root/tests/packaging/cmake/CMakeLists.txt" .
cmake -S . -B shared -DCMAKE_PREFIX_PATH="$work/prefix" >cmake-shared.log 2>&1 || { cat cmake-shared.log; exit 1; }
cmake --build shared >>cmake-shared.log 2>&1 || { cat cmake-shared.log; exit 1; }
readelf -d shared/quickstart | grep -q "NEEDED.*\[liblogcap.so.$sover\]" || fail "CMake's shared quickstart does not need liblogcap.so.$sover"
LOGCAP_CONFIG=$(config cmake-c) ./shared/quickstart
LOGCAP_CONFIG=$(config cmake-cpp) ./shared/quickstart_cpp
cmake -S . -B static -DCMAKE_PREFIX_PATH="$work/prefix" -DLOGCAP_USE_STATIC_LIBS=ON >cmake-static.log 2>&1 || { cat cmake-static.log; exit 1; }
cmake --build static >>cmake-static.log 2>&1 || { cat cmake-static.log; exit 1; }
readelf -d static/quickstart_cpp | grep -q liblogcap && fail "CMake's static quickstart needs a shared liblogcap"
LOGCAP_CONFIG=$(config cmake-static-c) ./static/quickstart
LOGCAP_CONFIG=$(config cmake-static-cpp) ./static/quickstart_cpp
unset PKG_CONFIG_PATH

step "Go: a new module, go get from dist/goproxy"
# GOMODCACHE only isolates this run from the machine's module cache (which keeps the first
# v$version it ever saw); the module needs nothing else.
export GOMODCACHE=$work/gomodcache
mkdir "$work/go" && cd "$work/go"
cp "$root/bindings/go/examples/quickstart/main.go" .
go mod init example.com/uses-logcap >/dev/null 2>&1
GOPROXY=file://$root/dist/goproxy GOSUMDB=off GOFLAGS=-mod=mod go get "github.com/logcap/logcap/bindings/go@v$version"
go build -o quickstart .
LOGCAP_CONFIG=$(config go) ./quickstart

step "Go: CGO_ENABLED=0 must fail, saying cgo is needed"
if CGO_ENABLED=0 go build -o nocgo . >nocgo.log 2>&1; then fail "the build without cgo succeeded"; fi
grep -q "logcap needs cgo" nocgo.log || { cat nocgo.log; fail "the build without cgo did not say cgo is needed"; }
grep "logcap needs cgo" nocgo.log | head -1

step "Go: -tags logcap_system, the library of \`make install PREFIX=$work/sys\`"
(cd "$root" && scripts/install.sh "$work/sys" >/dev/null)
PKG_CONFIG_PATH=$work/sys/lib/pkgconfig go build -tags logcap_system -o quickstart_system .
readelf -d quickstart_system | grep -q "NEEDED.*\[liblogcap.so.$sover\]" || fail "the logcap_system build does not need liblogcap.so.$sover"
LD_LIBRARY_PATH=$work/sys/lib LOGCAP_CONFIG=$(config go-system) ./quickstart_system
unset GOMODCACHE

step "Node.js: npm install $npm_tgz"
mkdir "$work/node" && cd "$work/node"
npm init -y >/dev/null
npm install --no-audit --no-fund "$root/$npm_tgz" >npm.log 2>&1 || { cat npm.log; exit 1; }
[ -f node_modules/logcap/LICENSE ] || fail "the npm package has no LICENSE"
sed "s|require('..')|require('logcap')|" "$root/bindings/node/examples/quickstart.js" >quickstart.cjs
cp "$root"/tests/packaging/node/{quickstart.mjs,use.ts,tsconfig.json} .
where=$(node -p "require('logcap').libraryPath")
[ "$where" = "$PWD/node_modules/logcap/prebuilds/$(node -p 'process.platform + "-" + process.arch')/liblogcap.so" ] ||
  fail "the package loaded $where, not its own library"
echo "the package loads its own library: $where"
LOGCAP_CONFIG=$(config node-cjs) node quickstart.cjs
LOGCAP_CONFIG=$(config node-esm) node quickstart.mjs
if LOGCAP_LIB=/nonexistent/liblogcap.so node -e "require('logcap')" >lib.log 2>&1; then fail "LOGCAP_LIB was ignored"; fi
grep -q "LOGCAP_LIB points to /nonexistent/liblogcap.so" lib.log || { cat lib.log; fail "LOGCAP_LIB did not override"; }
echo "LOGCAP_LIB overrides: ok"
node "$root/bindings/node/node_modules/typescript/bin/tsc" -p . # tsconfig.json: noEmit, strict
echo "tsc --noEmit: ok"

step "every line against the reference"
cd "$logs"
"$root/scripts/same-lines.sh" reference.log c-shared.log c-static.log c-static-private.log cpp-shared.log \
  cmake-c.log cmake-cpp.log cmake-static-c.log cmake-static-cpp.log go.log go-system.log node-cjs.log node-esm.log
echo "13 programs, one line each, identical to the C quickstart's but for the timestamp:"
cat reference.log
