/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CDI hooks against temporary roots, each with a hostile variant: a fresh root per test, with an "outside"
 * directory next to it that plays the host and must never change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cdi-hooks.h"

/* Test tables are string literals handed to char *const * parameters, as argv would be. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wincompatible-pointer-types-discards-qualifiers"
#else
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"
#endif
#include "rootfs.h"
#include "strv.h"

static char base[64], root[128], outside[128];
static int root_fd = -EBADF;

static int sh(const char *fmt, ...) _printf_(1, 2);
static int sh(const char *fmt, ...) {
        char cmd[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        return system(cmd);
}

static char *read_text(const char *rel) {
        static char buf[65536];
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return NULL;
        ssize_t k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k < 0)
                return NULL;
        buf[k] = '\0';
        return buf;
}

static char *link_of(const char *rel) {
        static char buf[4096];
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        ssize_t k = readlink(path, buf, sizeof(buf) - 1);
        if (k < 0)
                return NULL;
        buf[k] = '\0';
        return buf;
}

static bool outside_empty(void) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", outside);
        return system(cmd) == 0;
}

static int setup(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        snprintf(base, sizeof(base), "/tmp/nvct-test-cdi-hooks.XXXXXX");
        if (!mkdtemp(base))
                return -1;
        snprintf(root, sizeof(root), "%s/root", base);
        snprintf(outside, sizeof(outside), "%s/outside", base);
        if (sh("mkdir -p %s/etc %s/dev %s/usr/lib %s && echo canary > %s/../canary", root, root, root, outside,
               outside) != 0)
                return -1;
        return rootfs_open_root(root, &root_fd, &err) < 0 ? -1 : 0;
}

static int teardown(void **state _unused_) {
        if (root_fd >= 0)
                close(root_fd);
        root_fd = -EBADF;
        (void) umount2(base, MNT_DETACH);
        return sh("rm -rf %s", base) == 0 ? 0 : -1;
}

/* ---- arguments ---- */

static void test_args(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        NvctHookArgs a = { 0 };
        _cleanup_strv_free_ char **warnings = NULL;
        char *argv[] = { "create-symlinks", "--link", "a::/b", "--link=c::/d,e::/f", "-link", "g::/h",
                         "--unknown", "value", "--other=1", "stray", "--container-spec", "/s.json", NULL };

        assert_int_equal(nvct_hook_kind_from_name("create-symlinks"), NVCT_HOOK_CREATE_SYMLINKS);
        assert_int_equal(nvct_hook_kind_from_name("disable-device-node-modification"),
                         NVCT_HOOK_DISABLE_DEVICE_NODE_MODIFICATION);
        assert_int_equal(nvct_hook_kind_from_name("frobnicate"), NVCT_HOOK_UNKNOWN);
        assert_string_equal(nvct_hook_kind_name(NVCT_HOOK_UPDATE_LDCACHE), "update-ldcache");

        assert_int_equal(nvct_hook_args_parse(NVCT_HOOK_CREATE_SYMLINKS, (int) ELEMENTSOF(argv) - 1, argv, &a,
                                              &warnings, &err), 0);
        assert_int_equal(strv_length(a.link), 4);
        assert_string_equal(a.link[0], "a::/b");
        assert_string_equal(a.link[1], "c::/d");
        assert_string_equal(a.link[2], "e::/f");
        assert_string_equal(a.link[3], "g::/h");
        assert_string_equal(a.container_spec, "/s.json");
        /* --unknown (its value swallowed), --other=1, stray */
        assert_int_equal(strv_length(warnings), 3);
        assert_non_null(strstr(warnings[0], "--unknown"));
        assert_non_null(strstr(warnings[2], "stray"));
        nvct_hook_args_done(&a);

        /* another hook's option is unknown here, not taken */
        char *argv2[] = { "update-ldcache", "--folder", "/x", "--folder", "/y,/z", "--ldconfig-path=/sbin/lc",
                          "--link", "a::b", NULL };
        strv_free(warnings);
        warnings = NULL;
        assert_int_equal(nvct_hook_args_parse(NVCT_HOOK_UPDATE_LDCACHE, 8, argv2, &a, &warnings, &err), 0);
        assert_int_equal(strv_length(a.folder), 3);
        assert_string_equal(a.folder[2], "/z");
        assert_string_equal(a.ldconfig_path, "/sbin/lc");
        assert_null(a.link);
        assert_int_equal(strv_length(warnings), 1);
        nvct_hook_args_done(&a);

        char *argv3[] = { "chmod", "--mode", "755", "--path", "/dev/dri", "--enable-deprecated", NULL };
        assert_int_equal(nvct_hook_args_parse(NVCT_HOOK_CHMOD, 6, argv3, &a, NULL, &err), 0);
        assert_true(a.enable_deprecated);
        assert_string_equal(a.mode, "755");
        nvct_hook_args_done(&a);

        char *argv4[] = { "chmod", "--enable-deprecated=maybe", NULL };
        assert_int_equal(nvct_hook_args_parse(NVCT_HOOK_CHMOD, 2, argv4, &a, NULL, &err), -EINVAL);
        char *argv5[] = { "enable-cuda-compat", "--host-driver-version", NULL };
        assert_int_equal(nvct_hook_args_parse(NVCT_HOOK_ENABLE_CUDA_COMPAT, 2, argv5, &a, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "needs a value"));
        char *argv6[] = { "noop", "-h", NULL };
        assert_int_equal(nvct_hook_args_parse(NVCT_HOOK_NOOP, 2, argv6, &a, NULL, &err), 0);
        assert_true(a.help);
        nvct_hook_args_done(&a);
}

