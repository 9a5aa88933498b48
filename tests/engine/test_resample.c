/* The resampler: passthrough, exact lengths without drift, the engine's pull by periods, quality
 * (THD+N thresholds from tests/engine/resample_compare.c's measurements), aliasing, smooth rate
 * changes (IAudioClockAdjustment::SetSampleRate), the reported delay, and sane output on silence
 * and full scale; all of it for each variant of the inner loop the CPU has, and each variant's
 * output against the plain C reference's. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "unit.h"
#include "signal.h"
#include "engine/resample.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The variant under test: every resampler the tests make uses it. */
static enum resample_variant variant;

static struct resample *create(uint32_t in_rate, uint32_t out_rate, uint32_t channels)
{
    struct resample *r = resample_create(in_rate, out_rate, channels);

    if (r) CHECK_EQ_UINT(resample_set_variant(r, variant), 0);
    return r;
}

/* Feeds frames of input chunk frames at a time, with room for out_chunk frames per call, until
 * the input is used up or out_capacity is reached; returns the frames produced. */
static size_t feed_counted(struct resample *r, uint32_t channels, const float *in, size_t frames, uint32_t chunk,
                           float *out, size_t out_capacity, uint32_t out_chunk, size_t *consumed)
{
    size_t in_pos = 0, out_pos = 0;

    while (in_pos < frames && out_pos < out_capacity)
    {
        uint32_t in_n = frames - in_pos < chunk ? frames - in_pos : chunk;
        uint32_t out_n = out_capacity - out_pos < out_chunk ? out_capacity - out_pos : out_chunk;

        resample_process(r, in + in_pos * channels, &in_n, out + out_pos * channels, &out_n);
        if (!in_n && !out_n) break;
        in_pos += in_n;
        out_pos += out_n;
    }
    *consumed = in_pos;
    return out_pos;
}

static size_t feed(struct resample *r, uint32_t channels, const float *in, size_t frames, uint32_t chunk,
                   float *out, size_t out_capacity, uint32_t out_chunk)
{
    size_t consumed;
    return feed_counted(r, channels, in, frames, chunk, out, out_capacity, out_chunk, &consumed);
}

static void noise(float *dst, size_t samples, uint32_t seed)
{
    size_t i;

    for (i = 0; i < samples; i++)
    {
        seed = seed * 1664525u + 1013904223u;
        dst[i] = ((int32_t)seed >> 8) * 0x1p-23f;
    }
}

/* Equal rates: the same bits out, no delay, one input frame per output frame. */
static void test_passthrough(void)
{
    enum { FRAMES = 4800 };
    static float in[FRAMES * 2], out[FRAMES * 2];
    struct resample *r = create(48000, 48000, 2);
    size_t produced;

    noise(in, FRAMES * 2, 1);
    CHECK_EQ_UINT(resample_in_frames_for(r, 480), 480);
    CHECK_NEAR(resample_delay(r), 0.0, 0.0);
    produced = feed(r, 2, in, FRAMES, 333, out, FRAMES, 1000);
    CHECK_EQ_UINT(produced, FRAMES);
    CHECK(!memcmp(in, out, sizeof(in)));
    /* The same rate again changes nothing. */
    CHECK_EQ_UINT(resample_set_input_rate(r, 48000.0), 0);
    CHECK_EQ_UINT(resample_in_frames_for(r, 480), 480);
    resample_destroy(r);
}

static const uint32_t client_rates[] = {8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000, 192000};
static const uint32_t mix_rates[] = {44100, 48000};

/* One second in, fed in 10 ms chunks, gives one second out: exactly, as the filter's delay lies
 * in the signal (it starts with half a filter of silence), and within the delay of it anyway. */
static void test_lengths(void)
{
    size_t a, b;

    for (a = 0; a < COUNT(client_rates); a++)
        for (b = 0; b < COUNT(mix_rates); b++)
        {
            uint32_t directions[2][2] = {{client_rates[a], mix_rates[b]}, {mix_rates[b], client_rates[a]}};
            int d;

            for (d = 0; d < 2; d++)
            {
                uint32_t in_rate = directions[d][0], out_rate = directions[d][1];
                float *in = calloc(in_rate, sizeof(float)), *out = calloc(2 * out_rate, sizeof(float));
                struct resample *r = create(in_rate, out_rate, 1);
                size_t produced = feed(r, 1, in, in_rate, in_rate / 100, out, 2 * out_rate, out_rate);

                if (produced != out_rate) printf("%u -> %u Hz:\n", in_rate, out_rate);
                CHECK_EQ_UINT(produced, out_rate);
                CHECK_NEAR(produced, out_rate, resample_delay(r) + 1);
                resample_destroy(r);
                free(in);
                free(out);
            }
        }
}

