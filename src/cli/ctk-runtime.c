/* SPDX-License-Identifier: Apache-2.0 */
/* `nvidia-ctk runtime configure`: register the NVIDIA runtime with docker, containerd or CRI-O, and undo it. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctk.h"
#include "engine-containerd.h"
#include "engine-crio.h"
#include "engine-docker.h"
#include "fileio.h"
#include "flags.h"

#define PROG "nvidia-ctk runtime configure"
#define CONFIG_MAX (4u * 1024u * 1024u)
#define DEFAULT_HOOK_PATH "/usr/bin/nvidia-container-runtime-hook"
#define DEFAULT_OCI_HOOK_FILE "/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json"

typedef enum Engine { ENGINE_DOCKER, ENGINE_CONTAINERD, ENGINE_CRIO } Engine;

static const struct {
        const char *name, *config, *drop_in, *runtime_path;
} engines[] = {
        [ENGINE_DOCKER] = { "docker", "/etc/docker/daemon.json", NULL, "nvidia-container-runtime" },
        [ENGINE_CONTAINERD] = { "containerd", "/etc/containerd/config.toml", "/etc/containerd/conf.d/99-nvidia.toml",
                                "/usr/bin/nvidia-container-runtime" },
        [ENGINE_CRIO] = { "crio", "/etc/crio/crio.conf", "/etc/crio/crio.conf.d/99-nvidia.toml",
                          "/usr/bin/nvidia-container-runtime" },
};

typedef struct RuntimeArgs {
        const char *runtime, *config, *drop_in, *runtime_name, *runtime_path, *hook_path, *oci_hook_path;
        const char *config_mode, *config_source, *executable_path;
        bool drop_in_given, dry_run, set_as_default, enable_cdi, revert;
} RuntimeArgs;

#define fail(...) ctk_fail(PROG, __VA_ARGS__)

static void usage(FILE *f) {
        (void) fputs("Usage: nvidia-ctk runtime configure [OPTIONS]\n"
              "\n"
              "Add the NVIDIA runtime to a container engine's configuration, or remove it again.\n"
              "  --runtime docker|containerd|crio   the engine (default docker)\n"
              "  --config FILE                      its config (/etc/docker/daemon.json, /etc/containerd/config.toml,\n"
              "                                     /etc/crio/crio.conf)\n"
              "  --drop-in-config FILE              containerd, crio: the drop-in to write (default\n"
              "                                     /etc/containerd/conf.d/99-nvidia.toml, /etc/crio/crio.conf.d/\n"
              "                                     99-nvidia.toml); empty edits the main config instead\n"
              "  --nvidia-runtime-name NAME         the runtime's name (default nvidia)\n"
              "  --nvidia-runtime-path PATH         the runtime binary (default nvidia-container-runtime, /usr/bin/...\n"
              "                                     for containerd and crio)\n"
              "  --set-as-default                   make it the engine's default runtime\n"
              "  --cdi.enabled                      enable CDI in the engine (docker, containerd)\n"
              "  --config-mode config-file|oci-hook crio: oci-hook writes a hooks.d file instead (--oci-hook-path,\n"
              "                                     --nvidia-runtime-hook-path)\n"
              "  --dry-run                          print a unified diff of the changes; write nothing\n"
              "  --revert                           undo what configure changed, and nothing else\n",
              f);
}

static int parse_args(int argc, char **argv, RuntimeArgs *a) {
        bool help = false;
        const Flag flags[] = {
                { "runtime", &a->runtime, FLAG_STRING },
                { "config", &a->config, FLAG_STRING },
                { "drop-in-config", &a->drop_in, FLAG_STRING },
                { "nvidia-runtime-name", &a->runtime_name, FLAG_STRING },
                { "nvidia-runtime-path,runtime-path", &a->runtime_path, FLAG_STRING },
                { "nvidia-runtime-hook-path", &a->hook_path, FLAG_STRING },
                { "oci-hook-path", &a->oci_hook_path, FLAG_STRING },
                { "config-mode", &a->config_mode, FLAG_STRING },
                { "config-source", &a->config_source, FLAG_STRING },
                { "executable-path", &a->executable_path, FLAG_STRING },
                { "dry-run", &a->dry_run, FLAG_BOOL },
                { "nvidia-set-as-default,set-as-default", &a->set_as_default, FLAG_BOOL },
                { "cdi.enabled,cdi.enable,enable-cdi", &a->enable_cdi, FLAG_BOOL },
                { "revert", &a->revert, FLAG_BOOL },
                { "help,h", &help, FLAG_BOOL },
                { NULL, NULL, FLAG_BOOL },
        };
        int r = ctk_parse_flags(PROG, argc, argv, flags, NULL, &help, usage);
        a->drop_in_given = a->drop_in != NULL; /* given, even as "" */
        return r;
}

