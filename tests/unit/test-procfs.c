/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "discover-devices.h"
#include "discover-procfs.h"
#include "driver.h"
#include "kmods.h"

static void test_version(void **state) {
        char v[64];
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_procfs_parse_version(
                                 "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  "
                                 "(dvs-builder@U22-I3-AF03-09-1)  Sun Oct  5 2025\nGCC version:  gcc 12.3.0\n",
                                 v, sizeof(v), &err),
                         0);
        assert_string_equal(v, "580.159.04");
        assert_int_equal(nvct_procfs_parse_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu "
                                                   "Feb 22 01:44:30 UTC 2024\n",
                                                   v, sizeof(v), &err),
                         0);
        assert_string_equal(v, "550.54.14");
        assert_int_equal(nvct_procfs_parse_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  390.157  Wed\n", v,
                                                   sizeof(v), &err),
                         0);
        assert_string_equal(v, "390.157");
}

static void test_version_bad(void **state) {
        static const char *const bad[] = {
                "",
                "\n",
                "GCC version: 12.2.0\nNVRM version: NVIDIA 550.54.14\n", /* not the first line */
                "NVRM version: NVIDIA UNIX Kernel Module\n",           /* no number */
                "NVRM version: 550\n",                                 /* no dot */
                "NVRM version: 1.2.3.4.5\n",                           /* too many components */
                "NVRM version: 550..1\n",
                "NVRM version: .550.1\n",
                "NVRM version: 123456789.1\n",
                "NVRM version: 550.54.14x\n",
                "NVRM versio: 550.54.14\n",
        };
        char v[64];
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                NvctError err = NVCT_ERROR_INIT;
                assert_true(nvct_procfs_parse_version(bad[i], v, sizeof(v), &err) < 0);
                assert_true(strstr(err.msg, "unknown format") != NULL);
        }
        /* Too small a buffer is an error, never a truncated version. */
        assert_true(nvct_procfs_parse_version("NVRM version: 550.54.14\n", v, 5, NULL) < 0);
}

static const char h100_info[] = "Model: \t\t NVIDIA H100 80GB HBM3\n"
                                "IRQ:   \t\t 42\n"
                                "GPU UUID: \t GPU-b147f489-bae4-a6a4-3615-099cfa7f1b63\n"
                                "Video BIOS: \t 96.00.99.00.01\n"
                                "Bus Type: \t PCIe\n"
                                "DMA Size: \t 52 bits\n"
                                "Bus Location: \t 0000:00:06.0\n"
                                "Device Minor: \t 0\n"
                                "GPU Excluded:\t No\n";

static void test_gpu_information(void **state) {
        NvctProcGpuInfo info;
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_procfs_parse_gpu_information(h100_info, &info, &err), 0);
        assert_string_equal(info.model, "NVIDIA H100 80GB HBM3");
        assert_string_equal(info.uuid, "GPU-b147f489-bae4-a6a4-3615-099cfa7f1b63");
        assert_string_equal(info.busid, "00000000:00:06.0");
        assert_int_equal(info.minor, 0);

        assert_int_equal(nvct_procfs_parse_gpu_information("Model: X\nGPU UUID: GPU-1\nDevice Minor: 253\n", &info,
                                                           &err),
                         0);
        assert_int_equal(info.minor, 253);
        assert_string_equal(info.busid, "");
}

