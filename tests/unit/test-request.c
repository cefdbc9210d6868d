/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "caps.h"
#include "request.h"
#include "strv.h"

/*
 * One row per rule of the toolkit's env tables (cuda_image_test.go, container_config_test.go), plus the hostile
 * inputs of hostile-images.md #24-28. Unset policy fields mean the config.toml defaults.
 */

#define V "/var/run/nvidia-container-devices/"
#define UUID "GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c"
#define MIGUUID "MIG-a5d4a1b4-5f87-5e3b-9d8e-3a1c9c9b2f10"

typedef struct Case {
        const char *name;
        /* the image */
        const char *env[10];
        const char *mounts[6][2]; /* { destination, source } */
        const char *annotations[4][2];
        bool privileged;
        /* the policy */
        NvctRequestMode mode;
        bool refuse_unprivileged;
        bool volume_mounts;
        const char *swarm;    /* comma list */
        unsigned supported;   /* 0: all */
        bool disable_require;
        bool ignore_imex;
        const char *prefixes; /* comma list; NULL: the default */
        const char *kind;
        /* what is expected */
        int expect;
        const char *msg;      /* a substring of the error, or the whole error after a leading '=' */
        bool gpu;
        bool all;
        const char *devices;  /* comma-joined */
        NvctRequestSource source;
        const char *caps;     /* NULL: not checked */
        const char *requires; /* "; "-joined; NULL: not checked */
        const char *mig_config;
        const char *mig_monitor;
        const char *imex;     /* comma-joined */
        size_t warnings;
} Case;

#define ENV NVCT_REQUEST_SOURCE_ENV
#define SWARM NVCT_REQUEST_SOURCE_SWARM
#define MOUNTS NVCT_REQUEST_SOURCE_VOLUME_MOUNTS
#define ANNOT NVCT_REQUEST_SOURCE_ANNOTATIONS
#define CDI NVCT_REQUEST_CDI
#define JIT NVCT_REQUEST_JIT_CDI
#define ALLCAPS "compat32,compute,display,graphics,ngx,utility,video"

