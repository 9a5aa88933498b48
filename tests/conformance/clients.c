/*
 * Real clients: Wine's own dsound, winmm (waveOut) and xaudio2, loaded unchanged, play through our
 * module, and what they played reaches the backend complete, in order and with the values their own
 * conversion gives.
 *
 * Each client plays 400 ms of a signal of its own at 48 kHz stereo, the mix format's rate and
 * channels, so that nothing resamples or remixes:
 *
 *   dsound   int16: left a pseudo-random sequence, right the ramp -(k + 1) for frame k
 *   winmm    int16: left the ramp k + 1, right a pseudo-random sequence
 *   xaudio2  float: left the ramp (k + 1) / 2^21, right pseudo-random multiples of 2^-21
 *
 * The ramp tells which frame of which client any recorded frame is, so that a gap, a repeat or a
 * skip is named as such. What the backend gets is float: int16 x becomes x / 32768 exactly (dsound
 * mixes in float with x / 32768 and applies no volume to a buffer without DSBCAPS_CTRLVOLUME or
 * DSBCAPS_CTRLPAN; winmm hands int16 to IAudioClient at volume 1, and our engine converts); the
 * float of xaudio2 comes out bit for bit (see test_xaudio2). The harness records what reached the
 * backend as raw float32 48 kHz stereo: with pulse the null sink's monitor
 * (MMDEVAPI_TEST_PULSE_RECORDING), with alsa the file plugin's output (MMDEVAPI_TEST_ALSA_FILE).
 * winmm's and xaudio2's IAudioClient starts with the signal's first frame; dsound's runs from
 * DirectSoundCreate8 on, with silence, and the signal comes into it.
 *
 * The names the clients list come from the endpoint's properties: dsound's description and
 * waveOut's szPname (truncated to MAXPNAMELEN - 1 characters) are PKEY_Device_FriendlyName, which
 * holds MMDEVAPI_TEST_RENDER_NAME; dsound's GUID of the default device is PKEY_AudioEndpoint_GUID.
 *
 * Capture: winmm's waveIn and dsound's IDirectSoundCapture record 500 ms of the signal feed.h writes
 * into the harness's capture feed, as int16 at the feed's rate and channels, and get it sample for
 * sample (where the harness has no feed, they are skipped).
 *
 * With MMDEVAPI_TEST_BACKEND=none there is no endpoint: each client must fail cleanly (or play to
 * nothing), and nothing is compared. With MMDEVAPI_TEST_BACKEND unset (stock Wine, Windows) the
 * clients play and nothing is compared. Every wait is bounded, and each client runs in a child
 * process of its own: a client that crashes or hangs is a failure, and the next one still runs.
 */

#define COBJMACROS
#define CONST_VTABLE
#include "recording.h"
#include "feed.h"

#include <stdlib.h>
#include <objbase.h>
#include <propsys.h>
#include <mmsystem.h>
#include <initguid.h>
#include <propkeydef.h>
#include <mmdeviceapi.h>
#include <devpkey.h>
#include <dsound.h>
#include <xaudio2.h>

#define RATE          48000     /* the signals' and the recording's format */
#define CHANNELS      2
#define SIGNAL_FRAMES (RATE * 4 / 10)
#define TAIL_FRAMES   (RATE / 10)   /* checked for silence after a signal, as far as recorded */
#define RECORD_WAIT   5000          /* ms for the recording to catch up once a client is done */
#define CLIENT_WAIT   30000         /* ms for one client's whole test before it counts as a hang */
#define MAX_REPORTS   6             /* anomalies described per signal */

#define PKEY_OF(devpkey) ((const PROPERTYKEY *)&(devpkey))

static struct test_env env;
static BOOL have_endpoint;          /* a default render endpoint: the clients must play */
static BOOL compare_samples;        /* pulse or alsa: the recording is compared */
static WCHAR recording[MAX_PATH];
static WCHAR friendly_name[256];    /* PKEY_Device_FriendlyName of the default render endpoint */
static GUID endpoint_guid;          /* its PKEY_AudioEndpoint_GUID */
static const char *child_name;      /* the client this process runs, NULL in the parent */

/* ---- Signals ---------------------------------------------------------------------------------------- */

/* What a client plays and what the backend must get for it. */
struct signal
{
    const char *name;
    short pcm[SIGNAL_FRAMES * CHANNELS];        /* int16 clients */
    float fpcm[SIGNAL_FRAMES * CHANNELS];       /* float clients */
    float expect[SIGNAL_FRAMES * CHANNELS];     /* at the backend */
    int ramp_channel;
    float ramp_step;                            /* the ramp channel of frame k is (k + 1) * ramp_step */
};

/* A nonzero pseudo-random value in [-range, range). */
static int random_nonzero(UINT32 *state, int range)
{
    int value = (int)(test_random(state) % (2u * range)) - range;

    return value ? value : 1;
}

/* int16 with the ramp k + 1 in ramp_channel, times sign; noise in the other channel. */
static void make_int16_signal(struct signal *s, const char *name, UINT32 seed, int ramp_channel, int sign)
{
    UINT32 state = seed, k;
    int c;

    s->name = name;
    s->ramp_channel = ramp_channel;
    s->ramp_step = sign / 32768.0f;
    for (k = 0; k < SIGNAL_FRAMES; k++)
        for (c = 0; c < CHANNELS; c++)
        {
            short x = c == ramp_channel ? (short)(sign * (int)(k + 1)) : (short)random_nonzero(&state, 32768);

            s->pcm[k * CHANNELS + c] = x;
            s->expect[k * CHANNELS + c] = x / 32768.0f;
        }
}

/* float, multiples of 2^-21 below 0.5: a grid int16 cannot express, so that only a float path
 * gives the same values. */
static void make_float_signal(struct signal *s, const char *name, UINT32 seed)
{
    const float step = 1.0f / (1 << 21);
    UINT32 state = seed, k;

    s->name = name;
    s->ramp_channel = 0;
    s->ramp_step = step;
    for (k = 0; k < SIGNAL_FRAMES; k++)
    {
        s->fpcm[k * CHANNELS] = (k + 1) * step;
        s->fpcm[k * CHANNELS + 1] = random_nonzero(&state, 1 << 20) * step;
    }
    memcpy(s->expect, s->fpcm, sizeof(s->expect));
}

/* Which frame of s a recorded frame claims to be by its ramp; -1 when none. */
static int frame_index(const struct signal *s, const float *frame)
{
    float k = frame[s->ramp_channel] / s->ramp_step - 1.0f;

    if (!(k >= 0 && k < SIGNAL_FRAMES) || k != (float)(int)k) return -1;
    return (int)k;
}

static BOOL is_silence(const float *frame)
{
    return !frame[0] && !frame[1];
}

static BOOL frame_equal(const float *a, const float *b)
{
    return !memcmp(a, b, CHANNELS * sizeof(float));
}

/* ---- The recording ---------------------------------------------------------------------------------- */

/* Where a client's recording begins. The ALSA file plugin truncates its file whenever the PCM is
 * opened, and each client's process opens it anew: there, all of the file is this process's. */
