/* IAudioClock, IAudioClock2 and IAudioClockAdjustment. The engine publishes what the listener has
 * heard and when; between its updates the position moves on at the stream's rate, never past what
 * was handed to the device, never backwards. Reading it crosses no boundary. */
#include "private.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

static inline struct audio_client *impl_from_IAudioClock(IAudioClock *iface)
{
    return CONTAINING_RECORD(iface, struct audio_client, IAudioClock_iface);
}

static inline struct audio_client *impl_from_IAudioClock2(IAudioClock2 *iface)
{
    return CONTAINING_RECORD(iface, struct audio_client, IAudioClock2_iface);
}

static inline struct audio_client *impl_from_IAudioClockAdjustment(IAudioClockAdjustment *iface)
{
    return CONTAINING_RECORD(iface, struct audio_client, IAudioClockAdjustment_iface);
}

static UINT64 qpc_frequency(void)
{
    static LARGE_INTEGER frequency;

    if (!frequency.QuadPart) QueryPerformanceFrequency(&frequency);
    return frequency.QuadPart;
}

static UINT64 clock_qpc_to_100ns(UINT64 qpc)
{
    UINT64 frequency = qpc_frequency();

    return qpc / frequency * 10000000 + qpc % frequency * 10000000 / frequency;
}

/* clock_last holds the reset generation above the frames, so that a read from before a Reset
 * cannot leave its position behind after it. */
#define CLOCK_FRAME_BITS 40
#define CLOCK_FRAME_MASK ((1ull << CLOCK_FRAME_BITS) - 1)

