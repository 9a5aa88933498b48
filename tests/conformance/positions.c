/*
 * Positions that never wrap (issue 17, item 5). The harness starts every stream's counters near
 * 2^32 frames with the debug setting MMDEVAPI_DEBUG_POSITION_START; a second of render and of
 * capture then crosses 2^32 frames, and with it 2^31 and 2^32 bytes of positions (a byte position
 * is a multiple of 2^35 there for frames of 8 bytes, 2^34 for 4): what a 32-bit counter anywhere
 * would break, in positions, padding, ring indices or clocks. Windows' own counters are 64-bit from
 * 0; a program that plays for 25 hours (2^32 frames at 48 kHz) or 1 h 33 min (2^31 bytes of float
 * stereo) meets the same values.
 */
#define COBJMACROS
#define CONST_VTABLE
#include "test.h"

#include <stdlib.h>
#include <objbase.h>
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>

static struct test_env env;
static IMMDeviceEnumerator *enumerator;
static UINT64 origin;   /* frames: where the setting starts every stream */

/* Frames a clock may move beyond real time between two reads: its updates come a period apart,
 * with the device's jitter. */
#define SLACK_FRAMES(rate) ((rate) / 50)

/* Render: the position starts at the origin, follows what the engine took across 2^32 frames
 * without a jump, and stands at the origin and every frame written once Stop came. */
