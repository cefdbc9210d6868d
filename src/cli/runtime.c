/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-container-runtime: a shim in front of runc or crun. Only `create` is looked at: the bundle's
 * config.json is edited (atomically) for the configured mode, then the low-level runtime is exec'd with the
 * unchanged command line. Every other command is exec'd straight away.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "frontends.h"
#include "log.h"
#include "nvct-config.h"
#include "runtime-args.h"
#include "runtime.h"
#include "strv.h"

#define RUNTIME_PROG "nvidia-container-runtime"
#define DEFAULT_SEARCH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int runtime_log_fd = -1;
static bool runtime_log_json;

static void json_escape(FILE *f, const char *s) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c < 0x20)
                        fprintf(f, "\\u%04x", c);
                else
                        (void) fputc(c, f);
        }
}

void runtime_log(const char *level, const char *fmt, ...) {
        char msg[2048];
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (streq(level, "error") || streq(level, "warning"))
                log_warn("%s", msg);
        else
                log_debug("%s", msg);
        if (runtime_log_fd < 0)
                return;
        char *line = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&line, &len);
        if (!f)
                return;
        struct timeval tv;
        struct tm tm;
        char ts[64];
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        (void) strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        if (runtime_log_json) {
                fprintf(f, "{\"level\":\"%s\",\"msg\":\"", level);
                json_escape(f, msg);
                fprintf(f, "\",\"time\":\"%s.%06ldZ\"}\n", ts, (long) tv.tv_usec);
        } else
                fprintf(f, "time=\"%sZ\" level=%s msg=\"%s\"\n", ts, level, msg);
        /* A failed flush leaves the memstream buffer incomplete: drop the line rather than log half of it. */
        if (fclose(f) == 0)
                (void) !write(runtime_log_fd, line, len);
        free(line);
}

char *runtime_find_executable(const char *name) {
        if (strchr(name, '/'))
                return access(name, X_OK) == 0 ? strdup(name) : NULL;
        const char *env_path = getenv("PATH");
        _cleanup_free_ char *search = NULL;
        if (asprintf(&search, "%s:%s", env_path && *env_path ? env_path : "", DEFAULT_SEARCH) < 0)
                return NULL;
        for (char *save = NULL, *dir = strtok_r(search, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *cand = NULL;
                struct stat st;
                if (!*dir || asprintf(&cand, "%s/%s", dir, name) < 0)
                        continue;
                if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
                        return cand;
                free(cand);
        }
        return NULL;
}

static char *find_low_level(const Settings *s, NvctError *err) {
        static char *const defaults[] = { (char *) "runc", (char *) "crun", NULL };
        char *const *list = s->cfg->runtime.runtimes && s->cfg->runtime.runtimes[0] ? s->cfg->runtime.runtimes :
                                                                                       defaults;
        for (char *const *r = list; *r; r++) {
                /* never ourselves: a runtimes entry naming the shim would exec in a loop */
                if (strstr(*r, "nvidia-container-runtime"))
                        continue;
                char *p = runtime_find_executable(*r);
                if (p)
                        return p;
        }
        _cleanup_free_ char *names = strv_join(list, ", ");
        nvct_error_setx(err, ENOENT, "no low-level runtime found (tried: %s)", names ? names : "runc, crun");
        return NULL;
}

static const char *forced_mode(const char *argv0) {
        const char *base = strrchr(argv0, '/');
        base = base ? base + 1 : argv0;
        if (streq(base, "nvidia-container-runtime.cdi"))
                return "cdi";
        if (streq(base, "nvidia-container-runtime.legacy"))
                return "legacy";
        return NULL;
}

/* auto: CDI when every request is a qualified CDI name or comes from CDI annotations, legacy otherwise. */
static const char *resolve_auto(const Settings *s, const NvctOciSpec *spec) {
        NvctImage image;
        NvctRequestPolicy policy;
        NvctError ignored = NVCT_ERROR_INIT;
        _cleanup_request_ NvctRequest *req = NULL;

        nvct_oci_spec_image(spec, &image);
        settings_policy(s, NVCT_REQUEST_CDI, &policy);
        if (nvct_request_build(&image, &policy, &req, &ignored) >= 0 &&
            req->source == NVCT_REQUEST_SOURCE_ANNOTATIONS)
                return "cdi";
        nvct_request_free(TAKE_PTR(req));
        settings_policy(s, NVCT_REQUEST_LEGACY, &policy);
        if (nvct_request_build(&image, &policy, &req, &ignored) < 0 || !req->devices || !req->devices[0])
                return "legacy";
        for (char **d = req->devices; *d; d++)
                if (!strchr(*d, '/') || !strchr(*d, '='))
                        return "legacy";
        return "cdi";
}

static int modify_spec(const Settings *s, const char *argv0, const char *bundle, NvctError *err) {
        _cleanup_oci_spec_ NvctOciSpec *spec = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s/config.json", bundle && *bundle ? bundle : ".") < 0)
                return nvct_error_set(err, ENOMEM, "config.json path");
        r = nvct_oci_spec_load(path, &spec, err);
        if (r < 0)
                return r;
        const char *mode = forced_mode(argv0);
        if (!mode)
                mode = s->cfg->runtime.mode && *s->cfg->runtime.mode ? s->cfg->runtime.mode : "auto";
        if (streq(mode, "auto"))
                mode = resolve_auto(s, spec);
        runtime_log("info", "using mode %s", mode);
        if (streq(mode, "legacy"))
                r = runtime_mode_legacy(s, spec, err);
        else if (streq(mode, "cdi") || streq(mode, "jit-cdi"))
                r = runtime_mode_cdi(s, spec, streq(mode, "jit-cdi"), err);
        else
                r = nvct_error_setx(err, EINVAL, "unsupported runtime mode \"%s\" (legacy, cdi, jit-cdi, auto)", mode);
        if (r < 0)
                return r;
        return nvct_oci_spec_save(spec, err);
}

static void open_runtime_log(const Settings *s, const RuntimeArgs *ra) {
        NvctError e = NVCT_ERROR_INIT;
        const char *debug = s->cfg->runtime.debug;
        if (debug && *debug && !streq(debug, "/dev/null"))
                (void) log_open(debug, &e);
        if (ra->log_file) {
                runtime_log_fd = open(ra->log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
                runtime_log_json = ra->log_json;
        }
}

int runtime_main(int argc, char **argv) {
        RuntimeArgs ra;
        Settings s = { 0 };
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_free_ char *low = NULL;

        runtime_args_parse(argc, argv, &ra);
        if (ra.version)
                printf("NVIDIA Container Runtime version %s (nvct)\n", NVCT_VERSION);
        if (settings_load(NULL, getenv("NVIDIA_CTK_CONFIG_FILE_PATH"), &s, &err) < 0)
                goto fail;
        if (!ra.version)
                open_runtime_log(&s, &ra);
        low = find_low_level(&s, &err);
        if (!low)
                goto fail;
        if (ra.create && !ra.version) {
                if (modify_spec(&s, argv[0], ra.bundle, &err) < 0)
                        goto fail;
        }
        settings_done(&s);
        log_close();
        if (runtime_log_fd >= 0)
                close(runtime_log_fd);
        /* exec with the unchanged arguments: argv[0] becomes the runtime's path */
        argv[0] = low;
        execv(low, argv);
        fprintf(stderr, "%s: exec %s: %s\n", RUNTIME_PROG, low, strerror(errno));
        return 1;
fail:
        runtime_log("error", "%s", err.msg);
        fprintf(stderr, "%s: %s\n", RUNTIME_PROG, err.msg);
        settings_done(&s);
        log_close();
        return 1;
}