static void test_gpu_information_bad(void **state) {
        static const char *const bad[] = {
                "",
                "Model: X\nGPU UUID: GPU-1\n",                          /* no minor */
                "GPU UUID: GPU-1\nDevice Minor: 0\n",                   /* no model */
                "Model: X\nDevice Minor: 0\n",                          /* no uuid */
                "Model: X\nGPU UUID: GPU-1\nDevice Minor: 254\n",       /* modeset's minor */
                "Model: X\nGPU UUID: GPU-1\nDevice Minor: -1\n",
                "Model: X\nGPU UUID: GPU-1\nDevice Minor: 0x1\n",
                "Model: X\nGPU UUID: GPU-1\nDevice Minor: 99999999999999999999\n",
                "Model: X\nGPU UUID: MIG-1\nDevice Minor: 0\n",
                "Model: X\nGPU UUID: GPU-../../etc\nDevice Minor: 0\n",
                "Model: X\nGPU UUID: GPU-\nDevice Minor: 0\n",
                "Model: \x1b[31mX\nGPU UUID: GPU-1\nDevice Minor: 0\n", /* escape sequence */
                "Model: \nGPU UUID: GPU-1\nDevice Minor: 0\n",
                "Model: X\nGPU UUID: GPU-1\nDevice Minor: 0\nBus Location: 0000:00:06\n",
                "Model: X\nGPU UUID: GPU-1\nDevice Minor: 0\nBus Location: 0x0:00:06.0\n",
        };
        NvctProcGpuInfo info;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                NvctError err = NVCT_ERROR_INIT;
                assert_true(nvct_procfs_parse_gpu_information(bad[i], &info, &err) < 0);
                assert_true(err.msg[0] != '\0');
        }
        /* A model longer than the field is refused, not truncated. */
        char big[400];
        memset(big, 'A', sizeof(big));
        memcpy(big, "Model: ", 7);
        snprintf(big + 300, sizeof(big) - 300, "\nGPU UUID: GPU-1\nDevice Minor: 0\n");
        assert_true(nvct_procfs_parse_gpu_information(big, &info, NULL) < 0);
}

static void test_devices(void **state) {
        NvctProcMajors m;
        NvctError err = NVCT_ERROR_INIT;
        static const char text[] = "Character devices:\n  1 mem\n  4 /dev/vc/0\n195 nvidia-frontend\n"
                                   "226 drm\n234 nvidia-nvswitch\n235 nvidia-caps-imex-channels\n"
                                   "238 nvidia-uvm\n241 nvidia-caps\n\nBlock devices:\n  7 loop\n195 nvidia\n";

        assert_int_equal(nvct_procfs_parse_devices(text, &m, &err), 0);
        assert_int_equal(m.nvidia, 195);
        assert_int_equal(m.uvm, 238);
        assert_int_equal(m.caps, 241);
        assert_int_equal(m.imex, 235);
        assert_int_equal(m.drm, 226);

        /* Block devices never count, and names are matched exactly. */
        assert_int_equal(nvct_procfs_parse_devices("Character devices:\n 10 misc\n 12 nvidia-uvm2\n\nBlock devices:\n"
                                                   "238 nvidia-uvm\n",
                                                   &m, &err),
                         0);
        assert_int_equal(m.uvm, 0);
        assert_int_equal(m.nvidia, 0);

        assert_true(nvct_procfs_parse_devices("", &m, &err) < 0);
        assert_true(nvct_procfs_parse_devices("Character devices:\nxyz nvidia\n", &m, &err) < 0);
        assert_true(nvct_procfs_parse_devices("Character devices:\n99999 nvidia\n", &m, &err) < 0);
        assert_true(nvct_procfs_parse_devices("Character devices:\n0 nvidia\n", &m, &err) < 0);
        assert_true(nvct_procfs_parse_devices("Character devices:\n195\n", &m, &err) < 0);
}