static const Case cases[] = {
        /* NVIDIA_VISIBLE_DEVICES */
        { .name = "no env: not a GPU container" },
        { .name = "empty: not a GPU container", .env = { "NVIDIA_VISIBLE_DEVICES=" } },
        { .name = "void: not a GPU container", .env = { "NVIDIA_VISIBLE_DEVICES=void" } },
        { .name = "void anywhere in the list wins", .env = { "NVIDIA_VISIBLE_DEVICES=0,void" } },
        { .name = "only commas: empty", .env = { "NVIDIA_VISIBLE_DEVICES= , ," } },
        { .name = "none: GPU container without devices", .env = { "NVIDIA_VISIBLE_DEVICES=none" }, .gpu = true,
          .source = ENV, .caps = "compute,utility", .requires = "" },
        { .name = "all", .env = { "NVIDIA_VISIBLE_DEVICES=all" }, .gpu = true, .all = true, .source = ENV },
        { .name = "ALL is all, as nvidia-container-cli reads it", .env = { "NVIDIA_VISIBLE_DEVICES=ALL" },
          .gpu = true, .all = true, .source = ENV },
        { .name = "one index", .env = { "NVIDIA_VISIBLE_DEVICES=0" }, .gpu = true, .devices = "0", .source = ENV },
        { .name = "index list", .env = { "NVIDIA_VISIBLE_DEVICES=0,1" }, .gpu = true, .devices = "0,1",
          .source = ENV },
        { .name = "tokens are trimmed", .env = { "NVIDIA_VISIBLE_DEVICES= 0 ,\t1 " }, .gpu = true,
          .devices = "0,1", .source = ENV },
        { .name = "empty tokens are skipped", .env = { "NVIDIA_VISIBLE_DEVICES=0,,1," }, .gpu = true,
          .devices = "0,1", .source = ENV },
        { .name = "duplicates are dropped", .env = { "NVIDIA_VISIBLE_DEVICES=1,0,1" }, .gpu = true,
          .devices = "1,0", .source = ENV },
        { .name = "GPU UUID", .env = { "NVIDIA_VISIBLE_DEVICES=" UUID }, .gpu = true, .devices = UUID,
          .source = ENV },
        { .name = "MIG UUID", .env = { "NVIDIA_VISIBLE_DEVICES=" MIGUUID }, .gpu = true, .devices = MIGUUID,
          .source = ENV },
        { .name = "legacy MIG name", .env = { "NVIDIA_VISIBLE_DEVICES=MIG-" UUID "/1/0" }, .gpu = true,
          .devices = "MIG-" UUID "/1/0", .source = ENV },
        { .name = "gpu:mig", .env = { "NVIDIA_VISIBLE_DEVICES=0:1,1:0" }, .gpu = true, .devices = "0:1,1:0",
          .source = ENV },
        { .name = "PCI bus id", .env = { "NVIDIA_VISIBLE_DEVICES=0000:3c:00.0" }, .gpu = true,
          .devices = "0000:3c:00.0", .source = ENV },
        { .name = "largest index", .env = { "NVIDIA_VISIBLE_DEVICES=2147483647" }, .gpu = true,
          .devices = "2147483647", .source = ENV },
        { .name = "all beats a list", .env = { "NVIDIA_VISIBLE_DEVICES=0,all" }, .gpu = true, .all = true,
          .source = ENV },
        { .name = "none beats all", .env = { "NVIDIA_VISIBLE_DEVICES=all,none" }, .gpu = true, .source = ENV },

        /* legacy images */
        { .name = "legacy image, unset: all", .env = { "CUDA_VERSION=11.0" }, .gpu = true, .all = true,
          .source = ENV, .caps = ALLCAPS, .requires = "cuda>=11.0" },
        { .name = "legacy image with a list", .env = { "CUDA_VERSION=11.0", "NVIDIA_VISIBLE_DEVICES=0" },
          .gpu = true, .devices = "0", .source = ENV, .caps = ALLCAPS, .requires = "cuda>=11.0" },
        { .name = "NVIDIA_REQUIRE_CUDA: not legacy",
          .env = { "CUDA_VERSION=11.0", "NVIDIA_REQUIRE_CUDA=cuda>=11.0" } },
        { .name = "empty NVIDIA_REQUIRE_CUDA: still legacy", .env = { "CUDA_VERSION=11.0", "NVIDIA_REQUIRE_CUDA=" },
          .gpu = true, .all = true, .source = ENV, .requires = "cuda>=11.0" },
        { .name = "empty CUDA_VERSION: not legacy", .env = { "CUDA_VERSION=" } },
        { .name = "legacy image, empty: not a GPU container",
          .env = { "CUDA_VERSION=11.0", "NVIDIA_VISIBLE_DEVICES=" } },
        { .name = "legacy image, void", .env = { "CUDA_VERSION=11.0", "NVIDIA_VISIBLE_DEVICES=void" } },

        /* duplicates and malformed entries (#27) */
        { .name = "the last duplicate wins", .env = { "NVIDIA_VISIBLE_DEVICES=none", "NVIDIA_VISIBLE_DEVICES=all" },
          .gpu = true, .all = true, .source = ENV },
        { .name = "the last duplicate wins, void", .env = { "NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_VISIBLE_DEVICES=void" } },
        { .name = "entries without = are ignored", .env = { "NVIDIA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICESX=0" } },
        { .name = "an entry without = does not hide a real one",
          .env = { "NVIDIA_VISIBLE_DEVICES=1", "NVIDIA_VISIBLE_DEVICES" }, .gpu = true, .devices = "1",
          .source = ENV },

        /* privilege */
        { .name = "unprivileged, accepted by default", .env = { "NVIDIA_VISIBLE_DEVICES=0" }, .gpu = true,
          .devices = "0", .source = ENV },
        { .name = "unprivileged, refused: ignored with a warning", .env = { "NVIDIA_VISIBLE_DEVICES=0" },
          .refuse_unprivileged = true, .warnings = 1 },
        { .name = "privileged, refused policy does not apply", .env = { "NVIDIA_VISIBLE_DEVICES=0" },
          .privileged = true, .refuse_unprivileged = true, .gpu = true, .devices = "0", .source = ENV },
        { .name = "unprivileged, refused, void: no warning", .env = { "NVIDIA_VISIBLE_DEVICES=void" },
          .refuse_unprivileged = true },
        { .name = "unprivileged, refused, legacy default ignored too", .env = { "CUDA_VERSION=12.0" },
          .refuse_unprivileged = true, .warnings = 1 },
        { .name = "unprivileged, refused, volume mounts still count", .env = { "NVIDIA_VISIBLE_DEVICES=all" },
          .mounts = { { V "1", "/dev/null" } }, .volume_mounts = true, .refuse_unprivileged = true, .gpu = true,
          .devices = "1", .source = MOUNTS },

        /* swarm */
        { .name = "swarm variable replaces NVIDIA_VISIBLE_DEVICES",
          .env = { "NVIDIA_VISIBLE_DEVICES=all", "DOCKER_RESOURCE_GPU=0" }, .swarm = "DOCKER_RESOURCE_GPU",
          .gpu = true, .devices = "0", .source = SWARM },
        { .name = "swarm variable unset: NVIDIA_VISIBLE_DEVICES", .env = { "NVIDIA_VISIBLE_DEVICES=1" },
          .swarm = "DOCKER_RESOURCE_GPU", .gpu = true, .devices = "1", .source = ENV },
        { .name = "several swarm variables are concatenated",
          .env = { "DOCKER_RESOURCE_GPU=0", "DOCKER_RESOURCE_GPU2=1", "NVIDIA_VISIBLE_DEVICES=all" },
          .swarm = "DOCKER_RESOURCE_GPU,DOCKER_RESOURCE_GPU2", .gpu = true, .devices = "0,1", .source = SWARM },
        { .name = "empty swarm variable still replaces",
          .env = { "DOCKER_RESOURCE_GPU=", "NVIDIA_VISIBLE_DEVICES=all" }, .swarm = "DOCKER_RESOURCE_GPU" },
        { .name = "invalid swarm token names the swarm variable", .env = { "DOCKER_RESOURCE_GPU=x/y" },
          .swarm = "DOCKER_RESOURCE_GPU", .expect = -EINVAL,
          .msg = "=invalid device \"x/y\" in DOCKER_RESOURCE_GPU" },

        /* volume mounts */
        { .name = "volume mount beats the env", .env = { "NVIDIA_VISIBLE_DEVICES=all" },
          .mounts = { { V "0", "/dev/null" } }, .volume_mounts = true, .gpu = true, .devices = "0", .source = MOUNTS },
        { .name = "volume mounts not accepted: env", .env = { "NVIDIA_VISIBLE_DEVICES=1" },
          .mounts = { { V "0", "/dev/null" } }, .gpu = true, .devices = "1", .source = ENV },
        { .name = "only /dev/null sources count", .env = { "NVIDIA_VISIBLE_DEVICES=1" },
          .mounts = { { V "0", "/dev/zero" } }, .volume_mounts = true, .gpu = true, .devices = "1", .source = ENV },
        { .name = "several mounts, in order",
          .mounts = { { V UUID, "/dev/null" }, { V "1", "/dev/null" } }, .volume_mounts = true, .gpu = true,
          .devices = UUID ",1", .source = MOUNTS },
        { .name = "paths are cleaned",
          .mounts = { { "/var/run//nvidia-container-devices/./2", "/dev/./null" } }, .volume_mounts = true,
          .gpu = true, .devices = "2", .source = MOUNTS },
        { .name = "a destination counts once", .mounts = { { V "3", "/dev/null" }, { V "3/", "/dev/null" } },
          .volume_mounts = true, .gpu = true, .devices = "3", .source = MOUNTS },
        { .name = "CDI mount, path form", .mounts = { { V "cdi/nvidia.com/gpu/0", "/dev/null" } },
          .volume_mounts = true, .gpu = true, .devices = "nvidia.com/gpu=0", .source = MOUNTS },
        { .name = "CDI mount, qualified form", .mounts = { { V "cdi/nvidia.com/gpu=1", "/dev/null" } },
          .volume_mounts = true, .gpu = true, .devices = "nvidia.com/gpu=1", .source = MOUNTS },
        { .name = "malformed CDI mount: warned and skipped", .env = { "NVIDIA_VISIBLE_DEVICES=0" },
          .mounts = { { V "cdi/nvidia.com", "/dev/null" } }, .volume_mounts = true, .gpu = true, .devices = "0",
          .source = ENV, .warnings = 1 },
        { .name = "volume mounts not accepted: a malformed one is not even warned about",
          .env = { "NVIDIA_VISIBLE_DEVICES=0" }, .mounts = { { V "cdi/nvidia.com", "/dev/null" } }, .gpu = true,
          .devices = "0", .source = ENV },
        { .name = "all as a volume mount", .mounts = { { V "all", "/dev/null" } }, .volume_mounts = true,
          .gpu = true, .all = true, .source = MOUNTS },
        { .name = "IMEX mounts are not devices", .env = { "NVIDIA_VISIBLE_DEVICES=0" },
          .mounts = { { V "imex/3", "/dev/null" } }, .volume_mounts = true, .gpu = true, .devices = "0",
          .source = ENV, .imex = "3" },
        { .name = "'..' out of the root is not a request", .env = { "NVIDIA_VISIBLE_DEVICES=0" },
          .mounts = { { V "../../etc/0", "/dev/null" } }, .volume_mounts = true, .gpu = true, .devices = "0",
          .source = ENV },
        { .name = "a sibling of the root is not a request", .env = { "NVIDIA_VISIBLE_DEVICES=0" },
          .mounts = { { "/var/run/nvidia-container-devicesX/1", "/dev/null" } }, .volume_mounts = true, .gpu = true,
          .devices = "0", .source = ENV },
        { .name = "nested mount path is not a device", .mounts = { { V "foo/bar", "/dev/null" } },
          .volume_mounts = true, .expect = -EINVAL,
          .msg = "=invalid device \"foo/bar\" in the volume-mount device list" },

        /* NVIDIA_DRIVER_CAPABILITIES */
        { .name = "caps unset: compute,utility", .env = { "NVIDIA_VISIBLE_DEVICES=0" }, .gpu = true, .devices = "0",
          .source = ENV, .caps = "compute,utility" },
        { .name = "caps empty: compute,utility", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=" },
          .gpu = true, .devices = "0", .source = ENV, .caps = "compute,utility" },
        { .name = "caps all", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=all" }, .gpu = true,
          .devices = "0", .source = ENV, .caps = ALLCAPS },
        { .name = "caps list", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=graphics,display" },
          .gpu = true, .devices = "0", .source = ENV, .caps = "display,graphics" },
        { .name = "caps trimmed", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES= video , ngx " },
          .gpu = true, .devices = "0", .source = ENV, .caps = "ngx,video" },
        { .name = "only commas: no caps, as the toolkit",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=,,," }, .gpu = true, .devices = "0",
          .source = ENV, .caps = "" },
        { .name = "unknown cap is fatal", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=bogus" },
          .expect = -EINVAL, .msg = "=unsupported capabilities: \"bogus\" in NVIDIA_DRIVER_CAPABILITIES" },
        { .name = "unknown cap among known ones",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=compute,bogus" }, .expect = -EINVAL,
          .msg = "unsupported capabilities" },
        { .name = "none is not a capability",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=none" }, .expect = -EINVAL,
          .msg = "unsupported capabilities" },
        { .name = "caps are case-sensitive",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=Compute" }, .expect = -EINVAL,
          .msg = "unsupported capabilities" },
        { .name = "a known cap outside the supported set is fatal",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=graphics" },
          .supported = NVCT_CAP_COMPUTE | NVCT_CAP_UTILITY, .expect = -EINVAL,
          .msg = "=unsupported capabilities: graphics in NVIDIA_DRIVER_CAPABILITIES (supported: compute,utility)" },
        { .name = "all means all supported", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=all" },
          .supported = NVCT_CAP_COMPUTE | NVCT_CAP_VIDEO, .gpu = true, .devices = "0", .source = ENV,
          .caps = "compute,video" },
        { .name = "default intersected with the supported set", .env = { "NVIDIA_VISIBLE_DEVICES=0" },
          .supported = NVCT_CAP_COMPUTE | NVCT_CAP_VIDEO, .gpu = true, .devices = "0", .source = ENV,
          .caps = "compute" },
        { .name = "legacy image, caps unset: all supported", .env = { "CUDA_VERSION=12.2" },
          .supported = NVCT_CAP_COMPUTE | NVCT_CAP_VIDEO | NVCT_CAP_UTILITY, .gpu = true, .all = true,
          .source = ENV, .caps = "compute,utility,video" },
        { .name = "legacy image, caps empty: compute,utility",
          .env = { "CUDA_VERSION=12.2", "NVIDIA_DRIVER_CAPABILITIES=" }, .gpu = true, .all = true, .source = ENV,
          .caps = "compute,utility" },
        { .name = "caps ignored for a non-GPU container", .env = { "NVIDIA_DRIVER_CAPABILITIES=bogus" } },

        /* NVIDIA_REQUIRE_* */
        { .name = "one requirement", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=11.6" },
          .gpu = true, .devices = "0", .source = ENV, .requires = "cuda>=11.6" },
        { .name = "requirements sorted by variable name",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=11.6", "NVIDIA_REQUIRE_BRAND=brand=tesla" },
          .gpu = true, .devices = "0", .source = ENV, .requires = "brand=tesla; cuda>=11.6" },
        { .name = "NVIDIA_REQUIRE_JETPACK is not a requirement",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_JETPACK=csv-mounts=all" }, .gpu = true,
          .devices = "0", .source = ENV, .requires = "" },
        { .name = "NVIDIA_REQUIRE_JETPACK_HOST_MOUNTS neither",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_JETPACK_HOST_MOUNTS=base-only" }, .gpu = true,
          .devices = "0", .source = ENV, .requires = "" },
        { .name = "legacy image adds cuda>=MAJOR.MINOR last",
          .env = { "CUDA_VERSION=11.6.2", "NVIDIA_REQUIRE_BRAND=brand=tesla" }, .gpu = true, .all = true,
          .source = ENV, .requires = "brand=tesla; cuda>=11.6" },
        { .name = "CUDA_VERSION with a v", .env = { "CUDA_VERSION=v11.6" }, .gpu = true, .all = true,
          .source = ENV, .requires = "cuda>=11.6" },
        { .name = "CUDA_VERSION major only", .env = { "CUDA_VERSION=8" }, .gpu = true, .all = true, .source = ENV,
          .requires = "cuda>=8.0" },
        { .name = "CUDA_VERSION with a pre-release", .env = { "CUDA_VERSION=12.0.0-rc.1+b5" }, .gpu = true,
          .all = true, .source = ENV, .requires = "cuda>=12.0" },
        { .name = "CUDA_VERSION with four components is fatal", .env = { "CUDA_VERSION=9.0.116.50" },
          .expect = -EINVAL, .msg = "=invalid CUDA_VERSION \"9.0.116.50\": not a MAJOR[.MINOR[.PATCH]] version" },
        { .name = "CUDA_VERSION minor over 32 bits", .env = { "CUDA_VERSION=9.4294967296" }, .expect = -EINVAL,
          .msg = "invalid CUDA_VERSION" },
        { .name = "CUDA_VERSION with a leading zero", .env = { "CUDA_VERSION=09.0" }, .expect = -EINVAL,
          .msg = "invalid CUDA_VERSION" },
        { .name = "NVIDIA_DISABLE_REQUIRE=true drops requirements",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=11.6", "NVIDIA_DISABLE_REQUIRE=true" },
          .gpu = true, .devices = "0", .source = ENV, .requires = "" },
        { .name = "NVIDIA_DISABLE_REQUIRE=1 drops the legacy one, before CUDA_VERSION is parsed",
          .env = { "CUDA_VERSION=garbage", "NVIDIA_DISABLE_REQUIRE=1" }, .gpu = true, .all = true, .source = ENV,
          .requires = "" },
        { .name = "NVIDIA_DISABLE_REQUIRE=T", .env = { "CUDA_VERSION=11.0", "NVIDIA_DISABLE_REQUIRE=T" },
          .gpu = true, .all = true, .source = ENV, .requires = "" },
        { .name = "NVIDIA_DISABLE_REQUIRE=yes is not a Go bool",
          .env = { "CUDA_VERSION=11.0", "NVIDIA_DISABLE_REQUIRE=yes" }, .gpu = true, .all = true, .source = ENV,
          .requires = "cuda>=11.0" },
        { .name = "NVIDIA_DISABLE_REQUIRE=false", .env = { "CUDA_VERSION=11.0", "NVIDIA_DISABLE_REQUIRE=false" },
          .gpu = true, .all = true, .source = ENV, .requires = "cuda>=11.0" },
        { .name = "disable-require in the config", .env = { "CUDA_VERSION=11.0" }, .disable_require = true,
          .gpu = true, .all = true, .source = ENV, .requires = "" },
        { .name = "an empty requirement is dropped",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_X=", "NVIDIA_REQUIRE_Y=arch>=8" }, .gpu = true,
          .devices = "0", .source = ENV, .requires = "arch>=8" },
        { .name = "duplicate NVIDIA_REQUIRE_CUDA: the last wins",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=1", "NVIDIA_REQUIRE_CUDA=cuda>=2" },
          .gpu = true, .devices = "0", .source = ENV, .requires = "cuda>=2" },
        { .name = "invalid requirement is refused up front (#26)",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=" }, .expect = -EINVAL,
          .msg = "=NVIDIA_REQUIRE_CUDA: requirement error: invalid expression (\"cuda>=\": missing value)" },

        /* MIG (#28) */
        { .name = "privileged MIG config",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=all", "NVIDIA_MIG_MONITOR_DEVICES=0, 1" },
          .privileged = true, .gpu = true, .devices = "0", .source = ENV, .mig_config = "all", .mig_monitor = "0,1" },
        { .name = "unprivileged MIG config is fatal",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=0" }, .expect = -EPERM,
          .msg = "=cannot set NVIDIA_MIG_CONFIG_DEVICES in an unprivileged container" },
        { .name = "unprivileged MIG monitor is fatal",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_MONITOR_DEVICES=all" }, .expect = -EPERM,
          .msg = "NVIDIA_MIG_MONITOR_DEVICES" },
        { .name = "unprivileged, empty MIG config is fine",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=" }, .gpu = true, .devices = "0",
          .source = ENV },
        { .name = "MIG config tokens are validated",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_MIG_CONFIG_DEVICES=../x" }, .privileged = true,
          .expect = -EINVAL, .msg = "=invalid device \"../x\" in NVIDIA_MIG_CONFIG_DEVICES" },
        { .name = "MIG config in a non-GPU container is not looked at",
          .env = { "NVIDIA_MIG_CONFIG_DEVICES=0" } },

        /* IMEX */
        { .name = "IMEX channels", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=0, 1,0" }, .gpu = true,
          .devices = "0", .source = ENV, .imex = "0,1" },
        { .name = "IMEX all is ignored", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=all" },
          .gpu = true, .devices = "0", .source = ENV },
        { .name = "IMEX requests ignored by config", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=2" },
          .ignore_imex = true, .gpu = true, .devices = "0", .source = ENV },
        { .name = "IMEX volume mounts beat the env", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=5" },
          .mounts = { { V "imex/2", "/dev/null" } }, .volume_mounts = true, .gpu = true, .devices = "0",
          .source = ENV, .imex = "2" },
        { .name = "IMEX env from an unprivileged container under a refusing policy",
          .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=1" }, .mode = CDI, .refuse_unprivileged = true,
          .warnings = 2 },
        { .name = "IMEX channel must be a number", .env = { "NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_IMEX_CHANNELS=x" },
          .expect = -EINVAL, .msg = "=invalid IMEX channel \"x\" in NVIDIA_IMEX_CHANNELS" },
        { .name = "IMEX in a legacy non-GPU container is not looked at", .env = { "NVIDIA_IMEX_CHANNELS=x" } },

        /* CDI modes */
        { .name = "cdi: bare index gets the default kind", .env = { "NVIDIA_VISIBLE_DEVICES=0" }, .mode = CDI,
          .gpu = true, .devices = "nvidia.com/gpu=0", .source = ENV },
        { .name = "cdi: all", .env = { "NVIDIA_VISIBLE_DEVICES=all" }, .mode = CDI, .gpu = true, .all = true,
          .devices = "nvidia.com/gpu=all", .source = ENV },
        { .name = "jit-cdi: runtime.nvidia.com kind", .env = { "NVIDIA_VISIBLE_DEVICES=0," UUID }, .mode = JIT,
          .gpu = true, .devices = "runtime.nvidia.com/gpu=0,runtime.nvidia.com/gpu=" UUID, .source = ENV },
        { .name = "cdi: qualified names kept", .env = { "NVIDIA_VISIBLE_DEVICES=vendor.com/class=dev-1" },
          .mode = CDI, .gpu = true, .devices = "vendor.com/class=dev-1", .source = ENV },
        { .name = "cdi: configured default kind", .env = { "NVIDIA_VISIBLE_DEVICES=1" }, .mode = CDI,
          .kind = "example.com/dev", .gpu = true, .devices = "example.com/dev=1", .source = ENV },
        { .name = "cdi: a bare CDI device name", .env = { "NVIDIA_VISIBLE_DEVICES=gpu0" }, .mode = CDI, .gpu = true,
          .devices = "nvidia.com/gpu=gpu0", .source = ENV },
        { .name = "legacy: a bare name is not a device", .env = { "NVIDIA_VISIBLE_DEVICES=gpu0" },
          .expect = -EINVAL, .msg = "=invalid device \"gpu0\" in NVIDIA_VISIBLE_DEVICES" },
        { .name = "cdi: annotations beat the env, keys sorted", .env = { "NVIDIA_VISIBLE_DEVICES=all" },
          .annotations = { { "cdi.k8s.io/b", "nvidia.com/gpu=1" }, { "cdi.k8s.io/a", "nvidia.com/gpu=0,2" } },
          .mode = CDI, .gpu = true, .devices = "nvidia.com/gpu=0,nvidia.com/gpu=2,nvidia.com/gpu=1",
          .source = ANNOT },
        { .name = "legacy: annotations are not requests", .env = { "NVIDIA_VISIBLE_DEVICES=3" },
          .annotations = { { "cdi.k8s.io/a", "nvidia.com/gpu=0" } }, .gpu = true, .devices = "3", .source = ENV },
        { .name = "cdi: other annotation prefixes ignored", .env = { "NVIDIA_VISIBLE_DEVICES=3" },
          .annotations = { { "example.com/a", "nvidia.com/gpu=0" } }, .mode = CDI, .gpu = true,
          .devices = "nvidia.com/gpu=3", .source = ENV },
        { .name = "cdi: configured annotation prefixes",
          .annotations = { { "cdi.k8s.io/a", "nvidia.com/gpu=0" }, { "example.com/x", "1" } }, .mode = CDI,
          .prefixes = "example.com/", .gpu = true, .devices = "nvidia.com/gpu=1", .source = ANNOT },
        { .name = "cdi: volume mounts beat the env", .env = { "NVIDIA_VISIBLE_DEVICES=all" },
          .mounts = { { V "cdi/nvidia.com/gpu/0", "/dev/null" }, { V "1", "/dev/null" } }, .volume_mounts = true,
          .mode = CDI, .gpu = true, .devices = "nvidia.com/gpu=0,nvidia.com/gpu=1", .source = MOUNTS },
        { .name = "cdi: IMEX channels of a non-GPU container", .env = { "NVIDIA_IMEX_CHANNELS=4" }, .mode = JIT,
          .imex = "4" },
        { .name = "cdi: a legacy MIG name is no CDI device name", .env = { "NVIDIA_VISIBLE_DEVICES=MIG-" UUID "/1/0" },
          .mode = CDI, .expect = -EINVAL, .msg = "in NVIDIA_VISIBLE_DEVICES" },
        { .name = "cdi: invalid default kind", .env = { "NVIDIA_VISIBLE_DEVICES=0" }, .mode = CDI, .kind = "gpu",
          .expect = -EINVAL, .msg = "invalid default CDI kind" },
        { .name = "cdi: invalid annotation device", .annotations = { { "cdi.k8s.io/a", "nvidia.com/gpu=../x" } },
          .mode = CDI, .expect = -EINVAL, .msg = "=invalid device \"nvidia.com/gpu=../x\" in the CDI annotations" },

        /* hostile values (#24) */
        { .name = "path traversal", .env = { "NVIDIA_VISIBLE_DEVICES=../../dev/sda" }, .expect = -EINVAL,
          .msg = "=invalid device \"../../dev/sda\" in NVIDIA_VISIBLE_DEVICES" },
        { .name = "traversal inside a UUID", .env = { "NVIDIA_VISIBLE_DEVICES=GPU-../x" }, .expect = -EINVAL,
          .msg = "\"GPU-../x\"" },
        { .name = "all does not hide a bad token", .env = { "NVIDIA_VISIBLE_DEVICES=all,../x" }, .expect = -EINVAL,
          .msg = "\"../x\"" },
        { .name = "index over 2^31", .env = { "NVIDIA_VISIBLE_DEVICES=99999999999999999999" }, .expect = -EINVAL,
          .msg = "\"99999999999999999999\"" },
        { .name = "index of exactly 2^31", .env = { "NVIDIA_VISIBLE_DEVICES=2147483648" }, .expect = -EINVAL,
          .msg = "\"2147483648\"" },
        { .name = "hex index", .env = { "NVIDIA_VISIBLE_DEVICES=0x1" }, .expect = -EINVAL, .msg = "\"0x1\"" },
        { .name = "negative index", .env = { "NVIDIA_VISIBLE_DEVICES=-1" }, .expect = -EINVAL, .msg = "\"-1\"" },
        { .name = "signed index", .env = { "NVIDIA_VISIBLE_DEVICES=+1" }, .expect = -EINVAL, .msg = "\"+1\"" },
        { .name = "inner whitespace", .env = { "NVIDIA_VISIBLE_DEVICES=0 1" }, .expect = -EINVAL, .msg = "\"0 1\"" },
        { .name = "control characters are escaped in the message", .env = { "NVIDIA_VISIBLE_DEVICES=0\x1b]0;x" },
          .expect = -EINVAL, .msg = "=invalid device \"0\\x1b]0;x\" in NVIDIA_VISIBLE_DEVICES" },
        { .name = "slash inside a UUID", .env = { "NVIDIA_VISIBLE_DEVICES=GPU-abc/def" }, .expect = -EINVAL,
          .msg = "\"GPU-abc/def\"" },
        { .name = "absolute path", .env = { "NVIDIA_VISIBLE_DEVICES=/dev/nvidia0" }, .expect = -EINVAL,
          .msg = "\"/dev/nvidia0\"" },
        { .name = "CDI name with traversal", .env = { "NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=../../x" },
          .mode = CDI, .expect = -EINVAL, .msg = "\"nvidia.com/gpu=../../x\"" },
        { .name = "MIG name with junk", .env = { "NVIDIA_VISIBLE_DEVICES=MIG-GPU-abc/1/x" }, .expect = -EINVAL,
          .msg = "\"MIG-GPU-abc/1/x\"" },
        { .name = "empty UUID", .env = { "NVIDIA_VISIBLE_DEVICES=GPU-" }, .expect = -EINVAL, .msg = "\"GPU-\"" },
        { .name = "gpu:mig with a sign", .env = { "NVIDIA_VISIBLE_DEVICES=0:-1" }, .expect = -EINVAL,
          .msg = "\"0:-1\"" },
};

