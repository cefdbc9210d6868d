/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "caps.h"
#include "discover-files.h"
#include "rootfs.h"
#include "strv.h"

/*
 * Fake driver trees in a temp dir: tiny libraries linked here with the sonames and version suffixes of a real
 * driver, binaries, firmware, sockets and configs. The Debian tree gets its ld.so.cache from the real
 * `ldconfig -r`; the H100 tree gets a hand-written cache, so entry order and hostile entries are under control.
 */

#define VER "580.1.2"
#define LIB64 "/usr/lib/x86_64-linux-gnu"
#define LIB32 "/usr/lib/i386-linux-gnu"
#define NV "/usr/local/nvidia"

static char tmp[] = "/tmp/nvct-test-df.XXXXXX";
static char deb[512], h100[512];
static bool have_m32;

static int sh(const char *fmt, ...) _printf_(1, 2);
static int sh(const char *fmt, ...) {
        char cmd[8192];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        return system(cmd);
}

/* root/dir/<name>.VER from obj with DT_SONAME soname, and the soname link next to it. */
static int mklib_obj(const char *root, const char *dir, const char *name, const char *soname, const char *obj,
                     const char *flags) {
        char file[256];
        snprintf(file, sizeof(file), "%s.%s", name, VER);
        return sh("set -e; mkdir -p %s%s; cd %s%s; gcc -shared %s -Wl,-soname,%s -o %s %s/%s%s%s%s%s", root, dir, root,
                  dir, flags, soname, file, tmp, obj, streq(soname, file) ? "" : "; ln -sf ",
                  streq(soname, file) ? "" : file, streq(soname, file) ? "" : " ", streq(soname, file) ? "" : soname);
}

static int mksock(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return -1;
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        int r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        close(fd);
        return r;
}

static int build_debian(void) {
        const char *R = deb;
        if (mklib_obj(R, LIB64, "libnvidia-ml.so", "libnvidia-ml.so.1", "a.o", "") ||
            mklib_obj(R, LIB64, "libcuda.so", "libcuda.so.1", "a.o", "") ||
            mklib_obj(R, LIB64, "libnvidia-tls.so", "libnvidia-tls.so." VER, "tls.o", "") ||
            mklib_obj(R, LIB64, "libGLX_nvidia.so", "libGLX_nvidia.so.0", "a.o", "") ||
            mklib_obj(R, LIB64, "libnvidia-gtk3.so", "libnvidia-gtk3.so." VER, "a.o", ""))
                return -1;
        /* Wrong version: a stale library from another driver. */
        if (sh("set -e; cd %s%s; gcc -shared -Wl,-soname,libnvidia-cfg.so.1 -o libnvidia-cfg.so.470.82.01 %s/a.o; "
               "ln -s libnvidia-cfg.so.470.82.01 libnvidia-cfg.so.1", R, LIB64, tmp))
                return -1;
        if (have_m32 && mklib_obj(R, LIB32, "libcuda.so", "libcuda.so.1", "a32.o", "-m32"))
                return -1;
        if (sh("set -e; cd %s; mkdir -p etc usr/bin lib/firmware/nvidia/" VER " run/nvidia-persistenced tmp/nvidia-mps "
               "usr/share/glvnd/egl_vendor.d etc/vulkan/icd.d ." LIB64 "/nvidia/xorg; "
               "printf '" LIB64 "\\n" LIB32 "\\n' > etc/ld.so.conf; "
               "printf '#!/bin/sh\\n' > usr/bin/nvidia-smi; chmod 755 usr/bin/nvidia-smi; "
               "cp usr/bin/nvidia-smi usr/bin/nvidia-cuda-mps-control; "
               "printf 'x' > usr/bin/nvidia-debugdump; chmod 644 usr/bin/nvidia-debugdump; "
               "echo fw > lib/firmware/nvidia/" VER "/gsp_tu10x.bin; echo fw > lib/firmware/nvidia/" VER "/gsp_ga10x.bin; "
               "echo no > lib/firmware/nvidia/" VER "/notgsp.txt; "
               "echo '{}' > usr/share/glvnd/egl_vendor.d/10_nvidia.json; echo '{}' > etc/vulkan/icd.d/nvidia_icd.json; "
               "echo x > ." LIB64 "/nvidia/xorg/nvidia_drv.so; echo x > ." LIB64 "/nvidia/xorg/libglxserver_nvidia.so." VER "; "
               "ldconfig -r %s",
               R, R))
                return -1;
        char p[1024];
        snprintf(p, sizeof(p), "%s/run/nvidia-persistenced/socket", R);
        return mksock(p);
}

