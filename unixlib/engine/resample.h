/* Sample-rate conversion of interleaved float32 frames: a polyphase windowed-sinc filter
 * (Kaiser window) with linear interpolation between phases, stepped by an exact rational clock.
 *
 * - Equal rates pass through bit for bit, with no delay.
 * - The input advances by in_rate/out_rate frames per output frame, counted in integers: output
 *   lengths never drift, however long the stream runs.
 * - resample_set_input_rate changes the input rate of a running stream (IAudioClockAdjustment)
 *   without a reset: the filter history and the phase carry over, so the signal stays continuous.
 *   A stream created with equal rates moves from passthrough to filtering on its first change;
 *   that once, it needs half a filter length of extra input (resample_in_frames_for says so).
 * - The filter delays the signal by half its length: 32 input frames (0.7 ms at 44.1 kHz) when
 *   upsampling, proportionally more input frames when downsampling.
 *
 * Only resample_create allocates; the other calls take no lock and allocate nothing. */
#ifndef MMDEVAPI_ENGINE_RESAMPLE_H
#define MMDEVAPI_ENGINE_RESAMPLE_H

#include <stdint.h>

struct resample;

/* Rates in Hz, each from 1000 to 768000; channels from 1 to CHANNELS_MAX (18). NULL on bad
 * arguments or when out of memory. Builds the filter table (about 200 KB, 2 ms). */
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

#endif
