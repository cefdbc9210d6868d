/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "strv.h"
#include "toml.h"

#define P(...) ((const char *[]) { __VA_ARGS__, NULL })

static TomlDoc *parse_ok(const char *text) {
        NvctError err = NVCT_ERROR_INIT;
        TomlDoc *d = NULL;
        if (toml_parse(text, strlen(text), "t.toml", &d, &err) < 0) {
                print_error("unexpected parse failure: %s\n--- input ---\n%s\n", err.msg, text);
                fail();
        }
        return d;
}

static const char *str_at(TomlDoc *d, const char *const *path) {
        const char *s = NULL;
        assert_int_equal(toml_value_string(toml_get(d, path), &s), 0);
        return s;
}

static int64_t int_at(TomlDoc *d, const char *const *path) {
        int64_t i = 0;
        assert_int_equal(toml_value_int(toml_get(d, path), &i), 0);
        return i;
}

static double float_at(TomlDoc *d, const char *const *path) {
        double f = 0;
        const TomlValue *v = toml_get(d, path);
        assert_non_null(v);
        assert_int_equal(toml_value_type(v), TOML_FLOAT);
        assert_int_equal(toml_value_float(v, &f), 0);
        return f;
}

/* ---- the examples of the TOML 1.0 specification ---- */

static void test_spec_strings(void **state) {
        _cleanup_toml_doc_ TomlDoc *d = parse_ok(
                "str = \"I'm a string. \\\"You can quote me\\\". Name\\tJos\\u00E9\\nLocation\\tSF.\"\n"
                "str1 = \"The quick brown fox jumps over the lazy dog.\"\n"
                "str2 = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"\n"
                "str3 = \"\"\"\\\n       The quick brown \\\n       fox jumps over \\\n       the lazy dog.\\\n"
                "       \"\"\"\n"
                "str4 = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\n"
                "str5 = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\n"
                "str7 = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n"
                "winpath = 'C:\\Users\\nodejs\\templates'\n"
                "quoted = 'Tom \"Dubs\" Preston-Werner'\n"
                "regex = '<\\i\\c*\\s*>'\n"
                "regex2 = '''I [dw]on't need \\d{2} apples'''\n"
                "lines = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n"
                "   is preserved.\n'''\n"
                "quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\n"
                "apos15 = \"Here are fifteen apostrophes: '''''''''''''''\"\n"
                "str8 = ''''That,' she said, 'is still pointless.''''\n"
                "emoji = \"\\U0001F600\"\n"
                "crlf = \"\"\"a\r\nb\"\"\"\r\n");

        assert_string_equal(str_at(d, P("str")), "I'm a string. \"You can quote me\". Name\tJos\xC3\xA9\nLocation\tSF.");
        assert_string_equal(str_at(d, P("str1")), "The quick brown fox jumps over the lazy dog.");
        assert_string_equal(str_at(d, P("str2")), "The quick brown fox jumps over the lazy dog.");
        assert_string_equal(str_at(d, P("str3")), "The quick brown fox jumps over the lazy dog.");
        assert_string_equal(str_at(d, P("str4")), "Here are two quotation marks: \"\". Simple enough.");
        assert_string_equal(str_at(d, P("str5")), "Here are three quotation marks: \"\"\".");
        assert_string_equal(str_at(d, P("str7")), "\"This,\" she said, \"is just a pointless statement.\"");
        assert_string_equal(str_at(d, P("winpath")), "C:\\Users\\nodejs\\templates");
        assert_string_equal(str_at(d, P("quoted")), "Tom \"Dubs\" Preston-Werner");
        assert_string_equal(str_at(d, P("regex")), "<\\i\\c*\\s*>");
        assert_string_equal(str_at(d, P("regex2")), "I [dw]on't need \\d{2} apples");
        assert_string_equal(str_at(d, P("lines")),
                            "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n"
                            "   is preserved.\n");
        assert_string_equal(str_at(d, P("quot15")), "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"");
        assert_string_equal(str_at(d, P("apos15")), "Here are fifteen apostrophes: '''''''''''''''");
        assert_string_equal(str_at(d, P("str8")), "'That,' she said, 'is still pointless.'");
        assert_string_equal(str_at(d, P("emoji")), "\xF0\x9F\x98\x80");
        assert_string_equal(str_at(d, P("crlf")), "a\r\nb");
}

static void test_nul_in_string(void **state) {
        _cleanup_toml_doc_ TomlDoc *d = parse_ok("a = \"x\\u0000y\"\n");
        const char *s;
        size_t n;
        assert_int_equal(toml_value_string(toml_get(d, P("a")), &s), -EINVAL);
        assert_int_equal(toml_value_string_len(toml_get(d, P("a")), &s, &n), 0);
        assert_int_equal(n, 3);
        assert_memory_equal(s, "x\0y", 3);
}

static void test_spec_numbers(void **state) {
        _cleanup_toml_doc_ TomlDoc *d = parse_ok(
                "int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\nint6 = 5_349_221\n"
                "int7 = 53_49_221\nint8 = 1_2_3_4_5\nhex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\n"
                "oct1 = 0o01234567\noct2 = 0o755\nbin1 = 0b11010110\nmax = 9223372036854775807\n"
                "min = -9223372036854775808\nzero = -0\n"
                "flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 1e06\nflt6 = -2E-2\n"
                "flt7 = 6.626e-34\nflt8 = 224_617.445_991_228\nflt9 = -0.0\n"
                "sf1 = inf\nsf2 = +inf\nsf3 = -inf\nsf4 = nan\nsf5 = +nan\nsf6 = -nan\n"
                "t = true\nf = false\n");

        assert_int_equal(int_at(d, P("int1")), 99);
        assert_int_equal(int_at(d, P("int2")), 42);
        assert_int_equal(int_at(d, P("int3")), 0);
        assert_int_equal(int_at(d, P("int4")), -17);
        assert_int_equal(int_at(d, P("int5")), 1000);
        assert_int_equal(int_at(d, P("int6")), 5349221);
        assert_int_equal(int_at(d, P("int7")), 5349221);
        assert_int_equal(int_at(d, P("int8")), 12345);
        assert_int_equal(int_at(d, P("hex1")), 0xDEADBEEF);
        assert_int_equal(int_at(d, P("hex2")), 0xDEADBEEF);
        assert_int_equal(int_at(d, P("hex3")), 0xDEADBEEF);
        assert_int_equal(int_at(d, P("oct1")), 01234567);
        assert_int_equal(int_at(d, P("oct2")), 0755);
        assert_int_equal(int_at(d, P("bin1")), 214);
        assert_true(int_at(d, P("max")) == INT64_MAX);
        assert_true(int_at(d, P("min")) == INT64_MIN);
        assert_int_equal(int_at(d, P("zero")), 0);
        assert_true(float_at(d, P("flt1")) == 1.0);
        assert_true(float_at(d, P("flt2")) == 3.1415);
        assert_true(float_at(d, P("flt3")) == -0.01);
        assert_true(float_at(d, P("flt4")) == 5e22);
        assert_true(float_at(d, P("flt5")) == 1e6);
        assert_true(float_at(d, P("flt6")) == -2e-2);
        assert_true(float_at(d, P("flt7")) == 6.626e-34);
        assert_true(float_at(d, P("flt8")) == 224617.445991228);
        assert_true(signbit(float_at(d, P("flt9"))));
        assert_true(isinf(float_at(d, P("sf1"))) && float_at(d, P("sf1")) > 0);
        assert_true(isinf(float_at(d, P("sf2"))) && float_at(d, P("sf2")) > 0);
        assert_true(isinf(float_at(d, P("sf3"))) && float_at(d, P("sf3")) < 0);
        assert_true(isnan(float_at(d, P("sf4"))));
        assert_true(isnan(float_at(d, P("sf5"))));
        assert_true(isnan(float_at(d, P("sf6"))));
        bool b = false;
        assert_int_equal(toml_value_bool(toml_get(d, P("t")), &b), 0);
        assert_true(b);
        assert_int_equal(toml_value_bool(toml_get(d, P("f")), &b), 0);
        assert_false(b);
        /* Wrong-type access is reported, not coerced. */
        assert_int_equal(toml_value_bool(toml_get(d, P("int1")), &b), -EMEDIUMTYPE);
        assert_int_equal(toml_value_bool(toml_get(d, P("nope")), &b), -ENOENT);
}

static void test_spec_datetimes(void **state) {
        _cleanup_toml_doc_ TomlDoc *d = parse_ok(
                "odt1 = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00-07:00\n"
                "odt3 = 1979-05-27T00:32:00.999999-07:00\nodt4 = 1979-05-27 07:32:00Z\n"
                "ldt1 = 1979-05-27T07:32:00\nldt2 = 1979-05-27T00:32:00.999999\nld1 = 1979-05-27\n"
                "lt1 = 07:32:00\nlt2 = 00:32:00.999999\nleap = 2000-02-29\nlower = 1979-05-27t07:32:00z\n"
                "arr = [1979-05-27, 07:32:00]\n");
        static const char *const expect[][2] = {
                { "odt1", "1979-05-27T07:32:00Z" }, { "odt2", "1979-05-27T00:32:00-07:00" },
                { "odt3", "1979-05-27T00:32:00.999999-07:00" }, { "odt4", "1979-05-27 07:32:00Z" },
                { "ldt1", "1979-05-27T07:32:00" }, { "ldt2", "1979-05-27T00:32:00.999999" },
                { "ld1", "1979-05-27" }, { "lt1", "07:32:00" }, { "lt2", "00:32:00.999999" },
                { "leap", "2000-02-29" }, { "lower", "1979-05-27t07:32:00z" },
        };
        for (size_t i = 0; i < ELEMENTSOF(expect); i++) {
                const char *s = NULL;
                assert_int_equal(toml_value_datetime(toml_get(d, P(expect[i][0])), &s), 0);
                assert_string_equal(s, expect[i][1]);
        }
        assert_int_equal(toml_array_size(toml_get(d, P("arr"))), 2);
}

static void test_spec_tables(void **state) {
        _cleanup_toml_doc_ TomlDoc *d = parse_ok(
                "\"127.0.0.1\" = \"value\"\n\"character encoding\" = \"value\"\n'key2' = \"value\"\n"
                "'quoted \"value\"' = \"value\"\n\"\" = \"blank\"\n3.14159 = \"pi\"\n"
                "name = { first = \"Tom\", last = \"Preston-Werner\" }\nanimal = { type.name = \"pug\" }\n"
                "site.\"google.com\" = true\n"
                "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n"
                "[dog.\"tater.man\"]\ntype.name = \"pug\"\n"
                "[ j . \"\xCA\x9E\" . 'l' ]\n"
                "[x.y.z.w]\n[x]\n"
                "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n"
                "[fruit.apple.texture]\nsmooth = true\n");

        assert_string_equal(str_at(d, P("127.0.0.1")), "value");
        assert_string_equal(str_at(d, P("character encoding")), "value");
        assert_string_equal(str_at(d, P("key2")), "value");
        assert_string_equal(str_at(d, P("quoted \"value\"")), "value");
        assert_string_equal(str_at(d, P("")), "blank");
        assert_string_equal(str_at(d, P("3", "14159")), "pi");
        assert_string_equal(str_at(d, P("name", "last")), "Preston-Werner");
        assert_string_equal(str_at(d, P("animal", "type", "name")), "pug");
        assert_non_null(toml_get(d, P("site", "google.com")));
        assert_int_equal(int_at(d, P("table-1", "key2")), 123);
        assert_string_equal(str_at(d, P("dog", "tater.man", "type", "name")), "pug");
        assert_int_equal(toml_value_type(toml_get(d, P("j", "\xCA\x9E", "l"))), TOML_TABLE);
        assert_non_null(toml_get(d, P("x", "y", "z", "w")));
        assert_non_null(toml_get(d, P("fruit", "apple", "texture", "smooth")));

        /* Iteration keeps the order of the text. */
        const TomlValue *root = toml_doc_root(d);
        assert_string_equal(toml_table_key_at(root, 0), "127.0.0.1");
        assert_string_equal(toml_table_key_at(root, 5), "3");
        const TomlValue *t1 = toml_get(d, P("table-1"));
        assert_int_equal(toml_table_size(t1), 2);
        assert_string_equal(toml_table_key_at(t1, 1), "key2");
        assert_int_equal(toml_value_type(toml_table_value_at(t1, 1)), TOML_INTEGER);

        _cleanup_free_ char *path = toml_value_path(toml_get(d, P("dog", "tater.man", "type")));
        assert_string_equal(path, "dog.\"tater.man\".type");
        unsigned line, col;
        toml_value_position(d, toml_get(d, P("table-1", "key2")), &line, &col);
        assert_int_equal(line, 12);
        assert_int_equal(col, 8);
}

static void test_spec_arrays(void **state) {
        _cleanup_toml_doc_ TomlDoc *d = parse_ok(
                "integers = [ 1, 2, 3 ]\ncolors = [ \"red\", \"yellow\", \"green\" ]\n"
                "nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\n"
                "nested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\n"
                "string_array = [ \"all\", 'strings', \"\"\"are the same\"\"\", '''type''' ]\n"
                "numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\n"
                "contributors = [\n  \"Foo Bar <foo@example.com>\",\n"
                "  { name = \"Baz Qux\", email = \"bazqux@example.com\", url = \"https://example.com/bazqux\" }\n]\n"
                "integers2 = [\n  1, 2, 3\n]\nintegers3 = [\n  1,\n  2, # this is ok\n]\nempty = [ ]\n"
                "[[fruits]]\nname = \"apple\"\n[fruits.physical]\ncolor = \"red\"\nshape = \"round\"\n"
                "[[fruits.varieties]]\nname = \"red delicious\"\n[[fruits.varieties]]\nname = \"granny smith\"\n"
                "[[fruits]]\nname = \"banana\"\n[[fruits.varieties]]\nname = \"plantain\"\n");

        _cleanup_strv_free_ char **colors = NULL;
        assert_int_equal(toml_value_strv(toml_get(d, P("colors")), &colors), 0);
        assert_int_equal(strv_length(colors), 3);
        assert_string_equal(colors[2], "green");
        _cleanup_strv_free_ char **sa = NULL;
        assert_int_equal(toml_value_strv(toml_get(d, P("string_array")), &sa), 0);
        assert_string_equal(sa[2], "are the same");
        char **bad = NULL;
        assert_int_equal(toml_value_strv(toml_get(d, P("numbers")), &bad), -EMEDIUMTYPE);
        const TomlValue *c = toml_get(d, P("contributors"));
        assert_int_equal(toml_array_size(c), 2);
        assert_int_equal(toml_value_type(toml_array_at(c, 1)), TOML_TABLE);
        assert_int_equal(toml_array_size(toml_get(d, P("integers3"))), 2);
        assert_int_equal(toml_array_size(toml_get(d, P("empty"))), 0);
        assert_int_equal(toml_array_size(toml_get(d, P("nested_mixed_array"))), 2);

        const TomlValue *fruits = toml_get(d, P("fruits"));
        assert_true(toml_array_is_tables(fruits));
        assert_int_equal(toml_array_size(fruits), 2);
        const TomlValue *apple = toml_array_at(fruits, 0);
        assert_int_equal(toml_array_size(toml_table_get(apple, "varieties")), 2);
        assert_non_null(toml_table_get(toml_table_get(apple, "physical"), "shape"));
        /* A path through an array of tables means its last element. */
        assert_string_equal(str_at(d, P("fruits", "name")), "banana");
        const TomlValue *v = toml_get(d, P("fruits", "varieties"));
        assert_int_equal(toml_array_size(v), 1);
        const char *s;
        assert_int_equal(toml_value_string(toml_table_get(toml_array_at(v, 0), "name"), &s), 0);
        assert_string_equal(s, "plantain");
}

static void test_misc_valid(void **state) {
        static const char *const docs[] = {
                "",
                "\n\n# only a comment",
                ("\xEF\xBB\xBF" "a = 1\n"),
                "a = 1\r\nb = 2\r\n",
                "a=1#c\n[t]#c\nb=[1,2,]#c\n",
                "[a.b.c]\n[a]\nx = 1\n[a.b]\ny = 1\n",
                "[[a]]\n[[a]]\n[a.b]\n[[a.c]]\n",
                "a = { b = { c = { d = 1 } } }\n",
                "a = []\nb = [[]]\nc = [{}]\nd = {}\n",
                "a = \"\"\"\"\"\"\nb = ''''''\n",
                "key = \"tab\tinside\"\n",
                "\"quoted\".bare.'lit' = 1\n",
                "a = 0x0\nb = 0o0\nc = 0b0\nd = 0.0\ne = 0e0\nf = 1E2\n",
                "t = 1979-05-27T07:32:60Z\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(docs); i++)
                toml_doc_free(parse_ok(docs[i]));
}

/* ---- errors, with their positions ---- */

static void test_invalid(void **state) {
        static const char *const cases[][2] = {
                { "key = # INVALID\n", "t.toml:1:7: expected a value" },
                { "first = \"Tom\" last = \"Preston-Werner\"\n", "t.toml:1:15: expected a newline after the value" },
                { "= \"no key name\"\n", "t.toml:1:1: expected a key" },
                { "key \"value\"\n", "t.toml:1:5: expected '=' after key" },
                { "a.\n", "t.toml:1:3: expected a key after '.'" },
                { "name = \"Tom\"\nname = \"Pradyun\"\n", "t.toml:2:1: duplicate key 'name' (first defined at line 1" },
                { "spelling = \"favorite\"\n\"spelling\" = \"favourite\"\n", "t.toml:2:1: duplicate key 'spelling'" },
                { "fruit.apple = 1\nfruit.apple.smooth = true\n", "t.toml:2:7: cannot add keys to 'apple'" },
                { "[fruit]\napple = \"red\"\n[fruit]\n", "t.toml:3:2: table 'fruit' is defined twice" },
                { "[fruit]\napple = \"red\"\n[fruit.apple]\n", "t.toml:3:8: cannot define table 'apple': it is already a string" },
                { "[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]\n", "t.toml:3:14: table 'taste' was already defined by dotted keys" },
                { "[a]\nb.c = 1\n[a.b]\n", "already defined by dotted keys" },
                { "[a.b.c]\nz = 9\n[a]\nb.c.t = 9\n", "t.toml:4:1: cannot add keys to 'b'" },
                { "a = 1\na.b = 2\n", "t.toml:2:1: cannot add keys to 'a': it is already defined as an integer" },
                { "type = { name = \"Nail\" }\ntype.edible = false\n", "t.toml:2:1: cannot add keys to 'type': it is already defined as an inline table" },
                { "[product]\ntype = { name = \"Nail\" }\n[product.type]\n", "t.toml:3:10: cannot define table 'type': it is already an inline table" },
                { "[product]\ntype = { name = \"Nail\" }\n[product.type.x]\n", "t.toml:3:10: cannot define a table below 'type'" },
                { "fruits = []\n[[fruits]]\n", "t.toml:2:3: cannot define array of tables 'fruits': it is already an array" },
                { "[[fruits]]\n[fruits]\n", "t.toml:2:2: cannot define table 'fruits': it is already an array of tables" },
                { "a = [{b = 1}]\n[a.c]\n", "t.toml:2:2: cannot define a table below 'a'" },
                { "a = 012\n", "t.toml:1:5: leading zeros are not allowed in integers" },
                { "a = 1__2\n", "t.toml:1:5: invalid integer" },
                { "a = 1_\n", "t.toml:1:5: invalid integer" },
                { "a = _1\n", "t.toml:1:5: invalid value" },
                { "a = 0X1F\n", "t.toml:1:5: invalid integer" },
                { "a = +0x1\n", "invalid integer" },
                { "a = 0x\n", "invalid integer" },
                { "a = 0b102\n", "invalid integer" },
                { "a = 9223372036854775808\n", "t.toml:1:5: integer does not fit in 64 bits" },
                { "a = -9223372036854775809\n", "integer does not fit in 64 bits" },
                { "a = 0x8000000000000000\n", "integer does not fit in 64 bits" },
                { "a = .7\n", "t.toml:1:5: invalid value" },
                { "a = 7.\n", "t.toml:1:5: invalid float: expected digits after '.'" },
                { "a = 3.e+20\n", "expected digits after '.'" },
                { "a = 1e\n", "expected digits in the exponent" },
                { "a = 1e400\n", "float is out of range" },
                { "a = 03.14\n", "leading zeros are not allowed in floats" },
                { "a = infinity\n", "invalid value" },
                { "a = \"\\x41\"\n", "t.toml:1:6: invalid escape sequence" },
                { "a = \"\\uD800\"\n", "t.toml:1:6: invalid unicode escape: U+D800 is not a Unicode scalar value" },
                { "a = \"\\U00110000\"\n", "not a Unicode scalar value" },
                { "a = \"\\u12G4\"\n", "t.toml:1:10: invalid unicode escape: expected 4 hex digits" },
                { "a = \"abc\n", "t.toml:1:9: newline in single-line string" },
                { "a = \"abc", "t.toml:1:5: unterminated string" },
                { "a = '''abc\n", "t.toml:1:5: unterminated string" },
                { "a = \"\x01\"\n", "t.toml:1:6: control character U+0001 in string" },
                { "a = '\x7f'\n", "control character U+007F in string" },
                { "a = \"\"\"abc\"\"\"\"\"\"\n", "t.toml:1:16: expected a newline after the value" },
                { "a = \"\\ \n\"\n", "invalid escape sequence" },
                { "\"\"\"k\"\"\" = 1\n", "multi-line strings are not allowed as keys" },
                { "a = 1979-13-27\n", "t.toml:1:5: invalid date-time '1979-13-27'" },
                { "a = 1979-02-30\n", "invalid date-time" },
                { "a = 2001-02-29\n", "invalid date-time" },
                { "a = 07:32\n", "invalid date-time" },
                { "a = 1979-05-27T25:00:00\n", "invalid date-time" },
                { "a = 1979-05-27T07:32:00+7:00\n", "invalid date-time" },
                { "a = 1979-05-27T07:32:00.\n", "invalid date-time" },
                { "a = [1 2]\n", "t.toml:1:8: expected ',' or ']' in array" },
                { "a = [1,,2]\n", "t.toml:1:8: expected a value" },
                { "a = [1", "unterminated array" },
                { "a = {x = 1,}\n", "t.toml:1:12: trailing comma in inline table" },
                { "a = {x = 1\n}\n", "t.toml:1:11: newline in inline table" },
                { "a = {x = 1, x = 2}\n", "t.toml:1:13: duplicate key 'x'" },
                { "a = {x.y = 1, x = 2}\n", "duplicate key 'x'" },
                { "a = {x = {}, x.y = 2}\n", "cannot add keys to 'x'" },
                { "[a\n", "t.toml:1:3: expected ']' after the table name" },
                { "[]\n", "t.toml:1:2: expected a key" },
                { "[a]b = 1\n", "t.toml:1:4: expected a newline after the table header" },
                { "[[a]\n", "t.toml:1:4: expected ']]' after the table name" },
                { "[ [a]]\n", "expected a key" },
                { "a = 1\r\nb = 2\r", "t.toml:2:6: carriage return without a line feed" },
                { "a = 1\rb = 2\n", "carriage return without a line feed" },
                { "a = \"\xff\"\n", "t.toml:1:6: invalid UTF-8" },
                { "a = \"\xed\xa0\x80\"\n", "invalid UTF-8" },
                { "a = \"\xc0\xaf\"\n", "invalid UTF-8" },
                { "a = \"x\" # \x7f\n", "t.toml:1:11: control character U+007F in comment" },
                { "# \x01\n", "control character U+0001 in comment" },
                { "a = tru\n", "invalid value" },
                { "a = true2\n", "invalid value" },
                { "a = bare\n", "invalid value (strings must be quoted)" },
                { "\x00", "expected a key" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                NvctError err = NVCT_ERROR_INIT;
                TomlDoc *d = NULL;
                size_t len = cases[i][0][0] ? strlen(cases[i][0]) : 1;
                int r = toml_parse(cases[i][0], len, "t.toml", &d, &err);
                if (r != -EINVAL || !strstr(err.msg, cases[i][1])) {
                        print_error("case %zu: %s\n  got r=%d '%s'\n  want '%s'\n", i, cases[i][0], r, err.msg,
                                    cases[i][1]);
                        toml_doc_free(d);
                        fail();
                }
        }
}

static void test_limits(void **state) {
        _cleanup_buf_ Buf b = BUF_INIT;
        NvctError err = NVCT_ERROR_INIT;
        TomlDoc *d = NULL;

        buf_puts(&b, "a = ");
        for (int i = 0; i < 200; i++)
                buf_puts(&b, "[");
        assert_int_equal(toml_parse(b.data, b.len, "deep.toml", &d, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "nested more than 128 deep"));

        buf_free(&b);
        for (int i = 0; i < 200; i++)
                buf_puts(&b, "a.");
        buf_puts(&b, "a = 1\n");
        assert_int_equal(toml_parse(b.data, b.len, "deep.toml", &d, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "key has more than 128 parts"));

        /* Headers and dotted keys together cannot build a tree deeper than the limit either. */
        buf_free(&b);
        buf_puts(&b, "[");
        for (int i = 0; i < 100; i++)
                buf_puts(&b, "t.");
        buf_puts(&b, "t]\n");
        for (int i = 0; i < 100; i++)
                buf_puts(&b, "k.");
        buf_puts(&b, "k = 1\n");
        assert_int_equal(toml_parse(b.data, b.len, "deep.toml", &d, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "deep"));

        assert_int_equal(toml_parse("", TOML_MAX_INPUT + 1, "big.toml", &d, &err), -EFBIG);

        /* Many keys in one table stay fast (hash index) and all remain reachable. */
        buf_free(&b);
        for (int i = 0; i < 20000; i++)
                buf_printf(&b, "k%d = %d\n", i, i);
        assert_int_equal(toml_parse(b.data, b.len, "wide.toml", &d, &err), 0);
        assert_int_equal(int_at(d, P("k12345")), 12345);
        assert_int_equal(toml_table_size(toml_doc_root(d)), 20000);
        toml_doc_free(d);
        d = NULL;
        buf_printf(&b, "k777 = 1\n");
        assert_int_equal(toml_parse(b.data, b.len, "wide.toml", &d, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "wide.toml:20001:1: duplicate key 'k777'"));
}

/* ---- editing ---- */

static void expect_text(TomlDoc *d, const char *want) {
        const char *got = toml_doc_text(d, NULL);
        if (!streq(got, want)) {
                print_error("--- got ---\n%s\n--- want ---\n%s\n", got, want);
                fail();
        }
}

static TomlDoc *edit_doc(const char *text) {
        return parse_ok(text);
}

static void test_edit_replace(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_toml_doc_ TomlDoc *d = edit_doc("# top\n[a]\nx = 1 # keep\ny = \"s\"\nz = [\n  1,\n  2,\n] # z\n");

        assert_int_equal(toml_set_int(d, P("a", "x"), 2, &err), 0);
        assert_int_equal(toml_set_string(d, P("a", "y"), "new \"q\"", &err), 0);
        char *l[] = { (char *) "a", (char *) "b", NULL };
        assert_int_equal(toml_set_strv(d, P("a", "z"), l, &err), 0);
        expect_text(d, "# top\n[a]\nx = 2 # keep\ny = \"new \\\"q\\\"\"\nz = [\"a\", \"b\"] # z\n");
        assert_int_equal(int_at(d, P("a", "x")), 2);
        assert_string_equal(str_at(d, P("a", "y")), "new \"q\"");
}

static void test_edit_add_key(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_toml_doc_ TomlDoc *d = edit_doc("top = 1\n\n[a]\nx = [\n  1,\n]\n\n# about b\n[b]\nz = 1\n");

        assert_int_equal(toml_set_string(d, P("a", "y"), "v", &err), 0);
        assert_int_equal(toml_set_bool(d, P("root-key"), true, &err), 0);
        assert_int_equal(toml_set_string(d, P("a", "needs quoting"), "q", &err), 0);
        expect_text(d, "top = 1\nroot-key = true\n\n[a]\nx = [\n  1,\n]\ny = \"v\"\n\"needs quoting\" = \"q\"\n\n"
                       "# about b\n[b]\nz = 1\n");
}

static void test_edit_indent_and_eof(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_toml_doc_ TomlDoc *d = edit_doc("[plugins.x]\n  [plugins.x.runc]\n    runtime_type = \"v2\"");
        assert_int_equal(toml_set_string(d, P("plugins", "x", "runc", "BinaryName"), "/bin/r", &err), 0);
        expect_text(d, "[plugins.x]\n  [plugins.x.runc]\n    runtime_type = \"v2\"\n    BinaryName = \"/bin/r\"\n");

        _cleanup_toml_doc_ TomlDoc *e = edit_doc("");
        assert_int_equal(toml_set_int(e, P("a"), 1, &err), 0);
        expect_text(e, "a = 1\n");

        /* A byte order mark stays first. */
        _cleanup_toml_doc_ TomlDoc *bom = edit_doc("\xEF\xBB\xBF");
        assert_int_equal(toml_set_int(bom, P("a"), 1, &err), 0);
        expect_text(bom, "\xEF\xBB\xBF" "a = 1\n");

        _cleanup_toml_doc_ TomlDoc *f = edit_doc("[x]\ny = 1\n");
        assert_int_equal(toml_set_int(f, P("z"), 1, &err), 0);
        expect_text(f, "z = 1\n[x]\ny = 1\n");
}

static void test_edit_create_table(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_toml_doc_ TomlDoc *d = edit_doc(
                "version = 2\n"
                "[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
                "  default_runtime_name = \"runc\"\n"
                "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
                "    runtime_type = \"io.containerd.runc.v2\"\n");
        const char *const rt[] = { "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "nvidia",
                                   "runtime_type", NULL };
        const char *const bn[] = { "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "nvidia",
                                   "options", "BinaryName", NULL };
        const char *const def[] = { "plugins", "io.containerd.grpc.v1.cri", "containerd", "default_runtime_name",
                                    NULL };
        assert_int_equal(toml_set_string(d, rt, "io.containerd.runc.v2", &err), 0);
        assert_int_equal(toml_set_string(d, bn, "/usr/bin/nvidia-container-runtime", &err), 0);
        assert_int_equal(toml_set_string(d, def, "nvidia", &err), 0);
        expect_text(d, "version = 2\n"
                       "[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
                       "  default_runtime_name = \"nvidia\"\n"
                       "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
                       "    runtime_type = \"io.containerd.runc.v2\"\n"
                       "\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.nvidia]\n"
                       "runtime_type = \"io.containerd.runc.v2\"\n"
                       "\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.nvidia.options]\n"
                       "BinaryName = \"/usr/bin/nvidia-container-runtime\"\n");
        assert_string_equal(str_at(d, bn), "/usr/bin/nvidia-container-runtime");

        /* A table only named by a deeper header gets its own header when it receives a key. */
        _cleanup_toml_doc_ TomlDoc *e = edit_doc("[a.b]\nx = 1\n");
        assert_int_equal(toml_set_int(e, P("a", "y"), 1, &err), 0);
        expect_text(e, "[a.b]\nx = 1\n\n[a]\ny = 1\n");
}

static void test_edit_uncomment(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_toml_doc_ TomlDoc *d = edit_doc(
                "#swarm-resource = \"DOCKER_RESOURCE_GPU\"\n\n[nvidia-container-cli]\n"
                "#debug = \"/var/log/nvidia-container-toolkit.log\"\nload-kmods = true\n"
                "arr = [\n  # debug = 1\n  2,\n]\n\n[nvidia-container-runtime]\n#debug = \"/x\"\n");
        assert_int_equal(toml_set_string(d, P("nvidia-container-cli", "debug"), "/tmp/d.log", &err), 0);
        assert_int_equal(toml_set_string(d, P("swarm-resource"), "R", &err), 0);
        expect_text(d, "swarm-resource = \"R\"\n\n[nvidia-container-cli]\n"
                       "debug = \"/tmp/d.log\"\nload-kmods = true\n"
                       "arr = [\n  # debug = 1\n  2,\n]\n\n[nvidia-container-runtime]\n#debug = \"/x\"\n");
}

static void test_edit_inline_and_dotted(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_toml_doc_ TomlDoc *d = edit_doc("a = { x = 1 }  # c\n[t]\nfruit.color = \"red\"\n[u]\n");

        assert_int_equal(toml_set_int(d, P("a", "y"), 2, &err), 0);
        expect_text(d, "a = { x = 1, y = 2 }  # c\n[t]\nfruit.color = \"red\"\n[u]\n");
        assert_int_equal(toml_set_int(d, P("a", "z", "w"), 3, &err), 0);
        expect_text(d, "a = { x = 1, y = 2, z.w = 3 }  # c\n[t]\nfruit.color = \"red\"\n[u]\n");
        assert_int_equal(toml_set_int(d, P("a", "z", "v"), 4, &err), 0);
        assert_int_equal(toml_set_int(d, P("t", "fruit", "size"), 3, &err), 0);
        expect_text(d, "a = { x = 1, y = 2, z.w = 3, z.v = 4 }  # c\n[t]\nfruit.color = \"red\"\nfruit.size = 3\n[u]\n");
        assert_int_equal(toml_remove(d, P("a", "z"), &err), 1);
        assert_int_equal(toml_remove(d, P("a", "x"), &err), 1);
        expect_text(d, "a = { y = 2 }  # c\n[t]\nfruit.color = \"red\"\nfruit.size = 3\n[u]\n");
        assert_int_equal(toml_remove(d, P("a", "y"), &err), 1);
        expect_text(d, "a = {}  # c\n[t]\nfruit.color = \"red\"\nfruit.size = 3\n[u]\n");
        assert_int_equal(toml_remove(d, P("t", "fruit"), &err), 1);
        expect_text(d, "a = {}  # c\n[t]\n[u]\n");
        /* Replacing an inline table as a whole is a value replacement. */
        assert_int_equal(toml_set(d, P("a"), "{ k = \"v\" }", &err), 0);
        expect_text(d, "a = { k = \"v\" }  # c\n[t]\n[u]\n");
}

static void test_edit_remove(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_toml_doc_ TomlDoc *d = edit_doc("# head\n[a]\nx = 1 # x\ny = [\n 1,\n]\n[a.b]\ny = 2\n# c about c\n[c]\nz = 3\n");

        assert_int_equal(toml_remove(d, P("a", "y"), &err), 1);
        expect_text(d, "# head\n[a]\nx = 1 # x\n[a.b]\ny = 2\n# c about c\n[c]\nz = 3\n");
        assert_int_equal(toml_remove(d, P("nope"), &err), 0);
        assert_int_equal(toml_remove(d, P("a", "nope", "deeper"), &err), 0);
        assert_int_equal(toml_remove(d, P("a"), &err), 1);
        expect_text(d, "# head\n[c]\nz = 3\n");

        _cleanup_toml_doc_ TomlDoc *e = edit_doc("[[x]]\nn = 1\n[[x]]\nn = 2\n[y]\n");
        assert_int_equal(toml_set_int(e, P("x", "m"), 3, &err), 0);
        expect_text(e, "[[x]]\nn = 1\n[[x]]\nn = 2\nm = 3\n[y]\n");
        assert_int_equal(toml_remove(e, P("x"), &err), 1);
        expect_text(e, "[y]\n");
}

static void test_edit_errors(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_toml_doc_ TomlDoc *d = edit_doc("a = 1\n[t]\n[[arr]]\n");

        assert_int_equal(toml_set_int(d, P("t"), 1, &err), -EISDIR);
        assert_non_null(strstr(err.msg, "t.toml:2:1: cannot set 't': it is a table"));
        assert_int_equal(toml_set_int(d, P("arr"), 1, &err), -EISDIR);
        assert_int_equal(toml_set_int(d, P("a", "b"), 1, &err), -ENOTDIR);
        assert_non_null(strstr(err.msg, "t.toml:1:5: 'a' is integer, not a table"));
        assert_int_equal(toml_set(d, P("a"), "1\n[b]", &err), -EINVAL);
        assert_int_equal(toml_set(d, P("a"), "nope", &err), -EINVAL);
        assert_int_equal(toml_set(d, P("a"), "1 # comment", &err), 0);
        assert_int_equal(toml_set(d, P("a"), "1, b = 2", &err), -EINVAL);
        assert_int_equal(toml_set_string(d, P("a"), "\xff", &err), -EINVAL);
        assert_non_null(strstr(err.msg, "invalid UTF-8"));
        assert_int_equal(toml_set_int(d, (const char *[]) { NULL }, 1, &err), -EINVAL);
        /* A failed edit leaves the document as it was. */
        expect_text(d, "a = 1 # comment\n[t]\n[[arr]]\n");
}

static void test_format(void **state) {
        _cleanup_free_ char *s = toml_format_string("a\"b\\c\n\t\x01\x7f\xC3\xA9");
        assert_string_equal(s, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007F\xC3\xA9\"");
        _cleanup_free_ char *k1 = toml_format_key("bare-key_1"), *k2 = toml_format_key("a.b"), *k3 = toml_format_key("");
        assert_string_equal(k1, "bare-key_1");
        assert_string_equal(k2, "\"a.b\"");
        assert_string_equal(k3, "\"\"");
        _cleanup_free_ char *f1 = toml_format_float(1), *f2 = toml_format_float(0.1), *f3 = toml_format_float(-INFINITY),
                            *f4 = toml_format_float(1e300), *f5 = toml_format_float(NAN);
        assert_string_equal(f1, "1.0");
        assert_string_equal(f2, "0.1");
        assert_string_equal(f3, "-inf");
        assert_string_equal(f4, "1e+300");
        assert_string_equal(f5, "nan");
        _cleanup_free_ char *i = toml_format_int(INT64_MIN), *e = toml_format_strv(NULL);
        assert_string_equal(i, "-9223372036854775808");
        assert_string_equal(e, "[]");

        _cleanup_strv_free_ char **p = NULL;
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(toml_path_parse("a . \"b.c\".'d'", &p, &err), 0);
        assert_int_equal(strv_length(p), 3);
        assert_string_equal(p[1], "b.c");
        char **q = NULL;
        assert_int_equal(toml_path_parse("a..b", &q, &err), -EINVAL);
        assert_int_equal(toml_path_parse("a b", &q, &err), -EINVAL);
        assert_int_equal(toml_path_parse("", &q, &err), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spec_strings),     cmocka_unit_test(test_nul_in_string),
                cmocka_unit_test(test_spec_numbers),     cmocka_unit_test(test_spec_datetimes),
                cmocka_unit_test(test_spec_tables),      cmocka_unit_test(test_spec_arrays),
                cmocka_unit_test(test_misc_valid),       cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_limits),           cmocka_unit_test(test_edit_replace),
                cmocka_unit_test(test_edit_add_key),     cmocka_unit_test(test_edit_indent_and_eof),
                cmocka_unit_test(test_edit_create_table), cmocka_unit_test(test_edit_uncomment),
                cmocka_unit_test(test_edit_inline_and_dotted), cmocka_unit_test(test_edit_remove),
                cmocka_unit_test(test_edit_errors),      cmocka_unit_test(test_format),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
