/* Channel matrices: exact output frames for each layout pair the engine meets.
 * Expected values follow the documented order of summation (source channels in frame order). */
#include <math.h>
#include <stdint.h>

#include "unit.h"
#include "engine/channels.h"
#include "engine/mix.h"

/* SPEAKER_* masks, as in Windows' ksmedia.h. */
#define MONO 0x4
#define STEREO 0x3
#define QUAD 0x33
#define SURROUND_5_1 0x3f           /* KSAUDIO_SPEAKER_5POINT1: back speakers */
#define SURROUND_5_1_SIDE 0x60f     /* KSAUDIO_SPEAKER_5POINT1_SURROUND */
#define SURROUND_6_1 0x13f
#define SURROUND_7_1 0x63f          /* KSAUDIO_SPEAKER_7POINT1_SURROUND */
#define SURROUND_7_1_WIDE 0xff      /* KSAUDIO_SPEAKER_7POINT1: front left/right of centre */
#define SURROUND_7_1_4 0x2d63f      /* 7.1 + top front left/right + top back left/right */
#define TOP_CENTER 0x800

/* The float nearest 1/sqrt(2), and products the matrices hold. */
#define R 0x1.6a09e6p-1f

static void check_frames(const char *name, uint32_t src_channels, uint32_t src_mask, uint32_t dst_channels,
                         uint32_t dst_mask, const float *in, const float *expect, uint32_t frames)
{
    struct channels_matrix matrix;
    float out[8 * CHANNELS_MAX];
    uint32_t i, failures = unit_failures;

    CHECK_EQ_UINT(channels_init(&matrix, src_channels, src_mask, dst_channels, dst_mask), 0);
    memset(out, 0xcc, sizeof(out));
    channels_apply(&matrix, in, out, frames);
    for (i = 0; i < frames * dst_channels; i++) CHECK_EQ_FLOAT(out[i], expect[i]);
    if (unit_failures != failures) printf("  in %s, frame by frame\n", name);
}

static void test_layouts(void)
{
    struct channels_matrix matrix;

    CHECK_EQ_HEX(channels_layout(1, 0), MONO);
    CHECK_EQ_HEX(channels_layout(2, 0), STEREO);
    CHECK_EQ_HEX(channels_layout(4, 0), QUAD);
    CHECK_EQ_HEX(channels_layout(6, 0), SURROUND_5_1);
    CHECK_EQ_HEX(channels_layout(8, 0), SURROUND_7_1);
    CHECK_EQ_HEX(channels_layout(12, 0), SURROUND_7_1_4);
    CHECK_EQ_HEX(channels_layout(6, SURROUND_5_1_SIDE), SURROUND_5_1_SIDE);
    CHECK_EQ_HEX(channels_layout(3, 0x7), 0x7);
    /* A mask whose bit count is not the channel count, or with unknown bits: the default. */
    CHECK_EQ_HEX(channels_layout(2, MONO), STEREO);
    CHECK_EQ_HEX(channels_layout(6, SURROUND_7_1), SURROUND_5_1);
    CHECK_EQ_HEX(channels_layout(2, 0x80000001), STEREO);
    CHECK_EQ_HEX(channels_layout(18, 0), 0x3ffff);
    CHECK_EQ_HEX(channels_layout(0, 0), 0);
    CHECK_EQ_HEX(channels_layout(19, 0), 0);
    CHECK(channels_init(&matrix, 0, 0, 2, 0) == -1);
    CHECK(channels_init(&matrix, 2, 0, 19, 0) == -1);
    CHECK_EQ_UINT(channels_init(&matrix, 18, 0, 18, 0), 0);
    CHECK(matrix.identity);
    CHECK_EQ_UINT(channels_init(&matrix, 6, SURROUND_5_1, 6, SURROUND_5_1_SIDE), 0);
    CHECK(!matrix.identity);
}

/* Identical layouts copy bit for bit, -0.0 and NaN included, also in place. */
static void test_identity(void)
{
    const float in[] = {0.5f, -0.0f, NAN, 1e-40f, -3.0f, 0.1f};
    float out[6], inplace[6];
    struct channels_matrix matrix;
    uint32_t i;

    channels_init(&matrix, 2, STEREO, 2, 0);
    CHECK(matrix.identity);
    channels_apply(&matrix, in, out, 3);
    CHECK(!memcmp(out, in, sizeof(in)));
    memcpy(inplace, in, sizeof(in));
    channels_apply(&matrix, inplace, inplace, 3);
    CHECK(!memcmp(inplace, in, sizeof(in)));
    for (i = 0; i < 6; i++) CHECK_EQ_FLOAT(out[i], in[i]);
}

/* Windows' shared mode plays mono on both front speakers at full level. */
static void test_mono_to_stereo(void)
{
    const float in[] = {0.5f, -1.0f, 0x1.99999ap-4f, 0.0f};
    const float expect[] = {0.5f, 0.5f, -1.0f, -1.0f, 0x1.99999ap-4f, 0x1.99999ap-4f, 0.0f, 0.0f};
    check_frames("mono -> stereo", 1, MONO, 2, STEREO, in, expect, 4);
    check_frames("mono (mask 0) -> stereo", 1, 0, 2, 0, in, expect, 4);
}

