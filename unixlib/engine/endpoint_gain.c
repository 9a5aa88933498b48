/* The endpoint's volume: the device's own control through the backend, else a gain of the engine's
 * own, which every engine of the endpoint in this process applies to its mix (as Windows does in
 * software for a device without a volume control). And the meter: the peaks of what the engine
 * hands the device. */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <windef.h>
#include <winbase.h>
#include <winerror.h>

#include "endpoint_gain.h"

/* Endpoints whose gain the engine holds; a process has few, and they live as long as it. */
#define GAINS_MAX 64
/* The steps and range of the engine's gain: whole percents on the cubic scale, down to 1 %. */
#define GAIN_STEPS 101
#define GAIN_MIN_DB -120.0f

struct endpoint_gain
{
    char key[MMDEVAPI_DEVICE_KEY_MAX];
    enum mmdevapi_flow flow;
    /* Read by engine threads without a lock, written under gains_lock: each a whole 32-bit word. */
    UINT32 active;                  /* the device has no control of its own: the gain applies */
    UINT32 mute;
    UINT32 channels;
    float levels[MMDEVAPI_MAX_CHANNELS];
};

static pthread_mutex_t gains_lock = PTHREAD_MUTEX_INITIALIZER;
static struct endpoint_gain gains[GAINS_MAX];
static UINT32 gain_count;

static struct endpoint_gain *find_gain(const char *key, enum mmdevapi_flow flow)
{
    struct endpoint_gain *gain;
    UINT32 i;

    for (i = 0; i < gain_count; i++)
        if (gains[i].flow == flow && !strcmp(gains[i].key, key)) return &gains[i];
    if (gain_count == GAINS_MAX) return NULL;
    gain = &gains[gain_count];
    endpoint_set_text(gain->key, sizeof(gain->key), key);
    gain->flow = flow;
    for (i = 0; i < MMDEVAPI_MAX_CHANNELS; i++) gain->levels[i] = 1.0f;
    gain_count++;
    return gain;
}

struct endpoint_gain *endpoint_gain_get(const char *key, enum mmdevapi_flow flow)
{
    struct endpoint_gain *gain;

    pthread_mutex_lock(&gains_lock);
    gain = find_gain(key, flow);
    pthread_mutex_unlock(&gains_lock);
    return gain;
}

HRESULT endpoint_volume_get(const struct backend_ops *backend, const char *key, enum mmdevapi_flow flow,
                            struct endpoint_volume *volume)
{
    UINT32 channels = volume->channels, i;
    struct endpoint_gain *gain;
    HRESULT hr;

    if (backend->volume_get && (hr = backend->volume_get(key, flow, volume)) != E_NOTIMPL)
    {
        if (volume->channels > MMDEVAPI_MAX_CHANNELS) volume->channels = MMDEVAPI_MAX_CHANNELS;
        return hr;
    }
    if (!channels || channels > MMDEVAPI_MAX_CHANNELS) return E_INVALIDARG;
    memset(volume, 0, sizeof(*volume));
    pthread_mutex_lock(&gains_lock);
    if ((gain = find_gain(key, flow)))
    {
        __atomic_store_n(&gain->active, 1, __ATOMIC_RELAXED);
        if (!gain->channels) __atomic_store_n(&gain->channels, channels, __ATOMIC_RELAXED);
        volume->channels = gain->channels;
        volume->mute = gain->mute;
        for (i = 0; i < gain->channels; i++) volume->levels[i] = gain->levels[i];
    }
    pthread_mutex_unlock(&gains_lock);
    if (!gain) return E_OUTOFMEMORY;
    volume->min_db = GAIN_MIN_DB;
    volume->max_db = 0.0f;
    volume->increment_db = -GAIN_MIN_DB / (GAIN_STEPS - 1);
    volume->step_count = GAIN_STEPS;
    volume->hardware = 0;
    return S_OK;
}

