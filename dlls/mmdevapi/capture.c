/* IAudioCaptureClient: the capture hot path. The engine writes whole packets of one period into
 * the ring, each described (position, time, flags) beside the frames; GetBuffer hands the oldest
 * one out in place and ReleaseBuffer gives it back: no unix call, no lock the engine takes. */
#include "private.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

static inline struct audio_client *impl_from_IAudioCaptureClient(IAudioCaptureClient *iface)
{
    return CONTAINING_RECORD(iface, struct audio_client, IAudioCaptureClient_iface);
}

/* Whether a whole packet waits: the engine publishes packets whole, so padding is whole packets. */
static BOOL packet_waiting(struct audio_client *client)
{
    return ring_padding(client->shared) >= client->period_frames;
}

static HRESULT WINAPI capture_QueryInterface(IAudioCaptureClient *iface, REFIID riid, void **out)
{
    struct audio_client *client = impl_from_IAudioCaptureClient(iface);

    TRACE("(%p)->(%s, %p)\n", client, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IAudioCaptureClient))
        return audio_client_query_other(client, riid, out);
    *out = iface;
    audio_client_addref(client);
    return S_OK;
}

static ULONG WINAPI capture_AddRef(IAudioCaptureClient *iface)
{
    struct audio_client *client = impl_from_IAudioCaptureClient(iface);

    audio_client_addref(client);
    return client->ref;
}

static ULONG WINAPI capture_Release(IAudioCaptureClient *iface)
{
    return audio_client_release(impl_from_IAudioCaptureClient(iface));
}

static HRESULT WINAPI capture_GetBuffer(IAudioCaptureClient *iface, BYTE **data, UINT32 *frames, DWORD *flags,
                                        UINT64 *position, UINT64 *qpc)
{
    struct audio_client *client = impl_from_IAudioCaptureClient(iface);
    struct stream_shared *shared = client->shared;
    const struct capture_packet *packet;
    UINT64 read;

    TRACE("(%p)->(%p, %p, %p, %p, %p)\n", client, data, frames, flags, position, qpc);
    if (!data) return E_POINTER;
    /* Windows 10 clears data first, and leaves everything else alone when it fails. */
    *data = NULL;
    if (!frames || !flags) return E_POINTER;
    if (ring_invalidated(shared)) return AUDCLNT_E_DEVICE_INVALIDATED;
    /* One packet out at a time, even to racing threads: pending holds its frames plus one, 0 when
     * none is out, -1 while a ReleaseBuffer gives it back. */
    if (InterlockedCompareExchange(&client->pending, client->period_frames + 1, 0)) return AUDCLNT_E_OUT_OF_ORDER;
    if (!packet_waiting(client))
    {
        WriteRelease(&client->pending, 0);
        *frames = 0;
        return AUDCLNT_S_BUFFER_EMPTY;
    }
    read = __atomic_load_n(&shared->read_frames, __ATOMIC_RELAXED);
    packet = (const struct capture_packet *)(shared->data + client->packets_offset)
             + read / client->period_frames % client->packet_count;
    *data = shared->data + (size_t)(read % client->buffer_frames) * client->frame_bytes;
    *frames = client->period_frames;
    *flags = packet->flags;
    if (position) *position = packet->position;
    if (qpc) *qpc = packet->qpc;
    return S_OK;
}

static HRESULT WINAPI capture_ReleaseBuffer(IAudioCaptureClient *iface, UINT32 frames)
{
    struct audio_client *client = impl_from_IAudioCaptureClient(iface);
    struct stream_shared *shared = client->shared;
    LONG pending = ReadAcquire(&client->pending);
    UINT64 read;

    TRACE("(%p)->(%u)\n", client, frames);
    if (ring_invalidated(shared)) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (!pending) return frames ? AUDCLNT_E_OUT_OF_ORDER : S_OK;
    if (pending < 0) return AUDCLNT_E_OUT_OF_ORDER;    /* another thread is releasing it */
    /* All of the packet, or none of it (it is handed out again). */
    if (frames && frames != (UINT32)pending - 1) return AUDCLNT_E_INVALID_SIZE;

    if (InterlockedCompareExchange(&client->pending, -1, pending) != pending) return AUDCLNT_E_OUT_OF_ORDER;
    if (frames)
    {
        read = __atomic_load_n(&shared->read_frames, __ATOMIC_RELAXED);
        __atomic_store_n(&shared->read_frames, read + frames, __ATOMIC_RELEASE);
    }
    WriteRelease(&client->pending, 0);
    return S_OK;
}

static HRESULT WINAPI capture_GetNextPacketSize(IAudioCaptureClient *iface, UINT32 *frames)
{
    struct audio_client *client = impl_from_IAudioCaptureClient(iface);

    TRACE("(%p)->(%p)\n", client, frames);
    if (!frames) return E_POINTER;
    if (ring_invalidated(client->shared)) return AUDCLNT_E_DEVICE_INVALIDATED;
    *frames = packet_waiting(client) ? client->period_frames : 0;
    return S_OK;
}

const IAudioCaptureClientVtbl capture_client_vtbl =
{
    capture_QueryInterface,
    capture_AddRef,
    capture_Release,
    capture_GetBuffer,
    capture_ReleaseBuffer,
    capture_GetNextPacketSize,
};