static void test_stereo_to_mono(void)
{
    const float in[] = {0.5f, 0.25f, 1.0f, -1.0f, 0x1.99999ap-4f, 0x1.99999ap-3f, 1.0f, 1.0f, -1.0f, -1.0f};
    const float expect[] = {0.375f, 0.0f, 0x1.333334p-3f, 1.0f, -1.0f};
    check_frames("stereo -> mono", 2, STEREO, 1, MONO, in, expect, 5);
}

/* FL + FC/sqrt(2) + BL/sqrt(2), likewise right; LFE dropped. */
static void test_5_1_to_stereo(void)
{
    const float in[] =
    {
        1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f,
        0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.5f,
        0.25f, -0.25f, 0.5f, 1.0f, 0.5f, -0.5f,
        1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f,
        0x1.99999ap-4f, 0x1.99999ap-3f, 0x1.333334p-2f, 0x1.99999ap-2f, 0.5f, 0x1.333334p-1f,
    };
    const float expect[] =
    {
        1.0f, 0.0f,
        R, R,
        0.0f, 0.0f,
        R, 0x1.6a09e6p-2f,
        0x1.ea09e8p-1f, -0.25f,
        0x1.3504f4p+1f, 0x1.3504f4p+1f,
        0x1.54d4b8p-1f, 0x1.ac3c1cp-1f,
    };
    check_frames("5.1 -> stereo", 6, SURROUND_5_1, 2, STEREO, in, expect, 7);
    check_frames("5.1 (mask 0) -> stereo", 6, 0, 2, 0, in, expect, 7);
}

/* Sides join the backs at full level. */
static void test_7_1_to_5_1(void)
{
    const float in[] =
    {
        0x1.99999ap-4f, 0x1.99999ap-3f, 0x1.333334p-2f, 0x1.99999ap-2f, 0.5f, 0x1.333334p-1f, 0x1.666666p-1f, 0x1.99999ap-1f,
        1.0f, -1.0f, 0.5f, -0.5f, 0.25f, -0.25f, 0.125f, -0.125f,
    };
    const float expect[] =
    {
        0x1.99999ap-4f, 0x1.99999ap-3f, 0x1.333334p-2f, 0x1.99999ap-2f, 0x1.333334p+0f, 0x1.666668p+0f,
        1.0f, -1.0f, 0.5f, -0.5f, 0.375f, -0.375f,
    };
    check_frames("7.1 -> 5.1", 8, SURROUND_7_1, 6, SURROUND_5_1, in, expect, 2);
}

/* Heights fold to the ear-level speaker below them at 1/sqrt(2). */
static void test_7_1_4_to_7_1(void)
{
    const float in[] =
    {
        0x1.99999ap-4f, 0x1.99999ap-3f, 0x1.333334p-2f, 0x1.99999ap-2f, 0.5f, 0x1.333334p-1f, 0x1.666666p-1f,
        0x1.99999ap-1f, 0x1.ccccccp-1f, -0x1.ccccccp-1f, 0.5f, -0.5f,
        0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f,
    };
    const float expect[] =
    {
        0x1.7908e8p-1f, -0x1.bede9cp-2f, 0x1.333334p-2f, 0x1.99999ap-2f, 0x1.b504f4p-1f, 0x1.f8b904p-3f,
        0x1.666666p-1f, 0x1.99999ap-1f,
        R, R, 0.0f, 0.0f, R, R, 0.0f, 0.0f,
    };
    check_frames("7.1.4 -> 7.1", 12, SURROUND_7_1_4, 8, SURROUND_7_1, in, expect, 2);
}

/* Stereo on a 5.1 endpoint: the front pair only, silence elsewhere. */
static void test_stereo_to_5_1(void)
{
    const float in[] = {0.5f, -0.25f, 1.0f, 0x1.99999ap-4f};
    const float expect[] =
    {
        0.5f, -0.25f, 0.0f, 0.0f, 0.0f, 0.0f,
        1.0f, 0x1.99999ap-4f, 0.0f, 0.0f, 0.0f, 0.0f,
    };
    check_frames("stereo -> 5.1", 2, STEREO, 6, SURROUND_5_1, in, expect, 2);
}