/* 60 s at 44.1 kHz in 10 ms chunks: 48000 frames out for every second in, to the frame. */
static void test_no_drift(void)
{
    static float in[441], out[600];
    struct resample *r = create(44100, 48000, 1);
    size_t produced = 0;
    uint32_t second, chunk, wrong = 0;

    signal_sine(in, 441, 1, 1000.0, 44100, 0.5);
    for (second = 1; second <= 60; second++)
    {
        for (chunk = 0; chunk < 100; chunk++)
        {
            uint32_t in_n = 441, out_n = 600;
            resample_process(r, in, &in_n, out, &out_n);
            if (in_n != 441) wrong++;
            produced += out_n;
        }
        if (produced != 48000u * second) wrong++;
    }
    CHECK_EQ_UINT(wrong, 0);
    CHECK_EQ_UINT(produced, 48000 * 60);
    resample_destroy(r);
}

/* The engine's way: each period, read in_frames_for(period) from the client's ring and get a
 * whole period out. Over 60 s the input read is what the rates say, to a frame. */
static void test_pull(void)
{
    static const uint32_t pairs[][3] = {{44100, 48000, 480}, {48000, 44100, 441}, {22050, 48000, 480}, {96000, 48000, 480}};
    size_t p;

    for (p = 0; p < COUNT(pairs); p++)
    {
        const uint32_t in_rate = pairs[p][0], out_rate = pairs[p][1], period = pairs[p][2];
        uint32_t periods = 60 * out_rate / period, i, short_periods = 0;
        float *in = calloc((size_t)in_rate / 10 * 2, sizeof(float)), *out = malloc(period * 2 * sizeof(float));
        struct resample *r = create(in_rate, out_rate, 2);
        uint64_t total_in = 0, expect;

        for (i = 0; i < periods; i++)
        {
            uint32_t want = resample_in_frames_for(r, period), in_n = want, out_n = period;
            resample_process(r, in, &in_n, out, &out_n);
            if (in_n != want || out_n != period) short_periods++;
            total_in += in_n;
        }
        /* Output frame k reads input up to k * in / out, from half a filter of silence on. */
        expect = ((uint64_t)periods * period - 1) * in_rate / out_rate + 1;
        if (short_periods || total_in != expect) printf("%u -> %u Hz:\n", in_rate, out_rate);
        CHECK_EQ_UINT(short_periods, 0);
        CHECK_EQ_UINT(total_in, expect);
        CHECK_EQ_UINT(resample_in_frames_for(r, 0), 0);
        resample_destroy(r);
        free(in);
        free(out);
    }
}

/* THD+N of a 0.5 amplitude sine, one second of output after 0.2 s; with the input rate adjusted
 * by a factor of 1 + adjust (0: the rate created with) after creation, where the sine plays that
 * much higher. */
static double thdn_adjusted(uint32_t in_rate, uint32_t out_rate, double freq, double adjust)
{
    size_t in_frames = in_rate * 3 / 2, produced;
    float *in = malloc(in_frames * sizeof(float)), *out = malloc(2 * in_frames * sizeof(float) + out_rate * sizeof(float));
    struct resample *r = create(in_rate, out_rate, 1);
    struct signal_fit fit;

    if (adjust != 0.0) CHECK_EQ_UINT(resample_set_input_rate(r, in_rate * (1.0 + adjust)), 0);

    signal_sine(in, in_frames, 1, freq, in_rate, 0.5);
    produced = feed(r, 1, in, in_frames, in_rate / 100, out, 2 * in_frames + out_rate, out_rate);
    CHECK(produced >= out_rate * 6 / 5);
    fit = signal_fit_sine(out + out_rate / 5, out_rate, 1, freq * (1.0 + adjust), out_rate);
    resample_destroy(r);
    free(in);
    free(out);
    return signal_snr(&fit);
}

static double thdn(uint32_t in_rate, uint32_t out_rate, double freq)
{
    return thdn_adjusted(in_rate, out_rate, freq, 0.0);
}

/* Measured (resample_compare and this test): 44.1 -> 48 kHz 137 dB at 1 kHz, 122 dB at 15 kHz;
 * every pair of the list 125.7 dB (32 -> 48 kHz) or more at 1 kHz. The thresholds keep 5 dB. */