/* A new-format ld.so.cache with these (key, value) x86-64 entries, in this order. */
static int write_cache(const char *root, const char *const *kv, size_t n, uint32_t flags) {
        unsigned char b[8192] = "glibc-ld.so.cache1.1";
        uint32_t v;
        size_t s = 48 + n * 24;
        v = (uint32_t) n;
        memcpy(b + 20, &v, 4);
        b[28] = 2;
        for (size_t i = 0; i < n; i++) {
                unsigned char *e = b + 48 + i * 24;
                memcpy(e, &flags, 4);
                for (size_t k = 0; k < 2; k++) {
                        v = (uint32_t) s;
                        memcpy(e + 4 + 4 * k, &v, 4);
                        strcpy((char *) b + s, kv[2 * i + k]);
                        s += strlen(kv[2 * i + k]) + 1;
                }
        }
        char p[1024];
        snprintf(p, sizeof(p), "%s/etc/ld.so.cache", root);
        FILE *f = fopen(p, "we");
        if (!f)
                return -1;
        size_t w = fwrite(b, 1, s, f);
        return fclose(f) == 0 && w == s ? 0 : -1;
}

static int build_h100(void) {
        const char *R = h100;
        if (mklib_obj(R, NV "/lib64", "libnvidia-ml.so", "libnvidia-ml.so.1", "a.o", "") ||
            mklib_obj(R, NV "/lib64", "libcuda.so", "libcuda.so.1", "a.o", "") ||
            mklib_obj(R, NV "/lib64", "libnvidia-tls.so", "libnvidia-tls.so." VER, "a.o", ""))
                return -1;
        /* /lib -> usr/lib and absolute links into /usr/local/nvidia, as on the H100 machine. */
        if (sh("set -e; cd %s; mkdir -p usr/lib/x86_64-linux-gnu etc usr/bin ." NV "/bin ." NV "/firmware/nvidia/" VER
               " ." NV "/share/vulkan/icd.d %s/outside; ln -s usr/lib lib; "
               "ln -s " NV "/lib64/libcuda.so.1 usr/lib/x86_64-linux-gnu/libcuda.so.1; "
               "ln -s " NV "/lib64/libnvidia-ml.so.1 usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1; "
               "printf '#!/bin/sh\\n' > ." NV "/bin/nvidia-smi; chmod 755 ." NV "/bin/nvidia-smi; "
               "cp ." NV "/bin/nvidia-smi ." NV "/bin/nvidia-debugdump; ln -s " NV "/bin/nvidia-smi usr/bin/nvidia-smi; "
               "printf '#!/bin/sh\\n' > usr/bin/nvidia-debugdump; chmod 755 usr/bin/nvidia-debugdump; "
               "echo fw > ." NV "/firmware/nvidia/" VER "/gsp_ga10x.bin; "
               "echo '{}' > ." NV "/share/vulkan/icd.d/nvidia_icd.json; "
               "cp ." NV "/lib64/libcuda.so." VER " %s/outside/libnvidia-cfg.so." VER "; "
               "ln -s %s/outside/libnvidia-cfg.so." VER " ." NV "/lib64/libnvidia-cfg.so.1; "
               "ln -s ../../../../../outside/libnvidia-cfg.so." VER " ." NV "/lib64/libnvidia-nscq.so.1; "
               "mkdir ." NV "/lib64/libnvidia-glcore.so." VER,
               R, tmp, tmp, tmp))
                return -1;
        /*
         * The /lib symlink copy comes first, as a cache may list it; the hostile entries point outside the root
         * (absolute and relative) and at a directory.
         */
        const char *kv[] = {
                "libcuda.so.1",         "/lib/x86_64-linux-gnu/libcuda.so.1",
                "libcuda.so.1",         NV "/lib64/libcuda.so.1",
                "libnvidia-ml.so.1",    NV "/lib64/libnvidia-ml.so.1",
                "libnvidia-ml.so.1",    "/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
                "libnvidia-cfg.so.1",   NV "/lib64/libnvidia-cfg.so.1",
                "libnvidia-nscq.so.1",  NV "/lib64/libnvidia-nscq.so.1",
                "libnvidia-glcore.so.1", NV "/lib64/libnvidia-glcore.so." VER,
                "libnvidia-tls.so." VER, NV "/lib64/libnvidia-tls.so." VER,
        };
        return write_cache(R, kv, ELEMENTSOF(kv) / 2, 0x0303);
}

