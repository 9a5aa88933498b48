/* IAudioClient, IAudioClient2 and IAudioClient3 in shared mode: a stream's state machine and its
 * formats. The frames themselves never pass here: render.c writes them into the ring the engine
 * reads. */
#include "private.h"
#include <wingdi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include <audiopolicy.h>

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

#define REFTIMES_PER_SEC 10000000

static const DWORD valid_stream_flags = AUDCLNT_STREAMFLAGS_CROSSPROCESS | AUDCLNT_STREAMFLAGS_LOOPBACK
    | AUDCLNT_STREAMFLAGS_EVENTCALLBACK | AUDCLNT_STREAMFLAGS_NOPERSIST | AUDCLNT_STREAMFLAGS_RATEADJUST
    | AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY | AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM
    | AUDCLNT_SESSIONFLAGS_EXPIREWHENUNOWNED | AUDCLNT_SESSIONFLAGS_DISPLAY_HIDE
    | AUDCLNT_SESSIONFLAGS_DISPLAY_HIDEWHENEXPIRED;

static inline struct audio_client *impl_from_IAudioClient3(IAudioClient3 *iface)
{
    return CONTAINING_RECORD(iface, struct audio_client, IAudioClient3_iface);
}

static UINT32 popcount(UINT32 mask)
{
    UINT32 count = 0;

    for (; mask; mask &= mask - 1) count++;
    return count;
}

/* The program's format in the terms the engine converts from; FALSE if the engine cannot. */
static BOOL parse_format(const WAVEFORMATEX *wfx, struct endpoint_format *pcm)
{
    const WAVEFORMATEXTENSIBLE *ext = (const WAVEFORMATEXTENSIBLE *)wfx;

    memset(pcm, 0, sizeof(*pcm));
    if (!wfx->nChannels || wfx->nChannels > MMDEVAPI_MAX_CHANNELS || wfx->nSamplesPerSec < 1000
        || wfx->nSamplesPerSec > 768000 || !wfx->wBitsPerSample || wfx->wBitsPerSample % 8
        || wfx->nBlockAlign != wfx->nChannels * wfx->wBitsPerSample / 8)
        return FALSE;
    pcm->rate = wfx->nSamplesPerSec;
    pcm->channels = wfx->nChannels;
    pcm->bits = pcm->valid_bits = wfx->wBitsPerSample;

    switch (wfx->wFormatTag)
    {
    case WAVE_FORMAT_PCM:
        break;
    case WAVE_FORMAT_IEEE_FLOAT:
        pcm->is_float = TRUE;
        break;
    case WAVE_FORMAT_EXTENSIBLE:
        if (wfx->cbSize < sizeof(WAVEFORMATEXTENSIBLE) - sizeof(WAVEFORMATEX)) return FALSE;
        if (IsEqualGUID(&ext->SubFormat, &KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)) pcm->is_float = TRUE;
        else if (!IsEqualGUID(&ext->SubFormat, &KSDATAFORMAT_SUBTYPE_PCM)) return FALSE;
        pcm->valid_bits = ext->Samples.wValidBitsPerSample;
        if (!pcm->valid_bits || pcm->valid_bits > pcm->bits) return FALSE;
        /* A mask that does not name one speaker a channel says nothing: the usual layout applies. */
        if (popcount(ext->dwChannelMask) == wfx->nChannels) pcm->channel_mask = ext->dwChannelMask;
        break;
    default:
        return FALSE;
    }
    if (pcm->is_float) return pcm->bits == 32 && pcm->valid_bits == 32;
    return pcm->bits <= 32;
}

static void mix_format(const struct mmdevice *device, WAVEFORMATEXTENSIBLE *wfx)
{
    memset(wfx, 0, sizeof(*wfx));
    wfx->Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE;
    wfx->Format.nChannels = device->format.channels;
    wfx->Format.nSamplesPerSec = device->format.rate;
    wfx->Format.wBitsPerSample = 32;
    wfx->Format.nBlockAlign = wfx->Format.nChannels * 4;
    wfx->Format.nAvgBytesPerSec = wfx->Format.nBlockAlign * wfx->Format.nSamplesPerSec;
    wfx->Format.cbSize = sizeof(*wfx) - sizeof(wfx->Format);
    wfx->Samples.wValidBitsPerSample = 32;
    wfx->dwChannelMask = device->format.channel_mask;
    wfx->SubFormat = KSDATAFORMAT_SUBTYPE_IEEE_FLOAT;
}