static void test_quality(void)
{
    double t1 = thdn(44100, 48000, 1000.0), t15 = thdn(44100, 48000, 15000.0), d15 = thdn(48000, 44100, 15000.0);
    /* The interpolated table, at a rate 0.1% off the one created with. */
    double i1 = thdn_adjusted(44100, 48000, 1000.0, 0.001), i15 = thdn_adjusted(44100, 48000, 15000.0, 0.001);
    size_t a, b;

    printf("%s: THD+N 44.1 -> 48 kHz %.1f dB at 1 kHz, %.1f dB at 15 kHz; 48 -> 44.1 kHz %.1f dB at 15 kHz; "
           "adjusted by 0.1%%: %.1f dB at 1 kHz, %.1f dB at 15 kHz\n",
           resample_variant_name(variant), t1, t15, d15, i1, i15);
    CHECK_GE(t1, 130.0);
    CHECK_GE(t15, 115.0);
    CHECK_GE(d15, 115.0);
    CHECK_GE(i1, 130.0);
    CHECK_GE(i15, 115.0);
    for (a = 0; a < COUNT(client_rates); a++)
        for (b = 0; b < COUNT(mix_rates); b++)
        {
            double up = thdn(client_rates[a], mix_rates[b], 1000.0), down = thdn(mix_rates[b], client_rates[a], 1000.0);

            if (up < 120.0 || down < 120.0) printf("%u <-> %u Hz: %.1f dB, %.1f dB\n", client_rates[a], mix_rates[b], up, down);
            CHECK_GE(up, 120.0);
            CHECK_GE(down, 120.0);
        }
}

/* What comes out of a tone the output rate cannot hold, relative to the tone, in dB. */
static double alias(uint32_t in_rate, uint32_t out_rate, double freq)
{
    size_t in_frames = in_rate * 3 / 2, produced, i;
    float *in = malloc(in_frames * sizeof(float)), *out = malloc(2 * in_frames * sizeof(float));
    struct resample *r = create(in_rate, out_rate, 1);
    double power = 0.0;

    signal_sine(in, in_frames, 1, freq, in_rate, 0.5);
    produced = feed(r, 1, in, in_frames, in_rate / 100, out, 2 * in_frames, out_rate);
    CHECK(produced >= out_rate * 6 / 5);
    for (i = out_rate / 5; i < out_rate * 6 / 5; i++) power += (double)out[i] * out[i];
    resample_destroy(r);
    free(in);
    free(out);
    return 10.0 * log10(power / out_rate / 0.125 + 1e-30);
}

/* Measured -119.5 dB and -125 dB. */
static void test_aliasing(void)
{
    double level = alias(48000, 44100, 23000.0), level2 = alias(96000, 48000, 30000.0);

    printf("%s: aliases 23 kHz at 48 -> 44.1 kHz %.1f dB, 30 kHz at 96 -> 48 kHz %.1f dB\n",
           resample_variant_name(variant), level, level2);
    CHECK(level <= -110.0);
    CHECK(level2 <= -110.0);
}

/* However the input and output are cut into calls, the output is the same, bit for bit: mono,
 * stereo and more channels, up and down, a short clock cycle (8 -> 48 kHz), and an adjusted rate. */
static void test_chunking(void)
{
    enum { FRAMES = 22050, OUT = 24000, MAX_CHANNELS = 6 };
    static float in[FRAMES * MAX_CHANNELS], whole[OUT * MAX_CHANNELS], other[OUT * MAX_CHANNELS];
    static const uint32_t cuts[][2] = {{1, 1000}, {441, 7}, {4096, 1}, {17, 480}, {1000, 3}};
    static const struct { uint32_t in_rate, out_rate, channels; double adjust; } configs[] =
    {
        {44100, 48000, 2, 0.0}, {44100, 48000, 1, 0.0}, {48000, 44100, 3, 0.0}, {44100, 48000, 6, 0.0},
        {8000, 48000, 1, 0.0}, {44100, 48000, 2, 0.003},
    };
    size_t produced, i, k;

    noise(in, COUNT(in), 7);
    for (k = 0; k < COUNT(configs); k++)
    {
        const uint32_t channels = configs[k].channels;
        const size_t out_frames = (size_t)FRAMES * configs[k].out_rate / configs[k].in_rate * 9 / 10;
        struct resample *r = create(configs[k].in_rate, configs[k].out_rate, channels);

        if (configs[k].adjust != 0.0) resample_set_input_rate(r, configs[k].in_rate * (1.0 + configs[k].adjust));
        produced = feed(r, channels, in, FRAMES, FRAMES, whole, out_frames, out_frames);
        resample_destroy(r);
        CHECK_EQ_UINT(produced, out_frames);
        for (i = 0; i < COUNT(cuts); i++)
        {
            r = create(configs[k].in_rate, configs[k].out_rate, channels);
            if (configs[k].adjust != 0.0) resample_set_input_rate(r, configs[k].in_rate * (1.0 + configs[k].adjust));
            memset(other, 0, sizeof(other));
            CHECK_EQ_UINT(feed(r, channels, in, FRAMES, cuts[i][0], other, out_frames, cuts[i][1]), out_frames);
            if (memcmp(whole, other, out_frames * channels * sizeof(float)))
                printf("%u -> %u Hz, %u channels, chunks of %u in, %u out:\n", configs[k].in_rate, configs[k].out_rate,
                       channels, cuts[i][0], cuts[i][1]);
            CHECK(!memcmp(whole, other, out_frames * channels * sizeof(float)));
            resample_destroy(r);
        }
    }
}