static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

/* Read a config; a missing file reads as NULL. */
static int read_config(const char *path, char **ret, size_t *ret_len, NvctError *err) {
        int r = read_file_at(AT_FDCWD, path, CONFIG_MAX, ret, ret_len, err);
        if (r == -ENOENT) {
                nvct_error_clear(err);
                *ret = NULL;
                *ret_len = 0;
                return 0;
        }
        return r;
}

/*
 * Replace path atomically, keeping the mode and owner of the file it replaces (a symlink is followed, so the
 * file it names is the one replaced). A new file gets mode 0644, and its missing parent directories 0755.
 */
static int write_config(const char *path, const char *text, NvctError *err) {
        _cleanup_free_ char *real = realpath(path, NULL), *tmp = NULL, *dir = NULL;
        const char *target = real ? real : path;
        struct stat st = { .st_mode = 0644, .st_uid = (uid_t) -1, .st_gid = (gid_t) -1 };
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        int r;

        if (real && stat(real, &st) < 0)
                return nvct_error_set(err, errno, "write %s: stat", path);
        if (!real && (r = mkdir_parents(path)) < 0)
                return nvct_error_set(err, -r, "write %s: create its directory", path);
        if (asprintf(&tmp, "%s.nvct-XXXXXX", target) < 0 || !(dir = strdup(target)))
                return nvct_error_set(err, ENOMEM, "write %s", path);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return nvct_error_set(err, errno, "write %s: create a temporary file beside it", path);
        size_t len = strlen(text);
        for (size_t off = 0; off < len;) {
                ssize_t k = write(fd, text + off, len - off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = nvct_error_set(err, errno, "write %s", tmp);
                        goto fail;
                }
                off += (size_t) k;
        }
        if (fchmod(fd, st.st_mode & 07777) < 0 || fchown(fd, st.st_uid, st.st_gid) < 0 || fsync(fd) < 0) {
                r = nvct_error_set(err, errno, "write %s: set mode and owner", tmp);
                goto fail;
        }
        if (rename(tmp, target) < 0) {
                r = nvct_error_set(err, errno, "write %s: rename %s over it", path, tmp);
                goto fail;
        }
        dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
        return 0;
fail:
        (void) unlink(tmp);
        return r;
}

static char *journal_path(const char *config) {
        _cleanup_free_ char *d = strdup(config), *b = strdup(config);
        char *s = NULL;
        if (d && b && asprintf(&s, "%s/.%s.nvct-undo", dirname(d), basename(b)) < 0)
                s = NULL;
        return s;
}

static unsigned n_changed;
static bool said_nothing;

/* One file's change: show it (dry run), or carry it out. new_text NULL removes the file. */
static int apply(const RuntimeArgs *a, const char *path, const char *old_text, const char *new_text,
                 NvctError *err) {
        if ((!old_text && !new_text) || (old_text && new_text && streq(old_text, new_text)))
                return 0;
        if (a->dry_run) {
                _cleanup_free_ char *diff = NULL;
                if (nvct_unified_diff(old_text, new_text, path, path, &diff) < 0)
                        return nvct_error_set(err, ENOMEM, "diff %s", path);
                (void) fputs(diff, stdout);
                return 0;
        }
        if (!new_text) {
                if (unlink(path) < 0 && errno != ENOENT)
                        return nvct_error_set(err, errno, "remove %s", path);
                fprintf(stderr, PROG ": removed %s\n", path);
                n_changed++;
                return 0;
        }
        int r = write_config(path, new_text, err);
        if (r >= 0) {
                fprintf(stderr, PROG ": wrote %s\n", path);
                n_changed++;
        }
        return r;
}

typedef struct Files {
        char *main, *drop_in, *journal_text;
        size_t main_len, drop_in_len, journal_len;
        json_t *journal;
} Files;

static void files_done(Files *f) {
        free(f->main);
        free(f->drop_in);
        free(f->journal_text);
        json_decref(f->journal);
}

static int load(const RuntimeArgs *a, const char *jpath, Files *f, NvctError *err) {
        int r = read_config(a->config, &f->main, &f->main_len, err);
        if (r >= 0 && a->drop_in)
                r = read_config(a->drop_in, &f->drop_in, &f->drop_in_len, err);
        if (r >= 0)
                r = read_config(jpath, &f->journal_text, &f->journal_len, err);
        if (r >= 0 && f->journal_text)
                r = nvct_undo_parse(f->journal_text, f->journal_len, jpath, a->runtime, &f->journal, err);
        return r;
}