/* Whether the engine converts a format. Shared mode takes every such format, at any rate and channel
 * count, with or without AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM, as Wine's own drivers always have.
 * Windows wants the flag where the rate or the channel count differ from the mix (IsFormatSupported
 * suggests the mix format, Initialize refuses), but programs tested on Wine count on the leniency:
 * PortAudio 19.6's WASAPI host API opens at the program's rate, and gives up on the suggestion
 * (paInvalidSampleRate) and on the refusal (paInvalidDevice). A program written for Windows loses
 * nothing: what it would have converted itself, the engine converts. */
static HRESULT check_format(const WAVEFORMATEX *wfx, struct endpoint_format *pcm)
{
    return parse_format(wfx, pcm) ? S_OK : AUDCLNT_E_UNSUPPORTED_FORMAT;
}

/* Until exclusive mode exists, the endpoint answers as a Windows endpoint on which policy forbids it
 * (the "Allow applications to take exclusive control" box unticked): IsFormatSupported and Initialize
 * both say AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED for a format they understand, so that a program that
 * asks first learns what Initialize would say, and falls back to shared mode. */
static HRESULT exclusive_mode_answer(void)
{
    FIXME("exclusive mode is not implemented yet\n");
    return AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED;
}

static UINT32 frames_of_duration(REFERENCE_TIME duration, UINT32 rate)
{
    return (UINT32)(((UINT64)duration * rate + REFTIMES_PER_SEC - 1) / REFTIMES_PER_SEC);
}

static HRESULT WINAPI client_QueryInterface(IAudioClient3 *iface, REFIID riid, void **out)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);

    TRACE("(%p)->(%s, %p)\n", client, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IAudioClient)
        || IsEqualIID(riid, &IID_IAudioClient2) || IsEqualIID(riid, &IID_IAudioClient3))
        *out = &client->IAudioClient3_iface;
    /* The one service Windows also hands out through QueryInterface. */
    else if (IsEqualIID(riid, &IID_IAudioClockAdjustment))
        *out = &client->IAudioClockAdjustment_iface;
    else return audio_client_query_other(client, riid, out);
    audio_client_addref(client);
    return S_OK;
}

/* What every interface of a stream answers for interfaces not its own. Streams are agile, as on
 * Windows: programs hand them to their audio thread through CoMarshalInterThreadInterfaceInStream
 * (PortAudio does, from its STA to its MTA thread), which must give back a working object. */
HRESULT audio_client_query_other(struct audio_client *client, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IMarshal)) return IUnknown_QueryInterface(client->marshal, riid, out);
    *out = NULL;
    return E_NOINTERFACE;
}

void audio_client_addref(struct audio_client *client)
{
    InterlockedIncrement(&client->ref);
}

/* Clients that follow the default endpoint of their flow, linked through follower_next. */
static SRWLOCK followers_lock = SRWLOCK_INIT;
static struct audio_client *followers;

static void follower_remove(struct audio_client *client)
{
    struct audio_client **link;

    AcquireSRWLockExclusive(&followers_lock);
    for (link = &followers; *link; link = &(*link)->follower_next)
        if (*link == client)
        {
            *link = client->follower_next;
            break;
        }
    ReleaseSRWLockExclusive(&followers_lock);
}

ULONG audio_client_release(struct audio_client *client)
{
    ULONG ref = InterlockedDecrement(&client->ref);
    struct stream_params params;

    if (ref) return ref;
    /* Once out of the list, no change of the default touches it. */
    if (client->follows_default) follower_remove(client);
    session_leave(client);
    if (client->stream)
    {
        params.stream = client->stream;
        wine_unix_call(unix_stream_release, &params);
    }
    if (client->marshal) IUnknown_Release(client->marshal);
    free(client->staging);
    free(client);
    return 0;
}

static ULONG WINAPI client_AddRef(IAudioClient3 *iface)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    ULONG ref = InterlockedIncrement(&client->ref);

    TRACE("(%p) ref %lu\n", client, ref);
    return ref;
}

