/*
 * wasapi-bench: what the shared-mode render hot path and the engine cost, measured through the
 * public WASAPI API on the default render endpoint. tools/bench/run-bench runs it under stock Wine
 * and under this project's module against one private PulseAudio server and compares.
 *
 * Every stream of the call-cost and CPU phases: 44100 Hz stereo int16 (WAVE_FORMAT_PCM),
 * AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM | AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY (what games often
 * ask, and the engine must convert), a 100 ms buffer, polled (no event), fed with a quiet 441 Hz
 * tone. Times come from
 * QueryPerformanceCounter: 10 MHz under Wine, so 100 ns steps, and about 75 ns a call.
 *
 * uncontended  One stream, started, nothing else open.
 *              padding: GetCurrentPadding, mean over >= --calls calls, timed in batches of
 *              10000; the stream is topped up (untimed) between batches.
 *              buffer: GetBuffer(1), write one frame, ReleaseBuffer(1, 0), mean over >= --calls
 *              cycles on the same started stream, timed per burst: a burst makes one-frame
 *              cycles while padding leaves room, then the loop sleeps (untimed) until the engine
 *              has taken more. No Reset and no failing call: every timed call is one a game
 *              makes, with the engine running beside it. The price: 1 M cycles need 1 M frames
 *              played, 23 s.
 *              Each figure is the mean over all calls; ".median" is the per-call mean of the
 *              median batch (weighted by calls): the cost when nothing else took the CPU during
 *              the batch, steadier than the mean on a busy machine.
 * contended    --streams streams play. One feeder thread tops each up every 10 ms, except the
 *              streams of the 2 (then 4) hammer threads, which poll their own stream as fast as
 *              they can for --contended-seconds: GetCurrentPadding, and when there is room
 *              GetBuffer(1), write one frame, ReleaseBuffer(1, 0) (the stream stays full: after
 *              each engine period the thread refills it a frame at a time). Every call's
 *              duration goes to a preallocated array: the timestamp after one call starts the
 *              next, so a sample includes one QueryPerformanceCounter (and, for ReleaseBuffer,
 *              the one-frame write). A counting sort of the ticks gives exact percentiles over
 *              all threads, per kind: "padding" (GetCurrentPadding) and "buffer" (GetBuffer and
 *              ReleaseBuffer, each a sample). Then the same threads run the timer alone for
 *              --floor-seconds under the same load: "floor" is what the scheduler and the timer
 *              add to any call (where threads outnumber cores, a thread preempted in a call
 *              records a whole time slice: that sets the max).
 * cpu          --streams streams, one feeder for all topping each up every ~10 ms, for
 *              --cpu-seconds: the CPU time of the process (GetProcessTimes) and of the feeder
 *              thread (GetThreadTimes); with --server-pid, the PulseAudio server's (utime +
 *              stime of /proc/PID/stat, read through Wine's unix path) over the same window, and
 *              what the server spends on its other clients over as long: its CPU over
 *              --idle-seconds before this process opens anything and again after the streams
 *              are closed, averaged. "consumed" is the frames the streams took against real
 *              time: near 1 when the module plays.
 *
 * The engine phases play one stream in the mix format (48 kHz float stereo on the harness's
 * sink), a 480 Hz tone, shared mode, kept full; each runs for --engine-seconds (glitches twice
 * as long). The figures leave out the first 0.5 s of a stream where they say so.
 * clock        100 ms buffer, polled: GetCurrentPadding and a refill, then IAudioClock::GetPosition,
 *              then Sleep(1) under timeBeginPeriod(1) (about one read a millisecond; no busy
 *              wait). Each read in seconds: position / GetFrequency, against the QPC time that
 *              GetPosition returns. "jump": the largest |change of position - change of time|
 *              between two reads (stock stands still, then jumps a period); "deviation": the
 *              largest distance from the least-squares line over the reads after 0.5 s, and
 *              "slope" that line's; "backwards": reads below the one before; "ahead": reads past
 *              the frames written so far (must be 0).
 * wakeups      AUDCLNT_STREAMFLAGS_EVENTCALLBACK, buffer 0 (the default), an auto-reset event;
 *              each wake-up refills the buffer. The intervals between wake-ups after 0.5 s:
 *              p50 and p99, and of |interval - default period| ("error") p99 and max; then again
 *              with one busy thread a CPU (GetSystemInfo) in this process, normal priority
 *              ("wakeups.loaded").
 * enginecpu    One event-driven stream in the mix format, a new one for each case: "unstarted"
 *              (initialized, never started), "empty" (started with nothing ever written),
 *              "playing" (kept full with the tone, a refill at each event), "stopped" (the
 *              playing one after Stop); each measured for --engine-seconds after 0.5 s. The CPU
 *              time a second from each Linux thread's /proc/PID/task/TID/schedstat (exact;
 *              GetProcessTimes has 10 ms steps under Wine): "process" all threads, "others" all
 *              but the main one (which only waits or refills: what the audio stack runs),
 *              "engine" the thread named "mmdevapi engine" (ours; "none" under stock), "server"
 *              the PulseAudio server's threads (--server-pid); "events" the times the event
 *              fired. The Linux pid is found by a name the main thread takes for the purpose:
 *              Wine opens files in the wineserver, so /proc/self is the server's.
 * glitches     100 ms buffer, polled and topped up every 10 ms with one busy thread a CPU: the
 *              reads of GetCurrentPadding that find the buffer empty (the program always has
 *              data). The sink side is the test suite's.
 *
 * periods      IAudioClient3::GetSharedModeEnginePeriod's periods: the smallest, doubling while
 *              under the default (rounded up to the fundamental), the default; without
 *              IAudioClient3's periods (stock Wine 8: E_NOTIMPL), the default period through
 *              IAudioClient::Initialize. Each: an event-driven stream of that period
 *              (InitializeSharedAudioStream), the buffer filled before Start, then buffer -
 *              padding written at each event, for --period-seconds with one busy thread a CPU.
 *              The signal counts: frame k is (k + 1) / 2^20 and its negative. "dry": events that
 *              found padding 0; "stalls": waits of 2 s without an event; then, in the harness's
 *              recording of the sink (MMDEVAPI_TEST_PULSE_RECORDING), "holes": breaks in the
 *              count (silence between two frames, its length in "hole_ms"; frames skipped,
 *              "missing"), and "recorded": the signal found, in seconds. "smallest_clean": the
 *              smallest period without a hole or a stall, "none" if there is none.
 *
 * capture      The default capture endpoint in its mix format, polled, a 1 s buffer, for
 *              --engine-seconds: GetNextPacketSize in batches of 10000 calls; every 200 ms, the
 *              packets waiting taken in one timed batch (GetBuffer, ReleaseBuffer of all of
 *              it): the mean per call and per packet, the packets a second (the engine's pace)
 *              and the discontinuities (0: none lost).
 *
 * Output: one figure a line, "key value unit"; "key n/a hr=0xXXXXXXXX" when a WASAPI call failed
 * (the failed call is named on stderr) and the phase goes on without it; "key none" for what the
 * module does not have (an engine thread, IAudioClient3's periods). Exit status: 0 when every
 * figure was measured, 1 when some is n/a, 2 on a bad command line.
 */

#define COBJMACROS
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#include <winternl.h>
#include <mmsystem.h>
#include <objbase.h>
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define BENCH_RATE          44100
#define BENCH_CHANNELS      2
#define BENCH_FRAME_BYTES   (BENCH_CHANNELS * sizeof(INT16))
#define BENCH_BUFFER_HNS    1000000     /* 100 ms */
#define BENCH_FEED_MS       10
#define BENCH_MAX_HAMMERS   4
#define TONE_FRAMES         100         /* one cycle: 441 Hz at 44.1 kHz, 480 Hz at 48 kHz */
#define PADDING_BATCH       10000
#define STALL_SECONDS       2.0         /* a started stream whose padding stays the same */
#define SETTLE_SECONDS      0.5         /* engine figures leave out the start of a stream */
#define POLL_MS             1           /* clock and glitches: one read a millisecond */

/* Contended samples: the duration in ticks in the low bits, the call kind in the top bit. */
#define SAMPLE_BUFFER       0x80000000u
#define SAMPLE_TICKS        0x7fffffffu
/* Exact histogram bins, in ticks (about 105 ms at 10 MHz); longer calls share the last bin and
 * only their maximum is exact. */
#define HIST_BINS           (1u << 20)

struct options
{
    ULONGLONG calls;
    double contended_seconds;
    double floor_seconds;
    double cpu_seconds;
    double idle_seconds;
    unsigned int streams;
    double engine_seconds;
    double period_seconds;
    DWORD server_pid;           /* 0: not given */
    BOOL uncontended, contended, cpu, clock, wakeups, engine_cpu, glitches, periods, capture;
};

struct stream
{
    IAudioClient *client;
    IAudioRenderClient *render;
    const BYTE *tone;           /* TONE_FRAMES frames in the stream's format */
    UINT32 frame_bytes;
    UINT32 rate;
    UINT32 buffer_frames;
    unsigned int tone_pos;
    ULONGLONG written;
};

struct feeder
{
    struct stream *streams;
    unsigned int count;
    unsigned int owned;         /* streams [0, owned) belong to hammer threads */
    CRITICAL_SECTION cs;        /* held for a round, and by whoever changes owned */
    volatile LONG stop;
    HRESULT hr;
    HANDLE thread;
};

struct hammer
{
    struct stream *stream;      /* NULL: the timer alone (the floor) */
    UINT32 *samples;
    SIZE_T capacity;
    SIZE_T count;
    HRESULT hr;
    HANDLE thread;
};

static LARGE_INTEGER qpc_frequency;
static INT16 tone[TONE_FRAMES * BENCH_CHANNELS];
static float tone_float[TONE_FRAMES * BENCH_CHANNELS];
static HANDLE hammer_start;
static volatile LONG hammer_stop;
static volatile LONG load_stop;
static BOOL any_na;

static inline LONGLONG qpc(void)
{
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    return now.QuadPart;
}

static double ticks_to_ns(double ticks)
{
    return ticks * 1e9 / (double)qpc_frequency.QuadPart;
}

static double seconds_since(LONGLONG start)
{
    return (double)(qpc() - start) / (double)qpc_frequency.QuadPart;
}

