/* Sample-rate conversion of interleaved float32 frames: a polyphase windowed-sinc filter
 * (Kaiser window) stepped by an exact rational clock. At the rate given to create, each output
 * frame takes an exact row of the filter for its phase (160 rows at 44.1 -> 48 kHz); at any other
 * (resample_set_input_rate), it interpolates linearly between the rows of a finer table.
 *
 * - Equal rates pass through bit for bit, with no delay.
 * - The input advances by in_rate/out_rate frames per output frame, counted in integers: output
 *   lengths never drift, however long the stream runs.
 * - resample_set_input_rate changes the input rate of a running stream (IAudioClockAdjustment)
 *   without a reset: the filter history and the phase carry over, so the signal stays continuous.
 *   A stream created with equal rates moves from passthrough to filtering on its first change;
 *   that once, it needs half a filter length of extra input (resample_in_frames_for says so).
 * - The filter delays the signal by half its length: 48 input frames (1.1 ms at 44.1 kHz) when
 *   upsampling, proportionally more input frames when downsampling.
 *
 * Only resample_create allocates; the other calls but destroy take no lock and allocate nothing. */
#ifndef MMDEVAPI_ENGINE_RESAMPLE_H
#define MMDEVAPI_ENGINE_RESAMPLE_H

#include <stdint.h>

struct resample;

/* Rates in Hz, each from 1000 to 768000; channels from 1 to CHANNELS_MAX (18). NULL on bad
 * arguments or when out of memory. The filter's tables (about 260 KB and 3-8 ms to build at 44.1
 * -> 48 kHz) are shared by the resamplers of the same ratio: create and destroy take a lock for a
 * moment (never while building). The inner loop is the best variant the CPU has. */
struct resample *resample_create(uint32_t in_rate, uint32_t out_rate, uint32_t channels);
void resample_destroy(struct resample *r);

/* Changes the input rate (Hz, fractions allowed, resolution 0.001 Hz) from the next output frame
 * on; at most a factor of 2 away from the rate given to resample_create, whose filter stays (it is
 * meant for adjustments of a few percent). Returns 0, or -1 if out of range (the rate stays). */
int resample_set_input_rate(struct resample *r, double in_rate);

/* Converts from in (*in_frames frames) to out (room for *out_frames frames), producing as many as
 * fit and consuming only the input those need (all of it, if it does not suffice). On return
 * *in_frames holds the frames consumed and *out_frames those produced. */
void resample_process(struct resample *r, const float *in, uint32_t *in_frames, float *out, uint32_t *out_frames);

/* The input frames process needs, beyond what it holds, to produce exactly out_frames. */
uint32_t resample_in_frames_for(const struct resample *r, uint32_t out_frames);

/* How far the output lags the input consumed, in output frames: input frames held and not yet
 * represented by an output frame, times out_rate/in_rate. 0 in passthrough. */
double resample_delay(const struct resample *r);

/* Forgets the signal (the stream was reset or restarted): back to the state after create, with
 * the current input rate. */
void resample_reset(struct resample *r);

/* The inner loop's implementations: the plain C reference and SIMD variants, which the tests run
 * side by side. SSE2 gives the reference's bits; AVX2 fuses each multiply-add (one rounding
 * fewer), within a few units of the last place of the sum's terms. */
enum resample_variant
{
    RESAMPLE_VARIANT_C,
    RESAMPLE_VARIANT_SSE2,
    RESAMPLE_VARIANT_AVX2,      /* with FMA */
    RESAMPLE_VARIANT_COUNT
};

/* "c", "sse2", "avx2+fma"; NULL out of range. */
const char *resample_variant_name(enum resample_variant variant);
/* Whether this build and this CPU run it. */
int resample_variant_supported(enum resample_variant variant);
/* Makes r use variant from its next output frame on (for tests and benchmarks). Returns 0, or -1
 * if the CPU lacks it (the variant stays). */
int resample_set_variant(struct resample *r, enum resample_variant variant);
enum resample_variant resample_get_variant(const struct resample *r);

#endif
