#!/usr/bin/env bash
# runtime-libs.sh DEST BINARY...: copies the shared libraries BINARY loads (per `ldd`) into DEST,
# except those the distroless/cc-debian12 runtime image already has (glibc's libraries and the
# dynamic loader, libstdc++, libgcc_s). Used by deploy/Dockerfile's build stage; the image then
# runs the binary with LD_LIBRARY_PATH=DEST. Fails when a library cannot be found.
set -euo pipefail
(($# >= 2)) || { echo "usage: runtime-libs.sh DEST BINARY..." >&2; exit 2; }
dest=$1; shift
mkdir -p "$dest"
for binary in "$@"; do
  out=$(ldd "$binary") || { echo "runtime-libs.sh: ldd $binary failed" >&2; exit 1; }
  if grep -q 'not found' <<< "$out"; then
    echo "runtime-libs.sh: $binary: missing shared libraries:" >&2
    grep 'not found' <<< "$out" >&2
    exit 1
  fi
  awk '/=> \// {print $3}' <<< "$out" | while read -r lib; do
    case "$(basename "$lib")" in
      # In distroless/cc: glibc (with the loader) and the C++ runtime.
      libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|ld-linux*) ;;
      libstdc++.so.*|libgcc_s.so.*) ;;
      *) cp -L "$lib" "$dest/" ;;
    esac
  done
done
ls "$dest"
