/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The nvidia-ctk flag grammar (flags.h) over NUL-separated argv words: it must never crash, must say why on every
 * refusal, must keep every positional argument it accepts, and must parse the same words the same way twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "strv.h"

#define MAX_ARGS 64

typedef struct Out {
        const char *str;
        char **strv, **list, **args;
        bool flag;
} Out;

static int parse(int argc, char **argv, bool positional, Out *o, NvctError *err) {
        const Flag flags[] = {
                { "output,o", &o->str, FLAG_STRING },
                { "set", &o->strv, FLAG_STRV },
                { "device-id,device-ids,d", &o->list, FLAG_LIST },
                { "dry-run,n", &o->flag, FLAG_BOOL },
                { NULL, NULL, FLAG_BOOL },
        };
        *o = (Out) {};
        return flags_parse(argc, argv, flags, positional ? &o->args : NULL, err);
}

static void out_done(Out *o) {
        strv_free(o->strv);
        strv_free(o->list);
        strv_free(o->args);
}

static bool strv_same(char **a, char **b) {
        size_t n = strv_length(a);
        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *argv[MAX_ARGS + 1];
        int argc = 0;

        if (size < 1 || size > 4096)
                return 0;
        bool positional = data[0] & 1;
        char *text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        for (char *p = text; p < text + size - 1 && argc < MAX_ARGS; p += strlen(p) + 1)
                argv[argc++] = p;
        argv[argc] = NULL;

        NvctError e1 = NVCT_ERROR_INIT, e2 = NVCT_ERROR_INIT;
        Out a, b;
        int r1 = parse(argc, argv, positional, &a, &e1);
        int r2 = parse(argc, argv, positional, &b, &e2);
        if (r1 != r2 || (r1 < 0 && (!e1.msg[0] || strcmp(e1.msg, e2.msg) != 0)))
                abort();
        if (r1 == 0) {
                if (strv_length(a.args) > (size_t) argc || a.flag != b.flag || !strv_same(a.args, b.args) ||
                    !strv_same(a.list, b.list) || !strv_same(a.strv, b.strv) || (a.str != b.str))
                        abort();
                for (char **l = a.list; l && *l; l++)
                        if (!**l || strchr(*l, ','))
                                abort(); /* list items are split on ',' and never empty */
        }
        out_done(&a);
        out_done(&b);
        free(text);
        return 0;
}
