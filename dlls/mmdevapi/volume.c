/* IAudioStreamVolume: one gain a channel, kept in the ring's shared memory where the engine applies
 * it at the next period. */
#include "private.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

static inline struct audio_client *impl_from_IAudioStreamVolume(IAudioStreamVolume *iface)
{
    return CONTAINING_RECORD(iface, struct audio_client, IAudioStreamVolume_iface);
}

static HRESULT WINAPI volume_QueryInterface(IAudioStreamVolume *iface, REFIID riid, void **out)
{
    struct audio_client *client = impl_from_IAudioStreamVolume(iface);

    TRACE("(%p)->(%s, %p)\n", client, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IAudioStreamVolume))
        return audio_client_query_other(client, riid, out);
    *out = iface;
    audio_client_addref(client);
    return S_OK;
}

static ULONG WINAPI volume_AddRef(IAudioStreamVolume *iface)
{
    struct audio_client *client = impl_from_IAudioStreamVolume(iface);

    audio_client_addref(client);
    return client->ref;
}

static ULONG WINAPI volume_Release(IAudioStreamVolume *iface)
{
    return audio_client_release(impl_from_IAudioStreamVolume(iface));
}

static HRESULT WINAPI volume_GetChannelCount(IAudioStreamVolume *iface, UINT32 *count)
{
    struct audio_client *client = impl_from_IAudioStreamVolume(iface);

    TRACE("(%p)->(%p)\n", client, count);
    if (!count) return E_POINTER;
    *count = client->pcm.channels;
    return S_OK;
}

static BOOL valid_level(float level)
{
    return level >= 0.0f && level <= 1.0f;    /* false for NaN too */
}

static HRESULT WINAPI volume_SetChannelVolume(IAudioStreamVolume *iface, UINT32 index, float level)
{
    struct audio_client *client = impl_from_IAudioStreamVolume(iface);

    TRACE("(%p)->(%u, %f)\n", client, index, level);
    if (!valid_level(level) || index >= client->pcm.channels) return E_INVALIDARG;
    client->shared->volumes[index] = level;
    return S_OK;
}

static HRESULT WINAPI volume_GetChannelVolume(IAudioStreamVolume *iface, UINT32 index, float *level)
{
    struct audio_client *client = impl_from_IAudioStreamVolume(iface);

    TRACE("(%p)->(%u, %p)\n", client, index, level);
    if (!level) return E_POINTER;
    if (index >= client->pcm.channels) return E_INVALIDARG;
    *level = client->shared->volumes[index];
    return S_OK;
}

static HRESULT WINAPI volume_SetAllVolumes(IAudioStreamVolume *iface, UINT32 count, const float *levels)
{
    struct audio_client *client = impl_from_IAudioStreamVolume(iface);
    UINT32 i;

    TRACE("(%p)->(%u, %p)\n", client, count, levels);
    if (!levels) return E_POINTER;
    if (count != client->pcm.channels) return E_INVALIDARG;
    for (i = 0; i < count; i++)
        if (!valid_level(levels[i])) return E_INVALIDARG;
    for (i = 0; i < count; i++) client->shared->volumes[i] = levels[i];
    return S_OK;
}

static HRESULT WINAPI volume_GetAllVolumes(IAudioStreamVolume *iface, UINT32 count, float *levels)
{
    struct audio_client *client = impl_from_IAudioStreamVolume(iface);
    UINT32 i;

    TRACE("(%p)->(%u, %p)\n", client, count, levels);
    if (!levels) return E_POINTER;
    if (count != client->pcm.channels) return E_INVALIDARG;
    for (i = 0; i < count; i++) levels[i] = client->shared->volumes[i];
    return S_OK;
}

const IAudioStreamVolumeVtbl stream_volume_vtbl =
{
    volume_QueryInterface,
    volume_AddRef,
    volume_Release,
    volume_GetChannelCount,
    volume_SetChannelVolume,
    volume_GetChannelVolume,
    volume_SetAllVolumes,
    volume_GetAllVolumes,
};