/* ---- the container from the state ---- */

static void test_container_from_state(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        NvctHookContainer c = { 0 };
        char json[1024], bundle[256];

        /* crun: the state names the root */
        snprintf(json, sizeof(json), "{\"ociVersion\":\"1.0\",\"id\":\"t\",\"pid\":0,\"root\":\"%s\","
                                     "\"bundle\":\"/nonexistent\"}", root);
        assert_int_equal(nvct_hook_container_from_state(json, strlen(json), &c, &err), 0);
        assert_string_equal(c.rootfs, root);
        nvct_hook_container_done(&c);

        /* runc: root.path of config.json, relative to the bundle */
        snprintf(bundle, sizeof(bundle), "%s", base);
        assert_int_equal(sh("printf '%%s' '{\"ociVersion\":\"1.0.2\",\"process\":{},\"root\":{\"path\":\"root\"}}'"
                            " > %s/config.json", bundle), 0);
        snprintf(json, sizeof(json), "{\"ociVersion\":\"1.0.2\",\"id\":\"t\",\"pid\":1,\"bundle\":\"%s\"}", bundle);
        assert_int_equal(nvct_hook_container_from_state(json, strlen(json), &c, &err), 0);
        assert_int_equal(c.pid, 1);
        char expect[512];
        snprintf(expect, sizeof(expect), "%s/root", bundle);
        assert_string_equal(c.rootfs, expect);
        nvct_hook_container_done(&c);

        /* never the cwd: a relative or missing bundle is refused */
        const char *bad[] = {
                "{\"ociVersion\":\"1.0.2\",\"id\":\"t\",\"pid\":1,\"bundle\":\".\"}",
                "{\"ociVersion\":\"1.0.2\",\"id\":\"t\",\"pid\":1}",
                "{\"ociVersion\":\"1.0.2\",\"id\":\"t\",\"root\":\"rootfs\"}",
                "{\"ociVersion\":\"1.0.2\",\"id\":\"t\",\"root\":\"rootfs\",\"bundle\":\"b\"}",
                "[]",
                "",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                nvct_error_clear(&err);
                assert_true(nvct_hook_container_from_state(bad[i], strlen(bad[i]), &c, &err) < 0);
                assert_true(nvct_error_isset(&err));
        }

        /* from a pipe, bounded */
        int p[2];
        assert_int_equal(pipe(p), 0);
        snprintf(json, sizeof(json), "{\"ociVersion\":\"1.0\",\"id\":\"t\",\"root\":\"%s\"}", root);
        assert_int_equal(write(p[1], json, strlen(json)), (ssize_t) strlen(json));
        close(p[1]);
        assert_int_equal(nvct_hook_container_load(p[0], &c, &err), 0);
        close(p[0]);
        assert_string_equal(c.rootfs, root);
        nvct_hook_container_done(&c);
}