/* Channels do not leak into each other: each is what a mono resampler makes of it. */
static void test_channels(void)
{
    enum { FRAMES = 4800, OUT = 4000, CHANNELS = 6 };
    static float in[FRAMES * CHANNELS], out[OUT * CHANNELS], mono_in[FRAMES], mono_out[OUT];
    struct resample *r = create(48000, 40000, CHANNELS);
    uint32_t c, f, bad = 0;

    noise(in, FRAMES * CHANNELS, 3);
    CHECK_EQ_UINT(feed(r, CHANNELS, in, FRAMES, 480, out, OUT, 400), OUT);
    resample_destroy(r);
    for (c = 0; c < CHANNELS; c++)
    {
        r = create(48000, 40000, 1);
        for (f = 0; f < FRAMES; f++) mono_in[f] = in[f * CHANNELS + c];
        CHECK_EQ_UINT(feed(r, 1, mono_in, FRAMES, 480, mono_out, OUT, 400), OUT);
        for (f = 0; f < OUT; f++)
            if (memcmp(&mono_out[f], &out[f * CHANNELS + c], sizeof(float))) bad++;
        resample_destroy(r);
    }
    CHECK_EQ_UINT(bad, 0);
}

/* SetSampleRate on a running 44.1 -> 48 kHz stream: +2%, later back. The pitch follows, the
 * signal stays continuous (the abrupt 2% change of slope gives about 15, a repeated frame 1800).
 * Periods of 477 frames put the changes between input frames, where the phase must carry over. */
static void test_rate_change(void)
{
    enum { FRAMES = 44100 * 2, PERIOD = 477 };
    static float in[FRAMES], out[FRAMES * 2];
    struct resample *r = create(44100, 48000, 1);
    size_t produced = 0, in_pos = 0, period;
    struct signal_fit fit;

    signal_sine(in, FRAMES, 1, 1000.0, 44100, 0.5);
    for (period = 0; in_pos + 2 * PERIOD < FRAMES; period++)
    {
        uint32_t in_n, out_n = PERIOD;

        if (period == 100) CHECK_EQ_UINT(resample_set_input_rate(r, 44100.0 * 1.02), 0);
        if (period == 150) CHECK_EQ_UINT(resample_set_input_rate(r, 44100.0), 0);
        in_n = resample_in_frames_for(r, PERIOD);
        resample_process(r, in + in_pos, &in_n, out + produced, &out_n);
        in_pos += in_n;
        produced += out_n;
    }
    CHECK(produced > 190 * PERIOD);
    CHECK(signal_click(out + 4800, produced - 4800, 1, 0.5, 2.0 * M_PI * 1020.0 / 48000) < 25.0);
    /* Between the changes the sine plays 2% higher, as cleanly as before. */
    fit = signal_fit_sine(out + 101 * PERIOD, 48 * PERIOD, 1, 1020.0, 48000);
    CHECK_GE(signal_snr(&fit), 110.0);
    fit = signal_fit_sine(out + 151 * PERIOD, 48 * PERIOD, 1, 1000.0, 48000);
    CHECK_GE(signal_snr(&fit), 110.0);
    /* Out of range: refused, the rate stays. */
    CHECK(resample_set_input_rate(r, 10000.0) == -1);
    CHECK(resample_set_input_rate(r, 0.0) == -1);
    CHECK(resample_set_input_rate(r, NAN) == -1);
    resample_destroy(r);
}

/* A 48 kHz stream on a 48 kHz mix passes through until its first SetSampleRate, then filters
 * from the next frame on: it reads half a filter ahead once, and the signal goes on unbroken. */