static char **split_or_null(const char *s) {
        char **l = NULL;
        if (s)
                assert_int_equal(strv_split(s, ",", true, &l), 0);
        return l;
}

static char *joined(char **l, const char *sep) {
        char *s = strv_join(l, sep);
        assert_non_null(s);
        return s;
}

static int build_case(const Case *c, NvctRequest **ret, NvctError *err) {
        const char *env[ELEMENTSOF(c->env)];
        NvctImageMount mounts[ELEMENTSOF(c->mounts)];
        NvctImageAnnotation annotations[ELEMENTSOF(c->annotations)];
        NvctImage img = { .env = env, .mounts = mounts, .annotations = annotations, .privileged = c->privileged };

        while (img.n_env < ELEMENTSOF(c->env) && c->env[img.n_env]) {
                env[img.n_env] = c->env[img.n_env];
                img.n_env++;
        }
        while (img.n_mounts < ELEMENTSOF(c->mounts) && c->mounts[img.n_mounts][0]) {
                mounts[img.n_mounts] = (NvctImageMount) { c->mounts[img.n_mounts][0], c->mounts[img.n_mounts][1] };
                img.n_mounts++;
        }
        while (img.n_annotations < ELEMENTSOF(c->annotations) && c->annotations[img.n_annotations][0]) {
                annotations[img.n_annotations] =
                        (NvctImageAnnotation) { c->annotations[img.n_annotations][0],
                                                c->annotations[img.n_annotations][1] };
                img.n_annotations++;
        }

        _cleanup_strv_free_ char **swarm = split_or_null(c->swarm);
        _cleanup_strv_free_ char **prefixes = split_or_null(c->prefixes);
        NvctRequestPolicy policy = {
                .supported_caps = c->supported ?: NVCT_CAP_ALL,
                .accept_envvar_unprivileged = !c->refuse_unprivileged,
                .accept_volume_mounts = c->volume_mounts,
                .swarm_resource_envvars = swarm,
                .disable_require = c->disable_require,
                .ignore_imex_requests = c->ignore_imex,
                .annotation_prefixes = prefixes,
                .default_kind = c->kind,
                .mode = c->mode,
        };
        return nvct_request_build(&img, &policy, ret, err);
}