static UINT64 recording_mark(void)
{
    return env.backend == TEST_BACKEND_ALSA ? 0 : recording_frames(recording);
}

/* Whether the last frame of s is in rec, as expected. */
static BOOL has_last_frame(const struct signal *s, const float *rec, UINT32 n)
{
    const float *last = s->expect + (SIGNAL_FRAMES - 1) * CHANNELS;
    UINT32 i;

    for (i = n; i-- > 0;)
        if (frame_equal(rec + i * CHANNELS, last)) return TRUE;
    return FALSE;
}

/* Waits (bounded) until the last frame of s and some silence after it are recorded since mark, then
 * walks the recording with the ramp and checks that every frame of s came once, in order, without a
 * gap, with its expected value, and nothing else around it. */
static void check_recording(const struct signal *s, UINT64 mark)
{
    UINT32 n = 0, i, first, end, reports = 0, expected = 0, gap = 0, repeats = 0, skipped = 0, wrong = 0;
    UINT32 tail_noise = 0;
    DWORD start = GetTickCount(), seen_last = 0;
    float *rec = NULL;

    for (;;)
    {
        free(rec);
        rec = recording_read(recording, mark, 30 * RATE, &n);
        if (rec && has_last_frame(s, rec, n))
        {
            if (!seen_last) seen_last = GetTickCount();
            /* Some of what follows, for the tail: within 300 ms, or as much as came by then. */
            else if (GetTickCount() - seen_last > 300) break;
        }
        if (GetTickCount() - start > RECORD_WAIT) break;
        Sleep(50);
    }
    trace("%s: %u frames recorded since the client began (%.0f ms), in %lu ms\n", s->name, n, n * 1000.0 / RATE,
          GetTickCount() - start);
    if (!rec || !n)
    {
        ok(0, "%s: nothing was recorded in %s since the client began, within %u ms\n", s->name,
           dbgstr_w(recording), RECORD_WAIT);
        free(rec);
        return;
    }

    for (first = 0; first < n && is_silence(rec + first * CHANNELS); first++);
    if (!ok(first < n, "%s: only silence in the %u frames recorded since the client began\n", s->name, n))
    {
        free(rec);
        return;
    }

    /* expected: the index of the signal's next frame. Each recorded frame is that one (good), or
     * silence (a gap, or the end), or another frame of the signal (a repeat or a skip), or else the
     * frame due with a wrong value. */
    for (i = first; i < n && expected < SIGNAL_FRAMES; i++)
    {
        const float *f = rec + i * CHANNELS, *e = s->expect + expected * CHANNELS;
        UINT32 run;
        int k;

        if (frame_equal(f, e))
        {
            expected++;
            continue;
        }
        if (is_silence(f))
        {
            for (run = 0; i + run < n && is_silence(rec + (i + run) * CHANNELS); run++);
            if (i + run == n) break;    /* silence to the end of the recording: the rest never came */
            gap += run;
            if (reports++ < MAX_REPORTS)
                ok(0, "%s: a gap of %u frames (%.1f ms) of silence before frame %u of %u\n", s->name, run,
                   run * 1000.0 / RATE, expected, SIGNAL_FRAMES);
            i += run - 1;
            continue;
        }
        if ((k = frame_index(s, f)) >= 0 && frame_equal(f, s->expect + k * CHANNELS))
        {
            if ((UINT32)k < expected) repeats++;
            else skipped += k - expected;
            if (reports++ < MAX_REPORTS)
                ok(0, "%s: frame %d came where frame %u was due: %s\n", s->name, k, expected,
                   (UINT32)k < expected ? "a repeat" : "frames skipped");
            expected = k + 1;
            continue;
        }
        wrong++;
        if (reports++ < MAX_REPORTS)
            ok(0, "%s: frame %u is (%.9g, %.9g), expected (%.9g, %.9g): ratio %.9g, %.9g\n", s->name, expected,
               f[0], f[1], e[0], e[1], f[0] / e[0], f[1] / e[1]);
        expected++;
    }
    end = i;

    ok(expected == SIGNAL_FRAMES, "%s: the recording ends at frame %u of %u (%u frames recorded since the client "
       "began, the first sound after %u)\n", s->name, expected, SIGNAL_FRAMES, n, first);
    ok(!gap && !repeats && !skipped && !wrong, "%s: not played exactly: %u frames of gap, %u repeated, %u skipped, "
       "%u with a wrong value\n", s->name, gap, repeats, skipped, wrong);
    if (expected == SIGNAL_FRAMES)
    {
        /* After the last frame: silence, no stale data (as far as it was recorded). */
        for (i = end; i < n && i < end + TAIL_FRAMES; i++)
            if (!is_silence(rec + i * CHANNELS)) tail_noise++;
        ok(!tail_noise, "%s: %u of the %u frames recorded after the signal are not silence\n", s->name, tail_noise,
           min(n - end, TAIL_FRAMES));
        trace("%s: all %u frames; first sound %u frames (%.1f ms) after the client began; %u frames of tail "
              "recorded\n", s->name, SIGNAL_FRAMES, first, first * 1000.0 / RATE, min(n - end, TAIL_FRAMES));
    }
    free(rec);
}

/* With pulse, until the harness's recorder writes (bounded), so that the first client is recorded
 * from its start. */
static void wait_for_recorder(void)
{
    DWORD start = GetTickCount();
    UINT64 before = recording_frames(recording), now;

    if (env.backend != TEST_BACKEND_PULSE && env.backend != TEST_BACKEND_PIPEWIRE) return;
    for (;;)
    {
        Sleep(100);
        now = recording_frames(recording);
        if (now - before >= RATE / 20) break;   /* at least half of the 100 ms came */
        if (GetTickCount() - start > 10000)
        {
            ok(0, "the harness's recording did not grow within %lu ms\n", GetTickCount() - start);
            break;
        }
        before = now;
    }
    trace("the recorder runs after %lu ms\n", GetTickCount() - start);
}

/* After a client played: check the recording (pulse, alsa), or give a client that has no recording
 * to be compared with time to be heard before it is closed. */
static void finish_playing(const struct signal *s, UINT64 mark, BOOL played)
{
    if (!played) return;
    if (compare_samples) check_recording(s, mark);
    else Sleep(200);
}

/* ---- The default endpoint, as our module describes it ---------------------------------------------- */

