/* SPDX-License-Identifier: Apache-2.0 */
/* Every procfs parser and the device-selection parsers on the same input. The first byte picks which one. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discover-procfs.h"
#include "select.h"

static void fuzz_select(const char *text) {
        static NvctMigDevice migs[2] = { { .index = 0, .uuid = "MIG-1" }, { .index = 1, .uuid = "MIG-2" } };
        static NvctGpu gpus[2] = {
                { .uuid = "GPU-a", .busid = "00000000:01:00.0", .mig_capable = true, .migs = migs, .n_migs = 2 },
                { .index = 1, .uuid = "GPU-b", .busid = "00000000:02:00.0" },
        };
        NvctDriver drv = { .gpus = gpus, .n_gpus = 2 };
        NvctSelection *s = NULL, *c = NULL;
        unsigned *ch = NULL;
        size_t n;

        if (nvct_select_devices(&drv, text, &s, NULL) >= 0) {
                for (size_t i = 0; i < s->n_gpus; i++)
                        if (s->gpus[i] >= drv.n_gpus || !nvct_selection_has_gpu(s, s->gpus[i]))
                                abort();
                for (size_t i = 0; i < s->n_migs; i++)
                        if (!nvct_selection_has_mig(s, s->migs[i].gpu, s->migs[i].mig))
                                abort();
                if (nvct_select_mig_caps(&drv, s, text, "mig-config", &c, NULL) >= 0)
                        nvct_selection_free(c);
                nvct_selection_free(s);
        }
        if (nvct_parse_imex_channels(text, &ch, &n, NULL) >= 0) {
                for (size_t i = 0; i < n; i++)
                        if (ch[i] >= NVCT_IMEX_CHANNEL_MAX)
                                abort();
                free(ch);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1 || size > 256 * 1024)
                return 0;
        char *text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';

        char v[64], b[32];
        NvctProcGpuInfo info;
        NvctProcMajors m;
        NvctMigMinor *list = NULL;
        size_t n;
        unsigned minor;
        mode_t mode;
        unsigned long val;

        switch (data[0] % 8) {
        case 0:
                if (nvct_procfs_parse_version(text, v, sizeof(v), NULL) >= 0 && strlen(v) >= sizeof(v))
                        abort();
                break;
        case 1:
                if (nvct_procfs_parse_gpu_information(text, &info, NULL) >= 0 &&
                    (strncmp(info.uuid, "GPU-", 4) != 0 || info.minor >= 254))
                        abort();
                break;
        case 2:
                (void) nvct_procfs_parse_devices(text, &m, NULL);
                break;
        case 3:
                if (nvct_procfs_parse_mig_minors(text, &list, &n, NULL) >= 0) {
                        for (size_t i = 0; i < n; i++)
                                if (list[i].minor >= NVCT_MINOR_LIMIT)
                                        abort();
                        free(list);
                }
                break;
        case 4:
                (void) nvct_procfs_parse_cap_file(text, &minor, &mode, NULL);
                break;
        case 5:
                (void) nvct_procfs_param(text, "DeviceFileMode", &val);
                break;
        case 6:
                if (nvct_busid_normalize(text, b, sizeof(b)) >= 0 && strlen(b) != 16)
                        abort();
                break;
        default:
                fuzz_select(text);
                break;
        }
        free(text);
        return 0;
}