static void test_passthrough_to_rate_change(void)
{
    enum { FRAMES = 48000 };
    static float in[FRAMES], out[FRAMES];
    struct resample *r = create(48000, 48000, 1);
    size_t produced = 0, in_pos = 0;
    uint32_t extra = 0;

    signal_sine(in, FRAMES, 1, 1000.0, 48000, 0.5);
    while (produced + 480 <= 40 * 480)
    {
        uint32_t in_n, out_n = 480;

        if (produced == 20 * 480)
        {
            CHECK_EQ_UINT(resample_set_input_rate(r, 48048.0), 0);
            extra = resample_in_frames_for(r, 480) - 480;
        }
        in_n = resample_in_frames_for(r, 480);
        resample_process(r, in + in_pos, &in_n, out + produced, &out_n);
        in_pos += in_n;
        produced += out_n;
    }
    CHECK(!memcmp(out, in, 20 * 480 * sizeof(float)));
    /* Half the filter (48 frames at 48 kHz) beyond the 480.48 frames of the new rate. */
    CHECK(extra >= 48 && extra <= 49);
    CHECK(signal_click(out, produced, 1, 0.5, 2.0 * M_PI * 1001.0 / 48000) < 5.0);
    CHECK_NEAR(resample_delay(r), 47.5, 1.0);
    resample_destroy(r);
}

/* resample_delay against the signal: output frame k stands for input time k * in / out - d, d
 * measured from the phase of a 100 Hz sine. The next output, K, must then stand for
 * C - delay * in / out, C being the input consumed. */
static void test_delay(void)
{
    static const uint32_t pairs[][2] = {{44100, 48000}, {48000, 44100}, {22050, 48000}};
    size_t p;

    for (p = 0; p < COUNT(pairs); p++)
    {
        const uint32_t in_rate = pairs[p][0], out_rate = pairs[p][1];
        const double ratio = (double)in_rate / out_rate, period = in_rate / 100.0;
        float *in = malloc(in_rate * sizeof(float)), *out = malloc(2 * out_rate * sizeof(float));
        struct resample *r = create(in_rate, out_rate, 1);
        size_t produced, consumed, k0 = out_rate / 10;
        struct signal_fit fit;
        double d;

        signal_sine(in, in_rate, 1, 100.0, in_rate, 0.5);
        /* Output room that ends inside a chunk: input is left unconsumed in the last call. */
        produced = feed_counted(r, 1, in, in_rate * 9 / 10, in_rate / 100, out, out_rate * 9 / 10 - 7,
                                out_rate / 100, &consumed);
        fit = signal_fit_sine(out + k0, out_rate / 2, 1, 100.0, out_rate);
        /* sin(2 pi 100 / in (k in / out - d)) = sin(2 pi 100 / out (k - k0) + phase) */
        d = k0 * ratio - fit.phase / (2.0 * M_PI) * period;
        while (d > period / 2) d -= period;
        while (d <= -period / 2) d += period;
        if (p == 0) CHECK_NEAR(d, 48.0, 0.01); /* half the 96 taps */
        CHECK_NEAR(consumed - resample_delay(r) * ratio, produced * ratio - d, 0.02);
        resample_destroy(r);
        free(in);
        free(out);
    }
}

/* Silence stays exact zeros; full scale (noise, the input's Nyquist, steps) stays finite and
 * bounded; after it, silence returns to exact zeros with no denormals on the way. */
static void test_silence_and_full_scale(void)
{
    enum { FRAMES = 9600 };
    static float in[FRAMES * 4], out[FRAMES * 5];
    struct resample *r = create(44100, 48000, 1);
    size_t produced, i, subnormal = 0, nonfinite = 0, nonzero_tail = 0;
    float peak = 0.0f;

    memset(in, 0, sizeof(in));
    produced = feed(r, 1, in, FRAMES, 441, out, FRAMES * 5, 480);
    for (i = 0; i < produced; i++) CHECK_EQ_FLOAT(out[i], 0.0f);

    noise(in, FRAMES, 5);
    for (i = 0; i < FRAMES; i++) in[FRAMES + i] = i & 1 ? 1.0f : -1.0f;
    for (i = 0; i < FRAMES; i++) in[2 * FRAMES + i] = (i / 100) & 1 ? 1.0f : -1.0f;
    memset(in + 3 * FRAMES, 0, FRAMES * sizeof(float));
    produced = feed(r, 1, in, FRAMES * 4, 441, out, FRAMES * 5, 480);
    for (i = 0; i < produced; i++)
    {
        if (!isfinite(out[i])) nonfinite++;
        if (fpclassify(out[i]) == FP_SUBNORMAL) subnormal++;
        if (fabsf(out[i]) > peak) peak = fabsf(out[i]);
    }
    /* The last 200 output frames come from silence only. */
    for (i = produced - 200; i < produced; i++)
        if (out[i] != 0.0f) nonzero_tail++;
    CHECK_EQ_UINT(nonfinite, 0);
    CHECK_EQ_UINT(subnormal, 0);
    CHECK_EQ_UINT(nonzero_tail, 0);
    /* Band-limiting a full-scale square overshoots by the Gibbs 9%; noise peaks may add more. */
    CHECK(peak < 2.0f);
    resample_destroy(r);
}

