/* Channel mapping between two speaker layouts (WAVEFORMATEXTENSIBLE dwChannelMask), interleaved
 * float32 frames.
 *
 * Channels appear in a frame in the order of their SPEAKER_* bits. A mask that is 0, has bits
 * beyond the 18 Windows defines, or has a bit count other than the channel count, stands for
 * the default layout of that channel count (channels_layout).
 *
 * The matrix: a source channel present in the destination goes there at gain 1. A mono source
 * (FC) with no FC in the destination goes to FL and FR at gain 1 each (Windows' shared mode
 * duplicates mono). Other channels the destination lacks fold towards it:
 *   FL, FR          -> FC at 1/2 (so stereo -> mono is (L + R) / 2)
 *   FC              -> FL and FR at 1/sqrt(2)
 *   FLC, FRC        -> FL, FR at 1
 *   BL, BR          -> SL, SR at 1, else FL, FR at 1/sqrt(2)
 *   SL, SR          -> BL, BR at 1, else FL, FR at 1/sqrt(2)
 *   BC              -> BL and BR, else SL and SR, at 1/sqrt(2) each, else FL and FR at 1/2
 *   TFL, TFR, TFC   -> FL, FR, FC at 1/sqrt(2)
 *   TBL, TBR, TBC   -> BL, BR, BC at 1/sqrt(2)
 *   TC              -> FC at 1/sqrt(2)
 *   LFE             -> dropped
 * where a target the destination lacks folds on by its own rule (a top-back-left reaching a
 * stereo destination: TBL -> BL -> FL, 1/sqrt(2) * 1/sqrt(2)), and a channel no rule places is
 * dropped. The matrix applies gains as they are: a full-scale 5.1 down-mix can exceed 1. */
#ifndef MMDEVAPI_ENGINE_CHANNELS_H
#define MMDEVAPI_ENGINE_CHANNELS_H

#include <stdint.h>

/* Windows defines 18 speaker positions, SPEAKER_FRONT_LEFT (bit 0) to SPEAKER_TOP_BACK_RIGHT. */
#define CHANNELS_MAX 18

struct channels_matrix
{
    uint32_t src_channels;
    uint32_t dst_channels;
    int identity;                                   /* same layouts: out = in */
    /* For each destination channel, the source channels that feed it and their gains. */
    uint8_t count[CHANNELS_MAX];
    uint8_t src[CHANNELS_MAX][CHANNELS_MAX];
    float gain[CHANNELS_MAX][CHANNELS_MAX];
};

/* The layout channels really have for a (count, mask) pair, as described above; 0 when channels is
 * 0 or beyond CHANNELS_MAX. Defaults: 1 FC, 2 FL FR, 3 2.1, 4 quad, 5 quad + LFE, 6 5.1 (back),
 * 7 5.1 + BC, 8 7.1, 12 7.1.4; other counts take the first speaker positions in order. */
uint32_t channels_layout(uint32_t channels, uint32_t mask);

/* Fills matrix for src -> dst; returns 0, or -1 when a channel count is 0 or beyond CHANNELS_MAX.
 * Allocates nothing: the matrix can live in the stream's own struct. */
int channels_init(struct channels_matrix *matrix, uint32_t src_channels, uint32_t src_mask,
                  uint32_t dst_channels, uint32_t dst_mask);

/* out = matrix * in, frames of src_channels in, of dst_channels out. in and out must not
 * overlap, unless the matrix is the identity and in == out. */
void channels_apply(const struct channels_matrix *matrix, const float *in, float *out, uint32_t frames);

/* out += matrix * (in scaled by gains), gains one per source channel (stream x session x channel
 * volume, 0 when muted), or NULL for 1: maps a stream into the mix in one pass. An identity
 * matrix is exactly mix_accumulate. */
void channels_accumulate(const struct channels_matrix *matrix, const float *in, float *out,
                         const float *gains, uint32_t frames);

#endif