static void check_str(const Case *c, const char *what, const char *got, const char *want) {
        if (strcmp(got ?: "(null)", want ?: "(null)") != 0)
                fail_msg("%s: %s: got \"%s\", want \"%s\"", c->name, what, got ?: "(null)", want ?: "(null)");
}

static void test_case(void **state) {
        const Case *c = *state;
        _cleanup_request_ NvctRequest *req = NULL;
        NvctError err = NVCT_ERROR_INIT;

        int r = build_case(c, &req, &err);
        if (r != c->expect)
                fail_msg("%s: got %d (%s), want %d", c->name, r, err.msg, c->expect);
        if (r < 0) {
                assert_null(req);
                assert_int_equal(err.code, -r);
                bool ok = c->msg[0] == '=' ? streq(err.msg, c->msg + 1) : strstr(err.msg, c->msg) != NULL;
                if (!ok)
                        fail_msg("%s: message \"%s\", want \"%s\"", c->name, err.msg, c->msg);
                return;
        }

        assert_non_null(req);
        if (req->gpu_container != c->gpu || req->all_devices != c->all || req->source != c->source)
                fail_msg("%s: gpu=%d all=%d source=%d, want %d %d %d (%s)", c->name, req->gpu_container,
                         req->all_devices, req->source, c->gpu, c->all, c->source, req->source_desc);
        _cleanup_free_ char *devices = joined(req->devices, ",");
        check_str(c, "devices", devices, c->devices ?: "");
        if (c->caps) {
                _cleanup_free_ char *caps = nvct_caps_to_string(req->caps);
                check_str(c, "caps", caps ?: "", c->caps);
        }
        if (c->requires) {
                _cleanup_free_ char *requires = joined(req->requires, "; ");
                check_str(c, "requires", requires, c->requires);
        }
        check_str(c, "mig_config", req->mig_config, c->mig_config);
        check_str(c, "mig_monitor", req->mig_monitor, c->mig_monitor);
        _cleanup_free_ char *imex = joined(req->imex_channels, ",");
        check_str(c, "imex", imex, c->imex ?: "");
        if (strv_length(req->warnings) != c->warnings)
                fail_msg("%s: %zu warnings, want %zu", c->name, strv_length(req->warnings), c->warnings);
        assert_non_null(req->source_desc);

        _cleanup_free_ char *line = nvct_request_describe(req);
        assert_non_null(line);
        assert_null(strchr(line, '\n'));
}

