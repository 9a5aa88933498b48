/* Measures resampler candidates side by side: our engine's resample.c, libsoxr and libspeexdsp.
 *
 * For each: THD+N of sines 44.1 -> 48 kHz (1 kHz, 15 kHz, 20 kHz; a least-squares fit of the sine
 * and DC at the known frequency, everything else is noise), the passband gain at 20 kHz, aliasing
 * (the level that comes out of a tone the output cannot hold: 23 kHz at 48 -> 44.1 kHz, 30 kHz at
 * 96 -> 48 kHz), output frames after 60 s of input in 10 ms chunks against the exact count, the
 * latency (input held at the end of a 2 s run), the worst click when the input rate moves by 2%
 * mid-stream (signal_click: peak fourth difference of a 1 kHz sine against the sine's own), and
 * speed: ns per output frame, stereo, 44.1 -> 48 kHz, 10 ms chunks, one thread. Run as a meson
 * benchmark; libsoxr and libspeexdsp are optional. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_SOXR
#include <soxr.h>
#endif
#ifdef HAVE_SPEEXDSP
#include <speex/speex_resampler.h>
#endif

#include "engine/resample.h"
#include "signal.h"

struct candidate
{
    const char *name;
    void *(*create)(uint32_t in_rate, uint32_t out_rate, uint32_t channels, int quality);
    void (*process)(void *state, const float *in, uint32_t *in_frames, float *out, uint32_t *out_frames);
    /* NULL when the candidate cannot change rates on the fly. */
    int (*set_rate)(void *state, double in_rate, uint32_t out_rate);
    void (*destroy)(void *state);
    int quality;
};

/* quality: the variant of the inner loop. */
static void *ours_create(uint32_t in_rate, uint32_t out_rate, uint32_t channels, int quality)
{
    struct resample *r = resample_create(in_rate, out_rate, channels);

    if (r) resample_set_variant(r, quality);
    return r;
}

static void ours_process(void *state, const float *in, uint32_t *in_frames, float *out, uint32_t *out_frames)
{
    resample_process(state, in, in_frames, out, out_frames);
}

static int ours_set_rate(void *state, double in_rate, uint32_t out_rate)
{
    return resample_set_input_rate(state, in_rate);
}

static void ours_destroy(void *state)
{
    resample_destroy(state);
}

#ifdef HAVE_SOXR
/* quality: a SOXR_*Q recipe, | SOXR_VR (as flags << 8) for the variable-rate mode. */
static void *soxr_candidate_create(uint32_t in_rate, uint32_t out_rate, uint32_t channels, int quality)
{
    soxr_quality_spec_t q = soxr_quality_spec(quality & 0xff, quality >> 8);
    soxr_error_t error;
    soxr_t s;

    if (quality >> 8 & SOXR_VR)
    {
        /* Variable rate: created for the highest ratio it will see, then set. */
        s = soxr_create(2.0, 1.0, channels, &error, NULL, &q, NULL);
        if (s) soxr_set_io_ratio(s, (double)in_rate / out_rate, 0);
        return s;
    }
    return soxr_create(in_rate, out_rate, channels, &error, NULL, &q, NULL);
}

static void soxr_candidate_process(void *state, const float *in, uint32_t *in_frames, float *out, uint32_t *out_frames)
{
    size_t idone = 0, odone = 0;

    soxr_process(state, in, *in_frames, &idone, out, *out_frames, &odone);
    *in_frames = idone;
    *out_frames = odone;
}

static int soxr_candidate_set_rate(void *state, double in_rate, uint32_t out_rate)
{
    /* Slewed over 10 ms of output, as smooth as it offers. */
    return soxr_set_io_ratio(state, in_rate / out_rate, out_rate / 100) ? -1 : 0;
}

static void soxr_candidate_destroy(void *state)
{
    soxr_delete(state);
}
#endif

#ifdef HAVE_SPEEXDSP
static void *speex_create(uint32_t in_rate, uint32_t out_rate, uint32_t channels, int quality)
{
    int error;
    SpeexResamplerState *s = speex_resampler_init(channels, in_rate, out_rate, quality, &error);

    if (s) speex_resampler_skip_zeros(s);
    return s;
}

static void speex_process(void *state, const float *in, uint32_t *in_frames, float *out, uint32_t *out_frames)
{
    speex_resampler_process_interleaved_float(state, in, in_frames, out, out_frames);
}

static int speex_set_rate(void *state, double in_rate, uint32_t out_rate)
{
    /* Rates as a fraction in thousandths of Hz; the nominal rates stay as they were. */
    spx_uint32_t num = (spx_uint32_t)lround(in_rate * 1000), den = out_rate * 1000u;
    return speex_resampler_set_rate_frac(state, num, den, (spx_uint32_t)lround(in_rate), out_rate);
}

static void speex_destroy(void *state)
{
    speex_resampler_destroy(state);
}
#endif

