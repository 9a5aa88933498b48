/* The device's clock, smoothed: see device_clock.h. */
#include <math.h>

#include "device_clock.h"

/* How fast the line follows the word, in Hz: slow enough to smooth a word that moves a PipeWire
 * quantum at a time (±5 ms at 512 frames) to well under a ms, fast enough to follow a device whose
 * clock drifts from the monotonic one within a few seconds. */
#define DEVICE_CLOCK_BANDWIDTH 0.2
/* For the first seconds after it started, a device settles (a server prebuffers, a graph picks its
 * quantum): the line follows its position faster, and takes its rate as nominal until then. */
#define DEVICE_CLOCK_SETTLE_BANDWIDTH 1.0
#define DEVICE_CLOCK_SETTLE_NS 2000000000ull
#define DEVICE_CLOCK_RATE_AFTER_NS 1000000000ull
/* Real device clocks stay within a few hundred ppm of the monotonic one. */
#define DEVICE_CLOCK_MAX_DRIFT 0.004

void device_clock_reset(struct device_clock *clock, uint32_t nominal_rate)
{
    clock->tracking = 0;
    clock->nominal_rate = nominal_rate;
}

double device_clock_update(struct device_clock *clock, uint64_t heard, uint64_t now, double max_error)
{
    double dt = now > clock->time ? (now - clock->time) / 1e9 : 0, predicted, error, w;
    int settling;
    double low = clock->nominal_rate * (1 - DEVICE_CLOCK_MAX_DRIFT), high = clock->nominal_rate * (1 + DEVICE_CLOCK_MAX_DRIFT);

    predicted = clock->position + clock->rate * dt;
    error = (double)heard - predicted;
    if (!clock->tracking || dt > 0.1 || fabs(error) > max_error)
    {
        clock->tracking = 1;
        clock->position = heard;
        clock->rate = clock->nominal_rate;
        clock->start = now;
    }
    else
    {
        /* The loop's gains for this step: critically damped at the bandwidth. */
        settling = now - clock->start < DEVICE_CLOCK_SETTLE_NS;
        w = 2 * M_PI * (settling ? DEVICE_CLOCK_SETTLE_BANDWIDTH : DEVICE_CLOCK_BANDWIDTH) * dt;
        clock->position = predicted + M_SQRT2 * w * error;
        if (dt > 0 && now - clock->start >= DEVICE_CLOCK_RATE_AFTER_NS) clock->rate += w * w / dt * error;
        clock->rate = fmin(fmax(clock->rate, low), high);
    }
    clock->time = now;
    return clock->position;
}