static void __attribute__((format(printf, 1, 2))) progress(const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    fputs("wasapi-bench: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
}

static HRESULT failed(const char *call, HRESULT hr)
{
    progress("%s failed: 0x%08lx", call, (unsigned long)hr);
    return hr;
}

static void __attribute__((format(printf, 3, 4))) figure(double value, const char *unit, const char *fmt, ...)
{
    char key[96];
    va_list args;

    va_start(args, fmt);
    vsnprintf(key, sizeof(key), fmt, args);
    va_end(args);
    if (value == floor(value) && fabs(value) < 1e15)
        printf("%s %.0f %s\n", key, value, unit);
    else
        printf("%s %.3f %s\n", key, value, unit);
    fflush(stdout);
}

static void __attribute__((format(printf, 2, 3))) figure_na(HRESULT hr, const char *fmt, ...)
{
    char key[96];
    va_list args;

    va_start(args, fmt);
    vsnprintf(key, sizeof(key), fmt, args);
    va_end(args);
    printf("%s n/a hr=0x%08lx\n", key, (unsigned long)hr);
    fflush(stdout);
    any_na = TRUE;
}

/* --- streams ------------------------------------------------------------------------------ */

static void make_tone(void)
{
    unsigned int i, c;
    double value;

    for (i = 0; i < TONE_FRAMES; i++)
    {
        value = 0.1 * sin(2.0 * M_PI * i / TONE_FRAMES);
        for (c = 0; c < BENCH_CHANNELS; c++)
        {
            tone[i * BENCH_CHANNELS + c] = (INT16)floor(32760.0 * value + 0.5);
            tone_float[i * BENCH_CHANNELS + c] = (float)value;
        }
    }
}

/* The tone in a format: int16 or float32, BENCH_CHANNELS channels; NULL for any other. */
static const BYTE *tone_for(const WAVEFORMATEX *format)
{
    const WAVEFORMATEXTENSIBLE *ext = (const WAVEFORMATEXTENSIBLE *)format;
    WORD tag = format->wFormatTag;

    if (tag == WAVE_FORMAT_EXTENSIBLE && format->cbSize >= sizeof(*ext) - sizeof(*format))
    {
        if (IsEqualGUID(&ext->SubFormat, &KSDATAFORMAT_SUBTYPE_PCM)) tag = WAVE_FORMAT_PCM;
        else if (IsEqualGUID(&ext->SubFormat, &KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)) tag = WAVE_FORMAT_IEEE_FLOAT;
    }
    if (format->nChannels != BENCH_CHANNELS)
        return NULL;
    if (tag == WAVE_FORMAT_PCM && format->wBitsPerSample == 16)
        return (const BYTE *)tone;
    if (tag == WAVE_FORMAT_IEEE_FLOAT && format->wBitsPerSample == 32)
        return (const BYTE *)tone_float;
    return NULL;
}

static void write_tone(struct stream *stream, BYTE *data, UINT32 frames)
{
    while (frames)
    {
        UINT32 chunk = min(frames, TONE_FRAMES - stream->tone_pos);

        memcpy(data, stream->tone + stream->tone_pos * stream->frame_bytes, chunk * stream->frame_bytes);
        data += chunk * stream->frame_bytes;
        frames -= chunk;
        stream->tone_pos = (stream->tone_pos + chunk) % TONE_FRAMES;
    }
}

static HRESULT stream_write(struct stream *stream, UINT32 frames)
{
    BYTE *data;
    HRESULT hr;

    if (FAILED(hr = IAudioRenderClient_GetBuffer(stream->render, frames, &data)))
        return failed("IAudioRenderClient::GetBuffer", hr);
    write_tone(stream, data, frames);
    if (FAILED(hr = IAudioRenderClient_ReleaseBuffer(stream->render, frames, 0)))
        return failed("IAudioRenderClient::ReleaseBuffer", hr);
    stream->written += frames;
    return S_OK;
}

/* Top the stream up with what GetCurrentPadding allows; the padding it read in *padding, when
 * not NULL. */
static HRESULT stream_feed(struct stream *stream, UINT32 *padding)
{
    UINT32 frames;
    HRESULT hr;

    if (FAILED(hr = IAudioClient_GetCurrentPadding(stream->client, &frames)))
        return failed("IAudioClient::GetCurrentPadding", hr);
    if (padding) *padding = frames;
    if (frames >= stream->buffer_frames)
        return S_OK;
    return stream_write(stream, stream->buffer_frames - frames);
}

static void stream_close(struct stream *stream)
{
    if (stream->client)
    {
        IAudioClient_Stop(stream->client);
        IAudioClient_Release(stream->client);
    }
    if (stream->render) IAudioRenderClient_Release(stream->render);
    memset(stream, 0, sizeof(*stream));
}

/* Activate and initialize a stream, shared mode: in the format, or in the mix format when it is
 * NULL; signalling the event, when given (flags then hold AUDCLNT_STREAMFLAGS_EVENTCALLBACK).
 * With a period (frames), through IAudioClient3::InitializeSharedAudioStream, else
 * IAudioClient::Initialize with the duration. */
static HRESULT stream_init(IMMDevice *device, struct stream *stream, const WAVEFORMATEX *format,
                           DWORD flags, REFERENCE_TIME duration, UINT32 period, HANDLE event)
{
    WAVEFORMATEX *mix = NULL;
    HRESULT hr;

    memset(stream, 0, sizeof(*stream));
    if (FAILED(hr = IMMDevice_Activate(device, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL,
                                       (void **)&stream->client)))
    {
        stream->client = NULL;
        return failed("IMMDevice::Activate(IAudioClient)", hr);
    }
    if (!format)
    {
        if (FAILED(hr = IAudioClient_GetMixFormat(stream->client, &mix)))
        {
            failed("IAudioClient::GetMixFormat", hr);
            goto fail;
        }
        format = mix;
    }
    if (!(stream->tone = tone_for(format)))
    {
        hr = AUDCLNT_E_UNSUPPORTED_FORMAT;
        progress("no tone for format 0x%04x, %u bits, %u channels", format->wFormatTag,
                 format->wBitsPerSample, format->nChannels);
        goto fail;
    }
    stream->frame_bytes = format->nBlockAlign;
    stream->rate = format->nSamplesPerSec;
    if (period)
    {
        IAudioClient3 *client3;

        if (FAILED(hr = IAudioClient_QueryInterface(stream->client, &IID_IAudioClient3, (void **)&client3)))
        {
            failed("IAudioClient::QueryInterface(IAudioClient3)", hr);
            goto fail;
        }
        hr = IAudioClient3_InitializeSharedAudioStream(client3, flags, period, format, NULL);
        IAudioClient3_Release(client3);
        if (FAILED(hr))
        {
            failed("IAudioClient3::InitializeSharedAudioStream", hr);
            goto fail;
        }
    }
    else if (FAILED(hr = IAudioClient_Initialize(stream->client, AUDCLNT_SHAREMODE_SHARED, flags, duration, 0,
                                                 format, NULL)))
    {
        failed("IAudioClient::Initialize", hr);
        goto fail;
    }
    if (event && FAILED(hr = IAudioClient_SetEventHandle(stream->client, event)))
    {
        failed("IAudioClient::SetEventHandle", hr);
        goto fail;
    }
    if (FAILED(hr = IAudioClient_GetBufferSize(stream->client, &stream->buffer_frames)))
    {
        failed("IAudioClient::GetBufferSize", hr);
        goto fail;
    }
    if (FAILED(hr = IAudioClient_GetService(stream->client, &IID_IAudioRenderClient,
                                            (void **)&stream->render)))
    {
        stream->render = NULL;
        failed("IAudioClient::GetService(IAudioRenderClient)", hr);
        goto fail;
    }
    CoTaskMemFree(mix);
    return S_OK;

fail:
    CoTaskMemFree(mix);
    stream_close(stream);
    return hr;
}

/* Fill and start a stream. */
static HRESULT stream_start(struct stream *stream)
{
    HRESULT hr;

    if (FAILED(hr = stream_feed(stream, NULL)))
        return hr;
    if (FAILED(hr = IAudioClient_Start(stream->client)))
        return failed("IAudioClient::Start", hr);
    return S_OK;
}

/* Open, fill and start a stream of the call-cost and CPU phases. */
static HRESULT stream_open(IMMDevice *device, struct stream *stream)
{
    WAVEFORMATEX format;
    HRESULT hr;

    format.wFormatTag = WAVE_FORMAT_PCM;
    format.nChannels = BENCH_CHANNELS;
    format.nSamplesPerSec = BENCH_RATE;
    format.wBitsPerSample = 16;
    format.nBlockAlign = BENCH_FRAME_BYTES;
    format.nAvgBytesPerSec = BENCH_RATE * BENCH_FRAME_BYTES;
    format.cbSize = 0;

    if (FAILED(hr = stream_init(device, stream, &format,
            AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM | AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY,
            BENCH_BUFFER_HNS, 0, NULL)))
        return hr;
    if (FAILED(hr = stream_start(stream)))
        stream_close(stream);
    return hr;
}

static void streams_close(struct stream *streams, unsigned int count)
{
    unsigned int i;

    for (i = 0; i < count; i++)
        stream_close(&streams[i]);
}

static HRESULT streams_open(IMMDevice *device, struct stream *streams, unsigned int count)
{
    unsigned int i;
    HRESULT hr;

    for (i = 0; i < count; i++)
    {
        if (FAILED(hr = stream_open(device, &streams[i])))
        {
            progress("stream %u of %u could not be opened", i + 1, count);
            streams_close(streams, i);
            return hr;
        }
    }
    return S_OK;
}

/* --- the feeder --------------------------------------------------------------------------- */

static DWORD WINAPI feeder_main(void *arg)
{
    struct feeder *feeder = arg;
    unsigned int i;
    HRESULT hr = S_OK;

    while (!feeder->stop && SUCCEEDED(hr))
    {
        EnterCriticalSection(&feeder->cs);
        for (i = feeder->owned; i < feeder->count && SUCCEEDED(hr); i++)
            hr = stream_feed(&feeder->streams[i], NULL);
        LeaveCriticalSection(&feeder->cs);
        Sleep(BENCH_FEED_MS);
    }
    feeder->hr = hr;
    return 0;
}

static BOOL feeder_start(struct feeder *feeder, struct stream *streams, unsigned int count)
{
    memset(feeder, 0, sizeof(*feeder));
    feeder->streams = streams;
    feeder->count = count;
    InitializeCriticalSection(&feeder->cs);
    if (!(feeder->thread = CreateThread(NULL, 0, feeder_main, feeder, 0, NULL)))
    {
        progress("CreateThread failed: %lu", GetLastError());
        DeleteCriticalSection(&feeder->cs);
        return FALSE;
    }
    return TRUE;
}

/* Stops the feeder; returns the first failure of its calls. */
static HRESULT feeder_stop(struct feeder *feeder)
{
    feeder->stop = 1;
    WaitForSingleObject(feeder->thread, INFINITE);
    CloseHandle(feeder->thread);
    DeleteCriticalSection(&feeder->cs);
    return feeder->hr;
}

static void feeder_set_owned(struct feeder *feeder, unsigned int owned)
{
    EnterCriticalSection(&feeder->cs);
    feeder->owned = owned;
    LeaveCriticalSection(&feeder->cs);
}

/* --- CPU time ----------------------------------------------------------------------------- */

static double filetime_ms(const FILETIME *ft)
{
    return (double)(((ULONGLONG)ft->dwHighDateTime << 32) | ft->dwLowDateTime) / 1e4;
}

static double process_cpu_ms(void)
{
    FILETIME creation, exit, kernel, user;

    if (!GetProcessTimes(GetCurrentProcess(), &creation, &exit, &kernel, &user))
        return -1.0;
    return filetime_ms(&kernel) + filetime_ms(&user);
}

/* Reads a Linux file (a Unix path) through Wine's unix path: \\?\unix\ first, then Z: (the
 * default mapping of /). Returns the bytes read into text, NUL-terminated; -1 when it cannot be
 * opened. */
static int linux_read(const char *unix_path, char *text, DWORD size)
{
    static const char *const prefixes[] = {"\\\\?\\unix", "Z:"};
    HANDLE file = INVALID_HANDLE_VALUE;
    char path[MAX_PATH], *p;
    unsigned int i;
    DWORD done = 0;

    for (i = 0; i < ARRAY_SIZE(prefixes) && file == INVALID_HANDLE_VALUE; i++)
    {
        snprintf(path, sizeof(path), "%s%s", prefixes[i], unix_path);
        for (p = path; *p; p++)
            if (*p == '/') *p = '\\';
        file = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
    }
    if (file == INVALID_HANDLE_VALUE)
        return -1;
    if (!ReadFile(file, text, size - 1, &done, NULL))
        done = 0;
    CloseHandle(file);
    text[done] = 0;
    return (int)done;
}

/* utime + stime of a Linux process, from /proc/PID/stat: in 10 ms steps. -1 when it cannot be
 * read. */
static double linux_cpu_ms(DWORD pid)
{
    char path[64], text[1024], *p;
    unsigned long long utime, stime;

    snprintf(path, sizeof(path), "/proc/%lu/stat", (unsigned long)pid);
    if (linux_read(path, text, sizeof(text)) < 0)
        return -1.0;
    /* "pid (comm) state ppid ...": utime and stime are the 14th and 15th fields, in clock ticks
     * of USER_HZ, 100 on Linux's ABI. comm may hold spaces and parentheses: skip to the last ')'. */
    if (!(p = strrchr(text, ')')))
        return -1.0;
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1.0;
    return (double)(utime + stime) * 10.0;
}

/* The Linux pid of this process; 0 when it cannot be found. Wine's process ids are its own, and
 * /proc/self opened through Wine is the wineserver's (which opens files for its clients). So the
 * calling thread, the main one (whose tid is the pid), takes a name of its own through Wine's
 * ThreadWineNativeThreadName, found then in /proc/PID/comm. */
static DWORD linux_process_self(void)
{
    static const char *const prefixes[] = {"\\\\?\\unix", "Z:"};
    NTSTATUS (WINAPI *set_information)(HANDLE, int, void *, ULONG);
    static DWORD pid;
    WIN32_FIND_DATAA data;
    char name[16], path[MAX_PATH], text[32];
    WCHAR wname[16];
    UNICODE_STRING ustr;
    HANDLE find = INVALID_HANDLE_VALUE;
    unsigned int i;

    if (pid)
        return pid;
    if (!(set_information = (void *)GetProcAddress(GetModuleHandleA("ntdll"), "NtSetInformationThread")))
        return 0;
    snprintf(name, sizeof(name), "wbench-%08lx", (unsigned long)(qpc() ^ GetCurrentProcessId() << 16));
    for (i = 0; i <= strlen(name); i++)
        wname[i] = name[i];
    ustr.Buffer = wname;
    ustr.Length = strlen(name) * sizeof(WCHAR);
    ustr.MaximumLength = sizeof(wname);
    /* ThreadWineNativeThreadName */
    if (set_information(GetCurrentThread(), 1000, &ustr, sizeof(ustr)))
        return 0;
    for (i = 0; i < ARRAY_SIZE(prefixes) && find == INVALID_HANDLE_VALUE; i++)
    {
        snprintf(path, sizeof(path), "%s\\proc\\*", prefixes[i]);
        find = FindFirstFileA(path, &data);
    }
    if (find == INVALID_HANDLE_VALUE)
        return 0;
    do
    {
        if (data.cFileName[0] < '0' || data.cFileName[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/comm", data.cFileName);
        if (linux_read(path, text, sizeof(text)) > 0 && !strncmp(text, name, strlen(name)) &&
            text[strlen(name)] == '\n')
            pid = strtoul(data.cFileName, NULL, 10);
    } while (!pid && FindNextFileA(find, &data));
    FindClose(find);
    return pid;
}

/* The threads of a Linux process and the nanoseconds each has spent on a CPU, from
 * /proc/PID/task/TID/schedstat (its first field: exact, where utime and stime count 10 ms
 * ticks), with their names (comm). */
#define LINUX_MAX_TASKS 256
struct linux_tasks
{
    struct linux_task { DWORD tid; ULONGLONG ns; char comm[16]; } items[LINUX_MAX_TASKS];
    unsigned int count;
};

static BOOL linux_tasks_read(DWORD pid, struct linux_tasks *tasks)
{
    static const char *const prefixes[] = {"\\\\?\\unix", "Z:"};
    char path[MAX_PATH], text[256];
    WIN32_FIND_DATAA data;
    struct linux_task *task;
    HANDLE find = INVALID_HANDLE_VALUE;
    unsigned int i;
    size_t len;

    tasks->count = 0;
    for (i = 0; i < ARRAY_SIZE(prefixes) && find == INVALID_HANDLE_VALUE; i++)
    {
        snprintf(path, sizeof(path), "%s\\proc\\%lu\\task\\*", prefixes[i], (unsigned long)pid);
        find = FindFirstFileA(path, &data);
    }
    if (find == INVALID_HANDLE_VALUE)
        return FALSE;
    do
    {
        if (data.cFileName[0] < '0' || data.cFileName[0] > '9' || tasks->count == LINUX_MAX_TASKS)
            continue;
        task = &tasks->items[tasks->count];
        task->tid = strtoul(data.cFileName, NULL, 10);
        /* A thread that ended since the listing is left out. */
        snprintf(path, sizeof(path), "/proc/%lu/task/%lu/schedstat", (unsigned long)pid, (unsigned long)task->tid);
        if (linux_read(path, text, sizeof(text)) < 0 || sscanf(text, "%llu", &task->ns) != 1)
            continue;
        snprintf(path, sizeof(path), "/proc/%lu/task/%lu/comm", (unsigned long)pid, (unsigned long)task->tid);
        if (linux_read(path, text, sizeof(text)) < 0)
            text[0] = 0;
        len = strcspn(text, "\n");
        text[min(len, sizeof(task->comm) - 1)] = 0;
        strcpy(task->comm, text);
        tasks->count++;
    } while (FindNextFileA(find, &data));
    FindClose(find);
    return tasks->count > 0;
}

/* The CPU time in ms that a thread spent between two readings; a thread born in between counts
 * from 0. Threads that ended in between are missing from after: their time is lost. */
static double linux_task_ms(const struct linux_tasks *before, const struct linux_task *task)
{
    unsigned int i;

    for (i = 0; i < before->count; i++)
        if (before->items[i].tid == task->tid)
            return (double)(task->ns - min(task->ns, before->items[i].ns)) / 1e6;
    return (double)task->ns / 1e6;
}

/* --- uncontended -------------------------------------------------------------------------- */

/* Timed batches of calls. The mean is the figure; the median batch (weighted by calls) says what
 * a call costs when no other process took the CPU during the batch. */
struct batches
{
    struct batch { double ticks_per_call; UINT32 calls; } *items;
    SIZE_T count, size;
    ULONGLONG calls, ticks;
};

static BOOL batches_add(struct batches *batches, LONGLONG ticks, UINT32 calls)
{
    if (!calls)
        return TRUE;
    if (batches->count == batches->size)
    {
        SIZE_T size = max(batches->size * 2, 1024);
        struct batch *items = realloc(batches->items, size * sizeof(*items));

        if (!items)
            return FALSE;
        batches->items = items;
        batches->size = size;
    }
    batches->items[batches->count].ticks_per_call = (double)ticks / calls;
    batches->items[batches->count++].calls = calls;
    batches->calls += calls;
    batches->ticks += ticks;
    return TRUE;
}

static int compare_batches(const void *a, const void *b)
{
    const struct batch *x = a, *y = b;

    return x->ticks_per_call < y->ticks_per_call ? -1 : x->ticks_per_call > y->ticks_per_call;
}

static void batches_report(struct batches *batches, const char *key)
{
    ULONGLONG seen = 0;
    SIZE_T i;

    figure(ticks_to_ns((double)batches->ticks / batches->calls), "ns", "%s", key);
    qsort(batches->items, batches->count, sizeof(*batches->items), compare_batches);
    for (i = 0; i < batches->count - 1; i++)
        if ((seen += batches->items[i].calls) * 2 >= batches->calls)
            break;
    figure(ticks_to_ns(batches->items[i].ticks_per_call), "ns", "%s.median", key);
}

static void uncontended_na(HRESULT hr)
{
    figure_na(hr, "uncontended.padding");
    figure_na(hr, "uncontended.padding.median");
    figure_na(hr, "uncontended.buffer");
    figure_na(hr, "uncontended.buffer.median");
}

/* GetCurrentPadding in batches, the stream topped up between them. */
static HRESULT uncontended_padding(struct stream *stream, ULONGLONG calls, struct batches *batches)
{
    UINT32 padding, i;
    LONGLONG start;
    HRESULT hr = S_OK;

    while (batches->calls < calls)
    {
        start = qpc();
        for (i = 0; i < PADDING_BATCH; i++)
            if (FAILED(hr = IAudioClient_GetCurrentPadding(stream->client, &padding)))
                break;
        if (!batches_add(batches, qpc() - start, i))
            return E_OUTOFMEMORY;
        if (FAILED(hr))
            return failed("IAudioClient::GetCurrentPadding", hr);
        if (FAILED(hr = stream_feed(stream, NULL)))
            return hr;
    }
    return S_OK;
}

/* One-frame GetBuffer/ReleaseBuffer cycles in bursts, while padding leaves room. */
static HRESULT uncontended_buffer(struct stream *stream, ULONGLONG calls, struct batches *batches)
{
    LONGLONG start, progress_time = qpc();
    UINT32 padding, room, i;
    BYTE *data;
    HRESULT hr = S_OK;

    while (batches->calls < calls)
    {
        if (FAILED(hr = IAudioClient_GetCurrentPadding(stream->client, &padding)))
            return failed("IAudioClient::GetCurrentPadding", hr);
        if (padding >= stream->buffer_frames)
        {
            if (seconds_since(progress_time) > STALL_SECONDS)
                return failed("the stream stays full: playback", HRESULT_FROM_WIN32(ERROR_TIMEOUT));
            Sleep(1);
            continue;
        }
        progress_time = qpc();
        room = stream->buffer_frames - padding;
        start = qpc();
        for (i = 0; i < room; i++)
        {
            if (FAILED(hr = IAudioRenderClient_GetBuffer(stream->render, 1, &data)))
                break;
            write_tone(stream, data, 1);
            if (FAILED(hr = IAudioRenderClient_ReleaseBuffer(stream->render, 1, 0)))
                break;
        }
        if (!batches_add(batches, qpc() - start, i))
            return E_OUTOFMEMORY;
        if (FAILED(hr))
            return failed("IAudioRenderClient::GetBuffer/ReleaseBuffer", hr);
    }
    return S_OK;
}

static void bench_uncontended(IMMDevice *device, const struct options *opt)
{
    struct batches batches = {0};
    struct stream stream;
    HRESULT hr;

    progress("uncontended: one stream, %llu calls of each kind", opt->calls);
    if (FAILED(hr = stream_open(device, &stream)))
    {
        uncontended_na(hr);
        return;
    }

    if (SUCCEEDED(hr = uncontended_padding(&stream, opt->calls, &batches)))
        batches_report(&batches, "uncontended.padding");
    else
    {
        figure_na(hr, "uncontended.padding");
        figure_na(hr, "uncontended.padding.median");
    }

    free(batches.items);
    memset(&batches, 0, sizeof(batches));
    if (SUCCEEDED(hr = uncontended_buffer(&stream, opt->calls, &batches)))
        batches_report(&batches, "uncontended.buffer");
    else
    {
        figure_na(hr, "uncontended.buffer");
        figure_na(hr, "uncontended.buffer.median");
    }
    free(batches.items);

    stream_close(&stream);
}

/* --- contended ---------------------------------------------------------------------------- */

/* Stores the time since *prev, the end of the previous sample, and starts the next one. */
static inline void record(UINT32 **out, LONGLONG *prev, UINT32 kind)
{
    LONGLONG now = qpc();

    *(*out)++ = kind | (UINT32)min(now - *prev, (LONGLONG)SAMPLE_TICKS);
    *prev = now;
}

static DWORD WINAPI hammer_main(void *arg)
{
    struct hammer *hammer = arg;
    struct stream *stream = hammer->stream;
    UINT32 *out = hammer->samples, *end = hammer->samples + hammer->capacity;
    LONGLONG prev;
    UINT32 padding;
    BYTE *data;
    HRESULT hr = S_OK;

    WaitForSingleObject(hammer_start, INFINITE);
    prev = qpc();
    if (!stream)
    {
        while (!hammer_stop && out < end)
            record(&out, &prev, 0);
        hammer->count = out - hammer->samples;
        return 0;
    }

    while (!hammer_stop && end - out >= 3)
    {
        hr = IAudioClient_GetCurrentPadding(stream->client, &padding);
        record(&out, &prev, 0);
        if (FAILED(hr))
        {
            failed("IAudioClient::GetCurrentPadding", hr);
            break;
        }
        if (padding >= stream->buffer_frames)
            continue;

        hr = IAudioRenderClient_GetBuffer(stream->render, 1, &data);
        record(&out, &prev, SAMPLE_BUFFER);
        if (FAILED(hr))
        {
            failed("IAudioRenderClient::GetBuffer", hr);
            break;
        }
        write_tone(stream, data, 1);
        hr = IAudioRenderClient_ReleaseBuffer(stream->render, 1, 0);
        record(&out, &prev, SAMPLE_BUFFER);
        if (FAILED(hr))
        {
            failed("IAudioRenderClient::ReleaseBuffer", hr);
            break;
        }
        stream->written++;
    }
    hammer->count = out - hammer->samples;
    hammer->hr = hr;
    if (out >= end - 2 && !hammer_stop)
        progress("a thread filled its %lu samples before the end of the run", (unsigned long)hammer->capacity);
    return 0;
}

/* Runs the threads for the given time; FALSE when one could not be created. */
static BOOL hammers_run(struct hammer *hammers, unsigned int count, double seconds)
{
    unsigned int i, started;

    hammer_stop = 0;
    ResetEvent(hammer_start);
    for (started = 0; started < count; started++)
    {
        hammers[started].count = 0;
        hammers[started].hr = S_OK;
        if (!(hammers[started].thread = CreateThread(NULL, 0, hammer_main, &hammers[started], 0, NULL)))
        {
            progress("CreateThread failed: %lu", GetLastError());
            break;
        }
    }
    SetEvent(hammer_start);
    if (started == count)
        Sleep((DWORD)(seconds * 1000.0));
    hammer_stop = 1;
    for (i = 0; i < started; i++)
    {
        WaitForSingleObject(hammers[i].thread, INFINITE);
        CloseHandle(hammers[i].thread);
    }
    return started == count;
}

/* The 1-based rank of the p-th quantile of count sorted values, by nearest rank: the smallest
 * value with at least p * count values at or below it. */
static ULONGLONG nearest_rank(double p, ULONGLONG count)
{
    ULONGLONG rank = (ULONGLONG)ceil(p * (double)count);

    return rank ? rank : 1;
}

/* Percentiles of the samples of one kind (0 or SAMPLE_BUFFER) over all threads, by a counting
 * sort of their ticks; tail_only: p99.9 and beyond. */
static void report_latency(const struct hammer *hammers, unsigned int count, UINT32 *hist,
                           UINT32 kind, const char *prefix, BOOL tail_only)
{
    static const struct { double p; const char *name; } percentiles[] =
        {{0.50, "p50"}, {0.99, "p99"}, {0.999, "p99.9"}, {0.9999, "p99.99"}};
    ULONGLONG total = 0, seen;
    UINT32 max = 0, ticks;
    unsigned int i, p;
    SIZE_T j;

    memset(hist, 0, HIST_BINS * sizeof(*hist));
    for (i = 0; i < count; i++)
    {
        for (j = 0; j < hammers[i].count; j++)
        {
            if ((hammers[i].samples[j] & SAMPLE_BUFFER) != kind)
                continue;
            ticks = hammers[i].samples[j] & SAMPLE_TICKS;
            if (ticks > max) max = ticks;
            hist[min(ticks, HIST_BINS - 1)]++;
            total++;
        }
    }
    figure((double)total, "count", "%s.calls", prefix);
    if (!total)
        return;
    for (p = tail_only ? 2 : 0; p < ARRAY_SIZE(percentiles); p++)
    {
        ULONGLONG rank = nearest_rank(percentiles[p].p, total);

        for (seen = 0, ticks = 0; ticks < HIST_BINS; ticks++)
            if ((seen += hist[ticks]) >= rank)
                break;
        figure(ticks_to_ns(ticks), "ns", "%s.%s", prefix, percentiles[p].name);
    }
    figure(ticks_to_ns(max), "ns", "%s.max", prefix);
}

static void contended_na(unsigned int threads, HRESULT hr)
{
    static const char *const kinds[] = {"padding", "buffer"};
    static const char *const names[] = {"calls", "p50", "p99", "p99.9", "p99.99", "max"};
    unsigned int k, n;

    for (k = 0; k < ARRAY_SIZE(kinds); k++)
        for (n = 0; n < ARRAY_SIZE(names); n++)
            figure_na(hr, "contended.t%u.%s.%s", threads, kinds[k], names[n]);
    figure_na(hr, "contended.t%u.floor.calls", threads);
    figure_na(hr, "contended.t%u.floor.p99.9", threads);
    figure_na(hr, "contended.t%u.floor.p99.99", threads);
    figure_na(hr, "contended.t%u.floor.max", threads);
}

static void bench_contended(IMMDevice *device, const struct options *opt)
{
    static const unsigned int thread_counts[] = {2, BENCH_MAX_HAMMERS};
    struct hammer hammers[BENCH_MAX_HAMMERS];
    struct stream *streams;
    struct feeder feeder;
    UINT32 *hist = NULL;
    SIZE_T capacity;
    unsigned int i, t, threads;
    char prefix[32];
    HRESULT hr = E_OUTOFMEMORY;

    memset(hammers, 0, sizeof(hammers));
    /* One sample takes at least one QueryPerformanceCounter (about 70 ns under Wine 8): 16 M
     * samples a second is more than a thread can make. Touched now, not during the run. */
    capacity = (SIZE_T)(max(opt->contended_seconds, opt->floor_seconds) * 16e6) + 16;
    for (i = 0; i < BENCH_MAX_HAMMERS; i++)
    {
        if (!(hammers[i].samples = VirtualAlloc(NULL, capacity * sizeof(UINT32),
                                                MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE)))
        {
            progress("cannot allocate %lu MB for the samples", (unsigned long)(capacity * sizeof(UINT32) >> 20));
            goto out;
        }
        memset(hammers[i].samples, 0xff, capacity * sizeof(UINT32));
        hammers[i].capacity = capacity;
    }
    if (!(hist = malloc(HIST_BINS * sizeof(*hist))) ||
        !(streams = calloc(opt->streams, sizeof(*streams))))
        goto out;

    progress("contended: %u streams, 2 then 4 threads for %g s each", opt->streams, opt->contended_seconds);
    if (FAILED(hr = streams_open(device, streams, opt->streams)))
    {
        free(streams);
        goto out;
    }
    if (!feeder_start(&feeder, streams, opt->streams))
    {
        hr = E_FAIL;
        streams_close(streams, opt->streams);
        free(streams);
        goto out;
    }

    for (t = 0; t < ARRAY_SIZE(thread_counts); t++)
    {
        threads = thread_counts[t];
        if (threads > opt->streams)
        {
            contended_na(threads, E_INVALIDARG);
            continue;
        }
        /* Let the feeder settle the streams the threads take over, then hand them over. */
        Sleep(100);
        feeder_set_owned(&feeder, threads);
        for (i = 0; i < threads; i++)
            hammers[i].stream = &streams[i];
        if (!hammers_run(hammers, threads, opt->contended_seconds))
        {
            feeder_set_owned(&feeder, 0);
            contended_na(threads, E_FAIL);
            continue;
        }
        for (i = 0, hr = S_OK; i < threads && SUCCEEDED(hr); i++)
            hr = hammers[i].hr;
        if (FAILED(hr))
        {
            feeder_set_owned(&feeder, 0);
            contended_na(threads, hr);
            continue;
        }
        snprintf(prefix, sizeof(prefix), "contended.t%u.padding", threads);
        report_latency(hammers, threads, hist, 0, prefix, FALSE);
        snprintf(prefix, sizeof(prefix), "contended.t%u.buffer", threads);
        report_latency(hammers, threads, hist, SAMPLE_BUFFER, prefix, FALSE);

        /* The floor, under the same load: the feeder takes every stream back. */
        feeder_set_owned(&feeder, 0);
        for (i = 0; i < threads; i++)
            hammers[i].stream = NULL;
        snprintf(prefix, sizeof(prefix), "contended.t%u.floor", threads);
        if (hammers_run(hammers, threads, opt->floor_seconds))
            report_latency(hammers, threads, hist, 0, prefix, TRUE);
        else
            figure_na(E_FAIL, "%s.calls", prefix);
    }

    hr = feeder_stop(&feeder);
    if (FAILED(hr))
        progress("the feeder failed: 0x%08lx (figures above are from a partly fed load)", (unsigned long)hr);
    streams_close(streams, opt->streams);
    free(streams);
    hr = S_OK;

out:
    if (FAILED(hr))
        for (t = 0; t < ARRAY_SIZE(thread_counts); t++)
            contended_na(thread_counts[t], hr);
    free(hist);
    for (i = 0; i < BENCH_MAX_HAMMERS; i++)
        if (hammers[i].samples)
            VirtualFree(hammers[i].samples, 0, MEM_RELEASE);
}

/* --- CPU ---------------------------------------------------------------------------------- */

static void cpu_na(const struct options *opt, HRESULT hr)
{
    figure_na(hr, "cpu.streams");
    figure_na(hr, "cpu.seconds");
    figure_na(hr, "cpu.process");
    figure_na(hr, "cpu.feeder");
    if (opt->server_pid)
    {
        figure_na(hr, "cpu.server");
        figure_na(hr, "cpu.server_idle");
    }
    figure_na(hr, "cpu.consumed");
}

/* The server's CPU time a second over idle_seconds, while this process plays nothing: what its
 * other clients (the harness's) cost. -1 when it cannot be read. */
static double server_idle_rate(const struct options *opt)
{
    double before, after;
    LONGLONG start;

    if (!opt->server_pid || (before = linux_cpu_ms(opt->server_pid)) < 0)
        return -1.0;
    progress("cpu: the server's own load, for %g s", opt->idle_seconds);
    start = qpc();
    Sleep((DWORD)(opt->idle_seconds * 1000.0));
    if ((after = linux_cpu_ms(opt->server_pid)) < 0)
        return -1.0;
    return (after - before) / seconds_since(start);
}

static double thread_cpu_ms(HANDLE thread)
{
    FILETIME creation, exit, kernel, user;

    if (!GetThreadTimes(thread, &creation, &exit, &kernel, &user))
        return -1.0;
    return filetime_ms(&kernel) + filetime_ms(&user);
}

/* CPU time of the process, of its feeder thread and of the server, over the window. */
struct cpu_sample
{
    LONGLONG time;
    ULONGLONG written;
    double process, feeder, server;
};

static void cpu_sample(const struct options *opt, struct feeder *feeder, struct cpu_sample *sample)
{
    unsigned int i;

    /* The feeder is between two rounds: the frame count is exact. */
    EnterCriticalSection(&feeder->cs);
    sample->time = qpc();
    sample->process = process_cpu_ms();
    sample->feeder = thread_cpu_ms(feeder->thread);
    sample->server = opt->server_pid ? linux_cpu_ms(opt->server_pid) : -1.0;
    for (sample->written = 0, i = 0; i < feeder->count; i++)
        sample->written += feeder->streams[i].written;
    LeaveCriticalSection(&feeder->cs);
}

static void bench_cpu(IMMDevice *device, const struct options *opt, double idle_before)
{
    struct stream *streams;
    struct feeder feeder;
    struct cpu_sample start, end;
    double seconds, idle_after = -1.0;
    HRESULT hr;

    progress("cpu: %u streams for %g s", opt->streams, opt->cpu_seconds);
    if (!(streams = calloc(opt->streams, sizeof(*streams))))
    {
        hr = E_OUTOFMEMORY;
        goto fail;
    }
    if (FAILED(hr = streams_open(device, streams, opt->streams)))
    {
        free(streams);
        goto fail;
    }
    if (!feeder_start(&feeder, streams, opt->streams))
    {
        hr = E_FAIL;
        streams_close(streams, opt->streams);
        free(streams);
        goto fail;
    }
    cpu_sample(opt, &feeder, &start);
    Sleep((DWORD)(opt->cpu_seconds * 1000.0));
    cpu_sample(opt, &feeder, &end);
    hr = feeder_stop(&feeder);
    streams_close(streams, opt->streams);
    free(streams);
    if (FAILED(hr))
        goto fail;

    seconds = (double)(end.time - start.time) / (double)qpc_frequency.QuadPart;
    figure(opt->streams, "count", "cpu.streams");
    figure(seconds, "s", "cpu.seconds");
    figure(end.process - start.process, "ms", "cpu.process");
    if (start.feeder >= 0 && end.feeder >= 0)
        figure(end.feeder - start.feeder, "ms", "cpu.feeder");
    /* The idle load before and after, averaged: it wanders by tens of percent from one window
     * to the next. The streams are gone; give the server a moment to drop them. */
    if (idle_before >= 0)
    {
        Sleep(250);
        idle_after = server_idle_rate(opt);
    }
    if (start.server >= 0 && end.server >= 0 && idle_before >= 0 && idle_after >= 0)
    {
        figure(end.server - start.server, "ms", "cpu.server");
        figure((idle_before + idle_after) / 2 * seconds, "ms", "cpu.server_idle");
    }
    else if (opt->server_pid)
        progress("/proc/%lu/stat could not be read: no server figures", (unsigned long)opt->server_pid);
    /* Frames the streams took, against real time: near 1 when the module plays. */
    figure((double)(end.written - start.written) / (opt->streams * (double)BENCH_RATE * seconds), "ratio",
           "cpu.consumed");
    return;

fail:
    cpu_na(opt, hr);
}

/* --- the engine --------------------------------------------------------------------------- */

/* Busy threads of this process at normal priority, one a CPU. */
struct load
{
    volatile LONG stop;
    HANDLE threads[64];
    unsigned int count;
};

static DWORD WINAPI load_main(void *arg)
{
    const volatile LONG *stop = arg;

    while (!*stop)
        ;
    return 0;
}

static void load_end(struct load *load)
{
    unsigned int i;

    load->stop = 1;
    for (i = 0; i < load->count; i++)
    {
        WaitForSingleObject(load->threads[i], INFINITE);
        CloseHandle(load->threads[i]);
    }
}

/* FALSE when a thread could not be created; then none runs. */
static BOOL load_begin(struct load *load)
{
    SYSTEM_INFO info;
    unsigned int cpus;

    GetSystemInfo(&info);
    cpus = min(info.dwNumberOfProcessors, ARRAY_SIZE(load->threads));
    load->stop = 0;
    for (load->count = 0; load->count < cpus; load->count++)
    {
        if (!(load->threads[load->count] = CreateThread(NULL, 0, load_main, (void *)&load->stop, 0, NULL)))
        {
            progress("CreateThread failed: %lu", GetLastError());
            load_end(load);
            return FALSE;
        }
    }
    return TRUE;
}

/* Serves an event-driven stream as a program does, a refill at each wake-up, for settle +
 * seconds; the intervals between wake-ups after the first settle seconds go to intervals (in ms,
 * at most capacity of them). */
static HRESULT serve_events(struct stream *stream, HANDLE event, double settle, double seconds,
                            double *intervals, SIZE_T capacity, SIZE_T *count)
{
    LONGLONG start = qpc(), prev = 0, now;
    HRESULT hr;

    *count = 0;
    while (seconds_since(start) < settle + seconds)
    {
        if (WaitForSingleObject(event, (DWORD)(STALL_SECONDS * 1000.0)) != WAIT_OBJECT_0)
            return failed("WaitForSingleObject(the stream's event)", HRESULT_FROM_WIN32(ERROR_TIMEOUT));
        now = qpc();
        if (prev && *count < capacity && seconds_since(start) >= settle)
            intervals[(*count)++] = ticks_to_ns(now - prev) / 1e6;
        prev = now;
        if (FAILED(hr = stream_feed(stream, NULL)))
            return hr;
    }
    return S_OK;
}

static int compare_doubles(const void *a, const void *b)
{
    const double *x = a, *y = b;

    return *x < *y ? -1 : *x > *y;
}

/* clock: one read in seconds, the position (position / frequency) and its QPC time. */
struct clock_read
{
    double position, time;
};

static void clock_na(HRESULT hr)
{
    static const char *const names[] = {"reads", "jump", "deviation", "slope", "backwards", "ahead"};
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(names); i++)
        figure_na(hr, "clock.%s", names[i]);
}

static void clock_report(const struct clock_read *reads, SIZE_T count, unsigned int ahead)
{
    double moved, jump = 0.0, deviation = 0.0, mean_time = 0.0, mean_position = 0.0;
    double sxx = 0.0, sxy = 0.0, slope;
    unsigned int backwards = 0;
    SIZE_T i, first, n;

    for (i = 1; i < count; i++)
    {
        moved = reads[i].position - reads[i - 1].position;
        jump = max(jump, fabs(moved - (reads[i].time - reads[i - 1].time)));
        if (moved < 0) backwards++;
    }
    figure(count, "count", "clock.reads");
    figure(jump * 1e3, "ms", "clock.jump");

    /* The least-squares line of position against time, after the start. */
    for (first = 0; first < count && reads[first].time - reads[0].time < SETTLE_SECONDS; first++)
        ;
    n = count - first;
    for (i = first; i < count; i++)
    {
        mean_time += reads[i].time / n;
        mean_position += reads[i].position / n;
    }
    for (i = first; i < count; i++)
    {
        sxx += (reads[i].time - mean_time) * (reads[i].time - mean_time);
        sxy += (reads[i].time - mean_time) * (reads[i].position - mean_position);
    }
    if (n >= 2 && sxx > 0)
    {
        slope = sxy / sxx;
        for (i = first; i < count; i++)
            deviation = max(deviation, fabs(reads[i].position - mean_position - slope * (reads[i].time - mean_time)));
        figure(deviation * 1e3, "ms", "clock.deviation");
        figure(slope, "ratio", "clock.slope");
    }
    else
    {
        progress("clock: %lu reads after the first %g s, all at one time: no line", (unsigned long)n, SETTLE_SECONDS);
        figure_na(E_FAIL, "clock.deviation");
        figure_na(E_FAIL, "clock.slope");
    }
    figure(backwards, "count", "clock.backwards");
    figure(ahead, "count", "clock.ahead");
}

static void bench_clock(IMMDevice *device, const struct options *opt)
{
    struct clock_read *reads;
    struct stream stream;
    IAudioClock *clock = NULL;
    UINT64 frequency, position, time;
    SIZE_T count = 0, capacity;
    unsigned int ahead = 0;
    LONGLONG start;
    HRESULT hr;

    progress("clock: one stream in the mix format, its position read every %u ms for %g s", POLL_MS,
             opt->engine_seconds);
    /* Sleep(1) sleeps at least 1 ms: at most one read a millisecond. */
    capacity = (SIZE_T)(opt->engine_seconds * 1000.0 / POLL_MS) + 1;
    if (!(reads = malloc(capacity * sizeof(*reads))))
    {
        clock_na(E_OUTOFMEMORY);
        return;
    }
    if (FAILED(hr = stream_init(device, &stream, NULL, 0, BENCH_BUFFER_HNS, 0, NULL)))
        goto done;
    if (FAILED(hr = IAudioClient_GetService(stream.client, &IID_IAudioClock, (void **)&clock)))
    {
        clock = NULL;
        failed("IAudioClient::GetService(IAudioClock)", hr);
        goto done;
    }
    if (FAILED(hr = IAudioClock_GetFrequency(clock, &frequency)))
    {
        failed("IAudioClock::GetFrequency", hr);
        goto done;
    }
    if (FAILED(hr = stream_start(&stream)))
        goto done;
    timeBeginPeriod(1);
    start = qpc();
    while (count < capacity && seconds_since(start) < opt->engine_seconds)
    {
        if (FAILED(hr = stream_feed(&stream, NULL)))
            break;
        if (FAILED(hr = IAudioClock_GetPosition(clock, &position, &time)))
        {
            failed("IAudioClock::GetPosition", hr);
            break;
        }
        /* position / frequency > written / rate, in integers. */
        if (position * stream.rate > stream.written * frequency)
            ahead++;
        reads[count].position = (double)position / (double)frequency;
        reads[count++].time = (double)time / 1e7;   /* in 100 ns units */
        Sleep(POLL_MS);
    }
    timeEndPeriod(1);

done:
    if (clock) IAudioClock_Release(clock);
    stream_close(&stream);
    if (SUCCEEDED(hr))
        clock_report(reads, count, ahead);
    else
        clock_na(hr);
    free(reads);
}

/* wakeups */

static void wakeups_na(HRESULT hr, const char *prefix)
{
    static const char *const names[] = {"intervals", "p50", "p99", "error.p99", "error.max"};
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(names); i++)
        figure_na(hr, "%s.%s", prefix, names[i]);
}

static void wakeups_phase_na(HRESULT hr)
{
    figure_na(hr, "wakeups.period");
    wakeups_na(hr, "wakeups");
    figure_na(hr, "wakeups.loaded.threads");
    wakeups_na(hr, "wakeups.loaded");
}

/* Serves the stream for --engine-seconds and reports the intervals between wake-ups and their
 * distance from the period (ms). */
static void wakeups_measure(struct stream *stream, HANDLE event, double settle, const struct options *opt,
                            double *intervals, SIZE_T capacity, double period, const char *prefix)
{
    SIZE_T i, count;
    HRESULT hr;

    if (FAILED(hr = serve_events(stream, event, settle, opt->engine_seconds, intervals, capacity, &count)))
    {
        wakeups_na(hr, prefix);
        return;
    }
    figure(count, "count", "%s.intervals", prefix);
    if (!count)
        return;
    qsort(intervals, count, sizeof(*intervals), compare_doubles);
    figure(intervals[nearest_rank(0.50, count) - 1], "ms", "%s.p50", prefix);
    figure(intervals[nearest_rank(0.99, count) - 1], "ms", "%s.p99", prefix);
    for (i = 0; i < count; i++)
        intervals[i] = fabs(intervals[i] - period);
    qsort(intervals, count, sizeof(*intervals), compare_doubles);
    figure(intervals[nearest_rank(0.99, count) - 1], "ms", "%s.error.p99", prefix);
    figure(intervals[count - 1], "ms", "%s.error.max", prefix);
}

static void bench_wakeups(IMMDevice *device, const struct options *opt)
{
    REFERENCE_TIME period, min_period;
    struct stream stream;
    struct load load;
    double *intervals;
    SIZE_T capacity;
    HANDLE event;
    HRESULT hr = E_OUTOFMEMORY;

    progress("wakeups: one event-driven stream in the mix format, %g s with the machine idle, then %g s "
             "with every CPU busy", opt->engine_seconds, opt->engine_seconds);
    /* Room for a wake-up every half millisecond. */
    capacity = (SIZE_T)(opt->engine_seconds * 2000.0) + 16;
    intervals = malloc(capacity * sizeof(*intervals));
    event = CreateEventW(NULL, FALSE, FALSE, NULL);
    memset(&stream, 0, sizeof(stream));
    if (!intervals || !event)
        goto fail;
    if (FAILED(hr = stream_init(device, &stream, NULL, AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 0, 0, event)))
        goto fail;
    if (FAILED(hr = IAudioClient_GetDevicePeriod(stream.client, &period, &min_period)))
    {
        failed("IAudioClient::GetDevicePeriod", hr);
        goto fail;
    }
    if (FAILED(hr = stream_start(&stream)))
        goto fail;

    figure(period / 1e4, "ms", "wakeups.period");
    wakeups_measure(&stream, event, SETTLE_SECONDS, opt, intervals, capacity, period / 1e4, "wakeups");
    if (load_begin(&load))
    {
        figure(load.count, "count", "wakeups.loaded.threads");
        wakeups_measure(&stream, event, 0.0, opt, intervals, capacity, period / 1e4, "wakeups.loaded");
        load_end(&load);
    }
    else
    {
        figure_na(E_FAIL, "wakeups.loaded.threads");
        wakeups_na(E_FAIL, "wakeups.loaded");
    }
    goto done;

fail:
    wakeups_phase_na(hr);
done:
    stream_close(&stream);
    if (event) CloseHandle(event);
    free(intervals);
}

/* enginecpu */

#define ENGINE_THREAD_NAME "mmdevapi engine"    /* our engine thread's comm */

static void engine_cpu_na(HRESULT hr, const char *name)
{
    figure_na(hr, "enginecpu.%s.process", name);
    figure_na(hr, "enginecpu.%s.others", name);
    figure_na(hr, "enginecpu.%s.engine", name);
    figure_na(hr, "enginecpu.%s.events", name);
}

/* After SETTLE_SECONDS, over --engine-seconds: the CPU time a second of the whole process, of
 * its threads but the calling one ("others": what the audio stack runs beside the program), of
 * the thread named ENGINE_THREAD_NAME, and of the server (--server-pid), from the threads'
 * schedstat; and how often the event fires. With a stream, each event refills it (it plays);
 * without, the events are only counted. */
static HRESULT engine_cpu_measure(struct stream *stream, HANDLE event, const struct options *opt,
                                  const char *name)
{
    static struct linux_tasks before, after, server_before, server_after;
    double left, seconds, process = 0.0, others = 0.0, engine = -1.0, server = 0.0, ms;
    DWORD pid = linux_process_self(), self = pid;
    unsigned int events = 0, i;
    BOOL have_server;
    LONGLONG start;
    HRESULT hr;

    for (i = 0; i < 2; i++)
    {
        /* An auto-reset event: each wait that finds it set resets it. */
        ResetEvent(event);
        if (i)
        {
            have_server = opt->server_pid && linux_tasks_read(opt->server_pid, &server_before);
            if (!pid || !linux_tasks_read(pid, &before))
                return failed("finding this process's threads in /proc", E_FAIL);
        }
        events = 0;
        start = qpc();
        while ((left = (i ? opt->engine_seconds : SETTLE_SECONDS) - seconds_since(start)) > 0)
        {
            if (WaitForSingleObject(event, (DWORD)ceil(left * 1000.0)) != WAIT_OBJECT_0)
                continue;
            events++;
            if (stream && FAILED(hr = stream_feed(stream, NULL)))
                return hr;
        }
    }
    seconds = seconds_since(start);
    if (!linux_tasks_read(pid, &after))
        return failed("reading this process's threads in /proc", E_FAIL);
    have_server = have_server && linux_tasks_read(opt->server_pid, &server_after);

    for (i = 0; i < after.count; i++)
    {
        ms = linux_task_ms(&before, &after.items[i]);
        process += ms;
        if (after.items[i].tid != self)
            others += ms;
        if (!strcmp(after.items[i].comm, ENGINE_THREAD_NAME))
            engine = max(engine, 0.0) + ms;
        /* Which threads the others are, on stderr. */
        if (after.items[i].tid != self && ms / seconds >= 0.1)
            progress("enginecpu.%s: thread %lu \"%s\" %.2f ms/s", name, (unsigned long)after.items[i].tid,
                     after.items[i].comm, ms / seconds);
    }
    for (i = 0; have_server && i < server_after.count; i++)
        server += linux_task_ms(&server_before, &server_after.items[i]);

    figure(process / seconds, "ms/s", "enginecpu.%s.process", name);
    figure(others / seconds, "ms/s", "enginecpu.%s.others", name);
    if (engine >= 0)
        figure(engine / seconds, "ms/s", "enginecpu.%s.engine", name);
    else    /* stock Wine names no thread so */
        printf("enginecpu.%s.engine none\n", name);
    if (have_server)
        figure(server / seconds, "ms/s", "enginecpu.%s.server", name);
    figure(events, "count", "enginecpu.%s.events", name);
    return S_OK;
}

/* One event-driven stream in the mix format, a new one for each case: initialized and never
 * started; started with nothing ever written; kept full with the tone; stopped after that. */
static void bench_engine_cpu(IMMDevice *device, const struct options *opt)
{
    struct stream stream;
    HANDLE event;
    HRESULT hr;

    progress("enginecpu: one event-driven stream unstarted, started empty, playing, stopped; "
             "%g s each after %g s", opt->engine_seconds, SETTLE_SECONDS);
    if (!(event = CreateEventW(NULL, FALSE, FALSE, NULL)))
    {
        engine_cpu_na(E_FAIL, "unstarted");
        engine_cpu_na(E_FAIL, "empty");
        engine_cpu_na(E_FAIL, "playing");
        engine_cpu_na(E_FAIL, "stopped");
        return;
    }

    if (FAILED(hr = stream_init(device, &stream, NULL, AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 0, 0, event)) ||
        FAILED(hr = engine_cpu_measure(NULL, event, opt, "unstarted")))
        engine_cpu_na(hr, "unstarted");
    stream_close(&stream);

    if (SUCCEEDED(hr = stream_init(device, &stream, NULL, AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 0, 0, event)) &&
        FAILED(hr = IAudioClient_Start(stream.client)))
        failed("IAudioClient::Start", hr);
    if (FAILED(hr) || FAILED(hr = engine_cpu_measure(NULL, event, opt, "empty")))
        engine_cpu_na(hr, "empty");
    stream_close(&stream);

    if (FAILED(hr = stream_init(device, &stream, NULL, AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 0, 0, event)) ||
        FAILED(hr = stream_start(&stream)) ||
        FAILED(hr = engine_cpu_measure(&stream, event, opt, "playing")))
        engine_cpu_na(hr, "playing");
    if (SUCCEEDED(hr) && FAILED(hr = IAudioClient_Stop(stream.client)))
        failed("IAudioClient::Stop", hr);
    if (FAILED(hr) || FAILED(hr = engine_cpu_measure(NULL, event, opt, "stopped")))
        engine_cpu_na(hr, "stopped");
    stream_close(&stream);
    CloseHandle(event);
}

/* periods */

#define PERIODS_MAX         8
#define COUNTING_SCALE      1048576.0f  /* frame k of the counting signal: (k + 1) / 2^20 */

/* Frame k of the counting signal: (k + 1) / 2^20 in one channel and its negative in the other,
 * exact in float for k < 2^24; the channel that is positive alternates from one run to the next
 * (sign 1 or -1), so that a run's frames are not taken for the one's before. */
static void write_counting(struct stream *stream, float sign, UINT32 frames)
{
    BYTE *data;
    float *out;
    UINT32 i;
    HRESULT hr;

    if (FAILED(hr = IAudioRenderClient_GetBuffer(stream->render, frames, &data)))
    {
        failed("IAudioRenderClient::GetBuffer", hr);
        return;
    }
    for (out = (float *)data, i = 0; i < frames; i++, out += 2)
    {
        out[0] = sign * (float)(stream->written + i + 1) / COUNTING_SCALE;
        out[1] = -out[0];
    }
    if (FAILED(hr = IAudioRenderClient_ReleaseBuffer(stream->render, frames, 0)))
        failed("IAudioRenderClient::ReleaseBuffer", hr);
    else
        stream->written += frames;
}

/* The recording of the harness's sink (MMDEVAPI_TEST_PULSE_RECORDING: raw float32 48 kHz
 * stereo, a Unix path) as a Windows path; FALSE without one. */
static BOOL recording_path(char *path, size_t size)
{
    char unix_path[MAX_PATH], *p;
    DWORD len = GetEnvironmentVariableA("MMDEVAPI_TEST_PULSE_RECORDING", unix_path, sizeof(unix_path));

    if (!len || len >= sizeof(unix_path) || unix_path[0] != '/')
        return FALSE;
    snprintf(path, size, "Z:%s", unix_path);
    for (p = path; *p; p++)
        if (*p == '/') *p = '\\';
    return TRUE;
}

/* Whole frames in the recording; 0 when there is none. */
static ULONGLONG recording_frames(const char *path)
{
    WIN32_FILE_ATTRIBUTE_DATA data;

    if (!GetFileAttributesExA(path, GetFileExInfoStandard, &data))
        return 0;
    return (((ULONGLONG)data.nFileSizeHigh << 32) | data.nFileSizeLow) / (2 * sizeof(float));
}

/* The counting signal as the recording has it from frame start on. A hole is where the frames
 * stop following each other: silence (or anything else) in between, counted in frames, or
 * frames missing without silence (dropped, or the recorder's overrun), or a frame again. The
 * silence after the last frame recorded is the stop, not a hole. */
struct holes
{
    unsigned int holes;
    ULONGLONG silence;          /* frames between two counting frames that are not the next one */
    ULONGLONG missing;          /* counting frames never recorded, before the last one recorded */
    ULONGLONG frames;           /* counting frames recorded */
};

static BOOL recording_holes(const char *path, ULONGLONG start, float sign, struct holes *holes)
{
    ULONGLONG end = recording_frames(path), expected = 0, pending = 0, k;
    LARGE_INTEGER offset;
    DWORD size, done = 0, i, n;
    float *buf, value;
    HANDLE file;

    memset(holes, 0, sizeof(*holes));
    if (end <= start)
        return FALSE;
    file = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                       OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return FALSE;
    offset.QuadPart = start * 2 * sizeof(float);
    size = 1 << 20;
    if (!(buf = malloc(size)) || !SetFilePointerEx(file, offset, NULL, FILE_BEGIN))
    {
        free(buf);
        CloseHandle(file);
        return FALSE;
    }
    while (ReadFile(file, buf, size, &done, NULL) && (n = done / (2 * sizeof(float))))
    {
        for (i = 0; i < n; i++)
        {
            value = sign * buf[2 * i] * COUNTING_SCALE;
            if (value >= 1.0f && value == floorf(value) && buf[2 * i + 1] == -buf[2 * i])
            {
                k = (ULONGLONG)value - 1;
                if (k != expected || pending)
                {
                    holes->holes++;
                    holes->silence += pending;
                    if (k > expected) holes->missing += k - expected;
                }
                holes->frames++;
                pending = 0;
                expected = k + 1;
            }
            else if (holes->frames)
                pending++;
        }
        /* A part frame at the end of a read: the file is read from a frame's start again. */
        if (done % (2 * sizeof(float)))
        {
            offset.QuadPart = -(LONGLONG)(done % (2 * sizeof(float)));
            SetFilePointerEx(file, offset, NULL, FILE_CURRENT);
        }
    }
    free(buf);
    CloseHandle(file);
    return holes->frames > 0;
}

/* The periods of IAudioClient3 to try: the smallest, doubling while under the default (rounded up
 * to the fundamental), and the default. */
static unsigned int period_list(UINT32 def, UINT32 fundamental, UINT32 smallest, UINT32 *list)
{
    unsigned int count = 0;
    UINT32 period = smallest;

    while (period && period < def && count < PERIODS_MAX - 1)
    {
        list[count++] = period;
        period *= 2;
        if (fundamental) period = (period + fundamental - 1) / fundamental * fundamental;
    }
    list[count++] = def;
    return count;
}

static void periods_na(HRESULT hr, UINT32 period)
{
    static const char *const names[] = {"buffer", "events", "dry", "stalls", "holes", "hole_ms", "missing", "recorded"};
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(names); i++)
        figure_na(hr, "periods.%u.%s", period, names[i]);
}

