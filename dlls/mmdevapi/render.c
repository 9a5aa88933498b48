/* IAudioRenderClient: the hot path. GetBuffer and ReleaseBuffer touch only this stream's ring and
 * its own fields: no unix call, no lock the engine takes. */
#include "private.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

static inline struct audio_client *impl_from_IAudioRenderClient(IAudioRenderClient *iface)
{
    return CONTAINING_RECORD(iface, struct audio_client, IAudioRenderClient_iface);
}

static HRESULT WINAPI render_QueryInterface(IAudioRenderClient *iface, REFIID riid, void **out)
{
    struct audio_client *client = impl_from_IAudioRenderClient(iface);

    TRACE("(%p)->(%s, %p)\n", client, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IAudioRenderClient))
        return audio_client_query_other(client, riid, out);
    *out = iface;
    audio_client_addref(client);
    return S_OK;
}

static ULONG WINAPI render_AddRef(IAudioRenderClient *iface)
{
    struct audio_client *client = impl_from_IAudioRenderClient(iface);

    audio_client_addref(client);
    return client->ref;
}

static ULONG WINAPI render_Release(IAudioRenderClient *iface)
{
    return audio_client_release(impl_from_IAudioRenderClient(iface));
}

static HRESULT WINAPI render_GetBuffer(IAudioRenderClient *iface, UINT32 frames, BYTE **data)
{
    struct audio_client *client = impl_from_IAudioRenderClient(iface);
    struct stream_shared *shared = client->shared;
    UINT32 offset;

    TRACE("(%p)->(%u, %p)\n", client, frames, data);
    if (!data) return E_POINTER;
    *data = NULL;
    if (ring_invalidated(shared)) return AUDCLNT_E_DEVICE_INVALIDATED;
    /* Claim the buffer: one GetBuffer at a time, even from racing threads. pending holds the frames
     * handed out plus one, 0 when none are, -1 while a ReleaseBuffer publishes them. */
    if (InterlockedCompareExchange(&client->pending, min(frames, client->buffer_frames + 1) + 1, 0))
        return AUDCLNT_E_OUT_OF_ORDER;

    if (frames > client->buffer_frames - ring_padding(shared))
    {
        WriteRelease(&client->pending, 0);
        return AUDCLNT_E_BUFFER_TOO_LARGE;
    }
    if (!frames)
    {
        WriteRelease(&client->pending, 0);
        return S_OK;
    }
    offset = __atomic_load_n(&shared->write_frames, __ATOMIC_RELAXED) % client->buffer_frames;
    /* A request that would wrap gets the staging area, copied in on release. */
    if (offset + frames <= client->buffer_frames) *data = shared->data + (size_t)offset * client->frame_bytes;
    else *data = client->staging;
    return S_OK;
}

static void copy_into_ring(struct audio_client *client, UINT64 written, const BYTE *src, UINT32 frames)
{
    UINT32 offset = written % client->buffer_frames, first = min(frames, client->buffer_frames - offset);
    BYTE *ring = client->shared->data;

    memcpy(ring + (size_t)offset * client->frame_bytes, src, (size_t)first * client->frame_bytes);
    memcpy(ring, src + (size_t)first * client->frame_bytes, (size_t)(frames - first) * client->frame_bytes);
}

static void silence_ring(struct audio_client *client, UINT64 written, UINT32 frames)
{
    UINT32 offset = written % client->buffer_frames, first = min(frames, client->buffer_frames - offset);
    /* 8-bit PCM is unsigned: its silence is 0x80. */
    int silence = client->pcm.bits == 8 ? 0x80 : 0;
    BYTE *ring = client->shared->data;

    memset(ring + (size_t)offset * client->frame_bytes, silence, (size_t)first * client->frame_bytes);
    memset(ring, silence, (size_t)(frames - first) * client->frame_bytes);
}

static HRESULT WINAPI render_ReleaseBuffer(IAudioRenderClient *iface, UINT32 frames, DWORD flags)
{
    struct audio_client *client = impl_from_IAudioRenderClient(iface);
    struct stream_shared *shared = client->shared;
    LONG pending = ReadAcquire(&client->pending);
    UINT64 written;

    TRACE("(%p)->(%u, %#lx)\n", client, frames, flags);
    if (flags & ~AUDCLNT_BUFFERFLAGS_SILENT) return E_INVALIDARG;
    if (ring_invalidated(shared)) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (!pending)
        return frames ? AUDCLNT_E_OUT_OF_ORDER : S_OK;
    if (pending < 0) return AUDCLNT_E_OUT_OF_ORDER;    /* another thread is releasing it */
    if (frames > (UINT32)pending - 1)
        return AUDCLNT_E_INVALID_SIZE;

    /* Claim the packet for this release: of two threads releasing at once, one publishes. */
    if (InterlockedCompareExchange(&client->pending, -1, pending) != pending) return AUDCLNT_E_OUT_OF_ORDER;
    written = __atomic_load_n(&shared->write_frames, __ATOMIC_RELAXED);
    if (frames)
    {
        if (flags & AUDCLNT_BUFFERFLAGS_SILENT) silence_ring(client, written, frames);
        else if (written % client->buffer_frames + (pending - 1) > client->buffer_frames)
            copy_into_ring(client, written, client->staging, frames);
        __atomic_store_n(&shared->write_frames, written + frames, __ATOMIC_RELEASE);
    }
    WriteRelease(&client->pending, 0);
    return S_OK;
}

const IAudioRenderClientVtbl render_client_vtbl =
{
    render_QueryInterface,
    render_AddRef,
    render_Release,
    render_GetBuffer,
    render_ReleaseBuffer,
};