static int do_configure(const RuntimeArgs *a, const NvctEngineOptions *o, Engine e, const char *jpath,
                        NvctError *err) {
        _cleanup_(files_done) Files f = {};
        _cleanup_free_ char *main = NULL, *drop = NULL, *jtext = NULL;
        int r = load(a, jpath, &f, err);
        if (r < 0)
                return r;
        if (!f.journal) {
                f.journal = nvct_undo_new(a->runtime);
                if (!f.journal || json_object_set_new(f.journal, "created", json_boolean(!f.main)) < 0 ||
                    json_object_set_new(f.journal, "original", f.main ? json_stringn(f.main, f.main_len) :
                                                                         json_null()) < 0)
                        return nvct_error_set(err, ENOMEM, "journal");
        }
        if (e == ENGINE_DOCKER)
                r = nvct_docker_configure(f.main ?: "", f.main_len, a->config, o, f.journal, &main, err);
        else if (e == ENGINE_CONTAINERD)
                r = nvct_containerd_configure(f.main ?: "", f.main_len, a->config, o, f.journal, &main, &drop, err);
        else
                r = nvct_crio_configure(f.main ?: "", f.main_len, a->config, o, f.journal, &main, &drop, err);
        if (r < 0)
                return r;
        if (json_object_set_new(f.journal, "written", json_string(main)) < 0)
                return nvct_error_set(err, ENOMEM, "journal");
        if (nvct_undo_n_edits(f.journal) > 0) {
                char *s = json_dumps(f.journal, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                if (!s || asprintf(&jtext, "%s\n", s) < 0) {
                        free(s);
                        return nvct_error_set(err, ENOMEM, "journal");
                }
                free(s);
        }
        /* The drop-in first and the main config last: containerd must never import a missing file. */
        if (a->drop_in && (r = apply(a, a->drop_in, f.drop_in, drop, err)) < 0)
                return r;
        if (!a->dry_run && jtext && (r = apply(a, jpath, f.journal_text, jtext, err)) < 0)
                return r;
        return apply(a, a->config, f.main, (f.main || !streq(main, "")) ? main : NULL, err);
}

static int do_revert(const RuntimeArgs *a, const NvctEngineOptions *o, Engine e, const char *jpath,
                     NvctError *err) {
        _cleanup_(files_done) Files f = {};
        _cleanup_free_ char *main = NULL;
        bool remove_drop_in = false, empty;
        unsigned kept = 0;
        int r = load(a, jpath, &f, err);
        if (r < 0)
                return r;
        if (!f.main && !f.drop_in) {
                fprintf(stderr, PROG ": nothing to revert: %s does not exist\n", a->config);
                said_nothing = true;
                return 0;
        }
        if (e == ENGINE_DOCKER) {
                if (!f.journal) {
                        fprintf(stderr, PROG ": nothing to revert: no journal %s\n", jpath);
                        said_nothing = true;
                        return 0;
                }
                r = nvct_docker_revert(f.main ?: "", f.main_len, a->config, f.journal, &main, &kept, err);
                empty = r >= 0 && nvct_docker_is_empty(main, strlen(main));
        } else {
                if (e == ENGINE_CONTAINERD)
                        r = nvct_containerd_revert(f.main ?: "", f.main_len, a->config, f.drop_in, o, f.journal,
                                                   &main, &remove_drop_in, &kept, err);
                else
                        r = nvct_crio_revert(f.main ?: "", f.main_len, a->config, f.drop_in, f.journal, &main,
                                             &remove_drop_in, &kept, err);
                empty = r >= 0 && nvct_text_is_blank(main, strlen(main));
        }
        if (r < 0)
                return r;
        bool created = json_is_true(json_object_get(f.journal, "created"));
        const char *written = json_string_value(json_object_get(f.journal, "written"));
        json_t *original = json_object_get(f.journal, "original");
        if (f.main && written && streq(f.main, written) && (json_is_string(original) || json_is_null(original))) {
                /* untouched since configure: give back the very bytes it found */
                free(main);
                main = json_is_string(original) ? strdup(json_string_value(original)) : strdup("");
                if (!main)
                        return nvct_error_set(err, ENOMEM, "revert");
                empty = !json_is_string(original);
                kept = 0;
        }
        if (f.drop_in && !remove_drop_in)
                fprintf(stderr, PROG ": leaving %s alone: nvct did not write it\n", a->drop_in);
        if (kept > 0)
                fprintf(stderr, PROG ": left %u key%s of %s alone: changed since configure\n", kept,
                        kept == 1 ? "" : "s", a->config);
        r = apply(a, a->config, f.main, (empty && created) || (!f.main && empty) ? NULL : main, err);
        if (r >= 0 && remove_drop_in)
                r = apply(a, a->drop_in, f.drop_in, NULL, err);
        if (r >= 0 && f.journal_text && !a->dry_run)
                r = apply(a, jpath, f.journal_text, NULL, err);
        return r;
}

static int oci_hook(const RuntimeArgs *a, NvctError *err) {
        const char *path = a->oci_hook_path ?: DEFAULT_OCI_HOOK_FILE;
        _cleanup_free_ char *old = NULL, *text = NULL;
        size_t len;
        int r = read_config(path, &old, &len, err);
        if (r >= 0)
                r = nvct_crio_oci_hook(a->hook_path ?: DEFAULT_HOOK_PATH, &text, err);
        if (r < 0)
                return r;
        if (a->revert) {
                if (!old || !streq(old, text)) {
                        fprintf(stderr, PROG ": nothing to revert at %s\n", path);
                        said_nothing = true;
                        return 0;
                }
                return apply(a, path, old, NULL, err);
        }
        return apply(a, path, old, text, err);
}

int ctk_runtime_main(int argc, char **argv) {
        RuntimeArgs a = { .runtime = "docker", .runtime_name = "nvidia", .config_mode = "config-file",
                          .config_source = "file" };
        NvctError err = NVCT_ERROR_INIT;
        Engine e;
        int r;

        if (argc < 2 || argv[1][0] == '-') {
                bool help = argc >= 2 && flag_is_help(argv[1]);
                usage(help ? stdout : stderr);
                return help ? 0 : 1;
        }
        if (!streq(argv[1], "configure"))
                return fail("unknown command '%s' (the runtime command has: configure)", argv[1]);
        r = parse_args(argc - 2, argv + 2, &a);
        if (r != 0)
                return r < 0 ? 0 : r;
        for (e = ENGINE_DOCKER; e <= ENGINE_CRIO && !streq(a.runtime, engines[e].name); e++)
                ;
        if (e > ENGINE_CRIO)
                return fail("unsupported runtime '%s' (docker, containerd or crio)", a.runtime);
        if (!streq(a.config_source, "file"))
                return fail("--config-source=%s is not supported: nvct edits the config file itself",
                            a.config_source);
        if (streq(a.config_mode, "oci-hook")) {
                if (e != ENGINE_CRIO)
                        return fail("--config-mode=oci-hook is only supported for crio");
                return oci_hook(&a, &err) < 0 ? fail("%s", err.msg) : 0;
        }
        if (!streq(a.config_mode, "config-file"))
                return fail("unsupported --config-mode '%s' (config-file or oci-hook)", a.config_mode);
        if (!a.config)
                a.config = engines[e].config;
        if (!a.drop_in_given)
                a.drop_in = engines[e].drop_in;
        else if (a.drop_in[0] == '\0')
                a.drop_in = NULL;
        else if (e == ENGINE_DOCKER)
                return fail("docker has no drop-in configuration files");
        if (a.enable_cdi && e == ENGINE_CRIO)
                fprintf(stderr, PROG ": --cdi.enabled is ignored for crio: CRI-O always enables CDI\n");
        if (!a.runtime_path)
                a.runtime_path = engines[e].runtime_path;
        if (a.runtime_name[0] == '\0' || a.runtime_path[0] == '\0')
                return fail("the runtime name and path must not be empty");
        NvctEngineOptions o = { .runtime_name = a.runtime_name, .runtime_path = a.runtime_path,
                                .set_as_default = a.set_as_default, .enable_cdi = a.enable_cdi,
                                .drop_in = a.drop_in };
        _cleanup_free_ char *jpath = journal_path(a.config);
        if (!jpath)
                return fail("%s", strerror(ENOMEM));
        r = a.revert ? do_revert(&a, &o, e, jpath, &err) : do_configure(&a, &o, e, jpath, &err);
        if (r < 0)
                return fail("%s", err.msg);
        if (n_changed > 0)
                fprintf(stderr, PROG ": restart %s to apply the change\n", engines[e].name);
        else if (!a.dry_run && !said_nothing)
                fprintf(stderr, PROG ": %s: nothing to change\n", a.config);
        return 0;
}