static int setup(void **state) {
        (void) state;
        if (!mkdtemp(tmp))
                return -1;
        snprintf(deb, sizeof(deb), "%s/deb", tmp);
        snprintf(h100, sizeof(h100), "%s/h100", tmp);
        if (sh("set -e; cd %s; echo 'int f(void){return 1;}' > a.c; gcc -c -fPIC a.c -o a.o; "
               "printf '.section .note.ABI-tag,\"a\",@note\\n.p2align 2\\n.long 4,16,1\\n.asciz \"GNU\"\\n"
               ".long 0,2,3,99\\n.section .note.GNU-stack,\"\",@progbits\\n' > n.s; "
               "gcc -c n.s -o n.o; ld -r a.o n.o -o tls.o", tmp))
                return -1;
        have_m32 = sh("cd %s && gcc -m32 -c -fPIC a.c -o a32.o 2>/dev/null", tmp) == 0;
        if (build_debian() < 0 || build_h100() < 0)
                return -1;
        return 0;
}

static int teardown(void **state) {
        (void) state;
        return sh("rm -rf %s", tmp) == 0 ? 0 : -1;
}

static void driver_done(NvctDriver *d) {
        for (size_t i = 0; i < d->n_files; i++)
                nvct_file_done(&d->files[i]);
        free(d->files);
        strv_free(d->lib_dirs);
        *d = (NvctDriver) { 0 };
}

/* "kind path [container] [soname]" per file, one line each, for whole-list comparisons. */
static char *describe(const NvctDriver *d) {
        static const char *kinds[] = { "lib", "lib32", "bin", "fw", "ipc", "config", "xorg" };
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        assert_non_null(f);
        for (size_t i = 0; i < d->n_files; i++) {
                const NvctFile *x = &d->files[i];
                fprintf(f, "%s %s", kinds[x->kind], x->path);
                if (x->container_path)
                        fprintf(f, " -> %s", x->container_path);
                if (x->soname)
                        fprintf(f, " (%s)", x->soname);
                fputc('\n', f);
        }
        fclose(f);
        return out;
}

static NvctRoots roots_for(const char *root) {
        NvctRoots r = NVCT_ROOTS_DEFAULT;
        r.driver_root = root;
        r.dev_root = root;
        r.ipc_root = root;
        return r;
}

