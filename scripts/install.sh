#!/usr/bin/env bash
# Installs the C/C++ library from target/release (built by `make lib`) the way `make install`
# does (docs/packaging.md):
#
#   scripts/install.sh PREFIX [DESTDIR]
#
#   $DESTDIR$PREFIX/include/logcap.h, logcap.hpp
#   $DESTDIR$LIBDIR/liblogcap.so.VERSION           stripped; SONAME liblogcap.so.SOVER
#   $DESTDIR$LIBDIR/liblogcap.so.SOVER -> liblogcap.so.VERSION
#   $DESTDIR$LIBDIR/liblogcap.so       -> liblogcap.so.SOVER
#   $DESTDIR$LIBDIR/liblogcap.a                    debug info stripped
#   $DESTDIR$LIBDIR/.debug/liblogcap.so.VERSION.debug   the shared library's debug info
#   $DESTDIR$LIBDIR/pkgconfig/logcap.pc, logcap-static.pc
#   $DESTDIR$LIBDIR/cmake/logcap/logcapConfig.cmake, logcapConfigVersion.cmake
#   $DESTDIR$PREFIX/share/doc/logcap/LICENSE, README.md
#
# LIBDIR defaults to $PREFIX/lib and INCLUDEDIR to $PREFIX/include. SOVER follows cargo-c: the
# major version, or 0.MINOR while the major version is 0 (build.rs sets the same SONAME).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${1:?usage: scripts/install.sh PREFIX [DESTDIR]}
destdir=${2:-}
case $prefix in
  /*) ;;
  *) echo "install: PREFIX must be an absolute path (it is written into logcap.pc): $prefix" >&2; exit 1 ;;
esac
prefix=${prefix%/}
libdir=${LIBDIR:-$prefix/lib}
includedir=${INCLUDEDIR:-$prefix/include}
OBJCOPY=${OBJCOPY:-objcopy}
STRIP=${STRIP:-strip}
build=${LOGCAP_LIB_DIR:-target/release}

version=$(sed -n 's/^#define LOGCAP_VERSION_STRING "\(.*\)"$/\1/p' include/logcap.h)
IFS=. read -r major minor patch <<<"$version"
if [ "$major" != 0 ]; then sover=$major
elif [ "$minor" != 0 ]; then sover=0.$minor
else sover=0.0.$patch
fi
# What the static library needs besides libc, from
# `cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs`.
static_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl"

for f in "$build/liblogcap.so" "$build/liblogcap.a"; do
  [ -f "$f" ] || { echo "install: $f is missing; run \`make lib\` first" >&2; exit 1; }
done
if ! readelf -d "$build/liblogcap.so" | grep -q "soname: \[liblogcap.so.$sover\]"; then
  echo "install: $build/liblogcap.so has no SONAME liblogcap.so.$sover (see build.rs)" >&2
  exit 1
fi

lib=$destdir$libdir
inc=$destdir$includedir
# In the .pc files: relative to ${prefix} where they are under it, so that
# `pkg-config --define-prefix` can relocate an unpacked tree.
pc_libdir=${libdir/#$prefix\//\$\{prefix\}/}
pc_includedir=${includedir/#$prefix\//\$\{prefix\}/}
doc=$destdir$prefix/share/doc/logcap
install -d "$lib/.debug" "$lib/pkgconfig" "$lib/cmake/logcap" "$inc" "$doc"
install -m 644 include/logcap.h include/logcap.hpp "$inc/"
install -m 644 LICENSE README.md "$doc/"

# The shared library: debug info into .debug/ (where gdb looks for a debug link by itself),
# the library stripped of it and of its local symbols, with a link to the debug file.
so=liblogcap.so.$version
install -m 755 "$build/liblogcap.so" "$lib/$so"
"$OBJCOPY" --only-keep-debug "$lib/$so" "$lib/.debug/$so.debug"
chmod 644 "$lib/.debug/$so.debug"
"$STRIP" --strip-unneeded "$lib/$so"
(cd "$lib" && "$OBJCOPY" --add-gnu-debuglink=".debug/$so.debug" "$so")
ln -sfn "$so" "$lib/liblogcap.so.$sover"
ln -sfn "liblogcap.so.$sover" "$lib/liblogcap.so"

# The static library, without debug info (a program that links it carries what it keeps).
install -m 644 "$build/liblogcap.a" "$lib/liblogcap.a"
"$STRIP" --strip-debug "$lib/liblogcap.a"

cat > "$lib/pkgconfig/logcap.pc" <<EOF
# logcap $version: the shared library (or, with \`pkg-config --static\` and a linker told to
# prefer liblogcap.a, the static one: Libs.private is what it needs).
prefix=$prefix
libdir=$pc_libdir
includedir=$pc_includedir

Name: logcap
Description: Log pipeline core: pooled entries, batching dispatcher, sinks (C ABI)
Version: $version
URL: https://github.com/logcap/logcap
Cflags: -I\${includedir}
Libs: -L\${libdir} -llogcap
Libs.private: $static_libs
EOF

cat > "$lib/pkgconfig/logcap-static.pc" <<EOF
# logcap $version, linked statically: liblogcap.a by its path, so that the shared library
# beside it is not chosen instead.
prefix=$prefix
libdir=$pc_libdir
includedir=$pc_includedir

Name: logcap-static
Description: Log pipeline core (C ABI), static library
Version: $version
URL: https://github.com/logcap/logcap
Cflags: -I\${includedir}
Libs: \${libdir}/liblogcap.a $static_libs
EOF

# CMake: paths relative to the config file, so an installed tree can be moved.
cmakedir=$libdir/cmake/logcap
rel_prefix=$(realpath -m --relative-to="$cmakedir" "$prefix")
rel_lib=$(realpath -m --relative-to="$prefix" "$libdir")
rel_inc=$(realpath -m --relative-to="$prefix" "$includedir")
sed -e "s|@VERSION@|$version|g" -e "s|@SOVER@|$sover|g" -e "s|@REL_PREFIX@|$rel_prefix|g" \
    -e "s|@REL_LIBDIR@|$rel_lib|g" -e "s|@REL_INCLUDEDIR@|$rel_inc|g" \
    -e "s|@STATIC_LIBS@|$(sed 's/-l//g; s/ /;/g' <<<"$static_libs")|g" \
    scripts/cmake/logcapConfig.cmake.in > "$lib/cmake/logcap/logcapConfig.cmake"
sed -e "s|@VERSION@|$version|g" -e "s|@VERSION_MAJOR@|$major|g" -e "s|@VERSION_MINOR@|$minor|g" \
    scripts/cmake/logcapConfigVersion.cmake.in \
    > "$lib/cmake/logcap/logcapConfigVersion.cmake"

echo "installed logcap $version (SONAME liblogcap.so.$sover) into $destdir$prefix"
