/* SPDX-License-Identifier: Apache-2.0 */
/* The CDI spec model: strict reading, the library's validation messages, the minimum-version rule, the writer. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cdi-spec.h"
#include "strv.h"

static NvctCdiSpec *parse(const char *text, NvctCdiFormat fmt, NvctError *err) {
        NvctCdiSpec *s = NULL;
        nvct_error_clear(err);
        if (nvct_cdi_spec_parse(text, strlen(text), fmt, "t.yaml", &s, err) < 0)
                return NULL;
        return s;
}

__attribute__((returns_nonnull)) static NvctCdiSpec *must(NvctCdiSpec *s) {
        if (!s)
                abort();
        return s;
}

/* Parse and validate; returns the message ("" when valid). */
static const char *check(const char *text) {
        static NvctError err;
        NvctCdiSpec *s = parse(text, NVCT_CDI_FORMAT_YAML, &err);
        if (!s)
                return err.msg;
        int r = nvct_cdi_spec_validate(s, &err);
        nvct_cdi_spec_free(s);
        return r < 0 ? err.msg : "";
}

#define HDR "cdiVersion: \"0.5.0\"\nkind: vendor.com/dev\n"
#define DEV(name, edits) "devices:\n- name: " name "\n  containerEdits: " edits "\n"

static void test_parse_yaml(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        /* Go matches keys case-insensitively; an unquoted 0 is a string for a string field */
        NvctCdiSpec *s = must(parse("CDIVERSION: 0.5.0\nKind: vendor.com/dev\ndevices:\n- name: 0\n  containerEdits:\n"
                               "    deviceNodes: [{path: /dev/x, major: 0x10, fileMode: 438}]\n"
                               "    hooks: [{hookName: createContainer, path: /h, args: [h, '1'], timeout: 5}]\n",
                               NVCT_CDI_FORMAT_YAML, &err));
        assert_string_equal(s->version, "0.5.0");
        assert_string_equal(s->kind, "vendor.com/dev");
        assert_int_equal(s->n_devices, 1);
        assert_string_equal(s->devices[0].name, "0");
        assert_int_equal(s->devices[0].edits.nodes[0].major, 16);
        assert_true(s->devices[0].edits.nodes[0].has_file_mode);
        assert_int_equal(s->devices[0].edits.nodes[0].file_mode, 438);
        assert_true(s->devices[0].edits.hooks[0].has_timeout);
        assert_string_equal(s->devices[0].edits.hooks[0].args[1], "1");
        assert_int_equal(nvct_cdi_spec_validate(s, &err), 0);
        nvct_cdi_spec_free(s);
}

static void test_parse_errors(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        assert_null(parse(HDR "foo: 1\n" DEV("a", "{env: [A=1]}"), NVCT_CDI_FORMAT_YAML, &err));
        assert_string_equal(err.msg, "failed to parse CDI Spec \"t.yaml\": failed to unmarshal CDI Spec: error "
                                     "unmarshaling JSON: while decoding JSON: json: unknown field \"foo\"");
        assert_null(parse(HDR DEV("a", "{env: [A=1], bogus: []}"), NVCT_CDI_FORMAT_YAML, &err));
        assert_non_null(strstr(err.msg, "json: unknown field \"bogus\""));
        assert_null(parse(HDR "devices: {a: 1}\n", NVCT_CDI_FORMAT_YAML, &err));
        assert_non_null(strstr(err.msg, "cannot unmarshal object into Go struct field Spec.devices"));
        assert_null(parse(HDR DEV("a", "{deviceNodes: [{path: /x, uid: -1}]}"), NVCT_CDI_FORMAT_YAML, &err));
        assert_non_null(strstr(err.msg, "of type uint32"));
        assert_null(parse("kind: [unclosed\n", NVCT_CDI_FORMAT_YAML, &err));
        assert_non_null(strstr(err.msg, "error converting YAML to JSON: yaml: line"));
        assert_null(parse("a: &x 1\nb: *x\n", NVCT_CDI_FORMAT_YAML, &err));
        assert_non_null(strstr(err.msg, "aliases are not supported"));
        assert_null(parse("", NVCT_CDI_FORMAT_YAML, &err));
        assert_string_equal(err.msg, "failed to parse CDI Spec \"t.yaml\", no Spec data");
        assert_null(parse("{\"kind\": ", NVCT_CDI_FORMAT_JSON, &err));
        assert_non_null(strstr(err.msg, "t.yaml"));
        assert_null(parse("[1]", NVCT_CDI_FORMAT_JSON, &err));
        assert_non_null(strstr(err.msg, "cannot unmarshal array into Go value of type specs.Spec"));
}