static void read_default_endpoint(void)
{
    IMMDeviceEnumerator *mme;
    IPropertyStore *props;
    IMMDevice *dev = NULL;
    PROPVARIANT pv;
    HRESULT hr;

    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator,
                          (void **)&mme);
    ok(hr == S_OK, "CoCreateInstance(MMDeviceEnumerator): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) return;
    hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, &dev);
    if (env.backend == TEST_BACKEND_NONE)
        ok(hr == E_NOTFOUND, "GetDefaultAudioEndpoint(eRender) without a backend: got %08lx, expected "
           "E_NOTFOUND\n", hr);
    else if (env.backend != TEST_BACKEND_UNSET)
        ok(hr == S_OK, "GetDefaultAudioEndpoint(eRender): got %08lx, expected S_OK\n", hr);
    have_endpoint = hr == S_OK;
    if (hr == S_OK)
    {
        hr = IMMDevice_OpenPropertyStore(dev, STGM_READ, &props);
        ok(hr == S_OK, "OpenPropertyStore: got %08lx, expected S_OK\n", hr);
        if (hr == S_OK)
        {
            PropVariantInit(&pv);
            hr = IPropertyStore_GetValue(props, PKEY_OF(DEVPKEY_Device_FriendlyName), &pv);
            if (ok(hr == S_OK && pv.vt == VT_LPWSTR, "PKEY_Device_FriendlyName: got %08lx, type %u\n", hr, pv.vt))
                lstrcpynW(friendly_name, pv.pwszVal, ARRAY_SIZE(friendly_name));
            PropVariantClear(&pv);
            hr = IPropertyStore_GetValue(props, &PKEY_AudioEndpoint_GUID, &pv);
            if (ok(hr == S_OK && pv.vt == VT_LPWSTR, "PKEY_AudioEndpoint_GUID: got %08lx, type %u\n", hr, pv.vt))
                ok(CLSIDFromString(pv.pwszVal, &endpoint_guid) == S_OK, "PKEY_AudioEndpoint_GUID %s is no GUID\n",
                   dbgstr_w(pv.pwszVal));
            PropVariantClear(&pv);
            IPropertyStore_Release(props);
        }
        IMMDevice_Release(dev);
    }
    IMMDeviceEnumerator_Release(mme);

    if (child_name) return;
    if (env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_ALSA || env.backend == TEST_BACKEND_PIPEWIRE)
        ok(wcsstr(friendly_name, env.render_name) != NULL, "default endpoint's friendly name %s does not hold "
           "MMDEVAPI_TEST_RENDER_NAME %s\n", dbgstr_w(friendly_name), dbgstr_w(env.render_name));
    trace("default render endpoint: %s\n", have_endpoint ? dbgstr_w(friendly_name) : "none");
}

/* ---- dsound ------------------------------------------------------------------------------------------- */

struct ds_enum
{
    unsigned int devices;           /* entries with a GUID (the first, "Primary Sound Driver", has none) */
    BOOL found;                     /* the default endpoint's GUID, with its friendly name */
    WCHAR description[256];         /* the description listed with the default endpoint's GUID */
};

static BOOL CALLBACK ds_enum_callback(GUID *guid, const WCHAR *description, const WCHAR *module, void *context)
{
    struct ds_enum *ctx = context;

    trace("DirectSoundEnumerate: %s %s, module %s\n", guid ? "device" : "primary", dbgstr_w(description),
          dbgstr_w(module));
    if (!guid) return TRUE;
    ctx->devices++;
    if (IsEqualGUID(guid, &endpoint_guid))
    {
        ctx->found = TRUE;
        lstrcpynW(ctx->description, description, ARRAY_SIZE(ctx->description));
    }
    return TRUE;
}

static void test_dsound_enumerate(void)
{
    struct ds_enum ctx = {0};
    GUID guid;
    HRESULT hr;

    hr = DirectSoundEnumerateW(ds_enum_callback, &ctx);
    ok(hr == DS_OK, "DirectSoundEnumerateW: got %08lx, expected DS_OK\n", hr);
    if (!have_endpoint)
    {
        ok(!ctx.devices, "DirectSoundEnumerateW without an endpoint listed %u devices, expected none\n",
           ctx.devices);
        return;
    }
    /* dsound names the default playback device by the endpoint's PKEY_AudioEndpoint_GUID. */
    hr = GetDeviceID(&DSDEVID_DefaultPlayback, &guid);
    ok(hr == DS_OK && IsEqualGUID(&guid, &endpoint_guid), "GetDeviceID(DSDEVID_DefaultPlayback): got %08lx, "
       "expected DS_OK and the endpoint's PKEY_AudioEndpoint_GUID\n", hr);
    if (!ok(ctx.found, "DirectSoundEnumerateW did not list the default endpoint (%u devices listed)\n", ctx.devices))
        return;
    ok(!wcscmp(ctx.description, friendly_name), "dsound's description %s, expected the endpoint's friendly name %s\n",
       dbgstr_w(ctx.description), dbgstr_w(friendly_name));
    if (env.backend != TEST_BACKEND_UNSET)
        ok(wcsstr(ctx.description, env.render_name) != NULL, "dsound's description %s does not hold %s\n",
           dbgstr_w(ctx.description), dbgstr_w(env.render_name));
}

static void test_dsound(void)
{
    static struct signal s;
    DSBUFFERDESC desc = {.dwSize = sizeof(desc)};
    IDirectSoundBuffer *buffer = NULL;
    WAVEFORMATEX wfx = {WAVE_FORMAT_PCM, CHANNELS, RATE, RATE * CHANNELS * 2, CHANNELS * 2, 16, 0};
    IDirectSound8 *ds = NULL;
    DWORD size1, size2, status = 0, begin, limit;
    void *ptr1, *ptr2;
    BOOL played = FALSE;
    UINT64 mark;
    HRESULT hr;

    make_int16_signal(&s, "dsound", 0xd5000001, 1, -1);
    test_dsound_enumerate();

    hr = DirectSoundCreate8(NULL, &ds, NULL);
    if (!have_endpoint)
    {
        /* Windows without a sound card: DSERR_NODRIVER. Wine's dsound turns GetDeviceID's failure to
         * find the default device into DSERR_INVALIDPARAM. */
        ok(hr == DSERR_NODRIVER || hr == DSERR_INVALIDPARAM || hr == DS_OK, "DirectSoundCreate8 without an "
           "endpoint: got %08lx, expected DSERR_NODRIVER or DSERR_INVALIDPARAM (or DS_OK)\n", hr);
        trace("DirectSoundCreate8 without an endpoint: %08lx\n", hr);
    }
    else ok(hr == DS_OK, "DirectSoundCreate8(NULL): got %08lx, expected DS_OK\n", hr);
    if (hr != DS_OK) return;

    hr = IDirectSound8_SetCooperativeLevel(ds, GetDesktopWindow(), DSSCL_PRIORITY);
    ok(hr == DS_OK, "SetCooperativeLevel(DSSCL_PRIORITY): got %08lx, expected DS_OK\n", hr);

    desc.dwFlags = DSBCAPS_GETCURRENTPOSITION2 | DSBCAPS_GLOBALFOCUS;
    desc.dwBufferBytes = sizeof(s.pcm);
    desc.lpwfxFormat = &wfx;
    hr = IDirectSound8_CreateSoundBuffer(ds, &desc, &buffer, NULL);
    ok(hr == DS_OK, "CreateSoundBuffer(48 kHz int16 stereo, %lu bytes): got %08lx, expected DS_OK\n",
       desc.dwBufferBytes, hr);
    if (hr != DS_OK) goto done;

    hr = IDirectSoundBuffer_Lock(buffer, 0, 0, &ptr1, &size1, &ptr2, &size2, DSBLOCK_ENTIREBUFFER);
    ok(hr == DS_OK && size1 == sizeof(s.pcm) && !size2, "Lock(DSBLOCK_ENTIREBUFFER): got %08lx, %lu + %lu bytes\n",
       hr, size1, size2);
    if (hr != DS_OK) goto done;
    memcpy(ptr1, s.pcm, min(size1, sizeof(s.pcm)));
    hr = IDirectSoundBuffer_Unlock(buffer, ptr1, size1, ptr2, size2);
    ok(hr == DS_OK, "Unlock: got %08lx, expected DS_OK\n", hr);

    mark = compare_samples ? recording_mark() : 0;
    hr = IDirectSoundBuffer_Play(buffer, 0, 0, 0);
    ok(hr == DS_OK, "Play(no loop): got %08lx, expected DS_OK\n", hr);
    if (hr != DS_OK) goto done;

    /* A buffer played without DSBPLAY_LOOPING stops by itself at its end. */
    begin = GetTickCount();
    limit = SIGNAL_FRAMES * 1000 / RATE + 3000;
    do
    {
        Sleep(10);
        hr = IDirectSoundBuffer_GetStatus(buffer, &status);
    } while (hr == DS_OK && (status & DSBSTATUS_PLAYING) && GetTickCount() - begin < limit);
    played = ok(hr == DS_OK && !(status & DSBSTATUS_PLAYING), "dsound: the buffer of %u ms still plays after "
                "%lu ms (GetStatus %08lx, status %#lx)\n", SIGNAL_FRAMES * 1000 / RATE, GetTickCount() - begin, hr,
                status);
    trace("dsound: the buffer stopped by itself after %lu ms\n", GetTickCount() - begin);
    hr = IDirectSoundBuffer_Stop(buffer);
    ok(hr == DS_OK, "Stop: got %08lx, expected DS_OK\n", hr);
    /* The device stays open while the recording is read: what dsound mixed ahead is still queued. */
    finish_playing(&s, mark, played);

done:
    if (buffer) IDirectSoundBuffer_Release(buffer);
    IDirectSound8_Release(ds);
}