HRESULT endpoint_volume_set(const struct backend_ops *backend, const char *key, enum mmdevapi_flow flow,
                            const struct endpoint_volume *volume)
{
    struct endpoint_gain *gain;
    HRESULT hr = S_OK;
    UINT32 i;

    if (backend->volume_set && (hr = backend->volume_set(key, flow, volume)) != E_NOTIMPL) return hr;
    hr = S_OK;
    pthread_mutex_lock(&gains_lock);
    if (!(gain = find_gain(key, flow))) hr = E_OUTOFMEMORY;
    else if (gain->channels && volume->channels != gain->channels) hr = E_INVALIDARG;
    else
    {
        for (i = 0; i < volume->channels; i++) __atomic_store(&gain->levels[i], &volume->levels[i], __ATOMIC_RELAXED);
        __atomic_store_n(&gain->mute, volume->mute, __ATOMIC_RELAXED);
        __atomic_store_n(&gain->channels, volume->channels, __ATOMIC_RELAXED);
        __atomic_store_n(&gain->active, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&gains_lock);
    return hr;
}


static UINT64 monotonic_ns(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000ull + now.tv_nsec;
}

void endpoint_gain_apply(const struct endpoint_gain *gain, struct endpoint_meter *meter, float *mix,
                         UINT32 channels, UINT32 frames, UINT32 rate)
{
    float gains[MMDEVAPI_MAX_CHANNELS], peaks[MMDEVAPI_MAX_CHANNELS] = {0}, level, value;
    UINT32 c, f, bits, known;
    BOOL apply = FALSE, mute;
    float *frame;

    if (channels > MMDEVAPI_MAX_CHANNELS) return;
    for (f = 0, frame = mix; f < frames; f++, frame += channels)
        for (c = 0; c < channels; c++)
            if ((value = fabsf(frame[c])) > peaks[c]) peaks[c] = value;
    for (c = 0; c < channels; c++)
    {
        memcpy(&bits, &peaks[c], sizeof(bits));
        __atomic_store_n(&meter->peak_bits[c], bits, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&meter->period_ns, frames * 1000000000ull / rate, __ATOMIC_RELAXED);
    __atomic_store_n(&meter->measured_ns, monotonic_ns(), __ATOMIC_RELEASE);

    if (!gain || !__atomic_load_n(&gain->active, __ATOMIC_ACQUIRE)) return;
    mute = __atomic_load_n(&gain->mute, __ATOMIC_RELAXED);
    /* A channel beyond those the gain was set for keeps unity. */
    known = __atomic_load_n(&gain->channels, __ATOMIC_RELAXED);
    for (c = 0; c < channels; c++)
    {
        if (c < known) __atomic_load(&gain->levels[c], &level, __ATOMIC_RELAXED);
        else level = 1.0f;
        gains[c] = mute ? 0.0f : level * level * level;
        apply |= gains[c] != 1.0f;
    }
    if (!apply) return;
    for (f = 0, frame = mix; f < frames; f++, frame += channels)
        for (c = 0; c < channels; c++) frame[c] *= gains[c];
}

void endpoint_meter_stream(UINT32 *peak_bits, const float *frames, const float *gains, UINT32 channels,
                           UINT32 count)
{
    float peaks[MMDEVAPI_MAX_CHANNELS] = {0}, value;
    UINT32 c, f, bits;

    if (channels > MMDEVAPI_MAX_CHANNELS) return;
    for (f = 0; f < count; f++, frames += channels)
        for (c = 0; c < channels; c++)
            if ((value = fabsf(frames[c] * gains[c])) > peaks[c]) peaks[c] = value;
    for (c = 0; c < channels; c++)
    {
        memcpy(&bits, &peaks[c], sizeof(bits));
        __atomic_store_n(&peak_bits[c], bits, __ATOMIC_RELAXED);
    }
}

void endpoint_meter_read(const struct endpoint_meter *meter, UINT32 channels, float *peaks)
{
    UINT64 measured = __atomic_load_n(&meter->measured_ns, __ATOMIC_ACQUIRE);
    UINT64 period = __atomic_load_n(&meter->period_ns, __ATOMIC_RELAXED);
    /* A period late is still the last one: the engine mixes a little ahead and wakes late. */
    BOOL current = measured && monotonic_ns() - measured <= 3 * period + 5000000;
    UINT32 c, bits;

    for (c = 0; c < channels && c < MMDEVAPI_MAX_CHANNELS; c++)
    {
        bits = current ? __atomic_load_n(&meter->peak_bits[c], __ATOMIC_RELAXED) : 0;
        memcpy(&peaks[c], &bits, sizeof(bits));
    }
}
