/*
 * A soak: render and capture at once for MMDEVAPI_SOAK_SECONDS (30 by default; an hour is
 * MMDEVAPI_SOAK_SECONDS=3600), both streams following the default endpoints
 * (ActivateAudioInterfaceAsync), with the defaults changed every MMDEVAPI_SOAK_CHANGE_SECONDS (10):
 * a new sink and source are loaded and picked, then half an interval later the harness's are
 * picked again and the new ones unloaded, as a user plugging a headset in and out.
 *
 *   render   an event-driven stream of counting frames (float stereo, the frame's number in
 *            both channels); what reached the harness's sink is read back: every frame in order,
 *            none twice; the only frames missing are those played while the stream was on the
 *            other sink, one run for each change at most
 *   capture  an event-driven stream of the harness's feed, which a thread fills with a counting
 *            signal in real time (int16 mono): every packet's frames in order; a run missing only
 *            across a change
 *   process  handles and memory sampled every interval: flat after the first
 *
 * Where the harness records the sink, feeds a source and pactl changes the defaults: PulseAudio
 * (its PipeWire has no feed yet, so the soak skips there). The figures are printed for the note.
 */

#define COBJMACROS
#define CONST_VTABLE
#include "recording.h"
#include "feed.h"

#include <stdlib.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <winternl.h>
#include <objbase.h>
#include <propsys.h>
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <psapi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include "activate_async.h"

static struct test_env env;
static volatile LONG stop;

/* Frame k of the render signal: 1 to RENDER_CYCLE over and over in both channels, a float holding
 * every integer up to 2^24 exactly (2^24 frames are only 5.8 minutes at 48 kHz). */
#define RENDER_CYCLE ((1u << 24) - 1)

static float render_value(UINT64 k)
{
    return (float)(k % RENDER_CYCLE + 1);
}

/* The frame number nearest to expected whose value is value. */
static UINT64 render_frame(float value, UINT64 expected)
{
    UINT64 k = expected - expected % RENDER_CYCLE + (UINT64)value - 1;

    if (k + RENDER_CYCLE / 2 < expected) k += RENDER_CYCLE;
    else if (k > expected + RENDER_CYCLE / 2 && k >= RENDER_CYCLE) k -= RENDER_CYCLE;
    return k;
}

/* Frame k of the capture signal: 1 to 65535 over and over, never 0. */
static short capture_value(UINT64 k)
{
    return (short)(k % 65535 + 1 - 32768);
}

struct stream_thread
{
    IAudioClient *client;
    HANDLE event;
    WAVEFORMATEX format;
    HRESULT failed;             /* the first answer that was not S_OK */
    UINT64 frames;              /* written (render) or received (capture) */
    UINT32 runs;                /* capture: places where the count did not go on by one */
    UINT64 lost;                /* capture: frames missing at those places, modulo the signal's cycle */
};

static DWORD WINAPI render_main(void *arg)
{
    struct stream_thread *t = arg;
    IAudioRenderClient *render;
    UINT32 buffer, padding, frames, i;
    BOOL started = FALSE;
    HRESULT hr;
    float *data;

    if (FAILED(hr = IAudioClient_GetBufferSize(t->client, &buffer))
        || FAILED(hr = IAudioClient_GetService(t->client, &IID_IAudioRenderClient, (void **)&render)))
    {
        t->failed = hr;
        return 0;
    }
    while (!ReadAcquire(&stop))
    {
        if (FAILED(hr = IAudioClient_GetCurrentPadding(t->client, &padding))) break;
        frames = buffer - padding;
        if (frames)
        {
            if (FAILED(hr = IAudioRenderClient_GetBuffer(render, frames, (BYTE **)&data))) break;
            for (i = 0; i < frames; i++) data[2 * i] = data[2 * i + 1] = render_value(t->frames + i);
            if (FAILED(hr = IAudioRenderClient_ReleaseBuffer(render, frames, 0))) break;
            t->frames += frames;
        }
        /* Started once the buffer is full, as players do. */
        if (!started && FAILED(hr = IAudioClient_Start(t->client))) break;
        started = TRUE;
        WaitForSingleObject(t->event, 1000);
    }
    if (FAILED(hr)) t->failed = hr;
    IAudioRenderClient_Release(render);
    return 0;
}

