/* IAudioEndpointVolume(Ex) and IAudioMeterInformation from IMMDevice::Activate.
 *
 * The endpoint volume is the device's own, as the system's mixer holds it (a PulseAudio sink's, an
 * ALSA card's control; the engine's gain where the device has none): every read asks the Linux
 * side, so what pactl, amixer or the desktop changed is what the program sees. The scalar level is
 * the cubic one mixers show (a scalar of 0.5 is PulseAudio's 50 %), its dB 60 log10 of it.
 * IAudioEndpointVolumeCallback::OnNotify runs on the thread that calls session events
 * (callbacks_post), for our own changes with the caller's context and for changes from outside,
 * which our watch thread (devices.c) waits for in the Linux side and compares with what it last
 * saw. */
#include <math.h>
#include "private.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

struct endpoint_volume_object
{
    IAudioEndpointVolumeEx IAudioEndpointVolumeEx_iface;
    LONG ref;
    struct mmdevice *device;
    /* Under volumes_lock: */
    struct endpoint_volume_object *next;    /* in watched, while it has callbacks */
    IAudioEndpointVolumeCallback **callbacks;
    UINT32 callback_count;
};

/* What the watch thread last saw of an endpoint that has callbacks, to tell a change from none. */
struct volume_seen
{
    struct volume_seen *next;
    struct mmdevice *device;
    struct endpoint_volume volume;
};

/* Taken around each change (the write and what it reads back), the watch thread's comparisons and
 * the lists below; never while calling the program. */
static SRWLOCK volumes_lock = SRWLOCK_INIT;
static struct endpoint_volume_object *watched;
static struct volume_seen *seen;
static BOOL watching;            /* a callback was registered: the watch thread runs */

static inline struct endpoint_volume_object *impl_from_IAudioEndpointVolumeEx(IAudioEndpointVolumeEx *iface)
{
    return CONTAINING_RECORD(iface, struct endpoint_volume_object, IAudioEndpointVolumeEx_iface);
}

