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
# musl: Debian's musl-gcc searches musl's own headers only. BinaryBuilder's musl toolchains (like
# Alpine's linux-headers) also have the Linux kernel's UAPI headers (libffi includes
# <linux/limits.h>): link Debian's (linux-libc-dev) into musl's include directory.
musl="$root/usr/include/x86_64-linux-musl"
if [ -d "$musl" ]; then
    for d in linux asm-generic mtd rdma misc sound video drm xen; do
        if [ -d "$root/usr/include/$d" ] && [ ! -e "$musl/$d" ]; then
            ln -s "../$d" "$musl/$d"
        fi
    done
    [ -e "$musl/asm" ] || ln -s ../x86_64-linux-gnu/asm "$musl/asm"
fi