static DWORD WINAPI capture_main(void *arg)
{
    struct stream_thread *t = arg;
    IAudioCaptureClient *capture;
    UINT32 frames, i, seen = 0;
    short *data, expected = 0;
    DWORD flags;
    HRESULT hr;

    if (FAILED(hr = IAudioClient_GetService(t->client, &IID_IAudioCaptureClient, (void **)&capture))
        || FAILED(hr = IAudioClient_Start(t->client)))
    {
        t->failed = hr;
        return 0;
    }
    while (!ReadAcquire(&stop))
    {
        WaitForSingleObject(t->event, 1000);
        while ((hr = IAudioCaptureClient_GetBuffer(capture, (BYTE **)&data, &frames, &flags, NULL, NULL)) == S_OK)
        {
            /* Silence (zeros: the other source) is not the signal. */
            for (i = 0; !(flags & AUDCLNT_BUFFERFLAGS_SILENT) && i < frames; i++)
            {
                if (!data[i]) continue;
                if (seen && data[i] != expected)
                {
                    t->runs++;
                    t->lost += (UINT16)(data[i] - expected);
                }
                expected = data[i] == 32767 ? -32767 : data[i] + 1;
                seen++;
            }
            t->frames += frames;
            if (FAILED(hr = IAudioCaptureClient_ReleaseBuffer(capture, frames))) break;
        }
        if (FAILED(hr)) break;
    }
    if (FAILED(hr)) t->failed = hr;
    IAudioCaptureClient_Release(capture);
    return 0;
}

/* Writes the capture signal into the feed in real time, 20 ms at a time. */
static DWORD WINAPI feed_main(void *arg)
{
    const struct feed *feed = arg;
    UINT32 chunk = feed->format.rate / 50, i;
    LARGE_INTEGER frequency, start, now;
    UINT64 written = 0;
    short buf[4800];
    DWORD done;
    HANDLE file;

    file = CreateFileW(feed->path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE || chunk > ARRAY_SIZE(buf)) return 1;
    QueryPerformanceFrequency(&frequency);
    QueryPerformanceCounter(&start);
    while (!ReadAcquire(&stop))
    {
        QueryPerformanceCounter(&now);
        if ((UINT64)(now.QuadPart - start.QuadPart) * feed->format.rate / frequency.QuadPart < written)
        {
            Sleep(5);
            continue;
        }
        for (i = 0; i < chunk; i++) buf[i] = capture_value(written + i);
        if (!WriteFile(file, buf, chunk * sizeof(short), &done, NULL)) break;
        written += chunk;
    }
    CloseHandle(file);
    return 0;
}

/* A stream of the default endpoint of a direction, through ActivateAudioInterfaceAsync, event-driven. */
static IAudioClient *follower(const GUID *interface_class, const WAVEFORMATEX *format, HANDLE event)
{
    activate_async_func activate = (void *)GetProcAddress(LoadLibraryA("mmdevapi.dll"),
                                                          "ActivateAudioInterfaceAsync");
    IAudioClient *client = NULL;
    IUnknown *unk = NULL;
    WCHAR path[40];
    HRESULT hr;

    StringFromGUID2(interface_class, path, ARRAY_SIZE(path));
    hr = activate_async(activate, path, &IID_IAudioClient, &unk);
    if (SUCCEEDED(hr)) hr = IUnknown_QueryInterface(unk, &IID_IAudioClient, (void **)&client);
    if (SUCCEEDED(hr)) hr = IAudioClient_Initialize(client, AUDCLNT_SHAREMODE_SHARED, AUDCLNT_STREAMFLAGS_EVENTCALLBACK
                                                    | AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM, 200000, 0, format, NULL);
    if (SUCCEEDED(hr)) hr = IAudioClient_SetEventHandle(client, event);
    ok(hr == S_OK, "a stream following the default %s endpoint: got %08lx\n",
       IsEqualGUID(interface_class, &DEVINTERFACE_AUDIO_RENDER) ? "render" : "capture", hr);
    if (unk) IUnknown_Release(unk);
    if (SUCCEEDED(hr)) return client;
    if (client) IAudioClient_Release(client);
    return NULL;
}

