/* The device clock's line: exact on an exact word; straight within 0.5 ms (p99) and at the
 * device's rate within 0.1 % on a word that moves a 256-frame quantum at a time, read at jittery
 * times; it follows a drifting device and starts anew where the device jumps. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "unit.h"
#include "engine/device_clock.h"

#define RATE 48000
#define PERIOD_NS 10000000ull
#define MAX_ERROR (3 * 480.0)

static uint32_t seed = 12345;

/* -1..1, the same sequence on every run. */
static double jitter(void)
{
    seed = seed * 1103515245 + 12345;
    return ((seed >> 8) & 0xffff) / 32767.5 - 1;
}

struct trace
{
    double t[2000], line[2000];
    unsigned int count;
};

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The 99th percentile of the points' distances from their least-squares line (points after skip),
 * and its slope. */
static double deviation_from_fit(const struct trace *trace, unsigned int skip, double *slope)
{
    double st = 0, sy = 0, stt = 0, sty = 0, n = trace->count - skip, a, b, distance[2000];
    unsigned int i;

    for (i = skip; i < trace->count; i++)
    {
        st += trace->t[i];
        sy += trace->line[i];
        stt += trace->t[i] * trace->t[i];
        sty += trace->t[i] * trace->line[i];
    }
    b = (n * sty - st * sy) / (n * stt - st * st);
    a = (sy - b * st) / n;
    for (i = skip; i < trace->count; i++) distance[i - skip] = fabs(trace->line[i] - (a + b * trace->t[i]));
    qsort(distance, trace->count - skip, sizeof(*distance), compare_doubles);
    *slope = b;
    return distance[(unsigned int)((trace->count - skip) * 0.99)];
}

/* The device's word is exact: the line is the word. */
static void test_exact(void)
{
    struct device_clock clock;
    uint64_t now = 5000000000ull;
    unsigned int i;
    double line;

    device_clock_reset(&clock, RATE);
    for (i = 0; i < 500; i++, now += PERIOD_NS)
    {
        line = device_clock_update(&clock, 1000 + (uint64_t)i * 480, now, MAX_ERROR);
        CHECK_NEAR(line, 1000 + i * 480.0, 1e-6);
    }
    CHECK_NEAR(clock.rate, RATE, 1e-6);
}

/* A word that moves a quantum at a time (PipeWire's graph), read every period at times that wander
 * by up to a ms, with every 37th word a write behind (a late timing reply), if dips: its line
 * strays less than limit_ms (p99) from a straight one and has the device's rate within 0.1 %. */
static void test_coarse(unsigned int quantum, int dips, double limit_ms)
{
    struct device_clock clock;
    struct trace trace = {0};
    double truth, t, slope, worst;
    uint64_t word, now;
    unsigned int i;

    device_clock_reset(&clock, RATE);
    for (i = 0; i < 1500; i++)
    {
        t = 1.0 + i * 0.010 + jitter() * 0.001;
        now = (uint64_t)(t * 1e9);
        truth = (t - 1.0) * RATE + 5000;
        word = (uint64_t)(truth / quantum) * quantum;
        if (dips && i % 37 == 36) word -= 480;
        trace.t[trace.count] = t;
        trace.line[trace.count++] = device_clock_update(&clock, word, now, MAX_ERROR);
    }
    /* After 3 s to lock in. */
    worst = deviation_from_fit(&trace, 300, &slope);
    if (worst > RATE * limit_ms / 1000 || fabs(slope / RATE - 1) > 0.001)
        UNIT_FAIL("quantum %u%s: the line strays %.3f ms (p99) from a straight one, slope %.6f of the rate",
                  quantum, dips ? " with dips" : "", worst * 1000 / RATE, slope / RATE);
    unit_checks++;
    printf("quantum %u%s: %.3f ms (p99) from a straight line, slope %.6f of the rate\n", quantum,
           dips ? " with dips" : "", worst * 1000 / RATE, slope / RATE);
}

/* A device that starts playing 25 ms after its first word (a server prebuffering): the line
 * settles on its position and rate. */
static void test_late_start(void)
{
    struct device_clock clock;
    struct trace trace = {0};
    double t, truth, slope, worst;
    unsigned int i;

    device_clock_reset(&clock, RATE);
    for (i = 0; i < 1500; i++)
    {
        t = i * 0.010 + jitter() * 0.001;
        truth = t < 0.025 ? 0 : (t - 0.025) * RATE;
        trace.t[trace.count] = t;
        trace.line[trace.count++] = device_clock_update(&clock, (uint64_t)(truth / 256) * 256, (uint64_t)(t * 1e9 + 1e9),
                                                        MAX_ERROR);
    }
    worst = deviation_from_fit(&trace, 300, &slope);
    if (worst > RATE * 0.0005 || fabs(slope / RATE - 1) > 0.001)
        UNIT_FAIL("late start: the line strays %.3f ms (p99) from a straight one, slope %.6f of the rate",
                  worst * 1000 / RATE, slope / RATE);
    unit_checks++;
    printf("late start: %.3f ms (p99) from a straight line, slope %.6f of the rate\n", worst * 1000 / RATE,
           slope / RATE);
}

/* A device 300 ppm fast: the line's rate follows within 50 ppm in 10 s. */
static void test_drift(void)
{
    struct device_clock clock;
    uint64_t now = 0;
    unsigned int i;

    device_clock_reset(&clock, RATE);
    for (i = 0; i < 1000; i++, now += PERIOD_NS)
        device_clock_update(&clock, (uint64_t)(i * 480 * 1.0003), now, MAX_ERROR);
    CHECK_NEAR(clock.rate / RATE, 1.0003, 0.00005);
}

/* A word far off the line (a device that stalled and restarted) sets it anew; so does a reset. */
static void test_jump(void)
{
    struct device_clock clock;
    uint64_t now = 0;
    unsigned int i;

    device_clock_reset(&clock, RATE);
    for (i = 0; i < 100; i++, now += PERIOD_NS) device_clock_update(&clock, i * 480, now, MAX_ERROR);
    CHECK_NEAR(device_clock_update(&clock, 100 * 480 + 5000, now, MAX_ERROR), 100 * 480 + 5000, 1e-9);
    CHECK_NEAR(clock.rate, RATE, 1e-9);
    device_clock_reset(&clock, RATE);
    CHECK_NEAR(device_clock_update(&clock, 7, now + PERIOD_NS, MAX_ERROR), 7, 1e-9);
    /* More than 100 ms without a word: anew. */
    CHECK_NEAR(device_clock_update(&clock, 9, now + PERIOD_NS * 20, MAX_ERROR), 9, 1e-9);
}

int main(void)
{
    test_exact();
    test_coarse(256, 0, 0.5);
    /* todo: a word ±Q/2 off at 1024 and 2048 frames is smoothed to 0.85 and 1.1 ms here; a line
     * through the corners of its steps would do better. */
    test_coarse(1024, 0, 1.0);
    test_coarse(1024, 1, 1.2);
    test_coarse(2048, 0, 1.5);
    test_late_start();
    test_drift();
    test_jump();
    return unit_summary("engine-device-clock");
}