static HRESULT read_volume(struct mmdevice *device, struct endpoint_volume *volume)
{
    struct endpoint_volume_params params = { .flow = device->flow };

    AcquireSRWLockShared(&devices_lock);
    if (device->state != DEVICE_STATE_ACTIVE)
    {
        ReleaseSRWLockShared(&devices_lock);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    memcpy(params.key, device->key, sizeof(params.key));
    params.volume.channels = device->format.channels;
    ReleaseSRWLockShared(&devices_lock);

    if (wine_unix_call(unix_endpoint_get_volume, &params)) return E_FAIL;
    if (SUCCEEDED(params.result) && (!params.volume.channels || params.volume.channels > MMDEVAPI_MAX_CHANNELS))
        return E_FAIL;
    *volume = params.volume;
    return params.result;
}

static HRESULT write_volume(struct mmdevice *device, const struct endpoint_volume *volume)
{
    struct endpoint_volume_params params = { .flow = device->flow, .volume = *volume };

    AcquireSRWLockShared(&devices_lock);
    if (device->state != DEVICE_STATE_ACTIVE)
    {
        ReleaseSRWLockShared(&devices_lock);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    memcpy(params.key, device->key, sizeof(params.key));
    ReleaseSRWLockShared(&devices_lock);

    if (wine_unix_call(unix_endpoint_set_volume, &params)) return E_FAIL;
    return params.result;
}

static float master_level(const struct endpoint_volume *volume)
{
    float level = 0.0f;
    UINT32 i;

    for (i = 0; i < volume->channels; i++) level = max(level, volume->levels[i]);
    return level;
}

/* The cubic scale in dB, within the device's range: the bottom of the range stands for 0. */
static float level_to_db(const struct endpoint_volume *volume, float level)
{
    if (level <= 0.0f) return volume->min_db;
    return min(volume->max_db, max(volume->min_db, 60.0f * log10f(level)));
}

static float db_to_level(const struct endpoint_volume *volume, float db)
{
    if (db <= volume->min_db) return 0.0f;
    return min(1.0f, powf(10.0f, db / 60.0f));
}

static BOOL volume_equal(const struct endpoint_volume *a, const struct endpoint_volume *b)
{
    return a->channels == b->channels && !a->mute == !b->mute
           && !memcmp(a->levels, b->levels, a->channels * sizeof(float));
}

struct notify_call
{
    IAudioEndpointVolumeCallback **callbacks;
    UINT32 count;
    AUDIO_VOLUME_NOTIFICATION_DATA *data;
};

/* On the callbacks' thread. */
static void deliver_notify(void *arg)
{
    struct notify_call *call = arg;
    UINT32 i;

    for (i = 0; i < call->count; i++)
    {
        IAudioEndpointVolumeCallback_OnNotify(call->callbacks[i], call->data);
        IAudioEndpointVolumeCallback_Release(call->callbacks[i]);
    }
    free(call->callbacks);
    free(call->data);
    free(call);
}

/* With volumes_lock: OnNotify to every callback of the endpoint, with the new volume. */
static void queue_notify(struct mmdevice *device, const struct endpoint_volume *volume, const GUID *context)
{
    struct endpoint_volume_object *object;
    struct notify_call *call;
    UINT32 count = 0, i;

    for (object = watched; object; object = object->next)
        if (object->device == device) count += object->callback_count;
    if (!count || !(call = calloc(1, sizeof(*call)))) return;
    call->callbacks = malloc(count * sizeof(*call->callbacks));
    call->data = malloc(offsetof(AUDIO_VOLUME_NOTIFICATION_DATA, afChannelVolumes[volume->channels]));
    if (!call->callbacks || !call->data)
    {
        free(call->callbacks);
        free(call->data);
        free(call);
        return;
    }
    /* GUID_NULL without it: Wine's uuid library would bring in a second copy of every IID. */
    if (context) call->data->guidEventContext = *context;
    else memset(&call->data->guidEventContext, 0, sizeof(GUID));
    call->data->bMuted = volume->mute;
    call->data->fMasterVolume = master_level(volume);
    call->data->nChannels = volume->channels;
    memcpy(call->data->afChannelVolumes, volume->levels, volume->channels * sizeof(float));
    for (object = watched; object; object = object->next)
        if (object->device == device)
            for (i = 0; i < object->callback_count; i++)
            {
                IAudioEndpointVolumeCallback_AddRef(object->callbacks[i]);
                call->callbacks[call->count++] = object->callbacks[i];
            }
    if (!callbacks_post(deliver_notify, call))
    {
        for (i = 0; i < call->count; i++) IAudioEndpointVolumeCallback_Release(call->callbacks[i]);
        free(call->callbacks);
        free(call->data);
        free(call);
    }
}

/* With volumes_lock: what the watch thread compares the endpoint's next reads with. */
static void remember_volume(struct mmdevice *device, const struct endpoint_volume *volume)
{
    struct volume_seen *entry;

    for (entry = seen; entry; entry = entry->next)
        if (entry->device == device) break;
    if (!entry && (entry = calloc(1, sizeof(*entry))))
    {
        entry->device = device;
        entry->next = seen;
        seen = entry;
    }
    if (entry) entry->volume = *volume;
}

void endpoint_volumes_changed(void)
{
    struct endpoint_volume volume;
    struct volume_seen *entry;

    AcquireSRWLockExclusive(&volumes_lock);
    for (entry = seen; entry; entry = entry->next)
        if (SUCCEEDED(read_volume(entry->device, &volume)) && !volume_equal(&volume, &entry->volume))
        {
            TRACE("endpoint %s changed from outside\n", debugstr_w(entry->device->id));
            entry->volume = volume;
            queue_notify(entry->device, &volume, NULL);
        }
    ReleaseSRWLockExclusive(&volumes_lock);
}

enum volume_change_kind { CHANGE_MASTER, CHANGE_CHANNEL, CHANGE_MUTE, CHANGE_STEP };

struct volume_change
{
    enum volume_change_kind kind;
    UINT32 channel;
    float level;        /* scalar; for a dB call, turned into one once the range is known */
    BOOL is_db;
    BOOL mute;
    int step;           /* +1 or -1 */
};

/* Applies change to the endpoint's volume: S_FALSE when it changed nothing (no notification, as
 * on Windows), E_INVALIDARG for a level outside the device's range or a channel it lacks. */
static HRESULT change_volume(struct endpoint_volume_object *object, struct volume_change *change,
                             const GUID *context)
{
    struct endpoint_volume volume, before;
    float master, level;
    HRESULT hr;
    UINT32 i, step;

    AcquireSRWLockExclusive(&volumes_lock);
    if (FAILED(hr = read_volume(object->device, &volume))) goto done;
    before = volume;
    if (change->is_db)
    {
        if (!(change->level >= volume.min_db && change->level <= volume.max_db))
        {
            hr = E_INVALIDARG;
            goto done;
        }
        change->level = db_to_level(&volume, change->level);
    }
    switch (change->kind)
    {
    case CHANGE_CHANNEL:
        if (change->channel >= volume.channels)
        {
            hr = E_INVALIDARG;
            goto done;
        }
        volume.levels[change->channel] = change->level;
        break;
    case CHANGE_STEP:
        step = (UINT32)lrintf(master_level(&volume) * (volume.step_count - 1));
        if (change->step > 0 && step < volume.step_count - 1) step++;
        else if (change->step < 0 && step) step--;
        change->level = (float)step / (volume.step_count - 1);
        /* fall through */
    case CHANGE_MASTER:
        /* The channels keep their balance, as a master control moves them all. */
        master = master_level(&volume);
        for (i = 0; i < volume.channels; i++)
        {
            level = master > 0.0f ? volume.levels[i] * change->level / master : change->level;
            volume.levels[i] = min(1.0f, level);
        }
        break;
    case CHANGE_MUTE:
        volume.mute = change->mute;
        break;
    }
    if (volume_equal(&volume, &before))
    {
        hr = S_FALSE;
        goto done;
    }
    if (FAILED(hr = write_volume(object->device, &volume))) goto done;
    /* What the device holds now (its own steps may round): what reads and OnNotify say. */
    if (FAILED(read_volume(object->device, &volume))) goto done;
    if (watching) remember_volume(object->device, &volume);
    queue_notify(object->device, &volume, context);
done:
    ReleaseSRWLockExclusive(&volumes_lock);
    return hr;
}

static HRESULT change_result(HRESULT hr)
{
    return hr == S_FALSE ? S_OK : hr;
}

static HRESULT WINAPI endpoint_volume_QueryInterface(IAudioEndpointVolumeEx *iface, REFIID riid, void **out)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);

    TRACE("(%p)->(%s, %p)\n", object, debugstr_guid(riid), out);
    if (!out) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IAudioEndpointVolume)
        || IsEqualIID(riid, &IID_IAudioEndpointVolumeEx))
    {
        *out = iface;
        IAudioEndpointVolumeEx_AddRef(iface);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI endpoint_volume_AddRef(IAudioEndpointVolumeEx *iface)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    ULONG ref = InterlockedIncrement(&object->ref);

    TRACE("(%p) ref %lu\n", object, ref);
    return ref;
}

