#!/bin/sh
# mmdebstrap --customize-hook of the toolchain images: `cross.sh ROOTFS GENERATED`, run after
# customize.sh. Installs the per-target files repro generated from its platform table (compiler
# and binutils wrappers under BinaryBuilder's names in /opt/bin/<target>/, CMake and Meson
# toolchain files in /opt/toolchains/<target>/), listed in GENERATED/MANIFEST as `mode path`
# lines, and checks that every compiler wrapper runs. Deterministic: the rootfs digest is the pin.
set -eu
root="$1"
gen="$2"
sort "$gen/MANIFEST" | while read -r mode rel; do
    install -D -m "$mode" "$gen/$rel" "$root/$rel"
done
# Directories created by install -D: fixed mode.
find "$root/opt/bin" "$root/opt/toolchains" -type d -exec chmod 0755 {} + 2>/dev/null || true
# Every generated C compiler runs in the image.
for d in "$root"/opt/bin/*/; do
    t="$(basename "$d")"
    chroot "$root" "/opt/bin/$t/cc" --version >/dev/null
done
