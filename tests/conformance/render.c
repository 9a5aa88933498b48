/*
 * Conformance of shared-mode rendering on the default render endpoint: IAudioClient,
 * IAudioClient2, IAudioClient3, IAudioRenderClient, IAudioClock, IAudioClock2,
 * IAudioClockAdjustment and IAudioStreamVolume, HRESULT by HRESULT, as Windows has them.
 *
 * Where a check says "Windows" the fact comes from Microsoft's documentation or from results
 * observed on Windows (Wine's dlls/mmdevapi/tests/render.c records many, with the versions they
 * differ on). Where Windows versions differ both answers are taken and the comment says which is
 * which; where Windows' answer has not been seen the comment says so.
 *
 * Run by the harness once per backend (MMDEVAPI_TEST_BACKEND and friends, see test.h). With
 * "none" there is no endpoint: only that is checked. Without MMDEVAPI_TEST_BACKEND the program
 * checks what it can on any Wine or Windows; the mix format is then not compared with the
 * harness's, and the few calls that crash Wine's own module are not made.
 */

#define COBJMACROS
#define CONST_VTABLE
#include "test.h"

#include <objbase.h>
#include <propsys.h>
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <audiopolicy.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>

#include "activate_async.h"

/* Wine 8's headers call IAudioClock2's method GetPosition; Windows' SDK GetDevicePosition. */
#ifndef IAudioClock2_GetDevicePosition
#define IAudioClock2_GetDevicePosition IAudioClock2_GetPosition
#endif

/* What Windows 10 returns for Start on an event-driven stream without an event handle. */
#define D3D11_ERROR_4E MAKE_HRESULT(SEVERITY_ERROR, FACILITY_DIRECT3D11, 0x4e)

static const GUID iid_unknown_interface =
    {0x5f1e2a4b, 0x9c3d, 0x4e8f, {0xa1, 0x6b, 0x2d, 0x7c, 0x90, 0x3e, 0x48, 0x51}};

static struct test_env env;
static IMMDevice *dev;
static WAVEFORMATEXTENSIBLE mix;            /* the endpoint's mix format */
static REFERENCE_TIME def_period, min_period;

/* ---- Helpers ----------------------------------------------------------------------------------- */

static UINT32 frames_of(REFERENCE_TIME duration, DWORD rate)
{
    return MulDiv(duration, rate, 10000000);
}

/* QueryPerformanceCounter in 100 ns units, the unit of IAudioClock's qpc position. */
static UINT64 qpc_now(void)
{
    LARGE_INTEGER counter, freq;

    QueryPerformanceCounter(&counter);
    QueryPerformanceFrequency(&freq);
    return counter.QuadPart / freq.QuadPart * 10000000
           + counter.QuadPart % freq.QuadPart * 10000000 / freq.QuadPart;
}

static IAudioClient *activate_client(void)
{
    IAudioClient *ac = NULL;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&ac);
    ok(hr == S_OK, "Activate(IAudioClient): got %08lx, expected S_OK\n", hr);
    return hr == S_OK ? ac : NULL;
}

/* A shared-mode client initialized with flags, duration and fmt (the mix format if NULL). */
static IAudioClient *create_client(DWORD flags, REFERENCE_TIME duration, const WAVEFORMATEX *fmt)
{
    IAudioClient *ac;
    HRESULT hr;

    if (!(ac = activate_client())) return NULL;
    hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, flags, duration, 0,
                                 fmt ? fmt : &mix.Format, NULL);
    ok(hr == S_OK, "Initialize(shared, flags %#lx, duration %lu): got %08lx, expected S_OK\n",
       flags, (ULONG)duration, hr);
    if (hr == S_OK) return ac;
    IAudioClient_Release(ac);
    return NULL;
}

static void *get_service(IAudioClient *ac, const IID *iid, const char *name)
{
    void *out = NULL;
    HRESULT hr;

    hr = IAudioClient_GetService(ac, iid, &out);
    ok(hr == S_OK && out, "GetService(%s): got %08lx %p, expected S_OK\n", name, hr, out);
    return hr == S_OK ? out : NULL;
}

static UINT32 get_buffer_size(IAudioClient *ac)
{
    UINT32 frames = 0;
    HRESULT hr;

    hr = IAudioClient_GetBufferSize(ac, &frames);
    ok(hr == S_OK, "GetBufferSize: got %08lx, expected S_OK\n", hr);
    return frames;
}

static UINT32 get_padding(IAudioClient *ac)
{
    UINT32 frames = ~0u;
    HRESULT hr;

    hr = IAudioClient_GetCurrentPadding(ac, &frames);
    ok(hr == S_OK, "GetCurrentPadding: got %08lx, expected S_OK\n", hr);
    return frames;
}

/* Writes frames of silence (through AUDCLNT_BUFFERFLAGS_SILENT); TRUE if it went through. */
static BOOL write_silence(IAudioRenderClient *rc, UINT32 frames)
{
    BYTE *data = NULL;
    HRESULT hr;

    hr = IAudioRenderClient_GetBuffer(rc, frames, &data);
    ok(hr == S_OK && data, "GetBuffer(%u): got %08lx %p, expected S_OK and a buffer\n", frames, hr, data);
    if (hr != S_OK) return FALSE;
    hr = IAudioRenderClient_ReleaseBuffer(rc, frames, AUDCLNT_BUFFERFLAGS_SILENT);
    ok(hr == S_OK, "ReleaseBuffer(%u, SILENT): got %08lx, expected S_OK\n", frames, hr);
    return hr == S_OK;
}

/* A rate the mix format does not have. */
static DWORD other_rate(void)
{
    return mix.Format.nSamplesPerSec == 44100 ? 22050 : 44100;
}

static DWORD channel_mask(WORD channels)
{
    switch (channels)
    {
    case 1: return KSAUDIO_SPEAKER_MONO;
    case 2: return KSAUDIO_SPEAKER_STEREO;
    default: return 0;  /* the harness promises no more */
    }
}

/* ---- Activate and QueryInterface --------------------------------------------------------------- */

static void test_activate(void)
{
    static const struct { const IID *iid; const char *name; } clients[] =
        {{&IID_IAudioClient, "IAudioClient"}, {&IID_IAudioClient2, "IAudioClient2"},
         {&IID_IAudioClient3, "IAudioClient3"}};
    IAudioClient *ac;
    void *out;
    HRESULT hr;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(clients); i++)
    {
        out = NULL;
        hr = IMMDevice_Activate(dev, clients[i].iid, CLSCTX_INPROC_SERVER, NULL, &out);
        ok(hr == S_OK && out, "Activate(%s): got %08lx %p, expected S_OK\n", clients[i].name, hr, out);
        if (hr == S_OK) IUnknown_Release((IUnknown *)out);
        hr = IMMDevice_Activate(dev, clients[i].iid, CLSCTX_INPROC_SERVER, NULL, NULL);
        ok(hr == E_POINTER, "Activate(%s, NULL): got %08lx, expected E_POINTER\n", clients[i].name, hr);
    }
    out = (void *)0xdeadbeef;
    hr = IMMDevice_Activate(dev, &iid_unknown_interface, CLSCTX_INPROC_SERVER, NULL, &out);
    ok(hr == E_NOINTERFACE && !out, "Activate(unknown iid): got %08lx %p, expected E_NOINTERFACE and NULL\n",
       hr, out);

    if (!(ac = activate_client())) return;
    for (i = 0; i < ARRAY_SIZE(clients); i++)
    {
        hr = IAudioClient_QueryInterface(ac, clients[i].iid, &out);
        ok(hr == S_OK && out == ac, "QueryInterface(%s): got %08lx %p, expected S_OK and %p\n",
           clients[i].name, hr, out, ac);
        if (hr == S_OK) IUnknown_Release((IUnknown *)out);
    }
    hr = IAudioClient_QueryInterface(ac, &IID_IUnknown, NULL);
    ok(hr == E_POINTER, "QueryInterface(NULL): got %08lx, expected E_POINTER\n", hr);
    /* Services come from GetService, not QueryInterface: except IAudioClockAdjustment, which
     * Windows also gives here. */
    out = (void *)0xdeadbeef;
    hr = IAudioClient_QueryInterface(ac, &IID_IAudioClock, &out);
    ok(hr == E_NOINTERFACE && !out, "QueryInterface(IAudioClock): got %08lx %p, expected E_NOINTERFACE "
       "and NULL\n", hr, out);
    if (hr == S_OK) IUnknown_Release((IUnknown *)out);
    out = NULL;
    hr = IAudioClient_QueryInterface(ac, &IID_IAudioClockAdjustment, &out);
    ok(hr == S_OK && out, "QueryInterface(IAudioClockAdjustment): got %08lx %p, expected S_OK as on "
       "Windows\n", hr, out);
    if (hr == S_OK) IUnknown_Release((IUnknown *)out);
    out = (void *)0xdeadbeef;
    hr = IAudioClient_QueryInterface(ac, &iid_unknown_interface, &out);
    ok(hr == E_NOINTERFACE && !out, "QueryInterface(unknown iid): got %08lx %p, expected E_NOINTERFACE "
       "and NULL\n", hr, out);
    IAudioClient_Release(ac);
}

/* ---- GetMixFormat and GetDevicePeriod --------------------------------------------------------- */

/* Fills mix; FALSE if there is no usable mix format (the remaining tests then do not run). */
static BOOL test_mix_format(void)
{
    WAVEFORMATEXTENSIBLE *wfx;
    WAVEFORMATEX *again;
    IAudioClient *ac;
    WORD block;
    HRESULT hr;

    if (!(ac = activate_client())) return FALSE;
    hr = IAudioClient_GetMixFormat(ac, NULL);
    ok(hr == E_POINTER, "GetMixFormat(NULL): got %08lx, expected E_POINTER\n", hr);

    wfx = NULL;
    hr = IAudioClient_GetMixFormat(ac, (WAVEFORMATEX **)&wfx);
    ok(hr == S_OK && wfx, "GetMixFormat: got %08lx %p, expected S_OK\n", hr, wfx);
    if (hr != S_OK || !wfx)
    {
        IAudioClient_Release(ac);
        return FALSE;
    }

    /* Windows' mix format: 32-bit float, WAVE_FORMAT_EXTENSIBLE, the endpoint's rate and channels. */
    ok(wfx->Format.wFormatTag == WAVE_FORMAT_EXTENSIBLE && wfx->Format.cbSize == 22,
       "mix format: tag %#x cbSize %u, expected WAVE_FORMAT_EXTENSIBLE and 22\n",
       wfx->Format.wFormatTag, wfx->Format.cbSize);
    if (wfx->Format.wFormatTag != WAVE_FORMAT_EXTENSIBLE || wfx->Format.cbSize < 22)
    {
        CoTaskMemFree(wfx);
        IAudioClient_Release(ac);
        return FALSE;
    }
    ok(IsEqualGUID(&wfx->SubFormat, &KSDATAFORMAT_SUBTYPE_IEEE_FLOAT),
       "mix format: subformat is not KSDATAFORMAT_SUBTYPE_IEEE_FLOAT\n");
    ok(wfx->Format.wBitsPerSample == 32 && wfx->Samples.wValidBitsPerSample == 32,
       "mix format: %u/%u bits, expected 32/32\n", wfx->Format.wBitsPerSample,
       wfx->Samples.wValidBitsPerSample);
    block = wfx->Format.nChannels * wfx->Format.wBitsPerSample / 8;
    ok(wfx->Format.nChannels && wfx->Format.nSamplesPerSec && wfx->Format.nBlockAlign == block
       && wfx->Format.nAvgBytesPerSec == wfx->Format.nSamplesPerSec * block,
       "mix format: %u ch %lu Hz, block align %u, bytes/s %lu: inconsistent\n", wfx->Format.nChannels,
       wfx->Format.nSamplesPerSec, wfx->Format.nBlockAlign, wfx->Format.nAvgBytesPerSec);
    ok(wfx->dwChannelMask != 0, "mix format: empty channel mask\n");
    if (env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_ALSA || env.backend == TEST_BACKEND_PIPEWIRE)
    {
        ok(wfx->Format.nSamplesPerSec == env.render_format.rate
           && wfx->Format.nChannels == env.render_format.channels,
           "mix format: %lu Hz %u ch, expected the endpoint's %lu Hz %u ch\n", wfx->Format.nSamplesPerSec,
           wfx->Format.nChannels, env.render_format.rate, env.render_format.channels);
        if (channel_mask(wfx->Format.nChannels))
            ok(wfx->dwChannelMask == channel_mask(wfx->Format.nChannels), "mix format: channel mask %#lx, "
               "expected %#lx\n", wfx->dwChannelMask, channel_mask(wfx->Format.nChannels));
    }
    trace("mix format: %lu Hz, %u channels (mask %#lx)\n", wfx->Format.nSamplesPerSec,
          wfx->Format.nChannels, wfx->dwChannelMask);
    mix = *wfx;

    /* Each call gives the caller a copy of its own. */
    again = NULL;
    hr = IAudioClient_GetMixFormat(ac, &again);
    ok(hr == S_OK && again && again != &wfx->Format && !memcmp(again, wfx, sizeof(*wfx)),
       "GetMixFormat again: got %08lx %p, expected S_OK and an equal copy\n", hr, again);
    CoTaskMemFree(again);
    CoTaskMemFree(wfx);
    IAudioClient_Release(ac);
    return mix.Format.nChannels && mix.Format.nSamplesPerSec && mix.Format.nBlockAlign;
}