static void test_mig_minors(void **state) {
        NvctMigMinor *l = NULL;
        size_t n = 0;
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_procfs_parse_mig_minors("config 1\nmonitor 2\ngpu0/gi0/access 3\ngpu0/gi0/ci0/access 4\n"
                                                      "fabric-imex-mgmt 4096\n\ngpu7/gi14/ci7/access 1034\n",
                                                      &l, &n, &err),
                         0);
        assert_int_equal(n, 5);
        assert_string_equal(l[0].name, "config");
        assert_int_equal(l[0].gpu, -1);
        assert_int_equal(l[0].minor, 1);
        assert_string_equal(l[1].name, "monitor");
        assert_int_equal(l[2].gpu, 0);
        assert_int_equal(l[2].gi, 0);
        assert_int_equal(l[2].ci, -1);
        assert_int_equal(l[3].ci, 0);
        assert_int_equal(l[4].gpu, 7);
        assert_int_equal(l[4].gi, 14);
        assert_int_equal(l[4].ci, 7);
        assert_int_equal(l[4].minor, 1034);
        free(l);

        assert_true(nvct_procfs_parse_mig_minors("config x\n", &l, &n, &err) < 0);
        assert_true(nvct_procfs_parse_mig_minors("config -1\n", &l, &n, &err) < 0);
        assert_true(nvct_procfs_parse_mig_minors("config 1048576\n", &l, &n, &err) < 0);
        assert_true(nvct_procfs_parse_mig_minors("gpu99999999999/gi0/access 3\n", &l, &n, &err) < 0);
        assert_true(nvct_procfs_parse_mig_minors("gpu0/gi0/access\n", &l, &n, &err) < 0);
}

static void test_cap_file_and_params(void **state) {
        unsigned minor;
        mode_t mode;
        unsigned long v;

        assert_int_equal(nvct_procfs_parse_cap_file("DeviceFileMinor: 12\nDeviceFileMode: 292\nDeviceFileModify: 1\n",
                                                    &minor, &mode, NULL),
                         0);
        assert_int_equal(minor, 12);
        assert_int_equal(mode, 0444);
        assert_true(nvct_procfs_parse_cap_file("DeviceFileMode: 292\n", &minor, &mode, NULL) < 0);
        assert_true(nvct_procfs_parse_cap_file("DeviceFileMinor: 2000000\n", &minor, &mode, NULL) < 0);

        static const char params[] = "ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 1\nDeviceFileUID: 0\n"
                                     "DeviceFileGID: 44\nDeviceFileMode: 438\nRegistryDwords: \"\"\n";
        assert_int_equal(nvct_procfs_param(params, "DeviceFileGID", &v), 0);
        assert_int_equal(v, 44);
        assert_int_equal(nvct_procfs_param(params, "ResmanDebugLevel", &v), 0);
        assert_int_equal(v, 4294967295UL);
        assert_int_equal(nvct_procfs_param(params, "Nope", &v), -ENOENT);
        assert_int_equal(nvct_procfs_param(params, "RegistryDwords", &v), -EBADMSG);
        assert_int_equal(nvct_procfs_param(NULL, "DeviceFileGID", &v), -ENOENT);
}