static ULONG WINAPI client_Release(IAudioClient3 *iface)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    ULONG ref = audio_client_release(client);

    TRACE("(%p) ref %lu\n", client, ref);
    return ref;
}

static BOOL is_initialized(struct audio_client *client)
{
    return ReadAcquire(&client->initialized);
}

/* Everything Initialize and InitializeSharedAudioStream share, with the lock held. */
/* period: the engine period the program asked for, in device frames; 0 for the default. session: the
 * session to join, NULL or GUID_NULL for the process's default one. */
static HRESULT initialize_stream(struct audio_client *client, DWORD flags, UINT32 buffer_frames, UINT32 period,
                                 const struct endpoint_format *pcm, const GUID *session)
{
    struct stream_create_params params = { .format = *pcm, .buffer_frames = buffer_frames, .period_frames = period };
    UINT32 engine_period, min_period;
    HRESULT hr;

    /* A loopback stream is a capture stream of the render endpoint's loopback engine. */
    if (client->process_target)
        hr = device_process_loopback_engine(client->device, client->process_target, client->process_exclude,
                                            &params.engine, &engine_period, &min_period);
    else if (flags & AUDCLNT_STREAMFLAGS_LOOPBACK)
        hr = device_loopback_engine(client->device, &params.engine, &engine_period, &min_period);
    else hr = device_engine(client->device, &params.engine, &engine_period, &min_period);
    if (FAILED(hr)) return hr;
    if (period) engine_period = period;
    client->period_frames = (UINT32)(((UINT64)engine_period * pcm->rate + client->device->format.rate - 1)
                                     / client->device->format.rate);
    /* Room for the engine to take a period while the program writes the next. */
    if (params.buffer_frames < 2 * client->period_frames) params.buffer_frames = 2 * client->period_frames;
    if (flags & AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM) params.flags |= MMDEVAPI_STREAM_AUTOCONVERT;
    if (flags & AUDCLNT_STREAMFLAGS_RATEADJUST) params.flags |= MMDEVAPI_STREAM_RATEADJUST;

    client->frame_bytes = pcm->channels * pcm->bits / 8;
    if (!(client->staging = malloc((size_t)params.buffer_frames * client->frame_bytes))) return E_OUTOFMEMORY;
    if (wine_unix_call(unix_stream_create, &params) || FAILED(params.result))
    {
        free(client->staging);
        client->staging = NULL;
        return FAILED(params.result) ? params.result : E_FAIL;
    }
    client->flags = flags;
    client->pcm = *pcm;
    client->buffer_frames = params.buffer_frames;
    client->stream = params.stream;
    client->shared = params.shared;
    if (client->device->flow == eCapture || (flags & AUDCLNT_STREAMFLAGS_LOOPBACK))
    {
        /* The engine sized the ring in whole packets of a period. */
        client->buffer_frames = params.shared->buffer_frames;
        client->period_frames = params.shared->packet_frames;
        client->packet_count = params.shared->packet_count;
        client->packets_offset = params.shared->packets_offset;
    }
    if (FAILED(hr = session_join(client, session)))
    {
        struct stream_params release = { .stream = params.stream };

        wine_unix_call(unix_stream_release, &release);
        client->stream = 0;
        client->shared = NULL;
        free(client->staging);
        client->staging = NULL;
        return hr;
    }
    WriteRelease(&client->initialized, TRUE);
    return S_OK;
}