/* One event-driven stream of the period (through IAudioClient3, or without it the default period
 * of IAudioClient::Initialize), the counting signal, buffer - padding written on each event, for
 * --period-seconds with every CPU busy; TRUE when it played without a hole or a stall (a wait of
 * STALL_SECONDS without an event). */
static BOOL period_run(IMMDevice *device, UINT32 period, BOOL client3, float sign, const char *recording,
                       const struct options *opt)
{
    ULONGLONG mark = 0;
    unsigned int events = 0, dry = 0, stalls = 0;
    UINT32 buffer_frames, rate;
    struct stream stream;
    struct holes holes;
    struct load load;
    UINT32 padding;
    LONGLONG start;
    HANDLE event;
    BOOL loaded = FALSE;
    HRESULT hr = E_FAIL;

    memset(&stream, 0, sizeof(stream));
    if (!(event = CreateEventW(NULL, FALSE, FALSE, NULL)))
        goto done;
    if (FAILED(hr = stream_init(device, &stream, NULL, AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 0,
                                  client3 ? period : 0, event)))
        goto done;
    if (stream.tone != (const BYTE *)tone_float)
    {
        progress("periods: the mix format is not float32 stereo: no counting signal");
        hr = AUDCLNT_E_UNSUPPORTED_FORMAT;
        goto done;
    }
    if (!(loaded = load_begin(&load)))
    {
        hr = E_FAIL;
        goto done;
    }
    /* The buffer full before Start, as Microsoft's samples do. */
    write_counting(&stream, sign, stream.buffer_frames);
    if (recording) mark = recording_frames(recording);
    if (FAILED(hr = IAudioClient_Start(stream.client)))
    {
        failed("IAudioClient::Start", hr);
        goto done;
    }
    start = qpc();
    while (seconds_since(start) < opt->period_seconds)
    {
        /* An event that stays away is a finding: the run goes on. */
        if (WaitForSingleObject(event, (DWORD)(STALL_SECONDS * 1000.0)) != WAIT_OBJECT_0)
        {
            stalls++;
            continue;
        }
        events++;
        if (FAILED(hr = IAudioClient_GetCurrentPadding(stream.client, &padding)))
        {
            failed("IAudioClient::GetCurrentPadding", hr);
            goto done;
        }
        if (!padding) dry++;
        if (padding < stream.buffer_frames)
            write_counting(&stream, sign, stream.buffer_frames - padding);
    }
    IAudioClient_Stop(stream.client);

done:
    if (loaded) load_end(&load);
    buffer_frames = stream.buffer_frames;
    rate = stream.rate;
    stream_close(&stream);
    if (event) CloseHandle(event);
    if (FAILED(hr))
    {
        periods_na(hr, period);
        return FALSE;
    }
    figure(buffer_frames, "frames", "periods.%u.buffer", period);
    figure(events, "count", "periods.%u.events", period);
    figure(dry, "count", "periods.%u.dry", period);
    figure(stalls, "count", "periods.%u.stalls", period);
    /* What the sink got: give the recorder its last frames. */
    Sleep(200);
    if (!recording || !recording_holes(recording, mark, sign, &holes))
    {
        if (recording) progress("periods: the counting signal is not in the recording");
        figure_na(E_FAIL, "periods.%u.holes", period);
        figure_na(E_FAIL, "periods.%u.hole_ms", period);
        figure_na(E_FAIL, "periods.%u.missing", period);
        figure_na(E_FAIL, "periods.%u.recorded", period);
        return FALSE;
    }
    figure(holes.holes, "count", "periods.%u.holes", period);
    figure(holes.silence * 1e3 / rate, "ms", "periods.%u.hole_ms", period);
    figure(holes.missing, "count", "periods.%u.missing", period);
    figure(holes.frames / (double)rate, "s", "periods.%u.recorded", period);
    /* Clean: no hole, no stall, and the signal all there but for what was queued at Stop. */
    return !holes.holes && !stalls && holes.frames / (double)rate >= opt->period_seconds - 0.5;
}