static const struct candidate candidates[] =
{
    {"ours, c", ours_create, ours_process, ours_set_rate, ours_destroy, RESAMPLE_VARIANT_C},
    {"ours, sse2", ours_create, ours_process, ours_set_rate, ours_destroy, RESAMPLE_VARIANT_SSE2},
    {"ours, avx2+fma", ours_create, ours_process, ours_set_rate, ours_destroy, RESAMPLE_VARIANT_AVX2},
#ifdef HAVE_SOXR
    {"soxr HQ", soxr_candidate_create, soxr_candidate_process, NULL, soxr_candidate_destroy, SOXR_HQ},
    {"soxr VHQ", soxr_candidate_create, soxr_candidate_process, NULL, soxr_candidate_destroy, SOXR_VHQ},
    {"soxr HQ+VR", soxr_candidate_create, soxr_candidate_process, soxr_candidate_set_rate, soxr_candidate_destroy,
        SOXR_HQ | SOXR_VR << 8},
#endif
#ifdef HAVE_SPEEXDSP
    {"speex q3", speex_create, speex_process, speex_set_rate, speex_destroy, 3},
    {"speex q5", speex_create, speex_process, speex_set_rate, speex_destroy, 5},
    {"speex q8", speex_create, speex_process, speex_set_rate, speex_destroy, 8},
    {"speex q10", speex_create, speex_process, speex_set_rate, speex_destroy, 10},
#endif
};

/* Feeds in_frames of mono input in chunks of in_rate / 100 frames; returns the frames out. A rate
 * change to new_rate (0: none) happens after half the input. */
static size_t run(const struct candidate *c, uint32_t in_rate, uint32_t out_rate, const float *in, size_t in_frames,
                  float *out, size_t out_capacity, double new_rate)
{
    void *state = c->create(in_rate, out_rate, 1, c->quality);
    const uint32_t chunk = in_rate / 100;
    size_t in_pos = 0, out_pos = 0;

    while (in_pos < in_frames)
    {
        uint32_t n = in_frames - in_pos < chunk ? in_frames - in_pos : chunk, done = 0;

        if (new_rate && in_pos == in_frames / 2 / chunk * chunk) c->set_rate(state, new_rate, out_rate);
        while (done < n && out_pos < out_capacity)
        {
            uint32_t in_n = n - done, out_n = out_capacity - out_pos;
            c->process(state, in + in_pos + done, &in_n, out + out_pos, &out_n);
            done += in_n;
            out_pos += out_n;
            if (!in_n && !out_n) break;
        }
        in_pos += n;
    }
    c->destroy(state);
    return out_pos;
}

/* Analyses one second of output after the first 0.2 s. */
#define SECONDS_IN 1.5

/* THD+N in dB below the sine (positive: better), and the gain in dB. */
static double thdn(const struct candidate *c, uint32_t in_rate, uint32_t out_rate, double freq, double *gain_db)
{
    size_t in_frames = (size_t)(in_rate * SECONDS_IN), out_frames;
    float *in = malloc(in_frames * sizeof(float)), *out = malloc((2 * in_frames + out_rate) * sizeof(float));
    struct signal_fit fit;

    signal_sine(in, in_frames, 1, freq, in_rate, 0.5);
    out_frames = run(c, in_rate, out_rate, in, in_frames, out, 2 * in_frames + out_rate, 0);
    if (out_frames < out_rate * 6 / 5)
    {
        free(in);
        free(out);
        *gain_db = NAN;
        return NAN;
    }
    fit = signal_fit_sine(out + out_rate / 5, out_rate, 1, freq, out_rate);
    *gain_db = 20.0 * log10(fit.amplitude / 0.5);
    free(in);
    free(out);
    return signal_snr(&fit);
}

/* The output's power relative to a full input tone that should vanish, in dB. */
static double alias(const struct candidate *c, uint32_t in_rate, uint32_t out_rate, double freq)
{
    size_t in_frames = (size_t)(in_rate * SECONDS_IN), out_frames, i;
    float *in = malloc(in_frames * sizeof(float)), *out = malloc(2 * in_frames * sizeof(float));
    double power = 0.0;

    signal_sine(in, in_frames, 1, freq, in_rate, 0.5);
    out_frames = run(c, in_rate, out_rate, in, in_frames, out, 2 * in_frames, 0);
    for (i = out_rate / 5; i < out_rate * 6 / 5 && i < out_frames; i++) power += (double)out[i] * out[i];
    power /= out_rate;
    free(in);
    free(out);
    return out_frames < out_rate * 6 / 5 ? NAN : 10.0 * log10(power / 0.125 + 1e-30);
}

/* Frames out of 60 s in at 44.1 -> 48 kHz, minus the exact 60 * 48000. */
static long long length_error(const struct candidate *c)
{
    size_t in_frames = 44100 * 60, out_frames;
    float *in = calloc(in_frames, sizeof(float)), *out = malloc(48000 * 61 * sizeof(float));

    signal_sine(in, in_frames, 1, 1000.0, 44100, 0.5);
    out_frames = run(c, 44100, 48000, in, in_frames, out, 48000 * 61, 0);
    free(in);
    free(out);
    return (long long)out_frames - 48000 * 60;
}