static HRESULT WINAPI client_Initialize(IAudioClient3 *iface, AUDCLNT_SHAREMODE mode, DWORD flags,
                                        REFERENCE_TIME duration, REFERENCE_TIME period, const WAVEFORMATEX *wfx,
                                        const GUID *session)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    struct endpoint_format pcm;
    HRESULT hr;

    TRACE("(%p)->(%u, %#lx, %s, %s, %p, %s)\n", client, mode, flags, wine_dbgstr_longlong(duration),
          wine_dbgstr_longlong(period), wfx, debugstr_guid(session));
    if (!wfx) return E_POINTER;
    if (mode != AUDCLNT_SHAREMODE_SHARED && mode != AUDCLNT_SHAREMODE_EXCLUSIVE) return E_INVALIDARG;
    if (flags & ~valid_stream_flags) return E_INVALIDARG;
    if (duration < 0 || period < 0) return E_INVALIDARG;
    /* Process loopback records, whether the program says so (as Microsoft's sample does) or not. */
    if (client->process_target) flags |= AUDCLNT_STREAMFLAGS_LOOPBACK;

    AcquireSRWLockExclusive(&client->lock);
    if (is_initialized(client)) hr = AUDCLNT_E_ALREADY_INITIALIZED;
    else if (mode == AUDCLNT_SHAREMODE_EXCLUSIVE)
    {
        if (SUCCEEDED(hr = check_format(wfx, &pcm))) hr = exclusive_mode_answer();
    }
    /* Loopback records what a render endpoint plays. */
    else if ((flags & AUDCLNT_STREAMFLAGS_LOOPBACK) && client->device->flow != eRender)
        hr = AUDCLNT_E_WRONG_ENDPOINT_TYPE;
    else if (SUCCEEDED(hr = check_format(wfx, &pcm)))
        hr = initialize_stream(client, flags, frames_of_duration(duration, pcm.rate), 0, &pcm, session);
    ReleaseSRWLockExclusive(&client->lock);
    return hr;
}

static HRESULT WINAPI client_GetBufferSize(IAudioClient3 *iface, UINT32 *frames)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);

    TRACE("(%p)->(%p)\n", client, frames);
    if (!frames) return E_POINTER;
    if (!is_initialized(client)) return AUDCLNT_E_NOT_INITIALIZED;
    *frames = client->buffer_frames;
    return S_OK;
}

static HRESULT WINAPI client_GetStreamLatency(IAudioClient3 *iface, REFERENCE_TIME *latency)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);

    TRACE("(%p)->(%p)\n", client, latency);
    if (!latency) return E_POINTER;
    if (!is_initialized(client)) return AUDCLNT_E_NOT_INITIALIZED;
    /* A period mixed ahead and a period queued at the device. */
    *latency = 2 * (REFERENCE_TIME)client->period_frames * REFTIMES_PER_SEC / client->pcm.rate;
    return S_OK;
}

static HRESULT WINAPI client_GetCurrentPadding(IAudioClient3 *iface, UINT32 *padding)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);

    TRACE("(%p)->(%p)\n", client, padding);
    if (!padding) return E_POINTER;
    if (!is_initialized(client)) return AUDCLNT_E_NOT_INITIALIZED;
    if (ring_invalidated(client->shared)) return AUDCLNT_E_DEVICE_INVALIDATED;
    *padding = ring_padding(client->shared);
    return S_OK;
}

static HRESULT WINAPI client_IsFormatSupported(IAudioClient3 *iface, AUDCLNT_SHAREMODE mode, const WAVEFORMATEX *wfx,
                                               WAVEFORMATEX **closest)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    struct endpoint_format pcm;
    HRESULT hr;

    TRACE("(%p)->(%u, %p, %p)\n", client, mode, wfx, closest);
    if (!wfx || (mode == AUDCLNT_SHAREMODE_SHARED && !closest)) return E_POINTER;
    if (closest) *closest = NULL;
    if (mode != AUDCLNT_SHAREMODE_SHARED && mode != AUDCLNT_SHAREMODE_EXCLUSIVE) return E_INVALIDARG;
    if (FAILED(hr = check_format(wfx, &pcm))) return hr;
    return mode == AUDCLNT_SHAREMODE_EXCLUSIVE ? exclusive_mode_answer() : S_OK;
}

static HRESULT WINAPI client_GetMixFormat(IAudioClient3 *iface, WAVEFORMATEX **wfx)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    WAVEFORMATEXTENSIBLE *mix;
    BOOL present;

    TRACE("(%p)->(%p)\n", client, wfx);
    if (!wfx) return E_POINTER;
    /* As Windows: a process loopback client has no mix of its own; the program gives its format. */
    if (client->process_target)
    {
        *wfx = NULL;
        return E_NOTIMPL;
    }
    AcquireSRWLockShared(&devices_lock);
    present = device_present(client->device);
    ReleaseSRWLockShared(&devices_lock);
    if (!present)
    {
        *wfx = NULL;
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    if (!(mix = CoTaskMemAlloc(sizeof(*mix))))
    {
        *wfx = NULL;
        return E_OUTOFMEMORY;
    }
    mix_format(client->device, mix);
    *wfx = &mix->Format;
    return S_OK;
}