static void bench_periods(IMMDevice *device, const struct options *opt)
{
    UINT32 def, fundamental, smallest, largest, list[PERIODS_MAX], clean = 0;
    REFERENCE_TIME def_period, min_period;
    IAudioClient3 *client3 = NULL;
    IAudioClient *client = NULL;
    WAVEFORMATEX *mix = NULL;
    char recording[MAX_PATH];
    BOOL have_recording = recording_path(recording, sizeof(recording));
    unsigned int count = 0, i;
    HRESULT hr, hr3 = E_FAIL;

    progress("periods: IAudioClient3's periods, each %g s with every CPU busy", opt->period_seconds);
    if (!have_recording)
        progress("periods: no MMDEVAPI_TEST_PULSE_RECORDING: holes are not counted");
    if (FAILED(hr = IMMDevice_Activate(device, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&client)))
    {
        client = NULL;
        failed("IMMDevice::Activate(IAudioClient)", hr);
    }
    else if (FAILED(hr = IAudioClient_GetMixFormat(client, &mix)))
        failed("IAudioClient::GetMixFormat", hr);
    else if (FAILED(hr = IAudioClient_GetDevicePeriod(client, &def_period, &min_period)))
        failed("IAudioClient::GetDevicePeriod", hr);
    else if (FAILED(hr3 = IAudioClient_QueryInterface(client, &IID_IAudioClient3, (void **)&client3)))
        client3 = NULL;
    else
        hr3 = IAudioClient3_GetSharedModeEnginePeriod(client3, mix, &def, &fundamental, &smallest, &largest);
    if (client3) IAudioClient3_Release(client3);
    if (client) IAudioClient_Release(client);
    if (SUCCEEDED(hr) && FAILED(hr3))
    {
        /* Stock Wine 8: a finding, not a failure. The default period alone, through Initialize. */
        progress("periods: IAudioClient3 gives no periods (0x%08lx): the default period only", (unsigned long)hr3);
        printf("periods.engine_periods none hr=0x%08lx\n", (unsigned long)hr3);
        def = (UINT32)(def_period * mix->nSamplesPerSec / 10000000);
    }
    CoTaskMemFree(mix);
    if (FAILED(hr))
    {
        figure_na(hr, "periods.default");
        return;
    }
    figure(def, "frames", "periods.default");
    if (SUCCEEDED(hr3))
    {
        figure(fundamental, "frames", "periods.fundamental");
        figure(smallest, "frames", "periods.min");
        figure(largest, "frames", "periods.max");
    }
    figure(opt->period_seconds, "s", "periods.seconds");

    count = SUCCEEDED(hr3) ? period_list(def, fundamental, smallest, list) : (list[0] = def, 1);
    for (i = 0; i < count; i++)
    {
        /* The stream before is gone from the sink by then. */
        Sleep(500);
        if (period_run(device, list[i], SUCCEEDED(hr3), i % 2 ? -1.0f : 1.0f,
                       have_recording ? recording : NULL, opt) && (!clean || list[i] < clean))
            clean = list[i];
    }
    if (clean)
        figure(clean, "frames", "periods.smallest_clean");
    else
        printf("periods.smallest_clean none\n");
}

