/* Layer 2: a backend's render stream driven as the engine drives it (wait, write periods, read the
 * delay), against the real server and ALSA configuration the harness set up. What reached the
 * device is read back (the harness's recording of the null sink, the ALSA file plugin's output)
 * and compared frame by frame; the wake-ups and the clock are timed against the monotonic clock
 * (ALSA's default reaches the harness's server through alsa-lib's pulse plugin, so it has one too);
 * a second, private server is killed under a playing stream. On PulseAudio the server also shows
 * each stream's channel map and process id. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <windef.h>
#include <winbase.h>
#include <wingdi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include <audioclient.h>

#include "backend.h"
#include "unit.h"

#define RATE 48000
#define CHANNELS 2
#define PERIOD 480                  /* 10 ms, Windows' default period */
#define SPAN 1000000                /* each part of the test numbers its signal from its own base */

static const struct backend_ops *ops;
static const char *backend_name;

/* The graph's quantum in ms where the backend reaches PipeWire through its PulseAudio server or
 * ALSA plugin (the harness's forced quantum, else PipeWire's default of 1024 frames), else 0. */
static double graph_quantum_ms(void)
{
    const char *setting = getenv("MMDEVAPI_TEST_BACKEND"), *quantum = getenv("MMDEVAPI_TEST_QUANTUM");

    if (!setting || (strcmp(setting, "pipewire-pulse") && strcmp(setting, "pipewire-alsa"))) return 0;
    return (quantum && atoi(quantum) > 0 ? atoi(quantum) : 1024) * 1000.0 / RATE;
}
/* Whether the harness's sink is PipeWire's (through any of the three ways to it). */
static BOOL on_pipewire(void)
{
    const char *setting = getenv("MMDEVAPI_TEST_BACKEND");

    return setting && !strncmp(setting, "pipewire", 8);
}
static char sink_key[MMDEVAPI_DEVICE_KEY_MAX];
static char test_dir[512];

