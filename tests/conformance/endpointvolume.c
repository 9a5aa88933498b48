/*
 * The endpoint's own volume and meter, on the default render endpoint and a capture endpoint:
 * IAudioEndpointVolume(Ex) and IAudioMeterInformation from IMMDevice::Activate, and winmm's mixer
 * controls beside them.
 *
 *   (a) what Activate hands out, and every argument check: NULL pointers (E_POINTER), levels outside
 *       0..1 or outside the dB range, channels the endpoint lacks (E_INVALIDARG); SetMute's S_FALSE
 *       when nothing changes; steps; master and channel levels as one volume (a master moves the
 *       channels together, keeping their balance)
 *   (b) the device's real volume: on PulseAudio, the sink's volume as pactl reports it is the level
 *       set (a scalar of 0.5 is the server's 50 %), and its mute
 *   (c) IAudioEndpointVolumeCallback::OnNotify on a thread of ours, for our changes with the caller's
 *       context GUID and the new levels, not for a change that changed nothing, for a change made
 *       outside (pactl set-sink-volume) with GUID_NULL; a callback that calls the endpoint volume
 *       back does not deadlock
 *   (d) the stream that carries us on PulseAudio and PipeWire bears the session's display name as its
 *       application.name and our Windows process id
 *   (e) a known signal played with the endpoint's volume at 0.5: the meter's peaks are the signal's,
 *       exactly (Windows meters before the endpoint's volume), the session's meter (its control's
 *       IAudioMeterInformation) too, and 0 once nothing plays; what reached the backend is the signal
 *       times 0.5^3 (the engine's gain on ALSA, the sink's own volume on PulseAudio)
 *   (f) the capture endpoint of the harness's feed: its volume and meter, and what it captures
 *   (g) winmm's mixer: its volume control reads and sets the program's session volume through us (as on
 *       Windows since Vista), the endpoint's volume untouched
 */

#define COBJMACROS
#define CONST_VTABLE
#include "recording.h"
#include "feed.h"

#include <math.h>
#include <stdlib.h>
#include <objbase.h>
#include <propsys.h>
#include <initguid.h>
#include <propkeydef.h>
#include <mmdeviceapi.h>
#include <devpkey.h>
#include <audioclient.h>
#include <audiopolicy.h>
#include <endpointvolume.h>
#include "audio_meter.h"
#include <mmsystem.h>

/* GUID_NULL and IID_IUnknown of our own: libuuid's would clash with the GUIDs initguid.h defines here. */
static const GUID no_context;
static const GUID iid_unknown = {0x00000000, 0x0000, 0x0000, {0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const GUID context1 = {0x6a2c8e10, 0x1b3f, 0x4d5e, {0x9a, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}};
static const GUID context2 = {0x6a2c8e11, 0x1b3f, 0x4d5e, {0x9a, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}};

static struct test_env env;
#define MMDEVAPI_TEST_CHANNELS_MAX 8
static IMMDevice *dev;

/* The harness's sink's volume per channel, in the server's units, as pactl prints them; how many. */
static UINT32 sink_volume(UINT32 *values, UINT32 max_values)
{
    char out[1024], command[256], *p;
    WCHAR sink[128];
    UINT32 count = 0;

    if (!test_getenv("MMDEVAPI_TEST_PULSE_SINK", sink, ARRAY_SIZE(sink))) return 0;
    snprintf(command, sizeof(command), "pactl get-sink-volume %ls", sink);
    if (!run_unix(command, out, sizeof(out))) return 0;
    /* "Volume: front-left: 32768 /  50% / -18.06 dB,   front-right: ..." */
    for (p = out; count < max_values && (p = strchr(p, ':')); p++)
        if (p[1] == ' ' && p[2] >= '0' && p[2] <= '9') values[count++] = strtoul(p + 2, NULL, 10);
    if (!count) trace("%s: %s\n", command, out);
    return count;
}

static int sink_mute(void)
{
    char out[256], command[256];
    WCHAR sink[128];

    if (!test_getenv("MMDEVAPI_TEST_PULSE_SINK", sink, ARRAY_SIZE(sink))) return -1;
    snprintf(command, sizeof(command), "pactl get-sink-mute %ls", sink);
    if (!run_unix(command, out, sizeof(out))) return -1;
    if (strstr(out, "Mute: yes")) return 1;
    if (strstr(out, "Mute: no")) return 0;
    return -1;
}

/* ---- (a) Activate and the argument checks --------------------------------------------------------- */

static IAudioEndpointVolume *get_volume(void)
{
    IAudioEndpointVolume *aev = NULL;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioEndpointVolume, CLSCTX_INPROC_SERVER, NULL, (void **)&aev);
    ok(hr == S_OK, "Activate(IAudioEndpointVolume): got %08lx, expected S_OK\n", hr);
    return hr == S_OK ? aev : NULL;
}

static void test_activate(void)
{
    IAudioEndpointVolumeEx *ex = NULL;
    IAudioMeterInformation *meter = NULL;
    IAudioEndpointVolume *aev;
    IUnknown *unk;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioEndpointVolumeEx, CLSCTX_INPROC_SERVER, NULL, (void **)&ex);
    ok(hr == S_OK, "Activate(IAudioEndpointVolumeEx): got %08lx, expected S_OK\n", hr);
    if (ex)
    {
        hr = IAudioEndpointVolumeEx_QueryInterface(ex, &IID_IAudioEndpointVolume, (void **)&aev);
        ok(hr == S_OK && (void *)aev == (void *)ex, "QueryInterface(IAudioEndpointVolume): got %08lx %p, expected S_OK %p\n",
           hr, aev, ex);
        if (hr == S_OK) IAudioEndpointVolume_Release(aev);
        hr = IAudioEndpointVolumeEx_QueryInterface(ex, &iid_unknown, (void **)&unk);
        ok(hr == S_OK, "QueryInterface(IUnknown): got %08lx, expected S_OK\n", hr);
        if (hr == S_OK) IUnknown_Release(unk);
        hr = IAudioEndpointVolumeEx_QueryInterface(ex, &IID_IAudioMeterInformation, (void **)&unk);
        ok(hr == E_NOINTERFACE, "QueryInterface(IAudioMeterInformation): got %08lx, expected E_NOINTERFACE\n", hr);
        IAudioEndpointVolumeEx_Release(ex);
    }
    hr = IMMDevice_Activate(dev, &IID_IAudioMeterInformation, CLSCTX_INPROC_SERVER, NULL, (void **)&meter);
    ok(hr == S_OK, "Activate(IAudioMeterInformation): got %08lx, expected S_OK\n", hr);
    if (meter) IAudioMeterInformation_Release(meter);
}

