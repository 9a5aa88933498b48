/* ns per frame of the engine's per-period work, one thread, 480-frame periods (10 ms at 48 kHz):
 * conversion of each format both ways, channel matrices, the resampler (with the variant it picks,
 * then with each variant of its inner loop the CPU has), mixing. Best of 5 runs of about 0.1 s
 * each, in thread CPU time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/channels.h"
#include "engine/convert.h"
#include "engine/mix.h"
#include "engine/resample.h"

enum { PERIOD = 480, MAX_CHANNELS = 12 };

static float src[PERIOD * 2 * MAX_CHANNELS], dst[PERIOD * 2 * MAX_CHANNELS];
static _Alignas(16) uint8_t raw[PERIOD * 2 * MAX_CHANNELS * 4];
static volatile float sink;

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct job
{
    const char *name;
    void (*period)(const struct job *job);      /* processes PERIOD frames */
    enum convert_type type;
    const struct channels_matrix *matrix;
    struct resample *resampler;
    uint32_t channels;
};

static void bench(const struct job *job)
{
    double best = INFINITY;
    int run, i, periods = 1000;

    job->period(job);
    for (run = 0; run < 5; run++)
    {
        double start = now_ns(), elapsed;

        for (i = 0; i < periods; i++) job->period(job);
        elapsed = now_ns() - start;
        if (elapsed / ((double)periods * PERIOD) < best) best = elapsed / ((double)periods * PERIOD);
        /* Aim each run at about 0.1 s. */
        if (elapsed < 5e7) periods *= 2;
    }
    sink = dst[PERIOD - 1];
    printf("%-52s %7.2f ns/frame\n", job->name, best);
    fflush(stdout);
}

static void to_float_period(const struct job *job)
{
    convert_get_to_float(job->type)(raw, dst, PERIOD * job->channels);
}

static void from_float_period(const struct job *job)
{
    convert_get_from_float(job->type)(src, raw, PERIOD * job->channels);
}

static void apply_period(const struct job *job)
{
    channels_apply(job->matrix, src, dst, PERIOD);
}

static void accumulate_period(const struct job *job)
{
    static const float gains[CHANNELS_MAX] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    channels_accumulate(job->matrix, src, dst, gains, PERIOD);
}

/* The engine's pull: the input one period of output needs, then the period. */
static void resample_period(const struct job *job)
{
    uint32_t in_frames = resample_in_frames_for(job->resampler, PERIOD), out_frames = PERIOD;
    resample_process(job->resampler, src, &in_frames, dst, &out_frames);
}

static void mix_period(const struct job *job)
{
    static const float gains[CHANNELS_MAX] = {0.5f, 0.25f, 0.5f, 0.25f, 0.5f, 0.25f, 0.5f, 0.25f};
    mix_accumulate(dst, src, gains, job->channels, PERIOD);
}

static void clear_period(const struct job *job)
{
    mix_clear(dst, PERIOD * job->channels);
}

int main(void)
{
    static const char *const type_names[] = {"u8", "s16", "s24", "s24-in-32", "s32", "f32"};
    struct channels_matrix stereo_identity, surround_to_stereo, mono_to_stereo, surround_7_1_4_to_7_1;
    char name[64];
    size_t i;
    int t;

    /* Half-scale noise, so that nothing clamps and nothing is denormal. */
    for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) src[i] = (float)(0.5 * sin(i * 0.37));
    for (i = 0; i < sizeof(raw); i++) raw[i] = (uint8_t)(i * 37);

    printf("stereo unless said; a frame is one sample per channel\n");
    for (t = 0; t < CONVERT_TYPE_COUNT; t++)
    {
        struct job job = {name, to_float_period, .type = t, .channels = 2};
        snprintf(name, sizeof(name), "convert %s -> float", type_names[t]);
        bench(&job);
    }
    for (t = 0; t < CONVERT_TYPE_COUNT; t++)
    {
        struct job job = {name, from_float_period, .type = t, .channels = 2};
        snprintf(name, sizeof(name), "convert float -> %s", type_names[t]);
        bench(&job);
    }

    channels_init(&stereo_identity, 2, 0x3, 2, 0x3);
    channels_init(&surround_to_stereo, 6, 0x3f, 2, 0x3);
    channels_init(&mono_to_stereo, 1, 0x4, 2, 0x3);
    channels_init(&surround_7_1_4_to_7_1, 12, 0x2d63f, 8, 0x63f);
    {
        const struct job jobs[] =
        {
            {"channels stereo -> stereo (identity), apply", apply_period, .matrix = &stereo_identity},
            {"channels stereo -> stereo (identity), accumulate", accumulate_period, .matrix = &stereo_identity},
            {"channels 5.1 -> stereo, apply", apply_period, .matrix = &surround_to_stereo},
            {"channels 5.1 -> stereo, accumulate", accumulate_period, .matrix = &surround_to_stereo},
            {"channels mono -> stereo, apply", apply_period, .matrix = &mono_to_stereo},
            {"channels 7.1.4 -> 7.1, apply", apply_period, .matrix = &surround_7_1_4_to_7_1},
        };
        for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) bench(&jobs[i]);
    }

    {
        /* Every variant of the resampler's inner loop the CPU has, the default (the best) first;
         * "adjusted" runs at an input rate 0.1% off the one created with, which interpolates. */
        static const uint32_t rates[][4] = {{44100, 48000, 2}, {44100, 48000, 1}, {48000, 44100, 2}, {48000, 44100, 1},
                                            {22050, 48000, 2}, {48000, 48000, 2}, {44100, 48000, 6},
                                            {44100, 48000, 2, 1}, {44100, 48000, 1, 1}};
        int v;

        for (v = -1; v < RESAMPLE_VARIANT_COUNT; v++)
        {
            if (v >= 0 && !resample_variant_supported(v)) continue;
            for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
            {
                struct job job = {name, resample_period, .channels = rates[i][2]};

                /* Passthrough has no inner loop. */
                if (v >= 0 && rates[i][0] == rates[i][1]) continue;
                job.resampler = resample_create(rates[i][0], rates[i][1], rates[i][2]);
                if (v >= 0) resample_set_variant(job.resampler, v);
                else if (i == 0)
                    printf("resampler: %s by default\n", resample_variant_name(resample_get_variant(job.resampler)));
                if (rates[i][3]) resample_set_input_rate(job.resampler, rates[i][0] * 1.001);
                snprintf(name, sizeof(name), "resample %u -> %u Hz%s, %u channel%s%s%s%s", rates[i][0], rates[i][1],
                         rates[i][3] ? " adjusted" : "", rates[i][2], rates[i][2] > 1 ? "s" : "",
                         rates[i][0] == rates[i][1] ? " (passthrough)" : "", v >= 0 ? ", " : "",
                         v >= 0 ? resample_variant_name(v) : "");
                bench(&job);
                resample_destroy(job.resampler);
            }
        }
    }

    {
        const struct job jobs[] =
        {
            {"mix_clear", clear_period, .channels = 2},
            {"mix_accumulate", mix_period, .channels = 2},
            {"mix_accumulate, 6 channels", mix_period, .channels = 6},
            {"mix_accumulate, 8 channels", mix_period, .channels = 8},
        };
        for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) bench(&jobs[i]);
    }
    return 0;
}