static HRESULT WINAPI client_GetDevicePeriod(IAudioClient3 *iface, REFERENCE_TIME *default_period,
                                             REFERENCE_TIME *min_period)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    UINT32 period, min_frames;
    UINT64 engine;
    HRESULT hr;

    TRACE("(%p)->(%p, %p)\n", client, default_period, min_period);
    if (!default_period && !min_period) return E_POINTER;
    if (FAILED(hr = device_engine(client->device, &engine, &period, &min_frames))) return hr;
    if (default_period) *default_period = (REFERENCE_TIME)period * REFTIMES_PER_SEC / client->device->format.rate;
    if (min_period) *min_period = (REFERENCE_TIME)min_frames * REFTIMES_PER_SEC / client->device->format.rate;
    return S_OK;
}

/* The calls that only change where a stream stands: start, stop, reset. */
static HRESULT stream_call(struct audio_client *client, enum mmdevapi_unix_call code)
{
    struct stream_params params = { .stream = client->stream };

    if (wine_unix_call(code, &params)) return E_FAIL;
    return params.result;
}

static HRESULT WINAPI client_Start(IAudioClient3 *iface)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    HRESULT hr;

    TRACE("(%p)\n", client);
    if (!is_initialized(client)) return AUDCLNT_E_NOT_INITIALIZED;
    AcquireSRWLockExclusive(&client->lock);
    if (ring_invalidated(client->shared)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    else if ((client->flags & AUDCLNT_STREAMFLAGS_EVENTCALLBACK) && !client->event) hr = AUDCLNT_E_EVENTHANDLE_NOT_SET;
    else if (client->started) hr = AUDCLNT_E_NOT_STOPPED;
    else if (SUCCEEDED(hr = stream_call(client, unix_stream_start)))
    {
        client->started = TRUE;
        session_stream_started(client, TRUE);
    }
    ReleaseSRWLockExclusive(&client->lock);
    return hr;
}

static HRESULT WINAPI client_Stop(IAudioClient3 *iface)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    HRESULT hr;

    TRACE("(%p)\n", client);
    if (!is_initialized(client)) return AUDCLNT_E_NOT_INITIALIZED;
    AcquireSRWLockExclusive(&client->lock);
    if (!client->started) hr = S_FALSE;
    else if (SUCCEEDED(hr = stream_call(client, unix_stream_stop)))
    {
        client->started = FALSE;
        session_stream_started(client, FALSE);
    }
    ReleaseSRWLockExclusive(&client->lock);
    return hr;
}

static HRESULT WINAPI client_Reset(IAudioClient3 *iface)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    HRESULT hr;

    TRACE("(%p)\n", client);
    if (!is_initialized(client)) return AUDCLNT_E_NOT_INITIALIZED;
    AcquireSRWLockExclusive(&client->lock);
    if (ring_invalidated(client->shared)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    else if (client->started) hr = AUDCLNT_E_NOT_STOPPED;
    else if (ReadAcquire(&client->pending)) hr = AUDCLNT_E_BUFFER_OPERATION_PENDING;
    else hr = stream_call(client, unix_stream_reset);
    ReleaseSRWLockExclusive(&client->lock);
    return hr;
}

static HRESULT WINAPI client_SetEventHandle(IAudioClient3 *iface, HANDLE event)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    struct stream_set_event_params params;
    HANDLE duplicate;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", client, event);
    if (!event) return E_INVALIDARG;
    if (!is_initialized(client)) return AUDCLNT_E_NOT_INITIALIZED;
    if (!(client->flags & AUDCLNT_STREAMFLAGS_EVENTCALLBACK)) return AUDCLNT_E_EVENTHANDLE_NOT_EXPECTED;

    AcquireSRWLockExclusive(&client->lock);
    /* Windows 10 takes one event a stream. */
    if (client->event) hr = E_UNEXPECTED;
    /* Our own handle: the program may close its own while the stream still signals it. */
    else if (!DuplicateHandle(GetCurrentProcess(), event, GetCurrentProcess(), &duplicate, EVENT_MODIFY_STATE,
                              FALSE, 0))
        hr = E_INVALIDARG;
    else
    {
        params.stream = client->stream;
        params.event = (UINT_PTR)duplicate;
        if (wine_unix_call(unix_stream_set_event, &params)) params.result = E_FAIL;
        /* The engine owns the duplicate now; ours only says that an event is set. */
        if (SUCCEEDED(hr = params.result)) client->event = duplicate;
        else CloseHandle(duplicate);
    }
    ReleaseSRWLockExclusive(&client->lock);
    return hr;
}