/* A 1 kHz sine 44.1 -> 48 kHz whose input rate moves to 44.1 kHz * (1 + step) in the middle:
 * signal_click over the output after the start. An instantaneous 2% change of pitch, kinked but
 * continuous, gives about 15; one slewed over 10 ms about 1; a repeated frame about 1800. */
static double click(const struct candidate *c, double step)
{
    size_t in_frames = 44100, out_frames;
    float *in = malloc(in_frames * sizeof(float)), *out = malloc(2 * in_frames * sizeof(float));
    double result;

    if (!c->set_rate) return NAN;
    signal_sine(in, in_frames, 1, 1000.0, 44100, 0.5);
    out_frames = run(c, 44100, 48000, in, in_frames, out, 2 * in_frames, 44100.0 * (1.0 + step));
    /* The sine plays at 1 kHz * (input rate / 44.1 kHz) in the output. */
    result = signal_click(out + 4800, out_frames - 7200, 1, 0.5, 2.0 * M_PI * 1000.0 * (1.0 + fabs(step)) / 48000.0);
    free(in);
    free(out);
    return result;
}

/* Latency in ms at 44.1 -> 48 kHz: input consumed minus the input time the last output frame
 * stands for (from the phase of a 10 Hz sine: frames held back and the filter's delay alike). */
static double latency(const struct candidate *c)
{
    const double ratio = 44100.0 / 48000.0, period = 4410.0;
    size_t in_frames = 44100 * 2, out_frames;
    float *in = malloc(in_frames * sizeof(float)), *out = malloc(2 * in_frames * sizeof(float));
    struct signal_fit fit;
    double d;

    signal_sine(in, in_frames, 1, 10.0, 44100, 0.5);
    out_frames = run(c, 44100, 48000, in, in_frames, out, 2 * in_frames, 0);
    fit = signal_fit_sine(out + out_frames - 48000, 48000, 1, 10.0, 48000);
    /* sin(2 pi 10 / 44100 (k ratio - d)) = sin(2 pi 10 / 48000 (k - k0) + phase), k0 = out_frames - 48000 */
    d = (out_frames - 48000) * ratio - fit.phase / (2.0 * M_PI) * period;
    d -= period * floor(d / period + 0.5);
    free(in);
    free(out);
    return (in_frames - ((out_frames - 1) * ratio - d)) / 44.1;
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per output frame, stereo 44.1 -> 48 kHz in chunks of 441 frames; the best of 3 runs. */
static double speed(const struct candidate *c)
{
    enum { SECONDS = 20 };
    float in[441 * 2], out[600 * 2];
    double best = INFINITY;
    int run_index, i;

    for (i = 0; i < 441; i++) in[2 * i] = in[2 * i + 1] = (float)(0.5 * sin(2.0 * M_PI * 1000.0 * i / 44100));
    for (run_index = 0; run_index < 3; run_index++)
    {
        void *state = c->create(44100, 48000, 2, c->quality);
        size_t produced = 0;
        double start = now_ns(), elapsed;

        for (i = 0; i < SECONDS * 100; i++)
        {
            uint32_t in_n = 441, out_n = 600;
            c->process(state, in, &in_n, out, &out_n);
            produced += out_n;
        }
        elapsed = now_ns() - start;
        c->destroy(state);
        if (produced && elapsed / produced < best) best = elapsed / produced;
    }
    return best;
}

int main(void)
{
    size_t i;

    printf("THD+N: dB below a 0.5 amplitude sine, 44.1 -> 48 kHz; gain at 20 kHz in dB;\n"
           "alias: output level of a tone beyond the output's Nyquist, dB (lower is better);\n"
           "length: frames after 60 s in minus 2880000; latency: input held, ms; click: peak 4th difference at a 2%% rate step\n"
           "over the sine's (15: instant, 1: slewed, 1800: a repeated frame); speed: ns per output frame, stereo 44.1 -> 48 kHz\n\n");
    printf("%-18s %6s %6s %6s %7s %11s %10s %6s %7s %6s %6s\n", "candidate", "1kHz", "15kHz", "20kHz", "gain20k",
           "48>44.1@23k", "96>48@30k", "length", "latency", "click", "ns/fr");
    for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
    {
        const struct candidate *c = &candidates[i];
        double g1, g15, g20, s1, s15, s20;

        if (c->create == ours_create && !resample_variant_supported(c->quality)) continue;
        s1 = thdn(c, 44100, 48000, 1000.0, &g1);
        s15 = thdn(c, 44100, 48000, 15000.0, &g15);
        s20 = thdn(c, 44100, 48000, 20000.0, &g20);

        printf("%-18s %6.1f %6.1f %6.1f %7.2f %11.1f %10.1f %6lld %7.2f %6.2f %6.1f\n", c->name, s1, s15, s20, g20,
               alias(c, 48000, 44100, 23000.0), alias(c, 96000, 48000, 30000.0), length_error(c), latency(c),
               click(c, 0.02), speed(c));
        fflush(stdout);
    }
    return 0;
}