static UINT64 now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* CPU time of the process (RUSAGE_SELF) or of the calling thread (RUSAGE_THREAD). */
static UINT64 cpu_ns(int who)
{
    struct rusage usage;
    getrusage(who, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000ull
           + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000ull;
}

static void sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

/* The signal: frame n carries (n + 1) / 2^24 on the left and its negation on the right, exact in
 * float and unique over 349 s, so that a recording tells which frame each of its frames was. */
static float signal_value(UINT64 serial)
{
    return (float)(serial + 1) / 16777216.0f;
}

static BOOL decode_frame(const float *frame, UINT64 *serial)
{
    double value = frame[0] * 16777216.0;

    if (frame[0] <= 0.0f || frame[1] != -frame[0] || value != floor(value)) return FALSE;
    *serial = (UINT64)value - 1;
    return TRUE;
}

/* The engine's side of a stream: the signal from a serial number on, or silence. */
struct player
{
    struct backend_stream *stream;
    UINT32 lead;            /* what the backend wants queued ahead of the play head */
    UINT64 serial;          /* the next frame's number */
    BOOL silent;
    UINT64 written;         /* frames written since the last stop */
    UINT64 signal_written;  /* of those, frames of signal */
    float buffer[PERIOD * CHANNELS];
};

static HRESULT player_write_period(struct player *player)
{
    unsigned int i;
    HRESULT hr;

    for (i = 0; i < PERIOD; i++)
    {
        float value = player->silent ? 0.0f : signal_value(player->serial + i);
        player->buffer[2 * i] = value;
        player->buffer[2 * i + 1] = -value;
    }
    if (FAILED(hr = ops->stream_write(player->stream, player->buffer, PERIOD))) return hr;
    player->written += PERIOD;
    if (!player->silent)
    {
        player->serial += PERIOD;
        player->signal_written += PERIOD;
    }
    return S_OK;
}

/* What the engine does to start: the lead as silence, then its first period. */
static HRESULT player_start(struct player *player)
{
    BOOL silent = player->silent;
    UINT32 i;
    HRESULT hr;

    if (FAILED(hr = ops->stream_start(player->stream))) return hr;
    player->silent = TRUE;
    for (i = 0; i < player->lead / PERIOD && SUCCEEDED(hr); i++) hr = player_write_period(player);
    player->silent = silent;
    return FAILED(hr) ? hr : player_write_period(player);
}

/* One turn of the engine's loop: wait until the device has played down to the lead (or
 * timeout_ms), then write every period due that the device has room for. */
static HRESULT player_step(struct player *player, int wake_fd, int timeout_ms, UINT32 *periods)
{
    INT64 timeout = timeout_ms * 1000000ll;
    UINT32 room;
    UINT64 delay;
    HRESULT hr;

    *periods = 0;
    if (FAILED(hr = ops->stream_delay(player->stream, &delay, &room))) return hr;
    if (delay > player->lead && (INT64)((delay - player->lead) * 1000000000ull / RATE) < timeout)
        timeout = (delay - player->lead) * 1000000000ull / RATE;
    else if (delay <= player->lead && room < PERIOD && timeout > 1000000)
        timeout = 1000000;
    if ((delay > player->lead || room < PERIOD) && FAILED(hr = ops->stream_wait(player->stream, wake_fd, timeout)))
        return hr;
    for (;;)
    {
        if (FAILED(hr = ops->stream_delay(player->stream, &delay, &room))) return hr;
        if (delay > player->lead || room < PERIOD) return S_OK;
        if (FAILED(hr = player_write_period(player))) return hr;
        (*periods)++;
    }
}

/* Plays for ms milliseconds; the first failure ends it. */
static HRESULT player_run(struct player *player, unsigned int ms)
{
    UINT64 end = now_ns() + ms * 1000000ull;
    UINT32 periods;
    HRESULT hr = S_OK;

    while (now_ns() < end && SUCCEEDED(hr = player_step(player, -1, 100, &periods))) {}
    return hr;
}

static struct endpoint_format stream_format(UINT32 channels, UINT32 mask)
{
    struct endpoint_format format = { RATE, channels, mask, 32, 32, TRUE };
    return format;
}

static HRESULT open_stream(const char *key, UINT32 channels, UINT32 mask, struct backend_stream **stream,
                           UINT32 *lead)
{
    struct endpoint_format format = stream_format(channels, mask);
    HRESULT hr = ops->stream_open(key, MMDEVAPI_RENDER, &format, PERIOD, stream, lead);

    /* The lead is whole periods, a period at least (a server's quantum, the wake-ups' slack). */
    if (SUCCEEDED(hr))
    {
        CHECK(*lead >= PERIOD);
        CHECK_EQ_UINT(*lead % PERIOD, 0);
    }
    return hr;
}

/* Starts a program with its standard streams redirected (NULL: /dev/null); its pid. */
static pid_t spawn(const char *in, const char *out, const char *err, char *const argv[])
{
    pid_t pid = fork();
    int fd;

    if (pid) return pid;
    if ((fd = open(in ? in : "/dev/null", O_RDONLY)) >= 0) dup2(fd, 0);
    if ((fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) dup2(fd, 1);
    if ((fd = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) dup2(fd, 2);
    execvp(argv[0], argv);
    _exit(127);
}

static void kill_child(pid_t pid)
{
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* The frames of a raw recording from frame first on. */
static float *read_file(const char *path, size_t first, size_t *frames)
{
    const size_t frame_bytes = CHANNELS * sizeof(float);
    float *data = NULL;
    struct stat st;
    FILE *file;

    *frames = 0;
    if (stat(path, &st) || (size_t)st.st_size <= first * frame_bytes || !(file = fopen(path, "rb"))) return NULL;
    if (!fseek(file, first * frame_bytes, SEEK_SET) && (data = malloc(st.st_size - first * frame_bytes)))
        *frames = fread(data, frame_bytes, st.st_size / frame_bytes - first, file);
    fclose(file);
    return data;
}

/* Frames in a recording so far. */
static size_t recorded_frames(const char *path)
{
    struct stat st;

    return stat(path, &st) ? 0 : st.st_size / (CHANNELS * sizeof(float));
}

/* A recording cut into runs of consecutive signal frames. */
struct run
{
    UINT64 first;       /* serial of its first frame */
    UINT64 length;
    size_t offset;      /* where it starts in the recording */
    size_t silence;     /* zero frames between the previous run and this one */
};

#define MAX_RUNS 16

/* Cuts a recording into runs of the signal numbered from low to high (other parts of the test have
 * theirs in the same recording); FALSE, with a message, on a frame that is neither silence nor
 * signal. */
static BOOL find_runs(const float *data, size_t frames, UINT64 low, UINT64 high, struct run *runs,
                      unsigned int *count)
{
    size_t i, silence = 0;
    UINT64 serial;

    *count = 0;
    for (i = 0; i < frames; i++)
    {
        if (data[2 * i] == 0.0f && data[2 * i + 1] == 0.0f)
        {
            silence++;
            continue;
        }
        if (!decode_frame(data + 2 * i, &serial))
        {
            UNIT_FAIL("recording frame %zu is %.9g %.9g: neither silence nor a frame of the signal",
                      i, data[2 * i], data[2 * i + 1]);
            return FALSE;
        }
        if (serial < low || serial >= high)
        {
            silence = 0;
            continue;
        }
        if (*count && !silence && serial == runs[*count - 1].first + runs[*count - 1].length)
        {
            runs[*count - 1].length++;
            continue;
        }
        if (*count == MAX_RUNS)
        {
            UNIT_FAIL("more than %u runs in the recording", MAX_RUNS);
            return FALSE;
        }
        runs[*count].first = serial;
        runs[*count].length = 1;
        runs[*count].offset = i;
        runs[*count].silence = *count ? silence : 0;
        (*count)++;
        silence = 0;
    }
    return TRUE;
}

static void print_runs(const char *what, const struct run *runs, unsigned int count)
{
    unsigned int i;

    printf("%s: %u run(s) of the signal\n", what, count);
    for (i = 0; i < count; i++)
        printf("  frames %llu..%llu (%llu) at offset %zu, after %zu frames of silence\n",
               (unsigned long long)runs[i].first, (unsigned long long)(runs[i].first + runs[i].length - 1),
               (unsigned long long)runs[i].length, runs[i].offset, runs[i].silence);
}

/* What reached the device: on PulseAudio the harness's recording of everything the null sink
 * played (it rewinds nothing, so every frame of a starting stream is there); on ALSA the file
 * plugin's output, which a new stream starts afresh. */
/* Where a part's recording is, and from which frame on it is the part's (a part run again finds
 * the first run's sound before its own). */
static const char *start_recording(size_t *first)
{
    const char *path = getenv(strcmp(backend_name, "alsa") ? "MMDEVAPI_TEST_PULSE_RECORDING"
                                                            : "MMDEVAPI_TEST_ALSA_FILE");

    *first = 0;
    if (!path) UNIT_FAIL("the harness gave no recording");
    else if (!strcmp(backend_name, "alsa")) unlink(path);
    else *first = recorded_frames(path);
    return path;
}

/* The recording once the streams are closed. */
static float *finish_recording(const char *path, size_t first, size_t *frames)
{
    float *data;

    sleep_ms(300);      /* through the sink, the monitor and the recorder's buffer */
    if (!(data = read_file(path, first, frames))) UNIT_FAIL("nothing recorded in %s", path);
    return data;
}

/* Two seconds of the signal, written as the engine writes it, arrive whole and in order. */
static void test_content(void)
{
    struct player player = { .serial = 0 * SPAN };
    struct run runs[MAX_RUNS];
    const char *path;
    unsigned int count;
    size_t frames, first;
    UINT64 deadline;
    float *data;
    HRESULT hr;

    if (!(path = start_recording(&first))) return;
    hr = open_stream(sink_key, CHANNELS, KSAUDIO_SPEAKER_STEREO, &player.stream, &player.lead);
    CHECK_EQ_HEX(hr, S_OK);
    if (FAILED(hr)) return;
    CHECK_EQ_HEX(player_start(&player), S_OK);
    /* 2 s of signal in at most 10 s: a device that stops taking frames fails, never hangs. */
    deadline = now_ns() + 10000000000ull;
    while (player.signal_written < 2 * RATE && now_ns() < deadline && SUCCEEDED(hr = player_run(&player, 10))) {}
    CHECK_EQ_HEX(hr, S_OK);
    if (player.signal_written < 2 * RATE) UNIT_FAIL("the device took %llu frames of the signal in 10 s, then stood still",
                                                 (unsigned long long)player.signal_written);
    player.silent = TRUE;       /* an engine keeps writing, silence when nothing plays */
    CHECK_EQ_HEX(player_run(&player, 200), S_OK);
    ops->stream_close(player.stream);

    if (!(data = finish_recording(path, first, &frames))) return;
    if (find_runs(data, frames, 0 * SPAN, 1 * SPAN, runs, &count))
    {
        print_runs("content", runs, count);
        CHECK_EQ_UINT(count, 1);
        if (count)
        {
            CHECK_EQ_UINT(runs[0].first, 0 * SPAN);
            CHECK_EQ_UINT(runs[0].length, player.signal_written);
        }
    }
    free(data);
}

static int compare_u64(const void *a, const void *b)
{
    UINT64 x = *(const UINT64 *)a, y = *(const UINT64 *)b;
    return x < y ? -1 : x > y;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The 99th percentile of n values (sorted in place). */
static double percentile99(double *values, unsigned int n)
{
    qsort(values, n, sizeof(*values), compare_double);
    return n ? values[(n - 1) * 99 / 100] : 0;
}

/* A least-squares line y = slope * x + offset through n points. */
struct line
{
    double slope, offset;
};

static struct line fit_line(const double *x, const double *y, unsigned int n)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    struct line line = { 0, 0 };
    unsigned int i;

    for (i = 0; i < n; i++)
    {
        sx += x[i];
        sy += y[i];
        sxx += x[i] * x[i];
        sxy += x[i] * y[i];
    }
    if (n < 2 || n * sxx == sx * sx) return line;
    line.slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    line.offset = (sy - line.slope * sx) / n;
    return line;
}

#define TIMING_MS 3000
#define SETTLE_MS 1000
#define MAX_SAMPLES (2 * TIMING_MS)

/* The engine wakes once a period, and the position (written minus delay), read every millisecond
 * as a client reading its clock would, follows the device: a straight line against the monotonic
 * clock, whose slope is the rate at which the sink takes frames. The harness's null sink runs on
 * the system clock (it rewinds nothing: with rewinds its rate wandered by up to 0.09 % from run to
 * run), so the position must also stay within 0.5 ms of the monotonic clock. */
static void test_timing(void)
{
    static UINT64 wakes[TIMING_MS], intervals[TIMING_MS];
    static double times[MAX_SAMPLES], positions[MAX_SAMPLES], wake_times[TIMING_MS], wake_written[TIMING_MS];
    static double residuals[MAX_SAMPLES], wall_distances[MAX_SAMPLES];
    static const double bucket_ms[7] = { 2, 5, 9, 11, 15, 20, 30 };
    unsigned int wake_count = 0, sample_count = 0, steady_wakes = 0, steady = 0, backwards = 0, beyond = 0, i;
    unsigned int buckets[8] = { 0 };
    UINT64 start, now, next_sample, position, last_position = 0, delay, cpu, t1;
    struct player player = { 0 };
    double max_residual = 0, max_wall = 0, residual, mean, wall_offset = 0, p99_residual, p99_wall;
    struct line clock, device;
    char path[600];
    UINT32 periods;
    FILE *trace;
    int timeout;
    HRESULT hr;

    hr = open_stream(sink_key, CHANNELS, KSAUDIO_SPEAKER_STEREO, &player.stream, &player.lead);
    CHECK_EQ_HEX(hr, S_OK);
    if (FAILED(hr)) return;
    /* For a failure's post-mortem: time (ms), written, delay, position (ms). */
    snprintf(path, sizeof(path), "%s/timing.tsv", test_dir);
    trace = fopen(path, "w");
    player.silent = TRUE;
    CHECK_EQ_HEX(player_start(&player), S_OK);
    start = now_ns();
    next_sample = start;
    while ((now = now_ns()) < start + TIMING_MS * 1000000ull)
    {
        timeout = next_sample > now ? (int)((next_sample - now + 999999) / 1000000) : 0;
        if (FAILED(hr = player_step(&player, -1, timeout, &periods))) break;
        now = now_ns();
        if (periods && wake_count < TIMING_MS)
        {
            wake_times[wake_count] = (now - start) / 1e6;
            wake_written[wake_count] = player.written * 1000.0 / RATE;
            wakes[wake_count++] = now;
        }
        if (now < next_sample) continue;
        next_sample = next_sample + 2000000 > now ? next_sample + 1000000 : now + 1000000;
        if (FAILED(hr = ops->stream_delay(player.stream, &delay, NULL))) break;
        t1 = now_ns();
        if (delay > player.written) beyond++;
        position = player.written - delay;
        if (position < last_position) backwards++;
        last_position = position;
        now = (now + t1) / 2;
        if (trace) fprintf(trace, "%.3f\t%llu\t%llu\t%.3f\n", (now - start) / 1e6, (unsigned long long)player.written,
                           (unsigned long long)delay, position * 1000.0 / RATE);
        if (now >= start + SETTLE_MS * 1000000ull && sample_count < MAX_SAMPLES)
        {
            times[sample_count] = (now - start) / 1e6;
            positions[sample_count++] = position * 1000.0 / RATE;
        }
    }
    CHECK_EQ_HEX(hr, S_OK);
    if (trace) fclose(trace);

    /* The engine's loop alone, reading the delay once a period, for its cost. */
    cpu = cpu_ns(RUSAGE_SELF);
    now = now_ns();
    while (SUCCEEDED(hr) && now_ns() < now + 1000000000ull)
        if (SUCCEEDED(hr = player_step(&player, -1, 100, &periods)) && periods)
            hr = ops->stream_delay(player.stream, &delay, NULL);
    cpu = cpu_ns(RUSAGE_SELF) - cpu;
    CHECK_EQ_HEX(hr, S_OK);
    ops->stream_close(player.stream);

    for (i = 1; i < wake_count; i++)
    {
        unsigned int b = 0;

        intervals[i - 1] = wakes[i] - wakes[i - 1];
        while (b < ARRAY_SIZE(bucket_ms) && intervals[i - 1] / 1e6 >= bucket_ms[b]) b++;
        buckets[b]++;
        if (wakes[i] >= start + SETTLE_MS * 1000000ull) steady_wakes++;
    }
    if (wake_count > 1)
    {
        mean = (wakes[wake_count - 1] - wakes[0]) / 1e6 / (wake_count - 1);
        qsort(intervals, wake_count - 1, sizeof(*intervals), compare_u64);
        printf("timing: %u wake-ups in %u ms (%u in the last %u ms), mean interval %.3f ms\n", wake_count,
               TIMING_MS, steady_wakes, TIMING_MS - SETTLE_MS, mean);
        printf("timing: intervals min %.3f, 10%% %.3f, median %.3f, 90%% %.3f, 99%% %.3f, max %.3f ms\n",
               intervals[0] / 1e6, intervals[(wake_count - 1) / 10] / 1e6, intervals[(wake_count - 1) / 2] / 1e6,
               intervals[(wake_count - 1) * 9 / 10] / 1e6, intervals[(wake_count - 1) * 99 / 100] / 1e6,
               intervals[wake_count - 2] / 1e6);
        printf("timing: intervals <2 ms %u, 2-5 %u, 5-9 %u, 9-11 %u, 11-15 %u, 15-20 %u, 20-30 %u, >=30 %u\n",
               buckets[0], buckets[1], buckets[2], buckets[3], buckets[4], buckets[5], buckets[6], buckets[7]);
        /* Once a period on average: 200 wake-ups in 2 s, give or take 5 %. */
        CHECK(steady_wakes >= (TIMING_MS - SETTLE_MS) / 10 * 95 / 100
              && steady_wakes <= (TIMING_MS - SETTLE_MS) / 10 * 105 / 100);
        CHECK(mean > 9.5 && mean < 10.5);
    }
    else UNIT_FAIL("%u wake-ups in %u ms", wake_count, TIMING_MS);

    CHECK_EQ_UINT(backwards, 0);
    CHECK_EQ_UINT(beyond, 0);
    CHECK(sample_count >= (TIMING_MS - SETTLE_MS) * 9 / 10);
    if (sample_count >= 2)
    {
        /* The sink's own rate, from what it took: the frames written at each wake-up. */
        for (i = 0; i < wake_count && wake_times[i] < SETTLE_MS; i++) {}
        steady = i;
        device = fit_line(wake_times + steady, wake_written + steady, wake_count - steady);
        clock = fit_line(times, positions, sample_count);
        for (i = 0; i < sample_count; i++)
        {
            residual = positions[i] - (clock.slope * times[i] + clock.offset);
            residuals[i] = fabs(residual);
            if (fabs(residual) > max_residual) max_residual = fabs(residual);
            wall_offset += (times[i] - positions[i]) / sample_count;
        }
        for (i = 0; i < sample_count; i++)
        {
            wall_distances[i] = fabs(times[i] - positions[i] - wall_offset);
            max_wall = fmax(max_wall, wall_distances[i]);
        }
        p99_residual = percentile99(residuals, sample_count);
        p99_wall = percentile99(wall_distances, sample_count);
        printf("timing: the sink takes frames at %.6f x the monotonic clock; the position moves at %.6f x\n",
               device.slope, clock.slope);
        printf("timing: %u position samples after the first second: deviation from the sink's clock (the fitted "
               "line) p99 %.3f ms, max %.3f ms; from the monotonic clock p99 %.3f ms, max %.3f ms\n", sample_count,
               p99_residual, max_residual, p99_wall, max_wall);
        /* The position follows the sink's rate, not a rate of its own: within 0.5 ms (p99) of a
         * straight line. PipeWire's PulseAudio server and ALSA plugin tell it a graph quantum at a
         * time: the backend's word strays by up to a quantum, and the engine draws a straight line
         * through it (tests/engine/test_device_clock.c). PulseAudio's null sink runs on the
         * monotonic clock, so there the position must follow that too; PipeWire's null sink loses
         * time when its driver is late (0.1-0.8 % slow, measured on a busy machine), and a
         * position that followed the monotonic clock there would run ahead of what was heard. */
        CHECK_TIMING(fabs(clock.slope - device.slope) < 0.0005);
        CHECK_TIMING(p99_residual < 0.5 + graph_quantum_ms());
        if (!on_pipewire())
        {
            CHECK_TIMING(fabs(clock.slope - 1.0) < 0.0005);
            CHECK_TIMING(p99_wall < 0.5);
        }
    }
    printf("timing: CPU of the engine's loop while playing (a delay read per period) %.3f ms per second\n", cpu / 1e6);
}

/* Stop drops what is queued and costs nothing while stopped; start plays on from the next write. */
static void test_stop_start(void)
{
    struct player player = { .serial = 1 * SPAN };
    UINT64 delay, start, cpu, process_cpu, elapsed, written_before, delay_before, dropped, value = 1;
    struct run runs[MAX_RUNS];
    const char *path;
    unsigned int count;
    size_t frames, first;
    float *data;
    int wake_fd;
    HRESULT hr;

    if (!(path = start_recording(&first))) return;
    hr = open_stream(sink_key, CHANNELS, KSAUDIO_SPEAKER_STEREO, &player.stream, &player.lead);
    CHECK_EQ_HEX(hr, S_OK);
    if (FAILED(hr)) return;
    wake_fd = eventfd(0, EFD_NONBLOCK);

    /* A stream that never started waits for the engine only. */
    start = now_ns();
    CHECK_EQ_HEX(ops->stream_wait(player.stream, wake_fd, 50000000), S_OK);
    CHECK(now_ns() - start >= 49000000ull);

    CHECK_EQ_HEX(player_start(&player), S_OK);
    CHECK_EQ_HEX(player_run(&player, 500), S_OK);
    written_before = player.signal_written;
    CHECK_EQ_HEX(ops->stream_delay(player.stream, &delay_before, NULL), S_OK);
    CHECK_EQ_HEX(ops->stream_stop(player.stream), S_OK);
    CHECK_EQ_HEX(ops->stream_delay(player.stream, &delay, NULL), S_OK);
    CHECK_EQ_UINT(delay, 0);

    /* Idle: a stopped stream's wait costs no CPU until its timeout (alsa-lib's pulse plugin has a
     * thread of its own, counted in the process's time, not the waiting thread's)... */
    cpu = cpu_ns(RUSAGE_THREAD);
    process_cpu = cpu_ns(RUSAGE_SELF);
    start = now_ns();
    CHECK_EQ_HEX(ops->stream_wait(player.stream, wake_fd, 500000000), S_OK);
    elapsed = now_ns() - start;
    cpu = cpu_ns(RUSAGE_THREAD) - cpu;
    process_cpu = cpu_ns(RUSAGE_SELF) - process_cpu;
    printf("stop: a stopped stream's 500 ms wait took %.3f ms, %.3f ms of CPU in its thread, %.3f ms in the "
           "process\n", elapsed / 1e6, cpu / 1e6, process_cpu / 1e6);
    CHECK_TIMING(elapsed >= 499000000ull && elapsed < 600000000ull);
    CHECK_TIMING(cpu < 1000000);
    /* ...and the engine's fd ends it at once. */
    if (write(wake_fd, &value, sizeof(value)) != sizeof(value)) UNIT_FAIL("eventfd write failed");
    start = now_ns();
    CHECK_EQ_HEX(ops->stream_wait(player.stream, wake_fd, 500000000), S_OK);
    CHECK(now_ns() - start < 20000000ull);
    if (read(wake_fd, &value, sizeof(value)) != sizeof(value)) UNIT_FAIL("eventfd read failed");
    close(wake_fd);

    /* Start again: the signal resumes from another number, to tell the parts apart. */
    player.serial = 2 * SPAN;
    player.written = player.signal_written = 0;
    CHECK_EQ_HEX(player_start(&player), S_OK);
    CHECK_EQ_HEX(player_run(&player, 500), S_OK);
    CHECK_EQ_HEX(ops->stream_delay(player.stream, &delay, NULL), S_OK);
    CHECK(delay <= player.written);
    player.silent = TRUE;
    CHECK_EQ_HEX(player_run(&player, 200), S_OK);
    ops->stream_close(player.stream);

    if (!(data = finish_recording(path, first, &frames))) return;
    if (find_runs(data, frames, 1 * SPAN, 3 * SPAN, runs, &count))
    {
        print_runs("stop-start", runs, count);
        CHECK_EQ_UINT(count, 2);
        if (count == 2)
        {
            CHECK_EQ_UINT(runs[0].first, 1 * SPAN);
            CHECK(runs[0].length <= written_before);
            CHECK_EQ_UINT(runs[1].first, 2 * SPAN);
            CHECK_EQ_UINT(runs[1].length, player.signal_written);
            dropped = written_before - runs[0].length;
            printf("stop-start: %llu of %llu frames played before the stop, %llu dropped; the delay said %llu\n",
                   (unsigned long long)runs[0].length, (unsigned long long)written_before,
                   (unsigned long long)dropped, (unsigned long long)delay_before);
            /* PulseAudio: the stop dropped what was queued, which the delay counted with what the
             * sink held (on ALSA the file plugin has written everything before the device), less
             * what played while the stop went to the server (12 ms once in a 32-bit run); PipeWire's
             * graph plays out the quantum it took already. */
            if (!strcmp(backend_name, "pulse"))
                CHECK(dropped && dropped <= delay_before
                      && delay_before - dropped <= RATE / 50 + graph_quantum_ms() * RATE / 1000);
        }
    }
    free(data);
}

/* What the engine might get wrong, and endpoints that are not there. */
static void test_arguments(void)
{
    struct endpoint_format format = stream_format(CHANNELS, KSAUDIO_SPEAKER_STEREO);
    struct backend_stream *stream = (struct backend_stream *)0xdeadbeef;
    static float frames[16 * PERIOD * CHANNELS];
    UINT32 lead;
    UINT64 delay;

    CHECK_EQ_HEX(ops->stream_open(NULL, MMDEVAPI_RENDER, &format, PERIOD, &stream, &lead), E_INVALIDARG);
    CHECK(stream == NULL);
    CHECK_EQ_HEX(ops->stream_open(sink_key, MMDEVAPI_RENDER, NULL, PERIOD, &stream, &lead), E_INVALIDARG);
    CHECK_EQ_HEX(ops->stream_open(sink_key, MMDEVAPI_RENDER, &format, PERIOD, NULL, &lead), E_INVALIDARG);
    CHECK_EQ_HEX(ops->stream_open(sink_key, MMDEVAPI_RENDER, &format, PERIOD, &stream, NULL), E_INVALIDARG);
    CHECK_EQ_HEX(ops->stream_open(sink_key, MMDEVAPI_RENDER, &format, 0, &stream, &lead), E_INVALIDARG);
    CHECK_EQ_HEX(ops->stream_open(sink_key, 7, &format, PERIOD, &stream, &lead), E_INVALIDARG);
    format.channels = 0;
    CHECK_EQ_HEX(ops->stream_open(sink_key, MMDEVAPI_RENDER, &format, PERIOD, &stream, &lead), E_INVALIDARG);
    format = stream_format(CHANNELS, KSAUDIO_SPEAKER_STEREO);
    format.rate = 0;
    CHECK_EQ_HEX(ops->stream_open(sink_key, MMDEVAPI_RENDER, &format, PERIOD, &stream, &lead), E_INVALIDARG);
    format = stream_format(CHANNELS, KSAUDIO_SPEAKER_STEREO);
    format.bits = format.valid_bits = 16;
    format.is_float = FALSE;
    CHECK_EQ_HEX(ops->stream_open(sink_key, MMDEVAPI_RENDER, &format, PERIOD, &stream, &lead), E_INVALIDARG);
    CHECK(stream == NULL);

    CHECK_EQ_HEX(open_stream("no_such_device", CHANNELS, KSAUDIO_SPEAKER_STEREO, &stream, &lead),
                 AUDCLNT_E_DEVICE_INVALIDATED);
    CHECK(stream == NULL);

    if (FAILED(open_stream(sink_key, CHANNELS, KSAUDIO_SPEAKER_STEREO, &stream, &lead)))
    {
        UNIT_FAIL("cannot open %s", sink_key);
        return;
    }
    CHECK_EQ_HEX(ops->stream_wait(NULL, -1, 0), E_INVALIDARG);
    CHECK_EQ_HEX(ops->stream_delay(stream, NULL, NULL), E_INVALIDARG);
    CHECK_EQ_HEX(ops->stream_write(stream, NULL, PERIOD), E_INVALIDARG);
    CHECK_EQ_HEX(ops->stream_write(stream, NULL, 0), S_OK);
    /* Before any write the stream reports nothing heard, and more than fits is refused whole. */
    CHECK_EQ_HEX(ops->stream_delay(stream, &delay, NULL), S_OK);
    CHECK_EQ_UINT(delay, 0);
    CHECK_EQ_HEX(ops->stream_write(stream, frames, PERIOD), S_OK);
    CHECK_EQ_HEX(ops->stream_delay(stream, &delay, NULL), S_OK);
    CHECK_EQ_UINT(delay, PERIOD);
    CHECK_EQ_HEX(ops->stream_start(stream), S_OK);
    /* The device holds its lead and two periods, whatever it asks for. */
    printf("arguments: the stream's lead is %u frames\n", lead);
    CHECK(lead + PERIOD <= ARRAY_SIZE(frames) / CHANNELS);
    if (lead + PERIOD <= ARRAY_SIZE(frames) / CHANNELS)
        CHECK_EQ_HEX(ops->stream_write(stream, frames, lead + PERIOD), S_OK);
    CHECK_EQ_HEX(ops->stream_stop(stream), S_OK);
    CHECK_EQ_HEX(ops->stream_stop(stream), S_OK);
    ops->stream_close(stream);
    ops->stream_close(NULL);
}

/* PulseAudio: each channel lands on the speaker its mask bit names, and the server sees which
 * process plays (process loopback will look streams up by it). The native PipeWire backend's
 * streams, which the harness's pipewire-pulse lists too, also carry the program's name as the
 * node's name, which pw-top and the desktop's mixer show. */
static void test_channel_maps(void)
{
    static const struct { UINT32 channels, mask; const char *map; } layouts[] =
    {
        { 1, KSAUDIO_SPEAKER_MONO, "Channel Map: mono\n" },
        { 6, KSAUDIO_SPEAKER_5POINT1, "Channel Map: front-left,front-right,front-center,lfe,rear-left,rear-right\n" },
        { 8, KSAUDIO_SPEAKER_7POINT1_SURROUND,
          "Channel Map: front-left,front-right,front-center,lfe,rear-left,rear-right,side-left,side-right\n" },
        { 4, SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT, "Channel Map: front-left,front-right,aux0,aux1\n" },
    };
    struct backend_stream *streams[ARRAY_SIZE(layouts)];
    char path[600], pid_prop[64], *text;
    char *argv[] = { "pactl", "list", "sink-inputs", NULL };
    size_t i, size;
    UINT32 lead;
    FILE *file;
    pid_t pid;

    for (i = 0; i < ARRAY_SIZE(layouts); i++)
    {
        CHECK_EQ_HEX(open_stream(sink_key, layouts[i].channels, layouts[i].mask, &streams[i], &lead), S_OK);
        /* PipeWire's pulse server lists a native stream once it runs. */
        if (streams[i] && !strcmp(backend_name, "pipewire")) CHECK_EQ_HEX(ops->stream_start(streams[i]), S_OK);
    }
    snprintf(path, sizeof(path), "%s/sink-inputs.txt", test_dir);
    pid = spawn(NULL, path, NULL, argv);
    waitpid(pid, NULL, 0);
    for (i = 0; i < ARRAY_SIZE(layouts); i++)
        if (streams[i]) ops->stream_close(streams[i]);

    if (!(file = fopen(path, "r")))
    {
        UNIT_FAIL("pactl wrote nothing");
        return;
    }
    text = calloc(1, 1 << 20);
    size = fread(text, 1, (1 << 20) - 1, file);
    fclose(file);
    text[size] = 0;
    for (i = 0; i < ARRAY_SIZE(layouts); i++)
        if (!strstr(text, layouts[i].map)) UNIT_FAIL("no sink input with \"%.*s\"", (int)strlen(layouts[i].map) - 1,
                                                     layouts[i].map);
    snprintf(pid_prop, sizeof(pid_prop), "application.process.id = \"%d\"", (int)getpid());
    if (!strstr(text, pid_prop)) UNIT_FAIL("no sink input with %s", pid_prop);
    if (!strcmp(backend_name, "pipewire") && !strstr(text, "node.name = \"backend-stream\""))
        UNIT_FAIL("no sink input with node.name = \"backend-stream\"");
    free(text);
}

/* Sets an environment variable, or unsets it for NULL; returns a copy of the old value. */
static char *swap_env(const char *name, const char *value)
{
    char *old = getenv(name) ? strdup(getenv(name)) : NULL;

    if (value) setenv(name, value, 1);
    else unsetenv(name);
    return old;
}

/* Plays on key of the server *pid, kills it (*pid becomes -1), and expects
 * AUDCLNT_E_DEVICE_INVALIDATED from the next calls, neither a crash nor a hang, and from an open at
 * once. */
static void check_server_death(const char *key, pid_t *pid)
{
    struct player player = { 0 };
    UINT64 killed, delay, start;
    UINT32 periods;
    HRESULT hr;

    hr = open_stream(key, CHANNELS, KSAUDIO_SPEAKER_STEREO, &player.stream, &player.lead);
    CHECK_EQ_HEX(hr, S_OK);
    if (FAILED(hr)) return;
    CHECK_EQ_HEX(player_start(&player), S_OK);
    CHECK_EQ_HEX(player_run(&player, 300), S_OK);
    kill_child(*pid);
    *pid = -1;
    killed = now_ns();
    /* The engine's loop, until the backend tells it the device is gone. */
    while (SUCCEEDED(hr) && now_ns() < killed + 2000000000ull)
        if (SUCCEEDED(hr = player_step(&player, -1, 100, &periods)))
            hr = ops->stream_delay(player.stream, &delay, NULL);
    printf("death: %s %.3f ms after the server was killed\n",
           hr == AUDCLNT_E_DEVICE_INVALIDATED ? "AUDCLNT_E_DEVICE_INVALIDATED" : "no error", (now_ns() - killed) / 1e6);
    CHECK_EQ_HEX(hr, AUDCLNT_E_DEVICE_INVALIDATED);
    CHECK_EQ_HEX(ops->stream_write(player.stream, player.buffer, PERIOD), AUDCLNT_E_DEVICE_INVALIDATED);
    CHECK_EQ_HEX(ops->stream_delay(player.stream, &delay, NULL), AUDCLNT_E_DEVICE_INVALIDATED);
    CHECK_EQ_HEX(ops->stream_wait(player.stream, -1, 100000000), AUDCLNT_E_DEVICE_INVALIDATED);
    CHECK_EQ_HEX(ops->stream_stop(player.stream), AUDCLNT_E_DEVICE_INVALIDATED);
    CHECK_EQ_HEX(ops->stream_start(player.stream), AUDCLNT_E_DEVICE_INVALIDATED);
    ops->stream_close(player.stream);
    /* And with the server gone, opening fails at once. */
    start = now_ns();
    CHECK_EQ_HEX(open_stream(key, CHANNELS, KSAUDIO_SPEAKER_STEREO, &player.stream, &player.lead),
                 AUDCLNT_E_DEVICE_INVALIDATED);
    CHECK(now_ns() - start < 1000000000ull);
}

#ifdef HAVE_PIPEWIRE
/* The same on PipeWire: a daemon of the test's own (no session manager: the stream stays unlinked,
 * which does not matter here) with a null sink, in a runtime directory of its own. */
static void test_pipewire_death(void)
{
    char dir[600], conf_dir[700], conf[800], log[700];
    char *argv[] = { "pipewire", NULL };
    char *saved_runtime, *saved_config;
    UINT64 deadline;
    FILE *file;
    pid_t pid;

    snprintf(dir, sizeof(dir), "%s/doomed", test_dir);
    snprintf(conf_dir, sizeof(conf_dir), "%s/pipewire/pipewire.conf.d", dir);
    snprintf(conf, sizeof(conf), "%s/doomed.conf", conf_dir);
    snprintf(log, sizeof(log), "%s/pipewire.log", dir);
    mkdir(dir, 0700);
    snprintf(conf_dir, sizeof(conf_dir), "%s/pipewire", dir);
    mkdir(conf_dir, 0700);
    snprintf(conf_dir, sizeof(conf_dir), "%s/pipewire/pipewire.conf.d", dir);
    mkdir(conf_dir, 0700);
    if (!(file = fopen(conf, "w")))
    {
        UNIT_FAIL("cannot write %s", conf);
        return;
    }
    fprintf(file, "context.objects = [ { factory = adapter args = { factory.name = support.null-audio-sink "
            "node.name = doomed_sink media.class = Audio/Sink audio.position = [ FL FR ] } } ]\n");
    fclose(file);

    saved_runtime = swap_env("PIPEWIRE_RUNTIME_DIR", dir);
    saved_config = swap_env("XDG_CONFIG_HOME", dir);
    pid = spawn(NULL, NULL, log, argv);
    deadline = now_ns() + 10000000000ull;
    while (!ops->probe() && now_ns() < deadline && waitpid(pid, NULL, WNOHANG) == 0) sleep_ms(50);
    check_server_death("doomed_sink", &pid);
    kill_child(pid);
    free(swap_env("PIPEWIRE_RUNTIME_DIR", saved_runtime));
    free(swap_env("XDG_CONFIG_HOME", saved_config));
    free(saved_runtime);
    free(saved_config);
}
#endif

#ifdef HAVE_PULSE

/* A server that dies under a playing stream gives AUDCLNT_E_DEVICE_INVALIDATED at the next call,
 * neither a crash nor a hang. The harness's server is not ours to kill: the test starts its own, and
 * reaches it directly on PulseAudio, through alsa-lib's pulse plugin on ALSA. */
static void test_server_death(void)
{
    char dir[600], script[700], socket_path[700], log[700], server[720], alsa_conf[700], alsa_path[1400];
    char *argv[] = { "pulseaudio", "-n", "-F", script, "--daemonize=no", "--exit-idle-time=-1",
                     "--use-pid-file=no", "--system=no", "--disallow-exit", "--log-target=stderr", NULL };
    char *saved_server, *saved_runtime, *saved_state, *saved_alsa = NULL;
    const char *key = "doomed_sink";
    UINT64 deadline;
    FILE *file;
    pid_t pid;

    snprintf(dir, sizeof(dir), "%s/doomed", test_dir);
    mkdir(dir, 0700);
    snprintf(script, sizeof(script), "%s/doomed.pa", dir);
    snprintf(socket_path, sizeof(socket_path), "%s/native", dir);
    snprintf(server, sizeof(server), "unix:%s", socket_path);
    snprintf(log, sizeof(log), "%s/pulse.log", dir);
    if (!(file = fopen(script, "w")))
    {
        UNIT_FAIL("cannot write %s", script);
        return;
    }
    fprintf(file, "load-module module-native-protocol-unix auth-anonymous=1 socket=\"%s\"\n", socket_path);
    fprintf(file, "load-module module-null-sink sink_name=doomed_sink format=float32le rate=48000 channels=2\n");
    fclose(file);

    saved_runtime = swap_env("PULSE_RUNTIME_PATH", dir);
    saved_state = swap_env("PULSE_STATE_PATH", dir);
    pid = spawn(NULL, NULL, log, argv);
    free(swap_env("PULSE_RUNTIME_PATH", saved_runtime));
    free(swap_env("PULSE_STATE_PATH", saved_state));
    free(saved_runtime);
    free(saved_state);
    saved_server = swap_env("PULSE_SERVER", server);
    deadline = now_ns() + 10000000000ull;
    while (!pulse_backend.probe() && now_ns() < deadline && waitpid(pid, NULL, WNOHANG) == 0) sleep_ms(50);
    if (!strcmp(backend_name, "alsa") && getenv("ALSA_CONFIG_PATH"))
    {
        /* Beside the harness's configuration, which names the pulse plugin's library. */
        snprintf(alsa_conf, sizeof(alsa_conf), "%s/asound.conf", dir);
        if ((file = fopen(alsa_conf, "w")))
        {
            fprintf(file, "pcm.doomed { type pulse; server \"%s\"; device \"doomed_sink\" }\n", server);
            fclose(file);
        }
        snprintf(alsa_path, sizeof(alsa_path), "%s:%s", getenv("ALSA_CONFIG_PATH"), alsa_conf);
        saved_alsa = swap_env("ALSA_CONFIG_PATH", alsa_path);
        key = "doomed";
    }

    check_server_death(key, &pid);
    kill_child(pid);
    free(swap_env("PULSE_SERVER", saved_server));
    free(saved_server);
    if (saved_alsa)
    {
        free(swap_env("ALSA_CONFIG_PATH", saved_alsa));
        free(saved_alsa);
    }
}
#endif

static BOOL find_endpoint(void)
{
    struct endpoint_info endpoints[16];
    UINT32 count, default_index;

    count = ops->list_endpoints(MMDEVAPI_RENDER, endpoints, ARRAY_SIZE(endpoints), &default_index);
    if (!count || default_index >= count) return FALSE;
    snprintf(sink_key, sizeof(sink_key), "%s", endpoints[default_index].key);
    printf("%s: playing on %s (%u Hz, %u channels)\n", backend_name, sink_key, endpoints[default_index].format.rate,
           endpoints[default_index].format.channels);
    return endpoints[default_index].format.rate == RATE && endpoints[default_index].format.channels == CHANNELS;
}

/* Runs a part that measures time or load a second time if it fails: on a busy machine (a build
 * beside the test, the server starved) one run can miss, while a fault of the backend fails both. */
static void retry_once(void (*test)(void), const char *name)
{
    unsigned int failures = unit_failures;

    test();
    if (unit_failures == failures) return;
    printf("%s: %u failures; once more, in case the machine was busy\n", name, unit_failures - failures);
    unit_failures = failures;
    test();
}

int main(void)
{
    const char *dir = getenv("MMDEVAPI_TEST_DIR");
    struct sched_param param;

    setvbuf(stdout, NULL, _IOLBF, 0);
    backend_name = unit_backend();
    if (!backend_name || !dir) return 77;
    snprintf(test_dir, sizeof(test_dir), "%s", dir);
#ifdef HAVE_PIPEWIRE
    if (!strcmp(backend_name, "pipewire")) ops = &pipewire_backend;
#endif
#ifdef HAVE_PULSE
    if (!strcmp(backend_name, "pulse")) ops = &pulse_backend;
#endif
#ifdef HAVE_ALSA
    if (!strcmp(backend_name, "alsa")) ops = &alsa_backend;
#endif
    if (!ops) return 77;
    if (!find_endpoint())
    {
        UNIT_FAIL("no 48 kHz stereo endpoint to play on");
        return unit_summary("backend-stream");
    }

    /* As the engine's thread asks for it where the system allows; programs the test starts run
     * as usual. */
    param.sched_priority = 10;
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param))
        printf("%s: no real-time priority (%s), timing may suffer from load\n", backend_name, strerror(errno));

    test_arguments();
    retry_once(test_content, "content");
    retry_once(test_stop_start, "stop-start");
    retry_once(test_timing, "timing");
    if (!strcmp(backend_name, "pulse") || !strcmp(backend_name, "pipewire")) test_channel_maps();
#ifdef HAVE_PIPEWIRE
    if (!strcmp(backend_name, "pipewire")) test_pipewire_death();
#endif
#ifdef HAVE_PULSE
    if (strcmp(backend_name, "pipewire")) test_server_death();    /* on ALSA too, through the pulse plugin */
#endif
    return unit_summary("backend-stream");
}