/* With volumes_lock: takes the object out of the watched list; its callbacks are the caller's to
 * release, outside the lock. */
static void unwatch(struct endpoint_volume_object *object)
{
    struct endpoint_volume_object **entry;

    for (entry = &watched; *entry; entry = &(*entry)->next)
        if (*entry == object)
        {
            *entry = object->next;
            break;
        }
}

static ULONG WINAPI endpoint_volume_Release(IAudioEndpointVolumeEx *iface)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    ULONG ref = InterlockedDecrement(&object->ref);
    UINT32 i;

    TRACE("(%p) ref %lu\n", object, ref);
    if (ref) return ref;
    AcquireSRWLockExclusive(&volumes_lock);
    unwatch(object);
    ReleaseSRWLockExclusive(&volumes_lock);
    /* Outside the lock: the program's Release may call us. */
    for (i = 0; i < object->callback_count; i++) IAudioEndpointVolumeCallback_Release(object->callbacks[i]);
    free(object->callbacks);
    free(object);
    return 0;
}

static HRESULT WINAPI endpoint_volume_RegisterControlChangeNotify(IAudioEndpointVolumeEx *iface,
                                                                  IAudioEndpointVolumeCallback *callback)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    IAudioEndpointVolumeCallback **callbacks;
    struct endpoint_volume volume;
    HRESULT hr = S_OK;

    TRACE("(%p)->(%p)\n", object, callback);
    if (!callback) return E_POINTER;
    AcquireSRWLockExclusive(&volumes_lock);
    if (!(callbacks = realloc(object->callbacks, (object->callback_count + 1) * sizeof(*callbacks))))
        hr = E_OUTOFMEMORY;
    else
    {
        object->callbacks = callbacks;
        callbacks[object->callback_count++] = callback;
        IAudioEndpointVolumeCallback_AddRef(callback);
        if (object->callback_count == 1)
        {
            object->next = watched;
            watched = object;
        }
        /* Changes from outside are news from now on. */
        if (SUCCEEDED(read_volume(object->device, &volume))) remember_volume(object->device, &volume);
        watching = TRUE;
        devices_watch_start();
    }
    ReleaseSRWLockExclusive(&volumes_lock);
    return hr;
}

