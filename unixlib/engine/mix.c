/* Mixing and volume. */
#include "mix.h"

#include "channels.h"

/* The loops run over blocks of MIX_BLOCK frames against a row of gains repeated to the block's
 * length, 8 samples at a time: fixed-length inner loops of whole vectors, which the compiler turns
 * into SIMD whatever the channel count. */
#define MIX_BLOCK 8

static void repeat_gains(float *row, const float *gains, uint32_t channels)
{
    uint32_t i;

    for (i = 0; i < channels * MIX_BLOCK; i++) row[i] = gains[i % channels];
}

void mix_clear(float *dst, size_t samples)
{
    size_t i, k, blocks_end = samples - samples % 8;

    for (i = 0; i < blocks_end; i += 8)
        for (k = 0; k < 8; k++) dst[i + k] = -0.0f;
    for (; i < samples; i++) dst[i] = -0.0f;
}

void mix_accumulate(float *restrict dst, const float *restrict src, const float *gains, uint32_t channels,
                    uint32_t frames)
{
    float row[CHANNELS_MAX * MIX_BLOCK];
    const size_t block = channels * MIX_BLOCK, n = (size_t)frames * channels, blocks_end = n - n % block;
    size_t i, j, k;

    repeat_gains(row, gains, channels);
    for (i = 0; i < blocks_end; i += block)
        for (j = 0; j < block; j += 8)
            for (k = 0; k < 8; k++) dst[i + j + k] += src[i + j + k] * row[j + k];
    for (j = 0; i < n; i++, j++) dst[i] += src[i] * row[j];
}