static void test_device_period(void)
{
    REFERENCE_TIME def = 0, min = 0;
    IAudioClient *ac;
    HRESULT hr;

    if (!(ac = activate_client())) return;
    hr = IAudioClient_GetDevicePeriod(ac, NULL, NULL);
    ok(hr == E_POINTER, "GetDevicePeriod(NULL, NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioClient_GetDevicePeriod(ac, &def, NULL);
    ok(hr == S_OK, "GetDevicePeriod(def, NULL): got %08lx, expected S_OK\n", hr);
    hr = IAudioClient_GetDevicePeriod(ac, NULL, &min);
    ok(hr == S_OK, "GetDevicePeriod(NULL, min): got %08lx, expected S_OK\n", hr);
    def = min = 0;
    hr = IAudioClient_GetDevicePeriod(ac, &def, &min);
    ok(hr == S_OK, "GetDevicePeriod: got %08lx, expected S_OK\n", hr);
    /* Windows' shared-mode engine period is 10 ms. */
    ok(def == 100000, "default period %lu, expected 100000 (10 ms)\n", (ULONG)def);
    ok(min > 0 && min <= def, "minimum period %lu, expected > 0 and <= the default %lu\n", (ULONG)min,
       (ULONG)def);
    trace("device period: default %lu, minimum %lu (100 ns)\n", (ULONG)def, (ULONG)min);
    def_period = def > 0 ? def : 100000;
    min_period = min > 0 ? min : def_period;
    IAudioClient_Release(ac);
}

/* ---- IsFormatSupported ---------------------------------------------------------------------------- */

static void check_supported(IAudioClient *ac, const WAVEFORMATEX *fmt, const char *name, HRESULT expect)
{
    WAVEFORMATEX *closest = (WAVEFORMATEX *)0xdeadbeef;
    HRESULT hr;

    hr = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_SHARED, fmt, &closest);
    if (expect == S_FALSE)
    {
        /* Windows suggests its mix format. */
        ok(hr == S_FALSE && closest && closest != (WAVEFORMATEX *)0xdeadbeef,
           "IsFormatSupported(%s): got %08lx %p, expected S_FALSE and a suggestion\n", name, hr, closest);
        if (hr == S_FALSE && closest && closest != (WAVEFORMATEX *)0xdeadbeef)
            ok(closest->wFormatTag == mix.Format.wFormatTag
               && closest->nSamplesPerSec == mix.Format.nSamplesPerSec
               && closest->nChannels == mix.Format.nChannels
               && closest->wBitsPerSample == mix.Format.wBitsPerSample,
               "IsFormatSupported(%s) suggests tag %#x %lu Hz %u ch %u bits, not the mix format\n", name,
               closest->wFormatTag, closest->nSamplesPerSec, closest->nChannels, closest->wBitsPerSample);
    }
    else if (expect == S_OK)
        ok(hr == S_OK && !closest, "IsFormatSupported(%s): got %08lx %p, expected S_OK and NULL\n", name, hr,
           closest);
    else
        /* The documentation names AUDCLNT_E_UNSUPPORTED_FORMAT; which formats Windows calls invalid
         * arguments instead has not been seen: either is taken, with no suggestion. */
        ok((hr == AUDCLNT_E_UNSUPPORTED_FORMAT || hr == E_INVALIDARG) && !closest,
           "IsFormatSupported(%s): got %08lx %p, expected AUDCLNT_E_UNSUPPORTED_FORMAT or E_INVALIDARG, "
           "and NULL\n", name, hr, closest);
    if (hr == S_FALSE && closest != (WAVEFORMATEX *)0xdeadbeef) CoTaskMemFree(closest);
}

/* A rate or a channel count other than the mix's. Windows suggests the mix format (S_FALSE), and its
 * Initialize refuses the format without AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM; Wine's own drivers and
 * ours take it as it is (S_OK), for programs tested on Wine that give up on the suggestion, as
 * PortAudio 19.6's WASAPI host API does (paInvalidSampleRate). */
static void check_converted(IAudioClient *ac, const WAVEFORMATEX *fmt, const char *name)
{
    WAVEFORMATEX *closest = NULL;
    HRESULT hr = S_OK;

    if (env.backend == TEST_BACKEND_UNSET)
    {
        hr = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_SHARED, fmt, &closest);
        CoTaskMemFree(closest);
        if (hr != S_OK) hr = S_FALSE;
    }
    check_supported(ac, fmt, name, hr);
}

static void test_is_format_supported(void)
{
    WAVEFORMATEXTENSIBLE ext;
    WAVEFORMATEX fmt, *closest;
    IAudioClient *ac;
    HRESULT hr;

    if (!(ac = activate_client())) return;

    check_supported(ac, &mix.Format, "the mix format", S_OK);
    hr = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_SHARED, NULL, &closest);
    ok(hr == E_POINTER, "IsFormatSupported(NULL format): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_SHARED, NULL, NULL);
    ok(hr == E_POINTER, "IsFormatSupported(NULL, NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_SHARED, &mix.Format, NULL);
    ok(hr == E_POINTER, "IsFormatSupported(shared, NULL closest): got %08lx, expected E_POINTER\n", hr);
    /* Windows 64-bit answers AUDCLNT_E_UNSUPPORTED_FORMAT, 32-bit E_INVALIDARG. */
    hr = IAudioClient_IsFormatSupported(ac, 0xffffffff, &mix.Format, NULL);
    ok(hr == E_INVALIDARG || hr == AUDCLNT_E_UNSUPPORTED_FORMAT, "IsFormatSupported(mode 0xffffffff): "
       "got %08lx, expected E_INVALIDARG or AUDCLNT_E_UNSUPPORTED_FORMAT\n", hr);

    /* In shared mode Windows converts any PCM or float sample type itself; other rates and channel
     * counts, see check_converted. */
    ext = mix;
    ext.SubFormat = KSDATAFORMAT_SUBTYPE_PCM;
    check_supported(ac, &ext.Format, "extensible 32-bit integer", S_OK);
    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, mix.Format.nSamplesPerSec, mix.Format.nChannels);
    check_supported(ac, &fmt, "PCM 16-bit at the mix rate", S_OK);
    pcm_format(&fmt, WAVE_FORMAT_IEEE_FLOAT, 32, mix.Format.nSamplesPerSec, mix.Format.nChannels);
    check_supported(ac, &fmt, "IEEE float at the mix rate", S_OK);
    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, other_rate(), mix.Format.nChannels);
    check_converted(ac, &fmt, "PCM 16-bit at another rate");
    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, mix.Format.nSamplesPerSec, mix.Format.nChannels == 1 ? 2 : 1);
    check_converted(ac, &fmt, "PCM 16-bit with other channels");
    pcm_format(&fmt, WAVE_FORMAT_IEEE_FLOAT, 32, other_rate(), 1);
    check_converted(ac, &fmt, "IEEE float mono at another rate");

    pcm_format(&fmt, 0xbad, 16, mix.Format.nSamplesPerSec, mix.Format.nChannels);
    check_supported(ac, &fmt, "tag 0xbad", E_FAIL);
    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, mix.Format.nSamplesPerSec, 0);
    check_supported(ac, &fmt, "0 channels", E_FAIL);
    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, 0, mix.Format.nChannels);
    check_supported(ac, &fmt, "0 Hz", E_FAIL);
    pcm_format(&fmt, WAVE_FORMAT_PCM, 12, mix.Format.nSamplesPerSec, 2);
    check_supported(ac, &fmt, "PCM 12 bits", E_FAIL);
    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, mix.Format.nSamplesPerSec, mix.Format.nChannels);
    fmt.nBlockAlign += 1;
    check_supported(ac, &fmt, "inconsistent block align", E_FAIL);

    /* Exclusive mode is not this test's subject; it must answer, and never suggest. */
    closest = (WAVEFORMATEX *)0xdeadbeef;
    hr = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_EXCLUSIVE, &mix.Format, &closest);
    ok((hr == S_OK || hr == AUDCLNT_E_UNSUPPORTED_FORMAT || hr == AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED)
       && !closest,
       "IsFormatSupported(exclusive, mix format): got %08lx %p, expected S_OK, AUDCLNT_E_UNSUPPORTED_FORMAT "
       "or AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED, and NULL\n", hr, closest);
    IAudioClient_Release(ac);
}

/* ---- Initialize ------------------------------------------------------------------------------------ */

static void test_uninitialized(void)
{
    IAudioClient *ac;
    REFERENCE_TIME latency;
    HANDLE event;
    UINT32 frames;
    void *out;
    HRESULT hr;

    if (!(ac = activate_client())) return;
    event = CreateEventW(NULL, FALSE, FALSE, NULL);

    hr = IAudioClient_GetBufferSize(ac, &frames);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED, "GetBufferSize: got %08lx, expected AUDCLNT_E_NOT_INITIALIZED\n", hr);
    hr = IAudioClient_GetStreamLatency(ac, &latency);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED, "GetStreamLatency: got %08lx, expected AUDCLNT_E_NOT_INITIALIZED\n",
       hr);
    hr = IAudioClient_GetCurrentPadding(ac, &frames);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED, "GetCurrentPadding: got %08lx, expected AUDCLNT_E_NOT_INITIALIZED\n",
       hr);
    hr = IAudioClient_Start(ac);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED, "Start: got %08lx, expected AUDCLNT_E_NOT_INITIALIZED\n", hr);
    hr = IAudioClient_Stop(ac);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED, "Stop: got %08lx, expected AUDCLNT_E_NOT_INITIALIZED\n", hr);
    hr = IAudioClient_Reset(ac);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED, "Reset: got %08lx, expected AUDCLNT_E_NOT_INITIALIZED\n", hr);
    hr = IAudioClient_SetEventHandle(ac, event);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED, "SetEventHandle: got %08lx, expected AUDCLNT_E_NOT_INITIALIZED\n", hr);
    out = NULL;
    hr = IAudioClient_GetService(ac, &IID_IAudioRenderClient, &out);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED && !out, "GetService(IAudioRenderClient): got %08lx %p, expected "
       "AUDCLNT_E_NOT_INITIALIZED\n", hr, out);
    out = NULL;
    hr = IAudioClient_GetService(ac, &IID_IAudioStreamVolume, &out);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED && !out, "GetService(IAudioStreamVolume): got %08lx %p, expected "
       "AUDCLNT_E_NOT_INITIALIZED\n", hr, out);

    CloseHandle(event);
    IAudioClient_Release(ac);
}

/* Initialize with the mix format and duration: the buffer size Windows gives, or 0 on failure. */
static UINT32 buffer_for(DWORD flags, REFERENCE_TIME duration, REFERENCE_TIME period)
{
    IAudioClient *ac;
    UINT32 frames = 0;
    HRESULT hr;

    if (!(ac = activate_client())) return 0;
    hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, flags, duration, period, &mix.Format, NULL);
    ok(hr == S_OK, "Initialize(flags %#lx, duration %lu, period %lu): got %08lx, expected S_OK\n", flags,
       (ULONG)duration, (ULONG)period, hr);
    if (hr == S_OK) frames = get_buffer_size(ac);
    IAudioClient_Release(ac);
    return frames;
}

