#!/bin/sh
# mmdebstrap --customize-hook for the repro build image: `customize.sh ROOTFS`.
# Runs on the host as root after the packages are installed, before the rootfs tarball is
# written. Everything it does must be deterministic: the rootfs digest is the image pin.
set -eu
root="$1"
here="$(cd "$(dirname "$0")" && pwd)"
files="$here/files"

# Helpers used by build scripts (BinaryBuilder equivalents).
for f in install_license atomic_patch update_configure_scripts; do
    install -m 0755 "$files/$f" "$root/usr/local/bin/$f"
done

# Locales.
install -m 0644 "$here/locale.gen" "$root/etc/locale.gen"
chroot "$root" locale-gen

# The readdir-order shim, compiled with the image's own compiler.
mkdir -p "$root/usr/local/lib/repro" "$root/usr/local/src/repro"
install -m 0644 "$files/readdir_shuffle.c" "$root/usr/local/src/repro/readdir_shuffle.c"
chroot "$root" gcc -O2 -Wall -Werror -shared -fPIC \
    -o /usr/local/lib/repro/libreaddir_shuffle.so /usr/local/src/repro/readdir_shuffle.c -ldl
chmod 0644 "$root/usr/local/lib/repro/libreaddir_shuffle.so"

# CMake and Meson toolchain files (${CMAKE_TARGET_TOOLCHAIN}, ${MESON_TARGET_TOOLCHAIN}, ...).
tc="$root/opt/toolchains/x86_64-linux-gnu"
mkdir -p "$tc"
for kind in target host; do
    install -m 0644 "$files/toolchains/x86_64-linux-gnu.cmake" "$tc/${kind}_x86_64-linux-gnu.cmake"
    install -m 0644 "$files/toolchains/x86_64-linux-gnu.meson" "$tc/${kind}_x86_64-linux-gnu.meson"
done

# The build workspace and the runner's control directory.
mkdir -p "$root/workspace" "$root/opt/repro"
chmod 0755 "$root/workspace" "$root/opt/repro"

# mmdebstrap copies the host's resolv.conf and hostname in: make them host-independent (Docker
# provides both at run time).
rm -f "$root/etc/resolv.conf"
echo repro > "$root/etc/hostname"
chmod 0644 "$root/etc/hostname"

# Files that would differ between two otherwise identical builds.
rm -f "$root/var/cache/ldconfig/aux-cache" "$root/var/log/dpkg.log" "$root/var/log/alternatives.log" \
    "$root/var/log/apt/history.log" "$root/var/log/apt/term.log" "$root/var/log/apt/eipp.log.xz"