static void test_render(IMMDevice *dev)
{
    UINT64 position, qpc, frequency, device_position, last = 0, last_qpc = 0, taken, last_taken = 0;
    UINT32 buffer, padding, total, written = 0, frames, bad_padding = 0, bad_position = 0, reads = 0;
    IAudioRenderClient *render = NULL;
    IAudioClock2 *clock2 = NULL;
    IAudioClock *clock = NULL;
    IAudioClient *client;
    WAVEFORMATEX *mix;
    DWORD start;
    BYTE *data;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&client);
    if (!ok(hr == S_OK, "Activate(IAudioClient): got %08lx\n", hr)) return;
    hr = IAudioClient_GetMixFormat(client, &mix);
    if (!ok(hr == S_OK, "GetMixFormat: got %08lx\n", hr))
    {
        IAudioClient_Release(client);
        return;
    }
    total = mix->nSamplesPerSec;
    hr = IAudioClient_Initialize(client, AUDCLNT_SHAREMODE_SHARED, 0, 1000000, 0, mix, NULL);
    ok(hr == S_OK, "Initialize(100 ms, polled): got %08lx\n", hr);
    if (hr == S_OK) hr = IAudioClient_GetBufferSize(client, &buffer);
    if (hr == S_OK) hr = IAudioClient_GetService(client, &IID_IAudioRenderClient, (void **)&render);
    if (hr == S_OK) hr = IAudioClient_GetService(client, &IID_IAudioClock, (void **)&clock);
    if (hr == S_OK) hr = IAudioClock_QueryInterface(clock, &IID_IAudioClock2, (void **)&clock2);
    if (!ok(hr == S_OK, "GetBufferSize, GetService(IAudioRenderClient, IAudioClock), IAudioClock2: got %08lx\n", hr))
        goto done;
    ok(origin + total > (1ull << 32), "the stream crosses 2^32 frames: origin %I64u, %u frames\n", origin, total);

    hr = IAudioClock_GetFrequency(clock, &frequency);
    ok(hr == S_OK && frequency == (UINT64)mix->nSamplesPerSec * mix->nBlockAlign,
       "GetFrequency: got %08lx, %I64u\n", hr, frequency);
    hr = IAudioClock_GetPosition(clock, &position, NULL);
    ok(hr == S_OK && position == origin * mix->nBlockAlign, "GetPosition before Start: got %08lx, %I64u, "
       "expected %I64u\n", hr, position, origin * mix->nBlockAlign);
    hr = IAudioClock2_GetPosition(clock2, &device_position, NULL);
    ok(hr == S_OK && device_position == origin, "GetDevicePosition before Start: got %08lx, %I64u, expected %I64u\n",
       hr, device_position, origin);
    hr = IAudioClient_GetCurrentPadding(client, &padding);
    ok(hr == S_OK && !padding, "GetCurrentPadding before Start: got %08lx, %u\n", hr, padding);

    /* Fill, start, keep it full: the engine's ring indices cross 2^32 with the position. */
    hr = IAudioRenderClient_GetBuffer(render, buffer, &data);
    if (!ok(hr == S_OK, "GetBuffer(whole buffer): got %08lx\n", hr)) goto done;
    memset(data, 0, (size_t)buffer * mix->nBlockAlign);
    hr = IAudioRenderClient_ReleaseBuffer(render, buffer, 0);
    ok(hr == S_OK, "ReleaseBuffer(whole buffer): got %08lx\n", hr);
    written = buffer;
    hr = IAudioClient_Start(client);
    ok(hr == S_OK, "Start: got %08lx\n", hr);
    for (start = GetTickCount(); GetTickCount() - start < 5000; Sleep(5))
    {
        /* The position first: it never passes what the engine took by the padding's reading. */
        hr = IAudioClock_GetPosition(clock, &position, &qpc);
        if (!ok(hr == S_OK, "GetPosition: got %08lx\n", hr)) break;
        hr = IAudioClient_GetCurrentPadding(client, &padding);
        if (!ok(hr == S_OK, "GetCurrentPadding: got %08lx\n", hr)) break;
        reads++;
        if (padding > buffer || padding > written) bad_padding++;
        taken = written - min(padding, written);
        if (taken < last_taken) bad_padding++;
        last_taken = taken;
        /* Whole frames, from the origin, never back, never past what the engine took, never faster
         * than real time by more than the clock's steps. */
        if (position % mix->nBlockAlign || position / mix->nBlockAlign < origin
            || position / mix->nBlockAlign > origin + taken || position < last
            || (last_qpc && (position - last) / mix->nBlockAlign
                            > (qpc - last_qpc) * mix->nSamplesPerSec / 10000000 + SLACK_FRAMES(mix->nSamplesPerSec)))
        {
            if (!bad_position++)
                trace("render: position %I64u after %I64u (%.2f ms later), %I64u frames taken\n", position, last,
                      (qpc - last_qpc) / 1e4, taken);
        }
        last = position;
        last_qpc = qpc;
        if (written == total)
        {
            if (!padding) break;
            continue;
        }
        if (!(frames = min(buffer - padding, total - written))) continue;
        hr = IAudioRenderClient_GetBuffer(render, frames, &data);
        if (!ok(hr == S_OK, "GetBuffer(%u) at frame %u: got %08lx\n", frames, written, hr)) break;
        memset(data, 0, (size_t)frames * mix->nBlockAlign);
        hr = IAudioRenderClient_ReleaseBuffer(render, frames, 0);
        if (!ok(hr == S_OK, "ReleaseBuffer(%u): got %08lx\n", frames, hr)) break;
        written += frames;
    }
    ok(written == total && !padding, "render: %u of %u frames written and taken (padding %u)\n", written, total,
       padding);
    ok(!bad_padding, "render: %u of %u readings of the padding wrong (past the buffer, or frames taken back)\n",
       bad_padding, reads);
    ok(!bad_position, "render: %u of %u positions wrong (off a frame, before the origin, past what was taken, "
       "back, or a jump)\n", bad_position, reads);
    /* Past 2^32 frames while playing, once its last frames were taken. */
    ok(last / mix->nBlockAlign > (1ull << 32), "render: the position reached %I64u frames, expected past 2^32\n",
       last / mix->nBlockAlign);

    /* A stopped stream's clock stands at every frame the engine took. */
    Sleep(100);
    hr = IAudioClient_Stop(client);
    ok(hr == S_OK, "Stop: got %08lx\n", hr);
    hr = IAudioClock_GetPosition(clock, &position, NULL);
    ok(hr == S_OK && position == (origin + total) * mix->nBlockAlign,
       "GetPosition after Stop: got %08lx, %I64u, expected %I64u\n", hr, position, (origin + total) * mix->nBlockAlign);
    hr = IAudioClock2_GetPosition(clock2, &device_position, NULL);
    ok(hr == S_OK && device_position == origin + total, "GetDevicePosition after Stop: got %08lx, %I64u, "
       "expected %I64u\n", hr, device_position, origin + total);
    /* Reset takes the clock back to where it started (0 on Windows). */
    hr = IAudioClient_Reset(client);
    ok(hr == S_OK, "Reset: got %08lx\n", hr);
    hr = IAudioClock_GetPosition(clock, &position, NULL);
    ok(hr == S_OK && position == origin * mix->nBlockAlign, "GetPosition after Reset: got %08lx, %I64u, "
       "expected %I64u\n", hr, position, origin * mix->nBlockAlign);
    /* The ring goes on from where it stood: a write after Reset is taken whole. */
    hr = IAudioRenderClient_GetBuffer(render, buffer, &data);
    ok(hr == S_OK, "GetBuffer(whole buffer) after Reset: got %08lx\n", hr);
    if (hr == S_OK) IAudioRenderClient_ReleaseBuffer(render, buffer, AUDCLNT_BUFFERFLAGS_SILENT);
    hr = IAudioClient_GetCurrentPadding(client, &padding);
    ok(hr == S_OK && padding == buffer, "GetCurrentPadding after Reset and a write: got %08lx, %u, expected %u\n",
       hr, padding, buffer);
