/* Channel mapping: the matrix from one speaker layout to another, and applying it to frames. */
#include <string.h>

#include "channels.h"
#include "mix.h"

/* Speaker positions: bit numbers of the SPEAKER_* masks. */
enum speaker
{
    FL, FR, FC, LFE, BL, BR, FLC, FRC, BC, SL, SR, TC, TFL, TFC, TFR, TBL, TBC, TBR,
};

#define BIT(pos) (1u << (pos))
#define ALL_POSITIONS (BIT(CHANNELS_MAX) - 1)
#define LAYOUT_5POINT1 (BIT(FL) | BIT(FR) | BIT(FC) | BIT(LFE) | BIT(BL) | BIT(BR))
#define LAYOUT_7POINT1 (LAYOUT_5POINT1 | BIT(SL) | BIT(SR))

static const double sqrt1_2 = 0.70710678118654752440;

uint32_t channels_layout(uint32_t channels, uint32_t mask)
{
    if (!channels || channels > CHANNELS_MAX) return 0;
    if (!(mask & ~ALL_POSITIONS) && (uint32_t)__builtin_popcount(mask) == channels) return mask;

    switch (channels)
    {
    case 1: return BIT(FC);
    case 2: return BIT(FL) | BIT(FR);
    case 3: return BIT(FL) | BIT(FR) | BIT(LFE);
    case 4: return BIT(FL) | BIT(FR) | BIT(BL) | BIT(BR);
    case 5: return BIT(FL) | BIT(FR) | BIT(LFE) | BIT(BL) | BIT(BR);
    case 6: return LAYOUT_5POINT1;
    case 7: return LAYOUT_5POINT1 | BIT(BC);
    case 8: return LAYOUT_7POINT1;
    case 12: return LAYOUT_7POINT1 | BIT(TFL) | BIT(TFR) | BIT(TBL) | BIT(TBR);
    default: return BIT(channels) - 1;
    }
}

/* Adds what a source speaker at pos with gain sends to each position of dst into to[]. Front
 * channels move only to positions dst has, every other rule moves towards the front: no cycles. */
static void fold(double to[CHANNELS_MAX], uint32_t dst, enum speaker pos, double gain)
{
    static const enum speaker partner[CHANNELS_MAX] =
    {
        [BL] = SL, [BR] = SR, [SL] = BL, [SR] = BR,
        [TFL] = FL, [TFR] = FR, [TFC] = FC, [TBL] = BL, [TBR] = BR, [TBC] = BC, [TC] = FC,
    };
    /* Which side a left/right speaker is on, for its way to the front. */
    const enum speaker front = (pos == BR || pos == SR) ? FR : FL;

    if (dst & BIT(pos))
    {
        to[pos] += gain;
        return;
    }
    switch (pos)
    {
    case FL:
    case FR:
        if (dst & BIT(FC)) to[FC] += gain * 0.5;
        break;
    case FC:
        if (dst & BIT(FL)) to[FL] += gain * sqrt1_2;
        if (dst & BIT(FR)) to[FR] += gain * sqrt1_2;
        break;
    case FLC:
        fold(to, dst, FL, gain);
        break;
    case FRC:
        fold(to, dst, FR, gain);
        break;
    case BL:
    case BR:
    case SL:
    case SR:
        if (dst & BIT(partner[pos])) to[partner[pos]] += gain;
        else fold(to, dst, front, gain * sqrt1_2);
        break;
    case BC:
        gain *= sqrt1_2;
        if ((dst & (BIT(BL) | BIT(BR))) == (BIT(BL) | BIT(BR)))
        {
            to[BL] += gain;
            to[BR] += gain;
        }
        else if ((dst & (BIT(SL) | BIT(SR))) == (BIT(SL) | BIT(SR)))
        {
            to[SL] += gain;
            to[SR] += gain;
        }
        else
        {
            /* As its halves would, back to front: 1/sqrt(2) once more. */
            fold(to, dst, FL, gain * sqrt1_2);
            fold(to, dst, FR, gain * sqrt1_2);
        }
        break;
    case TC:
    case TFL:
    case TFC:
    case TFR:
    case TBL:
    case TBC:
    case TBR:
        fold(to, dst, partner[pos], gain * sqrt1_2);
        break;
    case LFE:
        break;
    }
}