static HRESULT WINAPI client_GetService(IAudioClient3 *iface, REFIID riid, void **out)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);

    TRACE("(%p)->(%s, %p)\n", client, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    *out = NULL;
    if (!is_initialized(client)) return AUDCLNT_E_NOT_INITIALIZED;

    if (IsEqualIID(riid, &IID_IAudioRenderClient))
    {
        if (client->device->flow != eRender || (client->flags & AUDCLNT_STREAMFLAGS_LOOPBACK))
            return AUDCLNT_E_WRONG_ENDPOINT_TYPE;
        *out = &client->IAudioRenderClient_iface;
    }
    else if (IsEqualIID(riid, &IID_IAudioCaptureClient))
    {
        if (client->device->flow != eCapture && !(client->flags & AUDCLNT_STREAMFLAGS_LOOPBACK))
            return AUDCLNT_E_WRONG_ENDPOINT_TYPE;
        *out = &client->IAudioCaptureClient_iface;
    }
    else if (IsEqualIID(riid, &IID_IAudioClock))
        *out = &client->IAudioClock_iface;
    else if (IsEqualIID(riid, &IID_IAudioClockAdjustment))
    {
        if (!(client->flags & AUDCLNT_STREAMFLAGS_RATEADJUST)) return E_INVALIDARG;
        *out = &client->IAudioClockAdjustment_iface;
    }
    else if (IsEqualIID(riid, &IID_IAudioStreamVolume))
        *out = &client->IAudioStreamVolume_iface;
    else if (IsEqualIID(riid, &IID_IAudioSessionControl) || IsEqualIID(riid, &IID_ISimpleAudioVolume)
             || IsEqualIID(riid, &IID_IChannelAudioVolume))
        return session_get_service(client, riid, out);
    else
    {
        FIXME("service %s not implemented yet\n", debugstr_guid(riid));
        return E_NOINTERFACE;
    }
    audio_client_addref(client);
    return S_OK;
}

static HRESULT WINAPI client_IsOffloadCapable(IAudioClient3 *iface, AUDIO_STREAM_CATEGORY category, BOOL *capable)
{
    TRACE("(%p)->(%u, %p)\n", iface, category, capable);
    if (!capable) return E_INVALIDARG;
    *capable = FALSE;    /* there is no hardware offload under Wine */
    return S_OK;
}

static HRESULT WINAPI client_SetClientProperties(IAudioClient3 *iface, const AudioClientProperties *props)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);

    TRACE("(%p)->(%p)\n", client, props);
    if (!props) return E_POINTER;
    if (props->cbSize != sizeof(*props) && props->cbSize != offsetof(AudioClientProperties, Options))
        return E_INVALIDARG;
    if (is_initialized(client)) return AUDCLNT_E_ALREADY_INITIALIZED;
    if (props->bIsOffload) return AUDCLNT_E_ENDPOINT_OFFLOAD_NOT_CAPABLE;
    TRACE("category %u, options %#x\n", props->eCategory,
          props->cbSize == sizeof(*props) ? (unsigned int)props->Options : 0);
    return S_OK;
}

static HRESULT WINAPI client_GetBufferSizeLimits(IAudioClient3 *iface, const WAVEFORMATEX *wfx, BOOL event_driven,
                                                 REFERENCE_TIME *min_duration, REFERENCE_TIME *max_duration)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);

    TRACE("(%p)->(%p, %d, %p, %p)\n", client, wfx, event_driven, min_duration, max_duration);
    if (!wfx || !min_duration || !max_duration) return E_POINTER;
    /* Windows answers only for streams offloaded to hardware, which do not exist here. */
    return AUDCLNT_E_OFFLOAD_MODE_ONLY;
}

/* The step between the engine's periods: both its smallest and its default period are whole
 * multiples of it (32 frames at 48 kHz, from 128 to 480). */