/* Stream frames heard now, and the QPC time of "now". */
static UINT64 clock_frames(struct audio_client *client, UINT64 *qpc_now)
{
    struct stream_shared *shared = client->shared;
    UINT64 position, limit, qpc, rate, frames, elapsed, stamped;
    UINT32 seq, running, generation;
    LARGE_INTEGER now;
    LONG64 last;

    do
    {
        while ((seq = __atomic_load_n(&shared->clock.seq, __ATOMIC_ACQUIRE)) & 1) YieldProcessor();
        /* Relaxed atomics: the engine may be writing them (then seq tells, and we read again). */
        running = __atomic_load_n(&shared->clock.running, __ATOMIC_RELAXED);
        generation = __atomic_load_n(&shared->clock.generation, __ATOMIC_RELAXED);
        position = __atomic_load_n(&shared->clock.position, __ATOMIC_RELAXED);
        limit = __atomic_load_n(&shared->clock.limit, __ATOMIC_RELAXED);
        qpc = __atomic_load_n(&shared->clock.qpc, __ATOMIC_RELAXED);
        rate = __atomic_load_n(&shared->clock.rate, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while (__atomic_load_n(&shared->clock.seq, __ATOMIC_RELAXED) != seq);

    QueryPerformanceCounter(&now);
    *qpc_now = now.QuadPart;
    frames = position;
    if (running && (UINT64)now.QuadPart > qpc)
    {
        elapsed = now.QuadPart - qpc;
        frames += elapsed / qpc_frequency() * rate + elapsed % qpc_frequency() * rate / qpc_frequency();
        if (frames > limit) frames = max(limit, position);
    }
    /* A fresh update may land a little behind the last extrapolation: hold the clock there. */
    stamped = ((UINT64)generation << CLOCK_FRAME_BITS) | (frames & CLOCK_FRAME_MASK);
    last = __atomic_load_n(&client->clock_last, __ATOMIC_RELAXED);
    while ((UINT64)last < stamped)
    {
        LONG64 seen = InterlockedCompareExchange64(&client->clock_last, stamped, last);
        if (seen == last) return frames;
        last = seen;
    }
    return last & CLOCK_FRAME_MASK;
}

static HRESULT WINAPI clock_QueryInterface(IAudioClock *iface, REFIID riid, void **out)
{
    struct audio_client *client = impl_from_IAudioClock(iface);

    TRACE("(%p)->(%s, %p)\n", client, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IAudioClock)) *out = &client->IAudioClock_iface;
    else if (IsEqualIID(riid, &IID_IAudioClock2)) *out = &client->IAudioClock2_iface;
    else return audio_client_query_other(client, riid, out);
    audio_client_addref(client);
    return S_OK;
}

static ULONG WINAPI clock_AddRef(IAudioClock *iface)
{
    struct audio_client *client = impl_from_IAudioClock(iface);

    audio_client_addref(client);
    return client->ref;
}

static ULONG WINAPI clock_Release(IAudioClock *iface)
{
    return audio_client_release(impl_from_IAudioClock(iface));
}

static HRESULT WINAPI clock_GetFrequency(IAudioClock *iface, UINT64 *frequency)
{
    struct audio_client *client = impl_from_IAudioClock(iface);

    TRACE("(%p)->(%p)\n", client, frequency);
    if (!frequency) return E_POINTER;
    /* Shared-mode positions count bytes of the stream's format. */
    *frequency = (UINT64)client->pcm.rate * client->frame_bytes;
    return S_OK;
}

static HRESULT WINAPI clock_GetPosition(IAudioClock *iface, UINT64 *position, UINT64 *qpc_position)
{
    struct audio_client *client = impl_from_IAudioClock(iface);
    UINT64 qpc;

    TRACE("(%p)->(%p, %p)\n", client, position, qpc_position);
    if (!position) return E_POINTER;
    if (ring_invalidated(client->shared)) return AUDCLNT_E_DEVICE_INVALIDATED;
    *position = clock_frames(client, &qpc) * client->frame_bytes;
    if (qpc_position) *qpc_position = clock_qpc_to_100ns(qpc);
    return S_OK;
}

static HRESULT WINAPI clock_GetCharacteristics(IAudioClock *iface, DWORD *characteristics)
{
    TRACE("(%p)->(%p)\n", iface, characteristics);
    if (!characteristics) return E_POINTER;
    *characteristics = AUDIOCLOCK_CHARACTERISTIC_FIXED_FREQ;
    return S_OK;
}

const IAudioClockVtbl clock_vtbl =
{
    clock_QueryInterface,
    clock_AddRef,
    clock_Release,
    clock_GetFrequency,
    clock_GetPosition,
    clock_GetCharacteristics,
};

static HRESULT WINAPI clock2_QueryInterface(IAudioClock2 *iface, REFIID riid, void **out)
{
    return clock_QueryInterface(&impl_from_IAudioClock2(iface)->IAudioClock_iface, riid, out);
}

static ULONG WINAPI clock2_AddRef(IAudioClock2 *iface)
{
    return clock_AddRef(&impl_from_IAudioClock2(iface)->IAudioClock_iface);
}

static ULONG WINAPI clock2_Release(IAudioClock2 *iface)
{
    return clock_Release(&impl_from_IAudioClock2(iface)->IAudioClock_iface);
}

/* The same position in frames of the device's rate. */
static HRESULT WINAPI clock2_GetDevicePosition(IAudioClock2 *iface, UINT64 *position, UINT64 *qpc_position)
{
    struct audio_client *client = impl_from_IAudioClock2(iface);
    UINT64 qpc, frames;

    TRACE("(%p)->(%p, %p)\n", client, position, qpc_position);
    if (!position) return E_POINTER;
    if (ring_invalidated(client->shared)) return AUDCLNT_E_DEVICE_INVALIDATED;
    frames = clock_frames(client, &qpc);
    *position = frames / client->pcm.rate * client->device->format.rate
                + frames % client->pcm.rate * client->device->format.rate / client->pcm.rate;
    if (qpc_position) *qpc_position = clock_qpc_to_100ns(qpc);
    return S_OK;
}

const IAudioClock2Vtbl clock2_vtbl =
{
    clock2_QueryInterface,
    clock2_AddRef,
    clock2_Release,
    clock2_GetDevicePosition,
};

static HRESULT WINAPI adjustment_QueryInterface(IAudioClockAdjustment *iface, REFIID riid, void **out)
{
    struct audio_client *client = impl_from_IAudioClockAdjustment(iface);

    TRACE("(%p)->(%s, %p)\n", client, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IAudioClockAdjustment))
        return audio_client_query_other(client, riid, out);
    *out = iface;
    audio_client_addref(client);
    return S_OK;
}

static ULONG WINAPI adjustment_AddRef(IAudioClockAdjustment *iface)
{
    struct audio_client *client = impl_from_IAudioClockAdjustment(iface);

    audio_client_addref(client);
    return client->ref;
}

static ULONG WINAPI adjustment_Release(IAudioClockAdjustment *iface)
{
    return audio_client_release(impl_from_IAudioClockAdjustment(iface));
}

static HRESULT WINAPI adjustment_SetSampleRate(IAudioClockAdjustment *iface, float rate)
{
    struct audio_client *client = impl_from_IAudioClockAdjustment(iface);
    struct stream_set_rate_params params = { .stream = client->stream };

    TRACE("(%p)->(%f)\n", client, rate);
    if (!(client->flags & AUDCLNT_STREAMFLAGS_RATEADJUST)) return AUDCLNT_E_NOT_INITIALIZED;
    /* The resampler takes a rate within a factor of two of the stream's. */
    if (!(rate >= client->pcm.rate / 2.0f && rate <= client->pcm.rate * 2.0f)) return E_INVALIDARG;
    params.rate_millihz = (UINT64)(rate * 1000.0 + 0.5);
    if (wine_unix_call(unix_stream_set_rate, &params)) return E_FAIL;
    return params.result;
}

const IAudioClockAdjustmentVtbl clock_adjustment_vtbl =
{
    adjustment_QueryInterface,
    adjustment_AddRef,
    adjustment_Release,
    adjustment_SetSampleRate,
};