/* ---- inputs too large for the table ---- */

static int build_env(const char *const *env, size_t n, const size_t *lens, NvctRequest **ret, NvctError *err) {
        NvctImage img = { .env = env, .n_env = n, .env_lens = lens };
        NvctRequestPolicy policy = NVCT_REQUEST_POLICY_DEFAULT;
        return nvct_request_build(&img, &policy, ret, err);
}

static char *env_of_items(const char *key, const char *item, size_t n) {
        size_t len = strlen(key) + 1 + n * (strlen(item) + 1) + 1;
        char *s = malloc(len);
        if (!s)
                abort();
        char *p = s;
        p += sprintf(p, "%s=", key);
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s%s", i ? "," : "", item);
        return s;
}

static void test_huge_value(void **state) {
        (void) state;
        _cleanup_free_ char *e = env_of_items("NVIDIA_VISIBLE_DEVICES", "0", 512 * 1024);
        const char *env[] = { e };
        NvctRequest *req = NULL;
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(build_env(env, 1, NULL, &req, &err), -EINVAL);
        assert_null(req);
        assert_non_null(strstr(err.msg, "NVIDIA_VISIBLE_DEVICES is 1048575 bytes long, at most 65536"));
}

static void test_too_many_items(void **state) {
        (void) state;
        _cleanup_free_ char *many = env_of_items("NVIDIA_VISIBLE_DEVICES", "1", 10000);
        _cleanup_free_ char *limit = env_of_items("NVIDIA_VISIBLE_DEVICES", "7", NVCT_REQUEST_DEVICES_MAX);
        const char *env[] = { many };
        NvctRequest *req = NULL;
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(build_env(env, 1, NULL, &req, &err), -EINVAL);
        assert_string_equal(err.msg, "NVIDIA_VISIBLE_DEVICES lists more than 1024 entries");
        env[0] = limit;
        assert_int_equal(build_env(env, 1, NULL, &req, &err), 0);
        assert_string_equal(req->devices[0], "7");
        assert_null(req->devices[1]);
        nvct_request_free(req);
}

