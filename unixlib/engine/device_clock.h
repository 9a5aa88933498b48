/* The device's position as a straight line through what it says it played: a second-order
 * delay-locked loop, so that the streams' clocks move smoothly at the device's real rate however
 * coarse or jittery its word (PipeWire's moves a quantum at a time, a server's timing reply comes
 * late now and then). */
#ifndef MMDEVAPI_ENGINE_DEVICE_CLOCK_H
#define MMDEVAPI_ENGINE_DEVICE_CLOCK_H

#include <stdint.h>

struct device_clock
{
    int tracking;           /* the line follows the device; 0: the next word sets it */
    uint32_t nominal_rate;  /* frames a second the device is meant to play */
    double position;        /* frames played at time, on the line */
    double rate;            /* the line's slope, frames a second */
    uint64_t time;          /* monotonic ns */
    uint64_t start;         /* when the line was set, monotonic ns */
};

/* Forgets the line: the next word starts a new one at the nominal rate. */
void device_clock_reset(struct device_clock *clock, uint32_t nominal_rate);

/* Pulls the line towards heard, the device's word at now (monotonic ns), and returns the line's
 * position at now. A word more than max_error frames off the line, or the first after more than
 * 100 ms, sets the line anew there. */
double device_clock_update(struct device_clock *clock, uint64_t heard, uint64_t now, double max_error);

#endif