static void test_initialize(void)
{
    UINT32 frames, period_frames = frames_of(def_period, mix.Format.nSamplesPerSec);
    REFERENCE_TIME latency, again;
    WAVEFORMATEX fmt;
    IAudioClient *ac;
    HRESULT hr;

    if (!(ac = activate_client())) return;

    /* Argument errors leave the client uninitialized. */
    hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 5000000, 0, NULL, NULL);
    ok(hr == E_POINTER, "Initialize(NULL format): got %08lx, expected E_POINTER\n", hr);
    /* Windows 10 answers E_INVALIDARG, Windows 8 and older AUDCLNT_E_NOT_INITIALIZED. */
    hr = IAudioClient_Initialize(ac, 3, 0, 5000000, 0, &mix.Format, NULL);
    ok(hr == E_INVALIDARG, "Initialize(mode 3): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0xffffffff, 5000000, 0, &mix.Format, NULL);
    ok(hr == E_INVALIDARG || hr == AUDCLNT_E_INVALID_STREAM_FLAG, "Initialize(flags 0xffffffff): got %08lx, "
       "expected E_INVALIDARG or AUDCLNT_E_INVALID_STREAM_FLAG\n", hr);

    hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 5000000, 0, &mix.Format, NULL);
    ok(hr == S_OK, "Initialize(shared, 500 ms): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK)
    {
        IAudioClient_Release(ac);
        return;
    }
    hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 5000000, 0, &mix.Format, NULL);
    ok(hr == AUDCLNT_E_ALREADY_INITIALIZED, "Initialize again: got %08lx, expected "
       "AUDCLNT_E_ALREADY_INITIALIZED\n", hr);

    /* Windows' shared-mode buffer is the requested duration, rounded at the mix rate. */
    frames = get_buffer_size(ac);
    ok(frames == frames_of(5000000, mix.Format.nSamplesPerSec), "buffer of 500 ms: %u frames, expected %u\n",
       frames, frames_of(5000000, mix.Format.nSamplesPerSec));
    hr = IAudioClient_GetBufferSize(ac, NULL);
    ok(hr == E_POINTER, "GetBufferSize(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioClient_GetCurrentPadding(ac, NULL);
    ok(hr == E_POINTER, "GetCurrentPadding(NULL): got %08lx, expected E_POINTER\n", hr);
    ok(get_padding(ac) == 0, "padding of a new stream is not 0\n");
    hr = IAudioClient_GetStreamLatency(ac, NULL);
    ok(hr == E_POINTER, "GetStreamLatency(NULL): got %08lx, expected E_POINTER\n", hr);
    /* Its value varies (Windows 10 may say 0); it is constant for the stream. */
    latency = again = -1;
    hr = IAudioClient_GetStreamLatency(ac, &latency);
    ok(hr == S_OK && latency >= 0, "GetStreamLatency: got %08lx %ld, expected S_OK\n", hr, (LONG)latency);
    trace("stream latency %ld (100 ns)\n", (LONG)latency);
    hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
    Sleep(30);
    hr = IAudioClient_GetStreamLatency(ac, &again);
    ok(hr == S_OK && again == latency, "GetStreamLatency while running: got %08lx %ld, expected %ld\n", hr,
       (LONG)again, (LONG)latency);
    IAudioClient_Stop(ac);
    IAudioClient_Release(ac);

    /* A format refused: a client whose Initialize failed is not reused (Windows 7 keeps it half
     * initialized). */
    if ((ac = activate_client()))
    {
        pcm_format(&fmt, 0xbad, 16, mix.Format.nSamplesPerSec, mix.Format.nChannels);
        hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 5000000, 0, &fmt, NULL);
        ok(hr == AUDCLNT_E_UNSUPPORTED_FORMAT, "Initialize(tag 0xbad): got %08lx, expected "
           "AUDCLNT_E_UNSUPPORTED_FORMAT\n", hr);
        IAudioClient_Release(ac);
    }

    /* Shared mode takes any duration: 0 and tiny ones get what the engine needs, at least a
     * period; a period given in shared mode is ignored. */
    frames = buffer_for(0, 0, 0);
    ok(frames >= period_frames, "buffer of duration 0: %u frames, expected at least a period (%u)\n",
       frames, period_frames);
    trace("buffer of duration 0: %u frames\n", frames);
    frames = buffer_for(0, 10000, 0);
    ok(frames >= period_frames, "buffer of 1 ms: %u frames, expected at least a period (%u)\n", frames,
       period_frames);
    frames = buffer_for(0, 20000000, 0);
    ok(frames >= frames_of(20000000, mix.Format.nSamplesPerSec), "buffer of 2 s: %u frames, expected at "
       "least %u\n", frames, frames_of(20000000, mix.Format.nSamplesPerSec));
    frames = buffer_for(0, 5000000, 150000);
    ok(frames == frames_of(5000000, mix.Format.nSamplesPerSec), "buffer of 500 ms with a period of 15 ms: "
       "%u frames, expected %u\n", frames, frames_of(5000000, mix.Format.nSamplesPerSec));
    /* What the documentation asks of event-driven shared streams: both 0. */
    frames = buffer_for(AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 0, 0);
    ok(frames >= period_frames, "event-driven buffer of duration 0: %u frames, expected at least a period "
       "(%u)\n", frames, period_frames);
}

/* What IsFormatSupported says of a format in exclusive mode, Initialize does: Windows where policy
 * forbids exclusive mode answers AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED from both (Initialize may say
 * AUDCLNT_E_ENDPOINT_CREATE_FAILED instead); a format it cannot take, AUDCLNT_E_UNSUPPORTED_FORMAT
 * from the first and that or AUDCLNT_E_ENDPOINT_CREATE_FAILED from the second. */
static void check_exclusive(const WAVEFORMATEX *fmt, const char *name)
{
    HRESULT supported, hr;
    WAVEFORMATEX *closest;
    IAudioClient *ac;

    if (!(ac = activate_client())) return;
    closest = (WAVEFORMATEX *)0xdeadbeef;
    supported = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_EXCLUSIVE, fmt, &closest);
    ok(!closest, "IsFormatSupported(exclusive, %s) suggested %p\n", name, closest);
    hr = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_EXCLUSIVE, fmt, NULL);
    ok(hr == supported, "IsFormatSupported(exclusive, %s, NULL): got %08lx, with a pointer %08lx\n", name, hr,
       supported);
    hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_EXCLUSIVE, 0, 200000, 200000, fmt, NULL);
    if (supported == S_OK)
        ok(hr == S_OK, "Initialize(exclusive, %s): got %08lx, IsFormatSupported said S_OK\n", name, hr);
    else if (supported == AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED)
        ok(hr == supported || hr == AUDCLNT_E_ENDPOINT_CREATE_FAILED, "Initialize(exclusive, %s): got %08lx, "
           "IsFormatSupported said AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED\n", name, hr);
    else
        ok(supported == AUDCLNT_E_UNSUPPORTED_FORMAT
           && (hr == AUDCLNT_E_UNSUPPORTED_FORMAT || hr == AUDCLNT_E_ENDPOINT_CREATE_FAILED),
           "exclusive %s: IsFormatSupported %08lx, Initialize %08lx\n", name, supported, hr);
    /* Our module has no exclusive mode yet: it answers as Windows does where policy forbids it. */
    if (env.backend != TEST_BACKEND_UNSET)
        ok(supported == AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED && hr == AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED,
           "exclusive %s: IsFormatSupported %08lx, Initialize %08lx, expected "
           "AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED from both\n", name, supported, hr);
    IAudioClient_Release(ac);
}

static void test_exclusive(void)
{
    WAVEFORMATEX fmt;
    IAudioClient *ac;
    HRESULT hr;

    check_exclusive(&mix.Format, "the mix format");
    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, mix.Format.nSamplesPerSec, mix.Format.nChannels);
    check_exclusive(&fmt, "PCM 16-bit at the mix rate");
    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, 44100, 2);
    check_exclusive(&fmt, "PCM 16-bit 44100 Hz stereo");

    /* A format no engine can play is refused as such before the policy is asked (ours: Windows'
     * answer to this with exclusive mode forbidden has not been seen). */
    if (env.backend == TEST_BACKEND_UNSET || !(ac = activate_client())) return;
    pcm_format(&fmt, 0xbad, 16, mix.Format.nSamplesPerSec, mix.Format.nChannels);
    hr = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_EXCLUSIVE, &fmt, NULL);
    ok(hr == AUDCLNT_E_UNSUPPORTED_FORMAT, "IsFormatSupported(exclusive, tag 0xbad): got %08lx, expected "
       "AUDCLNT_E_UNSUPPORTED_FORMAT\n", hr);
    IAudioClient_Release(ac);
}

static void test_event_handle(void)
{
    IAudioClient *ac;
    HANDLE event;
    HRESULT hr;
    DWORD wait;

    event = CreateEventW(NULL, FALSE, FALSE, NULL);

    if ((ac = create_client(0, 5000000, NULL)))
    {
        hr = IAudioClient_SetEventHandle(ac, NULL);
        ok(hr == E_INVALIDARG, "SetEventHandle(NULL): got %08lx, expected E_INVALIDARG\n", hr);
        hr = IAudioClient_SetEventHandle(ac, event);
        ok(hr == AUDCLNT_E_EVENTHANDLE_NOT_EXPECTED, "SetEventHandle on a stream without "
           "AUDCLNT_STREAMFLAGS_EVENTCALLBACK: got %08lx, expected AUDCLNT_E_EVENTHANDLE_NOT_EXPECTED\n", hr);
        IAudioClient_Release(ac);
    }

    if (!(ac = create_client(AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 0, NULL)))
    {
        CloseHandle(event);
        return;
    }
    /* Windows 7 answers AUDCLNT_E_EVENTHANDLE_NOT_SET, Windows 10 an undocumented 0x887c004e. */
    hr = IAudioClient_Start(ac);
    ok(hr == AUDCLNT_E_EVENTHANDLE_NOT_SET || hr == D3D11_ERROR_4E, "Start without an event handle: got %08lx, "
       "expected AUDCLNT_E_EVENTHANDLE_NOT_SET\n", hr);
    hr = IAudioClient_SetEventHandle(ac, NULL);
    ok(hr == E_INVALIDARG, "SetEventHandle(NULL): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioClient_SetEventHandle(ac, event);
    ok(hr == S_OK, "SetEventHandle: got %08lx, expected S_OK\n", hr);
    /* Windows 7 answers HRESULT_FROM_WIN32(ERROR_INVALID_NAME), Windows 10 E_UNEXPECTED. */
    hr = IAudioClient_SetEventHandle(ac, event);
    ok(hr == E_UNEXPECTED || hr == HRESULT_FROM_WIN32(ERROR_INVALID_NAME), "SetEventHandle again: got %08lx, "
       "expected E_UNEXPECTED\n", hr);
    /* Nothing before Start. */
    wait = WaitForSingleObject(event, 40);
    ok(wait == WAIT_TIMEOUT, "event before Start: wait gave %#lx, expected WAIT_TIMEOUT\n", wait);
    hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "Start with an event handle: got %08lx, expected S_OK\n", hr);
    wait = WaitForSingleObject(event, 500);
    ok(wait == WAIT_OBJECT_0, "event after Start: wait gave %#lx, expected WAIT_OBJECT_0\n", wait);
    /* A stream released while running. */
    IAudioClient_Release(ac);
    CloseHandle(event);
}

/* ---- GetService -------------------------------------------------------------------------------------- */

static void test_services(void)
{
    IAudioClockAdjustment *adjust;
    IAudioRenderClient *rc;
    IAudioClock2 *clock2;
    IAudioClock *clock;
    IAudioClient *ac;
    void *out;
    HRESULT hr;
    ULONG ref;

    if (!(ac = create_client(0, 5000000, NULL))) return;

    hr = IAudioClient_GetService(ac, &IID_IAudioRenderClient, NULL);
    ok(hr == E_POINTER, "GetService(IAudioRenderClient, NULL): got %08lx, expected E_POINTER\n", hr);
    out = (void *)0xdeadbeef;
    hr = IAudioClient_GetService(ac, &IID_IAudioCaptureClient, &out);
    ok(hr == AUDCLNT_E_WRONG_ENDPOINT_TYPE && !out, "GetService(IAudioCaptureClient) on a render stream: got "
       "%08lx %p, expected AUDCLNT_E_WRONG_ENDPOINT_TYPE and NULL\n", hr, out);
    out = (void *)0xdeadbeef;
    hr = IAudioClient_GetService(ac, &iid_unknown_interface, &out);
    ok(hr == E_NOINTERFACE && !out, "GetService(unknown iid): got %08lx %p, expected E_NOINTERFACE and NULL\n",
       hr, out);
    /* Windows gives IAudioClockAdjustment only to streams made with AUDCLNT_STREAMFLAGS_RATEADJUST. */
    out = (void *)0xdeadbeef;
    hr = IAudioClient_GetService(ac, &IID_IAudioClockAdjustment, &out);
    ok(hr == E_INVALIDARG && !out, "GetService(IAudioClockAdjustment) without RATEADJUST: got %08lx %p, "
       "expected E_INVALIDARG and NULL\n", hr, out);
    if (hr == S_OK && out) IUnknown_Release((IUnknown *)out);

    if ((out = get_service(ac, &IID_IAudioStreamVolume, "IAudioStreamVolume")))
        IUnknown_Release((IUnknown *)out);
    if ((clock = get_service(ac, &IID_IAudioClock, "IAudioClock")))
    {
        hr = IAudioClock_QueryInterface(clock, &IID_IAudioClock2, (void **)&clock2);
        ok(hr == S_OK, "IAudioClock::QueryInterface(IAudioClock2): got %08lx, expected S_OK\n", hr);
        if (hr == S_OK) IAudioClock2_Release(clock2);
        out = (void *)0xdeadbeef;
        hr = IAudioClock_QueryInterface(clock, &IID_IAudioClient, &out);
        ok(hr == E_NOINTERFACE && !out, "IAudioClock::QueryInterface(IAudioClient): got %08lx %p, expected "
           "E_NOINTERFACE and NULL\n", hr, out);
        if (hr == S_OK) IUnknown_Release((IUnknown *)out);
        IAudioClock_Release(clock);
    }
    /* A service holds its client. */
    if ((rc = get_service(ac, &IID_IAudioRenderClient, "IAudioRenderClient")))
    {
        ref = IAudioClient_Release(ac);
        ok(ref != 0, "the client was destroyed while its IAudioRenderClient is held\n");
        ref = IAudioRenderClient_Release(rc);
        ok(ref == 0, "IAudioRenderClient's last Release gave %lu, expected 0\n", ref);
    }
    else IAudioClient_Release(ac);

    if (!(ac = create_client(AUDCLNT_STREAMFLAGS_RATEADJUST, 5000000, NULL))) return;
    if ((adjust = get_service(ac, &IID_IAudioClockAdjustment, "IAudioClockAdjustment with RATEADJUST")))
    {
        hr = IAudioClockAdjustment_SetSampleRate(adjust, (float)mix.Format.nSamplesPerSec);
        ok(hr == S_OK, "SetSampleRate(the mix rate): got %08lx, expected S_OK\n", hr);
        IAudioClockAdjustment_Release(adjust);
    }
    IAudioClient_Release(ac);
}