/* glitches */

static void glitches_na(HRESULT hr)
{
    figure_na(hr, "glitches.threads");
    figure_na(hr, "glitches.reads");
    figure_na(hr, "glitches.empty");
}

static void bench_glitches(IMMDevice *device, const struct options *opt)
{
    double seconds = 2 * opt->engine_seconds;
    unsigned int reads = 0, empty = 0;
    struct stream stream;
    struct load load;
    UINT32 padding;
    LONGLONG start;
    HRESULT hr;

    progress("glitches: one stream in the mix format for %g s, topped up every %u ms, with every CPU busy",
             seconds, BENCH_FEED_MS);
    if (FAILED(hr = stream_init(device, &stream, NULL, 0, BENCH_BUFFER_HNS, 0, NULL)))
        goto fail;
    if (!load_begin(&load))
    {
        hr = E_FAIL;
        stream_close(&stream);
        goto fail;
    }
    if (SUCCEEDED(hr = stream_start(&stream)))
    {
        start = qpc();
        while (seconds_since(start) < seconds && SUCCEEDED(hr = stream_feed(&stream, &padding)))
        {
            reads++;
            if (!padding) empty++;
            Sleep(BENCH_FEED_MS);
        }
    }
    load_end(&load);
    stream_close(&stream);
    if (FAILED(hr))
        goto fail;
    figure(load.count, "count", "glitches.threads");
    figure(reads, "count", "glitches.reads");
    figure(empty, "count", "glitches.empty");
    return;

fail:
    glitches_na(hr);
}

