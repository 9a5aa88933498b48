/* Sample conversion: golden values at the edges of every type, round trips, clamping and NaN. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "unit.h"
#include "engine/convert.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Integer samples of each type as int32 (u8 as its byte, s24 as its value), for the tables. */
static void pack(enum convert_type type, const int64_t *values, size_t count, uint8_t *dst)
{
    size_t i;

    for (i = 0; i < count; i++)
    {
        uint32_t v = (uint32_t)values[i];
        switch (type)
        {
        case CONVERT_U8: dst[i] = (uint8_t)v; break;
        case CONVERT_S16: ((int16_t *)dst)[i] = (int16_t)v; break;
        case CONVERT_S24: dst[3 * i] = (uint8_t)v; dst[3 * i + 1] = (uint8_t)(v >> 8); dst[3 * i + 2] = (uint8_t)(v >> 16); break;
        default: ((uint32_t *)dst)[i] = v; break;
        }
    }
}

static int64_t unpack(enum convert_type type, const uint8_t *src, size_t i)
{
    switch (type)
    {
    case CONVERT_U8: return src[i];
    case CONVERT_S16: return ((const int16_t *)src)[i];
    case CONVERT_S24: return (int32_t)((uint32_t)src[3 * i] << 8 | (uint32_t)src[3 * i + 1] << 16 | (uint32_t)src[3 * i + 2] << 24) >> 8;
    case CONVERT_S32: return ((const int32_t *)src)[i];
    default: return ((const uint32_t *)src)[i];
    }
}

struct golden
{
    int64_t sample;
    float value;
};

/* Integer -> float at min, max, 0 and +-1 LSB: x / 2^(N-1), u8 offset by 128. */
static void test_to_float_golden(void)
{
    static const struct golden u8[] =
        {{0, -1.0f}, {255, 127.0f / 128}, {128, 0.0f}, {129, 1.0f / 128}, {127, -1.0f / 128}};
    static const struct golden s16[] =
        {{-32768, -1.0f}, {32767, 0x1.fffcp-1f}, {0, 0.0f}, {1, 0x1p-15f}, {-1, -0x1p-15f}};
    static const struct golden s24[] =
        {{-8388608, -1.0f}, {8388607, 0x1.fffffcp-1f}, {0, 0.0f}, {1, 0x1p-23f}, {-1, -0x1p-23f}};
    /* 24 valid bits at the top of 32: the low byte is ignored. */
    static const struct golden s24_32[] =
        {{(int32_t)0x80000000, -1.0f}, {0x7fffff00, 0x1.fffffcp-1f}, {0x7fffffff, 0x1.fffffcp-1f}, {0, 0.0f},
         {0xff, 0.0f}, {0x100, 0x1p-23f}, {0x1ff, 0x1p-23f}, {(int32_t)0xffffff00, -0x1p-23f},
         {(int32_t)0xffffffff, -0x1p-23f}};
    /* s32 rounds to the nearest float: its max becomes 1.0. */
    static const struct golden s32[] =
        {{INT32_MIN, -1.0f}, {INT32_MAX, 1.0f}, {0x7fffff80, 0x1.fffffep-1f}, {0, 0.0f}, {1, 0x1p-31f},
         {-1, -0x1p-31f}, {0x01000001, 0x1p-7f}};
    static const struct { enum convert_type type; const struct golden *table; size_t count; } tables[] =
    {
        {CONVERT_U8, u8, COUNT(u8)}, {CONVERT_S16, s16, COUNT(s16)}, {CONVERT_S24, s24, COUNT(s24)},
        {CONVERT_S24_32, s24_32, COUNT(s24_32)}, {CONVERT_S32, s32, COUNT(s32)},
    };
    size_t t, i;

    for (t = 0; t < COUNT(tables); t++)
    {
        _Alignas(4) uint8_t raw[64];
        float out[16];

        for (i = 0; i < tables[t].count; i++)
        {
            pack(tables[t].type, &tables[t].table[i].sample, 1, raw + i * convert_sample_bytes(tables[t].type));
        }
        convert_get_to_float(tables[t].type)(raw, out, tables[t].count);
        for (i = 0; i < tables[t].count; i++)
        {
            if (memcmp(&out[i], &tables[t].table[i].value, sizeof(float)))
                printf("type %u sample %lld:\n", tables[t].type, (long long)tables[t].table[i].sample);
            CHECK_EQ_FLOAT(out[i], tables[t].table[i].value);
        }
    }
}

