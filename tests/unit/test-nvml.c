/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nvml-abi.h"
#include "nvml.h"

/* A temporary driver root holding the fake NVML at /usr/lib64/libnvidia-ml.so.1 and its script. */
typedef struct Root {
        char dir[64];
        char lib_dir[128];
} Root;

static void die_if(bool cond, const char *what) {
        if (cond)
                fail_msg("%s: %s", what, strerror(errno));
}

static void path_of(char *buf, size_t size, const Root *root, const char *rel) {
        snprintf(buf, size, "%s/%s", root->dir, rel);
}

static void write_text(const char *path, const char *text, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        die_if(fd < 0, path);
        size_t len = strlen(text);
        die_if(write(fd, text, len) != (ssize_t) len, path);
        die_if(fchmod(fd, mode) < 0, path);
        close(fd);
}

static void copy_file(const char *from, const char *to) {
        int in = open(from, O_RDONLY | O_CLOEXEC);
        die_if(in < 0, from);
        int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        die_if(out < 0, to);
        char buf[65536];
        ssize_t k;
        while ((k = read(in, buf, sizeof buf)) > 0)
                die_if(write(out, buf, (size_t) k) != k, to);
        die_if(k < 0, from);
        die_if(fchmod(out, 0644) < 0, to);
        close(in);
        close(out);
}

/* The fake libraries are built next to this test binary. */
static void fake_lib_path(char *buf, size_t size, bool minimal) {
        char exe[PATH_MAX];
        ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
        die_if(k < 0, "/proc/self/exe");
        exe[k] = '\0';
        *strrchr(exe, '/') = '\0';
        snprintf(buf, size, "%s/libfake-nvml-test%s.so", exe, minimal ? "-min" : "");
}

static void mkdir_in(const Root *root, const char *rel) {
        char p[PATH_MAX];
        path_of(p, sizeof p, root, rel);
        die_if(mkdir(p, 0755) < 0 && errno != EEXIST, p);
        die_if(chmod(p, 0755) < 0, p);
}

static void root_script(const Root *root, const char *script) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/fake-nvml.conf", root->lib_dir);
        write_text(p, script, 0644);
}

/* Roots still on disk, removed by the group teardown when a failed assertion skipped root_cleanup(). */
static char live_roots[16][64];

static void make_temp_root(Root *root) {
        snprintf(root->dir, sizeof root->dir, "/tmp/nvct-nvml-XXXXXX");
        die_if(!mkdtemp(root->dir), "mkdtemp");
        for (size_t i = 0; i < ELEMENTSOF(live_roots); i++)
                if (!live_roots[i][0]) {
                        snprintf(live_roots[i], sizeof live_roots[i], "%s", root->dir);
                        return;
                }
        fail_msg("too many temporary roots");
}

static void root_setup(Root *root, const char *script, bool minimal) {
        make_temp_root(root);
        /* The helper may run as nobody: it must be able to reach the script. */
        die_if(chmod(root->dir, 0755) < 0, root->dir);
        mkdir_in(root, "usr");
        mkdir_in(root, "usr/lib64");
        snprintf(root->lib_dir, sizeof root->lib_dir, "%s/usr/lib64", root->dir);
        char lib[PATH_MAX], dst[PATH_MAX];
        fake_lib_path(lib, sizeof lib, minimal);
        path_of(dst, sizeof dst, root, "usr/lib64/libnvidia-ml.so.1");
        copy_file(lib, dst);
        root_script(root, script);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f) {
        (void) st, (void) type, (void) f;
        return remove(p);
}