static void test_validate_messages(void **state) {
        assert_string_equal(check(HDR DEV("a", "{env: [A=1]}")), "");
        assert_string_equal(check("cdiVersion: v0.5.0\nkind: vendor.com/dev\n" DEV("a", "{env: [A=1]}")), "");
        assert_string_equal(check("cdiVersion: 0.5.1\nkind: vendor.com/dev\n" DEV("a", "{env: [A=1]}")),
                            "invalid CDI Spec: invalid version \"0.5.1\"");
        assert_string_equal(check(HDR "annotations: {k: v}\n" DEV("a", "{env: [A=1]}")),
                            "invalid CDI Spec: the spec version must be at least v0.6.0");
        assert_string_equal(check("cdiVersion: 0.4.0\nkind: vendor.com/dev\n" DEV("\"0\"", "{env: [A=1]}")),
                            "invalid CDI Spec: the spec version must be at least v0.5.0");
        assert_string_equal(check("cdiVersion: 0.5.0\nkind: nokind\n" DEV("a", "{env: [A=1]}")),
                            "invalid CDI Spec: invalid vendor. empty name");
        assert_string_equal(check("cdiVersion: 0.5.0\nkind: 1x.com/dev\n" DEV("a", "{env: [A=1]}")),
                            "invalid CDI Spec: invalid vendor. \"1x.com\", should start with letter");
        assert_string_equal(check("cdiVersion: 0.5.0\nkind: v.com/a+b\n" DEV("a", "{env: [A=1]}")),
                            "invalid CDI Spec: invalid class. invalid character '+' in name \"a+b\"");
        assert_string_equal(check(HDR DEV("-x", "{env: [A=1]}")),
                            "invalid CDI Spec: failed add device \"-x\": invalid class \"-x\", should start with a "
                            "letter or digit");
        assert_string_equal(check(HDR DEV("a/b", "{env: [A=1]}")),
                            "invalid CDI Spec: failed add device \"a/b\": invalid character '/' in device name \"a/b\"");
        assert_string_equal(check(HDR DEV("x-", "{env: [A=1]}")),
                            "invalid CDI Spec: failed add device \"x-\": invalid name \"x-\", should end with a letter "
                            "or digit");
        assert_string_equal(check(HDR DEV("\"0\"", "{}")),
                            "invalid CDI Spec: failed add device \"0\": invalid device, empty device edits");
        assert_string_equal(check(HDR DEV("\"0\"", "{env: [FOO]}")),
                            "invalid CDI Spec: failed add device \"0\": invalid device \"0\": invalid container edits: "
                            "invalid environment variable \"FOO\"");
        assert_string_equal(check(HDR "containerEdits: {env: ['=x']}\n" DEV("a", "{env: [A=1]}")),
                            "invalid CDI Spec: invalid container edits: invalid environment variable \"=x\"");
        assert_string_equal(check(HDR DEV("a", "{env: [FOO=]}")), "");
        assert_string_equal(check(HDR DEV("a", "{hooks: [{hookName: prestart2, path: /x}]}")),
                            "invalid CDI Spec: failed add device \"a\": invalid device \"a\": invalid hook name "
                            "\"prestart2\"");
        assert_string_equal(check(HDR DEV("a", "{hooks: [{hookName: createContainer}]}")),
                            "invalid CDI Spec: failed add device \"a\": invalid device \"a\": invalid hook "
                            "\"createContainer\" with empty path");
        assert_string_equal(check(HDR DEV("a", "{deviceNodes: [{path: ''}]}")),
                            "invalid CDI Spec: failed add device \"a\": invalid device \"a\": invalid (empty) device path");
        assert_string_equal(check(HDR DEV("a", "{deviceNodes: [{path: /dev/x, type: z}]}")),
                            "invalid CDI Spec: failed add device \"a\": invalid device \"a\": device \"/dev/x\": invalid "
                            "type \"z\"");
        assert_string_equal(check(HDR DEV("a", "{deviceNodes: [{path: /dev/x, permissions: rwx}]}")),
                            "invalid CDI Spec: failed add device \"a\": invalid device \"a\": device \"/dev/x\": invalid "
                            "permissions \"rwx\"");
        assert_string_equal(check(HDR DEV("a", "{mounts: [{containerPath: /x}]}")),
                            "invalid CDI Spec: failed add device \"a\": invalid device \"a\": invalid mount, empty host "
                            "path");
        assert_string_equal(check(HDR "devices:\n- {name: a, containerEdits: {env: [A=1]}}\n"
                                      "- {name: b, containerEdits: {env: [A=1]}}\n- {name: a, containerEdits: {env: [A=1]}}\n"),
                            "invalid CDI Spec: invalid spec, multiple device \"a\"");
        assert_string_equal(check(HDR "devices: []\n"), "invalid CDI Spec: invalid spec, no devices");
        /* intelRdt, even empty, needs 0.7.0; netDevices need 1.1.0 */
        assert_string_equal(check(HDR DEV("a", "{intelRdt: {}}")),
                            "invalid CDI Spec: the spec version must be at least v0.7.0");
        assert_string_equal(check("cdiVersion: 1.1.0\nkind: v.com/d\n" DEV("a", "{netDevices: [{hostInterfaceName: "
                                                                            "eth0, name: ''}]}")),
                            "invalid CDI Spec: failed add device \"a\": invalid device \"a\": invalid (empty) container "
                            "network device name");
}