done:
    if (clock2) IAudioClock2_Release(clock2);
    if (clock) IAudioClock_Release(clock);
    if (render) IAudioRenderClient_Release(render);
    CoTaskMemFree(mix);
    IAudioClient_Release(client);
}

/* Capture: packets one after another from the origin across 2^32 frames, each stamped with the
 * time its first frame was captured, as far from the first packet's as its position is. */
static void test_capture(IMMDevice *dev)
{
    UINT64 position, qpc, expected = 0, first_qpc = 0, last_qpc = 0, clock_position, last_clock = 0;
    UINT32 frames, packets = 0, bad_packets = 0, discontinuities = 0, bad_clock = 0;
    IAudioCaptureClient *capture = NULL;
    IAudioClock *clock = NULL;
    IAudioClient *client;
    INT64 drift, worst = 0;
    WAVEFORMATEX *mix;
    DWORD start, flags;
    BYTE *data;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&client);
    if (!ok(hr == S_OK, "Activate(IAudioClient) of the capture endpoint: got %08lx\n", hr)) return;
    hr = IAudioClient_GetMixFormat(client, &mix);
    if (!ok(hr == S_OK, "GetMixFormat: got %08lx\n", hr))
    {
        IAudioClient_Release(client);
        return;
    }
    hr = IAudioClient_Initialize(client, AUDCLNT_SHAREMODE_SHARED, 0, 2000000, 0, mix, NULL);
    ok(hr == S_OK, "Initialize(capture, 200 ms, polled): got %08lx\n", hr);
    if (hr == S_OK) hr = IAudioClient_GetService(client, &IID_IAudioCaptureClient, (void **)&capture);
    if (hr == S_OK) hr = IAudioClient_GetService(client, &IID_IAudioClock, (void **)&clock);
    if (!ok(hr == S_OK, "GetService(IAudioCaptureClient, IAudioClock): got %08lx\n", hr)) goto done;
    hr = IAudioClock_GetPosition(clock, &clock_position, NULL);
    ok(hr == S_OK && clock_position == origin * mix->nBlockAlign, "capture GetPosition before Start: got %08lx, "
       "%I64u, expected %I64u\n", hr, clock_position, origin * mix->nBlockAlign);

    hr = IAudioClient_Start(client);
    ok(hr == S_OK, "Start: got %08lx\n", hr);
    for (start = GetTickCount(); GetTickCount() - start < 5000 && expected < origin + mix->nSamplesPerSec; Sleep(5))
    {
        while ((hr = IAudioCaptureClient_GetBuffer(capture, &data, &frames, &flags, &position, &qpc)) == S_OK)
        {
            if (!packets++)
            {
                ok(position == origin, "first packet at %I64u, expected the origin %I64u\n", position, origin);
                expected = position;
                first_qpc = qpc;
            }
            if (flags & AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY)
            {
                /* A busy machine's overflow: the position counts the lost frames. */
                discontinuities++;
                if (position < expected) bad_packets++;
                expected = position;
            }
            else if (position != expected || qpc < last_qpc)
            {
                if (!bad_packets++)
                    trace("capture: packet at %I64u (time %I64u), expected %I64u (after time %I64u)\n", position,
                          qpc, expected, last_qpc);
            }
            /* Its time is as far from the first packet's as its position. */
            drift = (INT64)(qpc - first_qpc) - (INT64)((position - origin) * 10000000 / mix->nSamplesPerSec);
            if (llabs(drift) > llabs(worst)) worst = drift;
            expected = position + frames;
            last_qpc = qpc;
            hr = IAudioCaptureClient_ReleaseBuffer(capture, frames);
            if (!ok(hr == S_OK, "ReleaseBuffer(%u): got %08lx\n", frames, hr)) break;
        }
        if (!ok(SUCCEEDED(hr), "GetBuffer: got %08lx\n", hr)) break;
        hr = IAudioClock_GetPosition(clock, &clock_position, NULL);
        if (hr != S_OK || clock_position < last_clock || clock_position / mix->nBlockAlign < origin) bad_clock++;
        last_clock = clock_position;
    }
    IAudioClient_Stop(client);
    ok(expected > (1ull << 32), "capture: packets reached %I64u frames, expected past 2^32 (%u packets)\n", expected,
       packets);
    ok(!bad_packets, "capture: %u of %u packets out of place (position not where the last ended, or time back)\n",
       bad_packets, packets);
    ok(discontinuities <= 1, "capture: %u discontinuities in a second\n", discontinuities);
    ok(!bad_clock, "capture: the clock went back or before the origin %u times\n", bad_clock);
    /* Within the device's jitter and the drift of its clock over a second. */
    ok(llabs(worst) < 200000, "capture: a packet's time %.2f ms off its position\n", worst / 1e4);
    trace("capture: %u packets from %I64u to %I64u, time off the position by %.2f ms at most\n", packets, origin,
          expected, worst / 1e4);