static void root_cleanup(Root *root) {
        if (root->dir[0])
                assert_int_equal(nftw(root->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
        for (size_t i = 0; i < ELEMENTSOF(live_roots); i++)
                if (streq(live_roots[i], root->dir))
                        live_roots[i][0] = '\0';
        root->dir[0] = '\0';
}

static int remove_live_roots(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(live_roots); i++)
                if (live_roots[i][0])
                        (void) nftw(live_roots[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static NvctRoots roots_of(const Root *root) {
        return (NvctRoots) { .driver_root = root->dir, .dev_root = root->dir, .proc_root = "/proc",
                             .sys_root = "/sys", .ldcache = "/etc/ld.so.cache", .ipc_root = root->dir };
}

static NvctDiscoverOptions opts_default(unsigned timeout_ms) {
        return (NvctDiscoverOptions) { .nvml_timeout_ms = timeout_ms, .nvml_uid = (uid_t) -1,
                                       .nvml_gid = (gid_t) -1 };
}

static NvctDriver *drv_new(const char *version) {
        NvctDriver *d = calloc(1, sizeof *d);
        assert_non_null(d);
        snprintf(d->version, sizeof d->version, "%s", version);
        return d;
}

static NvctGpu *drv_add_gpu(NvctDriver *d, unsigned minor, const char *busid, const char *uuid) {
        d->gpus = realloc(d->gpus, (d->n_gpus + 1) * sizeof *d->gpus);
        assert_non_null(d->gpus);
        NvctGpu *g = &d->gpus[d->n_gpus];
        *g = (NvctGpu) { .index = (unsigned) d->n_gpus, .minor = minor };
        d->n_gpus++;
        snprintf(g->busid, sizeof g->busid, "%s", busid);
        snprintf(g->uuid, sizeof g->uuid, "%s", uuid);
        snprintf(g->model, sizeof g->model, "procfs model %u", minor);
        return g;
}

static void drv_free(NvctDriver *d) {
        for (size_t i = 0; i < d->n_gpus; i++) {
                for (size_t m = 0; m < d->gpus[i].n_migs; m++) {
                        free(d->gpus[i].migs[m].gi_access);
                        free(d->gpus[i].migs[m].ci_access);
                }
                free(d->gpus[i].migs);
                free(d->gpus[i].node.path);
                free(d->gpus[i].node.host_path);
        }
        free(d->gpus);
        free(d->mig_minors);
        free(d);
}

static int count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        assert_non_null(d);
        int n = 0;
        for (struct dirent *de; (de = readdir(d));)
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

static void assert_no_children(void) {
        assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
        assert_int_equal(errno, ECHILD);
}

/* Run nvct_nvml_fill against a fresh root with script; returns r, leaves the message in err. */
static int fill_with(const char *script, bool minimal, const NvctDiscoverOptions *opts, NvctDriver *d,
                     NvctError *err) {
        Root root = { 0 };
        root_setup(&root, script, minimal);
        NvctRoots roots = roots_of(&root);
        int r = nvct_nvml_fill(&roots, opts, d, err);
        root_cleanup(&root);
        assert_no_children();
        return r;
}

static void assert_contains(const char *s, const char *needle) {
        if (!strstr(s, needle))
                fail_msg("\"%s\" does not contain \"%s\"", s, needle);
}

#define H100 "gpu 0 00000000:00:06.0 14 9.0 81559 0 GPU-aaa NVIDIA H100 80GB HBM3\n"

static void test_tables(void **state) {
        char buf[16];
        assert_string_equal(nvct_nvml_brand_name(NVML_BRAND_NVIDIA), "Nvidia");
        assert_string_equal(nvct_nvml_brand_name(NVML_BRAND_TESLA), "Tesla");
        assert_string_equal(nvct_nvml_brand_name(NVML_BRAND_TITAN_RTX), "TitanRTX");
        assert_string_equal(nvct_nvml_brand_name(NVML_BRAND_COUNT), "Unknown");
        assert_string_equal(nvct_nvml_brand_name(-3), "Unknown");
        nvct_cuda_version_format(13000, buf, sizeof buf);
        assert_string_equal(buf, "13.0");
        nvct_cuda_version_format(12040, buf, sizeof buf);
        assert_string_equal(buf, "12.4");
        nvct_cuda_version_format(11080, buf, sizeof buf);
        assert_string_equal(buf, "11.8");
        nvct_cuda_version_format(0, buf, sizeof buf);
        assert_string_equal(buf, "");
}

static void test_single_gpu(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        /* procfs names the domain with 4 digits, NVML with 8: still the same GPU */
        drv_add_gpu(d, 0, "0000:00:06.0", "GPU-aaa");
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        int r = fill_with("driver 580.159.04\ncuda 13000\n" H100, false, &o, d, &err);
        assert_int_equal(r, 0);
        assert_int_equal(d->n_gpus, 1);
        assert_true(d->nvml_used);
        assert_string_equal(d->cuda_version, "13.0");
        assert_string_equal(d->version, "580.159.04");
        NvctGpu *g = &d->gpus[0];
        assert_int_equal(g->index, 0);
        assert_string_equal(g->brand, "Nvidia");
        assert_string_equal(g->arch, "9.0");
        assert_string_equal(g->busid, "0000:00:06.0");
        assert_string_equal(g->model, "procfs model 0");
        assert_true(g->memory_total == 81559ULL << 20);
        assert_true(g->mig_capable);
        assert_false(g->mig_enabled);
        assert_int_equal(g->n_migs, 0);
        drv_free(d);
}

static void test_driver_version_from_nvml(void **state) {
        NvctDriver *d = drv_new("");
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(fill_with("driver 580.159.04\ncuda 12040\n" H100, false, &o, d, &err), 0);
        assert_string_equal(d->version, "580.159.04");
        assert_string_equal(d->cuda_version, "12.4");
        /* procfs listed nothing: the GPU is appended with what NVML knows */
        assert_int_equal(d->n_gpus, 1);
        assert_string_equal(d->gpus[0].model, "NVIDIA H100 80GB HBM3");
        assert_string_equal(d->gpus[0].uuid, "GPU-aaa");
        assert_string_equal(d->gpus[0].node.path, "/dev/nvidia0");
        assert_false(d->gpus[0].node.present);
        drv_free(d);
}

static void test_multiple_gpus(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        drv_add_gpu(d, 1, "00000000:3b:00.0", "GPU-b"); /* by bus id, case-insensitive hex */
        drv_add_gpu(d, 0, "", "GPU-a");                 /* by UUID */
        drv_add_gpu(d, 5, "", "");                      /* by minor */
        drv_add_gpu(d, 9, "0000:d8:00.0", "GPU-e");     /* NVML does not see it */
        const char *script = "driver 580.159.04\ncuda 13000\n"
                             "gpu 0 00000000:1A:00.0 2 8.0 40960 -1 GPU-a A100\n"
                             "gpu 1 00000000:3B:00.0 -1 7.5 16384 0 GPU-b T4\n"
                             "gpu 5 00000000:5E:00.0 5 8.6 24576 -1 GPU-c RTX\n"
                             "gpu 7 00000000:AF:00.0 14 9.0 81559 0 GPU-d H100\n";
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(fill_with(script, false, &o, d, &err), 0);
        assert_int_equal(d->n_gpus, 5);
        const char *uuids[] = { "GPU-a", "GPU-b", "GPU-c", "GPU-d", "GPU-e" };
        const unsigned minors[] = { 0, 1, 5, 7, 9 };
        for (unsigned i = 0; i < 5; i++) {
                assert_int_equal(d->gpus[i].index, i);
                assert_string_equal(d->gpus[i].uuid, uuids[i]);
                assert_int_equal(d->gpus[i].minor, minors[i]);
        }
        assert_string_equal(d->gpus[0].brand, "Tesla");
        assert_false(d->gpus[0].mig_capable);
        assert_string_equal(d->gpus[1].brand, ""); /* NOT_SUPPORTED leaves it unknown */
        assert_string_equal(d->gpus[1].arch, "7.5");
        assert_string_equal(d->gpus[1].busid, "00000000:3b:00.0");
        assert_string_equal(d->gpus[2].brand, "GeForce");
        assert_string_equal(d->gpus[2].model, "procfs model 5");
        assert_string_equal(d->gpus[3].busid, "00000000:af:00.0");
        assert_string_equal(d->gpus[3].model, "H100");
        assert_string_equal(d->gpus[3].node.path, "/dev/nvidia7");
        assert_string_equal(d->gpus[4].brand, ""); /* not seen by NVML */
        drv_free(d);
}

static void add_mig_minor(NvctDriver *d, int gpu, int gi, int ci, unsigned minor) {
        d->mig_minors = realloc(d->mig_minors, (d->n_mig_minors + 1) * sizeof *d->mig_minors);
        assert_non_null(d->mig_minors);
        d->mig_minors[d->n_mig_minors++] = (NvctMigMinor) { .gpu = gpu, .gi = gi, .ci = ci, .name = "access",
                                                            .minor = minor };
}

static void test_mig(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        drv_add_gpu(d, 0, "00000000:00:06.0", "GPU-aaa");
        add_mig_minor(d, 0, 1, -1, 12);
        add_mig_minor(d, 0, 1, 0, 13);
        add_mig_minor(d, 0, 2, -1, 21);
        add_mig_minor(d, 0, 2, 0, 22);
        add_mig_minor(d, 1, 1, -1, 99); /* another GPU's: must not be picked */
        const char *script = "cuda 13000\n"
                             "gpu 0 00000000:00:06.0 14 9.0 81559 1 GPU-aaa H100\n"
                             "mig 0 1 0 MIG-one\nmig 0 2 0 MIG-two\nmig 0 3 1 MIG-three\n";
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(fill_with(script, false, &o, d, &err), 0);
        NvctGpu *g = &d->gpus[0];
        assert_true(g->mig_capable);
        assert_true(g->mig_enabled);
        assert_int_equal(g->n_migs, 3);
        assert_int_equal(g->migs[0].index, 0);
        assert_int_equal(g->migs[0].gi, 1);
        assert_int_equal(g->migs[0].ci, 0);
        assert_string_equal(g->migs[0].uuid, "MIG-one");
        assert_int_equal(g->migs[0].gi_cap_minor, 12);
        assert_int_equal(g->migs[0].ci_cap_minor, 13);
        assert_string_equal(g->migs[0].gi_access, "/proc/driver/nvidia/capabilities/gpu0/mig/gi1/access");
        assert_string_equal(g->migs[0].ci_access, "/proc/driver/nvidia/capabilities/gpu0/mig/gi1/ci0/access");
        assert_int_equal(g->migs[1].gi_cap_minor, 21);
        assert_int_equal(g->migs[1].ci_cap_minor, 22);
        assert_int_equal(g->migs[2].index, 2);
        assert_int_equal(g->migs[2].gi_cap_minor, -1);
        assert_int_equal(g->migs[2].ci_cap_minor, -1);
        assert_string_equal(g->migs[2].ci_access, "/proc/driver/nvidia/capabilities/gpu0/mig/gi3/ci1/access");
        drv_free(d);
}

static void test_mig_limit(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        char script[2048] = "gpu 0 00000000:00:06.0 14 9.0 81559 1 GPU-aaa H100\n";
        for (int i = 0; i <= NVCT_NVML_MAX_MIGS; i++)
                snprintf(script + strlen(script), sizeof script - strlen(script), "mig 0 %d 0 MIG-%d\n", i + 1, i);
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(fill_with(script, false, &o, d, &err), -E2BIG);
        assert_string_equal(err.msg, "GPU 0 has more than 8 MIG devices");
        drv_free(d);
}

static void test_init_error(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(fill_with("init 9\n" H100, false, &o, d, &err), -ENODEV);
        assert_string_equal(err.msg, "nvmlInit_v2 failed: Driver Not Loaded");
        assert_false(d->nvml_used);
        assert_int_equal(d->n_gpus, 0);
        drv_free(d);
}

static void test_device_error(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(fill_with("fail nvmlDeviceGetMemoryInfo 15\n" H100, false, &o, d, &err), -EIO);
        assert_string_equal(err.msg, "nvmlDeviceGetMemoryInfo failed for GPU 0: GPU is lost");
        drv_free(d);
}

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_hang_timeout(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        NvctDiscoverOptions o = opts_default(300);
        NvctError err = NVCT_ERROR_INIT;
        int64_t start = now_ms();
        assert_int_equal(fill_with("hang nvmlInit_v2\n" H100, false, &o, d, &err), -ETIMEDOUT);
        int64_t took = now_ms() - start;
        assert_true(took >= 300 && took < 3000);
        assert_string_equal(err.msg, "NVML did not answer within 300 ms (hung in nvmlInit_v2?)");

        nvct_error_clear(&err);
        assert_int_equal(fill_with("hang nvmlDeviceGetMemoryInfo\n" H100, false, &o, d, &err), -ETIMEDOUT);
        assert_string_equal(err.msg, "NVML did not answer within 300 ms (hung in nvmlDeviceGetMemoryInfo for GPU 0?)");
        drv_free(d);
}

static void test_crash(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(fill_with("crash nvmlDeviceGetBrand\n" H100, false, &o, d, &err), -ECHILD);
        assert_string_equal(err.msg, "NVML helper was killed by signal 11 (SIGSEGV) in nvmlDeviceGetBrand for GPU 0");

        nvct_error_clear(&err);
        assert_int_equal(fill_with("exit nvmlInit_v2\n" H100, false, &o, d, &err), -ECHILD);
        assert_string_equal(err.msg, "NVML helper exited with status 3 without answering (in nvmlInit_v2)");

        /* alive but mute: no timeout needed, and it is not left running */
        nvct_error_clear(&err);
        int64_t start = now_ms();
        assert_int_equal(fill_with("close nvmlDeviceGetCount_v2\n" H100, false, &o, d, &err), -ECHILD);
        assert_true(now_ms() - start < 5000);
        assert_string_equal(err.msg,
                            "NVML helper closed its answer pipe without answering (in nvmlDeviceGetCount_v2)");
        assert_false(d->nvml_used);
        drv_free(d);
}

static void test_missing_optional_symbols(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        drv_add_gpu(d, 0, "", "GPU-aaa");
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(fill_with("cuda 13000\n" H100, true, &o, d, &err), 0);
        assert_true(d->nvml_used);
        assert_string_equal(d->cuda_version, "");
        assert_int_equal(d->n_gpus, 1);
        assert_string_equal(d->gpus[0].brand, "");
        assert_string_equal(d->gpus[0].arch, "");
        assert_true(d->gpus[0].memory_total == 0);
        assert_false(d->gpus[0].mig_capable);

        /* without nvmlErrorString the code is still reported */
        nvct_error_clear(&err);
        assert_int_equal(fill_with("init 9\n" H100, true, &o, d, &err), -ENODEV);
        assert_string_equal(err.msg, "nvmlInit_v2 failed: NVML error 9");
        drv_free(d);
}

static void test_missing_required_symbols(void **state) {
        Dl_info info;
        /* libc: always a shared library, also when the project links libcap and friends statically; a function
         * that ASan does not intercept, so it names libc and not the sanitizer runtime */
        assert_int_not_equal(dladdr((void *) gnu_get_libc_version, &info), 0);
        Root root = { 0 };
        root_setup(&root, "", false);
        char dst[PATH_MAX];
        path_of(dst, sizeof dst, &root, "usr/lib64/libnvidia-ml.so.1");
        copy_file(info.dli_fname, dst); /* a real library, but not NVML */
        NvctRoots roots = roots_of(&root);
        NvctDiscoverOptions o = opts_default(0);
        NvctDriver *d = drv_new("580.159.04");
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(nvct_nvml_fill(&roots, &o, d, &err), -ELIBBAD);
        assert_contains(err.msg, "cannot load NVML from ");
        assert_contains(err.msg, "required symbol nvmlInit_v2 not found");

        write_text(dst, "not an ELF file\n", 0644);
        nvct_error_clear(&err);
        assert_int_equal(nvct_nvml_fill(&roots, &o, d, &err), -ELIBBAD);
        assert_contains(err.msg, "cannot load NVML from ");
        assert_false(d->nvml_used);
        root_cleanup(&root);
        assert_no_children();
        drv_free(d);
}

static void test_unterminated_strings(void **state) {
        NvctDriver *d = drv_new("580.159.04");
        NvctDiscoverOptions o = opts_default(0);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(fill_with("overflow\n" H100, false, &o, d, &err), 0);
        assert_int_equal(strlen(d->gpus[0].uuid), NVML_DEVICE_UUID_V2_BUFFER_SIZE - 1);
        assert_int_equal(strlen(d->gpus[0].model), NVML_DEVICE_NAME_V2_BUFFER_SIZE - 1);
        assert_string_equal(d->version, "580.159.04");
        drv_free(d);
}

static void test_sandbox(void **state) {
        if (geteuid() != 0)
                skip();
        NvctDriver *d = drv_new("580.159.04");
        NvctDiscoverOptions o = opts_default(0);
        o.nvml_uid = 65534;
        o.nvml_gid = 65534;
        NvctError err = NVCT_ERROR_INIT;
        /* none of this may reach the helper */
        int stray = open("/dev/null", O_RDONLY);
        assert_true(stray >= 0);
        setenv("LD_PRELOAD", "/nonexistent/evil.so", 1);
        assert_int_equal(fill_with("probe\n" H100, false, &o, d, &err), 0);
        unsetenv("LD_PRELOAD");
        close(stray);
        /* fds: the answer pipe and the library; pd=9: SIGKILL re-armed after the uid change */
        assert_string_equal(d->gpus[0].model, "uid=65534 gid=65534 ng=0 nnp=1 cap=0/0 pd=9 env=0 fds=2 out=null");

        drv_free(d);
        d = drv_new("580.159.04");
        o = opts_default(0);
        assert_int_equal(fill_with("probe\n" H100, false, &o, d, &err), 0);
        /* staying root still drops every capability */
        assert_string_equal(d->gpus[0].model, "uid=0 gid=0 ng=0 nnp=1 cap=0/0 pd=9 env=0 fds=2 out=null");
        drv_free(d);
}

/* A caller with stdio closed: the pipe and library land on 0-2, and must still work and not leak into NVML. */
static void test_closed_stdio(void **state) {
        Root root = { 0 };
        root_setup(&root, "probe\n" H100, false);
        NvctRoots roots = roots_of(&root);
        NvctDiscoverOptions o = opts_default(0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(STDIN_FILENO);
                close(STDOUT_FILENO);
                close(STDERR_FILENO);
                NvctDriver *d = calloc(1, sizeof *d);
                NvctError err = NVCT_ERROR_INIT;
                if (!d || nvct_nvml_fill(&roots, &o, d, &err) < 0 || d->n_gpus != 1)
                        _exit(1);
                _exit(strstr(d->gpus[0].model, " env=0 fds=2 out=null") ? 0 : 2);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        root_cleanup(&root);
}

static void test_locate(void **state) {
        Root root = { 0 }, empty = { 0 };
        root_setup(&root, "cuda 13000\n" H100, false);
        make_temp_root(&empty);
        NvctRoots roots = roots_of(&empty);
        NvctDriver *d = drv_new("580.159.04");
        NvctError err = NVCT_ERROR_INIT;
        char *path = NULL;

        /* nothing anywhere */
        assert_int_equal(nvct_nvml_open_library(&roots, d, &path, &err), -ENOENT);
        assert_contains(err.msg, "libnvidia-ml.so.1 not found");

        /* a listed 64-bit library; a 32-bit one is never loaded */
        char lib[PATH_MAX];
        path_of(lib, sizeof lib, &root, "usr/lib64/libnvidia-ml.so.1");
        NvctFile files[2] = {
                { .kind = NVCT_FILE_LIB32, .path = (char *) "/usr/lib32/libnvidia-ml.so.580.159.04",
                  .host_path = (char *) "/nonexistent/lib32/libnvidia-ml.so.580.159.04" },
                { .kind = NVCT_FILE_LIB, .path = (char *) "/usr/local/nvidia/lib64/libnvidia-ml.so.580.159.04",
                  .host_path = lib },
        };
        d->files = files;
        d->n_files = 2;
        int fd = nvct_nvml_open_library(&roots, d, &path, &err);
        assert_true(fd >= 0);
        assert_string_equal(path, lib);
        close(fd);
        free(path);
        path = NULL;
        NvctDiscoverOptions o = opts_default(0);
        assert_int_equal(nvct_nvml_fill(&roots, &o, d, &err), 0);
        assert_string_equal(d->cuda_version, "13.0");
        d->files = NULL;
        d->n_files = 0;

        /* a library directory whose soname link is absolute: resolved inside the driver root */
        mkdir_in(&empty, "opt");
        mkdir_in(&empty, "opt/nv");
        char real[PATH_MAX], link_path[PATH_MAX];
        path_of(real, sizeof real, &empty, "opt/nv/libnvidia-ml.so.580.159.04");
        copy_file(lib, real);
        path_of(link_path, sizeof link_path, &empty, "opt/nv/libnvidia-ml.so.1");
        assert_int_equal(symlink("/opt/nv/libnvidia-ml.so.580.159.04", link_path), 0);
        char *dirs[] = { (char *) "/nonexistent", (char *) "/opt/nv", NULL };
        d->lib_dirs = dirs;
        fd = nvct_nvml_open_library(&roots, d, &path, &err);
        assert_true(fd >= 0);
        assert_string_equal(path, real);
        close(fd);
        free(path);
        d->lib_dirs = NULL;

        /* the standard directories */
        roots = roots_of(&root);
        fd = nvct_nvml_open_library(&roots, d, NULL, &err);
        assert_true(fd >= 0);
        close(fd);

        root_cleanup(&root);
        root_cleanup(&empty);
        drv_free(d);
}

static void test_no_leaks(void **state) {
        int before = count_fds();
        NvctDiscoverOptions o = opts_default(200);
        const char *scripts[] = { H100, "init 9\n", "hang nvmlInit_v2\n", "crash nvmlInit_v2\n" };
        for (size_t i = 0; i < ELEMENTSOF(scripts); i++) {
                NvctDriver *d = drv_new("580.159.04");
                NvctError err = NVCT_ERROR_INIT;
                (void) fill_with(scripts[i], false, &o, d, &err);
                drv_free(d);
        }
        assert_int_equal(count_fds(), before);
}

/* ---- cache ---- */

static void read_cache(const Root *root, char *buf, size_t size, struct stat *st) {
        char p[PATH_MAX];
        path_of(p, sizeof p, root, "cache/cuda-version");
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, st), 0);
        ssize_t k = read(fd, buf, size - 1);
        assert_true(k > 0);
        buf[k] = '\0';
        close(fd);
}

static int cached(const Root *root, const char *version, NvctDriver **ret, NvctError *err) {
        NvctRoots roots = roots_of(root);
        NvctDiscoverOptions o = opts_default(0);
        char dir[PATH_MAX];
        path_of(dir, sizeof dir, root, "cache");
        *ret = drv_new(version);
        nvct_error_clear(err);
        int r = nvct_cuda_version_cached(&roots, &o, *ret, dir, err);
        assert_no_children();
        return r;
}

static void test_cache(void **state) {
        Root root = { 0 };
        root_setup(&root, "cuda 13000\n" H100, false);
        NvctDriver *d = NULL;
        NvctError err = NVCT_ERROR_INIT;
        char text[4096], p[PATH_MAX];
        struct stat st;

        /* miss: NVML runs, the cache is written */
        assert_int_equal(cached(&root, "580.159.04", &d, &err), 0);
        assert_string_equal(d->cuda_version, "13.0");
        assert_true(d->nvml_used);
        drv_free(d);
        read_cache(&root, text, sizeof text, &st);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_contains(text, "driver 580.159.04\n");
        assert_contains(text, "cuda 13.0\n");
        path_of(p, sizeof p, &root, "cache");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);

        /* hit: NVML would fail now, so a success proves it was not run */
        root_script(&root, "init 9\n");
        assert_int_equal(cached(&root, "580.159.04", &d, &err), 1);
        assert_string_equal(d->cuda_version, "13.0");
        assert_false(d->nvml_used);
        drv_free(d);

        /* another driver version: a miss */
        assert_int_equal(cached(&root, "590.1", &d, &err), -ENODEV);
        drv_free(d);

        /* corrupt: ignored, then rewritten */
        root_script(&root, "cuda 12040\n" H100);
        char bad[4096];
        snprintf(bad, sizeof bad, "%.*scuda 99.x\n", (int) (strstr(text, "cuda 13.0") - text), text);
        path_of(p, sizeof p, &root, "cache/cuda-version");
        write_text(p, bad, 0644);
        assert_int_equal(cached(&root, "580.159.04", &d, &err), 0);
        assert_string_equal(d->cuda_version, "12.4");
        drv_free(d);
        read_cache(&root, text, sizeof text, &st);
        assert_contains(text, "cuda 12.4\n");
        assert_int_equal(cached(&root, "580.159.04", &d, &err), 1);
        assert_string_equal(d->cuda_version, "12.4");
        drv_free(d);

        /* foreign: writable by others, or not ours */
        root_script(&root, "init 9\n");
        assert_int_equal(chmod(p, 0666), 0);
        assert_int_equal(cached(&root, "580.159.04", &d, &err), -ENODEV);
        drv_free(d);
        assert_int_equal(chmod(p, 0644), 0);
        if (geteuid() == 0) {
                assert_int_equal(chown(p, 65534, 65534), 0);
                assert_int_equal(cached(&root, "580.159.04", &d, &err), -ENODEV);
                drv_free(d);
                assert_int_equal(chown(p, 0, 0), 0);
        }
        assert_int_equal(cached(&root, "580.159.04", &d, &err), 1);
        drv_free(d);

        /* the library changed (mtime): a miss */
        char lib[PATH_MAX];
        path_of(lib, sizeof lib, &root, "usr/lib64/libnvidia-ml.so.1");
        struct timespec times[2] = { { .tv_sec = 1000 }, { .tv_sec = 1000 } };
        assert_int_equal(utimensat(AT_FDCWD, lib, times, 0), 0);
        assert_int_equal(cached(&root, "580.159.04", &d, &err), -ENODEV);
        drv_free(d);

        root_cleanup(&root);
}

static void test_cache_dir_symlink(void **state) {
        Root root = { 0 };
        root_setup(&root, "cuda 13000\n" H100, false);
        mkdir_in(&root, "elsewhere");
        char p[PATH_MAX], target[PATH_MAX];
        path_of(p, sizeof p, &root, "cache");
        path_of(target, sizeof target, &root, "elsewhere");
        assert_int_equal(symlink(target, p), 0);
        NvctDriver *d = NULL;
        NvctError err = NVCT_ERROR_INIT;
        /* not followed: NVML answers, nothing lands in the link's target */
        assert_int_equal(cached(&root, "580.159.04", &d, &err), 0);
        assert_string_equal(d->cuda_version, "13.0");
        drv_free(d);
        path_of(p, sizeof p, &root, "elsewhere/cuda-version");
        assert_int_equal(access(p, F_OK), -1);
        root_cleanup(&root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_single_gpu),
                cmocka_unit_test(test_driver_version_from_nvml),
                cmocka_unit_test(test_multiple_gpus),
                cmocka_unit_test(test_mig),
                cmocka_unit_test(test_mig_limit),
                cmocka_unit_test(test_init_error),
                cmocka_unit_test(test_device_error),
                cmocka_unit_test(test_hang_timeout),
                cmocka_unit_test(test_crash),
                cmocka_unit_test(test_missing_optional_symbols),
                cmocka_unit_test(test_missing_required_symbols),
                cmocka_unit_test(test_unterminated_strings),
                cmocka_unit_test(test_sandbox),
                cmocka_unit_test(test_closed_stdio),
                cmocka_unit_test(test_locate),
                cmocka_unit_test(test_no_leaks),
                cmocka_unit_test(test_cache),
                cmocka_unit_test(test_cache_dir_symlink),
        };
        return cmocka_run_group_tests(tests, NULL, remove_live_roots);
}
