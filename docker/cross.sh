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
# The build machine's compiler (HOSTCC, CC_FOR_BUILD: x86_64-linux-gnu-gcc) looks for `as` and
# `ld` in its tool directory /usr/x86_64-linux-gnu/bin before PATH. Debian's native binutils do
# not fill it, so in a cross build the host compiler ran the first `as` on PATH: the target's
# wrapper (aarch64 `as: unrecognized option '--64'`). Link the native binutils there, as Debian's
# cross binutils do for their triplets. Images whose targets all use the native binutils (musl)
# need none.
cross_binutils=0
for f in "$root"/usr/bin/*-as; do
    case "$(basename "$f")" in
        x86_64-linux-gnu-as) ;;
        *) [ -e "$f" ] && cross_binutils=1 ;;
    esac
done
if [ "$cross_binutils" = 1 ]; then
    tooldir="$root/usr/x86_64-linux-gnu/bin"
    mkdir -p "$tooldir"
    chmod 0755 "$root/usr/x86_64-linux-gnu" "$tooldir"
    for t in ar as ld ld.bfd ld.gold nm objcopy objdump ranlib readelf strip; do
        if [ -e "$root/usr/bin/x86_64-linux-gnu-$t" ] && [ ! -e "$tooldir/$t" ]; then
            ln -s "../../bin/x86_64-linux-gnu-$t" "$tooldir/$t"
        fi
    done
    # The host compiler assembles with the host's `as` even with a target's `as` first on PATH.
    printf 'int main(void) { return 0; }\n' > "$root/tmp/repro-host-cc.c"
    for d in "$root"/opt/bin/*/; do
        chroot "$root" env PATH="/opt/bin/$(basename "$d"):/usr/bin:/bin" \
            x86_64-linux-gnu-gcc -o /tmp/repro-host-cc /tmp/repro-host-cc.c
    done
    rm -f "$root/tmp/repro-host-cc.c" "$root/tmp/repro-host-cc"
fi
# MinGW: libtool looks for a dependency's import library (`-lssp`, `-lstdc++`, `-lgfortran`) on
# its own search path, which it takes from `gcc -print-search-dirs` but without the entries
# Debian's MinGW gcc prints relative to its sysroot (`=/usr/lib/gcc/<target>/12-win32/`), where
# the compiler's runtime import libraries are. Not finding one, libtool drops the dependency and
# builds no DLL (opus with LDFLAGS=-lssp). Link them into the target's library directory, which
# libtool does search; the linker finds the same files either way.
# Also give the target's library directory a pkgconfig/ directory, as a sysroot has:
# libgpg-error's gpgrt-config macro (libgcrypt, libassuan, gnupg) looks for the dependency's
# gpg-error.pc only next to the compiler's library directories that have one, and found none.
for d in "$root"/opt/bin/*-mingw32/; do
    [ -d "$d" ] || continue
    t="$(basename "$d")"
    install -d -m 0755 "$root/usr/$t/lib/pkgconfig"
    for lib in libssp.dll.a libstdc++.dll.a libgfortran.dll.a libquadmath.dll.a libgomp.dll.a \
        libatomic.dll.a libgcc_s.a; do
        f="$(chroot "$root" "/opt/bin/$t/cc" -print-file-name="$lib")"
        case "$f" in
            /usr/lib/gcc/*)
                if [ -e "$root$f" ] && [ ! -e "$root/usr/$t/lib/$lib" ]; then
                    ln -s "../../${f#/usr/}" "$root/usr/$t/lib/$lib"
                fi
                ;;
        esac
    done
done