static HRESULT WINAPI endpoint_volume_UnregisterControlChangeNotify(IAudioEndpointVolumeEx *iface,
                                                                    IAudioEndpointVolumeCallback *callback)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    UINT32 i;

    TRACE("(%p)->(%p)\n", object, callback);
    if (!callback) return E_POINTER;
    AcquireSRWLockExclusive(&volumes_lock);
    for (i = 0; i < object->callback_count; i++)
        if (object->callbacks[i] == callback) break;
    if (i == object->callback_count)
    {
        ReleaseSRWLockExclusive(&volumes_lock);
        return E_NOTFOUND;
    }
    memmove(&object->callbacks[i], &object->callbacks[i + 1], (object->callback_count - i - 1) * sizeof(*object->callbacks));
    if (!--object->callback_count) unwatch(object);
    ReleaseSRWLockExclusive(&volumes_lock);
    /* Notifications queued before keep their own reference. */
    IAudioEndpointVolumeCallback_Release(callback);
    return S_OK;
}

static HRESULT WINAPI endpoint_volume_GetChannelCount(IAudioEndpointVolumeEx *iface, UINT *count)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", object, count);
    if (!count) return E_POINTER;
    if (SUCCEEDED(hr = read_volume(object->device, &volume))) *count = volume.channels;
    return hr;
}

static HRESULT WINAPI endpoint_volume_SetMasterVolumeLevel(IAudioEndpointVolumeEx *iface, float db,
                                                           const GUID *context)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct volume_change change = { .kind = CHANGE_MASTER, .level = db, .is_db = TRUE };

    TRACE("(%p)->(%f, %s)\n", object, db, debugstr_guid(context));
    return change_result(change_volume(object, &change, context));
}

static HRESULT WINAPI endpoint_volume_SetMasterVolumeLevelScalar(IAudioEndpointVolumeEx *iface, float level,
                                                                 const GUID *context)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct volume_change change = { .kind = CHANGE_MASTER, .level = level };

    TRACE("(%p)->(%f, %s)\n", object, level, debugstr_guid(context));
    if (!(level >= 0.0f && level <= 1.0f)) return E_INVALIDARG;
    return change_result(change_volume(object, &change, context));
}

static HRESULT WINAPI endpoint_volume_GetMasterVolumeLevel(IAudioEndpointVolumeEx *iface, float *db)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", object, db);
    if (!db) return E_POINTER;
    if (SUCCEEDED(hr = read_volume(object->device, &volume))) *db = level_to_db(&volume, master_level(&volume));
    return hr;
}

static HRESULT WINAPI endpoint_volume_GetMasterVolumeLevelScalar(IAudioEndpointVolumeEx *iface, float *level)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", object, level);
    if (!level) return E_POINTER;
    if (SUCCEEDED(hr = read_volume(object->device, &volume))) *level = master_level(&volume);
    return hr;
}

static HRESULT WINAPI endpoint_volume_SetChannelVolumeLevel(IAudioEndpointVolumeEx *iface, UINT channel, float db,
                                                            const GUID *context)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct volume_change change = { .kind = CHANGE_CHANNEL, .channel = channel, .level = db, .is_db = TRUE };

    TRACE("(%p)->(%u, %f, %s)\n", object, channel, db, debugstr_guid(context));
    return change_result(change_volume(object, &change, context));
}

static HRESULT WINAPI endpoint_volume_SetChannelVolumeLevelScalar(IAudioEndpointVolumeEx *iface, UINT channel,
                                                                  float level, const GUID *context)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct volume_change change = { .kind = CHANGE_CHANNEL, .channel = channel, .level = level };

    TRACE("(%p)->(%u, %f, %s)\n", object, channel, level, debugstr_guid(context));
    if (!(level >= 0.0f && level <= 1.0f)) return E_INVALIDARG;
    return change_result(change_volume(object, &change, context));
}