/* ---- Start, Stop, Reset ------------------------------------------------------------------------------ */

static void test_start_stop(void)
{
    IAudioRenderClient *rc;
    IAudioClient *ac;
    BYTE *data;
    HRESULT hr;

    if (!(ac = create_client(0, 5000000, NULL))) return;
    if (!(rc = get_service(ac, &IID_IAudioRenderClient, "IAudioRenderClient")))
    {
        IAudioClient_Release(ac);
        return;
    }

    hr = IAudioClient_Stop(ac);
    ok(hr == S_FALSE, "Stop on a stopped stream: got %08lx, expected S_FALSE\n", hr);
    hr = IAudioClient_Reset(ac);
    ok(hr == S_OK, "Reset on a new stream: got %08lx, expected S_OK\n", hr);
    hr = IAudioClient_Reset(ac);
    ok(hr == S_OK, "Reset again: got %08lx, expected S_OK\n", hr);

    write_silence(rc, frames_of(2000000, mix.Format.nSamplesPerSec));
    hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
    hr = IAudioClient_Start(ac);
    ok(hr == AUDCLNT_E_NOT_STOPPED, "Start twice: got %08lx, expected AUDCLNT_E_NOT_STOPPED\n", hr);
    hr = IAudioClient_Reset(ac);
    ok(hr == AUDCLNT_E_NOT_STOPPED, "Reset while running: got %08lx, expected AUDCLNT_E_NOT_STOPPED\n", hr);
    hr = IAudioClient_Stop(ac);
    ok(hr == S_OK, "Stop: got %08lx, expected S_OK\n", hr);
    hr = IAudioClient_Stop(ac);
    ok(hr == S_FALSE, "Stop twice: got %08lx, expected S_FALSE\n", hr);

    data = NULL;
    hr = IAudioRenderClient_GetBuffer(rc, 100, &data);
    ok(hr == S_OK, "GetBuffer(100): got %08lx, expected S_OK\n", hr);
    hr = IAudioClient_Reset(ac);
    ok(hr == AUDCLNT_E_BUFFER_OPERATION_PENDING, "Reset while a GetBuffer is pending: got %08lx, expected "
       "AUDCLNT_E_BUFFER_OPERATION_PENDING\n", hr);
    hr = IAudioRenderClient_ReleaseBuffer(rc, 100, AUDCLNT_BUFFERFLAGS_SILENT);
    ok(hr == S_OK, "ReleaseBuffer(100): got %08lx, expected S_OK\n", hr);
    ok(get_padding(ac) > 0, "padding after Stop is 0: the stream was drained\n");
    hr = IAudioClient_Reset(ac);
    ok(hr == S_OK, "Reset: got %08lx, expected S_OK\n", hr);
    ok(get_padding(ac) == 0, "padding after Reset is not 0\n");

    IAudioRenderClient_Release(rc);
    IAudioClient_Release(ac);
}

/* ---- IAudioRenderClient ------------------------------------------------------------------------------ */

static void test_render_client(void)
{
    UINT32 size, pad, written = 0, n;
    IAudioRenderClient *rc;
    IAudioClient *ac;
    BYTE *data;
    HRESULT hr;

    if (!(ac = create_client(0, 5000000, NULL))) return;
    if (!(rc = get_service(ac, &IID_IAudioRenderClient, "IAudioRenderClient")))
    {
        IAudioClient_Release(ac);
        return;
    }
    size = get_buffer_size(ac);
    n = frames_of(min_period, mix.Format.nSamplesPerSec) * 2;

    hr = IAudioRenderClient_GetBuffer(rc, n, NULL);
    ok(hr == E_POINTER, "GetBuffer(%u, NULL): got %08lx, expected E_POINTER\n", n, hr);
    hr = IAudioRenderClient_ReleaseBuffer(rc, n, 0);
    ok(hr == AUDCLNT_E_OUT_OF_ORDER, "ReleaseBuffer without GetBuffer: got %08lx, expected "
       "AUDCLNT_E_OUT_OF_ORDER\n", hr);

    /* A packet of 0 frames: Windows gives NULL, and nothing is pending afterwards. */
    data = (BYTE *)0xdeadbeef;
    hr = IAudioRenderClient_GetBuffer(rc, 0, &data);
    ok(hr == S_OK && !data, "GetBuffer(0): got %08lx %p, expected S_OK and NULL\n", hr, data);
    data = (BYTE *)0xdeadbeef;
    hr = IAudioRenderClient_GetBuffer(rc, 0, &data);
    ok(hr == S_OK && !data, "GetBuffer(0) again: got %08lx %p, expected S_OK and NULL\n", hr, data);
    hr = IAudioRenderClient_ReleaseBuffer(rc, n, 0);
    ok(hr == AUDCLNT_E_OUT_OF_ORDER, "ReleaseBuffer(%u) after GetBuffer(0): got %08lx, expected "
       "AUDCLNT_E_OUT_OF_ORDER\n", n, hr);

    /* One packet at a time. */
    data = NULL;
    hr = IAudioRenderClient_GetBuffer(rc, n, &data);
    ok(hr == S_OK && data, "GetBuffer(%u): got %08lx %p, expected S_OK and a buffer\n", n, hr, data);
    data = (BYTE *)0xdeadbeef;
    hr = IAudioRenderClient_GetBuffer(rc, n, &data);
    ok(hr == AUDCLNT_E_OUT_OF_ORDER && !data, "GetBuffer twice: got %08lx %p, expected AUDCLNT_E_OUT_OF_ORDER "
       "and NULL\n", hr, data);
    data = (BYTE *)0xdeadbeef;
    hr = IAudioRenderClient_GetBuffer(rc, 0, &data);
    ok(hr == AUDCLNT_E_OUT_OF_ORDER && !data, "GetBuffer(0) while a packet is pending: got %08lx %p, expected "
       "AUDCLNT_E_OUT_OF_ORDER and NULL\n", hr, data);
    /* Too many frames: refused, and the packet stays pending. */
    hr = IAudioRenderClient_ReleaseBuffer(rc, n + 1, AUDCLNT_BUFFERFLAGS_SILENT);
    ok(hr == AUDCLNT_E_INVALID_SIZE, "ReleaseBuffer(%u) of a packet of %u: got %08lx, expected "
       "AUDCLNT_E_INVALID_SIZE\n", n + 1, n, hr);
    hr = IAudioRenderClient_ReleaseBuffer(rc, n / 2, AUDCLNT_BUFFERFLAGS_SILENT);
    ok(hr == S_OK, "ReleaseBuffer(%u) after AUDCLNT_E_INVALID_SIZE: got %08lx, expected S_OK\n", n / 2, hr);
    if (hr == S_OK) written += n / 2;
    pad = get_padding(ac);
    ok(pad == written, "padding %u after writing %u frames, stopped\n", pad, written);

    /* Releasing 0 frames gives the packet back unused. */
    if (IAudioRenderClient_GetBuffer(rc, n, &data) == S_OK)
    {
        hr = IAudioRenderClient_ReleaseBuffer(rc, 0, 0);
        ok(hr == S_OK, "ReleaseBuffer(0) of a packet of %u: got %08lx, expected S_OK\n", n, hr);
    }
    pad = get_padding(ac);
    ok(pad == written, "padding %u after a packet released empty, expected %u\n", pad, written);

    /* Flags: 0 and AUDCLNT_BUFFERFLAGS_SILENT; others are invalid arguments (documentation). */
    if (IAudioRenderClient_GetBuffer(rc, n, &data) == S_OK)
    {
        memset(data, 0, n * mix.Format.nBlockAlign);
        hr = IAudioRenderClient_ReleaseBuffer(rc, n, 0x80);
        ok(hr == E_INVALIDARG, "ReleaseBuffer(flags 0x80): got %08lx, expected E_INVALIDARG\n", hr);
        if (hr == S_OK) written += n;
        /* Whether the packet is still pending then has not been seen: release it empty. */
        hr = IAudioRenderClient_ReleaseBuffer(rc, 0, 0);
        ok(hr == S_OK || hr == AUDCLNT_E_OUT_OF_ORDER, "ReleaseBuffer(0) after E_INVALIDARG: got %08lx\n", hr);
    }
    if (IAudioRenderClient_GetBuffer(rc, n, &data) == S_OK)
    {
        memset(data, 0, n * mix.Format.nBlockAlign);
        hr = IAudioRenderClient_ReleaseBuffer(rc, n, 0);
        ok(hr == S_OK, "ReleaseBuffer(%u, 0): got %08lx, expected S_OK\n", n, hr);
        if (hr == S_OK) written += n;
    }
    pad = get_padding(ac);
    ok(pad == written, "padding %u after writing %u frames, stopped\n", pad, written);

    /* The free space is the buffer less the padding, exactly. */
    data = (BYTE *)0xdeadbeef;
    hr = IAudioRenderClient_GetBuffer(rc, size - pad + 1, &data);
    ok(hr == AUDCLNT_E_BUFFER_TOO_LARGE && !data, "GetBuffer(%u) with %u free: got %08lx %p, expected "
       "AUDCLNT_E_BUFFER_TOO_LARGE and NULL\n", size - pad + 1, size - pad, hr, data);
    hr = IAudioRenderClient_ReleaseBuffer(rc, size - pad + 1, 0);
    ok(hr == AUDCLNT_E_OUT_OF_ORDER, "ReleaseBuffer after AUDCLNT_E_BUFFER_TOO_LARGE: got %08lx, expected "
       "AUDCLNT_E_OUT_OF_ORDER\n", hr);
    if (write_silence(rc, size - pad)) written += size - pad;
    pad = get_padding(ac);
    ok(pad == size && written == size, "padding %u after filling the buffer of %u\n", pad, size);
    data = (BYTE *)0xdeadbeef;
    hr = IAudioRenderClient_GetBuffer(rc, 1, &data);
    ok(hr == AUDCLNT_E_BUFFER_TOO_LARGE && !data, "GetBuffer(1) of a full buffer: got %08lx %p, expected "
       "AUDCLNT_E_BUFFER_TOO_LARGE and NULL\n", hr, data);

    hr = IAudioClient_Reset(ac);
    ok(hr == S_OK, "Reset: got %08lx, expected S_OK\n", hr);
    pad = get_padding(ac);
    ok(pad == 0, "padding %u after Reset, expected 0\n", pad);

    IAudioRenderClient_Release(rc);
    IAudioClient_Release(ac);
}

/* ---- IAudioClock, IAudioClock2 --------------------------------------------------------------------- */

struct clock_sample
{
    UINT64 pos, qpc, before, after;
};

static BOOL sample_clock(IAudioClock *clock, struct clock_sample *s)
{
    HRESULT hr;

    s->before = qpc_now();
    hr = IAudioClock_GetPosition(clock, &s->pos, &s->qpc);
    s->after = qpc_now();
    /* S_FALSE (documentation): a position read slowly, less accurate. */
    ok(hr == S_OK || hr == S_FALSE, "GetPosition: got %08lx, expected S_OK\n", hr);
    return SUCCEEDED(hr);
}