/* Wine's CreateProcess of a Unix program leaves a File handle open in the caller (Wine 8; a
 * handle for each command, whatever the module does): the handle count leaves them out. */
static UINT32 unix_commands;

static BOOL soak_unix(const char *command, char *out, DWORD size)
{
    unix_commands++;
    return run_unix(command, out, size);
}

/* First line of a command's output, without its end. */
static BOOL run_line(const char *command, char *out, DWORD size)
{
    unix_commands++;
    return run_unix_line(command, out, size);
}

/* The render recording: every counting frame in order. Each place where the count jumps ahead is
 * a run of frames played elsewhere, one where it goes back a repeat, a frame that is not the signal
 * foreign (two engines' tails summed where the server moved both onto one sink). Within
 * CHANGE_WINDOW of a change (where the recording stood when pactl made it) these belong to the
 * change; anywhere else they are faults. */
#define CHANGE_WINDOW (RECORDING_RATE * 3 / 2)
#define CHANGES_MAX 1024

struct render_check
{
    UINT64 read, expected, frames, lost;
    UINT32 runs, repeats, foreign;
    UINT32 faults;              /* of those, away from any change */
    UINT64 first_fault;
    UINT64 change_at[CHANGES_MAX];
    UINT32 change_count;
    BOOL seen;
};

static void at_change(struct render_check *c, const WCHAR *recording)
{
    if (c->change_count < CHANGES_MAX) c->change_at[c->change_count++] = recording_frames(recording);
}

static void anomaly(struct render_check *c, UINT64 position)
{
    UINT32 i;

    for (i = 0; i < c->change_count; i++)
        if (position + CHANGE_WINDOW >= c->change_at[i] && position <= c->change_at[i] + CHANGE_WINDOW) return;
    if (!c->faults++) c->first_fault = position;
}

static void check_recording(const WCHAR *recording, struct render_check *c)
{
    UINT32 frames, i;
    UINT64 k;
    float *buf;

    while ((buf = recording_read(recording, c->read, 48000 * 10, &frames)))
    {
        for (i = 0; i < frames; i++)
        {
            float left = buf[2 * i], right = buf[2 * i + 1];
            if (left == 0.0f && right == 0.0f) continue;
            if (left != right || left < 1.0f || left > RENDER_CYCLE || left != (float)(UINT64)left)
            {
                c->foreign++;
                anomaly(c, c->read + i);
                continue;
            }
            k = render_frame(left, c->expected);
            if (c->seen && k != c->expected)
            {
                if (k < c->expected) c->repeats++;
                else
                {
                    c->runs++;
                    c->lost += k - c->expected;
                }
                anomaly(c, c->read + i);
            }
            c->seen = TRUE;
            c->expected = k + 1;
            c->frames++;
        }
        c->read += frames;
        free(buf);
        if (!frames) break;
    }
}

/* The process's handles (Wine's kernel32 counts none: the server's table does) and committed
 * private memory (PagefileUsage). */
static void process_figures(DWORD *handles, SIZE_T *private_bytes)
{
    static NTSTATUS (WINAPI *query)(SYSTEM_INFORMATION_CLASS, void *, ULONG, ULONG *);
    PROCESS_MEMORY_COUNTERS counters = { sizeof(counters) };
    SYSTEM_HANDLE_INFORMATION *info = NULL;
    ULONG size = 1 << 16, i;
    NTSTATUS status;

    if (!query) query = (void *)GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtQuerySystemInformation");
    *handles = 0;
    do
    {
        free(info);
        size *= 2;
        if (!(info = malloc(size))) return;
    } while ((status = query(SystemHandleInformation, info, size, NULL)) == STATUS_INFO_LENGTH_MISMATCH);
    for (i = 0; !status && i < info->Count; i++) *handles += info->Handle[i].OwnerPid == GetCurrentProcessId();
    free(info);
    K32GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof(counters));
    *private_bytes = counters.PagefileUsage;
}