/* --- main --------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fputs("Usage: wasapi-bench [OPTIONS]\n"
          "\n"
          "Measures the cost of WASAPI shared-mode render calls and of playing many streams, on\n"
          "the default render endpoint. Figures on stdout, one a line: \"key value unit\", or\n"
          "\"key n/a hr=0x...\" when a call failed. Progress and errors on stderr.\n"
          "\n"
          "Options:\n"
          "  --quick               short runs (CI smoke): 100000 calls, 1 s contended,\n"
          "                        0.5 s floor, 3 s cpu, 1 s idle, 2 s engine, 5 s\n"
          "                        each period\n"
          "  --calls N             uncontended calls of each kind (default 1000000)\n"
          "  --contended-seconds S each contended run (default 5)\n"
          "  --floor-seconds S     each timer-only run under load (default 2)\n"
          "  --cpu-seconds S       the CPU run (default 30)\n"
          "  --idle-seconds S      the server's own load, before and after the CPU run's\n"
          "                        streams (default 5 each)\n"
          "  --engine-seconds S    each clock, wakeups and enginecpu run; glitches runs\n"
          "                        twice as long (default 5)\n"
          "  --period-seconds S    each period's run of the periods phase (default 20)\n"
          "  --streams N           streams of the contended and CPU runs (default 32)\n"
          "  --server-pid PID      Linux pid of the PulseAudio server: adds its CPU time\n"
          "  --only LIST           phases to run, comma separated: uncontended, contended,\n"
          "                        cpu, clock, wakeups, enginecpu, glitches, periods,\n"
          "                        capture\n"
          "  -h, --help            this help\n"
          "\n"
          "Streams: 44100 Hz stereo int16, AUTOCONVERTPCM | SRC_DEFAULT_QUALITY, 100 ms buffer,\n"
          "polled, topped up every 10 ms by one feeder thread; the engine phases' are in the\n"
          "mix format. The file's head comment says what each figure measures.\n", out);
}

static BOOL parse_number(const char *text, double low, double high, double *value)
{
    char *end;

    *value = strtod(text, &end);
    return end != text && !*end && *value >= low && *value <= high;
}

static BOOL parse_options(int argc, char **argv, struct options *opt)
{
    double value;
    int i;

    opt->calls = 1000000;
    opt->contended_seconds = 5.0;
    opt->floor_seconds = 2.0;
    opt->cpu_seconds = 30.0;
    opt->idle_seconds = 5.0;
    opt->engine_seconds = 5.0;
    opt->streams = 32;
    opt->server_pid = 0;
    opt->uncontended = opt->contended = opt->cpu = TRUE;
    opt->period_seconds = 20.0;
    opt->clock = opt->wakeups = opt->engine_cpu = opt->glitches = opt->periods = opt->capture = TRUE;

    for (i = 1; i < argc; i++)
    {
        const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
        {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(arg, "--quick"))
        {
            opt->calls = 100000;
            opt->contended_seconds = 1.0;
            opt->floor_seconds = 0.5;
            opt->cpu_seconds = 3.0;
            opt->idle_seconds = 1.0;
            opt->engine_seconds = 2.0;
            opt->period_seconds = 5.0;
            continue;
        }
        if (!next)
            goto bad;
        if (!strcmp(arg, "--calls") && parse_number(next, 1, 1e10, &value))
            opt->calls = (ULONGLONG)value;
        else if (!strcmp(arg, "--contended-seconds") && parse_number(next, 0.01, 3600, &value))
            opt->contended_seconds = value;
        else if (!strcmp(arg, "--floor-seconds") && parse_number(next, 0.01, 3600, &value))
            opt->floor_seconds = value;
        else if (!strcmp(arg, "--cpu-seconds") && parse_number(next, 0.1, 86400, &value))
            opt->cpu_seconds = value;
        else if (!strcmp(arg, "--idle-seconds") && parse_number(next, 0.1, 3600, &value))
            opt->idle_seconds = value;
        else if (!strcmp(arg, "--engine-seconds") && parse_number(next, 1, 3600, &value))
            opt->engine_seconds = value;
        else if (!strcmp(arg, "--period-seconds") && parse_number(next, 1, 300, &value))
            opt->period_seconds = value;
        else if (!strcmp(arg, "--streams") && parse_number(next, BENCH_MAX_HAMMERS, 1024, &value))
            opt->streams = (unsigned int)value;
        else if (!strcmp(arg, "--server-pid") && parse_number(next, 1, 4194304, &value))
            opt->server_pid = (DWORD)value;
        else if (!strcmp(arg, "--only"))
        {
            char list[128], *name;

            snprintf(list, sizeof(list), "%s", next);
            opt->uncontended = opt->contended = opt->cpu = FALSE;
            opt->clock = opt->wakeups = opt->engine_cpu = opt->glitches = opt->periods = opt->capture = FALSE;
            for (name = strtok(list, ","); name; name = strtok(NULL, ","))
            {
                if (!strcmp(name, "uncontended")) opt->uncontended = TRUE;
                else if (!strcmp(name, "contended")) opt->contended = TRUE;
                else if (!strcmp(name, "cpu")) opt->cpu = TRUE;
                else if (!strcmp(name, "clock")) opt->clock = TRUE;
                else if (!strcmp(name, "wakeups")) opt->wakeups = TRUE;
                else if (!strcmp(name, "enginecpu")) opt->engine_cpu = TRUE;
                else if (!strcmp(name, "periods")) opt->periods = TRUE;
                else if (!strcmp(name, "glitches")) opt->glitches = TRUE;
                else if (!strcmp(name, "capture")) opt->capture = TRUE;
                else goto bad;
            }
        }
        else
            goto bad;
        i++;
        continue;
bad:
        fprintf(stderr, "wasapi-bench: bad option or value: %s%s%s (see --help)\n", arg,
                next ? " " : "", next ? next : "");
        return FALSE;
    }
    return TRUE;
}

/* ---- capture: the capture hot path ---------------------------------------------------------------- */

