/* Sample format conversion: client PCM <-> float32. */
#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "convert.h"

/* Rounds to the nearest integer, ties to even (the default rounding mode); v must fit an int32. */
static inline int32_t round_to_int(float v)
{
#if defined(__SSE2__)
    return _mm_cvtss_si32(_mm_set_ss(v));
#else
    return (int32_t)lrintf(v);
#endif
}

/* x * scale rounded, clamped to [-scale, max]; NaN gives 0. scale is 2^(N-1) and max 2^(N-1) - 1:
 * for N = 32 max is not a float, but (float)max rounds up to 2^31 and the first test catches
 * everything from there on. */
static inline int32_t quantize(float x, float scale, int32_t max)
{
    float v = x * scale;

    if (v >= (float)max) return max;
    if (v <= -scale) return -max - 1;
    if (v != v) return 0;
    return round_to_int(v);
}

static void u8_to_float(const void *src, float *dst, size_t samples)
{
    const uint8_t *s = src;
    size_t i;

    for (i = 0; i < samples; i++) dst[i] = ((int32_t)s[i] - 128) * (1.0f / 128.0f);
}

static void s16_to_float(const void *src, float *dst, size_t samples)
{
    const int16_t *s = src;
    size_t i;

    for (i = 0; i < samples; i++) dst[i] = s[i] * (1.0f / 32768.0f);
}

/* The three bytes go to the top of an int32, which then scales like s32: exactly, 24 bits fit. */
static void s24_to_float(const void *src, float *dst, size_t samples)
{
    const uint8_t *s = src;
    size_t i;

    for (i = 0; i < samples; i++, s += 3)
    {
        uint32_t v = (uint32_t)s[0] << 8 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 24;
        dst[i] = (int32_t)v * (1.0f / 2147483648.0f);
    }
}

static void s24_32_to_float(const void *src, float *dst, size_t samples)
{
    const uint32_t *s = src;
    size_t i;

    for (i = 0; i < samples; i++) dst[i] = (int32_t)(s[i] & 0xffffff00u) * (1.0f / 2147483648.0f);
}

static void s32_to_float(const void *src, float *dst, size_t samples)
{
    const int32_t *s = src;
    size_t i;

    for (i = 0; i < samples; i++) dst[i] = s[i] * (1.0f / 2147483648.0f);
}

static void f32_to_float(const void *src, float *dst, size_t samples)
{
    if (dst != src) memmove(dst, src, samples * sizeof(float));
}

static void float_to_u8(const float *src, void *dst, size_t samples)
{
    uint8_t *d = dst;
    size_t i;

    for (i = 0; i < samples; i++) d[i] = (uint8_t)(quantize(src[i], 128.0f, 127) + 128);
}

static void float_to_s16(const float *src, void *dst, size_t samples)
{
    int16_t *d = dst;
    size_t i;

    for (i = 0; i < samples; i++) d[i] = (int16_t)quantize(src[i], 32768.0f, 32767);
}

static void float_to_s24(const float *src, void *dst, size_t samples)
{
    uint8_t *d = dst;
    size_t i;

    for (i = 0; i < samples; i++, d += 3)
    {
        uint32_t v = (uint32_t)quantize(src[i], 8388608.0f, 8388607);
        d[0] = (uint8_t)v;
        d[1] = (uint8_t)(v >> 8);
        d[2] = (uint8_t)(v >> 16);
    }
}

static void float_to_s24_32(const float *src, void *dst, size_t samples)
{
    uint32_t *d = dst;
    size_t i;

    for (i = 0; i < samples; i++) d[i] = (uint32_t)quantize(src[i], 8388608.0f, 8388607) << 8;
}

static void float_to_s32(const float *src, void *dst, size_t samples)
{
    int32_t *d = dst;
    size_t i;

    for (i = 0; i < samples; i++) d[i] = quantize(src[i], 2147483648.0f, INT32_MAX);
}

static void float_to_f32(const float *src, void *dst, size_t samples)
{
    if (dst != src) memmove(dst, src, samples * sizeof(float));
}

static const struct
{
    uint32_t bytes;
    convert_to_float_func to_float;
    convert_from_float_func from_float;
}
convert_table[CONVERT_TYPE_COUNT] =
{
    [CONVERT_U8] = {1, u8_to_float, float_to_u8},
    [CONVERT_S16] = {2, s16_to_float, float_to_s16},
    [CONVERT_S24] = {3, s24_to_float, float_to_s24},
    [CONVERT_S24_32] = {4, s24_32_to_float, float_to_s24_32},
    [CONVERT_S32] = {4, s32_to_float, float_to_s32},
    [CONVERT_F32] = {4, f32_to_float, float_to_f32},
};

enum convert_type convert_type_of_format(int is_float, uint32_t bits, uint32_t valid_bits)
{
    if (valid_bits > bits) return CONVERT_UNSUPPORTED;
    if (is_float) return bits == 32 && (!valid_bits || valid_bits == 32) ? CONVERT_F32 : CONVERT_UNSUPPORTED;
    /* Fewer valid bits than the container: they are the most significant, the others should be 0
     * and are ignored where the container is wider than a float can hold. */
    switch (bits)
    {
    case 8: return CONVERT_U8;
    case 16: return CONVERT_S16;
    case 24: return CONVERT_S24;
    case 32: return valid_bits && valid_bits <= 24 ? CONVERT_S24_32 : CONVERT_S32;
    default: return CONVERT_UNSUPPORTED;
    }
}

uint32_t convert_sample_bytes(enum convert_type type)
{
    return type < CONVERT_TYPE_COUNT ? convert_table[type].bytes : 0;
}

convert_to_float_func convert_get_to_float(enum convert_type type)
{
    return type < CONVERT_TYPE_COUNT ? convert_table[type].to_float : NULL;
}

convert_from_float_func convert_get_from_float(enum convert_type type)
{
    return type < CONVERT_TYPE_COUNT ? convert_table[type].from_float : NULL;
}

void convert_to_float(enum convert_type type, const void *src, float *dst, size_t samples)
{
    convert_table[type].to_float(src, dst, samples);
}

void convert_from_float(enum convert_type type, const float *src, void *dst, size_t samples)
{
    convert_table[type].from_float(src, dst, samples);
}