static void test_busid(void **state) {
        char b[32];

        assert_int_equal(nvct_busid_normalize("0000:3c:00.0", b, sizeof(b)), 0);
        assert_string_equal(b, "00000000:3c:00.0");
        assert_int_equal(nvct_busid_normalize("0:3C:0.0", b, sizeof(b)), 0);
        assert_string_equal(b, "00000000:3c:00.0");
        assert_int_equal(nvct_busid_normalize("00000001:ff:1f.7", b, sizeof(b)), 0);
        assert_string_equal(b, "00000001:ff:1f.7");
        static const char *const bad[] = { "", "0000:3c:00", "0x0:3c:00.0", "000000000:3c:00.0", "0000:3c:00.8",
                                           "0000:3c:00.0 ", " 0000:3c:00.0", "0000:3c:20.0", "0000:-3c:00.0",
                                           "0000:3c:00.00", "0000:3c::00.0", "0000:100:00.0", "g:00:00.0" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_true(nvct_busid_normalize(bad[i], b, sizeof(b)) < 0);
        assert_true(nvct_busid_normalize("0000:3c:00.0", b, 8) < 0);
}

/* ---- readers against a temporary tree ---- */

static char tmpdir[] = "/tmp/nvct-test-procfs.XXXXXX";

static void put(const char *rel, const char *text) {
        char path[512], cmd[600];
        snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
        assert_int_equal(system(cmd), 0);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup_tree(void **state) {
        if (!mkdtemp(tmpdir))
                return -1;
        put("proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu\n");
        put("proc/devices", "Character devices:\n195 nvidia-frontend\n238 nvidia-uvm\n241 nvidia-caps\n226 drm\n");
        put("proc/driver/nvidia/gpus/0000:3b:00.0/information",
            "Model: B\nGPU UUID: GPU-bbbb\nBus Location: 0000:3b:00.0\nDevice Minor: 1\n");
        put("proc/driver/nvidia/gpus/0000:1a:00.0/information",
            "Model: A\nGPU UUID: GPU-aaaa\nBus Location: 0000:1a:00.0\nDevice Minor: 0\n");
        put("proc/driver/nvidia/gpus/README", "not a gpu\n");
        put("proc/driver/nvidia/capabilities/gpu1/mig/gi2/access", "DeviceFileMinor: 21\n");
        put("proc/driver/nvidia/capabilities/gpu1/mig/gi2/ci0/access", "DeviceFileMinor: 22\n");
        put("proc/driver/nvidia/capabilities/gpu1/mig/gi1/access", "DeviceFileMinor: 12\n");
        put("proc/driver/nvidia/capabilities/gpu1/mig/gi1/ci1/access", "DeviceFileMinor: 14\n");
        put("proc/driver/nvidia/capabilities/gpu1/mig/gi1/ci0/access", "DeviceFileMinor: 13\n");
        put("proc/driver/nvidia-caps/mig-minors", "config 1\nmonitor 2\ngpu1/gi1/access 12\n");
        return 0;
}

static int teardown_tree(void **state) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_read_tree(void **state) {
        char proc[512];
        NvctDriver *drv = calloc(1, sizeof(*drv));
        NvctError err = NVCT_ERROR_INIT;

        snprintf(proc, sizeof(proc), "%s/proc", tmpdir);
        assert_int_equal(nvct_procfs_read_version(proc, drv, &err), 0);
        assert_string_equal(drv->version, "550.54.14");
        assert_int_equal(nvct_procfs_read_majors(proc, drv, NULL, &err), 0);
        assert_int_equal(drv->major_caps, 241);
        assert_int_equal(nvct_procfs_read_mig_minors(proc, drv, &err), 0);
        assert_int_equal(drv->n_mig_minors, 3);
        assert_int_equal(nvct_procfs_read_gpus(proc, drv, &err), 0);
        assert_int_equal(drv->n_gpus, 2);
        /* Sorted by bus id, whatever readdir returned. */
        assert_string_equal(drv->gpus[0].busid, "00000000:1a:00.0");
        assert_string_equal(drv->gpus[0].proc_dir, "/proc/driver/nvidia/gpus/0000:1a:00.0");
        assert_int_equal(drv->gpus[1].index, 1);
        assert_int_equal(drv->gpus[1].minor, 1);

        assert_int_equal(nvct_procfs_read_migs(proc, &drv->gpus[1], &err), 0);
        assert_int_equal(drv->gpus[1].n_migs, 3);
        assert_true(drv->gpus[1].mig_enabled);
        assert_int_equal(drv->gpus[1].migs[0].gi, 1);
        assert_int_equal(drv->gpus[1].migs[0].ci, 0);
        assert_int_equal(drv->gpus[1].migs[1].ci, 1);
        assert_int_equal(drv->gpus[1].migs[2].gi, 2);
        assert_int_equal(drv->gpus[1].migs[0].gi_cap_minor, 12);
        assert_int_equal(drv->gpus[1].migs[0].ci_cap_minor, 13);
        assert_string_equal(drv->gpus[1].migs[2].ci_access,
                            "/proc/driver/nvidia/capabilities/gpu1/mig/gi2/ci0/access");
        assert_int_equal(nvct_procfs_read_migs(proc, &drv->gpus[0], &err), 0);
        assert_int_equal(drv->gpus[0].n_migs, 0);
        assert_false(drv->gpus[0].mig_enabled);
        nvct_driver_free(drv);
}

static void test_driver_not_loaded(void **state) {
        NvctRoots roots = { .proc_root = "/nonexistent-proc" };
        NvctDriver *drv = NULL;
        NvctError err = NVCT_ERROR_INIT;

        assert_true(nvct_driver_discover(&roots, NULL, &drv, &err) < 0);
        assert_null(drv);
        assert_string_equal(err.msg, "NVIDIA driver not loaded: /nonexistent-proc/driver/nvidia: No such file or "
                                     "directory");
}

static void test_discover_and_mknod(void **state) {
        char proc[512], dev[512], path[600];
        NvctRoots roots = { 0 };
        NvctDriver *drv = NULL;
        NvctError err = NVCT_ERROR_INIT;

        if (geteuid() != 0)
                skip();
        snprintf(proc, sizeof(proc), "%s/proc", tmpdir);
        snprintf(dev, sizeof(dev), "%s/root", tmpdir);
        snprintf(path, sizeof(path), "%s/dev", dev);
        assert_true(mkdir(dev, 0755) == 0 && mkdir(path, 0755) == 0);
        roots = (NvctRoots) { .driver_root = dev, .proc_root = proc, .sys_root = "/nonexistent" };

        /* A symlink or a wrong number is never "present". */
        snprintf(path, sizeof(path), "%s/dev/nvidia1", dev);
        assert_int_equal(symlink("/dev/null", path), 0);
        snprintf(path, sizeof(path), "%s/dev/nvidiactl", dev);
        assert_int_equal(mknod(path, S_IFCHR | 0666, makedev(195, 254)), 0);

        assert_int_equal(nvct_driver_discover(&roots, NULL, &drv, &err), 0);
        assert_false(drv->ctl[NVCT_CTL_NVIDIACTL].present);
        assert_false(drv->gpus[1].node.present);
        assert_string_equal(drv->gpus[1].node.path, "/dev/nvidia1");
        assert_int_equal(drv->gpus[1].n_migs, 3);
        drv = nvct_driver_free(drv);

        /* create-device-nodes fills in what is missing and leaves the rest. */
        snprintf(path, sizeof(path), "%s/dev/nvidiactl", dev);
        unlink(path);
        int n = nvct_create_device_nodes(&roots, NULL, &err);
        assert_true(n >= 5); /* nvidiactl, nvidia0, uvm, uvm-tools, caps */
        assert_int_equal(nvct_driver_discover(&roots, NULL, &drv, &err), 0);
        assert_true(drv->ctl[NVCT_CTL_NVIDIACTL].present);
        assert_true(drv->ctl[NVCT_CTL_UVM].present);
        assert_true(drv->ctl[NVCT_CTL_UVM_TOOLS].present);
        assert_false(drv->ctl[NVCT_CTL_MODESET].present);
        assert_true(drv->gpus[0].node.present);
        assert_false(drv->gpus[1].node.present); /* the symlink stays */
        assert_non_null(nvct_driver_find_cap_node(drv, 12));
        assert_non_null(nvct_driver_find_cap_node(drv, 22));
        assert_null(nvct_driver_find_cap_node(drv, 1)); /* no mig/config file in this tree */
        assert_int_equal(drv->gpus[1].migs[0].gi_cap_minor, 12);
        assert_int_equal(drv->ctl[NVCT_CTL_UVM].mode, 0666);
        drv = nvct_driver_free(drv);
        assert_int_equal(nvct_create_device_nodes(&roots, NULL, &err), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_version),
                cmocka_unit_test(test_version_bad),
                cmocka_unit_test(test_gpu_information),
                cmocka_unit_test(test_gpu_information_bad),
                cmocka_unit_test(test_devices),
                cmocka_unit_test(test_mig_minors),
                cmocka_unit_test(test_cap_file_and_params),
                cmocka_unit_test(test_busid),
                cmocka_unit_test(test_read_tree),
                cmocka_unit_test(test_driver_not_loaded),
                cmocka_unit_test(test_discover_and_mknod),
        };
        return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