done:
    if (clock) IAudioClock_Release(clock);
    if (capture) IAudioCaptureClient_Release(capture);
    CoTaskMemFree(mix);
    IAudioClient_Release(client);
}

int main(void)
{
    char setting[32];
    IMMDevice *dev;
    HRESULT hr;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (!test_read_env(&env)) return test_summary();
    if (!ok(GetEnvironmentVariableA("MMDEVAPI_DEBUG_POSITION_START", setting, sizeof(setting))
            && (origin = _strtoui64(setting, NULL, 0)),
            "MMDEVAPI_DEBUG_POSITION_START is not set: the harness sets it for this test\n"))
        return test_summary();
    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator,
                          (void **)&enumerator);
    if (!ok(hr == S_OK, "CoCreateInstance(MMDeviceEnumerator): got %08lx\n", hr)) return test_summary();

    hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(enumerator, eRender, eConsole, &dev);
    if (env.backend == TEST_BACKEND_NONE)
        ok(hr == HRESULT_FROM_WIN32(ERROR_NOT_FOUND), "default render endpoint with no backend: got %08lx\n", hr);
    else if (ok(hr == S_OK, "GetDefaultAudioEndpoint(eRender): got %08lx\n", hr))
    {
        test_render(dev);
        IMMDevice_Release(dev);
        hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(enumerator, eCapture, eConsole, &dev);
        if (ok(hr == S_OK, "GetDefaultAudioEndpoint(eCapture): got %08lx\n", hr))
        {
            test_capture(dev);
            IMMDevice_Release(dev);
        }
    }
    IMMDeviceEnumerator_Release(enumerator);
    CoUninitialize();
    return test_summary();
}
