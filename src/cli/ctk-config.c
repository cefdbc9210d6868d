/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "ctk.h"
#include "fileio.h"
#include "flags.h"
#include "strv.h"
#include "toml.h"

typedef struct ConfigArgs {
        const char *config_file;
        char **sets;
        const char *list_separators;
        bool in_place;
        const char *output;
        char **args; /* positional: the subcommand */
} ConfigArgs;

#define PROG "nvidia-ctk config"
#define config_failx(...) ctk_fail(PROG, __VA_ARGS__)

static int config_fail(const NvctError *err) {
        return config_failx("%s", err->msg);
}

static void usage(FILE *f) {
        (void) fputs("Usage: nvidia-ctk config [--config-file FILE] [--set KEY[=VALUE]]... [--in-place | --output FILE]\n"
              "       nvidia-ctk config default [--output FILE]\n"
              "\n"
              "Print or edit the NVIDIA Container Toolkit configuration, keeping its comments and order.\n"
              "  -c, --config-file FILE     the config file to read\n"
              "      --set KEY[=VALUE]      set a dotted key; booleans may omit the value; lists split on ',' or ':'\n"
              "      --set-list-separator S characters that separate list items (default \",:\")\n"
              "  -i, --in-place             write the result back to the config file\n"
              "  -o, --output FILE          write the result to FILE (default: standard output)\n"
              "\n"
              "Subcommands: default (create-default, generate-default) prints the default configuration.\n",
              f);
}

static int parse_args(int argc, char **argv, ConfigArgs *a) {
        bool help = false;
        const Flag flags[] = {
                { "config-file,config,c", &a->config_file, FLAG_STRING },
                { "set", &a->sets, FLAG_STRV },
                { "set-list-separator", &a->list_separators, FLAG_STRING },
                { "in-place,i", &a->in_place, FLAG_BOOL },
                { "output,o", &a->output, FLAG_STRING },
                { "help,h", &help, FLAG_BOOL },
                { NULL, NULL, FLAG_BOOL },
        };

        int r = ctk_parse_flags(PROG, argc - 1, argv + 1, flags, &a->args, &help, usage);
        if (r != 0)
                return r;
        if (strv_length(a->args) > 1)
                return config_failx("unexpected argument '%s'", a->args[1]);
        return 0;
}

/* Apply one --set KEY[=VALUE]. */
static int apply_set(TomlDoc *doc, const char *set, const char *seps, NvctError *err) {
        _cleanup_free_ char *key = strndup(set, strcspn(set, "="));
        _cleanup_strv_free_ char **path = NULL;
        const char *value = strchr(set, '=');
        NvctConfigKeyType type;
        int r;

        if (!key)
                return nvct_error_set(err, ENOMEM, "--set %s", set);
        value = value ? value + 1 : NULL;
        r = toml_path_parse(key, &path, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "invalid --set option %s", set);
        const char *const *p = (const char *const *) path;
        if (nvct_config_key_type(p, &type) < 0)
                return nvct_error_setx(err, EINVAL, "invalid --set option %s: unknown config option '%s'", set, key);
        if (!value && type != NVCT_CONFIG_BOOL)
                return nvct_error_setx(err, EINVAL, "invalid --set option %s: expected %s=VALUE", set, key);

        switch (type) {
        case NVCT_CONFIG_BOOL: {
                bool b = true;
                if (value && flag_parse_bool(value, &b) < 0)
                        return nvct_error_setx(err, EINVAL, "invalid --set option %s: '%s' is not a boolean", set,
                                               value);
                return toml_set_bool(doc, p, b, err);
        }
        case NVCT_CONFIG_INT: {
                char *end;
                errno = 0;
                long long i = strtoll(value, &end, 10);
                if (!*value || *end || errno != 0)
                        return nvct_error_setx(err, EINVAL, "invalid --set option %s: '%s' is not an integer", set,
                                               value);
                return toml_set_int(doc, p, i, err);
        }
        case NVCT_CONFIG_STRV: {
                _cleanup_strv_free_ char **l = NULL;
                if (strv_split(value, seps, true, &l) < 0)
                        return nvct_error_set(err, ENOMEM, "--set %s", set);
                return toml_set_strv(doc, p, l, err);
        }
        default:
                /* An empty value unsets the key, so its default applies again. */
                if (!*value) {
                        r = toml_remove(doc, p, err);
                        return r < 0 ? r : 0;
                }
                return toml_set_string(doc, p, value, err);
        }
}

static int write_output(const char *path, const char *text, size_t len, NvctError *err) {
        struct stat st;
        mode_t mode = 0644;

        if (!path) {
                if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
                        return nvct_error_set(err, errno ? errno : EIO, "write standard output");
                return 0;
        }
        if (stat(path, &st) == 0)
                mode = st.st_mode & 07777;
        else if (errno != ENOENT)
                return nvct_error_set(err, errno, "stat %s", path);
        return write_file_atomic(path, text, len, mode, err);
}

static int config_default(const ConfigArgs *a) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_free_ char *text = NULL;

        if (a->sets || a->in_place)
                return config_failx("'default' takes only --output");
        if (nvct_config_default_text(&text) < 0)
                return config_failx("%s", strerror(ENOMEM));
        if (write_output(a->output, text, strlen(text), &err) < 0)
                return config_fail(&err);
        return 0;
}

int ctk_config_main(int argc, char **argv) {
        _cleanup_strv_free_ char **sets = NULL, **args = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_toml_doc_ TomlDoc *doc = NULL;
        NvctError err = NVCT_ERROR_INIT;
        ConfigArgs a = { .list_separators = ",:" };
        int r;

        r = parse_args(argc, argv, &a);
        sets = a.sets;
        args = a.args;
        if (r != 0)
                return r < 0 ? 0 : 2;
        if (args) {
                if (streq(args[0], "default") || streq(args[0], "create-default") ||
                    streq(args[0], "generate-default"))
                        return config_default(&a);
                return config_failx("unknown subcommand '%s'", args[0]);
        }
        if (nvct_config_default_path(a.config_file, getenv("NVIDIA_CTK_CONFIG_FILE_PATH"),
                                     getenv("XDG_CONFIG_HOME"), &path) < 0)
                return config_failx("%s", strerror(ENOMEM));
        r = toml_parse_file(path, &doc, &err);
        if (r == -ENOENT) {
                /* No file yet: start from the defaults, as NVIDIA's tool does. */
                _cleanup_free_ char *text = NULL;
                if (nvct_config_default_text(&text) < 0)
                        return config_failx("%s", strerror(ENOMEM));
                nvct_error_clear(&err);
                r = toml_parse(text, strlen(text), path, &doc, &err);
        }
        if (r < 0)
                return config_fail(&err);
        for (size_t i = 0; sets && sets[i]; i++)
                if (apply_set(doc, sets[i], a.list_separators, &err) < 0)
                        return config_fail(&err);
        size_t len;
        const char *text = toml_doc_text(doc, &len);
        if (write_output(a.in_place ? path : a.output, text, len, &err) < 0)
                return config_fail(&err);
        return 0;
}