/* reset forgets the signal: the same output as a new resampler. */
static void test_reset(void)
{
    enum { FRAMES = 4410, OUT = 4800 };
    static float in[FRAMES * 2], fresh[OUT * 2], again[OUT * 2];
    struct resample *r = create(44100, 48000, 2);

    noise(in, FRAMES * 2, 9);
    CHECK_EQ_UINT(feed(r, 2, in, FRAMES, 441, fresh, OUT, 480), OUT);
    resample_reset(r);
    CHECK_EQ_UINT(feed(r, 2, in, FRAMES, 441, again, OUT, 480), OUT);
    CHECK(!memcmp(fresh, again, sizeof(fresh)));
    resample_destroy(r);
}

/* The filter as resample.c describes it: a Kaiser-windowed (beta 12) sinc of 96 taps when
 * upsampling, more in proportion when downsampling (a multiple of 8), its -6 dB point at 0.95 of
 * the lower Nyquist frequency, each phase's row scaled to a gain of 1 at DC. The value of the row
 * for a phase (0 to 1) at tap j, worked out here in double precision. */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, k;

    for (k = 1.0; term > sum * 1e-17; k += 1.0)
    {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
    }
    return sum;
}

static double designed_tap(uint32_t taps, double fc, double phase, int j)
{
    const double half = taps / 2;
    double sum = 0.0, value = 0.0;
    uint32_t k;

    for (k = 0; k < taps; k++)
    {
        double t = k - (half - 1.0) - phase, u = t / half, x = M_PI * fc * t;
        double h = fc * (x == 0.0 ? 1.0 : sin(x) / x);

        h *= u * u < 1.0 ? bessel_i0(12.0 * sqrt(1.0 - u * u)) / bessel_i0(12.0) : 0.0;

        sum += h;
        if ((int)k == j) value = h;
    }
    return value / sum;
}

/* Golden: an impulse comes out as the designed filter, sampled at each output frame's phase. The
 * history starts with taps - 1 frames of silence, and output frame k reads taps frames from
 * floor(k in / out) on with the phase frac(k in / out): the impulse at input frame n is its tap
 * j = n + taps - 1 - floor(k in / out) (none outside the row). Other channels stay exact zeros.
 * The exact rows round each coefficient to float once, and 1 times it plus zeros adds nothing, for
 * every variant: within 2e-7 (2 units in the last place at most, libm's sin aside). */
static void test_impulse(void)
{
    enum { FRAMES = 4000, IMPULSE = 1234, CHANNELS = 2 };
    static const uint32_t pairs[][2] = {{44100, 48000}, {48000, 44100}, {8000, 48000}, {96000, 44100}};
    static float in[FRAMES * CHANNELS], out[2 * FRAMES * 12 * CHANNELS];
    size_t p;

    for (p = 0; p < COUNT(pairs); p++)
    {
        const uint32_t in_rate = pairs[p][0], out_rate = pairs[p][1];
        const double fc = in_rate > out_rate ? (double)out_rate / in_rate : 1.0;
        const uint32_t taps = ((uint32_t)ceil(96.0 / fc) + 7) & ~7u;
        struct resample *r = create(in_rate, out_rate, CHANNELS);
        size_t produced, k, wrong = 0, other = 0;
        double worst = 0.0;

        memset(in, 0, sizeof(in));
        in[IMPULSE * CHANNELS + 1] = 1.0f;
        produced = feed(r, CHANNELS, in, FRAMES, 441, out, COUNT(out) / CHANNELS, 480);
        CHECK(produced >= (size_t)FRAMES * out_rate / in_rate - 1);
        for (k = 0; k < produced; k++)
        {
            uint64_t position = (uint64_t)k * in_rate;
            int j = IMPULSE + (int)taps - 1 - (int)(position / out_rate);
            double want = j >= 0 && j < (int)taps
                          ? (float)designed_tap(taps, fc * 0.95, (double)(position % out_rate) / out_rate, j) : 0.0;
            double d = fabs(out[k * CHANNELS + 1] - want);

            if (d > worst) worst = d;
            if (d > 2e-7) wrong++;
            if (out[k * CHANNELS] != 0.0f) other++;
        }
        if (wrong || other)
            printf("%s, %u -> %u Hz: %zu frames off the designed filter (by %.3g at most), %zu on the silent channel\n",
                   resample_variant_name(variant), in_rate, out_rate, wrong, worst, other);
        CHECK_EQ_UINT(wrong, 0);
        CHECK_EQ_UINT(other, 0);
        resample_destroy(r);
    }
}