static UINT32 fundamental_period(UINT32 default_period, UINT32 min_period)
{
    UINT32 rest;

    while (min_period)
    {
        rest = default_period % min_period;
        default_period = min_period;
        min_period = rest;
    }
    return default_period;
}

static HRESULT WINAPI client_GetSharedModeEnginePeriod(IAudioClient3 *iface, const WAVEFORMATEX *wfx,
                                                       UINT32 *default_period, UINT32 *fundamental,
                                                       UINT32 *min_period, UINT32 *max_period)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    UINT32 period, min_frames;
    struct endpoint_format pcm;
    UINT64 engine;
    HRESULT hr;

    TRACE("(%p)->(%p, %p, %p, %p, %p)\n", client, wfx, default_period, fundamental, min_period, max_period);
    if (!wfx || !default_period || !fundamental || !min_period || !max_period) return E_POINTER;
    if (FAILED(hr = check_format(wfx, &pcm))) return hr;
    if (FAILED(hr = device_engine(client->device, &engine, &period, &min_frames))) return hr;
    *default_period = *max_period = period;
    *fundamental = fundamental_period(period, min_frames);
    *min_period = min_frames;
    return S_OK;
}

static HRESULT WINAPI client_GetCurrentSharedModeEnginePeriod(IAudioClient3 *iface, WAVEFORMATEX **wfx,
                                                              UINT32 *period)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    struct engine_get_period_params params;
    UINT32 default_period, min_frames;
    WAVEFORMATEXTENSIBLE *mix;
    HRESULT hr;

    TRACE("(%p)->(%p, %p)\n", client, wfx, period);
    if (!wfx || !period) return E_POINTER;
    *wfx = NULL;
    if (FAILED(hr = device_engine(client->device, &params.engine, &default_period, &min_frames))) return hr;
    if (wine_unix_call(unix_engine_get_period, &params) || FAILED(params.result)) return E_FAIL;
    if (!(mix = CoTaskMemAlloc(sizeof(*mix)))) return E_OUTOFMEMORY;
    mix_format(client->device, mix);
    *wfx = &mix->Format;
    *period = params.period_frames;
    return S_OK;
}

static HRESULT WINAPI client_InitializeSharedAudioStream(IAudioClient3 *iface, DWORD flags, UINT32 period,
                                                         const WAVEFORMATEX *wfx, const GUID *session)
{
    struct audio_client *client = impl_from_IAudioClient3(iface);
    UINT32 engine_period, min_frames;
    struct endpoint_format pcm;
    UINT64 engine;
    HRESULT hr;

    TRACE("(%p)->(%#lx, %u, %p, %s)\n", client, flags, period, wfx, debugstr_guid(session));
    if (!wfx) return E_POINTER;
    if (flags & ~valid_stream_flags) return E_INVALIDARG;
    if (client->process_target) flags |= AUDCLNT_STREAMFLAGS_LOOPBACK;

    AcquireSRWLockExclusive(&client->lock);
    if (is_initialized(client)) hr = AUDCLNT_E_ALREADY_INITIALIZED;
    else if (SUCCEEDED(hr = check_format(wfx, &pcm))
             && SUCCEEDED(hr = device_engine(client->device, &engine, &engine_period, &min_frames)))
    {
        if (period < min_frames || period > engine_period || period % fundamental_period(engine_period, min_frames))
            hr = AUDCLNT_E_INVALID_DEVICE_PERIOD;
        else hr = initialize_stream(client, flags, 0, period, &pcm, session);
    }
    ReleaseSRWLockExclusive(&client->lock);
    return hr;
}

static const IAudioClient3Vtbl client_vtbl =
{
    client_QueryInterface,
    client_AddRef,
    client_Release,
    client_Initialize,
    client_GetBufferSize,
    client_GetStreamLatency,
    client_GetCurrentPadding,
    client_IsFormatSupported,
    client_GetMixFormat,
    client_GetDevicePeriod,
    client_Start,
    client_Stop,
    client_Reset,
    client_SetEventHandle,
    client_GetService,
    client_IsOffloadCapable,
    client_SetClientProperties,
    client_GetBufferSizeLimits,
    client_GetSharedModeEnginePeriod,
    client_GetCurrentSharedModeEnginePeriod,
    client_InitializeSharedAudioStream,
};

