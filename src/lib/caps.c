/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "caps.h"

/* Sorted by name: this is the order NVIDIA's hook emits flags in. */
static const struct {
        const char *name;
        unsigned bit;
} cap_table[] = {
        { "compat32", NVCT_CAP_COMPAT32 }, { "compute", NVCT_CAP_COMPUTE }, { "display", NVCT_CAP_DISPLAY },
        { "graphics", NVCT_CAP_GRAPHICS }, { "ngx", NVCT_CAP_NGX },         { "utility", NVCT_CAP_UTILITY },
        { "video", NVCT_CAP_VIDEO },
};

unsigned nvct_cap_from_name(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(cap_table); i++)
                if (streq(cap_table[i].name, name))
                        return cap_table[i].bit;
        return 0;
}

const char *nvct_cap_name(unsigned cap) {
        for (size_t i = 0; i < ELEMENTSOF(cap_table); i++)
                if (cap_table[i].bit == cap)
                        return cap_table[i].name;
        return NULL;
}

char *nvct_caps_to_string(unsigned caps) {
        Buf b = BUF_INIT;
        for (size_t i = 0; i < ELEMENTSOF(cap_table); i++)
                if (caps & cap_table[i].bit)
                        buf_printf(&b, "%s%s", b.len ? "," : "", cap_table[i].name);
        return buf_steal(&b);
}

int nvct_caps_parse(const char *s, unsigned *ret, NvctError *err) {
        unsigned caps = 0;
        const char *p = s;

        while (*p) {
                size_t n = strcspn(p, ",");
                char tok[32];
                const char *t = p;
                size_t tn = n;
                while (tn > 0 && (*t == ' ' || *t == '\t'))
                        t++, tn--;
                while (tn > 0 && (t[tn - 1] == ' ' || t[tn - 1] == '\t'))
                        tn--;
                if (tn > 0) {
                        if (tn >= sizeof(tok))
                                return nvct_error_setx(err, EINVAL, "unsupported capability: %.*s",
                                                       (int) MIN(tn, (size_t) 64), t);
                        memcpy(tok, t, tn);
                        tok[tn] = '\0';
                        if (streq(tok, "all"))
                                caps |= NVCT_CAP_ALL;
                        else {
                                unsigned c = nvct_cap_from_name(tok);
                                if (!c)
                                        return nvct_error_setx(err, EINVAL, "unsupported capability: %s", tok);
                                caps |= c;
                        }
                }
                p += n;
                if (*p == ',')
                        p++;
        }
        *ret = caps;
        return 0;
}