/* Float -> integer: clamped to [-1, 1), rounded to nearest (ties to even), NaN -> 0. */
static void test_from_float_golden(void)
{
    static const float inputs[] =
        {-1.0f, 1.0f, 0.0f, -0.0f, 2.0f, -2.0f, INFINITY, -INFINITY, NAN, -NAN, 0x1.fffffep-1f, -0x1.fffffep-1f};
    /* For each type: the expected outputs of inputs[], then of 1, 0.5, 1.5 and -0.5 LSB. The
     * largest float below 1 rounds to max; its negation to min (ties to even for s24). */
    static const struct { enum convert_type type; float lsb; int64_t expect[16]; } tables[] =
    {
        {CONVERT_U8, 0x1p-7f, {0, 255, 128, 128, 255, 0, 255, 0, 128, 128, 255, 0, 129, 128, 130, 128}},
        {CONVERT_S16, 0x1p-15f, {-32768, 32767, 0, 0, 32767, -32768, 32767, -32768, 0, 0, 32767, -32768, 1, 0, 2, 0}},
        {CONVERT_S24, 0x1p-23f, {-8388608, 8388607, 0, 0, 8388607, -8388608, 8388607, -8388608, 0, 0,
                                 8388607, -8388608, 1, 0, 2, 0}},
        {CONVERT_S24_32, 0x1p-23f, {0x80000000, 0x7fffff00, 0, 0, 0x7fffff00, 0x80000000, 0x7fffff00, 0x80000000,
                                    0, 0, 0x7fffff00, 0x80000000, 0x100, 0, 0x200, 0}},
        {CONVERT_S32, 0x1p-31f, {INT32_MIN, INT32_MAX, 0, 0, INT32_MAX, INT32_MIN, INT32_MAX, INT32_MIN, 0, 0,
                                 0x7fffff80, -0x7fffff80, 1, 0, 2, 0}},
    };
    size_t t, i;

    for (t = 0; t < COUNT(tables); t++)
    {
        float in[16];
        _Alignas(4) uint8_t raw[64];

        memcpy(in, inputs, sizeof(inputs));
        in[12] = tables[t].lsb;
        in[13] = tables[t].lsb * 0.5f;
        in[14] = tables[t].lsb * 1.5f;
        in[15] = tables[t].lsb * -0.5f;
        convert_get_from_float(tables[t].type)(in, raw, 16);
        for (i = 0; i < 16; i++)
        {
            int64_t got = unpack(tables[t].type, raw, i), want = tables[t].expect[i];
            if (tables[t].type == CONVERT_S24_32) want = (uint32_t)want;
            if (got != want) printf("type %u input %.9g:\n", tables[t].type, in[i]);
            CHECK_EQ_HEX(got, want);
        }
    }
}

/* Float is the mix format: it passes through bit for bit, beyond +-1, NaN and -0.0 included. */
static void test_float_passthrough(void)
{
    static const float values[] = {0.0f, -0.0f, 1.5f, -7.25f, 0x1p-140f, INFINITY, -1.0f, 0.999f};
    float in[COUNT(values) + 1], out[COUNT(values)], back[COUNT(values)];
    uint32_t nan_bits = 0x7fc01234, out_bits;
    size_t i;

    memcpy(in, values, sizeof(values));
    memcpy(&in[COUNT(values)], &nan_bits, sizeof(float));
    convert_to_float(CONVERT_F32, in, out, COUNT(values));
    convert_from_float(CONVERT_F32, out, back, COUNT(values));
    for (i = 0; i < COUNT(values); i++)
    {
        CHECK_EQ_FLOAT(out[i], values[i]);
        CHECK_EQ_FLOAT(back[i], values[i]);
    }
    convert_to_float(CONVERT_F32, &in[COUNT(values)], out, 1);
    memcpy(&out_bits, out, sizeof(out_bits));
    CHECK_EQ_HEX(out_bits, nan_bits);
}

/* int -> float -> int returns every value of u8, s16, s24 and 24-in-32 (with its low byte 0). */
static void test_round_trips(void)
{
    static const struct { enum convert_type type; int64_t min, max, step; } types[] =
    {
        {CONVERT_U8, 0, 255, 1},
        {CONVERT_S16, -32768, 32767, 1},
        {CONVERT_S24, -8388608, 8388607, 1},
        {CONVERT_S24_32, INT32_MIN, INT32_MAX - 255, 256},
    };
    enum { BLOCK = 4096 };
    static int64_t values[BLOCK];
    static _Alignas(4) uint8_t raw[BLOCK * 4], back[BLOCK * 4];
    static float floats[BLOCK];
    size_t t;

    for (t = 0; t < COUNT(types); t++)
    {
        const uint32_t bytes = convert_sample_bytes(types[t].type);
        uint64_t mismatches = 0;
        int64_t v = types[t].min, first_bad = 0;

        while (v <= types[t].max)
        {
            size_t n = 0, i;

            for (; n < BLOCK && v <= types[t].max; v += types[t].step) values[n++] = v;
            pack(types[t].type, values, n, raw);
            convert_to_float(types[t].type, raw, floats, n);
            convert_from_float(types[t].type, floats, back, n);
            if (memcmp(raw, back, n * bytes))
                for (i = 0; i < n; i++)
                    if (memcmp(raw + i * bytes, back + i * bytes, bytes) && !mismatches++) first_bad = values[i];
        }
        if (mismatches) printf("type %u: first value that did not survive: %lld\n", types[t].type, (long long)first_bad);
        CHECK_EQ_UINT(mismatches, 0);
    }
}