/* The position of each channel of a layout, in frame order. */
static void positions(uint32_t layout, enum speaker pos[CHANNELS_MAX])
{
    uint32_t n = 0, p;

    for (p = 0; p < CHANNELS_MAX; p++)
        if (layout & BIT(p)) pos[n++] = p;
}

int channels_init(struct channels_matrix *matrix, uint32_t src_channels, uint32_t src_mask,
                  uint32_t dst_channels, uint32_t dst_mask)
{
    uint32_t src = channels_layout(src_channels, src_mask), dst = channels_layout(dst_channels, dst_mask);
    enum speaker src_pos[CHANNELS_MAX], dst_pos[CHANNELS_MAX];
    uint32_t s, d;

    if (!src || !dst) return -1;

    memset(matrix, 0, sizeof(*matrix));
    matrix->src_channels = src_channels;
    matrix->dst_channels = dst_channels;
    matrix->identity = src == dst;
    positions(src, src_pos);
    positions(dst, dst_pos);

    for (s = 0; s < src_channels; s++)
    {
        double to[CHANNELS_MAX] = {0};

        /* Mono is the same signal on both sides, not a centre speaker folded down. */
        if (src == BIT(FC) && !(dst & BIT(FC)))
        {
            if (dst & BIT(FL)) to[FL] = 1.0;
            if (dst & BIT(FR)) to[FR] = 1.0;
        }
        else fold(to, dst, src_pos[s], 1.0);

        for (d = 0; d < dst_channels; d++)
        {
            if (to[dst_pos[d]] == 0.0) continue;
            matrix->src[d][matrix->count[d]] = s;
            matrix->gain[d][matrix->count[d]] = (float)to[dst_pos[d]];
            matrix->count[d]++;
        }
    }
    return 0;
}

void channels_apply(const struct channels_matrix *matrix, const float *in, float *out, uint32_t frames)
{
    const uint32_t src_channels = matrix->src_channels, dst_channels = matrix->dst_channels;
    uint32_t f, d, k;

    if (matrix->identity)
    {
        if (in != out) memcpy(out, in, (size_t)frames * src_channels * sizeof(float));
        return;
    }

    for (f = 0; f < frames; f++, in += src_channels, out += dst_channels)
    {
        for (d = 0; d < dst_channels; d++)
        {
            const uint32_t count = matrix->count[d];
            float acc;

            if (!count)
            {
                out[d] = 0.0f;
                continue;
            }
            acc = matrix->gain[d][0] * in[matrix->src[d][0]];
            for (k = 1; k < count; k++) acc += matrix->gain[d][k] * in[matrix->src[d][k]];
            out[d] = acc;
        }
    }
}

void channels_accumulate(const struct channels_matrix *matrix, const float *in, float *out,
                         const float *gains, uint32_t frames)
{
    static const float unity[CHANNELS_MAX] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    const uint32_t src_channels = matrix->src_channels, dst_channels = matrix->dst_channels;
    float scaled[CHANNELS_MAX][CHANNELS_MAX];
    uint32_t f, d, k;

    if (!gains) gains = unity;
    if (matrix->identity)
    {
        mix_accumulate(out, in, gains, src_channels, frames);
        return;
    }

    for (d = 0; d < dst_channels; d++)
        for (k = 0; k < matrix->count[d]; k++)
            scaled[d][k] = matrix->gain[d][k] * gains[matrix->src[d][k]];

    for (f = 0; f < frames; f++, in += src_channels, out += dst_channels)
    {
        for (d = 0; d < dst_channels; d++)
        {
            const uint32_t count = matrix->count[d];
            float acc;

            if (!count) continue;
            acc = scaled[d][0] * in[matrix->src[d][0]];
            for (k = 1; k < count; k++) acc += scaled[d][k] * in[matrix->src[d][k]];
            out[d] += acc;
        }
    }
}