static void test_too_many_caps(void **state) {
        (void) state;
        _cleanup_free_ char *caps = env_of_items("NVIDIA_DRIVER_CAPABILITIES", "compute", 4000);
        const char *env[] = { "NVIDIA_VISIBLE_DEVICES=0", caps };
        NvctRequest *req = NULL;
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(build_env(env, 2, NULL, &req, &err), -EINVAL);
        assert_string_equal(err.msg, "NVIDIA_DRIVER_CAPABILITIES lists more than 64 entries");
}

static void test_long_token(void **state) {
        (void) state;
        char e[64 + NVCT_REQUEST_TOKEN_MAX + 2];
        int n = snprintf(e, sizeof(e), "NVIDIA_VISIBLE_DEVICES=GPU-");
        memset(e + n, 'a', NVCT_REQUEST_TOKEN_MAX - 4 + 1);
        e[n + NVCT_REQUEST_TOKEN_MAX - 4 + 1] = '\0';
        const char *env[] = { e };
        NvctRequest *req = NULL;
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(build_env(env, 1, NULL, &req, &err), -EINVAL);
        /* The token is quoted but cut to 64 bytes. */
        assert_string_equal(err.msg, "invalid device \"GPU-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" "
                                     "in NVIDIA_VISIBLE_DEVICES");
        e[strlen(e) - 1] = '\0'; /* exactly NVCT_REQUEST_TOKEN_MAX */
        assert_int_equal(build_env(env, 1, NULL, &req, &err), 0);
        nvct_request_free(req);
}