/* s32 has 32 bits and float 24: values with at most 24 significant bits round-trip exactly, the
 * others come back as the nearest float (within half its spacing), the top ones as INT32_MAX. */
static void test_s32_round_trip(void)
{
    enum { COUNT = 1 << 16 };
    static int32_t in[COUNT], out[COUNT];
    static float floats[COUNT];
    uint64_t exact_bad = 0, far = 0;
    uint32_t seed = 12345;
    int i;

    for (i = 0; i < COUNT; i++)
    {
        seed = seed * 1664525u + 1013904223u;
        /* Even entries: random values; odd: 24-bit values at random shifts. */
        in[i] = i & 1 ? (int32_t)(seed >> 8) - (1 << 23) : (int32_t)seed;
        if (i & 1) in[i] = (int32_t)((uint32_t)in[i] << (seed & 7));
    }
    in[0] = INT32_MAX;
    in[2] = INT32_MIN;
    in[4] = 0x7fffffc0; /* rounds up to 2^31: clamps to INT32_MAX */
    convert_to_float(CONVERT_S32, in, floats, COUNT);
    convert_from_float(CONVERT_S32, floats, out, COUNT);
    for (i = 0; i < COUNT; i++)
    {
        double spacing = ldexp(1.0, ilogb(fabs((double)in[i]) + 1.0) - 23);
        if (i & 1 && out[i] != in[i]) exact_bad++;
        if (fabs((double)out[i] - in[i]) > spacing / 2) far++;
    }
    CHECK_EQ_UINT(exact_bad, 0);
    CHECK_EQ_UINT(far, 0);
    CHECK_EQ_HEX(out[0], INT32_MAX);
    CHECK_EQ_HEX(out[2], INT32_MIN);
    CHECK_EQ_HEX(out[4], INT32_MAX);
}

/* Packed 24-bit samples at odd addresses. */
static void test_s24_unaligned(void)
{
    static const uint8_t raw[] = {0xee, 0x00, 0x00, 0x80, 0xff, 0xff, 0x7f, 0x01, 0x00, 0x00};
    const float in[] = {-1.0f, 0x1.fffffcp-1f, 0x1p-23f};
    uint8_t back[10] = {0xee};
    float out[3];

    convert_to_float(CONVERT_S24, raw + 1, out, 3);
    CHECK_EQ_FLOAT(out[0], -1.0f);
    CHECK_EQ_FLOAT(out[1], 0x1.fffffcp-1f);
    CHECK_EQ_FLOAT(out[2], 0x1p-23f);
    convert_from_float(CONVERT_S24, in, back + 1, 3);
    CHECK(!memcmp(back, raw, sizeof(raw)));
}

/* WAVEFORMATEX(TENSIBLE) fields to types. */
static void test_type_of_format(void)
{
    CHECK_EQ_UINT(convert_type_of_format(0, 8, 0), CONVERT_U8);
    CHECK_EQ_UINT(convert_type_of_format(0, 16, 0), CONVERT_S16);
    CHECK_EQ_UINT(convert_type_of_format(0, 16, 16), CONVERT_S16);
    CHECK_EQ_UINT(convert_type_of_format(0, 24, 0), CONVERT_S24);
    CHECK_EQ_UINT(convert_type_of_format(0, 24, 20), CONVERT_S24);
    CHECK_EQ_UINT(convert_type_of_format(0, 32, 0), CONVERT_S32);
    CHECK_EQ_UINT(convert_type_of_format(0, 32, 32), CONVERT_S32);
    CHECK_EQ_UINT(convert_type_of_format(0, 32, 24), CONVERT_S24_32);
    CHECK_EQ_UINT(convert_type_of_format(1, 32, 0), CONVERT_F32);
    CHECK_EQ_UINT(convert_type_of_format(1, 32, 32), CONVERT_F32);
    CHECK_EQ_UINT(convert_type_of_format(1, 64, 0), CONVERT_UNSUPPORTED);
    CHECK_EQ_UINT(convert_type_of_format(1, 16, 0), CONVERT_UNSUPPORTED);
    CHECK_EQ_UINT(convert_type_of_format(0, 12, 0), CONVERT_UNSUPPORTED);
    CHECK_EQ_UINT(convert_type_of_format(0, 16, 24), CONVERT_UNSUPPORTED);
    CHECK_EQ_UINT(convert_sample_bytes(CONVERT_S24), 3);
    CHECK_EQ_UINT(convert_sample_bytes(CONVERT_S24_32), 4);
    CHECK_EQ_UINT(convert_sample_bytes(CONVERT_UNSUPPORTED), 0);
    CHECK(!convert_get_to_float(CONVERT_UNSUPPORTED));
    CHECK(!convert_get_from_float(CONVERT_UNSUPPORTED));
}

int main(void)
{
    test_to_float_golden();
    test_from_float_golden();
    test_float_passthrough();
    test_round_trips();
    test_s32_round_trip();
    test_s24_unaligned();
    test_type_of_format();
    return unit_summary("engine-convert");
}