/* A channel's level, E_INVALIDARG for a channel the endpoint lacks. */
static HRESULT channel_level(struct endpoint_volume_object *object, UINT channel, struct endpoint_volume *volume,
                             float *level)
{
    HRESULT hr;

    if (FAILED(hr = read_volume(object->device, volume))) return hr;
    if (channel >= volume->channels) return E_INVALIDARG;
    *level = volume->levels[channel];
    return S_OK;
}

static HRESULT WINAPI endpoint_volume_GetChannelVolumeLevel(IAudioEndpointVolumeEx *iface, UINT channel, float *db)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;
    float level;
    HRESULT hr;

    TRACE("(%p)->(%u, %p)\n", object, channel, db);
    if (!db) return E_POINTER;
    if (SUCCEEDED(hr = channel_level(object, channel, &volume, &level))) *db = level_to_db(&volume, level);
    return hr;
}

static HRESULT WINAPI endpoint_volume_GetChannelVolumeLevelScalar(IAudioEndpointVolumeEx *iface, UINT channel,
                                                                  float *level)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;

    TRACE("(%p)->(%u, %p)\n", object, channel, level);
    if (!level) return E_POINTER;
    return channel_level(object, channel, &volume, level);
}

static HRESULT WINAPI endpoint_volume_SetMute(IAudioEndpointVolumeEx *iface, BOOL mute, const GUID *context)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct volume_change change = { .kind = CHANGE_MUTE, .mute = !!mute };

    TRACE("(%p)->(%d, %s)\n", object, mute, debugstr_guid(context));
    /* S_FALSE when the endpoint already was so, as Windows answers. */
    return change_volume(object, &change, context);
}

static HRESULT WINAPI endpoint_volume_GetMute(IAudioEndpointVolumeEx *iface, BOOL *mute)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", object, mute);
    if (!mute) return E_POINTER;
    if (SUCCEEDED(hr = read_volume(object->device, &volume))) *mute = !!volume.mute;
    return hr;
}

static HRESULT WINAPI endpoint_volume_GetVolumeStepInfo(IAudioEndpointVolumeEx *iface, UINT *step, UINT *count)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;
    HRESULT hr;

    TRACE("(%p)->(%p, %p)\n", object, step, count);
    if (!step || !count) return E_POINTER;
    if (FAILED(hr = read_volume(object->device, &volume))) return hr;
    *count = volume.step_count;
    *step = (UINT)lrintf(master_level(&volume) * (volume.step_count - 1));
    return S_OK;
}

static HRESULT WINAPI endpoint_volume_VolumeStepUp(IAudioEndpointVolumeEx *iface, const GUID *context)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct volume_change change = { .kind = CHANGE_STEP, .step = 1 };

    TRACE("(%p)->(%s)\n", object, debugstr_guid(context));
    return change_result(change_volume(object, &change, context));
}

static HRESULT WINAPI endpoint_volume_VolumeStepDown(IAudioEndpointVolumeEx *iface, const GUID *context)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct volume_change change = { .kind = CHANGE_STEP, .step = -1 };

    TRACE("(%p)->(%s)\n", object, debugstr_guid(context));
    return change_result(change_volume(object, &change, context));
}

static HRESULT WINAPI endpoint_volume_QueryHardwareSupport(IAudioEndpointVolumeEx *iface, DWORD *mask)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;
    HRESULT hr;

    TRACE("(%p)->(%p)\n", object, mask);
    if (!mask) return E_POINTER;
    if (SUCCEEDED(hr = read_volume(object->device, &volume))) *mask = volume.hardware;
    return hr;
}

static HRESULT WINAPI endpoint_volume_GetVolumeRange(IAudioEndpointVolumeEx *iface, float *min_db, float *max_db,
                                                     float *increment_db)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;
    HRESULT hr;

    TRACE("(%p)->(%p, %p, %p)\n", object, min_db, max_db, increment_db);
    if (!min_db || !max_db || !increment_db) return E_POINTER;
    if (FAILED(hr = read_volume(object->device, &volume))) return hr;
    *min_db = volume.min_db;
    *max_db = volume.max_db;
    *increment_db = volume.increment_db;
    return S_OK;
}