/* Each variant against the plain C reference, on full-scale noise, the engine's way (periods of
 * 480 output frames, the input they need), with the rate adjusted and back on the way: the
 * exact table, the interpolated one, and the moves between them.
 *
 * SSE2 does the reference's operations in its order: the same bits. AVX2+FMA rounds each
 * multiply-add once instead of twice and adds the eight running sums up in another order: each
 * of the two results is within n u sum |h x| of the true dot product (u = 2^-24, n the terms of
 * the longest chain: taps / 8 running sums of a lane, 3 levels adding the lanes, 1 for the
 * product, 2 for the interpolated coefficient), so they are within twice that of each other;
 * sum |h| is 2.5 at most for these filters (2.50 at 96 taps, 2.35 at 112), |x| <= 1. At 44.1 ->
 * 48 kHz (104 taps with the padding of the exact rows) that is 2 * 19 * 2^-24 * 2.5 = 5.7e-6;
 * the differences seen are a few times 1e-8. */
static void test_against_reference(void)
{
    enum { PERIOD = 480, PERIODS = 300, MAX_CHANNELS = 6 };
    static const struct { uint32_t in_rate, out_rate, channels; } configs[] =
    {
        {44100, 48000, 1}, {44100, 48000, 2}, {44100, 48000, 3}, {44100, 48000, 6}, {48000, 44100, 2},
        {48000, 44100, 1}, {22050, 48000, 2}, {96000, 48000, 2}, {8000, 44100, 1}, {11025, 48000, 2},
        {192000, 44100, 1},
    };
    static float in[48000 * MAX_CHANNELS], want[PERIOD * MAX_CHANNELS], got[PERIOD * MAX_CHANNELS];
    size_t k;

    noise(in, COUNT(in), 11);
    for (k = 0; k < COUNT(configs); k++)
    {
        const uint32_t in_rate = configs[k].in_rate, out_rate = configs[k].out_rate, channels = configs[k].channels;
        const double ratio = in_rate > out_rate ? (double)in_rate / out_rate : 1.0;
        const double tolerance = 2.0 * ((96.0 * ratio + 32.0) / 8.0 + 6.0) * 0x1p-24 * 2.5;
        struct resample *ref = resample_create(in_rate, out_rate, channels), *r = create(in_rate, out_rate, channels);
        size_t in_pos = 0, period, i, differ = 0;
        double worst = 0.0;

        CHECK_EQ_UINT(resample_get_variant(r), variant);
        resample_set_variant(ref, RESAMPLE_VARIANT_C);
        for (period = 0; period < PERIODS; period++)
        {
            uint32_t in_a, out_a = PERIOD, in_b, out_b = PERIOD;

            /* Adjusted from the 100th period to the 200th, in steps; back to the created rate after. */
            if (period >= 100 && period < 200 && period % 25 == 0)
            {
                double rate = in_rate * (1.0 + 0.0007 * (period / 25 - 3));
                CHECK_EQ_UINT(resample_set_input_rate(ref, rate), 0);
                CHECK_EQ_UINT(resample_set_input_rate(r, rate), 0);
            }
            if (period == 200)
            {
                CHECK_EQ_UINT(resample_set_input_rate(ref, in_rate), 0);
                CHECK_EQ_UINT(resample_set_input_rate(r, in_rate), 0);
            }
            in_a = in_b = resample_in_frames_for(ref, PERIOD);
            CHECK_EQ_UINT(resample_in_frames_for(r, PERIOD), in_a);
            if ((in_pos + in_a) * channels > COUNT(in)) in_pos = 0;
            resample_process(ref, in + in_pos * channels, &in_a, want, &out_a);
            resample_process(r, in + in_pos * channels, &in_b, got, &out_b);
            CHECK_EQ_UINT(in_b, in_a);
            CHECK_EQ_UINT(out_b, out_a);
            in_pos += in_a;
            for (i = 0; i < out_a * channels; i++)
            {
                double d = fabs((double)got[i] - want[i]);
                if (d > worst) worst = d;
                if (memcmp(&got[i], &want[i], sizeof(float))) differ++;
            }
        }
        if (worst > tolerance || (variant == RESAMPLE_VARIANT_SSE2 && differ))
            printf("%s, %u -> %u Hz, %u channels: %zu samples differ, by %.3g at most (tolerance %.3g)\n",
                   resample_variant_name(variant), in_rate, out_rate, channels, differ, worst, tolerance);
        CHECK(worst <= tolerance);
        if (variant <= RESAMPLE_VARIANT_SSE2) CHECK_EQ_UINT(differ, 0);
        if (k == 1 && variant != RESAMPLE_VARIANT_C)
            printf("%s against the reference, 44.1 -> 48 kHz stereo: %zu of %u samples differ, by %.3g at most\n",
                   resample_variant_name(variant), differ, PERIOD * PERIODS * channels, worst);
        resample_destroy(ref);
        resample_destroy(r);
    }
}