static void test_checks(void)
{
    float min_db, max_db, inc_db, level, levels[2], db;
    IAudioEndpointVolumeEx *ex;
    IAudioEndpointVolume *aev;
    UINT count, step, steps;
    DWORD mask;
    BOOL mute;
    HRESULT hr;

    if (!(aev = get_volume())) return;
    hr = IAudioEndpointVolume_GetChannelCount(aev, NULL);
    ok(hr == E_POINTER, "GetChannelCount(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_GetChannelCount(aev, &count);
    ok(hr == S_OK && count == env.render_format.channels, "GetChannelCount: got %08lx %u, expected S_OK %u\n", hr, count,
       env.render_format.channels);
    if (hr != S_OK || count != 2)
    {
        skip("the checks expect a stereo endpoint\n");
        IAudioEndpointVolume_Release(aev);
        return;
    }

    hr = IAudioEndpointVolume_GetVolumeRange(aev, &min_db, NULL, NULL);
    ok(hr == E_POINTER, "GetVolumeRange(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_GetVolumeRange(aev, NULL, &max_db, &inc_db);
    ok(hr == E_POINTER, "GetVolumeRange(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_GetVolumeRange(aev, &min_db, &max_db, &inc_db);
    ok(hr == S_OK && min_db < max_db && inc_db > 0, "GetVolumeRange: got %08lx [%f, %f] / %f\n", hr, min_db, max_db, inc_db);
    trace("range [%f, %f] dB, increment %f dB\n", min_db, max_db, inc_db);

    hr = IAudioEndpointVolume_GetMasterVolumeLevel(aev, NULL);
    ok(hr == E_POINTER, "GetMasterVolumeLevel(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_GetMasterVolumeLevelScalar(aev, NULL);
    ok(hr == E_POINTER, "GetMasterVolumeLevelScalar(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_SetMasterVolumeLevel(aev, min_db - inc_db, NULL);
    ok(hr == E_INVALIDARG, "SetMasterVolumeLevel(below the range): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_SetMasterVolumeLevel(aev, max_db + inc_db, NULL);
    ok(hr == E_INVALIDARG, "SetMasterVolumeLevel(above the range): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_SetMasterVolumeLevel(aev, NAN, NULL);
    ok(hr == E_INVALIDARG, "SetMasterVolumeLevel(NaN): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 1.01f, NULL);
    ok(hr == E_INVALIDARG, "SetMasterVolumeLevelScalar(1.01): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, -0.01f, NULL);
    ok(hr == E_INVALIDARG, "SetMasterVolumeLevelScalar(-0.01): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, NAN, NULL);
    ok(hr == E_INVALIDARG, "SetMasterVolumeLevelScalar(NaN): got %08lx, expected E_INVALIDARG\n", hr);

    hr = IAudioEndpointVolume_SetChannelVolumeLevelScalar(aev, 2, 0.5f, NULL);
    ok(hr == E_INVALIDARG, "SetChannelVolumeLevelScalar(channel 2): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_SetChannelVolumeLevelScalar(aev, 0, 1.5f, NULL);
    ok(hr == E_INVALIDARG, "SetChannelVolumeLevelScalar(1.5): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_SetChannelVolumeLevel(aev, 2, max_db, NULL);
    ok(hr == E_INVALIDARG, "SetChannelVolumeLevel(channel 2): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_SetChannelVolumeLevel(aev, 0, max_db + inc_db, NULL);
    ok(hr == E_INVALIDARG, "SetChannelVolumeLevel(above the range): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_GetChannelVolumeLevelScalar(aev, 2, &level);
    ok(hr == E_INVALIDARG, "GetChannelVolumeLevelScalar(channel 2): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_GetChannelVolumeLevelScalar(aev, 0, NULL);
    ok(hr == E_POINTER, "GetChannelVolumeLevelScalar(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_GetChannelVolumeLevel(aev, 2, &db);
    ok(hr == E_INVALIDARG, "GetChannelVolumeLevel(channel 2): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioEndpointVolume_GetChannelVolumeLevel(aev, 0, NULL);
    ok(hr == E_POINTER, "GetChannelVolumeLevel(NULL): got %08lx, expected E_POINTER\n", hr);

    hr = IAudioEndpointVolume_GetMute(aev, NULL);
    ok(hr == E_POINTER, "GetMute(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_GetVolumeStepInfo(aev, NULL, NULL);
    ok(hr == E_POINTER, "GetVolumeStepInfo(NULL, NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_QueryHardwareSupport(aev, NULL);
    ok(hr == E_POINTER, "QueryHardwareSupport(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_QueryHardwareSupport(aev, &mask);
    ok(hr == S_OK && !(mask & ~7u), "QueryHardwareSupport: got %08lx %#lx\n", hr, mask);
    hr = IAudioEndpointVolume_RegisterControlChangeNotify(aev, NULL);
    ok(hr == E_POINTER, "RegisterControlChangeNotify(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioEndpointVolume_UnregisterControlChangeNotify(aev, NULL);
    ok(hr == E_POINTER, "UnregisterControlChangeNotify(NULL): got %08lx, expected E_POINTER\n", hr);

    /* Wine's own test: the level read is one that may be set. */
    hr = IAudioEndpointVolume_GetMasterVolumeLevel(aev, &db);
    ok(hr == S_OK && db >= min_db && db <= max_db, "GetMasterVolumeLevel: got %08lx %f\n", hr, db);
    hr = IAudioEndpointVolume_SetMasterVolumeLevel(aev, db, NULL);
    ok(hr == S_OK, "SetMasterVolumeLevel(the level read): got %08lx, expected S_OK\n", hr);

    /* The scalar is the cubic level (the server's percentages); its dB 60 log10 of it. */
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 0.5f, NULL);
    ok(hr == S_OK, "SetMasterVolumeLevelScalar(0.5): got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_GetMasterVolumeLevelScalar(aev, &level);
    ok(hr == S_OK && level == 0.5f, "GetMasterVolumeLevelScalar: got %08lx %.9g, expected S_OK 0.5\n", hr, level);
    hr = IAudioEndpointVolume_GetMasterVolumeLevel(aev, &db);
    ok(hr == S_OK && fabsf(db - 60.0f * log10f(0.5f)) < 0.001f, "GetMasterVolumeLevel: got %08lx %f, expected %f\n",
       hr, db, 60.0f * log10f(0.5f));
    hr = IAudioEndpointVolume_SetMasterVolumeLevel(aev, -30.0f, NULL);
    ok(hr == S_OK, "SetMasterVolumeLevel(-30): got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_GetMasterVolumeLevelScalar(aev, &level);
    ok(hr == S_OK && fabsf(level - powf(10.0f, -0.5f)) < 1.0f / 65536, "GetMasterVolumeLevelScalar after -30 dB: got %08lx %.9g\n",
       hr, level);

    /* Channels and master are one volume: the master is the loudest channel, and moves them all. */
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 0.5f, NULL);
    ok(hr == S_OK, "SetMasterVolumeLevelScalar(0.5): got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_SetChannelVolumeLevelScalar(aev, 1, 0.25f, NULL);
    ok(hr == S_OK, "SetChannelVolumeLevelScalar(1, 0.25): got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_GetChannelVolumeLevelScalar(aev, 0, &levels[0]);
    if (hr == S_OK) hr = IAudioEndpointVolume_GetChannelVolumeLevelScalar(aev, 1, &levels[1]);
    ok(hr == S_OK && levels[0] == 0.5f && levels[1] == 0.25f, "channels: got %08lx %.9g %.9g, expected 0.5 0.25\n", hr,
       levels[0], levels[1]);
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 1.0f, NULL);
    ok(hr == S_OK, "SetMasterVolumeLevelScalar(1): got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_GetChannelVolumeLevelScalar(aev, 0, &levels[0]);
    if (hr == S_OK) hr = IAudioEndpointVolume_GetChannelVolumeLevelScalar(aev, 1, &levels[1]);
    ok(hr == S_OK && levels[0] == 1.0f && levels[1] == 0.5f, "channels after master 1: got %08lx %.9g %.9g, expected 1 0.5\n",
       hr, levels[0], levels[1]);
    hr = IAudioEndpointVolume_SetChannelVolumeLevel(aev, 1, 0.0f, NULL);
    ok(hr == S_OK, "SetChannelVolumeLevel(1, 0 dB): got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_GetChannelVolumeLevelScalar(aev, 1, &level);
    ok(hr == S_OK && level == 1.0f, "channel 1 at 0 dB: got %08lx %.9g, expected 1\n", hr, level);

    /* Steps of the scalar, from 0 to 1. */
    hr = IAudioEndpointVolume_GetVolumeStepInfo(aev, &step, &steps);
    ok(hr == S_OK && steps >= 2 && step == steps - 1, "GetVolumeStepInfo at 1: got %08lx %u of %u\n", hr, step, steps);
    hr = IAudioEndpointVolume_VolumeStepUp(aev, NULL);
    ok(hr == S_OK, "VolumeStepUp at the top: got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_VolumeStepDown(aev, NULL);
    ok(hr == S_OK, "VolumeStepDown: got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_GetVolumeStepInfo(aev, &step, &steps);
    ok(hr == S_OK && step == steps - 2, "GetVolumeStepInfo after a step down: got %08lx %u of %u\n", hr, step, steps);
    hr = IAudioEndpointVolume_GetMasterVolumeLevelScalar(aev, &level);
    ok(hr == S_OK && fabsf(level - (float)(steps - 2) / (steps - 1)) < 1.0f / 65536,
       "the level a step down: got %08lx %.9g, expected %.9g\n", hr, level, (float)(steps - 2) / (steps - 1));
    hr = IAudioEndpointVolume_VolumeStepUp(aev, NULL);
    ok(hr == S_OK, "VolumeStepUp: got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_GetMasterVolumeLevelScalar(aev, &level);
    ok(hr == S_OK && level == 1.0f, "the level a step up again: got %08lx %.9g, expected 1\n", hr, level);

    /* SetMute: S_FALSE when it already was so. */
    hr = IAudioEndpointVolume_GetMute(aev, &mute);
    ok(hr == S_OK && !mute, "GetMute: got %08lx %d, expected S_OK 0\n", hr, mute);
    hr = IAudioEndpointVolume_SetMute(aev, FALSE, NULL);
    ok(hr == S_FALSE, "SetMute(FALSE) unmuted: got %08lx, expected S_FALSE\n", hr);
    hr = IAudioEndpointVolume_SetMute(aev, 2, NULL);
    ok(hr == S_OK, "SetMute(2): got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_GetMute(aev, &mute);
    ok(hr == S_OK && mute == TRUE, "GetMute: got %08lx %d, expected S_OK 1\n", hr, mute);
    hr = IAudioEndpointVolume_SetMute(aev, TRUE, NULL);
    ok(hr == S_FALSE, "SetMute(TRUE) muted: got %08lx, expected S_FALSE\n", hr);
    hr = IAudioEndpointVolume_SetMute(aev, FALSE, NULL);
    ok(hr == S_OK, "SetMute(FALSE): got %08lx, expected S_OK\n", hr);

    if (IAudioEndpointVolume_QueryInterface(aev, &IID_IAudioEndpointVolumeEx, (void **)&ex) == S_OK)
    {
        hr = IAudioEndpointVolumeEx_GetVolumeRangeChannel(ex, 0, NULL, &max_db, &inc_db);
        ok(hr == E_POINTER, "GetVolumeRangeChannel(NULL): got %08lx, expected E_POINTER\n", hr);
        hr = IAudioEndpointVolumeEx_GetVolumeRangeChannel(ex, 2, &min_db, &max_db, &inc_db);
        ok(hr == E_INVALIDARG, "GetVolumeRangeChannel(channel 2): got %08lx, expected E_INVALIDARG\n", hr);
        hr = IAudioEndpointVolumeEx_GetVolumeRangeChannel(ex, 1, &min_db, &max_db, &inc_db);
        ok(hr == S_OK && min_db < max_db, "GetVolumeRangeChannel(1): got %08lx [%f, %f]\n", hr, min_db, max_db);
        IAudioEndpointVolumeEx_Release(ex);
    }
    IAudioEndpointVolume_Release(aev);
}

static void test_meter_checks(void)
{
    IAudioMeterInformation *meter;
    float peak, peaks[3];
    UINT count;
    DWORD mask;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioMeterInformation, CLSCTX_INPROC_SERVER, NULL, (void **)&meter);
    ok(hr == S_OK, "Activate(IAudioMeterInformation): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;
    hr = IAudioMeterInformation_GetPeakValue(meter, NULL);
    ok(hr == E_POINTER, "GetPeakValue(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioMeterInformation_GetMeteringChannelCount(meter, NULL);
    ok(hr == E_POINTER, "GetMeteringChannelCount(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioMeterInformation_GetMeteringChannelCount(meter, &count);
    ok(hr == S_OK && count == env.render_format.channels, "GetMeteringChannelCount: got %08lx %u, expected %u\n", hr,
       count, env.render_format.channels);
    hr = IAudioMeterInformation_GetChannelsPeakValues(meter, count, NULL);
    ok(hr == E_POINTER, "GetChannelsPeakValues(NULL): got %08lx, expected E_POINTER\n", hr);
    if (count <= 2)
    {
        hr = IAudioMeterInformation_GetChannelsPeakValues(meter, count + 1, peaks);
        ok(hr == E_INVALIDARG, "GetChannelsPeakValues(%u): got %08lx, expected E_INVALIDARG\n", count + 1, hr);
        peaks[0] = peaks[1] = -1.0f;
        hr = IAudioMeterInformation_GetChannelsPeakValues(meter, count, peaks);
        ok(hr == S_OK && peaks[0] == 0.0f, "GetChannelsPeakValues with nothing playing: got %08lx %f\n", hr, peaks[0]);
    }
    hr = IAudioMeterInformation_GetPeakValue(meter, &peak);
    ok(hr == S_OK && peak == 0.0f, "GetPeakValue with nothing playing: got %08lx %f, expected S_OK 0\n", hr, peak);
    hr = IAudioMeterInformation_QueryHardwareSupport(meter, NULL);
    ok(hr == E_POINTER, "QueryHardwareSupport(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioMeterInformation_QueryHardwareSupport(meter, &mask);
    ok(hr == S_OK && !mask, "QueryHardwareSupport: got %08lx %#lx, expected S_OK 0 (a meter in software)\n", hr, mask);
    IAudioMeterInformation_Release(meter);
}

/* ---- (b) the sink's own volume -------------------------------------------------------------------- */

static void test_sink_volume(void)
{
    IAudioEndpointVolume *aev;
    UINT32 values[8], count;
    HRESULT hr;

    if (env.backend != TEST_BACKEND_PULSE && env.backend != TEST_BACKEND_PIPEWIRE)
    {
        skip("the sink's volume: PulseAudio and PipeWire only\n");
        return;
    }
    if (!(aev = get_volume())) return;
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 0.5f, NULL);
    ok(hr == S_OK, "SetMasterVolumeLevelScalar(0.5): got %08lx, expected S_OK\n", hr);
    count = sink_volume(values, ARRAY_SIZE(values));
    ok(count == 2 && values[0] == 0x8000 && values[1] == 0x8000, "pactl: %u channels, %u %u, expected 2 channels at 32768 (50 %%)\n",
       count, values[0], values[1]);
    hr = IAudioEndpointVolume_SetChannelVolumeLevelScalar(aev, 1, 0.25f, NULL);
    ok(hr == S_OK, "SetChannelVolumeLevelScalar(1, 0.25): got %08lx, expected S_OK\n", hr);
    count = sink_volume(values, ARRAY_SIZE(values));
    ok(count == 2 && values[0] == 0x8000 && values[1] == 0x4000, "pactl: %u channels, %u %u, expected 32768 16384\n",
       count, values[0], values[1]);
    hr = IAudioEndpointVolume_SetMute(aev, TRUE, NULL);
    ok(hr == S_OK, "SetMute(TRUE): got %08lx, expected S_OK\n", hr);
    ok(sink_mute() == 1, "pactl: the sink is not muted\n");
    hr = IAudioEndpointVolume_SetMute(aev, FALSE, NULL);
    ok(hr == S_OK, "SetMute(FALSE): got %08lx, expected S_OK\n", hr);
    ok(sink_mute() == 0, "pactl: the sink is still muted\n");
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 1.0f, NULL);
    hr = IAudioEndpointVolume_SetChannelVolumeLevelScalar(aev, 1, 1.0f, NULL);
    count = sink_volume(values, ARRAY_SIZE(values));
    ok(count == 2 && values[0] == 0x10000 && values[1] == 0x10000, "pactl: %u channels, %u %u, expected 65536 65536\n",
       count, values[0], values[1]);
    IAudioEndpointVolume_Release(aev);
}

/* ---- (c) OnNotify --------------------------------------------------------------------------------- */

struct callback
{
    IAudioEndpointVolumeCallback IAudioEndpointVolumeCallback_iface;
    LONG ref;
    CRITICAL_SECTION lock;
    HANDLE event;
    LONG calls;
    DWORD thread;
    DWORD tick;                         /* GetTickCount() at the last call */
    GUID context;
    BOOL muted;
    float master;
    UINT channels;
    float levels[2];
    IAudioEndpointVolume *reenter;      /* called back from OnNotify when set */
    HRESULT reenter_hr;
};

static struct callback *impl_from_IAudioEndpointVolumeCallback(IAudioEndpointVolumeCallback *iface)
{
    return CONTAINING_RECORD(iface, struct callback, IAudioEndpointVolumeCallback_iface);
}

static HRESULT WINAPI callback_QueryInterface(IAudioEndpointVolumeCallback *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &iid_unknown) || IsEqualIID(riid, &IID_IAudioEndpointVolumeCallback))
    {
        *out = iface;
        IAudioEndpointVolumeCallback_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI callback_AddRef(IAudioEndpointVolumeCallback *iface)
{
    return InterlockedIncrement(&impl_from_IAudioEndpointVolumeCallback(iface)->ref);
}

static ULONG WINAPI callback_Release(IAudioEndpointVolumeCallback *iface)
{
    return InterlockedDecrement(&impl_from_IAudioEndpointVolumeCallback(iface)->ref);
}

static HRESULT WINAPI callback_OnNotify(IAudioEndpointVolumeCallback *iface, AUDIO_VOLUME_NOTIFICATION_DATA *data)
{
    struct callback *callback = impl_from_IAudioEndpointVolumeCallback(iface);
    float level;

    EnterCriticalSection(&callback->lock);
    callback->tick = GetTickCount();
    callback->thread = GetCurrentThreadId();
    callback->context = data->guidEventContext;
    callback->muted = data->bMuted;
    callback->master = data->fMasterVolume;
    callback->channels = data->nChannels;
    memcpy(callback->levels, data->afChannelVolumes, min(data->nChannels, 2) * sizeof(float));
    if (callback->reenter)
    {
        callback->reenter_hr = IAudioEndpointVolume_GetMasterVolumeLevelScalar(callback->reenter, &level);
        if (SUCCEEDED(callback->reenter_hr))
            callback->reenter_hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(callback->reenter, level, NULL);
    }
    InterlockedIncrement(&callback->calls);
    LeaveCriticalSection(&callback->lock);
    SetEvent(callback->event);
    return S_OK;
}

static const IAudioEndpointVolumeCallbackVtbl callback_vtbl =
{
    callback_QueryInterface,
    callback_AddRef,
    callback_Release,
    callback_OnNotify,
};

static BOOL callback_wait(struct callback *callback, const char *what)
{
    return ok(WaitForSingleObject(callback->event, 5000) == WAIT_OBJECT_0, "no OnNotify for %s\n", what);
}

static void test_notify(void)
{
    /* Static: an OnNotify on its way may release it after this function returned. */
    static struct callback callback;
    IAudioEndpointVolume *aev;
    UINT32 values[2];
    DWORD start;
    HRESULT hr;
    LONG calls;
    WCHAR sink[128];
    char command[256];

    memset(&callback, 0, sizeof(callback));
    callback.IAudioEndpointVolumeCallback_iface.lpVtbl = &callback_vtbl;
    callback.ref = 1;
    if (!(aev = get_volume())) return;
    InitializeCriticalSection(&callback.lock);
    callback.event = CreateEventW(NULL, FALSE, FALSE, NULL);
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 1.0f, NULL);
    ok(hr == S_OK, "SetMasterVolumeLevelScalar(1): got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_RegisterControlChangeNotify(aev, &callback.IAudioEndpointVolumeCallback_iface);
    ok(hr == S_OK, "RegisterControlChangeNotify: got %08lx, expected S_OK\n", hr);
    ok(callback.ref > 1, "the callback holds no reference: %ld\n", callback.ref);

    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 0.25f, &context1);
    ok(hr == S_OK, "SetMasterVolumeLevelScalar(0.25): got %08lx, expected S_OK\n", hr);
    if (callback_wait(&callback, "SetMasterVolumeLevelScalar"))
    {
        EnterCriticalSection(&callback.lock);
        ok(IsEqualGUID(&callback.context, &context1), "OnNotify: not the caller's context\n");
        ok(callback.thread != GetCurrentThreadId(), "OnNotify on the caller's thread\n");
        ok(!callback.muted && callback.master == 0.25f && callback.channels == 2 && callback.levels[0] == 0.25f
           && callback.levels[1] == 0.25f, "OnNotify: got muted %d master %.9g, %u channels %.9g %.9g, expected 0 0.25 2 0.25 0.25\n",
           callback.muted, callback.master, callback.channels, callback.levels[0], callback.levels[1]);
        LeaveCriticalSection(&callback.lock);
    }
    /* A change that changes nothing tells no one. */
    calls = callback.calls;
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 0.25f, &context1);
    ok(hr == S_OK, "SetMasterVolumeLevelScalar(0.25) again: got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_SetChannelVolumeLevelScalar(aev, 1, 0.125f, &context2);
    ok(hr == S_OK, "SetChannelVolumeLevelScalar(1, 0.125): got %08lx, expected S_OK\n", hr);
    if (callback_wait(&callback, "SetChannelVolumeLevelScalar"))
    {
        EnterCriticalSection(&callback.lock);
        ok(callback.calls == calls + 1, "OnNotify: %ld calls, expected 1 (none for the level set again)\n",
           callback.calls - calls);
        ok(IsEqualGUID(&callback.context, &context2), "OnNotify: not the caller's context\n");
        ok(callback.master == 0.25f && callback.levels[0] == 0.25f && callback.levels[1] == 0.125f,
           "OnNotify: got master %.9g channels %.9g %.9g, expected 0.25 0.25 0.125\n", callback.master, callback.levels[0],
           callback.levels[1]);
        LeaveCriticalSection(&callback.lock);
    }
    hr = IAudioEndpointVolume_SetMute(aev, TRUE, NULL);
    ok(hr == S_OK, "SetMute(TRUE): got %08lx, expected S_OK\n", hr);
    if (callback_wait(&callback, "SetMute"))
        ok(callback.muted && IsEqualGUID(&callback.context, &no_context), "OnNotify: got muted %d, context GUID_NULL %d\n",
           callback.muted, IsEqualGUID(&callback.context, &no_context));

    /* A callback that calls back: the endpoint volume takes no lock that delivery holds. */
    callback.reenter = aev;
    hr = IAudioEndpointVolume_SetMute(aev, FALSE, &context1);
    ok(hr == S_OK, "SetMute(FALSE): got %08lx, expected S_OK\n", hr);
    if (callback_wait(&callback, "SetMute from a callback that calls back"))
        ok(callback.reenter_hr == S_OK, "the calls from inside OnNotify: got %08lx, expected S_OK\n", callback.reenter_hr);
    EnterCriticalSection(&callback.lock);
    callback.reenter = NULL;
    LeaveCriticalSection(&callback.lock);

    /* A change from outside: pactl (on PipeWire, through the harness's pipewire-pulse). */
    if ((env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_PIPEWIRE)
        && test_getenv("MMDEVAPI_TEST_PULSE_SINK", sink, ARRAY_SIZE(sink)))
    {
        Sleep(100);
        ResetEvent(callback.event);
        /* In the server's units (about 30 % and 40 %): pactl rounds percentages its own way. */
        snprintf(command, sizeof(command), "pactl set-sink-volume %ls 19661 26214", sink);
        start = GetTickCount();
        ok(run_unix(command, NULL, 0), "cannot run %s\n", command);
        if (callback_wait(&callback, "pactl set-sink-volume"))
        {
            EnterCriticalSection(&callback.lock);
            values[0] = 19661;
            values[1] = 26214;
            /* An upper bound: from when pactl's shell was started. */
            trace("OnNotify %lu ms after pactl was started\n", callback.tick - start);
            ok(IsEqualGUID(&callback.context, &no_context), "OnNotify from outside: the context is not GUID_NULL\n");
            ok(callback.channels == 2 && callback.levels[0] == values[0] / 65536.0f && callback.levels[1] == values[1] / 65536.0f
               && callback.master == values[1] / 65536.0f,
               "OnNotify from outside: got master %.9g, %u channels %.9g %.9g, expected %.9g, 2 %.9g %.9g\n", callback.master,
               callback.channels, callback.levels[0], callback.levels[1], values[1] / 65536.0f, values[0] / 65536.0f,
               values[1] / 65536.0f);
            LeaveCriticalSection(&callback.lock);
        }
    }
    else skip("a change from outside: no mixer control of the device's own on this backend\n");

    hr = IAudioEndpointVolume_UnregisterControlChangeNotify(aev, &callback.IAudioEndpointVolumeCallback_iface);
    ok(hr == S_OK, "UnregisterControlChangeNotify: got %08lx, expected S_OK\n", hr);
    calls = callback.calls;
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 1.0f, NULL);
    ok(hr == S_OK, "SetMasterVolumeLevelScalar(1): got %08lx, expected S_OK\n", hr);
    hr = IAudioEndpointVolume_SetChannelVolumeLevelScalar(aev, 0, 1.0f, NULL);
    hr = IAudioEndpointVolume_SetChannelVolumeLevelScalar(aev, 1, 1.0f, NULL);
    Sleep(200);
    ok(callback.calls == calls, "OnNotify after Unregister: %ld calls\n", callback.calls - calls);
    IAudioEndpointVolume_Release(aev);
    if (!ok(test_wait_released(&callback.ref), "the callback's references after Release: %ld, expected 1\n",
            callback.ref))
        return;     /* what a late call uses stays */
    CloseHandle(callback.event);
    DeleteCriticalSection(&callback.lock);
}

/* ---- (d) the program's name on the stream that carries it ----------------------------------------- */

/* What the sound server lists of the stream that carries us while it plays: the program's name (its
 * session's display name, set before the stream opened) and its Windows process id. The first stream
 * this process starts. */
static void test_stream_name(void)
{
    IAudioSessionControl *control = NULL;
    IAudioRenderClient *rc = NULL;
    IAudioClient *ac = NULL;
    char out[16384], id[64];
    WAVEFORMATEX *wfx;
    UINT32 buffer;
    BYTE *data;
    HRESULT hr;

    if (env.backend != TEST_BACKEND_PULSE && env.backend != TEST_BACKEND_PIPEWIRE)
    {
        skip("the stream's name: PulseAudio and PipeWire only\n");
        return;
    }
    hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&ac);
    if (hr == S_OK) hr = IAudioClient_GetMixFormat(ac, &wfx);
    if (hr == S_OK)
    {
        hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 10000000, 0, wfx, NULL);
        CoTaskMemFree(wfx);
    }
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IAudioSessionControl, (void **)&control);
    if (hr == S_OK) hr = IAudioSessionControl_SetDisplayName(control, L"Volume Test Program", NULL);
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IAudioRenderClient, (void **)&rc);
    if (hr == S_OK) hr = IAudioClient_GetBufferSize(ac, &buffer);
    if (hr == S_OK) hr = IAudioRenderClient_GetBuffer(rc, buffer, &data);
    if (hr == S_OK) hr = IAudioRenderClient_ReleaseBuffer(rc, buffer, AUDCLNT_BUFFERFLAGS_SILENT);
    if (hr == S_OK) hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "playing a second of silence: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK)
    {
        Sleep(300);
        if (ok(run_unix("pactl list sink-inputs", out, sizeof(out)), "cannot run pactl list sink-inputs\n"))
        {
            snprintf(id, sizeof(id), "application.process.windows_id = \"%lu\"", GetCurrentProcessId());
            ok(strstr(out, "application.name = \"Volume Test Program\"") != NULL,
               "no stream named by the session's display name\n");
            ok(strstr(out, id) != NULL, "no stream with our Windows process id (%s)\n", id);
            if (!strstr(out, "Volume Test Program")) trace("pactl list sink-inputs: %s\n", out);
        }
        IAudioClient_Stop(ac);
    }
    if (rc) IAudioRenderClient_Release(rc);
    if (control) IAudioSessionControl_Release(control);
    if (ac) IAudioClient_Release(ac);
}

/* ---- (e) the meter and the gain at the backend ---------------------------------------------------- */

/* A signal whose every period peaks at 0.75 on the left and 0.5 on the right, both exact, and easy to
 * find in a recording: its magnitude steps through multiples of 2^-8 up to those peaks. */
static float sample_at(UINT32 frame, UINT32 channel)
{
    float peak = channel ? 0.5f : 0.75f, value = peak * (float)(frame % 64 + 1) / 64.0f;

    return frame & 1 ? -value : value;
}

static void test_meter_and_gain(void)
{
    const UINT32 count = 48000 * 6 / 10, match = 64;
    WCHAR recording[MAX_PATH];
    IAudioMeterInformation *meter = NULL, *session_meter = NULL;
    IAudioSessionControl *control = NULL;
    IAudioEndpointVolume *aev = NULL;
    IUnknown *unk1, *unk2;
    UINT32 session_exact = 0;
    IAudioRenderClient *rc = NULL;
    IAudioClient *ac = NULL;
    UINT32 written = 0, frames, padding, buffer, i, n, at, reads = 0, exact = 0;
    float *buf, *rec, peaks[2], peak, max_seen[2] = {0};
    BOOL found = FALSE, started = FALSE, compare;
    WAVEFORMATEX *wfx;
    UINT64 mark = 0;
    DWORD start;
    HRESULT hr;

    compare = (env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_ALSA
               || env.backend == TEST_BACKEND_PIPEWIRE)
              && recording_find(&env, recording, ARRAY_SIZE(recording));
    if (!(aev = get_volume())) return;
    hr = IMMDevice_Activate(dev, &IID_IAudioMeterInformation, CLSCTX_INPROC_SERVER, NULL, (void **)&meter);
    ok(hr == S_OK, "Activate(IAudioMeterInformation): got %08lx, expected S_OK\n", hr);
    if (hr == S_OK) hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&ac);
    if (hr == S_OK) hr = IAudioClient_GetMixFormat(ac, &wfx);
    ok(hr == S_OK, "a client and its mix format: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;
    if (wfx->nChannels != 2 || wfx->nSamplesPerSec != RECORDING_RATE || wfx->wBitsPerSample != 32)
    {
        skip("the mix format is not float32 48 kHz stereo\n");
        CoTaskMemFree(wfx);
        goto done;
    }
    hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 10000000, 0, wfx, NULL);
    CoTaskMemFree(wfx);
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IAudioRenderClient, (void **)&rc);
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IAudioSessionControl, (void **)&control);
    /* A session's meter: its control's own, as Windows' volume mixer uses it. */
    if (hr == S_OK) hr = IAudioSessionControl_QueryInterface(control, &IID_IAudioMeterInformation, (void **)&session_meter);
    ok(hr == S_OK, "IAudioSessionControl's IAudioMeterInformation: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK)
    {
        IAudioMeterInformation_QueryInterface(session_meter, &iid_unknown, (void **)&unk1);
        IAudioSessionControl_QueryInterface(control, &iid_unknown, (void **)&unk2);
        ok(unk1 == unk2, "the session's meter is not its control: IUnknown %p and %p\n", unk1, unk2);
        IUnknown_Release(unk1);
        IUnknown_Release(unk2);
    }
    if (hr == S_OK) hr = IAudioClient_GetBufferSize(ac, &buffer);
    if (hr == S_OK) hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 0.5f, NULL);
    ok(hr == S_OK, "setting up the stream and the volume: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    if (compare) mark = recording_frames(recording);
    start = GetTickCount();
    while (GetTickCount() - start < 5000)
    {
        if (IAudioClient_GetCurrentPadding(ac, &padding) != S_OK) break;
        if (written == count && !padding) break;
        frames = min(buffer - padding, count - written);
        if (frames && IAudioRenderClient_GetBuffer(rc, frames, (BYTE **)&buf) == S_OK)
        {
            for (i = 0; i < frames; i++)
            {
                buf[2 * i] = sample_at(written + i, 0);
                buf[2 * i + 1] = sample_at(written + i, 1);
            }
            IAudioRenderClient_ReleaseBuffer(rc, frames, 0);
            written += frames;
        }
        if (written && !started)
        {
            hr = IAudioClient_Start(ac);
            started = ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
        }
        /* The peaks of the last period: the signal's while it plays, whatever the endpoint's volume. */
        if (started && padding > buffer / 20 && IAudioMeterInformation_GetChannelsPeakValues(meter, 2, peaks) == S_OK)
        {
            reads++;
            if (peaks[0] == 0.75f && peaks[1] == 0.5f) exact++;
            max_seen[0] = max(max_seen[0], peaks[0]);
            max_seen[1] = max(max_seen[1], peaks[1]);
            if (IAudioMeterInformation_GetPeakValue(meter, &peak) == S_OK && peak != 0.0f)
                ok(peak == 0.75f, "GetPeakValue while playing: got %.9g, expected 0.75 or 0\n", peak);
            if (IAudioMeterInformation_GetChannelsPeakValues(session_meter, 2, peaks) == S_OK
                && peaks[0] == 0.75f && peaks[1] == 0.5f)
                session_exact++;
        }
        Sleep(10);
    }
    ok(written == count, "played %u of %u frames\n", written, count);
    ok(exact && max_seen[0] == 0.75f && max_seen[1] == 0.5f,
       "the meter: %u of %u reads were the signal's peaks 0.75 0.5; the highest %.9g %.9g\n", exact, reads,
       max_seen[0], max_seen[1]);
    trace("the meter read the signal's exact peaks %u times of %u\n", exact, reads);
    ok(session_exact, "the session's meter never read the signal's peaks 0.75 0.5 in %u reads\n", reads);
    Sleep(200);
    IAudioClient_Stop(ac);
    Sleep(100);
    hr = IAudioMeterInformation_GetChannelsPeakValues(meter, 2, peaks);
    ok(hr == S_OK && peaks[0] == 0.0f && peaks[1] == 0.0f, "the meter after Stop: got %08lx %.9g %.9g, expected 0 0\n",
       hr, peaks[0], peaks[1]);
    hr = IAudioMeterInformation_GetChannelsPeakValues(session_meter, 2, peaks);
    ok(hr == S_OK && peaks[0] == 0.0f && peaks[1] == 0.0f, "the session's meter after Stop: got %08lx %.9g %.9g, expected 0 0\n",
       hr, peaks[0], peaks[1]);

    if (!compare)
    {
        skip("nothing records what is played on this backend\n");
        goto done;
    }
    /* alsa-lib's file plugin starts its file again when the device is opened: then from 0. */
    if (recording_frames(recording) < mark) mark = 0;
    rec = recording_read(recording, mark, 0x1000000, &n);
    for (at = 0; rec && at + count <= n && !found; at++)
    {
        for (i = 0; i < match; i++)
            if (rec[2 * (at + i)] != sample_at(i, 0) * 0.125f) break;
        found = i == match;
    }
    if (ok(found, "the signal at 0.125 (a level of 0.5, cubed) not found in %u recorded frames\n", n))
    {
        at--;
        for (i = 0; i < count; i++)
            if (rec[2 * (at + i)] != sample_at(i, 0) * 0.125f || rec[2 * (at + i) + 1] != sample_at(i, 1) * 0.125f) break;
        ok(i == count, "frame %u: got %.9g %.9g, expected %.9g %.9g\n", i, i < count ? rec[2 * (at + i)] : 0,
           i < count ? rec[2 * (at + i) + 1] : 0, sample_at(i, 0) * 0.125f, sample_at(i, 1) * 0.125f);
    }
    free(rec);
done:
    if (aev)
    {
        IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 1.0f, NULL);
        IAudioEndpointVolume_Release(aev);
    }
    if (rc) IAudioRenderClient_Release(rc);
    if (ac) IAudioClient_Release(ac);
    if (meter) IAudioMeterInformation_Release(meter);
    if (session_meter) IAudioMeterInformation_Release(session_meter);
    if (control) IAudioSessionControl_Release(control);
}

/* ---- (f) a capture endpoint: its volume and meter ---------------------------------------------------- */

static IMMDeviceEnumerator *mme;

/* The capture endpoint whose DeviceInterface_FriendlyName is name, or NULL. */
static IMMDevice *capture_endpoint(const WCHAR *name)
{
    IMMDevice *endpoint, *found = NULL;
    IMMDeviceCollection *coll;
    IPropertyStore *props;
    UINT count = 0, i;
    PROPVARIANT pv;

    if (FAILED(IMMDeviceEnumerator_EnumAudioEndpoints(mme, eCapture, DEVICE_STATE_ACTIVE, &coll))) return NULL;
    IMMDeviceCollection_GetCount(coll, &count);
    for (i = 0; i < count && !found; i++)
    {
        if (FAILED(IMMDeviceCollection_Item(coll, i, &endpoint))) continue;
        if (SUCCEEDED(IMMDevice_OpenPropertyStore(endpoint, STGM_READ, &props)))
        {
            PropVariantInit(&pv);
            if (SUCCEEDED(IPropertyStore_GetValue(props, (const PROPERTYKEY *)&DEVPKEY_DeviceInterface_FriendlyName, &pv))
                && pv.vt == VT_LPWSTR && !wcscmp(pv.pwszVal, name))
                found = endpoint;
            PropVariantClear(&pv);
            IPropertyStore_Release(props);
        }
        if (found != endpoint) IMMDevice_Release(endpoint);
    }
    IMMDeviceCollection_Release(coll);
    return found;
}

/* The harness's feed captured at endpoint volume 0.5 (in float, which holds its 16-bit values
 * exactly): where the engine applies the volume (ALSA without a control of its own) the meter sees the
 * signal before the volume, as Windows meters a capture endpoint, and the program gets the signal
 * times 0.5^3 exactly; on PulseAudio the source moves to 50 %, and the server applies it before we
 * see the signal. */
static void test_capture(void)
{
    const UINT32 signal_frames = 24000;
    IAudioMeterInformation *meter = NULL;
    IAudioEndpointVolume *aev = NULL;
    IAudioCaptureClient *cc = NULL;
    IAudioClient *ac = NULL;
    IMMDevice *endpoint;
    struct feed feed;
    WAVEFORMATEX wfx = {0};
    UINT32 frames = 0, total, got, i, at, c, mismatches = 0, block, reads = 0;
    float *captured = NULL, peaks[MMDEVAPI_TEST_CHANNELS_MAX], meter_max = 0, captured_max = 0, signal_max = 0, value;
    DWORD flags, start, mask = 0;
    UINT64 position, qpc;
    BYTE *data;
    HRESULT hr;

    if (!feed_find(&feed) || feed.format.channels > MMDEVAPI_TEST_CHANNELS_MAX)
    {
        skip("the harness offers no capture feed here\n");
        return;
    }
    if (!ok((endpoint = capture_endpoint(feed.name)) != NULL, "no capture endpoint %s\n", dbgstr_w(feed.name))) return;
    hr = IMMDevice_Activate(endpoint, &IID_IAudioEndpointVolume, CLSCTX_INPROC_SERVER, NULL, (void **)&aev);
    ok(hr == S_OK, "Activate(IAudioEndpointVolume) of the capture endpoint: got %08lx, expected S_OK\n", hr);
    if (hr == S_OK) hr = IMMDevice_Activate(endpoint, &IID_IAudioMeterInformation, CLSCTX_INPROC_SERVER, NULL, (void **)&meter);
    if (hr == S_OK) hr = IAudioEndpointVolume_QueryHardwareSupport(aev, &mask);
    if (hr == S_OK) hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 0.5f, NULL);
    if (hr == S_OK) hr = IMMDevice_Activate(endpoint, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&ac);
    /* Float at the feed's rate and channels: the engine converts, exactly for 16-bit values. */
    wfx.wFormatTag = WAVE_FORMAT_IEEE_FLOAT;
    wfx.nChannels = feed.format.channels;
    wfx.nSamplesPerSec = feed.format.rate;
    wfx.wBitsPerSample = 32;
    wfx.nBlockAlign = block = wfx.nChannels * 4;
    wfx.nAvgBytesPerSec = wfx.nSamplesPerSec * wfx.nBlockAlign;
    if (hr == S_OK) hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 10000000, 0, &wfx, NULL);
    if (hr == S_OK) hr = IAudioClient_GetService(ac, &IID_IAudioCaptureClient, (void **)&cc);
    if (hr == S_OK) hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "capturing at endpoint volume 0.5: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;
    if (env.backend == TEST_BACKEND_PULSE)
    {
        char out[1024];

        ok(run_unix("pactl get-source-volume mmdevtest_feed", out, sizeof(out)) && strstr(out, "mono: 32768 "),
           "the feed's source is not at 32768 (50 %%): %s\n", out);
    }

    total = feed.format.rate * 3;
    captured = calloc(total, block);
    Sleep(50);
    feed_write(&feed, signal_frames);
    for (start = GetTickCount(); GetTickCount() - start < 2000 && frames + feed.format.rate / 100 <= total; Sleep(10))
    {
        while (frames + feed.format.rate / 100 <= total
               && IAudioCaptureClient_GetBuffer(cc, &data, &got, &flags, &position, &qpc) == S_OK)
        {
            memcpy((BYTE *)captured + (size_t)frames * block, data, (size_t)got * block);
            frames += got;
            IAudioCaptureClient_ReleaseBuffer(cc, got);
        }
        if (IAudioMeterInformation_GetChannelsPeakValues(meter, feed.format.channels, peaks) == S_OK)
        {
            reads++;
            for (c = 0; c < feed.format.channels; c++) meter_max = max(meter_max, peaks[c]);
        }
    }
    IAudioClient_Stop(ac);
    for (i = 0; i < signal_frames; i++)
        for (c = 0; c < feed.format.channels; c++) signal_max = max(signal_max, fabsf(feed_sample(i, c) / 32768.0f));
    for (i = 0; i < frames * feed.format.channels; i++) captured_max = max(captured_max, fabsf(captured[i]));
    trace("capture: meter's highest %.9g in %u reads, captured's %.9g, the signal's %.9g\n", meter_max, reads,
          captured_max, signal_max);
    ok(meter_max > 0.0f && meter_max <= signal_max, "the capture meter's highest: %.9g, the signal's %.9g\n", meter_max,
       signal_max);

    if (env.backend == TEST_BACKEND_PULSE || (mask & ENDPOINT_HARDWARE_SUPPORT_VOLUME))
    {
        /* The volume is applied before the signal reaches us: our meter cannot be before it. */
        todo_ok(meter_max > captured_max, "the meter (%.9g) is after the device's volume (captured %.9g)\n", meter_max,
                captured_max);
        skip("the device applies its volume itself: what is captured is its rounding\n");
        goto done;
    }
    /* Where the engine applies the volume, it meters before it, as Windows does. */
    ok(meter_max > captured_max, "the meter (%.9g) is not before the volume (captured %.9g)\n", meter_max, captured_max);
    for (at = 0; at + signal_frames <= frames; at++)
        if (captured[at * feed.format.channels] == feed_sample(0, 0) / 32768.0f * 0.125f) break;
    if (ok(at + signal_frames <= frames, "the signal at 0.125 not found in %u frames captured\n", frames))
    {
        for (i = 0; i < signal_frames; i++)
            for (c = 0; c < feed.format.channels; c++)
            {
                value = captured[(at + i) * feed.format.channels + c];
                if (value != feed_sample(i, c) / 32768.0f * 0.125f && !mismatches++)
                    trace("first difference at frame %u channel %u: %.9g, expected %.9g\n", i, c, value,
                          feed_sample(i, c) / 32768.0f * 0.125f);
            }
        ok(!mismatches, "%u samples differ from the signal times 0.125\n", mismatches);
    }
done:
    if (aev)
    {
        IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 1.0f, NULL);
        IAudioEndpointVolume_Release(aev);
    }
    free(captured);
    if (cc) IAudioCaptureClient_Release(cc);
    if (ac) IAudioClient_Release(ac);
    if (meter) IAudioMeterInformation_Release(meter);
    IMMDevice_Release(endpoint);
}

/* ---- (g) winmm's mixer ------------------------------------------------------------------------------ */

static void test_winmm_mixer(void)
{
    MIXERCONTROLDETAILS_UNSIGNED values[2];
    MIXERLINECONTROLSW controls = {0};
    MIXERCONTROLDETAILS details = {0};
    MIXERLINEW line = {0};
    MIXERCONTROLW control;
    IAudioEndpointVolume *aev;
    MMRESULT mr;
    HMIXER mixer;
    float level;
    HRESULT hr;

    if (!mixerGetNumDevs())
    {
        skip("winmm has no mixer\n");
        return;
    }
    if (!(aev = get_volume())) return;
    mr = mixerOpen(&mixer, 0, 0, 0, MIXER_OBJECTF_MIXER);
    ok(mr == MMSYSERR_NOERROR, "mixerOpen: got %u\n", mr);
    if (mr != MMSYSERR_NOERROR) goto done;
    line.cbStruct = sizeof(line);
    line.dwComponentType = MIXERLINE_COMPONENTTYPE_DST_SPEAKERS;
    mr = mixerGetLineInfoW((HMIXEROBJ)mixer, &line, MIXER_GETLINEINFOF_COMPONENTTYPE | MIXER_OBJECTF_HMIXER);
    ok(mr == MMSYSERR_NOERROR, "mixerGetLineInfo(speakers): got %u\n", mr);
    controls.cbStruct = sizeof(controls);
    controls.dwLineID = line.dwLineID;
    controls.dwControlType = MIXERCONTROL_CONTROLTYPE_VOLUME;
    controls.cControls = 1;
    controls.cbmxctrl = sizeof(control);
    controls.pamxctrl = &control;
    control.cbStruct = sizeof(control);
    if (!mr) mr = mixerGetLineControlsW((HMIXEROBJ)mixer, &controls, MIXER_GETLINECONTROLSF_ONEBYTYPE | MIXER_OBJECTF_HMIXER);
    ok(mr == MMSYSERR_NOERROR, "mixerGetLineControls(volume): got %u\n", mr);
    if (mr) goto close;
    trace("winmm's volume control: %lu..%lu, line of %lu channels\n", control.Bounds.dwMinimum, control.Bounds.dwMaximum,
          line.cChannels);

    details.cbStruct = sizeof(details);
    details.dwControlID = control.dwControlID;
    details.cChannels = 1;
    details.cbDetails = sizeof(values[0]);
    details.paDetails = values;

    /* On Windows since Vista, and in Wine's winmm, the mixer's volume is the program's own session's
     * (ISimpleAudioVolume), not the endpoint's: set and read back through us, the endpoint untouched. */
    hr = IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 0.5f, NULL);
    ok(hr == S_OK, "SetMasterVolumeLevelScalar(0.5): got %08lx, expected S_OK\n", hr);
    values[0].dwValue = 0x4000;
    mr = mixerSetControlDetails((HMIXEROBJ)mixer, &details, MIXER_SETCONTROLDETAILSF_VALUE | MIXER_OBJECTF_HMIXER);
    ok(mr == MMSYSERR_NOERROR, "mixerSetControlDetails: got %u, expected MMSYSERR_NOERROR\n", mr);
    values[0].dwValue = 12345;
    mr = mixerGetControlDetailsW((HMIXEROBJ)mixer, &details, MIXER_GETCONTROLDETAILSF_VALUE | MIXER_OBJECTF_HMIXER);
    ok(mr == MMSYSERR_NOERROR, "mixerGetControlDetails: got %u, expected MMSYSERR_NOERROR\n", mr);
    ok(values[0].dwValue == 0x4000 || values[0].dwValue == 0x3fff, "mixerGetControlDetails: got %#lx, expected 0x4000\n",
       values[0].dwValue);
    hr = IAudioEndpointVolume_GetMasterVolumeLevelScalar(aev, &level);
    ok(hr == S_OK && level == 0.5f, "the endpoint after the mixer's change: got %08lx %.9g, expected 0.5\n", hr, level);
    values[0].dwValue = 0xffff;
    mr = mixerSetControlDetails((HMIXEROBJ)mixer, &details, MIXER_SETCONTROLDETAILSF_VALUE | MIXER_OBJECTF_HMIXER);
    ok(mr == MMSYSERR_NOERROR, "mixerSetControlDetails(0xffff): got %u, expected MMSYSERR_NOERROR\n", mr);
close:
    mixerClose(mixer);
done:
    IAudioEndpointVolume_SetMasterVolumeLevelScalar(aev, 1.0f, NULL);
    IAudioEndpointVolume_Release(aev);
}

int main(void)
{
    HRESULT hr;

    test_read_env(&env);
    hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    ok(hr == S_OK, "CoInitializeEx(MTA): got %08lx\n", hr);
    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator,
                          (void **)&mme);
    ok(hr == S_OK, "CoCreateInstance(MMDeviceEnumerator): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;
    hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, &dev);
    if (hr == E_NOTFOUND && (env.backend == TEST_BACKEND_NONE || env.backend == TEST_BACKEND_UNSET))
    {
        skip("no render endpoint: no volume to test\n");
        goto done;
    }
    ok(hr == S_OK, "GetDefaultAudioEndpoint(render): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    test_activate();
    test_checks();
    test_meter_checks();
    test_sink_volume();
    test_notify();
    test_stream_name();
    test_meter_and_gain();
    test_winmm_mixer();
    test_capture();
    IMMDevice_Release(dev);
done:
    if (mme) IMMDeviceEnumerator_Release(mme);
    CoUninitialize();
    return test_summary();
}