static void capture_na(HRESULT hr)
{
    figure_na(hr, "capture.next_packet_size");
    figure_na(hr, "capture.packet");
}

/* The default capture endpoint in its mix format, polled, a 1 s buffer, for --engine-seconds:
 * GetNextPacketSize in batches of PADDING_BATCH calls; then, every 200 ms, every packet that waits
 * taken with GetBuffer and ReleaseBuffer in one timed batch. Means per call and per packet. */
static void bench_capture(IMMDeviceEnumerator *enumerator, const struct options *opt)
{
    ULONGLONG next_calls = 0, packets = 0, lost = 0;
    LONGLONG next_ticks = 0, packet_ticks = 0, t0, start;
    IAudioCaptureClient *capture = NULL;
    IAudioClient *client = NULL;
    WAVEFORMATEX *format = NULL;
    IMMDevice *device = NULL;
    UINT32 next, frames, i, batch;
    UINT64 position, time;
    DWORD flags;
    BYTE *data;
    HRESULT hr;

    progress("capture: %.0f s\n", opt->engine_seconds);
    if (FAILED(hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(enumerator, eCapture, eConsole, &device)))
        failed("IMMDeviceEnumerator::GetDefaultAudioEndpoint(eCapture)", hr);
    else if (FAILED(hr = IMMDevice_Activate(device, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&client)))
        failed("IMMDevice::Activate", hr);
    else if (FAILED(hr = IAudioClient_GetMixFormat(client, &format)))
        failed("IAudioClient::GetMixFormat", hr);
    else if (FAILED(hr = IAudioClient_Initialize(client, AUDCLNT_SHAREMODE_SHARED, 0, 10 * BENCH_BUFFER_HNS, 0,
                                                 format, NULL)))
        failed("IAudioClient::Initialize(capture)", hr);
    else if (FAILED(hr = IAudioClient_GetService(client, &IID_IAudioCaptureClient, (void **)&capture)))
        failed("IAudioClient::GetService(IAudioCaptureClient)", hr);
    else if (FAILED(hr = IAudioClient_Start(client)))
        failed("IAudioClient::Start", hr);
    if (FAILED(hr))
    {
        capture_na(hr);
        goto done;
    }
    start = qpc();
    while (SUCCEEDED(hr) && seconds_since(start) < opt->engine_seconds)
    {
        t0 = qpc();
        for (i = 0; i < PADDING_BATCH && SUCCEEDED(hr); i++)
            hr = IAudioCaptureClient_GetNextPacketSize(capture, &next);
        next_ticks += qpc() - t0;
        next_calls += i;
        Sleep(200);
        /* Out of the sleep warm (the core's clock, the caches), as a program polling would be. */
        for (t0 = qpc(); SUCCEEDED(hr) && seconds_since(t0) < 0.002;)
            hr = IAudioCaptureClient_GetNextPacketSize(capture, &next);
        t0 = qpc();
        for (batch = 0; SUCCEEDED(hr); batch++)
        {
            hr = IAudioCaptureClient_GetBuffer(capture, &data, &frames, &flags, &position, &time);
            if (hr != S_OK) break;
            if (flags & AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY) lost++;
            hr = IAudioCaptureClient_ReleaseBuffer(capture, frames);
        }
        packet_ticks += qpc() - t0;
        packets += batch;
    }
    IAudioClient_Stop(client);
    if (FAILED(hr) || !packets)
    {
        if (SUCCEEDED(hr)) hr = E_FAIL;
        failed("the capture loop", hr);
        capture_na(hr);
        goto done;
    }
    figure(ticks_to_ns((double)next_ticks / next_calls), "ns", "capture.next_packet_size");
    figure(ticks_to_ns((double)packet_ticks / packets), "ns", "capture.packet");
    figure(packets / opt->engine_seconds, "/s", "capture.packets");
    figure((double)lost, "", "capture.discontinuities");
done:
    if (capture) IAudioCaptureClient_Release(capture);
    if (client) IAudioClient_Release(client);
    if (format) CoTaskMemFree(format);
    if (device) IMMDevice_Release(device);
}