/* ---- winmm -------------------------------------------------------------------------------------------- */

static void test_waveout_caps(void)
{
    WCHAR expect[MAXPNAMELEN];
    WAVEOUTCAPSW caps;
    UINT count, i, found = 0;
    MMRESULT mr;

    count = waveOutGetNumDevs();
    if (!have_endpoint)
    {
        ok(!count, "waveOutGetNumDevs without an endpoint: got %u, expected 0\n", count);
        return;
    }
    ok(count >= 1, "waveOutGetNumDevs: got %u, expected at least 1\n", count);
    /* szPname is the friendly name, cut to what fits. */
    lstrcpynW(expect, friendly_name, ARRAY_SIZE(expect));
    for (i = 0; i < count; i++)
    {
        mr = waveOutGetDevCapsW(i, &caps, sizeof(caps));
        ok(mr == MMSYSERR_NOERROR, "waveOutGetDevCapsW(%u): got %u, expected MMSYSERR_NOERROR\n", i, mr);
        if (mr != MMSYSERR_NOERROR) continue;
        trace("waveOut device %u: %s, %u channels, formats %#lx\n", i, dbgstr_w(caps.szPname), caps.wChannels,
              caps.dwFormats);
        if (!wcscmp(caps.szPname, expect)) found++;
    }
    ok(found == 1, "%u waveOut devices are named %s (the default endpoint), expected 1\n", found, dbgstr_w(expect));
    if (env.backend != TEST_BACKEND_UNSET)
        ok(wcsstr(expect, env.render_name) != NULL, "waveOut's name %s does not hold %s\n", dbgstr_w(expect),
           dbgstr_w(env.render_name));
    mr = waveOutGetDevCapsW(WAVE_MAPPER, &caps, sizeof(caps));
    ok(mr == MMSYSERR_NOERROR, "waveOutGetDevCapsW(WAVE_MAPPER): got %u, expected MMSYSERR_NOERROR\n", mr);
    if (mr == MMSYSERR_NOERROR) trace("WAVE_MAPPER: %s\n", dbgstr_w(caps.szPname));
}

static void test_winmm(void)
{
    static struct signal s;
    static const UINT32 splits[] = {0, SIGNAL_FRAMES / 4, SIGNAL_FRAMES / 2, SIGNAL_FRAMES};
    WAVEFORMATEX wfx = {WAVE_FORMAT_PCM, CHANNELS, RATE, RATE * CHANNELS * 2, CHANNELS * 2, 16, 0};
    WAVEHDR headers[ARRAY_SIZE(splits) - 1];
    unsigned int i, prepared = 0, written = 0, pending;
    DWORD begin, limit;
    BOOL played = FALSE;
    HANDLE event;
    HWAVEOUT wo;
    MMTIME time;
    MMRESULT mr;
    UINT64 mark;

    make_int16_signal(&s, "winmm", 0x3a000002, 0, 1);
    test_waveout_caps();

    event = CreateEventW(NULL, FALSE, FALSE, NULL);
    mr = waveOutOpen(&wo, WAVE_MAPPER, &wfx, (DWORD_PTR)event, 0, CALLBACK_EVENT);
    if (!have_endpoint)
    {
        ok(mr == MMSYSERR_BADDEVICEID || mr == MMSYSERR_NODRIVER || mr == MMSYSERR_NOERROR, "waveOutOpen"
           "(WAVE_MAPPER) without an endpoint: got %u, expected MMSYSERR_BADDEVICEID or MMSYSERR_NODRIVER\n", mr);
        trace("waveOutOpen(WAVE_MAPPER) without an endpoint: %u\n", mr);
    }
    else ok(mr == MMSYSERR_NOERROR, "waveOutOpen(WAVE_MAPPER, 48 kHz int16 stereo, CALLBACK_EVENT): got %u, "
            "expected MMSYSERR_NOERROR\n", mr);
    if (mr != MMSYSERR_NOERROR)
    {
        CloseHandle(event);
        return;
    }
    /* WOM_OPEN */
    ok(WaitForSingleObject(event, 1000) == WAIT_OBJECT_0, "waveOutOpen did not signal the event\n");

    memset(headers, 0, sizeof(headers));
    for (i = 0; i < ARRAY_SIZE(headers); i++)
    {
        headers[i].lpData = (char *)(s.pcm + splits[i] * CHANNELS);
        headers[i].dwBufferLength = (splits[i + 1] - splits[i]) * CHANNELS * sizeof(short);
        mr = waveOutPrepareHeader(wo, &headers[i], sizeof(headers[i]));
        ok(mr == MMSYSERR_NOERROR, "waveOutPrepareHeader(%u): got %u, expected MMSYSERR_NOERROR\n", i, mr);
        if (mr != MMSYSERR_NOERROR) break;
        prepared++;
    }
    mark = compare_samples ? recording_mark() : 0;
    for (i = 0; i < prepared; i++)
    {
        mr = waveOutWrite(wo, &headers[i], sizeof(headers[i]));
        ok(mr == MMSYSERR_NOERROR, "waveOutWrite(%u): got %u, expected MMSYSERR_NOERROR\n", i, mr);
        if (mr != MMSYSERR_NOERROR) break;
        written++;
    }

    /* Each header comes back WHDR_DONE (WOM_DONE sets the event) once it was played. */
    begin = GetTickCount();
    limit = SIGNAL_FRAMES * 1000 / RATE + 3000;
    for (;;)
    {
        for (i = 0, pending = 0; i < written; i++) if (!(headers[i].dwFlags & WHDR_DONE)) pending++;
        if (!pending || GetTickCount() - begin > limit) break;
        WaitForSingleObject(event, 50);
    }
    played = ok(written == ARRAY_SIZE(headers) && !pending, "winmm: %u of %u headers written, %u not done after "
                "%lu ms\n", written, (unsigned int)ARRAY_SIZE(headers), pending, GetTickCount() - begin);
    trace("winmm: all headers done after %lu ms\n", GetTickCount() - begin);

    /* Once everything was played, the position is the frames written. */
    memset(&time, 0, sizeof(time));
    time.wType = TIME_SAMPLES;
    mr = waveOutGetPosition(wo, &time, sizeof(time));
    ok(mr == MMSYSERR_NOERROR && time.wType == TIME_SAMPLES, "waveOutGetPosition(TIME_SAMPLES): got %u, type %u\n",
       mr, time.wType);
    if (played && mr == MMSYSERR_NOERROR && time.wType == TIME_SAMPLES)
        ok(time.u.sample == SIGNAL_FRAMES, "waveOutGetPosition: got %lu samples, expected the %u written\n",
           time.u.sample, SIGNAL_FRAMES);

    finish_playing(&s, mark, played);

    mr = waveOutReset(wo);
    ok(mr == MMSYSERR_NOERROR, "waveOutReset: got %u, expected MMSYSERR_NOERROR\n", mr);
    for (i = 0; i < prepared; i++)
    {
        mr = waveOutUnprepareHeader(wo, &headers[i], sizeof(headers[i]));
        ok(mr == MMSYSERR_NOERROR, "waveOutUnprepareHeader(%u): got %u, expected MMSYSERR_NOERROR\n", i, mr);
    }
    mr = waveOutClose(wo);
    ok(mr == MMSYSERR_NOERROR, "waveOutClose: got %u, expected MMSYSERR_NOERROR\n", mr);
    CloseHandle(event);
}

