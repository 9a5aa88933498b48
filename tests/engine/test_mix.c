/* Mixing and volume: unit gain is bit-exact, two streams are their exact float sum, half volume
 * is exactly half, and every channel count and frame count takes the same path to the result. */
#include <math.h>
#include <stdint.h>

#include "unit.h"
#include "engine/channels.h"
#include "engine/mix.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Stereo frames: ordinary values, both zeros, a denormal, large and tiny ones. */
static const float values[] =
{
    0.5f, -0.25f, 0x1.99999ap-4f, -0x1.333334p-2f, 0.0f, -0.0f, 0x1p-140f, -0x1p-140f,
    1.0f, -1.0f, 3.5f, -1e30f, 1e-30f, 0x1.fffffep-1f, 0x1.000002p+0f, 7.0f,
};
static const float other[] =
{
    0.25f, 0.25f, 0x1.99999ap-3f, 0.5f, -0.0f, -0.0f, 0x1p-140f, 0x1p-140f,
    1.0f, 0x1p-24f, -3.5f, 1e30f, 1.0f, 0x1p-25f, 0x1p-23f, -0.0f,
};

/* The mix's silence is -0.0, so that x + silence is x for every x. */
static void test_clear(void)
{
    float buf[5] = {1, 2, 3, 4, 5};
    uint32_t i;

    mix_clear(buf, 5);
    for (i = 0; i < 5; i++) CHECK_EQ_FLOAT(buf[i], -0.0f);
}

/* One stream at volume 1.0 into a cleared mix: its own bits, -0.0 and denormals included. */
static void test_unity(void)
{
    const float gains[] = {1.0f, 1.0f};
    float mix[COUNT(values)];
    uint32_t i;

    mix_clear(mix, COUNT(values));
    mix_accumulate(mix, values, gains, 2, COUNT(values) / 2);
    for (i = 0; i < COUNT(values); i++) CHECK_EQ_FLOAT(mix[i], values[i]);
}

/* Two streams at volume 1.0: the exact float sum, whichever order they come in. */
static void test_two_streams(void)
{
    static const float expect[] =
    {
        0.75f, 0.0f, 0x1.333334p-2f, 0x1.999998p-3f, 0.0f, -0.0f, 0x1p-139f, 0.0f,
        2.0f, -0x1.fffffep-1f, 0.0f, 0.0f, 1.0f, 1.0f /* a tie, to even */, 0x1.000004p+0f, 7.0f,
    };
    const float gains[] = {1.0f, 1.0f};
    float mix[COUNT(values)], reversed[COUNT(values)];
    uint32_t i;

    mix_clear(mix, COUNT(values));
    mix_accumulate(mix, values, gains, 2, COUNT(values) / 2);
    mix_accumulate(mix, other, gains, 2, COUNT(values) / 2);
    mix_clear(reversed, COUNT(values));
    mix_accumulate(reversed, other, gains, 2, COUNT(values) / 2);
    mix_accumulate(reversed, values, gains, 2, COUNT(values) / 2);
    for (i = 0; i < COUNT(values); i++)
    {
        CHECK_EQ_FLOAT(mix[i], expect[i]);
        CHECK_EQ_FLOAT(reversed[i], expect[i]);
    }
}

/* Volume 0.5 halves exactly; a muted channel adds nothing; one gain per channel. */
static void test_gains(void)
{
    static const float expect_half[] =
    {
        0.25f, -0.125f, 0x1.99999ap-5f, -0x1.333334p-3f, 0.0f, -0.0f, 0x1p-141f, -0x1p-141f,
        0.5f, -0.5f, 1.75f, -5e29f, 5e-31f, 0x1.fffffep-2f, 0x1.000002p-1f, 3.5f,
    };
    const float half[] = {0.5f, 0.5f}, left_muted[] = {0.0f, 1.0f};
    float mix[COUNT(values)];
    uint32_t i;

    mix_clear(mix, COUNT(values));
    mix_accumulate(mix, values, half, 2, COUNT(values) / 2);
    for (i = 0; i < COUNT(values); i++) CHECK_EQ_FLOAT(mix[i], expect_half[i]);

    memcpy(mix, other, sizeof(other));
    mix_accumulate(mix, values, left_muted, 2, COUNT(values) / 2);
    for (i = 0; i < COUNT(values); i += 2)
    {
        CHECK(mix[i] == other[i]);
        CHECK_EQ_FLOAT(mix[i + 1], other[i + 1] + values[i + 1]);
    }
}

/* Every channel count up to CHANNELS_MAX and frame counts around the blocks of 8 frames: the
 * results are dst + src * gain[channel], sample by sample, bit for bit. */
static void test_shapes(void)
{
    enum { FRAMES = 37 };
    static float src[FRAMES * CHANNELS_MAX], dst[FRAMES * CHANNELS_MAX];
    float gains[CHANNELS_MAX];
    uint32_t channels, frames, i, seed = 1, bad = 0;

    for (i = 0; i < FRAMES * CHANNELS_MAX; i++)
    {
        seed = seed * 1664525u + 1013904223u;
        src[i] = ((int32_t)seed >> 8) * 0x1p-23f;
    }
    for (i = 0; i < CHANNELS_MAX; i++) gains[i] = 0.05f * (i + 1);

    for (channels = 1; channels <= CHANNELS_MAX; channels++)
    {
        for (frames = 0; frames <= FRAMES; frames++)
        {
            for (i = 0; i < FRAMES * channels; i++) dst[i] = src[FRAMES * channels - 1 - i];
            mix_accumulate(dst, src, gains, channels, frames);
            for (i = 0; i < FRAMES * channels; i++)
            {
                float base = src[FRAMES * channels - 1 - i];
                float want_dst = i < frames * channels ? base + src[i] * gains[i % channels] : base;
                if (memcmp(&dst[i], &want_dst, sizeof(float)))
                {
                    if (!bad++) printf("%u channels, %u frames, sample %u differs\n", channels, frames, i);
                }
            }
        }
    }
    CHECK_EQ_UINT(bad, 0);
}

int main(void)
{
    test_clear();
    test_unity();
    test_two_streams();
    test_gains();
    test_shapes();
    return unit_summary("engine-mix");
}