static void test_debian(void **state) {
        (void) state;
        NvctRoots roots = roots_for(deb);
        NvctDriver d = { 0 };
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_discover_files(&roots, VER, NVCT_DISCOVER_COMPAT32, &d, &err), 0);
        _cleanup_free_ char *got = describe(&d);
        char want[4096];
        snprintf(want, sizeof(want),
                 "bin /usr/bin/nvidia-smi\n"
                 "bin /usr/bin/nvidia-cuda-mps-control\n"
                 "lib " LIB64 "/libnvidia-ml.so." VER " (libnvidia-ml.so.1)\n"
                 "lib " LIB64 "/libcuda.so." VER " (libcuda.so.1)\n"
                 "lib " LIB64 "/libnvidia-tls.so." VER " (libnvidia-tls.so." VER ")\n"
                 "lib " LIB64 "/libGLX_nvidia.so." VER " (libGLX_nvidia.so.0)\n"
                 "%s"
                 "ipc /run/nvidia-persistenced/socket -> /run/nvidia-persistenced/socket\n"
                 "ipc /tmp/nvidia-mps -> /tmp/nvidia-mps\n"
                 "fw /lib/firmware/nvidia/" VER "/gsp_ga10x.bin -> /lib/firmware/nvidia/" VER "/gsp_ga10x.bin\n"
                 "fw /lib/firmware/nvidia/" VER "/gsp_tu10x.bin -> /lib/firmware/nvidia/" VER "/gsp_tu10x.bin\n"
                 "config /usr/share/glvnd/egl_vendor.d/10_nvidia.json -> "
                 "/usr/share/glvnd/egl_vendor.d/10_nvidia.json\n"
                 "config /etc/vulkan/icd.d/nvidia_icd.json -> /etc/vulkan/icd.d/nvidia_icd.json\n"
                 "xorg " LIB64 "/nvidia/xorg/nvidia_drv.so -> " LIB64 "/nvidia/xorg/nvidia_drv.so\n"
                 "xorg " LIB64 "/nvidia/xorg/libglxserver_nvidia.so." VER " -> " LIB64
                 "/nvidia/xorg/libglxserver_nvidia.so." VER "\n",
                 have_m32 ? "lib32 " LIB32 "/libcuda.so." VER " (libcuda.so.1)\n" : "");
        assert_string_equal(got, want);

        assert_int_equal(strv_length(d.lib_dirs), 1);
        assert_string_equal(d.lib_dirs[0], LIB64);
        char host[1024];
        snprintf(host, sizeof(host), "%s%s/libcuda.so.%s", deb, LIB64, VER);
        assert_string_equal(d.files[3].host_path, host);
        assert_int_equal(d.files[3].caps, NVCT_CAP_COMPUTE | NVCT_CAP_VIDEO);
        assert_int_equal(d.files[0].caps, NVCT_CAP_UTILITY);
        assert_int_equal(d.files[1].caps, NVCT_CAP_COMPUTE);
        for (size_t i = 0; i < d.n_files; i++)
                if (d.files[i].kind == NVCT_FILE_IPC)
                        assert_int_equal(d.files[i].ipc, strstr(d.files[i].path, "mps") ? NVCT_IPC_MPS
                                                                                          : NVCT_IPC_PERSISTENCED);
        driver_done(&d);

        /* Without compat32 there are no 32-bit libraries. */
        assert_int_equal(nvct_discover_files(&roots, VER, 0, &d, &err), 0);
        for (size_t i = 0; i < d.n_files; i++)
                assert_int_not_equal(d.files[i].kind, NVCT_FILE_LIB32);
        driver_done(&d);
}

static void test_tls_without_abi_tag(void **state) {
        (void) state;
        NvctRoots roots = roots_for(h100);
        NvctDriver d = { 0 };
        NvctError err = NVCT_ERROR_INIT;
        /* The H100 tree's libnvidia-tls is linked without the 2.3.99 note, so it is refused. */
        assert_int_equal(nvct_discover_files(&roots, VER, 0, &d, &err), 0);
        for (size_t i = 0; i < d.n_files; i++)
                assert_null(strstr(d.files[i].path, "libnvidia-tls"));
        driver_done(&d);
}

static void test_h100_layout(void **state) {
        bool fallback = *state != NULL;
        rootfs_force_fallback(fallback);
        NvctRoots roots = roots_for(h100);
        NvctDriver d = { 0 };
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_discover_files(&roots, VER, NVCT_DISCOVER_COMPAT32, &d, &err), 0);
        _cleanup_free_ char *got = describe(&d);
        /*
         * Each library once, under its real path, though the cache lists it twice; nothing from outside the root;
         * the directory is refused; binaries (even over a wrapper script in /usr/bin), firmware and configs from
         * the driver's own tree.
         */
        assert_string_equal(got,
                            "bin " NV "/bin/nvidia-smi\n"
                            "bin " NV "/bin/nvidia-debugdump\n"
                            "lib " NV "/lib64/libnvidia-ml.so." VER " (libnvidia-ml.so.1)\n"
                            "lib " NV "/lib64/libcuda.so." VER " (libcuda.so.1)\n"
                            "fw " NV "/firmware/nvidia/" VER "/gsp_ga10x.bin -> /lib/firmware/nvidia/" VER
                            "/gsp_ga10x.bin\n"
                            "config " NV "/share/vulkan/icd.d/nvidia_icd.json -> /etc/vulkan/icd.d/nvidia_icd.json\n");
        assert_int_equal(strv_length(d.lib_dirs), 1);
        assert_string_equal(d.lib_dirs[0], NV "/lib64");
        driver_done(&d);
        rootfs_force_fallback(false);
}