static void soak(void)
{
    struct stream_thread render = { 0 }, capture = { 0 };
    struct render_check check = { 0 };
    char old_sink[128], old_source[128], command[512], out[256];
    unsigned int seconds = 30, change_seconds = 10, changes = 0, sink_module = ~0u, source_module = ~0u;
    DWORD start, handles, first_handles = 0, max_handles = 0, leak_per_command;
    SIZE_T private_bytes, first_private = 0, max_private = 0;
    HANDLE threads[3] = { 0 };
    WCHAR recording[MAX_PATH], value[16];
    struct feed feed;
    BOOL elsewhere = FALSE;
    unsigned int interval = 0;

    if (test_getenv("MMDEVAPI_SOAK_SECONDS", value, ARRAY_SIZE(value))) seconds = wcstoul(value, NULL, 10);
    if (test_getenv("MMDEVAPI_SOAK_CHANGE_SECONDS", value, ARRAY_SIZE(value))) change_seconds = wcstoul(value, NULL, 10);
    if (!recording_find(&env, recording, ARRAY_SIZE(recording)) || !feed_find(&feed) || feed.format.is_float
        || feed.format.channels != 1 || !run_line("pactl get-default-sink", old_sink, sizeof(old_sink)) || !old_sink[0]
        || !run_line("pactl get-default-source", old_source, sizeof(old_source)) || !old_source[0])
    {
        skip("no recorded sink, int16 mono feed and pactl here\n");
        return;
    }
    if (change_seconds < 4) change_seconds = 4;
    process_figures(&handles, &private_bytes);
    soak_unix("true", NULL, 0);
    process_figures(&leak_per_command, &private_bytes);
    leak_per_command -= handles;
    trace("%u s, the defaults changed every %u s; sink %s, source %s; Wine leaves %lu handles a Unix command\n",
          seconds, change_seconds, old_sink, old_source, leak_per_command);

    render.event = CreateEventW(NULL, FALSE, FALSE, NULL);
    capture.event = CreateEventW(NULL, FALSE, FALSE, NULL);
    pcm_format(&render.format, WAVE_FORMAT_IEEE_FLOAT, 32, RECORDING_RATE, 2);
    pcm_format(&capture.format, WAVE_FORMAT_PCM, 16, feed.format.rate, 1);
    if (!(render.client = follower(&DEVINTERFACE_AUDIO_RENDER, &render.format, render.event))
        || !(capture.client = follower(&DEVINTERFACE_AUDIO_CAPTURE, &capture.format, capture.event)))
        goto done;
    check.read = recording_frames(recording);
    threads[0] = CreateThread(NULL, 0, feed_main, &feed, 0, NULL);
    threads[1] = CreateThread(NULL, 0, render_main, &render, 0, NULL);
    threads[2] = CreateThread(NULL, 0, capture_main, &capture, 0, NULL);

    for (start = GetTickCount(); GetTickCount() - start < seconds * 1000 && !render.failed && !capture.failed;)
    {
        Sleep(change_seconds * 500);
        if (!elsewhere)
        {
            /* Plugged in: a new sink and source, picked. */
            if (run_line("pactl load-module module-null-sink sink_name=mmdevsoak_sink", out, sizeof(out)))
                sscanf(out, "%u", &sink_module);
            if (run_line("pactl load-module module-null-source source_name=mmdevsoak_source", out, sizeof(out)))
                sscanf(out, "%u", &source_module);
            else if (run_line("pactl load-module module-null-sink sink_name=mmdevsoak_source "
                              "media.class=Audio/Source/Virtual", out, sizeof(out)))
                sscanf(out, "%u", &source_module);
            ok(sink_module != ~0u && source_module != ~0u, "change %u: could not load a sink and a source: %s\n",
               changes, out);
            at_change(&check, recording);
            soak_unix("pactl set-default-sink mmdevsoak_sink; pactl set-default-source mmdevsoak_source", NULL, 0);
        }
        else
        {
            /* Back to the harness's, then unplugged. */
            snprintf(command, sizeof(command), "pactl set-default-sink %s; pactl set-default-source %s; sleep 1; "
                     "pactl unload-module %u; pactl unload-module %u", old_sink, old_source, sink_module,
                     source_module);
            at_change(&check, recording);
            soak_unix(command, NULL, 0);
            at_change(&check, recording);
            sink_module = source_module = ~0u;
            changes++;
        }
        elsewhere = !elsewhere;
        if (elsewhere) continue;
        check_recording(recording, &check);
        process_figures(&handles, &private_bytes);
        handles -= unix_commands * leak_per_command;
        if (!interval++)
        {
            first_handles = handles;
            first_private = private_bytes;
        }
        max_handles = max(max_handles, handles);
        max_private = max(max_private, private_bytes);
        trace("%lu s: %u changes; render %I64u frames written, %I64u back at the sink in %u runs (%I64u elsewhere); "
              "capture %I64u frames, %u runs, %I64u lost; %lu handles, %Iu KiB private\n",
              (GetTickCount() - start) / 1000, changes, render.frames, check.frames, check.runs + 1, check.lost,
              capture.frames, capture.runs, capture.lost, handles, private_bytes / 1024);
    }
    WriteRelease(&stop, TRUE);
    WaitForMultipleObjects(3, threads, TRUE, 5000);
    Sleep(500);
    check_recording(recording, &check);

    ok(render.failed == S_OK, "the render stream answered %08lx\n", render.failed);
    ok(capture.failed == S_OK, "the capture stream answered %08lx\n", capture.failed);
    ok(!check.faults, "%u frames at the sink out of order, missing or not the signal away from any change, the first "
       "at %.3f s of the recording\n", check.faults, check.first_fault / (double)RECORDING_RATE);
    /* The rest was played on the other sink: half of each interval, and a second or so at each change. */
    ok(check.frames + (UINT64)(changes + elsewhere) * (change_seconds / 2 + 2) * RECORDING_RATE + RECORDING_RATE
       >= render.frames, "%I64u frames written, %I64u at the sink\n", render.frames, check.frames);
    ok(capture.runs <= 2 * changes + 1, "%u breaks in the captured count over %u changes\n", capture.runs, changes);
    ok(capture.frames >= (UINT64)seconds * capture.format.nSamplesPerSec / 2, "%I64u frames captured in %u s\n",
       capture.frames, seconds);
    /* Flat: what the first interval settled to is what the last has, within a little. */
    if (interval > 1)
    {
        ok(max_handles <= first_handles + 8, "handles grew from %lu to %lu\n", first_handles, max_handles);
        ok(max_private <= first_private + 8 * 1024 * 1024, "private memory grew from %Iu to %Iu KiB\n",
           first_private / 1024, max_private / 1024);
    }
    trace("soak: %lu s, %u changes; render: %I64u frames, %I64u at the sink in %u runs, %I64u played elsewhere, "
          "%u repeats and %u other frames at changes; capture: %I64u frames, %u breaks, %I64u lost; handles %lu -> %lu, private "
          "%Iu -> %Iu KiB\n", (GetTickCount() - start) / 1000, changes, render.frames, check.frames, check.runs + 1,
          check.lost, check.repeats, check.foreign, capture.frames, capture.runs, capture.lost, first_handles,
          max_handles, first_private / 1024, max_private / 1024);

done:
    WriteRelease(&stop, TRUE);
    if (sink_module != ~0u || source_module != ~0u)
    {
        snprintf(command, sizeof(command), "pactl set-default-sink %s; pactl set-default-source %s; "
                 "pactl unload-module %u; pactl unload-module %u", old_sink, old_source, sink_module, source_module);
        run_unix(command, NULL, 0);
    }
    if (render.client)
    {
        IAudioClient_Stop(render.client);
        IAudioClient_Release(render.client);
    }
    if (capture.client)
    {
        IAudioClient_Stop(capture.client);
        IAudioClient_Release(capture.client);
    }
    CloseHandle(render.event);
    CloseHandle(capture.event);
}

int main(void)
{
    HRESULT hr;

    test_read_env(&env);
    hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    ok(hr == S_OK, "CoInitializeEx(MTA): got %08lx\n", hr);
    if (env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_PIPEWIRE) soak();
    else skip("the soak changes defaults with pactl\n");
    CoUninitialize();
    return test_summary();
}