static void test_names(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        char *v = NULL, *c = NULL, *n = NULL;
        assert_int_equal(nvct_cdi_parse_qualified_name("nvidia.com/gpu=0:1", &v, &c, &n, &err), 0);
        assert_string_equal(v, "nvidia.com");
        assert_string_equal(c, "gpu");
        assert_string_equal(n, "0:1");
        free(v), free(c), free(n);
        assert_true(nvct_cdi_parse_qualified_name("gpu=0", NULL, NULL, NULL, &err) < 0);
        assert_string_equal(err.msg, "unqualified device \"gpu=0\", missing vendor");
        assert_true(nvct_cdi_parse_qualified_name("nvidia.com/gpu", NULL, NULL, NULL, &err) < 0);
        assert_string_equal(err.msg, "unqualified device \"nvidia.com/gpu\", missing class");
        assert_true(nvct_cdi_parse_qualified_name("nvidia.com/gpu=", NULL, NULL, NULL, &err) < 0);
        assert_string_equal(err.msg, "unqualified device \"nvidia.com/gpu=\", missing device name");
        /* a one-character vendor is valid (the library panics on it in v1.1.0) */
        assert_int_equal(nvct_cdi_validate_vendor("v", &err), 0);
}

static char *format(const NvctCdiSpec *s, NvctCdiFormat f) {
        NvctError err = NVCT_ERROR_INIT;
        char *text = NULL;
        assert_int_equal(nvct_cdi_spec_format(s, f, &text, NULL, &err), 0);
        return text;
}