/* A rate other than the device's: once every header is done, waveOutGetPosition says exactly what
 * was written, never more (the stream's clock counts no frame the resampler has not delivered). */
static void test_winmm_resampled(void)
{
    static const struct { UINT32 rate; UINT16 bits, channels; UINT32 frames; } cases[] =
    {
        { 22050, 8, 1, 13230 },
        { 44100, 16, 2, 22050 },
        { 11025, 16, 1, 7000 },
    };
    WAVEFORMATEX wfx = {WAVE_FORMAT_PCM};
    WAVEHDR header;
    unsigned int i;
    DWORD begin;
    HANDLE event;
    HWAVEOUT wo;
    MMTIME time;
    MMRESULT mr;
    BYTE *data;

    if (!have_endpoint)
    {
        skip("no endpoint: nothing plays\n");
        return;
    }
    event = CreateEventW(NULL, FALSE, FALSE, NULL);
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        wfx.nChannels = cases[i].channels;
        wfx.nSamplesPerSec = cases[i].rate;
        wfx.wBitsPerSample = cases[i].bits;
        wfx.nBlockAlign = wfx.nChannels * wfx.wBitsPerSample / 8;
        wfx.nAvgBytesPerSec = wfx.nSamplesPerSec * wfx.nBlockAlign;
        mr = waveOutOpen(&wo, WAVE_MAPPER, &wfx, (DWORD_PTR)event, 0, CALLBACK_EVENT);
        ok(mr == MMSYSERR_NOERROR, "waveOutOpen(%lu Hz, %u bits, %u ch): got %u, expected MMSYSERR_NOERROR\n",
           wfx.nSamplesPerSec, wfx.wBitsPerSample, wfx.nChannels, mr);
        if (mr != MMSYSERR_NOERROR) continue;
        WaitForSingleObject(event, 1000);   /* WOM_OPEN */

        data = malloc(cases[i].frames * wfx.nBlockAlign);
        memset(data, wfx.wBitsPerSample == 8 ? 0x80 : 0, cases[i].frames * wfx.nBlockAlign);
        memset(&header, 0, sizeof(header));
        header.lpData = (char *)data;
        header.dwBufferLength = cases[i].frames * wfx.nBlockAlign;
        mr = waveOutPrepareHeader(wo, &header, sizeof(header));
        if (mr == MMSYSERR_NOERROR) mr = waveOutWrite(wo, &header, sizeof(header));
        ok(mr == MMSYSERR_NOERROR, "waveOutPrepareHeader, waveOutWrite: got %u, expected MMSYSERR_NOERROR\n", mr);
        begin = GetTickCount();
        while (mr == MMSYSERR_NOERROR && !(header.dwFlags & WHDR_DONE) && GetTickCount() - begin < 5000)
            WaitForSingleObject(event, 50);
        ok(header.dwFlags & WHDR_DONE, "%lu Hz: the header is not done after 5 s\n", wfx.nSamplesPerSec);

        memset(&time, 0, sizeof(time));
        time.wType = TIME_BYTES;
        mr = waveOutGetPosition(wo, &time, sizeof(time));
        ok(mr == MMSYSERR_NOERROR && time.wType == TIME_BYTES && time.u.cb == header.dwBufferLength,
           "%lu Hz, %u bits, %u ch: waveOutGetPosition(TIME_BYTES) after the buffer played: got %u, type %u, %lu "
           "bytes, expected the %lu written\n", wfx.nSamplesPerSec, wfx.wBitsPerSample, wfx.nChannels, mr,
           time.wType, time.u.cb, header.dwBufferLength);

        waveOutReset(wo);
        waveOutUnprepareHeader(wo, &header, sizeof(header));
        mr = waveOutClose(wo);
        ok(mr == MMSYSERR_NOERROR, "waveOutClose: got %u, expected MMSYSERR_NOERROR\n", mr);
        free(data);
    }
    CloseHandle(event);
}

/* ---- xaudio2 ------------------------------------------------------------------------------------------ */

/* The source voice's callback: OnStreamEnd sets an event; errors are counted. */
struct voice_callback
{
    IXAudio2VoiceCallback IXAudio2VoiceCallback_iface;
    HANDLE stream_end;
    LONG errors;
};

static struct voice_callback *impl_from_IXAudio2VoiceCallback(IXAudio2VoiceCallback *iface)
{
    return CONTAINING_RECORD(iface, struct voice_callback, IXAudio2VoiceCallback_iface);
}