static void timer_figures(void)
{
    LONGLONG start;
    unsigned int i;

    start = qpc();
    for (i = 0; i < 1000000; i++)
        qpc();
    figure(1e9 / (double)qpc_frequency.QuadPart, "ns", "timer.resolution");
    figure(ticks_to_ns((double)(qpc() - start) / 1e6), "ns", "timer.cost");
}

int main(int argc, char **argv)
{
    struct options opt;
    IMMDeviceEnumerator *enumerator = NULL;
    IMMDevice *device = NULL;
    double idle_rate = -1.0;
    BOOL com = FALSE;
    HRESULT hr;

    if (!parse_options(argc, argv, &opt))
        return 2;
    /* "\n", not "\r\n": the figures are for scripts. */
    _setmode(_fileno(stdout), _O_BINARY);
    QueryPerformanceFrequency(&qpc_frequency);
    make_tone();
    if (!(hammer_start = CreateEventW(NULL, TRUE, FALSE, NULL)))
        return 1;
    timer_figures();

    /* Before this process opens anything: the server's load from its other clients. */
    if (opt.cpu)
        idle_rate = server_idle_rate(&opt);

    if (FAILED(hr = CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        failed("CoInitializeEx", hr);
    else
    {
        com = TRUE;
        if (FAILED(hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER,
                                         &IID_IMMDeviceEnumerator, (void **)&enumerator)))
            failed("CoCreateInstance(MMDeviceEnumerator)", hr);
        else if (FAILED(hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(enumerator, eRender, eConsole,
                                                                          &device)))
            failed("IMMDeviceEnumerator::GetDefaultAudioEndpoint", hr);
    }

    if (opt.uncontended)
    {
        if (device)
            bench_uncontended(device, &opt);
        else
            uncontended_na(hr);
    }
    if (opt.contended)
    {
        if (device)
            bench_contended(device, &opt);
        else
        {
            contended_na(2, hr);
            contended_na(BENCH_MAX_HAMMERS, hr);
        }
    }
    if (opt.cpu)
    {
        if (device)
            bench_cpu(device, &opt, idle_rate);
        else
            cpu_na(&opt, hr);
    }
    if (opt.clock)
    {
        if (device)
            bench_clock(device, &opt);
        else
            clock_na(hr);
    }
    if (opt.wakeups)
    {
        if (device)
            bench_wakeups(device, &opt);
        else
            wakeups_phase_na(hr);
    }
    if (opt.engine_cpu)
    {
        if (device)
            bench_engine_cpu(device, &opt);
        else
            engine_cpu_na(hr, "unstarted");
    }
    if (opt.glitches)
    {
        if (device)
            bench_glitches(device, &opt);
        else
            glitches_na(hr);
    }
    if (opt.periods)
    {
        if (device)
            bench_periods(device, &opt);
        else
            figure_na(hr, "periods.default");
    }

    if (opt.capture)
    {
        if (enumerator)
            bench_capture(enumerator, &opt);
        else
            capture_na(hr);
    }

    if (device) IMMDevice_Release(device);
    if (enumerator) IMMDeviceEnumerator_Release(enumerator);
    if (com) CoUninitialize();
    CloseHandle(hammer_start);
    return any_na ? 1 : 0;
}