/* A client that ActivateAudioInterfaceAsync made for DEVINTERFACE_AUDIO_RENDER or _CAPTURE: as on
 * Windows 10, its stream moves to the new default endpoint whenever the user picks another. */
void audio_client_follow_default(IUnknown *activated)
{
    struct audio_client *client;

    if (((IAudioClient3 *)activated)->lpVtbl != &client_vtbl) return;
    client = impl_from_IAudioClient3((IAudioClient3 *)activated);
    AcquireSRWLockExclusive(&followers_lock);
    client->follows_default = TRUE;
    client->follower_next = followers;
    followers = client;
    ReleaseSRWLockExclusive(&followers_lock);
    /* The watch thread hears of the change. */
    devices_watch_start();
}

/* The default endpoint of flow is device now: the clients that follow it go there, a stream with
 * its ring, state and clock (loopback streams stay: they record what their endpoint plays). */
void audio_clients_follow_default(EDataFlow flow, struct mmdevice *device)
{
    struct stream_move_params params;
    struct audio_client *client;
    UINT32 period, min_period;

    AcquireSRWLockShared(&followers_lock);
    for (client = followers; client; client = client->follower_next)
    {
        AcquireSRWLockExclusive(&client->lock);
        if (client->device->flow == flow && client->device != device)
        {
            params.stream = client->stream;
            params.result = S_OK;
            if (is_initialized(client)
                && ((client->flags & AUDCLNT_STREAMFLAGS_LOOPBACK)
                    || FAILED(params.result = device_engine(device, &params.engine, &period, &min_period))
                    || wine_unix_call(unix_stream_move, &params) || FAILED(params.result)))
                WARN("client %p stays on %s: %#lx\n", client, debugstr_w(client->device->id), params.result);
            else
            {
                TRACE("client %p follows the default endpoint to %s\n", client, debugstr_w(device->id));
                client->device = device;
            }
        }
        ReleaseSRWLockExclusive(&client->lock);
    }
    ReleaseSRWLockShared(&followers_lock);
}

static HRESULT client_create(struct mmdevice *device, DWORD target, BOOL exclude, REFIID riid, void **out)
{
    struct audio_client *client;
    HRESULT hr;

    if (!(client = calloc(1, sizeof(*client)))) return E_OUTOFMEMORY;
    client->IAudioClient3_iface.lpVtbl = &client_vtbl;
    client->IAudioRenderClient_iface.lpVtbl = &render_client_vtbl;
    client->IAudioCaptureClient_iface.lpVtbl = &capture_client_vtbl;
    client->IAudioClock_iface.lpVtbl = &clock_vtbl;
    client->IAudioClock2_iface.lpVtbl = &clock2_vtbl;
    client->IAudioClockAdjustment_iface.lpVtbl = &clock_adjustment_vtbl;
    client->IAudioStreamVolume_iface.lpVtbl = &stream_volume_vtbl;
    client->ref = 1;
    client->device = device;
    client->process_target = target;
    client->process_exclude = exclude;
    InitializeSRWLock(&client->lock);
    if (FAILED(hr = CoCreateFreeThreadedMarshaler((IUnknown *)&client->IAudioClient3_iface, &client->marshal)))
    {
        audio_client_release(client);
        return hr;
    }
    hr = IAudioClient3_QueryInterface(&client->IAudioClient3_iface, riid, out);
    audio_client_release(client);
    return hr;
}

HRESULT audio_client_create(struct mmdevice *device, REFIID riid, void **out)
{
    return client_create(device, 0, FALSE, riid, out);
}

/* Process loopback records what the default render endpoint plays (of the target's tree, or all
 * but it), and stays on that endpoint. E_NOTIMPL where there is none, or where the backend cannot
 * tell whose a stream is: known before the client exists, so that the activation itself fails. */
HRESULT audio_client_create_process_loopback(DWORD target, BOOL exclude, REFIID riid, void **out)
{
    UINT32 period, min_period;
    struct mmdevice *device;
    UINT64 engine;
    HRESULT hr;

    *out = NULL;
    if (FAILED(hr = devices_init())) return hr;
    if (!(device = device_default(eRender))) return E_NOTIMPL;
    if (FAILED(hr = device_process_loopback_engine(device, target, exclude, &engine, &period, &min_period)))
        return hr;
    return client_create(device, target, exclude, riid, out);
}
