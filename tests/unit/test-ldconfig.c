/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ldconfig.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu"
static char *host_ldconfig; /* the host's real ldconfig binary, as the hook would pick it */
#define HOST_LDCONFIG host_ldconfig

static char base[64];      /* everything this test creates lives here */
static bool have_tools;

/* ---- helpers ---- */

static void die_if(bool cond, const char *what) {
        if (cond)
                fail_msg("%s: %s", what, strerror(errno));
}

static void write_text(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        die_if(fd < 0, path);
        die_if(write(fd, text, strlen(text)) != (ssize_t) strlen(text), path);
        close(fd);
}

static char *read_text(const char *path) {
        static char buf[65536];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        ssize_t k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k < 0)
                return NULL;
        buf[k] = '\0';
        return buf;
}

static int sh(const char *fmt, ...) _printf_(1, 2);
static int sh(const char *fmt, ...) {
        char cmd[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        int r = system(cmd);
        return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char probe_src[] =
        "#include <dirent.h>\n#include <errno.h>\n#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n"
        "#include <sys/socket.h>\n#include <sys/stat.h>\n#include <sys/syscall.h>\n#include <linux/capability.h>\n"
        "extern char **environ;\n"
        "static void check(int ok, const char *what) { printf(\"%s %s\\n\", ok ? \"ok\" : \"fail\", what); }\n"
        "int main(int argc, char **argv) {\n"
        "  struct stat st; struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };\n"
        "  struct __user_cap_data_struct d[2] = {{0}};\n"
        "  check(getpid() == 1, \"pid-namespace\");\n"
        "  check(getuid() == EXPECT_UID && geteuid() == EXPECT_UID && getgid() == EXPECT_UID, \"uid\");\n"
        "  check(environ[0] == NULL, \"empty-env\");\n"
        "  check(argc == 7 && !strcmp(argv[1], \"-f\") && !strcmp(argv[2], \"/etc/ld.so.conf\") &&\n"
        "        !strcmp(argv[3], \"-C\") && !strcmp(argv[4], \"/etc/ld.so.cache\") &&\n"
        "        !strcmp(argv[5], \"/usr/lib/x86_64-linux-gnu\") && !strcmp(argv[6], \"/opt/lib\"), \"argv\");\n"
        "  check(stat(\"/nvct-marker\", &st) == 0, \"sees-rootfs\");\n"
        "  check(stat(HOST_PATH, &st) < 0 && errno == ENOENT, \"host-hidden\");\n"
        "  check(stat(\"/proc/self\", &st) < 0 && errno == ENOENT, \"proc-empty\");\n"
        "  DIR *dd = opendir(\"/dev\"); int n = 0; struct dirent *e;\n"
        "  while (dd && (e = readdir(dd))) if (e->d_name[0] != '.') n++;\n"
        "  check(dd && n == 0, \"dev-empty\");\n"
        "  check(mkdir(\"/dev/x\", 0755) < 0 && errno == EROFS, \"dev-readonly\");\n"
        "  check(socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EPERM, \"seccomp\");\n"
        "  check(syscall(SYS_capget, &h, d) == 0 && d[0].effective == EXPECT_CAPS && d[1].effective == 0 &&\n"
        "        d[0].inheritable == 0, \"caps\");\n"
        "  return 0;\n}\n";

static void build_static(const char *name, const char *src, const char *defs) {
        char c[128];
        snprintf(c, sizeof(c), "%s/%s.c", base, name);
        write_text(c, src);
        if (sh("gcc -static -O1 %s -o %s/%s %s 2>/dev/null", defs, base, name, c) != 0)
                have_tools = false;
}

static int setup(void **state) {
        (void) state;
        strcpy(base, "/tmp/nvct-ldconfig-test.XXXXXX");
        die_if(!mkdtemp(base), "mkdtemp");
        NvctError err = NVCT_ERROR_INIT;
        if (nvct_ldconfig_resolve_host("@/sbin/ldconfig", false, &host_ldconfig, &err) < 0)
                return -1;
        have_tools = geteuid() == 0 && access(HOST_LDCONFIG, X_OK) == 0 && sh("gcc --version >/dev/null 2>&1") == 0;
        if (!have_tools)
                return 0;
        char defs[512];
        build_static("sleeper", "#include <unistd.h>\nint main(void) { for (;;) sleep(1); }\n", "");
        build_static("exit3", "int main(void) { return 3; }\n", "");
        build_static("segv", "int main(void) { *(volatile int *) 0 = 1; return 0; }\n", "");
        snprintf(defs, sizeof(defs), "-DEXPECT_UID=65534 -DEXPECT_CAPS=0 -DHOST_PATH='\"%s\"'", base);
        build_static("probe-user", probe_src, defs);
        snprintf(defs, sizeof(defs), "-DEXPECT_UID=0 -DEXPECT_CAPS='(1u<<CAP_DAC_OVERRIDE)' -DHOST_PATH='\"%s\"'",
                 base);
        build_static("probe-root", probe_src, defs);
        if (sh("echo 'int nvct_test(void){return 1;}' > %s/t.c && "
               "gcc -shared -fPIC -Wl,-soname,libnvcttest.so.1 -o %s/libnvcttest.so.1.0 %s/t.c && "
               "gcc -shared -fPIC -Wl,-soname,libnvctopt.so.2 -o %s/libnvctopt.so.2.5 %s/t.c",
               base, base, base, base, base) != 0)
                have_tools = false;
        return 0;
}

static int teardown(void **state) {
        (void) state;
        if (base[0] && strneq(base, "/tmp/nvct-ldconfig-test.", 24))
                sh("rm -rf '%s'", base);
        free(host_ldconfig);
        return 0;
}

/* A small rootfs: glibc, a test library in LIBDIR and one in /opt/lib (via ld.so.conf.d). */
static void make_rootfs(char *out, size_t size, const char *name) {
        snprintf(out, size, "%s/roots/%s", base, name);
        assert_int_equal(sh("mkdir -p %s/etc/ld.so.conf.d %s%s %s/opt/lib %s/proc %s/sys %s/dev && "
                            "cp /lib/x86_64-linux-gnu/libc.so.6 %s/libnvcttest.so.1.0 %s%s/ && "
                            "cp %s/libnvctopt.so.2.5 %s/opt/lib/ && touch %s/nvct-marker",
                            out, out, LIBDIR, out, out, out, out, base, out, LIBDIR, base, out, out),
                         0);
        char p[256];
        snprintf(p, sizeof(p), "%s/etc/ld.so.conf", out);
        write_text(p, "include /etc/ld.so.conf.d/*.conf\n");
        snprintf(p, sizeof(p), "%s/etc/ld.so.conf.d/opt.conf", out);
        write_text(p, "/opt/lib\n");
}

typedef struct Result {
        int r;
        int leftover_children;
        int64_t elapsed_ms;
        char msg[1024];
} Result;

/*
 * Run in a forked child with its own mount namespace, as the hook does from the container's. With own_ns the
 * namespace is also passed as mntns_fd, so the setns path runs.
 */
static Result run_isolated_proc(NvctLdconfigRun run, bool own_ns, bool mount_proc) {
        Result res = { .r = -1 };
        int p[2];
        _cleanup_free_ char *before = NULL;

        before = strdup(read_text("/proc/self/mountinfo"));
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        int64_t t0 = now_ms();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                Result c = {};
                NvctError err = NVCT_ERROR_INIT;
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(2);
                char procdir[256];
                snprintf(procdir, sizeof(procdir), "%s/proc", run.rootfs);
                /* like a container whose /proc is mounted: there /proc/1/root is the host's root */
                if (mount_proc && mount("proc", procdir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        _exit(4);
                if (own_ns)
                        run.mntns_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
                c.r = nvct_ldconfig_run(&run, &err);
                snprintf(c.msg, sizeof(c.msg), "%s", err.msg);
                c.leftover_children = !(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
                _exit(write(p[1], &c, sizeof(c)) == (ssize_t) sizeof(c) ? 0 : 3);
        }
        close(p[1]);
        ssize_t k = read(p[0], &res, sizeof(res));
        close(p[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(k, (ssize_t) sizeof(res));
        res.elapsed_ms = now_ms() - t0;
        assert_int_equal(res.leftover_children, 0);
        assert_string_equal(before, read_text("/proc/self/mountinfo")); /* no mount leaked into our namespace */
        return res;
}

static Result run_isolated(NvctLdconfigRun run, bool own_ns) {
        return run_isolated_proc(run, own_ns, false);
}

static NvctLdconfigRun default_run(const char *rootfs, char **dirs) {
        return (NvctLdconfigRun) { .mntns_fd = -1, .rootfs = rootfs, .ldconfig_path = HOST_LDCONFIG, .dirs = dirs,
                                   .uid = 0, .gid = 0, .log_fd = -1, .timeout_ms = 10000 };
}

#define REQUIRE_TOOLS()                                                                                                \
        do {                                                                                                           \
                if (!have_tools)                                                                                       \
                        skip();                                                                                        \
        } while (0)

static void assert_cache_lists(const char *rootfs, const char *lib) {
        char cmd[512], line[512];
        bool found = false;
        snprintf(cmd, sizeof(cmd), "%s -p -C %s/etc/ld.so.cache 2>&1", HOST_LDCONFIG, rootfs);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (strstr(line, lib))
                        found = true;
        pclose(f);
        if (!found)
                fail_msg("%s not in %s/etc/ld.so.cache", lib, rootfs);
}

/* ---- tests ---- */

static void test_builds_cache(void **state) {
        (void) state;
        char rootfs[128], link[256], target[64] = "";
        char *dirs[] = { (char *) LIBDIR, NULL };
        REQUIRE_TOOLS();
        make_rootfs(rootfs, sizeof(rootfs), "plain");

        Result res = run_isolated(default_run(rootfs, dirs), false);
        if (res.r < 0)
                fail_msg("%s", res.msg);
        assert_cache_lists(rootfs, "libnvcttest.so.1 ");
        assert_cache_lists(rootfs, "libnvctopt.so.2 "); /* from ld.so.conf.d */
        snprintf(link, sizeof(link), "%s%s/libnvcttest.so.1", rootfs, LIBDIR);
        assert_true(readlink(link, target, sizeof(target) - 1) > 0);
        assert_string_equal(target, "libnvcttest.so.1.0");
}

static void test_setns_and_no_pivot(void **state) {
        (void) state;
        char rootfs[128];
        char *dirs[] = { (char *) LIBDIR, NULL };
        REQUIRE_TOOLS();
        make_rootfs(rootfs, sizeof(rootfs), "nopivot");

        NvctLdconfigRun run = default_run(rootfs, dirs);
        run.no_pivot = true;
        Result res = run_isolated(run, true);
        if (res.r < 0)
                fail_msg("%s", res.msg);
        assert_cache_lists(rootfs, "libnvcttest.so.1 ");
}

static void probe(const char *prog, uid_t uid) {
        char rootfs[128], exe[128], logp[128];
        char *dirs[] = { (char *) LIBDIR, (char *) "/opt/lib", NULL };
        make_rootfs(rootfs, sizeof(rootfs), prog);
        snprintf(exe, sizeof(exe), "%s/%s", base, prog);
        snprintf(logp, sizeof(logp), "%s/%s.log", base, prog);
        int log_fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(log_fd >= 0);

        NvctLdconfigRun run = default_run(rootfs, dirs);
        run.ldconfig_path = exe;
        run.uid = uid;
        run.gid = (gid_t) uid;
        run.log_fd = log_fd;
        Result res = run_isolated_proc(run, false, true);
        close(log_fd);
        const char *out = read_text(logp);
        if (res.r < 0)
                fail_msg("%s\n%s", res.msg, out ? out : "");
        assert_non_null(out);
        if (strstr(out, "fail "))
                fail_msg("sandbox probe:\n%s", out);
        int oks = 0;
        for (const char *p = out; (p = strstr(p, "ok ")); p += 3)
                oks++;
        assert_int_equal(oks, 11);
}

static void test_sandbox_as_user(void **state) {
        (void) state;
        REQUIRE_TOOLS();
        probe("probe-user", 65534);
}

static void test_sandbox_as_root(void **state) {
        (void) state;
        REQUIRE_TOOLS();
        probe("probe-root", 0);
}

static void canary(char *out, size_t size, const char *name) {
        snprintf(out, size, "%s/%s", base, name);
        write_text(out, "canary\n");
}

/*
 * Hostile #4: with the container's /proc mounted, ld.so.cache, its temporary name and a library directory point
 * at host paths through /proc/1/root, or directly by absolute path.
 */
static void test_hostile_cache_symlinks(void **state) {
        (void) state;
        char rootfs[128], c1[128], c2[128], hostdir[128], link[256], target[256];
        char *dirs[] = { (char *) LIBDIR, NULL };
        REQUIRE_TOOLS();

        canary(c1, sizeof(c1), "canary-cache");
        canary(c2, sizeof(c2), "canary-tmp");
        /* a host directory holding a library without its soname link: ldconfig would create one there */
        snprintf(hostdir, sizeof(hostdir), "%s/hostdir", base);
        assert_int_equal(sh("mkdir -p %s && cp %s/libnvctopt.so.2.5 %s/", hostdir, base, hostdir), 0);
        for (int i = 0; i < 2; i++) {
                const char *via = i == 0 ? "/proc/1/root" : "";
                make_rootfs(rootfs, sizeof(rootfs), i == 0 ? "hostile-proc" : "hostile-abs");
                snprintf(link, sizeof(link), "%s/etc/ld.so.cache", rootfs);
                snprintf(target, sizeof(target), "%s%s", via, c1);
                assert_int_equal(symlink(target, link), 0);
                snprintf(link, sizeof(link), "%s/etc/ld.so.cache~", rootfs);
                snprintf(target, sizeof(target), "%s%s", via, c2);
                assert_int_equal(symlink(target, link), 0);
                snprintf(link, sizeof(link), "%s/hostile", rootfs);
                snprintf(target, sizeof(target), "%s%s", via, hostdir);
                assert_int_equal(symlink(target, link), 0);
                snprintf(link, sizeof(link), "%s/etc/ld.so.conf.d/hostile.conf", rootfs);
                write_text(link, "/hostile\n");

                Result res = run_isolated_proc(default_run(rootfs, dirs), false, true);
                (void) res; /* success (the links replaced) or failure are both fine; the host is what matters */
        }
        assert_string_equal(read_text(c1), "canary\n");
        assert_string_equal(read_text(c2), "canary\n");
        char soname[256];
        struct stat st;
        snprintf(soname, sizeof(soname), "%s/libnvctopt.so.2", hostdir);
        assert_int_equal(lstat(soname, &st), -1);
}

/* Hostile #6: /etc/ld.so.conf is a FIFO; refused at once rather than blocking. */
static void test_fifo_conf(void **state) {
        (void) state;
        char rootfs[128], p[256];
        char *dirs[] = { (char *) LIBDIR, NULL };
        REQUIRE_TOOLS();
        make_rootfs(rootfs, sizeof(rootfs), "fifo-conf");
        snprintf(p, sizeof(p), "%s/etc/ld.so.conf", rootfs);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkfifo(p, 0644), 0);

        NvctLdconfigRun run = default_run(rootfs, dirs);
        run.timeout_ms = 5000;
        Result res = run_isolated(run, false);
        assert_int_equal(res.r, -EINVAL);
        assert_non_null(strstr(res.msg, "/etc/ld.so.conf is not a regular file"));
        assert_true(res.elapsed_ms < 4000);
}

/* A FIFO among the included files does block ldconfig: the timeout must end it. */
static void test_fifo_include_times_out(void **state) {
        (void) state;
        char rootfs[128], p[256];
        char *dirs[] = { (char *) LIBDIR, NULL };
        REQUIRE_TOOLS();
        make_rootfs(rootfs, sizeof(rootfs), "fifo-include");
        snprintf(p, sizeof(p), "%s/etc/ld.so.conf.d/zz.conf", rootfs);
        assert_int_equal(mkfifo(p, 0644), 0);

        NvctLdconfigRun run = default_run(rootfs, dirs);
        run.timeout_ms = 300;
        Result res = run_isolated(run, false);
        assert_int_equal(res.r, -ETIMEDOUT);
        assert_true(res.elapsed_ms < 3000);
}

static void test_timeout_kills(void **state) {
        (void) state;
        char rootfs[128], exe[128];
        REQUIRE_TOOLS();
        make_rootfs(rootfs, sizeof(rootfs), "sleeper");
        snprintf(exe, sizeof(exe), "%s/sleeper", base);

        NvctLdconfigRun run = default_run(rootfs, NULL);
        run.ldconfig_path = exe;
        run.timeout_ms = 200;
        Result res = run_isolated(run, false);
        assert_int_equal(res.r, -ETIMEDOUT);
        assert_non_null(strstr(res.msg, "timed out after 200 ms and was killed"));
        assert_true(res.elapsed_ms >= 200 && res.elapsed_ms < 2000);
}

static void test_exit_status_and_signal(void **state) {
        (void) state;
        char rootfs[128], exe[128];
        REQUIRE_TOOLS();
        make_rootfs(rootfs, sizeof(rootfs), "status");

        NvctLdconfigRun run = default_run(rootfs, NULL);
        snprintf(exe, sizeof(exe), "%s/exit3", base);
        run.ldconfig_path = exe;
        Result res = run_isolated(run, false);
        assert_int_equal(res.r, -EIO);
        assert_non_null(strstr(res.msg, "ldconfig exited with status 3"));

        snprintf(exe, sizeof(exe), "%s/segv", base);
        res = run_isolated(run, false);
        assert_int_equal(res.r, -EIO);
        assert_non_null(strstr(res.msg, "ldconfig killed by signal 11"));
}

static void test_refused_binaries(void **state) {
        (void) state;
        char rootfs[128];
        REQUIRE_TOOLS();
        make_rootfs(rootfs, sizeof(rootfs), "refused");
        NvctLdconfigRun run = default_run(rootfs, NULL);
        NvctError err = NVCT_ERROR_INIT;

        run.ldconfig_path = "/nonexistent/sbin/ldconfig";
        assert_int_equal(nvct_ldconfig_run(&run, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "/nonexistent/sbin/ldconfig"));

        run.ldconfig_path = "@/sbin/ldconfig";
        assert_int_equal(nvct_ldconfig_run(&run, &err), -EINVAL);
        run.ldconfig_path = "sbin/ldconfig";
        assert_int_equal(nvct_ldconfig_run(&run, &err), -EINVAL);

        /* a dynamic binary would pull the image's ld.so in, a script the image's shell */
        run.ldconfig_path = "/bin/true";
        assert_int_equal(nvct_ldconfig_run(&run, &err), -ENOEXEC);
        assert_non_null(strstr(err.msg, "dynamically linked"));
        run.ldconfig_path = "/usr/bin/ldd";
        assert_int_equal(nvct_ldconfig_run(&run, &err), -ENOEXEC);
        assert_non_null(strstr(err.msg, "not an ELF"));

        char *bad_dirs[] = { (char *) "usr/lib", NULL };
        run = default_run(rootfs, bad_dirs);
        assert_int_equal(nvct_ldconfig_run(&run, &err), -EINVAL);
        run = default_run("/", NULL);
        assert_int_equal(nvct_ldconfig_run(&run, &err), -EINVAL);
}

static void test_resolve_host(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        char *p = NULL, path[256], at[260];

        snprintf(path, sizeof(path), "%s/ldc", base);
        write_text(path, "");
        snprintf(at, sizeof(at), "@%s", path);
        assert_int_equal(nvct_ldconfig_resolve_host(at, false, &p, &err), 0);
        assert_string_equal(p, path);
        free(p);

        snprintf(path, sizeof(path), "%s/ldc.real", base);
        write_text(path, "");
        assert_int_equal(nvct_ldconfig_resolve_host(at, false, &p, &err), 0);
        assert_string_equal(p, path); /* the .real binary wins over a wrapper */
        free(p);

        assert_int_equal(nvct_ldconfig_resolve_host("/sbin/ldconfig", false, &p, &err), -EPERM);
        assert_non_null(strstr(err.msg, "features.allow-ldconfig-from-container"));
        assert_int_equal(nvct_ldconfig_resolve_host("/sbin/ldconfig", true, &p, &err), 1);
        assert_string_equal(p, "/sbin/ldconfig");
        free(p);
        assert_int_equal(nvct_ldconfig_resolve_host("@sbin/ldconfig", false, &p, &err), -EINVAL);
        assert_int_equal(nvct_ldconfig_resolve_host("", false, &p, &err), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_resolve_host),
                cmocka_unit_test(test_builds_cache),
                cmocka_unit_test(test_setns_and_no_pivot),
                cmocka_unit_test(test_sandbox_as_user),
                cmocka_unit_test(test_sandbox_as_root),
                cmocka_unit_test(test_hostile_cache_symlinks),
                cmocka_unit_test(test_fifo_conf),
                cmocka_unit_test(test_fifo_include_times_out),
                cmocka_unit_test(test_timeout_kills),
                cmocka_unit_test(test_exit_status_and_signal),
                cmocka_unit_test(test_refused_binaries),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