/* ---- create-symlinks ---- */

static void test_parse_link(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        char *t = NULL, *l = NULL;

        assert_int_equal(nvct_hook_parse_link("libcuda.so.1::/usr/lib/libcuda.so", &t, &l, &err), 0);
        assert_string_equal(t, "libcuda.so.1");
        assert_string_equal(l, "/usr/lib/libcuda.so");
        free(t);
        free(l);
        const char *bad[] = { "nolink", "::/x", "t::", "a::b::c", "" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(nvct_hook_parse_link(bad[i], &t, &l, &err), -EINVAL);
}

static void test_create_symlinks(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        char *specs[] = { "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so",
                          "../card0::/dev/dri/by-path/pci-0000:65:00.0-card",
                          "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so", NULL };

        assert_int_equal(nvct_hook_create_symlinks(root_fd, specs, &err), 2);
        assert_string_equal(link_of("usr/lib/x86_64-linux-gnu/libcuda.so"), "libcuda.so.1");
        assert_string_equal(link_of("dev/dri/by-path/pci-0000:65:00.0-card"), "../card0");
        /* again: already right, nothing to do */
        assert_int_equal(nvct_hook_create_symlinks(root_fd, specs, &err), 0);

        /* a wrong link and a planted file are replaced, never followed */
        assert_int_equal(sh("ln -sfn /etc/shadow %s/usr/lib/x86_64-linux-gnu/libcuda.so", root), 0);
        assert_int_equal(nvct_hook_create_symlinks(root_fd, specs, &err), 1);
        assert_string_equal(link_of("usr/lib/x86_64-linux-gnu/libcuda.so"), "libcuda.so.1");

        /* a directory at the link is refused */
        assert_int_equal(sh("mkdir -p %s/usr/lib/dir", root), 0);
        char *dir[] = { "x::/usr/lib/dir", NULL };
        assert_true(nvct_hook_create_symlinks(root_fd, dir, &err) < 0);
        assert_non_null(strstr(err.msg, "/usr/lib/dir"));
}

static void test_create_symlinks_hostile(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;

        /* link parents that point out of the root: absolute, and a .. chain */
        assert_int_equal(sh("ln -s %s %s/usr/lib64 && ln -s ../../../../../../../../%s %s/usr/lib32", outside, root,
                            outside, root), 0);
        char *specs[] = { "libcuda.so.1::/usr/lib64/libcuda.so", "libcuda.so.1::/usr/lib32/libcuda.so",
                          "x::/../../../escape", NULL };
        /* re-rooted, the parents dangle inside the root: refused, nothing created anywhere */
        assert_int_equal(nvct_hook_create_symlinks(root_fd, specs, &err), -ENOENT);
        assert_true(outside_empty());
        /* once the re-rooted directory exists, the links land there */
        assert_int_equal(sh("mkdir -p %s%s", root, outside), 0);
        assert_int_equal(nvct_hook_create_symlinks(root_fd, specs, &err), 2);
        assert_true(outside_empty());
        char rel[512];
        snprintf(rel, sizeof(rel), "%s/libcuda.so", outside + 1);
        assert_string_equal(link_of(rel), "libcuda.so.1");
        assert_string_equal(link_of("escape"), "x");

        /* a magic link parent is refused */
        assert_int_equal(sh("ln -s /proc/self/root/tmp %s/usr/magic", root), 0);
        char *magic[] = { "x::/usr/magic/y", NULL };
        assert_true(nvct_hook_create_symlinks(root_fd, magic, &err) < 0);
}

/* ---- ld.so.conf drop-ins ---- */

static void test_dropin(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_free_ char *path = NULL, *path2 = NULL;
        char *dirs[] = { "/usr/lib/x86_64-linux-gnu", "/usr/local/nvidia/lib64", NULL };

        assert_int_equal(nvct_hook_write_ldconf_dropin(root_fd, "00-nvcr", dirs, &path, &err), 0);
        assert_true(strneq(path, "/etc/ld.so.conf.d/00-nvcr-", 26));
        assert_string_equal(read_text(path + 1), "/usr/lib/x86_64-linux-gnu\n/usr/local/nvidia/lib64\n");
        /* the same content, the same name */
        assert_int_equal(nvct_hook_write_ldconf_dropin(root_fd, "00-nvcr", dirs, &path2, &err), 0);
        assert_string_equal(path, path2);
        assert_int_equal(sh("test $(ls %s/etc/ld.so.conf.d | wc -l) = 1", root), 0);

        char *bad[] = { "relative/dir", NULL }, *nl[] = { "/a\ninclude /proc", NULL };
        assert_int_equal(nvct_hook_write_ldconf_dropin(root_fd, "00-nvcr", bad, NULL, &err), -EINVAL);
        assert_int_equal(nvct_hook_write_ldconf_dropin(root_fd, "00-nvcr", nl, NULL, &err), -EINVAL);
        assert_int_equal(nvct_hook_write_ldconf_dropin(root_fd, "00-nvcr", NULL, NULL, &err), -EINVAL);
}

static void test_dropin_hostile(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_free_ char *path = NULL;
        char *dirs[] = { "/usr/lib64", NULL };

        /* /etc/ld.so.conf.d -> a .. chain out of the root: contained in the root's own dir */
        assert_int_equal(sh("ln -s ../../../../../../..%s %s/etc/ld.so.conf.d", outside, root), 0);
        assert_int_equal(nvct_hook_write_ldconf_dropin(root_fd, "00-nvcr", dirs, &path, &err), -ENOENT);
        assert_true(outside_empty());
        assert_int_equal(sh("mkdir -p %s%s", root, outside), 0);
        assert_int_equal(nvct_hook_write_ldconf_dropin(root_fd, "00-nvcr", dirs, &path, &err), 0);
        assert_true(outside_empty());
        char rel[512];
        snprintf(rel, sizeof(rel), "%s/%s", outside + 1, strrchr(path, '/') + 1);
        assert_string_equal(read_text(rel), "/usr/lib64\n");

        /* a symlink planted at the drop-in's own name is replaced, not written through */
        assert_int_equal(sh("rm %s/etc/ld.so.conf.d && mkdir %s/etc/ld.so.conf.d && ln -s %s/victim %s%s", root,
                            root, outside, root, path), 0);
        assert_int_equal(nvct_hook_write_ldconf_dropin(root_fd, "00-nvcr", dirs, NULL, &err), 0);
        assert_true(outside_empty());
        assert_null(link_of(path + 1));
        assert_string_equal(read_text(path + 1), "/usr/lib64\n");
}

static void test_ld_so_conf(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_hook_ensure_ld_so_conf(root_fd, &err), 1);
        assert_string_equal(read_text("etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n");
        assert_int_equal(nvct_hook_ensure_ld_so_conf(root_fd, &err), 0);
        /* a FIFO would hang ldconfig: refused at once */
        assert_int_equal(sh("rm %s/etc/ld.so.conf && mkfifo %s/etc/ld.so.conf", root, root), 0);
        assert_int_equal(nvct_hook_ensure_ld_so_conf(root_fd, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "not a regular file"));
        /* a dangling symlink is not created through */
        assert_int_equal(sh("rm %s/etc/ld.so.conf && ln -s %s/ldconf %s/etc/ld.so.conf", root, outside, root), 0);
        assert_true(nvct_hook_ensure_ld_so_conf(root_fd, &err) < 0);
        assert_true(outside_empty());
}

/* ---- enable-cuda-compat ---- */

static void test_cuda_compat(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        const char *compat = "usr/local/cuda/compat";

        assert_int_equal(nvct_hook_enable_cuda_compat(root_fd, "580.159.04", NULL, &err), 0); /* no dir */
        assert_int_equal(sh("mkdir -p %s/%s && touch %s/%s/libcuda.so.575.57.08 && ln -s libcuda.so.575.57.08 "
                            "%s/%s/libcuda.so.1", root, compat, root, compat, root, compat), 0);
        assert_int_equal(nvct_hook_compat_is_newer(root_fd, "/usr/local/cuda/compat", "580.159.04", &err), 0);
        assert_int_equal(nvct_hook_compat_is_newer(root_fd, "/usr/local/cuda/compat", "570.1", &err), 1);
        assert_int_equal(nvct_hook_enable_cuda_compat(root_fd, "580.159.04", NULL, &err), 0);
        assert_int_equal(sh("test ! -e %s/etc/ld.so.conf.d", root), 0);
        assert_int_equal(nvct_hook_enable_cuda_compat(root_fd, "570.86.15", NULL, &err), 1);
        assert_int_equal(sh("grep -qx /usr/local/cuda/compat %s/etc/ld.so.conf.d/00-compat-*.conf", root), 0);

        /* a custom root */
        assert_int_equal(sh("mkdir -p %s/opt/compat && touch %s/opt/compat/libcuda.so.999.1", root, root), 0);
        assert_int_equal(nvct_hook_enable_cuda_compat(root_fd, "580.159.04", "/opt/compat", &err), 1);
        assert_int_equal(sh("grep -qx /opt/compat %s/etc/ld.so.conf.d/00-compat-*.conf", root), 0);

        assert_int_equal(nvct_hook_enable_cuda_compat(root_fd, "garbage", NULL, &err), -EINVAL);
        assert_int_equal(nvct_hook_enable_cuda_compat(root_fd, "580", "relative", &err), -EINVAL);
}

static void test_cuda_compat_hostile(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;

        /* only regular files count: a symlink to /, a directory, a FIFO named like a newer libcuda */
        assert_int_equal(sh("mkdir -p %s/usr/local/cuda/compat && cd %s/usr/local/cuda/compat && ln -s / "
                            "libcuda.so.999.1 && mkdir libcuda.so.998.1 && mkfifo libcuda.so.997.1", root, root), 0);
        assert_int_equal(nvct_hook_compat_is_newer(root_fd, "/usr/local/cuda/compat", "580.1", &err), 0);
        /* the compat dir itself pointing at the host: re-rooted, the host's files never seen */
        assert_int_equal(sh("touch %s/libcuda.so.999.1 && rm -rf %s/usr/local/cuda/compat && ln -s %s "
                            "%s/usr/local/cuda/compat", outside, root, outside, root), 0);
        assert_int_equal(nvct_hook_compat_is_newer(root_fd, "/usr/local/cuda/compat", "580.1", &err), 0);
        assert_int_equal(sh("rm %s/libcuda.so.999.1 && rm %s/usr/local/cuda/compat && ln -s ../../../../.. "
                            "%s/usr/local/cuda/compat && touch %s/libcuda.so.999.2", outside, root, root, root), 0);
        /* ".." clamps at the root: the root's own (regular) file counts, nothing outside is read */
        assert_int_equal(nvct_hook_compat_is_newer(root_fd, "/usr/local/cuda/compat", "580.1", &err), 1);
}

/* ---- update-application-profile ---- */

static void test_application_profile(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        uint64_t mask = 0;
        _cleanup_free_ char *text = nvct_hook_application_profile_text(0x5);

        assert_string_equal(text, "{\"profiles\":[{\"name\":\"_container_\",\"settings\":[\"EGLVisibleDGPUDevices\","
                                  "0x5]}],\"rules\":[{\"pattern\":[],\"profile\":\"_container_\"}]}\n");
        assert_int_equal(sh("mknod %s/dev/nvidia0 c 195 0 && mknod %s/dev/nvidia2 c 195 2 && mknod "
                            "%s/dev/nvidiactl c 195 255 && mknod %s/dev/nvidia7 c 1 3 && touch %s/dev/nvidia3 && "
                            "ln -s /dev/nvidia0 %s/dev/nvidia4", root, root, root, root, root, root), 0);
        assert_int_equal(nvct_hook_gpu_minor_mask(root_fd, &mask, &err), 0);
        assert_int_equal(mask, 0x5);

        /* no graphics configs: nothing written */
        assert_int_equal(nvct_hook_update_application_profile(root_fd, &err), 0);
        assert_int_equal(sh("test ! -e %s/etc/nvidia", root), 0);
        assert_int_equal(sh("mkdir -p %s/usr/share/glvnd/egl_vendor.d && touch "
                            "%s/usr/share/glvnd/egl_vendor.d/10_nvidia.json", root, root), 0);
        assert_int_equal(nvct_hook_update_application_profile(root_fd, &err), 1);
        assert_string_equal(read_text("etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf"), text);

        /* /etc/nvidia pointing out of the root: contained */
        assert_int_equal(sh("rm -rf %s/etc/nvidia && ln -s %s %s/etc/nvidia", root, outside, root), 0);
        assert_int_equal(nvct_hook_update_application_profile(root_fd, &err), -ENOENT);
        assert_int_equal(sh("mkdir -p %s%s", root, outside), 0);
        assert_int_equal(nvct_hook_update_application_profile(root_fd, &err), 1);
        char rel[512];
        snprintf(rel, sizeof(rel), "%s/nvidia-application-profiles-rc.d/10-container.conf", outside + 1);
        assert_string_equal(read_text(rel), text);
        assert_true(outside_empty());
}

/* ---- chmod ---- */

static void test_chmod(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        struct stat st;
        mode_t m;
        char p[512];

        assert_int_equal(nvct_hook_parse_mode("755", &m, &err), 0);
        assert_int_equal(m, 0755);
        assert_int_equal(nvct_hook_parse_mode("0750", &m, &err), 0);
        assert_int_equal(m, 0750);
        const char *bad[] = { "", "8", "rwx", "77777", "010000", "-1", "7 5" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(nvct_hook_parse_mode(bad[i], &m, &err), -EINVAL);

        assert_int_equal(sh("mkdir -m 700 %s/dev/dri && chmod 600 %s/canary", root, base), 0);
        char *paths[] = { "/dev/dri", "/dev/missing", NULL };
        assert_int_equal(nvct_hook_chmod(root_fd, 0755, paths, &err), 1);
        snprintf(p, sizeof(p), "%s/dev/dri", root);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);

        /* a final symlink (even one that leads outside) is refused, its target untouched */
        assert_int_equal(sh("ln -s %s/canary %s/dev/link", base, root), 0);
        char *link[] = { "/dev/link", NULL };
        assert_int_equal(nvct_hook_chmod(root_fd, 0777, link, &err), -ELOOP);
        snprintf(p, sizeof(p), "%s/canary", base);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        /* a parent that points out of the root is re-rooted */
        assert_int_equal(sh("ln -s %s %s/dev/out", base, root), 0);
        char *through[] = { "/dev/out/canary", NULL };
        assert_int_equal(nvct_hook_chmod(root_fd, 0777, through, &err), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
}

/* ---- disable-device-node-modification ---- */

static void test_params_refused(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        const char *on = "Modify\nModifyDeviceFiles: 1\nDeviceFileMode: 438\n";

        /* the driver does not modify device files: nothing to do, whatever the container looks like */
        assert_int_equal(nvct_hook_disable_device_node_modification(root_fd, "ModifyDeviceFiles: 0\n", &err), 0);
        assert_int_equal(nvct_hook_disable_device_node_modification(root_fd, NULL, &err), 0);
        /* no /proc, a plain directory, a symlink (into the host) */
        assert_true(nvct_hook_disable_device_node_modification(root_fd, on, &err) < 0);
        assert_int_equal(sh("mkdir -p %s/proc/driver/nvidia && echo 'ModifyDeviceFiles: 1' > "
                            "%s/proc/driver/nvidia/params", root, root), 0);
        assert_int_equal(nvct_hook_disable_device_node_modification(root_fd, on, &err), -EXDEV);
        assert_non_null(strstr(err.msg, "not procfs"));
        assert_int_equal(sh("rm -rf %s/proc && ln -s /proc %s/proc", root, root), 0);
        int r = nvct_hook_disable_device_node_modification(root_fd, on, &err);
        assert_true(r == -ELOOP || r == -ENOTDIR);
        assert_non_null(strstr(err.msg, "container /proc"));
}

/* In a private mount namespace: procfs at <root>/proc, and a tmpfs driver view with ModifyDeviceFiles: 1. */
static int params_child(void) {
        NvctError err = NVCT_ERROR_INIT;
        const char *host = "Modify\nModifyDeviceFiles: 1\nDeviceFileMode: 438\n";
        char p[512];

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 10;
        /* as the hook does: open the root inside the namespace, or its mounts stay invisible through the fd */
        close(root_fd);
        if (rootfs_open_root(root, &root_fd, &err) < 0)
                return 10;
        snprintf(p, sizeof(p), "%s/proc", root);
        if (mkdir(p, 0555) < 0 || mount("proc", p, "proc", 0, NULL) < 0)
                return 11;
        /* real procfs without a driver: nothing to cover */
        if (nvct_hook_disable_device_node_modification(root_fd, host, &err) != 0) {
                fprintf(stderr, "# %s\n", err.msg);
                return 12;
        }
        snprintf(p, sizeof(p), "%s/proc/driver", root);
        if (mount("tmpfs", p, "tmpfs", 0, "mode=0755") < 0 ||
            sh("mkdir %s/proc/driver/nvidia && printf 'ModifyDeviceFiles: 1\\n' > %s/proc/driver/nvidia/params", root,
               root) != 0)
                return 13;
        if (nvct_hook_disable_device_node_modification(root_fd, host, &err) != 1) {
                fprintf(stderr, "# %s\n", err.msg);
                return 14;
        }
        const char *now = read_text("proc/driver/nvidia/params");
        if (!now || !streq(now, "Modify\nModifyDeviceFiles: 0\nDeviceFileMode: 438\n"))
                return 15;
        snprintf(p, sizeof(p), "%s/proc/driver/nvidia/params", root);
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd >= 0 || errno != EROFS)
                return 16;
        /* the scratch directory is gone */
        if (sh("test -z \"$(ls -A %s | grep nvct)\"", root) != 0)
                return 17;
        /* once covered, a second run sees 0 and does nothing */
        if (nvct_hook_disable_device_node_modification(root_fd, host, &err) != 0)
                return 18;
        return 0;
}

static void test_params_cover(void **state _unused_) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(params_child());
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- update-ldcache ---- */

static void test_update_ldcache(void **state _unused_) {
        NvctError err = NVCT_ERROR_INIT;
        char *folders[] = { "/usr/lib/x86_64-linux-gnu", NULL };
        char victim[256];

        if (access("/sbin/ldconfig", X_OK) != 0)
                skip();
        assert_int_equal(sh("mkdir -p %s/usr/lib/x86_64-linux-gnu && cp /lib/x86_64-linux-gnu/libc.so.6 "
                            "%s/usr/lib/x86_64-linux-gnu/", root, root), 0);
        /* the image aims ld.so.cache at a host file (CVE-2025-23267); the sandbox writes inside the root */
        snprintf(victim, sizeof(victim), "%s/../canary", outside);
        assert_int_equal(sh("ln -s /proc/1/root%s %s/etc/ld.so.cache", victim, root), 0);
        NvctHookLdcacheArgs a = {
                .rootfs = root, .root_fd = root_fd, .folders = folders, .ldconfig_path = "/sbin/ldconfig",
                .log_fd = -1,
        };
        int r = nvct_hook_update_ldcache(&a, &err);
        if (r < 0)
                fail_msg("update-ldcache: %s", err.msg);
        assert_int_equal(sh("grep -qx canary %s", victim), 0);
        assert_int_equal(sh("test -f %s/etc/ld.so.cache && ! test -L %s/etc/ld.so.cache", root, root), 0);
        assert_int_equal(sh("grep -q libc.so.6 %s/etc/ld.so.cache", root), 0);
        assert_int_equal(sh("grep -qx /usr/lib/x86_64-linux-gnu %s/etc/ld.so.conf.d/00-nvcr-*.conf", root), 0);
        assert_non_null(read_text("etc/ld.so.conf"));

        NvctHookLdcacheArgs rel = a;
        rel.ldconfig_path = "sbin/ldconfig";
        assert_int_equal(nvct_hook_update_ldcache(&rel, &err), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_args),
                cmocka_unit_test_setup_teardown(test_container_from_state, setup, teardown),
                cmocka_unit_test(test_parse_link),
                cmocka_unit_test_setup_teardown(test_create_symlinks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_create_symlinks_hostile, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropin, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropin_hostile, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ld_so_conf, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cuda_compat, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cuda_compat_hostile, setup, teardown),
                cmocka_unit_test_setup_teardown(test_application_profile, setup, teardown),
                cmocka_unit_test_setup_teardown(test_chmod, setup, teardown),
                cmocka_unit_test_setup_teardown(test_params_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_params_cover, setup, teardown),
                cmocka_unit_test_setup_teardown(test_update_ldcache, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