static void WINAPI callback_OnVoiceProcessingPassStart(IXAudio2VoiceCallback *iface, UINT32 bytes) {}
static void WINAPI callback_OnVoiceProcessingPassEnd(IXAudio2VoiceCallback *iface) {}
static void WINAPI callback_OnBufferStart(IXAudio2VoiceCallback *iface, void *context) {}
static void WINAPI callback_OnBufferEnd(IXAudio2VoiceCallback *iface, void *context) {}
static void WINAPI callback_OnLoopEnd(IXAudio2VoiceCallback *iface, void *context) {}

static void WINAPI callback_OnStreamEnd(IXAudio2VoiceCallback *iface)
{
    SetEvent(impl_from_IXAudio2VoiceCallback(iface)->stream_end);
}

static void WINAPI callback_OnVoiceError(IXAudio2VoiceCallback *iface, void *context, HRESULT error)
{
    InterlockedIncrement(&impl_from_IXAudio2VoiceCallback(iface)->errors);
}

static const IXAudio2VoiceCallbackVtbl voice_callback_vtbl =
{
    callback_OnVoiceProcessingPassStart,
    callback_OnVoiceProcessingPassEnd,
    callback_OnStreamEnd,
    callback_OnBufferStart,
    callback_OnBufferEnd,
    callback_OnLoopEnd,
    callback_OnVoiceError,
};

/* Wine's xaudio2 (FAudio inside) mixes in float. A 48 kHz stereo source voice into a 48 kHz stereo
 * mastering voice is not resampled; the default output matrix of stereo to stereo is the identity,
 * and every volume is 1: each output sample is in * 1 + other * 0 added to 0, and the master applies
 * no volume and no limiter by default. So the backend gets the source's floats bit for bit. */
