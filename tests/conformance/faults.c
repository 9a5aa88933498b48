/*
 * A device that goes away under a playing stream: the harness's PulseAudio server is killed (on
 * ALSA, the server behind alsa-lib's pulse plugin), and the stream's calls must answer
 * AUDCLNT_E_DEVICE_INVALIDATED, as Windows' do when a device is unplugged, so that the program
 * knows to make a new stream. Nothing may crash or hang, and releasing everything still works.
 * The server is killed through a Unix program: Wine runs those through CreateProcess. Where the
 * module watches the server itself (PulseAudio, PipeWire), the stream's session also hears
 * OnSessionDisconnected(DisconnectReasonServerShutdown), as when Windows' audio service stops.
 */

#define COBJMACROS
#define CONST_VTABLE
#include "test.h"

#include <objbase.h>
#include <propsys.h>        /* before initguid.h: libuuid defines its GUIDs */
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include "listener.h"

static struct test_env env;

/* Kills the harness's PulseAudio server (its pid is in MMDEVAPI_TEST_PULSE_PID). */
static BOOL kill_server(void)
{
    WCHAR pid[16];
    char command[64];

    if (!test_getenv("MMDEVAPI_TEST_PULSE_PID", pid, ARRAY_SIZE(pid))) return FALSE;
    snprintf(command, sizeof(command), "/bin/kill -KILL %ls", pid);
    /* Wine does not pass on a Unix program's exit code: the stream tells whether it worked. */
    return run_unix(command, NULL, 0);
}

/* Keeps the buffer full; the first HRESULT that is not S_OK. */
static HRESULT feed(IAudioClient *ac, IAudioRenderClient *rc, UINT32 buffer)
{
    UINT32 padding;
    BYTE *data;
    HRESULT hr;

    if (FAILED(hr = IAudioClient_GetCurrentPadding(ac, &padding))) return hr;
    if (padding == buffer) return S_OK;
    if (FAILED(hr = IAudioRenderClient_GetBuffer(rc, buffer - padding, &data))) return hr;
    return IAudioRenderClient_ReleaseBuffer(rc, buffer - padding, AUDCLNT_BUFFERFLAGS_SILENT);
}

static void test_server_killed(IMMDevice *dev)
{
    IAudioSessionControl *control = NULL;
    IAudioRenderClient *rc = NULL;
    IAudioClock *clock = NULL;
    IAudioClient *ac = NULL;
    WAVEFORMATEX *mix = NULL;
    UINT32 buffer = 0, padding;
    UINT64 position;
    LONG from = 0;
    DWORD start;
    BYTE *data;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&ac);
    ok(hr == S_OK, "Activate(IAudioClient): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;
    hr = IAudioClient_GetMixFormat(ac, &mix);
    ok(hr == S_OK, "GetMixFormat: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK) hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 1000000, 0, mix, NULL);
    ok(hr == S_OK, "Initialize: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK) hr = IAudioClient_GetBufferSize(ac, &buffer);
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IAudioRenderClient, (void **)&rc);
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IAudioClock, (void **)&clock);
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IAudioSessionControl, (void **)&control);
    if (hr == S_OK)
        hr = IAudioSessionControl_RegisterAudioSessionNotification(control, &listener.IAudioSessionEvents_iface);
    ok(hr == S_OK, "setting up the stream: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    feed(ac, rc, buffer);
    hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
    for (start = GetTickCount(); GetTickCount() - start < 300; Sleep(10))
        ok(feed(ac, rc, buffer) == S_OK, "feeding a playing stream failed\n");

    if (!ok(kill_server(), "could not kill the PulseAudio server\n")) goto done;
    /* The engine notices at its next period, tries the device again, and gives it up. */
    for (start = GetTickCount(); GetTickCount() - start < 3000; Sleep(10))
        if ((hr = feed(ac, rc, buffer)) != S_OK) break;
    ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "after the server died: got %08lx, expected "
       "AUDCLNT_E_DEVICE_INVALIDATED within 3 s\n", hr);
    trace("the stream knew after %lu ms\n", GetTickCount() - start);

    /* From then on, every call that needs the device says so. */
    hr = IAudioClient_GetCurrentPadding(ac, &padding);
    ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "GetCurrentPadding: got %08lx, expected AUDCLNT_E_DEVICE_INVALIDATED\n", hr);
    hr = IAudioRenderClient_GetBuffer(rc, 1, &data);
    ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "GetBuffer: got %08lx, expected AUDCLNT_E_DEVICE_INVALIDATED\n", hr);
    hr = IAudioClock_GetPosition(clock, &position, NULL);
    ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "GetPosition: got %08lx, expected AUDCLNT_E_DEVICE_INVALIDATED\n", hr);
    hr = IAudioClient_Stop(ac);
    ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "Stop: got %08lx, expected AUDCLNT_E_DEVICE_INVALIDATED\n", hr);
    hr = IAudioClient_Reset(ac);
    ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "Reset: got %08lx, expected AUDCLNT_E_DEVICE_INVALIDATED\n", hr);
    hr = IAudioClient_Start(ac);
    ok(hr == AUDCLNT_E_DEVICE_INVALIDATED, "Start: got %08lx, expected AUDCLNT_E_DEVICE_INVALIDATED\n", hr);
    if (env.backend == TEST_BACKEND_ALSA)
        trace("ALSA tells no one that the server behind its plugin died: no OnSessionDisconnected\n");
    else ok(wait_heard(&from, 'x', NULL, DisconnectReasonServerShutdown) >= 0,
            "no OnSessionDisconnected(DisconnectReasonServerShutdown)\n");

done:
    if (control)
    {
        IAudioSessionControl_UnregisterAudioSessionNotification(control, &listener.IAudioSessionEvents_iface);
        IAudioSessionControl_Release(control);
    }
    if (clock) IAudioClock_Release(clock);
    if (rc) IAudioRenderClient_Release(rc);
    IAudioClient_Release(ac);
    CoTaskMemFree(mix);
}

int main(void)
{
    IMMDeviceEnumerator *mme = NULL;
    IMMDevice *dev = NULL;
    HRESULT hr;

    test_read_env(&env);
    if (env.backend != TEST_BACKEND_PULSE && env.backend != TEST_BACKEND_ALSA && env.backend != TEST_BACKEND_PIPEWIRE)
    {
        skip("needs the harness's PulseAudio server to kill (backend pulse or alsa)\n");
        return test_summary();
    }
    hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    ok(hr == S_OK, "CoInitializeEx(MTA): got %08lx\n", hr);
    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator,
                          (void **)&mme);
    ok(hr == S_OK, "CoCreateInstance(MMDeviceEnumerator): got %08lx, expected S_OK\n", hr);
    if (hr == S_OK) hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, &dev);
    ok(hr == S_OK, "GetDefaultAudioEndpoint(render): got %08lx, expected S_OK\n", hr);
    listener_init(mme);
    if (hr == S_OK) test_server_killed(dev);
    listener_done();
    if (dev) IMMDevice_Release(dev);
    if (mme) IMMDeviceEnumerator_Release(mme);
    CoUninitialize();
    return test_summary();
}
