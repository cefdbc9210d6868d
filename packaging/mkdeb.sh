#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the nvct .deb with dpkg-deb: `packaging/mkdeb.sh [BUILD_DIR] [OUT_DIR]` (defaults: build, the source tree).
# The build dir must be configured with --prefix=/usr; otherwise BUILD_DIR-deb is set up beside it with that prefix.
# Prints the path of the .deb.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
OUT=${2:-$SRC}
MESON=${MESON:-meson}

prefix_of() { "$MESON" introspect --buildoptions "$1" | jq -r '.[] | select(.name == "prefix") | .value'; }
if [ ! -f "$BUILD/build.ninja" ] || [ "$(prefix_of "$BUILD")" != /usr ]; then
        BUILD=$BUILD-deb
        [ -f "$BUILD/build.ninja" ] || "$MESON" setup "$BUILD" "$SRC" --prefix=/usr --sysconfdir=/etc >/dev/null
fi
"$MESON" setup --reconfigure "$BUILD" "$SRC" >/dev/null
ninja -C "$BUILD" -j "${NVCT_JOBS:-2}" >/dev/null

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/nvct-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
chmod 755 "$STAGE"
DESTDIR=$STAGE "$MESON" install -C "$BUILD" --no-rebuild --strip --quiet >/dev/null
for f in usr/bin/nvct etc/nvidia-container-runtime/config.toml usr/share/man/man1/nvidia-ctk.1; do
        [ -e "$STAGE/$f" ] || { echo "mkdeb: $f was not installed (is packaging/ part of the meson build?)" >&2; exit 1; }
done
# Debian compresses manual pages
find "$STAGE/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +

VERSION=$("$MESON" introspect --projectinfo "$BUILD" | jq -r .version)
ARCH=$(dpkg --print-architecture)
SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
mkdir -p "$STAGE/DEBIAN"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" "$SRC/packaging/debian/control.in" \
        >"$STAGE/DEBIAN/control"
install -m 755 "$SRC/packaging/debian/postinst" "$SRC/packaging/debian/postrm" "$STAGE/DEBIAN/"
(cd "$STAGE" && find etc -type f | sed 's|^|/|' | sort) >"$STAGE/DEBIAN/conffiles"
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort | xargs -r md5sum) \
        >"$STAGE/DEBIAN/md5sums"
mkdir -p "$OUT"
DEB=$OUT/nvct_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