static void test_writer(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        NvctCdiSpec *s = must(nvct_cdi_spec_new("vendor.com/dev"));
        NvctCdiDevice *d = nvct_cdi_spec_add_device(s, "0");
        char *opts[] = { (char *) "ro", (char *) "rbind", NULL };
        assert_int_equal(nvct_cdi_edits_add_node(&d->edits, "/dev/x0", "/host/dev/x0"), 0);
        assert_int_equal(nvct_cdi_edits_add_env(&s->edits, "A=yes"), 0);
        assert_int_equal(nvct_cdi_edits_add_mount(&s->edits, "/h/lib", "/lib", opts), 0);
        d = nvct_cdi_spec_add_device(s, "yes");
        assert_int_equal(nvct_cdi_edits_add_env(&d->edits, "B="), 0);
        s->version = strdup(nvct_cdi_minimum_version(s));
        assert_string_equal(s->version, "0.5.0");

        char *yaml = format(s, NVCT_CDI_FORMAT_YAML);
        assert_string_equal(yaml, "---\n"
                                  "cdiVersion: \"0.5.0\"\n"
                                  "containerEdits:\n"
                                  "  env:\n"
                                  "  - A=yes\n"
                                  "  mounts:\n"
                                  "  - containerPath: /lib\n"
                                  "    hostPath: /h/lib\n"
                                  "    options:\n"
                                  "    - ro\n"
                                  "    - rbind\n"
                                  "devices:\n"
                                  "- containerEdits:\n"
                                  "    deviceNodes:\n"
                                  "    - hostPath: /host/dev/x0\n"
                                  "      path: /dev/x0\n"
                                  "  name: \"0\"\n"
                                  "- containerEdits:\n"
                                  "    env:\n"
                                  "    - B=\n"
                                  "  name: \"yes\"\n"
                                  "kind: vendor.com/dev\n");
        /* round trip: what we write reads back to the same bytes, in both formats */
        for (int f = 0; f < 2; f++) {
                char *text = format(s, (NvctCdiFormat) f);
                NvctCdiSpec *back = must(parse(text, (NvctCdiFormat) f, &err));
                assert_int_equal(nvct_cdi_spec_validate(back, &err), 0);
                char *again = format(back, (NvctCdiFormat) f);
                assert_string_equal(text, again);
                free(text), free(again);
                nvct_cdi_spec_free(back);
        }
        free(yaml);
        nvct_cdi_spec_free(s);
}

static void test_too_large(void **state) {
        char path[] = "/tmp/nvct-cdi-big-XXXXXX.yaml";
        int fd = mkstemps(path, 5);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, NVCT_CDI_SPEC_MAX), 0);
        close(fd);
        NvctError err = NVCT_ERROR_INIT;
        NvctCdiSpec *s = NULL;
        assert_true(nvct_cdi_spec_read(path, 0, &s, &err) < 0);
        assert_non_null(strstr(err.msg, path));
        assert_non_null(strstr(err.msg, "file too large"));
        unlink(path);
}

static void test_transform(void **state) {
        NvctCdiSpec *s = must(nvct_cdi_spec_new("vendor.com/dev"));
        NvctCdiDevice *d = nvct_cdi_spec_add_device(s, "a");
        char *args[] = { (char *) "hook", (char *) "--link", (char *) "libx.so.1::/drv/lib/libx.so", NULL };
        assert_int_equal(nvct_cdi_edits_add_node(&d->edits, "/dev/x", NULL), 0);
        assert_int_equal(nvct_cdi_edits_add_mount(&d->edits, "/drv/lib/libx.so.1", "/drv/lib/libx.so.1", NULL), 0);
        assert_int_equal(nvct_cdi_edits_add_mount(&d->edits, "/drvx/other", "/drvx/other", NULL), 0);
        assert_int_equal(nvct_cdi_edits_add_hook(&d->edits, "createContainer", "/drv/bin/hook", args, NULL), 0);
        assert_int_equal(nvct_cdi_spec_transform_root(s, "/drv", "/", false), 0);
        assert_string_equal(d->edits.mounts[0].host_path, "/lib/libx.so.1");
        assert_string_equal(d->edits.mounts[1].host_path, "/drvx/other");
        assert_string_equal(d->edits.hooks[0].path, "/bin/hook");
        assert_null(d->edits.nodes[0].host_path);
        assert_int_equal(nvct_cdi_spec_transform_root(s, "/drv/lib", "/usr/lib64", true), 0);
        assert_string_equal(d->edits.mounts[0].container_path, "/usr/lib64/libx.so.1");
        assert_string_equal(d->edits.hooks[0].args[2], "libx.so.1::/usr/lib64/libx.so");
        nvct_cdi_spec_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_yaml), cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_validate_messages), cmocka_unit_test(test_names),
                cmocka_unit_test(test_writer), cmocka_unit_test(test_too_large), cmocka_unit_test(test_transform),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