/* Every channel has the master's range. */
static HRESULT WINAPI endpoint_volume_GetVolumeRangeChannel(IAudioEndpointVolumeEx *iface, UINT channel,
                                                            float *min_db, float *max_db, float *increment_db)
{
    struct endpoint_volume_object *object = impl_from_IAudioEndpointVolumeEx(iface);
    struct endpoint_volume volume;
    HRESULT hr;

    TRACE("(%p)->(%u, %p, %p, %p)\n", object, channel, min_db, max_db, increment_db);
    if (!min_db || !max_db || !increment_db) return E_POINTER;
    if (FAILED(hr = read_volume(object->device, &volume))) return hr;
    if (channel >= volume.channels) return E_INVALIDARG;
    *min_db = volume.min_db;
    *max_db = volume.max_db;
    *increment_db = volume.increment_db;
    return S_OK;
}

static const IAudioEndpointVolumeExVtbl endpoint_volume_vtbl =
{
    endpoint_volume_QueryInterface,
    endpoint_volume_AddRef,
    endpoint_volume_Release,
    endpoint_volume_RegisterControlChangeNotify,
    endpoint_volume_UnregisterControlChangeNotify,
    endpoint_volume_GetChannelCount,
    endpoint_volume_SetMasterVolumeLevel,
    endpoint_volume_SetMasterVolumeLevelScalar,
    endpoint_volume_GetMasterVolumeLevel,
    endpoint_volume_GetMasterVolumeLevelScalar,
    endpoint_volume_SetChannelVolumeLevel,
    endpoint_volume_SetChannelVolumeLevelScalar,
    endpoint_volume_GetChannelVolumeLevel,
    endpoint_volume_GetChannelVolumeLevelScalar,
    endpoint_volume_SetMute,
    endpoint_volume_GetMute,
    endpoint_volume_GetVolumeStepInfo,
    endpoint_volume_VolumeStepUp,
    endpoint_volume_VolumeStepDown,
    endpoint_volume_QueryHardwareSupport,
    endpoint_volume_GetVolumeRange,
    endpoint_volume_GetVolumeRangeChannel,
};

HRESULT endpoint_volume_create(struct mmdevice *device, REFIID riid, void **out)
{
    struct endpoint_volume_object *object;
    HRESULT hr;

    if (!(object = calloc(1, sizeof(*object)))) return E_OUTOFMEMORY;
    object->IAudioEndpointVolumeEx_iface.lpVtbl = &endpoint_volume_vtbl;
    object->ref = 1;
    object->device = device;
    hr = IAudioEndpointVolumeEx_QueryInterface(&object->IAudioEndpointVolumeEx_iface, riid, out);
    IAudioEndpointVolumeEx_Release(&object->IAudioEndpointVolumeEx_iface);
    return hr;
}

/* ---- IAudioMeterInformation: the peaks of the engine's mix, or of a session's streams -------- */

static inline struct meter_part *impl_from_IAudioMeterInformation(IAudioMeterInformation *iface)
{
    return CONTAINING_RECORD(iface, struct meter_part, IAudioMeterInformation_iface);
}

static HRESULT WINAPI meter_QueryInterface(IAudioMeterInformation *iface, REFIID riid, void **out)
{
    struct meter_part *part = impl_from_IAudioMeterInformation(iface);

    TRACE("(%p)->(%s, %p)\n", part, debugstr_guid(riid), out);
    return part->ops->query(part, riid, out);
}

static ULONG WINAPI meter_AddRef(IAudioMeterInformation *iface)
{
    struct meter_part *part = impl_from_IAudioMeterInformation(iface);

    return part->ops->addref(part);
}

static ULONG WINAPI meter_Release(IAudioMeterInformation *iface)
{
    struct meter_part *part = impl_from_IAudioMeterInformation(iface);

    return part->ops->release(part);
}

static HRESULT WINAPI meter_GetPeakValue(IAudioMeterInformation *iface, float *peak)
{
    struct meter_part *part = impl_from_IAudioMeterInformation(iface);
    float peaks[MMDEVAPI_MAX_CHANNELS];
    UINT32 channels, i;

    TRACE("(%p)->(%p)\n", part, peak);
    if (!peak) return E_POINTER;
    part->ops->read(part, peaks, &channels);
    *peak = 0.0f;
    for (i = 0; i < channels; i++) *peak = max(*peak, peaks[i]);
    return S_OK;
}

static HRESULT WINAPI meter_GetMeteringChannelCount(IAudioMeterInformation *iface, UINT *count)
{
    struct meter_part *part = impl_from_IAudioMeterInformation(iface);
    float peaks[MMDEVAPI_MAX_CHANNELS];
    UINT32 channels;

    TRACE("(%p)->(%p)\n", part, count);
    if (!count) return E_POINTER;
    part->ops->read(part, peaks, &channels);
    *count = channels;
    return S_OK;
}