/* Plays a stream and follows IAudioClock against what was written and against the time. */
static void test_clock(void)
{
    const UINT32 block = mix.Format.nBlockAlign, rate = mix.Format.nSamplesPerSec;
    UINT64 freq = 0, last, written = 0, dev_pos, dev_last;
    struct clock_sample s;
    IAudioRenderClient *rc;
    IAudioClock2 *clock2;
    IAudioClock *clock;
    IAudioClient *ac;
    UINT32 size, pad, i;
    DWORD chars;
    HRESULT hr;

    if (!(ac = create_client(0, 5000000, NULL))) return;
    rc = get_service(ac, &IID_IAudioRenderClient, "IAudioRenderClient");
    clock = get_service(ac, &IID_IAudioClock, "IAudioClock");
    if (!rc || !clock || IAudioClock_QueryInterface(clock, &IID_IAudioClock2, (void **)&clock2) != S_OK)
    {
        if (clock) IAudioClock_Release(clock);
        if (rc) IAudioRenderClient_Release(rc);
        IAudioClient_Release(ac);
        return;
    }
    size = get_buffer_size(ac);

    /* In shared mode Windows counts the position in bytes of the stream's format. */
    hr = IAudioClock_GetFrequency(clock, &freq);
    ok(hr == S_OK && freq == (UINT64)rate * block, "GetFrequency: got %08lx %lu, expected S_OK and %lu "
       "(rate x block align)\n", hr, (ULONG)freq, (ULONG)rate * block);
    if (!freq) freq = (UINT64)rate * block;
    hr = IAudioClock_GetCharacteristics(clock, NULL);
    ok(hr == E_POINTER, "GetCharacteristics(NULL): got %08lx, expected E_POINTER\n", hr);
    chars = 0xdead;
    hr = IAudioClock_GetCharacteristics(clock, &chars);
    ok(hr == S_OK && chars == AUDIOCLOCK_CHARACTERISTIC_FIXED_FREQ, "GetCharacteristics: got %08lx %#lx, "
       "expected S_OK and AUDIOCLOCK_CHARACTERISTIC_FIXED_FREQ\n", hr, chars);
    hr = IAudioClock_GetPosition(clock, NULL, NULL);
    ok(hr == E_POINTER, "GetPosition(NULL, NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioClock2_GetDevicePosition(clock2, NULL, NULL);
    ok(hr == E_POINTER, "GetDevicePosition(NULL, NULL): got %08lx, expected E_POINTER\n", hr);
    /* The documentation: a stream never started has no device position yet. */
    dev_pos = 0;
    hr = IAudioClock2_GetDevicePosition(clock2, &dev_pos, NULL);
    /* Only the documentation's word, never seen on Windows: S_OK with position 0 is taken too. */
    ok(hr == AUDCLNT_S_POSITION_STALLED || (hr == S_OK && !dev_pos), "GetDevicePosition before Start: got %08lx, "
       "expected AUDCLNT_S_POSITION_STALLED\n", hr);

    s.pos = 0xdead;
    s.qpc = 0;
    hr = IAudioClock_GetPosition(clock, &s.pos, NULL);
    ok(hr == S_OK && s.pos == 0, "GetPosition before Start: got %08lx %lu, expected S_OK and 0\n", hr,
       (ULONG)s.pos);
    if (sample_clock(clock, &s))
        ok(s.pos == 0 && s.qpc != 0, "GetPosition before Start: %lu at qpc %.3f ms, expected 0 and a time\n",
           (ULONG)s.pos, s.qpc / 1e4);

    if (write_silence(rc, size)) written = size;
    ok(get_padding(ac) == written, "padding before Start is not what was written\n");
    hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);

    /* Playing: the position moves on, never ahead of what was written, and comes with the time
     * it was taken at (the qpc position, in 100 ns). The device position is in frames at the
     * endpoint's rate, here the stream's. */
    last = 0;
    dev_last = 0;
    for (i = 0; i < 10; i++)
    {
        Sleep(20);
        if (!sample_clock(clock, &s)) break;
        ok(s.pos >= last, "position went back from %lu to %lu\n", (ULONG)last, (ULONG)s.pos);
        ok(s.pos <= written * block, "position %lu is ahead of the %lu bytes written\n", (ULONG)s.pos,
           (ULONG)(written * block));
        ok(s.qpc + 50000 >= s.before && s.qpc <= s.after + 50000, "qpc position %.3f ms is more than 5 ms "
           "away from the call, made between %.3f and %.3f ms\n", s.qpc / 1e4, s.before / 1e4, s.after / 1e4);
        last = s.pos;
        dev_pos = ~(UINT64)0;
        hr = IAudioClock2_GetDevicePosition(clock2, &dev_pos, NULL);
        ok(hr == S_OK && dev_pos >= dev_last && dev_pos <= written, "GetDevicePosition: got %08lx %.0f, "
           "expected S_OK, at least %.0f and at most the %lu frames written\n", hr, (double)dev_pos,
           (double)dev_last, (ULONG)written);
        if (hr == S_OK) dev_last = dev_pos;
    }
    ok(last > 0, "position still 0 after playing 200 ms\n");
    ok(last % block == 0, "position %lu is not a whole number of frames\n", (ULONG)last);
    pad = get_padding(ac);
    ok(pad < written, "padding %u has not decreased from %lu after playing 200 ms\n", pad, (ULONG)written);

    /* Stopped: Windows' shared mode drops nothing, the position is what left the buffer and
     * stays there. */
    hr = IAudioClient_Stop(ac);
    ok(hr == S_OK, "Stop: got %08lx, expected S_OK\n", hr);
    pad = get_padding(ac);
    if (sample_clock(clock, &s))
    {
        ok(s.pos >= last, "position went back from %lu to %lu at Stop\n", (ULONG)last, (ULONG)s.pos);
        ok(s.pos == (written - pad) * block, "position %lu after Stop, expected (%lu written - %u padding) "
           "x %u = %lu\n", (ULONG)s.pos, (ULONG)written, pad, block, (ULONG)((written - pad) * block));
        last = s.pos;
    }
    Sleep(50);
    ok(get_padding(ac) == pad, "padding moved while stopped\n");
    if (sample_clock(clock, &s))
        ok(s.pos == last, "position moved from %lu to %lu while stopped\n", (ULONG)last, (ULONG)s.pos);

    /* Reset: back to 0. */
    hr = IAudioClient_Reset(ac);
    ok(hr == S_OK, "Reset: got %08lx, expected S_OK\n", hr);
    ok(get_padding(ac) == 0, "padding after Reset is not 0\n");
    if (sample_clock(clock, &s))
        ok(s.pos == 0, "position %lu after Reset, expected 0\n", (ULONG)s.pos);

    /* Played to the end: everything written is played, and the position says so. */
    written = frames_of(1000000, rate);
    if (!write_silence(rc, written)) written = 0;
    hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "Start after Reset: got %08lx, expected S_OK\n", hr);
    Sleep(600);
    pad = get_padding(ac);
    ok(pad == 0, "padding %u 500 ms after the end of 100 ms written, expected 0\n", pad);
    if (sample_clock(clock, &s))
        ok(s.pos == written * block, "position %lu after an underrun, expected all %lu bytes written\n",
           (ULONG)s.pos, (ULONG)(written * block));
    IAudioClient_Stop(ac);

    IAudioClock2_Release(clock2);
    IAudioClock_Release(clock);
    IAudioRenderClient_Release(rc);
    IAudioClient_Release(ac);
}

/* ---- Event-driven streams --------------------------------------------------------------------------- */

static void test_event_driven(void)
{
    UINT32 size, pad, signals = 0;
    IAudioRenderClient *rc;
    IAudioClient *ac;
    DWORD start, wait;
    HANDLE event;
    HRESULT hr;

    if (!(ac = create_client(AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 0, NULL))) return;
    event = CreateEventW(NULL, FALSE, FALSE, NULL);
    rc = get_service(ac, &IID_IAudioRenderClient, "IAudioRenderClient");
    hr = IAudioClient_SetEventHandle(ac, event);
    ok(hr == S_OK, "SetEventHandle: got %08lx, expected S_OK\n", hr);
    if (!rc || hr != S_OK) goto done;
    size = get_buffer_size(ac);
    wait = WaitForSingleObject(event, 40);
    ok(wait == WAIT_TIMEOUT, "event before the first Start: wait gave %#lx, expected WAIT_TIMEOUT\n", wait);

    /* The engine signals once a period, 10 ms: about 50 times in 500 ms. */
    write_silence(rc, size);
    hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
    start = GetTickCount();
    while (GetTickCount() - start < 500)
    {
        if ((wait = WaitForSingleObject(event, 200)) != WAIT_OBJECT_0)
        {
            ok(0, "no event for 200 ms: wait gave %#lx\n", wait);
            break;
        }
        signals++;
        pad = get_padding(ac);
        if (pad < size) write_silence(rc, size - pad);
    }
    ok(signals >= 30 && signals <= 70, "%u events in 500 ms, expected about 50 (one per 10 ms period)\n",
       signals);
    trace("%u events in 500 ms\n", signals);

    /* Windows keeps signalling a stream once started, after Stop and after Reset too: a program's
     * audio thread waiting without a timeout wakes to see it should end. */
    hr = IAudioClient_Stop(ac);
    ok(hr == S_OK, "Stop: got %08lx, expected S_OK\n", hr);
    ResetEvent(event);
    for (signals = 0, start = GetTickCount(); GetTickCount() - start < 300; signals++)
        if ((wait = WaitForSingleObject(event, 200)) != WAIT_OBJECT_0) break;
    ok(wait == WAIT_OBJECT_0, "event after Stop: wait gave %#lx after %u events, expected WAIT_OBJECT_0 as on "
       "Windows\n", wait, signals);
    ok(signals >= 15 && signals <= 45, "%u events in 300 ms after Stop, expected about 30 (one a period)\n", signals);
    hr = IAudioClient_Reset(ac);
    ok(hr == S_OK, "Reset: got %08lx, expected S_OK\n", hr);
    ResetEvent(event);
    wait = WaitForSingleObject(event, 200);
    ok(wait == WAIT_OBJECT_0, "event after Reset: wait gave %#lx, expected WAIT_OBJECT_0 as on Windows\n", wait);

done:
    if (rc) IAudioRenderClient_Release(rc);
    IAudioClient_Release(ac);
    CloseHandle(event);
}

/* ---- IAudioStreamVolume --------------------------------------------------------------------------- */