static void test_embedded_nul(void **state) {
        (void) state;
        /* What a JSON decoder yields for "NVIDIA_VISIBLE_DEVICES=all\u0000,../x": C sees only "...=all". */
        static const char raw[] = "NVIDIA_VISIBLE_DEVICES=all\0,../x";
        const char *env[] = { raw };
        size_t lens[] = { sizeof(raw) - 1 };
        NvctRequest *req = NULL;
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(build_env(env, 1, lens, &req, &err), -EINVAL);
        assert_string_equal(err.msg, "environment entry \"NVIDIA_VISIBLE_DEVICES=all\" contains a NUL byte");
        lens[0] = strlen(raw);
        assert_int_equal(build_env(env, 1, lens, &req, &err), 0);
        assert_true(req->all_devices);
        nvct_request_free(req);
}

static void test_helpers(void **state) {
        (void) state;
        char *const admin[] = { (char *) "CAP_CHOWN", (char *) "CAP_SYS_ADMIN", NULL };
        char *const plain[] = { (char *) "CAP_CHOWN", (char *) "SYS_ADMIN", (char *) "cap_sys_admin", NULL };
        assert_true(nvct_caps_list_has_sys_admin(admin));
        assert_false(nvct_caps_list_has_sys_admin(plain));
        assert_false(nvct_caps_list_has_sys_admin(NULL));

        static const char *const truths[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const others[] = { "0", "f", "F", "FALSE", "false", "False", "yes", "on", "tRUE", "", " 1" };
        for (size_t i = 0; i < ELEMENTSOF(truths); i++)
                assert_true(nvct_request_parse_bool(truths[i]));
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                assert_false(nvct_request_parse_bool(others[i]));
        assert_false(nvct_request_parse_bool(NULL));

        assert_true(nvct_request_device_valid("0", NVCT_REQUEST_LEGACY));
        assert_false(nvct_request_device_valid("", NVCT_REQUEST_LEGACY));
        assert_false(nvct_request_device_valid("a..b/c=d", NVCT_REQUEST_CDI));
        assert_true(nvct_request_device_valid("a/b=c", NVCT_REQUEST_LEGACY));
        assert_false(nvct_request_device_valid("1a/b=c", NVCT_REQUEST_CDI));
        assert_false(nvct_request_device_valid("a/b=-c", NVCT_REQUEST_CDI));
}

static void test_describe(void **state) {
        (void) state;
        const char *env[] = { "NVIDIA_VISIBLE_DEVICES=0,1", "NVIDIA_REQUIRE_CUDA=cuda>=12.0 brand=tesla" };
        NvctRequest *req = NULL;
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(build_env(env, 2, NULL, &req, &err), 0);
        _cleanup_free_ char *line = nvct_request_describe(req);
        assert_string_equal(line, "gpu=yes source=env devices=[0,1] caps=compute,utility "
                                  "requires=[cuda>=12.0 brand=tesla] mig-config=- mig-monitor=- imex=[] warnings=0 "
                                  "(devices selected by NVIDIA_VISIBLE_DEVICES from the image environment)");
        nvct_request_free(req);
        assert_null(nvct_request_free(NULL));
}

int main(void) {
        const struct CMUnitTest more[] = {
                cmocka_unit_test(test_huge_value),   cmocka_unit_test(test_too_many_items),
                cmocka_unit_test(test_too_many_caps), cmocka_unit_test(test_long_token),
                cmocka_unit_test(test_embedded_nul), cmocka_unit_test(test_helpers),
                cmocka_unit_test(test_describe),
        };
        size_t n = ELEMENTSOF(cases), m = ELEMENTSOF(more);
        struct CMUnitTest *tests = calloc(n + m, sizeof(*tests));
        for (size_t i = 0; i < n; i++)
                tests[i] = (struct CMUnitTest) { .name = cases[i].name, .test_func = test_case,
                                                 .initial_state = (void *) &cases[i] };
        memcpy(tests + n, more, sizeof(more));
        int r = _cmocka_run_group_tests("request", tests, n + m, NULL, NULL);
        free(tests);
        return r;
}
