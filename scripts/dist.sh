#!/usr/bin/env bash
# make dist: the artifacts users consume, under dist/ (docs/packaging.md), from the release
# library in target/release (built by `make lib`):
#
#   dist/logcap-VERSION-TRIPLE.tar.gz   the C/C++ install tree (prefix /usr/local)
#   dist/goproxy/                       a GOPROXY directory serving the Go module at vVERSION,
#                                       with the header and the static library for this platform
#   dist/npm/logcap-VERSION.tgz         the npm package, with the shared library for this platform
#
# Every one carries LICENSE. The libraries in the Go module and the npm package are the
# stripped ones of the install tree.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^#define LOGCAP_VERSION_STRING "\(.*\)"$/\1/p' include/logcap.h)
triple=$(rustc -vV | sed -n 's/^host: //p')
go_platform=$(go env GOOS)-$(go env GOARCH)
node_platform=$(node -p 'process.platform + "-" + process.arch')
stage=dist/stage
rm -rf dist
mkdir -p "$stage" dist/npm

# C/C++: the install tree, as `make install PREFIX=/usr/local` writes it.
c_name=logcap-$version-$triple
scripts/install.sh /usr/local "$PWD/$stage/c" >/dev/null
tar -C "$stage/c/usr/local" --owner=0 --group=0 --numeric-owner --sort=name \
  --transform "s,^\.,$c_name," -czf "dist/$c_name.tar.gz" .
lib=$stage/c/usr/local/lib

# Go: the module's files, with the header and the static library where its cgo directives
# look for them (build/include, build/GOOS-GOARCH), then the GOPROXY tree.
gomod=$stage/go
mkdir -p "$gomod"
git ls-files --cached --others --exclude-standard -- bindings/go | while read -r f; do
  rel=${f#bindings/go/}
  case $rel in compare/*) continue ;; esac # a module of its own (the comparison benchmarks)
  [ -f "$f" ] || continue                  # deleted in the working tree
  mkdir -p "$gomod/$(dirname "$rel")"
  cp "$f" "$gomod/$rel"
done
mkdir -p "$gomod/build/include" "$gomod/build/$go_platform"
cp include/logcap.h "$gomod/build/include/"
cp "$lib/liblogcap.a" "$gomod/build/$go_platform/"
cp LICENSE "$gomod/"
stamp=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
(cd scripts/goproxy && go run . -dir "../../$gomod" -version "v$version" -out ../../dist/goproxy -time "$stamp")

# npm: the package's files, LICENSE, and the shared library for this platform in prebuilds/.
npmpkg=$stage/npm
mkdir -p "$npmpkg/prebuilds/$node_platform"
(cd bindings/node && cp -r --parents index.js index.mjs index.d.ts lib package.json README.md "../../$npmpkg/")
cp LICENSE "$npmpkg/"
cp "$lib/liblogcap.so.$version" "$npmpkg/prebuilds/$node_platform/liblogcap.so"
(cd "$npmpkg" && npm pack --silent --pack-destination ../../npm >/dev/null)

rm -rf "$stage"
echo "dist/ (logcap $version):"
(cd dist && find . -type f \( -name '*.tar.gz' -o -name '*.tgz' -o -name '*.zip' \) -printf '  %p  %s bytes\n' | sort)