static void test_stream_volume(void)
{
    UINT32 count = 0, i, n = mix.Format.nChannels;
    float level, levels[33];
    IAudioStreamVolume *sv;
    IAudioClient *ac;
    HRESULT hr;

    if (!(ac = create_client(0, 5000000, NULL))) return;
    if (!(sv = get_service(ac, &IID_IAudioStreamVolume, "IAudioStreamVolume")) || n >= ARRAY_SIZE(levels))
    {
        if (sv) IAudioStreamVolume_Release(sv);
        IAudioClient_Release(ac);
        return;
    }

    hr = IAudioStreamVolume_GetChannelCount(sv, NULL);
    ok(hr == E_POINTER, "GetChannelCount(NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioStreamVolume_GetChannelCount(sv, &count);
    ok(hr == S_OK && count == n, "GetChannelCount: got %08lx %u, expected S_OK and %u\n", hr, count, n);

    /* Pointers are checked before indices. */
    hr = IAudioStreamVolume_GetChannelVolume(sv, n, NULL);
    ok(hr == E_POINTER, "GetChannelVolume(%u, NULL): got %08lx, expected E_POINTER\n", n, hr);
    hr = IAudioStreamVolume_GetChannelVolume(sv, 0, NULL);
    ok(hr == E_POINTER, "GetChannelVolume(0, NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioStreamVolume_GetChannelVolume(sv, n, &level);
    ok(hr == E_INVALIDARG, "GetChannelVolume(%u): got %08lx, expected E_INVALIDARG\n", n, hr);
    for (i = 0; i < n; i++)
    {
        level = -1.0f;
        hr = IAudioStreamVolume_GetChannelVolume(sv, i, &level);
        ok(hr == S_OK && level == 1.0f, "GetChannelVolume(%u): got %08lx %f, expected S_OK and 1.0\n", i, hr,
           level);
    }

    hr = IAudioStreamVolume_SetChannelVolume(sv, n, 0.5f);
    ok(hr == E_INVALIDARG, "SetChannelVolume(%u, 0.5): got %08lx, expected E_INVALIDARG\n", n, hr);
    hr = IAudioStreamVolume_SetChannelVolume(sv, 0, -0.5f);
    ok(hr == E_INVALIDARG, "SetChannelVolume(0, -0.5): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioStreamVolume_SetChannelVolume(sv, 0, 1.5f);
    ok(hr == E_INVALIDARG, "SetChannelVolume(0, 1.5): got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioStreamVolume_SetChannelVolume(sv, 0, 0.25f);
    ok(hr == S_OK, "SetChannelVolume(0, 0.25): got %08lx, expected S_OK\n", hr);
    hr = IAudioStreamVolume_GetChannelVolume(sv, 0, &level);
    ok(hr == S_OK && level == 0.25f, "GetChannelVolume(0) after setting 0.25: got %08lx %f\n", hr, level);

    hr = IAudioStreamVolume_GetAllVolumes(sv, 0, NULL);
    ok(hr == E_POINTER, "GetAllVolumes(0, NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioStreamVolume_GetAllVolumes(sv, n, NULL);
    ok(hr == E_POINTER, "GetAllVolumes(%u, NULL): got %08lx, expected E_POINTER\n", n, hr);
    hr = IAudioStreamVolume_GetAllVolumes(sv, n - 1, levels);
    ok(hr == E_INVALIDARG, "GetAllVolumes(%u): got %08lx, expected E_INVALIDARG\n", n - 1, hr);
    hr = IAudioStreamVolume_GetAllVolumes(sv, n + 1, levels);
    ok(hr == E_INVALIDARG, "GetAllVolumes(%u): got %08lx, expected E_INVALIDARG\n", n + 1, hr);
    for (i = 0; i < n; i++) levels[i] = -1.0f;
    hr = IAudioStreamVolume_GetAllVolumes(sv, n, levels);
    ok(hr == S_OK, "GetAllVolumes(%u): got %08lx, expected S_OK\n", n, hr);
    for (i = 0; i < n; i++)
        ok(levels[i] == (i ? 1.0f : 0.25f), "GetAllVolumes: channel %u at %f, expected %f\n", i, levels[i],
           i ? 1.0f : 0.25f);

    hr = IAudioStreamVolume_SetAllVolumes(sv, 0, NULL);
    ok(hr == E_POINTER, "SetAllVolumes(0, NULL): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioStreamVolume_SetAllVolumes(sv, n, NULL);
    ok(hr == E_POINTER, "SetAllVolumes(%u, NULL): got %08lx, expected E_POINTER\n", n, hr);
    for (i = 0; i < n; i++) levels[i] = 0.5f;
    hr = IAudioStreamVolume_SetAllVolumes(sv, n - 1, levels);
    ok(hr == E_INVALIDARG, "SetAllVolumes(%u): got %08lx, expected E_INVALIDARG\n", n - 1, hr);
    hr = IAudioStreamVolume_SetAllVolumes(sv, n + 1, levels);
    ok(hr == E_INVALIDARG, "SetAllVolumes(%u): got %08lx, expected E_INVALIDARG\n", n + 1, hr);
    /* The documentation: any level outside 0.0 to 1.0 is an invalid argument, and nothing is set. */
    levels[n - 1] = 1.5f;
    hr = IAudioStreamVolume_SetAllVolumes(sv, n, levels);
    ok(hr == E_INVALIDARG, "SetAllVolumes with a level of 1.5: got %08lx, expected E_INVALIDARG\n", hr);
    levels[n - 1] = -0.5f;
    hr = IAudioStreamVolume_SetAllVolumes(sv, n, levels);
    ok(hr == E_INVALIDARG, "SetAllVolumes with a level of -0.5: got %08lx, expected E_INVALIDARG\n", hr);
    hr = IAudioStreamVolume_GetChannelVolume(sv, 0, &level);
    ok(hr == S_OK && level == 0.25f, "channel 0 at %f after refused SetAllVolumes, expected 0.25\n", level);
    levels[n - 1] = 0.5f;
    hr = IAudioStreamVolume_SetAllVolumes(sv, n, levels);
    ok(hr == S_OK, "SetAllVolumes(%u x 0.5): got %08lx, expected S_OK\n", n, hr);
    for (i = 0; i < n; i++)
    {
        hr = IAudioStreamVolume_GetChannelVolume(sv, i, &level);
        ok(hr == S_OK && level == 0.5f, "GetChannelVolume(%u) after SetAllVolumes: got %08lx %f, expected "
           "0.5\n", i, hr, level);
    }

    /* Each stream has its own. */
    IAudioStreamVolume_Release(sv);
    IAudioClient_Release(ac);
    if (!(ac = create_client(0, 5000000, NULL))) return;
    if ((sv = get_service(ac, &IID_IAudioStreamVolume, "IAudioStreamVolume")))
    {
        hr = IAudioStreamVolume_GetChannelVolume(sv, 0, &level);
        ok(hr == S_OK && level == 1.0f, "a new stream's volume: got %08lx %f, expected 1.0\n", hr, level);
        IAudioStreamVolume_Release(sv);
    }
    IAudioClient_Release(ac);
}

/* ---- IAudioClient2 --------------------------------------------------------------------------------- */

static void test_client2(void)
{
    REFERENCE_TIME min = 0, max = 0;
    AudioClientProperties props;
    IAudioClient2 *ac2;
    BOOL capable;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioClient2, CLSCTX_INPROC_SERVER, NULL, (void **)&ac2);
    ok(hr == S_OK, "Activate(IAudioClient2): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;

    hr = IAudioClient2_IsOffloadCapable(ac2, AudioCategory_Media, NULL);
    ok(hr == E_INVALIDARG, "IsOffloadCapable(NULL): got %08lx, expected E_INVALIDARG\n", hr);
    capable = TRUE;
    hr = IAudioClient2_IsOffloadCapable(ac2, AudioCategory_Media, &capable);
    ok(hr == S_OK && !capable, "IsOffloadCapable: got %08lx %d, expected S_OK and FALSE\n", hr, capable);

    hr = IAudioClient2_SetClientProperties(ac2, NULL);
    ok(hr == E_POINTER, "SetClientProperties(NULL): got %08lx, expected E_POINTER\n", hr);
    memset(&props, 0, sizeof(props));
    props.eCategory = AudioCategory_Media;
    hr = IAudioClient2_SetClientProperties(ac2, &props);
    ok(hr == E_INVALIDARG, "SetClientProperties(cbSize 0): got %08lx, expected E_INVALIDARG\n", hr);
    props.cbSize = sizeof(props) + 4;
    hr = IAudioClient2_SetClientProperties(ac2, &props);
    ok(hr == E_INVALIDARG, "SetClientProperties(cbSize %u): got %08lx, expected E_INVALIDARG\n", props.cbSize,
       hr);
    /* Windows 8's size, without Options. */
    props.cbSize = offsetof(AudioClientProperties, Options);
    props.bIsOffload = TRUE;
    hr = IAudioClient2_SetClientProperties(ac2, &props);
    ok(hr == AUDCLNT_E_ENDPOINT_OFFLOAD_NOT_CAPABLE, "SetClientProperties(offload) on an endpoint that cannot: "
       "got %08lx, expected AUDCLNT_E_ENDPOINT_OFFLOAD_NOT_CAPABLE\n", hr);
    props.bIsOffload = FALSE;
    hr = IAudioClient2_SetClientProperties(ac2, &props);
    ok(hr == S_OK, "SetClientProperties(Windows 8 size): got %08lx, expected S_OK\n", hr);
    props.cbSize = sizeof(props);
    hr = IAudioClient2_SetClientProperties(ac2, &props);
    ok(hr == S_OK, "SetClientProperties: got %08lx, expected S_OK\n", hr);

    /* The limits of a hardware audio engine (offload): what Windows answers for an endpoint
     * without one has not been seen; a success must make sense. */
    hr = IAudioClient2_GetBufferSizeLimits(ac2, &mix.Format, TRUE, &min, &max);
    if (hr == S_OK)
        ok(min > 0 && min <= max, "GetBufferSizeLimits: %ld to %ld\n", (LONG)min, (LONG)max);
    else
        trace("GetBufferSizeLimits: %08lx\n", hr);

    hr = IAudioClient2_Initialize(ac2, AUDCLNT_SHAREMODE_SHARED, 0, 5000000, 0, &mix.Format, NULL);
    ok(hr == S_OK, "Initialize after SetClientProperties: got %08lx, expected S_OK\n", hr);
    IAudioClient2_Release(ac2);
}

/* ---- IAudioClient3 --------------------------------------------------------------------------------- */

static IAudioClient3 *activate_client3(void)
{
    IAudioClient3 *ac3 = NULL;
    HRESULT hr;

    hr = IMMDevice_Activate(dev, &IID_IAudioClient3, CLSCTX_INPROC_SERVER, NULL, (void **)&ac3);
    ok(hr == S_OK, "Activate(IAudioClient3): got %08lx, expected S_OK\n", hr);
    return hr == S_OK ? ac3 : NULL;
}

static void test_client3(void)
{
    UINT32 def = 0, unit = 0, min = 0, max = 0, cur = 0, frames;
    WAVEFORMATEX *cur_fmt = NULL;
    IAudioClient3 *ac3;
    HRESULT hr;

    if (!(ac3 = activate_client3())) return;

    /* Wine's own module dereferences these NULLs: checked only with the harness, on ours.
     * Windows' answer has not been seen. */
    if (env.backend != TEST_BACKEND_UNSET)
    {
        hr = IAudioClient3_GetSharedModeEnginePeriod(ac3, NULL, &def, &unit, &min, &max);
        ok(hr == E_POINTER, "GetSharedModeEnginePeriod(NULL format): got %08lx, expected E_POINTER\n", hr);
        hr = IAudioClient3_GetSharedModeEnginePeriod(ac3, &mix.Format, NULL, &unit, &min, &max);
        ok(hr == E_POINTER, "GetSharedModeEnginePeriod(NULL default): got %08lx, expected E_POINTER\n", hr);
        hr = IAudioClient3_GetSharedModeEnginePeriod(ac3, &mix.Format, &def, &unit, &min, NULL);
        ok(hr == E_POINTER, "GetSharedModeEnginePeriod(NULL max): got %08lx, expected E_POINTER\n", hr);
    }
    else skip("MMDEVAPI_TEST_BACKEND unset: not passing NULL to GetSharedModeEnginePeriod\n");

    /* Periods in frames: the default is Windows' 10 ms; every period is a multiple of the
     * fundamental one. */
    hr = IAudioClient3_GetSharedModeEnginePeriod(ac3, &mix.Format, &def, &unit, &min, &max);
    ok(hr == S_OK, "GetSharedModeEnginePeriod: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK)
    {
        IAudioClient3_Release(ac3);
        return;
    }
    trace("engine periods: default %u, fundamental %u, minimum %u, maximum %u frames\n", def, unit, min, max);
    ok(def == frames_of(def_period, mix.Format.nSamplesPerSec), "default engine period %u frames, expected %u "
       "(GetDevicePeriod's)\n", def, frames_of(def_period, mix.Format.nSamplesPerSec));
    ok(unit > 0 && min > 0 && min <= def && def <= max, "engine periods: fundamental %u, minimum %u, "
       "default %u, maximum %u: expected 0 < minimum <= default <= maximum\n", unit, min, def, max);
    if (unit)
        ok(!(def % unit) && !(min % unit) && !(max % unit), "engine periods %u %u %u are not multiples of the "
           "fundamental %u\n", min, def, max, unit);

    hr = IAudioClient3_GetCurrentSharedModeEnginePeriod(ac3, NULL, &cur);
    ok(hr == E_POINTER, "GetCurrentSharedModeEnginePeriod(NULL format): got %08lx, expected E_POINTER\n", hr);
    hr = IAudioClient3_GetCurrentSharedModeEnginePeriod(ac3, &cur_fmt, NULL);
    ok(hr == E_POINTER, "GetCurrentSharedModeEnginePeriod(NULL period): got %08lx, expected E_POINTER\n", hr);
    if (hr == S_OK) CoTaskMemFree(cur_fmt);
    cur_fmt = NULL;
    hr = IAudioClient3_GetCurrentSharedModeEnginePeriod(ac3, &cur_fmt, &cur);
    ok(hr == S_OK && cur_fmt, "GetCurrentSharedModeEnginePeriod: got %08lx %p, expected S_OK\n", hr, cur_fmt);
    if (hr == S_OK && cur_fmt)
    {
        ok(cur_fmt->nSamplesPerSec == mix.Format.nSamplesPerSec && cur_fmt->nChannels == mix.Format.nChannels,
           "engine format %lu Hz %u ch, expected the mix format's\n", cur_fmt->nSamplesPerSec,
           cur_fmt->nChannels);
        ok(cur >= min && cur <= max, "current engine period %u frames, outside %u to %u\n", cur, min, max);
        CoTaskMemFree(cur_fmt);
    }

    /* A period below the minimum. */
    if (min > 1)
    {
        hr = IAudioClient3_InitializeSharedAudioStream(ac3, 0, min - 1, &mix.Format, NULL);
        ok(hr == AUDCLNT_E_INVALID_DEVICE_PERIOD, "InitializeSharedAudioStream(%u frames, minimum %u): got "
           "%08lx, expected AUDCLNT_E_INVALID_DEVICE_PERIOD\n", min - 1, min, hr);
        IAudioClient3_Release(ac3);
        if (!(ac3 = activate_client3())) return;
    }
    hr = IAudioClient3_InitializeSharedAudioStream(ac3, 0, min, NULL, NULL);
    ok(hr == E_POINTER, "InitializeSharedAudioStream(NULL format): got %08lx, expected E_POINTER\n", hr);

    /* The smallest period. */
    hr = IAudioClient3_InitializeSharedAudioStream(ac3, 0, min, &mix.Format, NULL);
    ok(hr == S_OK, "InitializeSharedAudioStream(%u frames): got %08lx, expected S_OK\n", min, hr);
    if (hr == S_OK)
    {
        hr = IAudioClient3_GetBufferSize(ac3, &frames);
        ok(hr == S_OK && frames >= min, "GetBufferSize: got %08lx %u, expected at least the period %u\n", hr,
           frames, min);
        hr = IAudioClient3_InitializeSharedAudioStream(ac3, 0, min, &mix.Format, NULL);
        ok(hr == AUDCLNT_E_ALREADY_INITIALIZED, "InitializeSharedAudioStream again: got %08lx, expected "
           "AUDCLNT_E_ALREADY_INITIALIZED\n", hr);
        hr = IAudioClient3_Initialize(ac3, AUDCLNT_SHAREMODE_SHARED, 0, 5000000, 0, &mix.Format, NULL);
        ok(hr == AUDCLNT_E_ALREADY_INITIALIZED, "Initialize after InitializeSharedAudioStream: got %08lx, "
           "expected AUDCLNT_E_ALREADY_INITIALIZED\n", hr);
        hr = IAudioClient3_Start(ac3);
        ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
        cur_fmt = NULL;
        hr = IAudioClient3_GetCurrentSharedModeEnginePeriod(ac3, &cur_fmt, &cur);
        ok(hr == S_OK, "GetCurrentSharedModeEnginePeriod while running: got %08lx, expected S_OK\n", hr);
        /* The engine runs at the smallest period an active stream asked for: this one's, when no
         * other program holds the endpoint at another (as in the harness). */
        if (hr == S_OK && env.backend != TEST_BACKEND_UNSET)
            ok(cur == min, "current engine period %u frames with a stream of %u, expected %u\n", cur, min, min);
        else if (hr == S_OK)
            ok(cur >= min && cur <= def, "current engine period %u frames with a stream of %u, expected %u "
               "to %u\n", cur, min, min, def);
        trace("current engine period with a stream at the minimum: %u frames\n", cur);
        CoTaskMemFree(cur_fmt);
        IAudioClient3_Stop(ac3);
    }
    IAudioClient3_Release(ac3);
}

/* ---- AUTOCONVERTPCM --------------------------------------------------------------------------------- */

static void test_autoconvert(void)
{
    static const DWORD convert = AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM | AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY;
    IAudioRenderClient *rc;
    DWORD start;
    WAVEFORMATEX fmt;
    IAudioClient *ac;
    UINT32 frames;
    HRESULT hr;

    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, other_rate(), 2);

    /* Without the flag, Windows' shared mode takes only the mix rate and channel count; Wine's and ours
     * convert all the same, as IsFormatSupported said (check_converted): PortAudio 19.6 opens its
     * streams that way, at the program's rate, and plays. */
    if ((ac = activate_client()))
    {
        hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 5000000, 0, &fmt, NULL);
        if (env.backend == TEST_BACKEND_UNSET)
            ok(hr == AUDCLNT_E_UNSUPPORTED_FORMAT || hr == S_OK, "Initialize(%lu Hz s16 stereo) without "
               "AUTOCONVERTPCM: got %08lx, expected AUDCLNT_E_UNSUPPORTED_FORMAT (Windows) or S_OK (Wine)\n",
               fmt.nSamplesPerSec, hr);
        else
            ok(hr == S_OK, "Initialize(%lu Hz s16 stereo) without AUTOCONVERTPCM: got %08lx, expected S_OK\n",
               fmt.nSamplesPerSec, hr);
        if (hr == S_OK && (rc = get_service(ac, &IID_IAudioRenderClient, "IAudioRenderClient")))
        {
            frames = get_buffer_size(ac);
            ok(frames >= frames_of(5000000, fmt.nSamplesPerSec), "buffer of 500 ms at %lu Hz without "
               "AUTOCONVERTPCM: %u frames, expected at least %u\n", fmt.nSamplesPerSec, frames,
               frames_of(5000000, fmt.nSamplesPerSec));
            write_silence(rc, frames_of(1000000, fmt.nSamplesPerSec));
            hr = IAudioClient_Start(ac);
            ok(hr == S_OK, "Start of a stream converted without AUTOCONVERTPCM: got %08lx, expected S_OK\n", hr);
            /* A device may take a while to start: through PipeWire's ALSA plugin, more than 50 ms once. */
            for (start = GetTickCount(); get_padding(ac) >= frames_of(1000000, fmt.nSamplesPerSec)
                 && GetTickCount() - start < 500;)
                Sleep(5);
            ok(get_padding(ac) < frames_of(1000000, fmt.nSamplesPerSec), "nothing was played in 500 ms\n");
            IAudioClient_Stop(ac);
            IAudioRenderClient_Release(rc);
        }
        IAudioClient_Release(ac);
    }

    /* With it, a resampler (and a channel mixer) are put in; the buffer is in the stream's frames. */
    if ((ac = create_client(convert, 5000000, &fmt)))
    {
        frames = get_buffer_size(ac);
        ok(frames >= frames_of(5000000, fmt.nSamplesPerSec), "buffer of 500 ms at %lu Hz: %u frames, expected "
           "at least %u\n", fmt.nSamplesPerSec, frames, frames_of(5000000, fmt.nSamplesPerSec));
        if ((rc = get_service(ac, &IID_IAudioRenderClient, "IAudioRenderClient")))
        {
            write_silence(rc, frames_of(1000000, fmt.nSamplesPerSec));
            hr = IAudioClient_Start(ac);
            ok(hr == S_OK, "Start of a converted stream: got %08lx, expected S_OK\n", hr);
            Sleep(50);
            IAudioClient_Stop(ac);
            IAudioRenderClient_Release(rc);
        }
        IAudioClient_Release(ac);
    }
    pcm_format(&fmt, WAVE_FORMAT_PCM, 16, other_rate(), 1);
    if ((ac = create_client(convert, 5000000, &fmt))) IAudioClient_Release(ac);
}

/* ---- Marshaling to another apartment ---------------------------------------------------------- */

/* Programs hand a stream to their audio thread in another apartment through
 * CoMarshalInterThreadInterfaceInStream, as PortAudio does from its STA to its MTA thread (it gave
 * up with "Failed marshaling stream COM pointers" when that failed). What comes back must work;
 * Windows' and Wine's streams are agile, so under ours it is the object itself. */
struct marshal_test
{
    IAudioClient *ac;
    IAudioRenderClient *rc;
    IStream *client_stream;
    IStream *render_stream;
    HRESULT client_hr, size_hr, render_hr, buffer_hr;
    UINT32 frames;
    BOOL same_client, same_render;
};

static DWORD WINAPI marshal_thread(void *arg)
{
    struct marshal_test *t = arg;
    IAudioRenderClient *rc;
    IAudioClient *ac;
    BYTE *data;

    CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    if (SUCCEEDED(t->client_hr = CoGetInterfaceAndReleaseStream(t->client_stream, &IID_IAudioClient,
                                                                (void **)&ac)))
    {
        t->size_hr = IAudioClient_GetBufferSize(ac, &t->frames);
        t->same_client = ac == t->ac;
        IAudioClient_Release(ac);
    }
    if (SUCCEEDED(t->render_hr = CoGetInterfaceAndReleaseStream(t->render_stream, &IID_IAudioRenderClient,
                                                                (void **)&rc)))
    {
        if (SUCCEEDED(t->buffer_hr = IAudioRenderClient_GetBuffer(rc, 16, &data)))
            t->buffer_hr = IAudioRenderClient_ReleaseBuffer(rc, 16, AUDCLNT_BUFFERFLAGS_SILENT);
        t->same_render = rc == t->rc;
        IAudioRenderClient_Release(rc);
    }
    CoUninitialize();
    return 0;
}

static void test_marshal(void)
{
    struct marshal_test t = {0};
    HANDLE thread;
    HRESULT hr;

    if (!(t.ac = create_client(0, 1000000, NULL))) return;
    if (!(t.rc = get_service(t.ac, &IID_IAudioRenderClient, "IAudioRenderClient")))
    {
        IAudioClient_Release(t.ac);
        return;
    }
    hr = CoMarshalInterThreadInterfaceInStream(&IID_IAudioClient, (IUnknown *)t.ac, &t.client_stream);
    ok(hr == S_OK, "CoMarshalInterThreadInterfaceInStream(IAudioClient): got %08lx, expected S_OK\n", hr);
    hr = CoMarshalInterThreadInterfaceInStream(&IID_IAudioRenderClient, (IUnknown *)t.rc, &t.render_stream);
    ok(hr == S_OK, "CoMarshalInterThreadInterfaceInStream(IAudioRenderClient): got %08lx, expected S_OK\n", hr);
    if (t.client_stream && t.render_stream)
    {
        thread = CreateThread(NULL, 0, marshal_thread, &t, 0, NULL);
        ok(WaitForSingleObject(thread, 10000) == WAIT_OBJECT_0, "the STA thread did not end\n");
        CloseHandle(thread);
        ok(t.client_hr == S_OK && t.size_hr == S_OK && t.frames == get_buffer_size(t.ac),
           "IAudioClient in an STA: unmarshaled %08lx, GetBufferSize %08lx %u\n", t.client_hr, t.size_hr, t.frames);
        ok(t.render_hr == S_OK && t.buffer_hr == S_OK, "IAudioRenderClient in an STA: unmarshaled %08lx, "
           "GetBuffer and ReleaseBuffer %08lx\n", t.render_hr, t.buffer_hr);
        if (env.backend != TEST_BACKEND_UNSET)
            ok(t.same_client && t.same_render, "unmarshaled in an STA: a proxy, expected the agile object\n");
    }
    else
    {
        if (t.client_stream) IStream_Release(t.client_stream);
        if (t.render_stream) IStream_Release(t.render_stream);
    }
    IAudioRenderClient_Release(t.rc);
    IAudioClient_Release(t.ac);
}

/* ---- Calls from many threads ------------------------------------------------------------------- */

/* Programs call one stream from several threads at once: the game's mixer, its audio thread, a
 * clock reader. Whatever the interleaving, each call answers with one of the HRESULTs it has for
 * that state, and the stream stays whole. */
struct thread_test
{
    IAudioClient *ac;
    IAudioRenderClient *rc;
    IAudioClock *clock;
    IAudioStreamVolume *volume;
    ISimpleAudioVolume *simple;         /* the stream's session */
    IChannelAudioVolume *channels;
    IAudioSessionControl *control;
    UINT32 buffer;
    LONG stop;
    LONG unexpected;        /* calls that answered what no state explains */
    LONG backwards;         /* clock reads that went back */
    LONG resets;
    LONG calls;
};

static void thread_check(struct thread_test *t, BOOL expected, const char *what, HRESULT hr)
{
    InterlockedIncrement(&t->calls);
    if (expected) return;
    if (InterlockedIncrement(&t->unexpected) <= 5) trace("%s answered %08lx\n", what, hr);
}

static DWORD WINAPI thread_writer(void *arg)
{
    struct thread_test *t = arg;
    UINT32 seed = GetCurrentThreadId(), padding, frames;
    BYTE *data;
    HRESULT hr;

    while (!ReadAcquire(&t->stop))
    {
        hr = IAudioClient_GetCurrentPadding(t->ac, &padding);
        thread_check(t, hr == S_OK && padding <= t->buffer, "GetCurrentPadding", hr);
        seed = seed * 1103515245 + 12345;
        frames = (seed >> 16) % 64;
        hr = IAudioRenderClient_GetBuffer(t->rc, frames, &data);
        /* Another thread may hold the packet, or have filled the buffer meanwhile. */
        thread_check(t, hr == S_OK || hr == AUDCLNT_E_OUT_OF_ORDER || hr == AUDCLNT_E_BUFFER_TOO_LARGE,
                     "GetBuffer", hr);
        if (hr == S_OK && frames) memset(data, 0, frames * mix.Format.nBlockAlign);
        hr = IAudioRenderClient_ReleaseBuffer(t->rc, frames, 0);
        /* The packet released may be another thread's, of another size. */
        thread_check(t, hr == S_OK || hr == AUDCLNT_E_OUT_OF_ORDER || hr == AUDCLNT_E_INVALID_SIZE,
                     "ReleaseBuffer", hr);
    }
    return 0;
}

static DWORD WINAPI thread_reader(void *arg)
{
    struct thread_test *t = arg;
    UINT64 position, last = 0;
    LONG before, after, last_resets = -1;
    UINT32 i = 0;
    HRESULT hr;

    while (!ReadAcquire(&t->stop))
    {
        before = ReadAcquire(&t->resets);
        hr = IAudioClock_GetPosition(t->clock, &position, NULL);
        after = ReadAcquire(&t->resets);
        thread_check(t, hr == S_OK || hr == S_FALSE, "GetPosition", hr);
        /* Reset takes the clock back to 0, and only Reset: compare reads no Reset came between. */
        if (hr == S_OK && position < last && before == after && before == last_resets)
            InterlockedIncrement(&t->backwards);
        last = position;
        last_resets = before == after && !(after & 1) ? after : -1;
        hr = IAudioStreamVolume_SetChannelVolume(t->volume, i++ % mix.Format.nChannels, 0.5f);
        thread_check(t, hr == S_OK, "SetChannelVolume", hr);
    }
    return 0;
}

static DWORD WINAPI thread_controller(void *arg)
{
    struct thread_test *t = arg;
    HRESULT hr;

    while (!ReadAcquire(&t->stop))
    {
        hr = IAudioClient_Start(t->ac);
        thread_check(t, hr == S_OK || hr == AUDCLNT_E_NOT_STOPPED, "Start", hr);
        Sleep(3);
        hr = IAudioClient_Stop(t->ac);
        thread_check(t, hr == S_OK || hr == S_FALSE, "Stop", hr);
        /* Odd while a Reset runs. */
        InterlockedIncrement(&t->resets);
        hr = IAudioClient_Reset(t->ac);
        InterlockedIncrement(&t->resets);
        thread_check(t, hr == S_OK || hr == AUDCLNT_E_NOT_STOPPED || hr == AUDCLNT_E_BUFFER_OPERATION_PENDING,
                     "Reset", hr);
    }
    return 0;
}

/* The stream's session's volumes and state, meanwhile. */
static DWORD WINAPI thread_session(void *arg)
{
    struct thread_test *t = arg;
    AudioSessionState state;
    UINT32 i = 0;
    float level;
    HRESULT hr;

    while (!ReadAcquire(&t->stop))
    {
        hr = ISimpleAudioVolume_SetMasterVolume(t->simple, i++ % 2 ? 0.5f : 1.0f, NULL);
        thread_check(t, hr == S_OK, "SetMasterVolume", hr);
        hr = ISimpleAudioVolume_GetMasterVolume(t->simple, &level);
        thread_check(t, hr == S_OK && (level == 0.5f || level == 1.0f), "GetMasterVolume", hr);
        hr = ISimpleAudioVolume_SetMute(t->simple, FALSE, NULL);
        thread_check(t, hr == S_OK, "SetMute", hr);
        hr = IChannelAudioVolume_SetChannelVolume(t->channels, i % mix.Format.nChannels, 0.75f, NULL);
        thread_check(t, hr == S_OK, "IChannelAudioVolume::SetChannelVolume", hr);
        hr = IAudioSessionControl_GetState(t->control, &state);
        thread_check(t, hr == S_OK && state <= AudioSessionStateExpired, "GetState", hr);
    }
    return 0;
}

/* Other streams of the same endpoint made, started and released, meanwhile. */
static DWORD WINAPI thread_churn(void *arg)
{
    struct thread_test *t = arg;
    IAudioRenderClient *rc;
    IAudioClient *ac;
    HRESULT hr;

    while (!ReadAcquire(&t->stop))
    {
        if (!(ac = create_client(0, 1000000, NULL))) break;
        hr = IAudioClient_GetService(ac, &IID_IAudioRenderClient, (void **)&rc);
        thread_check(t, hr == S_OK, "GetService(IAudioRenderClient)", hr);
        if (SUCCEEDED(hr)) IAudioRenderClient_Release(rc);
        hr = IAudioClient_Start(ac);
        thread_check(t, hr == S_OK, "Start of another stream", hr);
        /* Released while it plays, as programs do. */
        IAudioClient_Release(ac);
    }
    return 0;
}

static void test_threads(void)
{
    struct thread_test t = {0};
    HANDLE threads[16];
    UINT32 padding, i, count = 0;
    HRESULT hr;

    if (!(t.ac = create_client(0, 1000000, NULL))) return;
    t.buffer = get_buffer_size(t.ac);
    t.rc = get_service(t.ac, &IID_IAudioRenderClient, "IAudioRenderClient");
    t.clock = get_service(t.ac, &IID_IAudioClock, "IAudioClock");
    t.volume = get_service(t.ac, &IID_IAudioStreamVolume, "IAudioStreamVolume");
    t.simple = get_service(t.ac, &IID_ISimpleAudioVolume, "ISimpleAudioVolume");
    t.channels = get_service(t.ac, &IID_IChannelAudioVolume, "IChannelAudioVolume");
    t.control = get_service(t.ac, &IID_IAudioSessionControl, "IAudioSessionControl");
    if (t.rc && t.clock && t.volume && t.simple && t.channels && t.control)
    {
        /* 16 threads on one stream, its session, and other streams of the endpoint. */
        for (i = 0; i < 8; i++) threads[count++] = CreateThread(NULL, 0, thread_writer, &t, 0, NULL);
        for (i = 0; i < 3; i++) threads[count++] = CreateThread(NULL, 0, thread_reader, &t, 0, NULL);
        threads[count++] = CreateThread(NULL, 0, thread_controller, &t, 0, NULL);
        for (i = 0; i < 2; i++) threads[count++] = CreateThread(NULL, 0, thread_session, &t, 0, NULL);
        for (i = 0; i < 2; i++) threads[count++] = CreateThread(NULL, 0, thread_churn, &t, 0, NULL);
        Sleep(1500);
        WriteRelease(&t.stop, 1);
        ok(WaitForMultipleObjects(count, threads, TRUE, 10000) == WAIT_OBJECT_0,
           "the threads did not finish within 10 s\n");
        for (i = 0; i < count; i++) CloseHandle(threads[i]);

        ok(!t.unexpected, "%ld of %ld calls from %u threads answered an HRESULT their state does not explain\n",
           t.unexpected, t.calls, count);
        ok(!t.backwards, "%ld clock reads went back without a Reset\n", t.backwards);
        trace("%ld calls from %u threads in 1.5 s\n", t.calls, count);
        /* The stream is whole: it plays and empties as any other. */
        IAudioClient_Stop(t.ac);
        IAudioRenderClient_ReleaseBuffer(t.rc, 0, 0);
        hr = IAudioClient_GetCurrentPadding(t.ac, &padding);
        ok(hr == S_OK && padding <= t.buffer, "padding after the threads: got %08lx %u, buffer %u\n", hr, padding,
           t.buffer);
    }
    if (t.control) IAudioSessionControl_Release(t.control);
    if (t.channels) IChannelAudioVolume_Release(t.channels);
    if (t.simple) ISimpleAudioVolume_Release(t.simple);
    if (t.volume) IAudioStreamVolume_Release(t.volume);
    if (t.clock) IAudioClock_Release(t.clock);
    if (t.rc) IAudioRenderClient_Release(t.rc);
    IAudioClient_Release(t.ac);
}

/* ---- ActivateAudioInterfaceAsync ---------------------------------------------------------------- */

static void test_activate_async(void)
{
    activate_async_func activate = (void *)GetProcAddress(GetModuleHandleA("mmdevapi.dll"),
                                                          "ActivateAudioInterfaceAsync");
    WCHAR render[40], path[160] = {0}, *id = NULL;
    IAudioClient *ac;
    IUnknown *out;
    HRESULT hr;

    if (!ok(activate != NULL, "mmdevapi.dll does not export ActivateAudioInterfaceAsync\n")) return;
    hr = activate(NULL, &IID_IAudioClient, NULL, NULL, NULL);
    ok(hr == E_POINTER || hr == E_INVALIDARG, "ActivateAudioInterfaceAsync(NULL...): got %08lx, expected "
       "E_POINTER\n", hr);

    /* DEVINTERFACE_AUDIO_RENDER in its string form: the default render endpoint. */
    StringFromGUID2(&DEVINTERFACE_AUDIO_RENDER, render, ARRAY_SIZE(render));
    hr = activate_async(activate, render, &IID_IAudioClient, &out);
    ok(hr == S_OK && out, "activation of IAudioClient on the default render device: got %08lx %p\n", hr, out);
    if (out)
    {
        hr = IUnknown_QueryInterface(out, &IID_IAudioClient, (void **)&ac);
        ok(hr == S_OK, "QueryInterface(IAudioClient) of the result: got %08lx\n", hr);
        if (hr == S_OK)
        {
            hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 1000000, 0, &mix.Format, NULL);
            ok(hr == S_OK, "Initialize of the activated client: got %08lx, expected S_OK\n", hr);
            IAudioClient_Release(ac);
        }
        IUnknown_Release(out);
    }

    /* An endpoint's device interface path names it (Windows.Media.Devices gives programs these);
     * its bare id names no device interface, on Windows as Wine's tests found: what cannot be
     * activated says so in the result, not in the call. */
    IMMDevice_GetId(dev, &id);
    _snwprintf(path, ARRAY_SIZE(path) - 1, L"\\\\?\\SWD#MMDEVAPI#%s#%s", id, _wcslwr(render));
    hr = activate_async(activate, path, &IID_IAudioClient, &out);
    ok(hr == S_OK && out, "activation on %s: got %08lx %p\n", dbgstr_w(path), hr, out);
    if (out) IUnknown_Release(out);
    hr = activate_async(activate, id, &IID_IAudioClient, &out);
    ok(hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) && !out, "activation on the bare id %s: got %08lx %p, "
       "expected ERROR_FILE_NOT_FOUND\n", dbgstr_w(id), hr, out);
    CoTaskMemFree(id);
    hr = activate_async(activate, L"\\\\?\\SWD#MMDEVAPI#{0.0.0.00000000}.{deadbeef-dead-beef-dead-beefdeadbeef}"
                        L"#{e6327cad-dcec-4949-ae8a-991e976a79d2}", &IID_IAudioClient, &out);
    ok(hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) && !out, "activation on an unknown endpoint: got %08lx %p, "
       "expected ERROR_FILE_NOT_FOUND\n", hr, out);
    hr = activate_async(activate, L"winetest_bogus", &IID_IAudioClient, &out);
    ok(hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) && !out, "activation on a bogus path: got %08lx %p, "
       "expected ERROR_FILE_NOT_FOUND\n", hr, out);
    hr = activate_async(activate, render, &iid_unknown_interface, &out);
    ok(hr == E_NOINTERFACE && !out, "activation of an unknown interface: got %08lx %p, expected E_NOINTERFACE\n",
       hr, out);
}

int main(void)
{
    IMMDeviceEnumerator *mme = NULL;
    HRESULT hr;

    test_read_env(&env);
    if (env.backend == TEST_BACKEND_UNSET)
        skip("MMDEVAPI_TEST_BACKEND unset: checking behaviour, not the harness's endpoint\n");

    hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    ok(hr == S_OK, "CoInitializeEx(MTA): got %08lx\n", hr);
    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator,
                          (void **)&mme);
    ok(hr == S_OK, "CoCreateInstance(MMDeviceEnumerator): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, &dev);
    if (env.backend == TEST_BACKEND_NONE)
    {
        ok(hr == E_NOTFOUND && !dev, "GetDefaultAudioEndpoint(render) without a backend: got %08lx %p, "
           "expected E_NOTFOUND and NULL\n", hr, dev);
        skip("no render endpoint: nothing to render to\n");
        goto done;
    }
    if (env.backend == TEST_BACKEND_UNSET && hr == E_NOTFOUND)
    {
        skip("no render endpoint: nothing to render to\n");
        goto done;
    }
    ok(hr == S_OK, "GetDefaultAudioEndpoint(render): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    test_activate();
    if (test_mix_format())
    {
        test_device_period();
        test_is_format_supported();
        test_uninitialized();
        test_initialize();
        test_exclusive();
        test_event_handle();
        test_services();
        test_start_stop();
        test_render_client();
        test_clock();
        test_event_driven();
        test_stream_volume();
        test_client2();
        test_client3();
        test_autoconvert();
        test_threads();
        test_marshal();
        test_activate_async();
    }
    else skip("no usable mix format: no stream tests\n");
    IMMDevice_Release(dev);

done:
    if (mme) IMMDeviceEnumerator_Release(mme);
    CoUninitialize();
    return test_summary();
}
