#!/bin/sh
# List files matching a pattern in a directory, sorted, one per line (meson has no glob).
cd "$MESON_SOURCE_ROOT" 2>/dev/null || true
ls -1 "$1"/$2 2>/dev/null | LC_ALL=C sort
exit 0
