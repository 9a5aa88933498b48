/* Sample format conversion between a client's PCM samples and the engine's float32.
 *
 * Integer samples of N bits map to float by dividing by 2^(N-1): s16 -32768 is -1.0 and 32767 is
 * 32767/32768; u8 is offset by 128. Back to integers, floats are clamped to [-1, 1), rounded to the
 * nearest integer (ties to even), and NaN becomes 0. Float32 passes through bit for bit both ways:
 * it is the mix format, and values beyond +-1 in a float stream are the program's to keep.
 * s32 has more bits than a float's 24-bit mantissa: s32 -> float rounds to the nearest float, so
 * only s32 values with at most 24 significant bits survive a round trip (all other types do).
 *
 * Pick the function once per stream with convert_get_to_float/convert_get_from_float. The
 * functions work on samples (frames times channels), each aligned to its own size (any byte for
 * u8 and packed s24), and allocate nothing. */
#ifndef MMDEVAPI_ENGINE_CONVERT_H
#define MMDEVAPI_ENGINE_CONVERT_H

#include <stddef.h>
#include <stdint.h>

enum convert_type
{
    CONVERT_U8,         /* unsigned, 128 is silence */
    CONVERT_S16,
    CONVERT_S24,        /* packed in 3 bytes, little endian */
    CONVERT_S24_32,     /* 24 valid bits, the most significant of a 32-bit container: low byte ignored */
    CONVERT_S32,
    CONVERT_F32,
    CONVERT_TYPE_COUNT,
    CONVERT_UNSUPPORTED = CONVERT_TYPE_COUNT,
};

typedef void (*convert_to_float_func)(const void *src, float *dst, size_t samples);
typedef void (*convert_from_float_func)(const float *src, void *dst, size_t samples);

/* The type of a client format, from WAVEFORMATEX(TENSIBLE): is_float for WAVE_FORMAT_IEEE_FLOAT or
 * KSDATAFORMAT_SUBTYPE_IEEE_FLOAT, bits = wBitsPerSample, valid_bits = wValidBitsPerSample (0 when
 * the format has none). CONVERT_UNSUPPORTED for anything else. */
enum convert_type convert_type_of_format(int is_float, uint32_t bits, uint32_t valid_bits);
/* Bytes of one sample of type; 0 for CONVERT_UNSUPPORTED. */
uint32_t convert_sample_bytes(enum convert_type type);

/* NULL for CONVERT_UNSUPPORTED. */
convert_to_float_func convert_get_to_float(enum convert_type type);
convert_from_float_func convert_get_from_float(enum convert_type type);

/* One-off conversions through the same functions; type must be supported. */
void convert_to_float(enum convert_type type, const void *src, float *dst, size_t samples);
void convert_from_float(enum convert_type type, const float *src, void *dst, size_t samples);

#endif