static HRESULT WINAPI meter_GetChannelsPeakValues(IAudioMeterInformation *iface, UINT32 count, float *values)
{
    struct meter_part *part = impl_from_IAudioMeterInformation(iface);
    float peaks[MMDEVAPI_MAX_CHANNELS];
    UINT32 channels;

    TRACE("(%p)->(%u, %p)\n", part, count, values);
    if (!values) return E_POINTER;
    part->ops->read(part, peaks, &channels);
    if (count != channels) return E_INVALIDARG;
    memcpy(values, peaks, count * sizeof(*values));
    return S_OK;
}

/* The meter is the engine's, in software. */
static HRESULT WINAPI meter_QueryHardwareSupport(IAudioMeterInformation *iface, DWORD *mask)
{
    struct meter_part *part = impl_from_IAudioMeterInformation(iface);

    TRACE("(%p)->(%p)\n", part, mask);
    if (!mask) return E_POINTER;
    *mask = 0;
    return S_OK;
}

static const IAudioMeterInformationVtbl meter_vtbl =
{
    meter_QueryInterface,
    meter_AddRef,
    meter_Release,
    meter_GetPeakValue,
    meter_GetMeteringChannelCount,
    meter_GetChannelsPeakValues,
    meter_QueryHardwareSupport,
};

void meter_part_init(struct meter_part *part, const struct meter_part_ops *ops)
{
    part->IAudioMeterInformation_iface.lpVtbl = &meter_vtbl;
    part->ops = ops;
}

/* The device's meter: an object of its own. */
struct audio_meter
{
    struct meter_part part;
    LONG ref;
    struct mmdevice *device;
};

static inline struct audio_meter *audio_meter_from(struct meter_part *part)
{
    return CONTAINING_RECORD(part, struct audio_meter, part);
}

static HRESULT audio_meter_query(struct meter_part *part, REFIID riid, void **out)
{
    if (!out) return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IAudioMeterInformation))
    {
        *out = &part->IAudioMeterInformation_iface;
        part->ops->addref(part);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG audio_meter_addref(struct meter_part *part)
{
    struct audio_meter *meter = audio_meter_from(part);
    ULONG ref = InterlockedIncrement(&meter->ref);

    TRACE("(%p) ref %lu\n", meter, ref);
    return ref;
}

static ULONG audio_meter_release(struct meter_part *part)
{
    struct audio_meter *meter = audio_meter_from(part);
    ULONG ref = InterlockedDecrement(&meter->ref);

    TRACE("(%p) ref %lu\n", meter, ref);
    if (!ref) free(meter);
    return ref;
}

/* The last period's peaks of the engine's mix; 0 while this process plays nothing on the endpoint
 * (its engine is the only mix it sees). */
static void audio_meter_read(struct meter_part *part, float peaks[MMDEVAPI_MAX_CHANNELS], UINT32 *channels)
{
    struct audio_meter *meter = audio_meter_from(part);
    struct engine_get_peaks_params params = {0};

    *channels = meter->device->format.channels;
    memset(peaks, 0, MMDEVAPI_MAX_CHANNELS * sizeof(*peaks));
    if (!(params.engine = __atomic_load_n(&meter->device->engine, __ATOMIC_ACQUIRE))) return;
    if (wine_unix_call(unix_engine_get_peaks, &params) || FAILED(params.result)) return;
    *channels = min(params.channels, MMDEVAPI_MAX_CHANNELS);
    memcpy(peaks, params.peaks, *channels * sizeof(*peaks));
}

static const struct meter_part_ops audio_meter_ops =
{
    audio_meter_query,
    audio_meter_addref,
    audio_meter_release,
    audio_meter_read,
};

HRESULT audio_meter_create(struct mmdevice *device, REFIID riid, void **out)
{
    struct audio_meter *meter;
    HRESULT hr;

    if (!(meter = calloc(1, sizeof(*meter)))) return E_OUTOFMEMORY;
    meter_part_init(&meter->part, &audio_meter_ops);
    meter->ref = 1;
    meter->device = device;
    hr = audio_meter_query(&meter->part, riid, out);
    audio_meter_release(&meter->part);
    return hr;
}