static void test_variants(void)
{
    int v;

    CHECK(resample_variant_supported(RESAMPLE_VARIANT_C));
    CHECK(!resample_variant_supported(RESAMPLE_VARIANT_COUNT));
    CHECK(!resample_variant_name(RESAMPLE_VARIANT_COUNT));
    for (v = 0; v < RESAMPLE_VARIANT_COUNT; v++) CHECK(resample_variant_name(v) != NULL);
}

/* Resamplers of the same ratio share their tables: threads creating and destroying them at once
 * (some building a ratio's tables while others take or drop them) all get the same output. */
enum { SHARED_FRAMES = 2205, SHARED_OUT = 2400, SHARED_ROUNDS = 40 };
static float shared_in[SHARED_FRAMES * 2], shared_want[3][SHARED_OUT * 2];
static const uint32_t shared_rates[3][2] = {{44100, 48000}, {88200, 96000}, {48000, 44100}};

/* No checks in here: the threads run it, and the checks' counters are not for threads. */
static void shared_run(size_t which, float *out)
{
    struct resample *r = resample_create(shared_rates[which][0], shared_rates[which][1], 2);

    if (!r) return;
    resample_set_variant(r, variant);

    feed(r, 2, shared_in, SHARED_FRAMES, 441, out, SHARED_OUT, 480);
    resample_destroy(r);
}

struct shared_thread
{
    size_t start;       /* where in shared_rates the thread begins */
    size_t wrong;       /* runs whose output differed */
};

static void *shared_thread(void *arg)
{
    struct shared_thread *thread = arg;
    float *out = malloc(sizeof(shared_want[0]));
    size_t i;

    for (i = 0; i < SHARED_ROUNDS; i++)
    {
        size_t which = (thread->start + i) % 3;
        memset(out, 0, sizeof(shared_want[0]));
        shared_run(which, out);
        if (memcmp(out, shared_want[which], sizeof(shared_want[0]))) thread->wrong++;
    }
    free(out);
    return NULL;
}

static void test_shared_tables(void)
{
    struct shared_thread state[4] = {{0, 0}, {1, 0}, {2, 0}, {0, 0}};
    pthread_t threads[4];
    size_t i;

    noise(shared_in, COUNT(shared_in), 13);
    for (i = 0; i < 3; i++) shared_run(i, shared_want[i]);
    for (i = 0; i < 4; i++) CHECK(!pthread_create(&threads[i], NULL, shared_thread, &state[i]));
    for (i = 0; i < 4; i++)
    {
        pthread_join(threads[i], NULL);
        CHECK_EQ_UINT(state[i].wrong, 0);
    }
}

static void test_bad_arguments(void)
{
    CHECK(!resample_create(0, 48000, 2));
    CHECK(!resample_create(44100, 999, 2));
    CHECK(!resample_create(800000, 48000, 2));
    CHECK(!resample_create(44100, 48000, 0));
    CHECK(!resample_create(44100, 48000, 19));
    resample_destroy(NULL);
}

int main(void)
{
    int v;

    test_variants();
    test_bad_arguments();
    for (v = 0; v < RESAMPLE_VARIANT_COUNT; v++)
    {
        if (!resample_variant_supported(v))
        {
            printf("%s: not on this CPU, skipped\n", resample_variant_name(v));
            continue;
        }
        variant = v;
        test_passthrough();
        test_lengths();
        test_no_drift();
        test_pull();
        test_quality();
        test_aliasing();
        test_chunking();
        test_channels();
        test_rate_change();
        test_passthrough_to_rate_change();
        test_delay();
        test_silence_and_full_scale();
        test_reset();
        test_impulse();
        test_against_reference();
        test_shared_tables();
    }
    return unit_summary("engine-resample");
}