static void test_xaudio2(void)
{
    static struct signal s;
    static const WCHAR *dlls[] = {L"xaudio2_9.dll", L"xaudio2_8.dll"};
    HRESULT (WINAPI *pXAudio2Create)(IXAudio2 **, UINT32, XAUDIO2_PROCESSOR);
    struct voice_callback callback = {.IXAudio2VoiceCallback_iface.lpVtbl = &voice_callback_vtbl};
    WAVEFORMATEX wfx = {WAVE_FORMAT_IEEE_FLOAT, CHANNELS, RATE, RATE * CHANNELS * 4, CHANNELS * 4, 32, 0};
    XAUDIO2_BUFFER buffer = {0};
    XAUDIO2_VOICE_DETAILS details;
    XAUDIO2_VOICE_STATE state;
    IXAudio2MasteringVoice *master = NULL;
    IXAudio2SourceVoice *source = NULL;
    IXAudio2 *xa = NULL;
    HMODULE module = NULL;
    DWORD begin, limit, wait;
    BOOL played = FALSE;
    UINT64 mark;
    unsigned int i;
    HRESULT hr;

    make_float_signal(&s, "xaudio2", 0xa2000003);
    for (i = 0; i < ARRAY_SIZE(dlls) && !module; i++)
        if ((module = LoadLibraryW(dlls[i]))) trace("xaudio2: %s\n", dbgstr_w(dlls[i]));
    if (!module)
    {
        skip("xaudio2: neither xaudio2_9.dll nor xaudio2_8.dll loads\n");
        return;
    }
    pXAudio2Create = (void *)GetProcAddress(module, "XAudio2Create");
    if (!ok(pXAudio2Create != NULL, "xaudio2: no XAudio2Create export\n")) goto done;

    hr = pXAudio2Create(&xa, 0, XAUDIO2_DEFAULT_PROCESSOR);
    ok(hr == S_OK, "XAudio2Create: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    hr = IXAudio2_CreateMasteringVoice(xa, &master, XAUDIO2_DEFAULT_CHANNELS, XAUDIO2_DEFAULT_SAMPLERATE, 0, NULL,
                                       NULL, AudioCategory_GameEffects);
    if (!have_endpoint)
    {
        ok(FAILED(hr) || hr == S_OK, "CreateMasteringVoice without an endpoint: got %08lx\n", hr);
        trace("CreateMasteringVoice without an endpoint: %08lx\n", hr);
    }
    else ok(hr == S_OK, "CreateMasteringVoice(default device): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    /* The mastering voice takes the endpoint's mix format: 48 kHz stereo here. */
    IXAudio2MasteringVoice_GetVoiceDetails(master, &details);
    trace("xaudio2: mastering voice %u channels at %u Hz\n", details.InputChannels, details.InputSampleRate);
    if (env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_ALSA || env.backend == TEST_BACKEND_PIPEWIRE)
        ok(details.InputChannels == env.render_format.channels && details.InputSampleRate == env.render_format.rate,
           "mastering voice: %u channels at %u Hz, expected the endpoint's %u at %lu Hz\n", details.InputChannels,
           details.InputSampleRate, env.render_format.channels, env.render_format.rate);

    callback.stream_end = CreateEventW(NULL, TRUE, FALSE, NULL);
    hr = IXAudio2_CreateSourceVoice(xa, &source, &wfx, 0, XAUDIO2_DEFAULT_FREQ_RATIO,
                                    &callback.IXAudio2VoiceCallback_iface, NULL, NULL);
    ok(hr == S_OK, "CreateSourceVoice(48 kHz float stereo): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    buffer.Flags = XAUDIO2_END_OF_STREAM;
    buffer.AudioBytes = sizeof(s.fpcm);
    buffer.pAudioData = (const BYTE *)s.fpcm;
    hr = IXAudio2SourceVoice_SubmitSourceBuffer(source, &buffer, NULL);
    ok(hr == S_OK, "SubmitSourceBuffer(XAUDIO2_END_OF_STREAM): got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    mark = compare_samples ? recording_mark() : 0;
    hr = IXAudio2SourceVoice_Start(source, 0, XAUDIO2_COMMIT_NOW);
    ok(hr == S_OK, "Start: got %08lx, expected S_OK\n", hr);
    if (hr != S_OK) goto done;

    begin = GetTickCount();
    limit = SIGNAL_FRAMES * 1000 / RATE + 3000;
    wait = WaitForSingleObject(callback.stream_end, limit);
    ok(wait == WAIT_OBJECT_0, "xaudio2: no OnStreamEnd after %lu ms\n", GetTickCount() - begin);
    trace("xaudio2: OnStreamEnd after %lu ms\n", GetTickCount() - begin);
    IXAudio2SourceVoice_GetState(source, &state, 0);
    ok(!state.BuffersQueued, "xaudio2: %u buffers still queued at the end of the stream\n", state.BuffersQueued);
    /* SamplesPlayed counts from the last end of stream: 0 again here, so it proves nothing. */
    trace("xaudio2: SamplesPlayed %lu at the end of the stream\n", (unsigned long)state.SamplesPlayed);
    ok(!callback.errors, "xaudio2: %ld OnVoiceError\n", callback.errors);
    played = wait == WAIT_OBJECT_0;
    /* The engine stays up while the recording is read: what it mixed is still on its way. */
    finish_playing(&s, mark, played);

done:
    if (source) IXAudio2SourceVoice_DestroyVoice(source);
    if (master) IXAudio2MasteringVoice_DestroyVoice(master);
    if (xa) IXAudio2_Release(xa);
    if (callback.stream_end) CloseHandle(callback.stream_end);
    if (module) FreeLibrary(module);
}

/* ---- Capture: winmm's waveIn and dsound's IDirectSoundCapture record the harness's feed ---------------- */

#define FEED_SIGNAL_MS 500
#define FEED_CAPTURE_MS 2000

/* The feed's endpoint for a capture client, or FALSE (skipped) where the harness has none. */
static BOOL capture_setup(struct feed *feed, WAVEFORMATEX *wfx)
{
    if (!feed_find(feed))
    {
        skip("no capture feed here: nothing to record\n");
        return FALSE;
    }
    /* int16 at the feed's rate and channels: the engine converts the float mix exactly. */
    wfx->wFormatTag = WAVE_FORMAT_PCM;
    wfx->nChannels = feed->format.channels;
    wfx->nSamplesPerSec = feed->format.rate;
    wfx->wBitsPerSample = 16;
    wfx->nBlockAlign = wfx->nChannels * 2;
    wfx->nAvgBytesPerSec = wfx->nSamplesPerSec * wfx->nBlockAlign;
    wfx->cbSize = 0;
    return TRUE;
}

static void test_wavein(void)
{
    enum { HEADERS = 20 };
    UINT32 header_bytes, frames = 0, i, id, count = waveInGetNumDevs();
    WAVEHDR headers[HEADERS];
    WAVEINCAPSW caps;
    struct feed feed;
    WAVEFORMATEX wfx;
    BYTE *memory, *captured;
    HANDLE event;
    HWAVEIN wi;
    MMRESULT mr;
    DWORD begin;

    if (!capture_setup(&feed, &wfx)) return;
    for (id = 0; id < count; id++)
        if (!waveInGetDevCapsW(id, &caps, sizeof(caps)) && wcsstr(caps.szPname, feed.name)) break;
    if (!ok(id < count, "no waveIn device named after %s among %u\n", dbgstr_w(feed.name), count)) return;

    event = CreateEventW(NULL, FALSE, FALSE, NULL);
    mr = waveInOpen(&wi, id, &wfx, (DWORD_PTR)event, 0, CALLBACK_EVENT);
    if (!ok(mr == MMSYSERR_NOERROR, "waveInOpen(%u, %lu Hz int16 %u ch): got %u\n", id, wfx.nSamplesPerSec,
            wfx.nChannels, mr))
    {
        CloseHandle(event);
        return;
    }
    /* Headers of 100 ms, enough for the whole capture. */
    header_bytes = wfx.nAvgBytesPerSec / 10;
    memory = calloc(HEADERS, header_bytes);
    captured = calloc(HEADERS, header_bytes);
    memset(headers, 0, sizeof(headers));
    for (i = 0; i < HEADERS; i++)
    {
        headers[i].lpData = (char *)memory + (size_t)i * header_bytes;
        headers[i].dwBufferLength = header_bytes;
        mr = waveInPrepareHeader(wi, &headers[i], sizeof(headers[i]));
        if (!mr) mr = waveInAddBuffer(wi, &headers[i], sizeof(headers[i]));
        ok(mr == MMSYSERR_NOERROR, "waveInPrepareHeader/AddBuffer(%u): got %u\n", i, mr);
    }
    mr = waveInStart(wi);
    ok(mr == MMSYSERR_NOERROR, "waveInStart: got %u\n", mr);
    Sleep(100);
    feed_write(&feed, wfx.nSamplesPerSec * FEED_SIGNAL_MS / 1000);
    /* Until the signal and more must have come; a feed that gives only what was written (a pipe
     * source) fills no header after it, and waveInReset returns the one begun. */
    for (begin = GetTickCount(); GetTickCount() - begin < FEED_CAPTURE_MS; WaitForSingleObject(event, 50))
        if (headers[HEADERS - 1].dwFlags & WHDR_DONE) break;
    ok(headers[FEED_SIGNAL_MS / 100 - 1].dwFlags & WHDR_DONE, "waveIn: header %u is not done after %u ms\n",
       FEED_SIGNAL_MS / 100 - 1, FEED_CAPTURE_MS);
    mr = waveInReset(wi);
    ok(mr == MMSYSERR_NOERROR, "waveInReset: got %u\n", mr);
    /* The headers come back in order: together they are what was recorded. */
    for (i = 0; i < HEADERS && (headers[i].dwFlags & WHDR_DONE); i++)
    {
        memcpy(captured + (size_t)frames * wfx.nBlockAlign, headers[i].lpData, headers[i].dwBytesRecorded);
        frames += headers[i].dwBytesRecorded / wfx.nBlockAlign;
    }
    feed_compare("waveIn", captured, frames, wfx.nSamplesPerSec * FEED_SIGNAL_MS / 1000, wfx.nChannels, FALSE, 1.0f);
    for (i = 0; i < HEADERS; i++) waveInUnprepareHeader(wi, &headers[i], sizeof(headers[i]));
    mr = waveInClose(wi);
    ok(mr == MMSYSERR_NOERROR, "waveInClose: got %u\n", mr);
    free(memory);
    free(captured);
    CloseHandle(event);
}

struct capture_device
{
    const WCHAR *name;
    GUID guid;
    BOOL found;
};

static BOOL CALLBACK dsc_enum_callback(GUID *guid, const WCHAR *description, const WCHAR *module, void *context)
{
    struct capture_device *device = context;

    if (!guid || !wcsstr(description, device->name)) return TRUE;
    device->guid = *guid;
    device->found = TRUE;
    return FALSE;
}

static void test_dsound_capture(void)
{
    IDirectSoundCaptureBuffer *buffer = NULL;
    UINT32 frames = 0, buffer_bytes, signal_frames;
    struct capture_device device = {0};
    DWORD begin, read = 0, capture_pos, read_pos, size1, size2;
    IDirectSoundCapture *dsc = NULL;
    DSCBUFFERDESC desc;
    struct feed feed;
    WAVEFORMATEX wfx;
    void *ptr1, *ptr2;
    BYTE *captured;
    HRESULT hr;

    if (!capture_setup(&feed, &wfx)) return;
    device.name = feed.name;
    hr = DirectSoundCaptureEnumerateW(dsc_enum_callback, &device);
    ok(hr == DS_OK && device.found, "DirectSoundCaptureEnumerate: got %08lx, %s found: %d\n", hr,
       dbgstr_w(feed.name), device.found);
    if (!device.found) return;
    hr = DirectSoundCaptureCreate8(&device.guid, &dsc, NULL);
    if (!ok(hr == DS_OK, "DirectSoundCaptureCreate8: got %08lx\n", hr)) return;

    /* A looping buffer of 1 s, read as it fills. */
    buffer_bytes = wfx.nAvgBytesPerSec;
    memset(&desc, 0, sizeof(desc));
    desc.dwSize = sizeof(desc);
    desc.dwBufferBytes = buffer_bytes;
    desc.lpwfxFormat = &wfx;
    hr = IDirectSoundCapture_CreateCaptureBuffer(dsc, &desc, &buffer, NULL);
    if (!ok(hr == DS_OK, "CreateCaptureBuffer(%lu Hz int16 %u ch): got %08lx\n", wfx.nSamplesPerSec, wfx.nChannels, hr))
        goto done;
    signal_frames = wfx.nSamplesPerSec * FEED_SIGNAL_MS / 1000;
    captured = calloc((size_t)wfx.nSamplesPerSec * FEED_CAPTURE_MS / 1000 + wfx.nSamplesPerSec, wfx.nBlockAlign);
    hr = IDirectSoundCaptureBuffer_Start(buffer, DSCBSTART_LOOPING);
    ok(hr == DS_OK, "Start(DSCBSTART_LOOPING): got %08lx\n", hr);
    Sleep(100);
    feed_write(&feed, signal_frames);
    for (begin = GetTickCount(); GetTickCount() - begin < FEED_CAPTURE_MS; Sleep(20))
    {
        DWORD bytes;

        hr = IDirectSoundCaptureBuffer_GetCurrentPosition(buffer, &capture_pos, &read_pos);
        if (!ok(hr == DS_OK, "GetCurrentPosition: got %08lx\n", hr)) break;
        bytes = (read_pos + buffer_bytes - read) % buffer_bytes;
        if (!bytes) continue;
        hr = IDirectSoundCaptureBuffer_Lock(buffer, read, bytes, &ptr1, &size1, &ptr2, &size2, 0);
        if (!ok(hr == DS_OK, "Lock(%lu, %lu): got %08lx\n", read, bytes, hr)) break;
        memcpy(captured + (size_t)frames * wfx.nBlockAlign, ptr1, size1);
        if (ptr2) memcpy(captured + (size_t)frames * wfx.nBlockAlign + size1, ptr2, size2);
        frames += (size1 + size2) / wfx.nBlockAlign;
        IDirectSoundCaptureBuffer_Unlock(buffer, ptr1, size1, ptr2, size2);
        read = (read + bytes) % buffer_bytes;
    }
    hr = IDirectSoundCaptureBuffer_Stop(buffer);
    ok(hr == DS_OK, "Stop: got %08lx\n", hr);
    feed_compare("dsound capture", captured, frames, signal_frames, wfx.nChannels, FALSE, 1.0f);
    free(captured);
done:
    if (buffer) IDirectSoundCaptureBuffer_Release(buffer);
    IDirectSoundCapture_Release(dsc);
}

/* ---- Main --------------------------------------------------------------------------------------------- */

static const struct
{
    const char *name;
    void (*test)(void);
}
clients[] =
{
    {"dsound", test_dsound},
    {"winmm", test_winmm},
    {"winmm-resampled", test_winmm_resampled},
    {"xaudio2", test_xaudio2},
    {"wavein", test_wavein},
    {"dsound-capture", test_dsound_capture},
};

/* A crash in a client ends its process at once, with the exception's code, instead of waiting for a
 * debugger. */
static LONG WINAPI crash_filter(EXCEPTION_POINTERS *info)
{
    const EXCEPTION_RECORD *rec = info->ExceptionRecord;

    printf("%s: exception %08lx at %p\n", child_name, rec->ExceptionCode, rec->ExceptionAddress);
    fflush(stdout);
    TerminateProcess(GetCurrentProcess(), rec->ExceptionCode);
    return EXCEPTION_EXECUTE_HANDLER;
}

/* Runs one client in its own process, so that a client that crashes or hangs is a failure of its
 * own and the next one still runs. */
static void run_client(unsigned int index)
{
    /* Wine 8's xaudio2 does not check CreateMasteringVoice's failure to find a default endpoint (it
     * comes from FAudio, which goes on with the NULL IMMDevice): a page fault, with Wine's own
     * mmdevapi as with ours. Windows returns an error. */
    BOOL known_crash = !have_endpoint && !strcmp(clients[index].name, "xaudio2");
    STARTUPINFOA si = {.cb = sizeof(si)};
    char exe[MAX_PATH], cmd[MAX_PATH + 32];
    PROCESS_INFORMATION pi;
    DWORD code = 0, wait;

    GetModuleFileNameA(NULL, exe, sizeof(exe));
    snprintf(cmd, sizeof(cmd), "\"%s\" --child %s", exe, clients[index].name);
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    trace("---- %s\n", clients[index].name);
    if (!ok(CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi), "CreateProcess(%s): error %lu\n",
            cmd, GetLastError()))
        return;
    wait = WaitForSingleObject(pi.hProcess, CLIENT_WAIT);
    if (!ok(wait == WAIT_OBJECT_0, "%s: still running after %u ms: a hang\n", clients[index].name, CLIENT_WAIT))
    {
        TerminateProcess(pi.hProcess, 1);
        WaitForSingleObject(pi.hProcess, 5000);
    }
    else
    {
        GetExitCodeProcess(pi.hProcess, &code);
        if (code > 1 || known_crash)
            todo_ok_if(known_crash, code <= 1, "%s: the process ended by exception %08lx\n", clients[index].name, code);
        else ok(!code, "%s: failures (above)\n", clients[index].name);
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
}

static BOOL setup(void)
{
    if (!test_read_env(&env)) return FALSE;
    compare_samples = env.backend == TEST_BACKEND_PULSE || env.backend == TEST_BACKEND_ALSA
                      || env.backend == TEST_BACKEND_PIPEWIRE;
    if (compare_samples && !ok(recording_find(&env, recording, ARRAY_SIZE(recording)), "where the harness records is not set (MMDEVAPI_TEST_ALSA_FILE, "
                               "MMDEVAPI_TEST_PULSE_RECORDING)\n"))
        return FALSE;
    read_default_endpoint();
    return !compare_samples || have_endpoint;
}

/* "clients" runs every client, each in a child process ("clients --child NAME"); "clients NAME..." runs
 * the clients named. */
int main(int argc, char **argv)
{
    unsigned int i;
    int arg;
    HRESULT hr;

    hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    ok(hr == S_OK, "CoInitializeEx(MTA): got %08lx\n", hr);

    if (argc == 3 && !strcmp(argv[1], "--child"))
    {
        child_name = argv[2];
        SetUnhandledExceptionFilter(crash_filter);
        for (i = 0; i < ARRAY_SIZE(clients) && strcmp(clients[i].name, child_name); i++);
        if (ok(i < ARRAY_SIZE(clients), "no client %s\n", child_name) && setup()) clients[i].test();
        CoUninitialize();
        return test_summary();
    }

    if (setup())
    {
        if (compare_samples)
        {
            trace("recording: %s\n", dbgstr_w(recording));
            wait_for_recorder();
        }
        else skip("%s: nothing records what is played, the samples are not compared\n",
                  env.backend == TEST_BACKEND_NONE ? "no backend" : "MMDEVAPI_TEST_BACKEND unset");
        for (i = 0; i < ARRAY_SIZE(clients); i++)
        {
            for (arg = 1; arg < argc && strcmp(argv[arg], clients[i].name); arg++);
            if (argc == 1 || arg < argc) run_client(i);
        }
    }
    CoUninitialize();
    return test_summary();
}
