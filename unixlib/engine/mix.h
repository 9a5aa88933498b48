/* Mixing and volume on interleaved float32 frames.
 *
 * Exactness: mix_clear fills with -0.0f, the additive identity of IEEE floats (x + -0.0 is x for
 * every x, +0.0 and -0.0 included), so one stream at gain 1.0 accumulated into a cleared mix comes
 * out bit for bit; two streams come out as their exact float sum; gain 0.5 halves exactly. */
#ifndef MMDEVAPI_ENGINE_MIX_H
#define MMDEVAPI_ENGINE_MIX_H

#include <stddef.h>
#include <stdint.h>

/* The mix's silence: samples of -0.0f. */
void mix_clear(float *dst, size_t samples);

/* dst[f][c] += src[f][c] * gains[c]: gains one per channel (stream x session x channel volume, 0
 * when muted), channels at most CHANNELS_MAX. dst and src must not overlap. */
void mix_accumulate(float *restrict dst, const float *restrict src, const float *gains, uint32_t channels,
                    uint32_t frames);

#endif