static void test_appends_and_version(void **state) {
        (void) state;
        NvctRoots roots = roots_for(deb);
        NvctDriver d = { 0 };
        NvctError err = NVCT_ERROR_INIT;

        /* Another version finds none of these libraries, only what does not depend on it. */
        assert_int_equal(nvct_discover_files(&roots, "999.0", 0, &d, &err), 0);
        size_t n = d.n_files;
        for (size_t i = 0; i < n; i++)
                assert_true(d.files[i].kind != NVCT_FILE_LIB && d.files[i].kind != NVCT_FILE_FIRMWARE);
        assert_int_equal(strv_length(d.lib_dirs), 0);
        /* A second call appends. */
        assert_int_equal(nvct_discover_files(&roots, VER, 0, &d, &err), 0);
        assert_true(d.n_files > 2 * n);
        driver_done(&d);

        assert_int_equal(nvct_discover_files(&roots, "", 0, &d, &err), -EINVAL);
        assert_int_equal(nvct_discover_files(&roots, "../x", 0, &d, &err), -EINVAL);
        assert_int_equal(d.n_files, 0);
}

static void test_missing_cache(void **state) {
        (void) state;
        char root[1024];
        snprintf(root, sizeof(root), "%s/empty", tmp);
        assert_int_equal(mkdir(root, 0755), 0);
        NvctRoots roots = roots_for(root);
        NvctDriver d = { 0 };
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(nvct_discover_files(&roots, VER, 0, &d, &err), -ENOENT);
        char want[2048];
        snprintf(want, sizeof(want),
                 "open ld.so.cache /etc/ld.so.cache (in driver root %s): No such file or directory", root);
        assert_string_equal(err.msg, want);
        assert_int_equal(d.n_files, 0);
        assert_null(d.lib_dirs);

        /* A truncated cache is an error too, not an empty driver. */
        assert_int_equal(sh("mkdir -p %s/etc && head -c 60 %s/etc/ld.so.cache > %s/etc/ld.so.cache", root, deb, root),
                         0);
        assert_int_equal(nvct_discover_files(&roots, VER, 0, &d, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "/etc/ld.so.cache (in driver root"));

        roots.driver_root = "/nonexistent-nvct-root";
        assert_int_equal(nvct_discover_files(&roots, VER, 0, &d, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "driver root: open root /nonexistent-nvct-root"));
}

static void test_tables(void **state) {
        (void) state;
        assert_int_equal(nvct_library_caps("libcuda.so.580.159.04"), NVCT_CAP_COMPUTE | NVCT_CAP_VIDEO);
        assert_int_equal(nvct_library_caps("libnvidia-ml.so.1"), NVCT_CAP_UTILITY);
        assert_int_equal(nvct_library_caps("libnvcuvid.so.1"), NVCT_CAP_VIDEO);
        assert_int_equal(nvct_library_caps("libGLX_nvidia.so.0"), NVCT_CAP_GRAPHICS | NVCT_CAP_DISPLAY);
        assert_int_equal(nvct_library_caps("libnvidia-ngx.so.1"), NVCT_CAP_NGX);
        assert_int_equal(nvct_library_caps("libnvidia-pkcs11-openssl3.so.1"), NVCT_CAP_COMPUTE | NVCT_CAP_VIDEO);
        assert_int_equal(nvct_library_caps("libnvidia-gtk3.so.580"), 0);
        assert_int_equal(nvct_library_caps("libc.so.6"), 0);
        assert_true(nvct_library_excluded("libnvidia-egl-wayland.so.1"));
        assert_false(nvct_library_excluded("libnvidia-eglcore.so.1"));
        assert_int_equal(nvct_binary_caps("nvidia-smi"), NVCT_CAP_UTILITY);
        assert_int_equal(nvct_binary_caps("nvidia-cuda-mps-server"), NVCT_CAP_COMPUTE);
        assert_int_equal(nvct_binary_caps("nvidia-settings"), 0);
        size_t n = 0;
        const NvctLibraryRule *rules = nvct_library_rules(&n);
        assert_int_equal(n, 33);
        assert_string_equal(rules[0].prefix, "libnvidia-ml.so");
        /* No prefix shadows a later one, or the first-match lookup would misfile it. */
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        assert_false(strneq(rules[j].prefix, rules[i].prefix, strlen(rules[i].prefix)));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_debian),
                cmocka_unit_test(test_tls_without_abi_tag),
                cmocka_unit_test_prestate(test_h100_layout, NULL),
                /* The same through the resolver's component walk, as on kernels without openat2. */
                cmocka_unit_test_prestate(test_h100_layout, (void *) 1),
                cmocka_unit_test(test_appends_and_version),
                cmocka_unit_test(test_missing_cache),
                cmocka_unit_test(test_tables),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