/* The other rules, one speaker at a time. */
static void test_fold_rules(void)
{
    /* 5.1 -> mono: fronts at 1/2, centre at 1, backs via the fronts at 1/(2 sqrt(2)), no LFE. */
    {
        const float in[] = {0.5f, 0.5f, 0.25f, 1.0f, 1.0f, 1.0f};
        const float expect[] = {0x1.7504f4p+0f};
        check_frames("5.1 -> mono", 6, SURROUND_5_1, 1, MONO, in, expect, 1);
    }
    /* Mono on 5.1 keeps to the centre. */
    {
        const float in[] = {0.5f};
        const float expect[] = {0.0f, 0.0f, 0.5f, 0.0f, 0.0f, 0.0f};
        check_frames("mono -> 5.1", 1, MONO, 6, SURROUND_5_1, in, expect, 1);
    }
    /* Side <-> back at full level. */
    {
        const float in[] = {0.0f, 0.0f, 0.0f, 0.0f, 0.5f, -0.5f};
        const float expect[] = {0.0f, 0.0f, 0.0f, 0.0f, 0.5f, -0.5f};
        check_frames("5.1 side -> 5.1 back", 6, SURROUND_5_1_SIDE, 6, SURROUND_5_1, in, expect, 1);
        check_frames("5.1 back -> 5.1 side", 6, SURROUND_5_1, 6, SURROUND_5_1_SIDE, in, expect, 1);
    }
    /* Quad backs on stereo: to the fronts at 1/sqrt(2). */
    {
        const float in[] = {0.0f, 0.0f, 1.0f, 0.5f};
        const float expect[] = {R, 0x1.6a09e6p-2f};
        check_frames("quad -> stereo", 4, QUAD, 2, STEREO, in, expect, 1);
    }
    /* Back centre: to both backs at 1/sqrt(2); on stereo on to the fronts as they would, 1/2. */
    {
        const float in[] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f};
        const float expect_5_1[] = {0.0f, 0.0f, 0.0f, 0.0f, R, R};
        const float expect_stereo[] = {0.5f, 0.5f};
        check_frames("6.1 -> 5.1", 7, SURROUND_6_1, 6, SURROUND_5_1, in, expect_5_1, 1);
        check_frames("6.1 -> stereo", 7, SURROUND_6_1, 2, STEREO, in, expect_stereo, 1);
    }
    /* Front left/right of centre join the front pair at full level. */
    {
        const float in[] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.5f, -0.25f};
        const float expect[] = {0.5f, -0.25f};
        check_frames("7.1 wide -> stereo", 8, SURROUND_7_1_WIDE, 2, STEREO, in, expect, 1);
    }
    /* Top back left on stereo: TBL -> BL -> FL, 1/sqrt(2) twice: 1/2. Top centre: via FC, 1/2. */
    {
        const float in[] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f};
        const float expect[] = {0.5f, 0.0f};
        const float top_in[] = {0.0f, 0.0f, 1.0f};
        const float top_expect[] = {0.5f, 0.5f};
        check_frames("7.1.4 -> stereo", 12, SURROUND_7_1_4, 2, STEREO, in, expect, 1);
        check_frames("stereo + top centre -> stereo", 3, STEREO | TOP_CENTER, 2, STEREO, top_in, top_expect, 1);
    }
}

/* Accumulating with power-of-two gains (exact either way) is apply on scaled input, added. */
static void test_accumulate(void)
{
    const float in[] = {0.25f, -0.25f, 0.5f, 1.0f, 0.5f, -0.5f, 0x1.99999ap-4f, 0x1.99999ap-3f, 0x1.333334p-2f,
                        0x1.99999ap-2f, 0.5f, 0x1.333334p-1f};
    const float gains[] = {1.0f, 0.5f, 0.25f, 2.0f, 0.0f, 1.0f};
    const float prior[] = {0.125f, -1.0f, 0x1.99999ap-4f, 0.0f};
    float scaled[12], applied[4], out[4], unity[4], identity_out[4], identity_mix[4];
    struct channels_matrix matrix;
    uint32_t i;

    for (i = 0; i < 12; i++) scaled[i] = in[i] * gains[i % 6];
    channels_init(&matrix, 6, SURROUND_5_1, 2, STEREO);
    channels_apply(&matrix, scaled, applied, 2);
    memcpy(out, prior, sizeof(out));
    channels_accumulate(&matrix, in, out, gains, 2);
    for (i = 0; i < 4; i++) CHECK_EQ_FLOAT(out[i], prior[i] + applied[i]);

    /* No gains: unity; into a cleared mix, the same frames as apply. */
    channels_apply(&matrix, in, applied, 2);
    mix_clear(unity, 4);
    channels_accumulate(&matrix, in, unity, NULL, 2);
    for (i = 0; i < 4; i++) CHECK_EQ_FLOAT(unity[i], applied[i]);

    /* An identity matrix is mix_accumulate. */
    channels_init(&matrix, 2, STEREO, 2, STEREO);
    memcpy(identity_out, prior, sizeof(prior));
    memcpy(identity_mix, prior, sizeof(prior));
    channels_accumulate(&matrix, in, identity_out, gains, 2);
    mix_accumulate(identity_mix, in, gains, 2, 2);
    for (i = 0; i < 4; i++) CHECK_EQ_FLOAT(identity_out[i], identity_mix[i]);
}

int main(void)
{
    test_layouts();
    test_identity();
    test_mono_to_stereo();
    test_stereo_to_mono();
    test_5_1_to_stereo();
    test_7_1_to_5_1();
    test_7_1_4_to_7_1();
    test_stereo_to_5_1();
    test_fold_rules();
    test_accumulate();
    return unit_summary("engine-channels");
}
