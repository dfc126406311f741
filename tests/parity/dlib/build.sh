#!/usr/bin/env bash
# Builds dlib_reference (dlib's own face pipeline, the reference for DlibShapePredictor) into bin/ against Debian's
# libdlib-dev. Needs: apt-get install g++ pkg-config libdlib-dev. Usage: tests/parity/dlib/build.sh (from any directory)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg-config --exists dlib-1 || { echo "build.sh: dlib not found; install it with: apt-get install g++ pkg-config libdlib-dev" >&2; exit 1; }
mkdir -p "$here/bin"
# Plain -O2 for x86-64: no FMA contraction, so float arithmetic rounds step by step as in the C# port.
g++ -std=c++17 -O2 -Wall -o "$here/bin/dlib_reference" "$here/dlib_reference.cpp" $(pkg-config --cflags --libs dlib-1)
echo "built $here/bin/dlib_reference (dlib $(pkg-config --modversion dlib-1))"
