/* The ALSA backend: the PCM named "default" (where the user's configuration points), then every
 * PCM device of every card, reached through plughw so that any format can be opened. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <alsa/asoundlib.h>
#include <windef.h>
#include <winbase.h>
#include <wingdi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <endpointvolume.h>
#include <wine/debug.h>

#include "backend.h"
#include "engine/channels.h"

WINE_DEFAULT_DEBUG_CHANNEL(mmdevapi);

static snd_pcm_stream_t pcm_stream_of(enum mmdevapi_flow flow)
{
    return flow == MMDEVAPI_RENDER ? SND_PCM_STREAM_PLAYBACK : SND_PCM_STREAM_CAPTURE;
}

/* The format a PCM runs best: float or the widest integer it takes, 48 kHz if it can, stereo if it
 * can. FALSE when the PCM cannot be opened. */
static BOOL probe_format(const char *pcm_name, snd_pcm_stream_t stream, struct endpoint_format *format)
{
    static const struct { snd_pcm_format_t alsa; UINT32 bits, valid_bits, is_float; } formats[] =
    {
        { SND_PCM_FORMAT_FLOAT_LE, 32, 32, TRUE },
        { SND_PCM_FORMAT_S32_LE, 32, 32, FALSE },
        { SND_PCM_FORMAT_S24_3LE, 24, 24, FALSE },
        { SND_PCM_FORMAT_S16_LE, 16, 16, FALSE },
        { SND_PCM_FORMAT_U8, 8, 8, FALSE },
    };
    snd_pcm_hw_params_t *params;
    unsigned int rate = 48000, channels_min, channels_max;
    snd_pcm_t *pcm;
    size_t i;
    int err;

    if ((err = snd_pcm_open(&pcm, pcm_name, stream, SND_PCM_NONBLOCK)) < 0)
    {
        WINE_TRACE("cannot open %s: %s\n", pcm_name, snd_strerror(err));
        return FALSE;
    }
    snd_pcm_hw_params_alloca(&params);
    if (snd_pcm_hw_params_any(pcm, params) < 0) goto fail;

    for (i = 0; i < ARRAY_SIZE(formats); i++)
        if (!snd_pcm_hw_params_test_format(pcm, params, formats[i].alsa)) break;
    if (i == ARRAY_SIZE(formats)) goto fail;
    format->bits = formats[i].bits;
    format->valid_bits = formats[i].valid_bits;
    format->is_float = formats[i].is_float;

    if (snd_pcm_hw_params_test_rate(pcm, params, 48000, 0) && snd_pcm_hw_params_test_rate(pcm, params, 44100, 0))
        snd_pcm_hw_params_set_rate_near(pcm, params, &rate, NULL);
    else if (snd_pcm_hw_params_test_rate(pcm, params, 48000, 0))
        rate = 44100;
    format->rate = rate;

    if (snd_pcm_hw_params_get_channels_min(params, &channels_min) < 0
        || snd_pcm_hw_params_get_channels_max(params, &channels_max) < 0)
        goto fail;
    format->channels = channels_min > 2 ? channels_min : channels_max < 2 ? channels_max : 2;
    if (format->channels > 8) format->channels = 8;
    format->channel_mask = channels_layout(format->channels, 0);

    snd_pcm_close(pcm);
    return TRUE;
fail:
    WINE_WARN("%s offers no format we can use\n", pcm_name);
    snd_pcm_close(pcm);
    return FALSE;
}

static BOOL alsa_probe(void)
{
    int card = -1;
    snd_pcm_t *pcm;

    if (snd_card_next(&card) >= 0 && card >= 0) return TRUE;
    if (snd_pcm_open(&pcm, "default", SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK) < 0
        && snd_pcm_open(&pcm, "default", SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK) < 0)
        return FALSE;
    snd_pcm_close(pcm);
    return TRUE;
}

static BOOL add_endpoint(struct endpoint_info *info, enum mmdevapi_flow flow, const char *key,
                         const char *probe_name, const char *name)
{
    memset(info, 0, sizeof(*info));
    /* The plain hw device shows what the card runs natively; it is busy while another program has
     * it, and then its plug wrapper answers for it. */
    if (!probe_format(probe_name, pcm_stream_of(flow), &info->format)
        && (!strcmp(probe_name, key) || !probe_format(key, pcm_stream_of(flow), &info->format)))
        return FALSE;
    endpoint_set_text(info->key, sizeof(info->key), key);
    endpoint_set_text(info->name, sizeof(info->name), name);
    info->form_factor = flow == MMDEVAPI_RENDER ? Speakers : Microphone;
    return TRUE;
}

/* The description the configuration gives to "default" (its first line), if any. */
static void default_description(char *name, size_t size)
{
    void **hints, **hint;
    char *hint_name, *desc;

    endpoint_set_text(name, size, "Default ALSA device");
    if (snd_device_name_hint(-1, "pcm", &hints) < 0) return;
    for (hint = hints; *hint; hint++)
    {
        hint_name = snd_device_name_get_hint(*hint, "NAME");
        desc = snd_device_name_get_hint(*hint, "DESC");
        if (hint_name && desc && !strcmp(hint_name, "default"))
        {
            desc[strcspn(desc, "\n")] = 0;
            endpoint_set_text(name, size, desc);
        }
        free(hint_name);
        free(desc);
    }
    snd_device_name_free_hint(hints);
}

static UINT32 add_card_endpoints(int card, enum mmdevapi_flow flow, struct endpoint_info *endpoints,
                                 UINT32 capacity)
{
    char ctl_name[32], key[MMDEVAPI_DEVICE_KEY_MAX], hw_name[MMDEVAPI_DEVICE_KEY_MAX];
    char name[MMDEVAPI_DEVICE_NAME_MAX];
    snd_ctl_card_info_t *card_info;
    snd_pcm_info_t *pcm_info;
    UINT32 count = 0;
    int device = -1;
    snd_ctl_t *ctl;

    snprintf(ctl_name, sizeof(ctl_name), "hw:%d", card);
    if (snd_ctl_open(&ctl, ctl_name, SND_CTL_NONBLOCK) < 0) return 0;
    snd_ctl_card_info_alloca(&card_info);
    snd_pcm_info_alloca(&pcm_info);
    if (snd_ctl_card_info(ctl, card_info) < 0) goto done;

    while (count < capacity && snd_ctl_pcm_next_device(ctl, &device) >= 0 && device >= 0)
    {
        snd_pcm_info_set_device(pcm_info, device);
        snd_pcm_info_set_subdevice(pcm_info, 0);
        snd_pcm_info_set_stream(pcm_info, pcm_stream_of(flow));
        if (snd_ctl_pcm_info(ctl, pcm_info) < 0) continue;   /* no such direction */
        /* The card's id, not its index, so that the key survives a change in probe order. */
        snprintf(key, sizeof(key), "plughw:CARD=%s,DEV=%d", snd_ctl_card_info_get_id(card_info), device);
        snprintf(hw_name, sizeof(hw_name), "hw:CARD=%s,DEV=%d", snd_ctl_card_info_get_id(card_info), device);
        snprintf(name, sizeof(name), "%s: %s", snd_ctl_card_info_get_name(card_info),
                 snd_pcm_info_get_name(pcm_info));
        if (add_endpoint(&endpoints[count], flow, key, hw_name, name)) count++;
    }
done:
    snd_ctl_close(ctl);
    return count;
}

static UINT32 alsa_list_endpoints(enum mmdevapi_flow flow, struct endpoint_info *endpoints, UINT32 capacity,
                                  UINT32 *default_index)
{
    char name[MMDEVAPI_DEVICE_NAME_MAX];
    UINT32 count = 0;
    int card = -1;

    if (capacity)
    {
        default_description(name, sizeof(name));
        if (add_endpoint(&endpoints[0], flow, "default", "default", name)) count++;
    }
    while (count < capacity && snd_card_next(&card) >= 0 && card >= 0)
        count += add_card_endpoints(card, flow, endpoints + count, capacity - count);

    /* "default" is where the user's configuration sends sound; without it, the first card. */
    *default_index = count ? 0 : MMDEVAPI_NO_DEFAULT;
    return count;
}

/* The engine keeps ALSA_FILL_PERIODS queued at most (two periods of slack for its wake-ups, its
 * lead), and at least ALSA_MIN_FILL_MS whatever the period: a small period wakes the engine more
 * often, it does not make it wake on time more surely (plugins such as pulse move data in their
 * own rhythm). The buffer asked for is a period larger, so that a device rounding it down still
 * holds the fill. */
#define ALSA_FILL_PERIODS 3
#define ALSA_MIN_FILL_MS 30
/* How long silence plays at most to see how far the device's pointer moves at a time. */
#define ALSA_PROBE_MS 250

static UINT64 alsa_now_ns(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000ull + now.tv_nsec;
}

/* Windows' speakers in the order of their mask bits, which is the order of a frame's channels. */
static const struct
{
    UINT32 speaker;
    unsigned int position;
}
speakers[] =
{
    { SPEAKER_FRONT_LEFT, SND_CHMAP_FL },
    { SPEAKER_FRONT_RIGHT, SND_CHMAP_FR },
    { SPEAKER_FRONT_CENTER, SND_CHMAP_FC },
    { SPEAKER_LOW_FREQUENCY, SND_CHMAP_LFE },
    { SPEAKER_BACK_LEFT, SND_CHMAP_RL },
    { SPEAKER_BACK_RIGHT, SND_CHMAP_RR },
    { SPEAKER_FRONT_LEFT_OF_CENTER, SND_CHMAP_FLC },
    { SPEAKER_FRONT_RIGHT_OF_CENTER, SND_CHMAP_FRC },
    { SPEAKER_BACK_CENTER, SND_CHMAP_RC },
    { SPEAKER_SIDE_LEFT, SND_CHMAP_SL },
    { SPEAKER_SIDE_RIGHT, SND_CHMAP_SR },
    { SPEAKER_TOP_CENTER, SND_CHMAP_TC },
    { SPEAKER_TOP_FRONT_LEFT, SND_CHMAP_TFL },
    { SPEAKER_TOP_FRONT_CENTER, SND_CHMAP_TFC },
    { SPEAKER_TOP_FRONT_RIGHT, SND_CHMAP_TFR },
    { SPEAKER_TOP_BACK_LEFT, SND_CHMAP_TRL },
    { SPEAKER_TOP_BACK_CENTER, SND_CHMAP_TRC },
    { SPEAKER_TOP_BACK_RIGHT, SND_CHMAP_TRR },
};

/* Tells the device which speaker each channel is for, where it lets us choose; most devices have
 * a fixed map or none, and plug passes the request on or refuses it. Either way we play. */
static void set_channel_map(snd_pcm_t *pcm, UINT32 mask, UINT32 channels)
{
    snd_pcm_chmap_t *map;
    unsigned int count = 0, i;
    int err;

    if (!mask) mask = channels_layout(channels, 0);
    if (!(map = malloc(sizeof(*map) + channels * sizeof(map->pos[0])))) return;
    map->channels = channels;
    if (channels == 1 && (!mask || mask == SPEAKER_FRONT_CENTER))
        map->pos[count++] = SND_CHMAP_MONO;
    for (i = 0; i < ARRAY_SIZE(speakers) && count < channels; i++)
        if (mask & speakers[i].speaker) map->pos[count++] = speakers[i].position;
    while (count < channels) map->pos[count++] = SND_CHMAP_UNKNOWN;
    if ((err = snd_pcm_set_chmap(pcm, map)) < 0)
        WINE_TRACE("channel map %#x not set: %s\n", mask, snd_strerror(err));
    free(map);
}

enum alsa_stream_state
{
    ALSA_STOPPED,       /* prepared; writes fill the buffer for the next start */
    ALSA_FILLING,       /* started, not running until the buffer holds fill_frames */
    ALSA_PLAYING,
};

struct alsa_stream
{
    snd_pcm_t *pcm;
    UINT32 rate;
    UINT32 period_frames;
    snd_pcm_uframes_t buffer_frames;
    snd_pcm_uframes_t fill_frames;  /* kept queued; whole periods, at most the buffer */
    enum alsa_stream_state state;
    BOOL invalidated;
    UINT64 written;                 /* frames written since the last stop */
    UINT64 heard;                   /* of those, the most that were reported heard */
    UINT64 underruns;
    BOOL capture;
    UINT32 channels;
};

static struct alsa_stream *alsa_stream_from(struct backend_stream *stream)
{
    return (struct alsa_stream *)stream;
}

static HRESULT alsa_open_error(const char *key, int err)
{
    WINE_WARN("cannot play on %s: %s\n", key, snd_strerror(err));
    switch (err)
    {
    case -EBUSY: return AUDCLNT_E_DEVICE_IN_USE;
    case -ENOMEM: return E_OUTOFMEMORY;
    case -EINVAL: return AUDCLNT_E_UNSUPPORTED_FORMAT;
    default: return AUDCLNT_E_DEVICE_INVALIDATED;
    }
}

/* An error of a running PCM: an underrun (or a suspend) is recovered from, and the stream fills
 * and starts again; anything else means the device is gone. */
static HRESULT alsa_recover(struct alsa_stream *stream, int err)
{
    if (stream->invalidated) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (err == -EPIPE || err == -ESTRPIPE)
    {
        if (err == -EPIPE) WINE_WARN("underrun %llu\n", (unsigned long long)++stream->underruns);
        if ((err == -ESTRPIPE && snd_pcm_resume(stream->pcm) >= 0) || (err = snd_pcm_prepare(stream->pcm)) >= 0)
        {
            /* A capture device records on at once: what it lost is lost. */
            if (stream->capture && stream->state != ALSA_STOPPED && (err = snd_pcm_start(stream->pcm)) < 0)
                goto lost;
            if (stream->state == ALSA_PLAYING) stream->state = ALSA_FILLING;
            /* Everything written was played when the buffer ran dry. */
            stream->heard = stream->written;
            return S_OK;
        }
    }
lost:
    WINE_WARN("device lost: %s\n", snd_strerror(err));
    stream->invalidated = TRUE;
    return AUDCLNT_E_DEVICE_INVALIDATED;
}

static void alsa_stream_close(struct backend_stream *iface)
{
    struct alsa_stream *stream = alsa_stream_from(iface);

    if (!stream) return;
    if (stream->pcm) snd_pcm_close(stream->pcm);
    free(stream);
}

/* min_fill: frames the device must hold at least (0: none beyond the above). */
static int alsa_set_params(struct alsa_stream *stream, const struct endpoint_format *format, UINT32 min_fill)
{
    snd_pcm_uframes_t period = stream->period_frames, fill, buffer;
    snd_pcm_t *pcm = stream->pcm;
    snd_pcm_hw_params_t *hw;
    snd_pcm_sw_params_t *sw;
    snd_pcm_uframes_t boundary;
    int err;

    fill = max(ALSA_FILL_PERIODS * period, (format->rate * ALSA_MIN_FILL_MS / 1000 + period - 1) / period * period);
    fill = max(fill, (min_fill + period - 1) / period * period);
    buffer = fill + period;
    snd_pcm_hw_params_alloca(&hw);
    if ((err = snd_pcm_hw_params_any(pcm, hw)) < 0
        || (err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0
        || (err = snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_FLOAT_LE)) < 0
        || (err = snd_pcm_hw_params_set_channels(pcm, hw, format->channels)) < 0
        || (err = snd_pcm_hw_params_set_rate(pcm, hw, format->rate, 0)) < 0
        || (err = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, NULL)) < 0
        || (err = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer)) < 0
        || (err = snd_pcm_hw_params(pcm, hw)) < 0
        || (err = snd_pcm_hw_params_get_period_size(hw, &period, NULL)) < 0
        || (err = snd_pcm_hw_params_get_buffer_size(hw, &buffer)) < 0)
        return err;

    /* One period beyond the device's own (its pointer moves by its periods), and at least the
     * fill asked for, in whole periods of ours, within the buffer. */
    stream->buffer_frames = buffer;
    stream->fill_frames = max(fill, stream->period_frames + period);
    stream->fill_frames = (stream->fill_frames + stream->period_frames - 1) / stream->period_frames
                          * stream->period_frames;
    while (stream->fill_frames > buffer && stream->fill_frames > stream->period_frames)
        stream->fill_frames -= stream->period_frames;
    if (stream->fill_frames > buffer) return -EINVAL;

    /* We start the device ourselves once it is filled. An underrun stops it: an empty buffer is
     * refilled before playing on. */
    snd_pcm_sw_params_alloca(&sw);
    if ((err = snd_pcm_sw_params_current(pcm, sw)) < 0
        || (err = snd_pcm_sw_params_get_boundary(sw, &boundary)) < 0
        || (err = snd_pcm_sw_params_set_start_threshold(pcm, sw, boundary)) < 0
        || (err = snd_pcm_sw_params_set_stop_threshold(pcm, sw, buffer)) < 0
        || (err = snd_pcm_sw_params(pcm, sw)) < 0)
        return err;
    WINE_TRACE("device period %lu, buffer %lu, fill %lu frames\n", period, buffer, stream->fill_frames);
    return 0;
}

/* Some devices move their pointer far more than a period at a time: PipeWire's ALSA plugin a graph
 * quantum, which users force up to 2048 frames (43 ms), alsa-lib's pulse plugin what the server
 * asks for. The buffer and fill must hold such a burst. Silence played for a moment into a large
 * buffer shows it, as the smallest step of the pointer. Returns the step in frames, 0 if it is
 * within a period or none was seen (a device without a clock takes everything at once). */
static UINT32 alsa_stream_burst(struct alsa_stream *stream, const struct endpoint_format *format)
{
    snd_pcm_sframes_t avail, last = 0;
    UINT32 burst = 0, steps = 0, step;
    UINT64 deadline;
    float *silence;

    if (!(silence = calloc(stream->buffer_frames, format->channels * sizeof(float)))) return 0;
    if (snd_pcm_writei(stream->pcm, silence, stream->buffer_frames) > 0 && snd_pcm_start(stream->pcm) >= 0)
    {
        /* The first step fills the device; its burst shows from the second. */
        for (deadline = alsa_now_ns() + ALSA_PROBE_MS * 1000000ull; steps < 3 && alsa_now_ns() < deadline;)
        {
            backend_poll(NULL, 0, 2000000);
            if ((avail = snd_pcm_avail(stream->pcm)) < 0 || (snd_pcm_uframes_t)avail >= stream->buffer_frames) break;
            if (avail <= last) continue;
            step = avail - last;
            if (last && steps++) burst = burst ? min(burst, step) : step;
            last = avail;
        }
    }
    free(silence);
    snd_pcm_drop(stream->pcm);
    WINE_TRACE("the device moves %u frames at a time\n", steps < 3 ? 0 : burst);
    return steps < 3 || burst <= stream->period_frames ? 0 : burst;
}

/* The device's burst (alsa_stream_burst), seen once a process for the last device opened. */
static struct { char key[MMDEVAPI_DEVICE_KEY_MAX]; UINT32 burst; } seen_burst;
static pthread_mutex_t seen_burst_lock = PTHREAD_MUTEX_INITIALIZER;

static BOOL alsa_known_burst(const char *key, UINT32 *burst)
{
    BOOL known;

    pthread_mutex_lock(&seen_burst_lock);
    if ((known = !strcmp(seen_burst.key, key))) *burst = seen_burst.burst;
    pthread_mutex_unlock(&seen_burst_lock);
    return known;
}

static void alsa_remember_burst(const char *key, UINT32 burst)
{
    pthread_mutex_lock(&seen_burst_lock);
    endpoint_set_text(seen_burst.key, sizeof(seen_burst.key), key);
    seen_burst.burst = burst;
    pthread_mutex_unlock(&seen_burst_lock);
}

static HRESULT alsa_stream_open(const char *key, enum mmdevapi_flow flow, const struct endpoint_format *format,
                                UINT32 period_frames, struct backend_stream **out, UINT32 *lead_frames)
{
    struct alsa_stream *stream;
    UINT32 burst = 0;
    int err;

    if (!out || !lead_frames) return E_INVALIDARG;
    *out = NULL;
    if (!key || !format || flow > MMDEVAPI_LOOPBACK || !format->is_float
        || format->bits != 32 || !format->channels || format->channels > 32 || !format->rate
        || format->rate > 768000 || !period_frames || period_frames > format->rate)
        return E_INVALIDARG;
    /* ALSA has no monitor of what a device plays: the engine records its own mix instead. */
    if (flow == MMDEVAPI_LOOPBACK) return E_NOTIMPL;

    if (!(stream = calloc(1, sizeof(*stream)))) return E_OUTOFMEMORY;
    stream->rate = format->rate;
    stream->period_frames = period_frames;
    stream->capture = flow == MMDEVAPI_CAPTURE;
    stream->channels = format->channels;
    if ((err = snd_pcm_open(&stream->pcm, key, pcm_stream_of(flow), SND_PCM_NONBLOCK)) < 0)
    {
        stream->pcm = NULL;
        goto fail;
    }
    if (!stream->capture && !alsa_known_burst(key, &burst))
    {
        if ((err = alsa_set_params(stream, format, format->rate * ALSA_PROBE_MS / 1000)) < 0) goto fail;
        alsa_remember_burst(key, (burst = alsa_stream_burst(stream, format)));
        if ((err = snd_pcm_hw_free(stream->pcm)) < 0) goto fail;
    }
    /* Beyond a burst of the device, a period and 10 ms more of the engine thread's wake-ups. */
    if ((err = alsa_set_params(stream, format, burst ? burst + period_frames + format->rate / 100 : 0)) < 0)
        goto fail;
    set_channel_map(stream->pcm, format->channel_mask, format->channels);
    *out = (struct backend_stream *)stream;
    *lead_frames = stream->capture ? 0 : stream->fill_frames - stream->period_frames;
    return S_OK;

fail:
    alsa_stream_close((struct backend_stream *)stream);
    return alsa_open_error(key, err);
}

/* Frames in the buffer not yet played, or an error. */
static snd_pcm_sframes_t alsa_queued(struct alsa_stream *stream)
{
    snd_pcm_sframes_t avail = snd_pcm_avail_update(stream->pcm);

    if (avail < 0) return avail;
    return (snd_pcm_uframes_t)avail < stream->buffer_frames ? stream->buffer_frames - avail : 0;
}

/* Frames the buffer has room for, recovering from an underrun on the way. */
static HRESULT alsa_room(struct alsa_stream *stream, UINT32 *frames)
{
    snd_pcm_sframes_t queued;
    HRESULT hr;

    *frames = 0;
    if (stream->invalidated) return AUDCLNT_E_DEVICE_INVALIDATED;
    if ((queued = alsa_queued(stream)) < 0)
    {
        if (FAILED(hr = alsa_recover(stream, queued))) return hr;
        queued = 0;
    }
    *frames = stream->buffer_frames - queued;
    return S_OK;
}

/* Starts the device once what was written since it stopped (or ran dry) holds the fill, less
 * than a period short of it; counted by us, since some PCMs (null) drain their buffer unstarted.
 * Also when its buffer takes no more: a plugin may keep what it held before it ran dry (pulse). */
static HRESULT alsa_play_if_filled(struct alsa_stream *stream)
{
    snd_pcm_sframes_t queued;
    int err;

    if (stream->state != ALSA_FILLING) return S_OK;
    if (stream->written - stream->heard + stream->period_frames <= stream->fill_frames)
    {
        if ((queued = alsa_queued(stream)) < 0) return alsa_recover(stream, queued);
        if (stream->buffer_frames - queued >= stream->period_frames) return S_OK;
    }
    if ((err = snd_pcm_start(stream->pcm)) < 0) return alsa_recover(stream, err);
    stream->state = ALSA_PLAYING;
    return S_OK;
}

static HRESULT alsa_stream_start(struct backend_stream *iface)
{
    struct alsa_stream *stream = alsa_stream_from(iface);

    if (!stream) return E_INVALIDARG;
    if (stream->invalidated) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (stream->capture)
    {
        int err;

        if (stream->state == ALSA_STOPPED && (err = snd_pcm_start(stream->pcm)) < 0) return alsa_recover(stream, err);
        stream->state = ALSA_PLAYING;
        return S_OK;
    }
    if (stream->state == ALSA_STOPPED) stream->state = ALSA_FILLING;
    return alsa_play_if_filled(stream);
}

static HRESULT alsa_stream_stop(struct backend_stream *iface)
{
    struct alsa_stream *stream = alsa_stream_from(iface);
    int err;

    if (!stream) return E_INVALIDARG;
    if (stream->invalidated) return AUDCLNT_E_DEVICE_INVALIDATED;
    if ((err = snd_pcm_drop(stream->pcm)) < 0 || (err = snd_pcm_prepare(stream->pcm)) < 0)
    {
        WINE_WARN("cannot stop: %s\n", snd_strerror(err));
        stream->invalidated = TRUE;
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    stream->state = ALSA_STOPPED;
    stream->written = stream->heard = 0;
    return S_OK;
}

static HRESULT alsa_stream_wait(struct backend_stream *iface, int wake_fd, INT64 timeout_ns)
{
    struct alsa_stream *stream = alsa_stream_from(iface);
    struct pollfd wake = { .fd = wake_fd, .events = POLLIN };

    if (!stream) return E_INVALIDARG;
    if (stream->invalidated) return AUDCLNT_E_DEVICE_INVALIDATED;
    /* alsa-lib's plugins run on their own (the pulse plugin in its server thread, dmix and hw in
     * the kernel): nothing to serve here. */
    if (backend_poll(&wake, wake_fd >= 0, timeout_ns) < 0) return alsa_recover(stream, -errno);
    return S_OK;
}

static HRESULT alsa_stream_write(struct backend_stream *iface, const float *frames, UINT32 count)
{
    struct alsa_stream *stream = alsa_stream_from(iface);
    snd_pcm_sframes_t done;
    UINT32 room;
    HRESULT hr;

    if (!stream || (!frames && count)) return E_INVALIDARG;
    if (FAILED(hr = alsa_room(stream, &room))) return hr;
    if (!count) return S_OK;
    if (count > room) return AUDCLNT_E_BUFFER_TOO_LARGE;
    if ((done = snd_pcm_writei(stream->pcm, frames, count)) < 0)
    {
        if (FAILED(hr = alsa_recover(stream, done))) return hr;
        if ((done = snd_pcm_writei(stream->pcm, frames, count)) < 0) return alsa_recover(stream, done);
    }
    /* Space was checked: a short write means the device stopped taking data under us. */
    if ((UINT32)done < count) WINE_WARN("wrote %ld of %u frames\n", (long)done, count);
    stream->written += done;
    return alsa_play_if_filled(stream);
}

/* Capture: what the buffer holds is ready to read; the delay adds what the device holds still. */
static HRESULT alsa_capture_delay(struct alsa_stream *stream, UINT64 *frames, UINT32 *room)
{
    snd_pcm_sframes_t avail, delay;
    HRESULT hr;

    if (room) *room = 0;
    if (stream->state != ALSA_PLAYING) return S_OK;
    if ((avail = snd_pcm_avail(stream->pcm)) < 0 || snd_pcm_delay(stream->pcm, &delay) < 0)
    {
        /* An overrun: it starts again, and what the buffer held is gone. */
        if (FAILED(hr = alsa_recover(stream, avail < 0 ? avail : -EPIPE))) return hr;
        avail = delay = 0;
    }
    *frames = max(avail, delay);
    if (room) *room = avail;
    return S_OK;
}

static HRESULT alsa_stream_read(struct backend_stream *iface, float *frames, UINT32 count)
{
    struct alsa_stream *stream = alsa_stream_from(iface);
    snd_pcm_sframes_t done;
    HRESULT hr;

    if (!stream || !stream->capture || (!frames && count)) return E_INVALIDARG;
    if (stream->invalidated) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (!count) return S_OK;
    if ((done = snd_pcm_readi(stream->pcm, frames, count)) < 0)
    {
        if (FAILED(hr = alsa_recover(stream, done))) return hr;
        done = 0;
    }
    /* Fewer than stream_delay said: the device lost them (an overrun); silence stands in. */
    if ((UINT32)done < count)
        memset(frames + (size_t)done * stream->channels, 0, (size_t)(count - done) * stream->channels * sizeof(float));
    return S_OK;
}

static HRESULT alsa_stream_delay(struct backend_stream *iface, UINT64 *frames, UINT32 *room)
{
    struct alsa_stream *stream = alsa_stream_from(iface);
    snd_pcm_sframes_t delay;
    UINT64 heard;
    HRESULT hr;
    int err;

    if (frames) *frames = 0;
    if (!stream || !frames) return E_INVALIDARG;
    if (stream->invalidated) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (stream->capture) return alsa_capture_delay(stream, frames, room);
    /* Until the device runs nothing more is heard (and some plugins give no delay then). */
    if (stream->state == ALSA_PLAYING)
    {
        if ((err = snd_pcm_delay(stream->pcm, &delay)) < 0)
        {
            /* An underrun: everything written was played. */
            if (FAILED(hr = alsa_recover(stream, err))) return hr;
            delay = 0;
        }
        if (delay < 0) delay = 0;
        heard = (UINT64)delay < stream->written ? stream->written - delay : 0;
        if (heard > stream->heard) stream->heard = heard;
        if (stream->heard > stream->written) stream->heard = stream->written;
    }
    *frames = stream->written - stream->heard;
    if (FAILED(hr = alsa_play_if_filled(stream))) return hr;
    return room ? alsa_room(stream, room) : S_OK;
}

/* ---- The endpoint's volume: the card's mixer control, where it has one ---- */

/* Playback and capture controls are read and set alike, through their own functions. */
struct alsa_mixer_ops
{
    int (*has_volume)(snd_mixer_elem_t *elem);
    int (*has_switch)(snd_mixer_elem_t *elem);
    int (*has_channel)(snd_mixer_elem_t *elem, snd_mixer_selem_channel_id_t channel);
    int (*get_range)(snd_mixer_elem_t *elem, long *min, long *max);
    int (*get_db_range)(snd_mixer_elem_t *elem, long *min, long *max);
    int (*get_volume)(snd_mixer_elem_t *elem, snd_mixer_selem_channel_id_t channel, long *value);
    int (*get_db)(snd_mixer_elem_t *elem, snd_mixer_selem_channel_id_t channel, long *value);
    int (*get_switch)(snd_mixer_elem_t *elem, snd_mixer_selem_channel_id_t channel, int *value);
    int (*set_volume)(snd_mixer_elem_t *elem, snd_mixer_selem_channel_id_t channel, long value);
    int (*set_db)(snd_mixer_elem_t *elem, snd_mixer_selem_channel_id_t channel, long value, int dir);
    int (*set_switch_all)(snd_mixer_elem_t *elem, int value);
};

static const struct alsa_mixer_ops playback_mixer_ops =
{
    snd_mixer_selem_has_playback_volume, snd_mixer_selem_has_playback_switch, snd_mixer_selem_has_playback_channel,
    snd_mixer_selem_get_playback_volume_range, snd_mixer_selem_get_playback_dB_range,
    snd_mixer_selem_get_playback_volume, snd_mixer_selem_get_playback_dB, snd_mixer_selem_get_playback_switch,
    snd_mixer_selem_set_playback_volume, snd_mixer_selem_set_playback_dB, snd_mixer_selem_set_playback_switch_all,
};

static const struct alsa_mixer_ops capture_mixer_ops =
{
    snd_mixer_selem_has_capture_volume, snd_mixer_selem_has_capture_switch, snd_mixer_selem_has_capture_channel,
    snd_mixer_selem_get_capture_volume_range, snd_mixer_selem_get_capture_dB_range,
    snd_mixer_selem_get_capture_volume, snd_mixer_selem_get_capture_dB, snd_mixer_selem_get_capture_switch,
    snd_mixer_selem_set_capture_volume, snd_mixer_selem_set_capture_dB, snd_mixer_selem_set_capture_switch_all,
};

/* The steps IAudioEndpointVolume offers at most: a control of thousands of steps (a sound server's)
 * moves in whole percents. */
#define ALSA_VOLUME_STEPS_MAX 101
/* The range of a control without dB figures, whose steps are taken as the cubic scale. */
#define ALSA_VOLUME_MIN_DB -120.0f

/* The card's control of an endpoint: the mixer of "default" (where the configuration points) or of
 * a card, and its master control with a volume and a switch (mute), e.g. alsamixer's "Master". */
struct alsa_mixer
{
    snd_mixer_t *mixer;
    snd_mixer_elem_t *elem;
    const struct alsa_mixer_ops *ops;
    long min, max;                  /* raw steps */
    long min_db, max_db;            /* in 1/100 dB, when has_db */
    BOOL has_db;
};

static BOOL alsa_mixer_open(const char *key, enum mmdevapi_flow flow, struct alsa_mixer *mixer)
{
    static const char *const render_names[] = { "Master", "PCM", "Speaker", "Headphone" };
    static const char *const capture_names[] = { "Capture", "Mic", "Internal Mic" };
    const char *const *names = flow == MMDEVAPI_RENDER ? render_names : capture_names;
    size_t count = flow == MMDEVAPI_RENDER ? ARRAY_SIZE(render_names) : ARRAY_SIZE(capture_names), i;
    char device[MMDEVAPI_DEVICE_KEY_MAX];
    snd_mixer_selem_id_t *id;

    memset(mixer, 0, sizeof(*mixer));
    mixer->ops = flow == MMDEVAPI_RENDER ? &playback_mixer_ops : &capture_mixer_ops;
    if (!strcmp(key, "default")) endpoint_set_text(device, sizeof(device), key);
    /* "plughw:CARD=id,DEV=n": the card's mixer is "hw:CARD=id". */
    else if (!strncmp(key, "plughw:CARD=", 12)) snprintf(device, sizeof(device), "hw:%.*s", (int)strcspn(key + 7, ","), key + 7);
    else return FALSE;
    if (snd_mixer_open(&mixer->mixer, 0) < 0) return FALSE;
    if (snd_mixer_attach(mixer->mixer, device) < 0 || snd_mixer_selem_register(mixer->mixer, NULL, NULL) < 0
        || snd_mixer_load(mixer->mixer) < 0)
        goto fail;
    snd_mixer_selem_id_alloca(&id);
    for (i = 0; i < count && !mixer->elem; i++)
    {
        snd_mixer_selem_id_set_name(id, names[i]);
        snd_mixer_selem_id_set_index(id, 0);
        mixer->elem = snd_mixer_find_selem(mixer->mixer, id);
        if (mixer->elem && (!mixer->ops->has_volume(mixer->elem) || !mixer->ops->has_switch(mixer->elem)
                            || mixer->ops->get_range(mixer->elem, &mixer->min, &mixer->max) < 0
                            || mixer->max <= mixer->min))
            mixer->elem = NULL;
    }
    if (!mixer->elem) goto fail;
    mixer->has_db = !mixer->ops->get_db_range(mixer->elem, &mixer->min_db, &mixer->max_db)
                    && mixer->min_db < mixer->max_db;
    return TRUE;
fail:
    snd_mixer_close(mixer->mixer);
    mixer->mixer = NULL;
    return FALSE;
}

/* The control's channel for an endpoint's: a mono control serves them all. */
static snd_mixer_selem_channel_id_t alsa_mixer_channel(const struct alsa_mixer *mixer, UINT32 channel)
{
    return mixer->ops->has_channel(mixer->elem, channel) ? (snd_mixer_selem_channel_id_t)channel : SND_MIXER_SCHN_MONO;
}

/* Levels are relative to the control's top (1.0), in dB where the control says them. */
static float alsa_mixer_level(const struct alsa_mixer *mixer, snd_mixer_selem_channel_id_t channel)
{
    long value;

    if (mixer->has_db)
    {
        if (mixer->ops->get_db(mixer->elem, channel, &value) < 0 || value <= mixer->min_db) return 0.0f;
        return min(1.0f, powf(10.0f, (value - mixer->max_db) / 6000.0f));
    }
    if (mixer->ops->get_volume(mixer->elem, channel, &value) < 0) return 0.0f;
    return (float)(min(max(value, mixer->min), mixer->max) - mixer->min) / (mixer->max - mixer->min);
}

static HRESULT alsa_volume_get(const char *key, enum mmdevapi_flow flow, struct endpoint_volume *volume)
{
    UINT32 channels = volume->channels, i;
    struct alsa_mixer mixer;
    int on = 1;

    if (!channels || channels > MMDEVAPI_MAX_CHANNELS) return E_INVALIDARG;
    if (!alsa_mixer_open(key, flow, &mixer)) return E_NOTIMPL;
    memset(volume, 0, sizeof(*volume));
    volume->channels = channels;
    for (i = 0; i < channels; i++) volume->levels[i] = alsa_mixer_level(&mixer, alsa_mixer_channel(&mixer, i));
    mixer.ops->get_switch(mixer.elem, alsa_mixer_channel(&mixer, 0), &on);
    volume->mute = !on;
    volume->step_count = min(mixer.max - mixer.min + 1, ALSA_VOLUME_STEPS_MAX);
    volume->min_db = mixer.has_db ? (mixer.min_db - mixer.max_db) / 100.0f : ALSA_VOLUME_MIN_DB;
    volume->max_db = 0.0f;
    volume->increment_db = -volume->min_db / (mixer.has_db ? mixer.max - mixer.min : (long)volume->step_count - 1);
    volume->hardware = ENDPOINT_HARDWARE_SUPPORT_VOLUME | ENDPOINT_HARDWARE_SUPPORT_MUTE;
    snd_mixer_close(mixer.mixer);
    return S_OK;
}

static HRESULT alsa_volume_set(const char *key, enum mmdevapi_flow flow, const struct endpoint_volume *volume)
{
    snd_mixer_selem_channel_id_t channel;
    struct alsa_mixer mixer;
    HRESULT hr = S_OK;
    float level;
    int err = 0;

    if (!volume->channels || volume->channels > MMDEVAPI_MAX_CHANNELS) return E_INVALIDARG;
    if (!alsa_mixer_open(key, flow, &mixer)) return E_NOTIMPL;
    for (channel = 0; channel <= SND_MIXER_SCHN_LAST && err >= 0; channel++)
    {
        if (!mixer.ops->has_channel(mixer.elem, channel)) continue;
        level = volume->levels[min((UINT32)channel, volume->channels - 1)];
        /* Only what changed: a write tells everyone watching the card. */
        if (alsa_mixer_level(&mixer, channel) == level) continue;
        if (level <= 0.0f) err = mixer.ops->set_volume(mixer.elem, channel, mixer.min);
        else if (mixer.has_db)
            err = mixer.ops->set_db(mixer.elem, channel, mixer.max_db + lrintf(6000.0f * log10f(level)), 1);
        else err = mixer.ops->set_volume(mixer.elem, channel, mixer.min + lrintf(level * (mixer.max - mixer.min)));
    }
    if (err >= 0)
    {
        int on = 1;

        mixer.ops->get_switch(mixer.elem, alsa_mixer_channel(&mixer, 0), &on);
        if (!on != !!volume->mute) err = mixer.ops->set_switch_all(mixer.elem, !volume->mute);
    }
    if (err < 0)
    {
        WINE_WARN("cannot set the volume of %s: %s\n", key, snd_strerror(err));
        hr = AUDCLNT_E_DEVICE_INVALIDATED;
    }
    snd_mixer_close(mixer.mixer);
    return hr;
}

/* The watch thread's controls: "default"'s and each card's, subscribed to their events. */
#define ALSA_WATCH_MAX 16
static snd_ctl_t *watched_ctls[ALSA_WATCH_MAX];
static UINT32 watched_count;
static BOOL watch_opened;

static void alsa_watch_add(const char *name)
{
    snd_ctl_t *ctl;

    if (watched_count == ALSA_WATCH_MAX || snd_ctl_open(&ctl, name, SND_CTL_NONBLOCK) < 0) return;
    if (snd_ctl_subscribe_events(ctl, 1) < 0)
    {
        snd_ctl_close(ctl);
        return;
    }
    watched_ctls[watched_count++] = ctl;
}

/* Volumes only: cards that come and go are not watched yet (alsa-lib has no event for them). */
static HRESULT alsa_watch(INT64 timeout_ns, UINT32 *changes)
{
    struct pollfd fds[ALSA_WATCH_MAX * 4];
    snd_ctl_event_t *event;
    unsigned short revents;
    UINT32 i, count = 0;
    BOOL changed = FALSE;
    char name[32];
    int card = -1, n;

    if (!watch_opened)
    {
        watch_opened = TRUE;
        alsa_watch_add("default");
        while (snd_card_next(&card) >= 0 && card >= 0)
        {
            snprintf(name, sizeof(name), "hw:%d", card);
            alsa_watch_add(name);
        }
        /* Changes made before the subscription were not seen: the caller looks again. */
        *changes = MMDEVAPI_CHANGED_VOLUME;
        return S_OK;
    }
    for (i = 0; i < watched_count; i++)
    {
        n = snd_ctl_poll_descriptors(watched_ctls[i], fds + count, ARRAY_SIZE(fds) - count);
        if (n > 0) count += n;
    }
    if (backend_poll(fds, count, timeout_ns) <= 0) return S_FALSE;
    snd_ctl_event_alloca(&event);
    for (i = 0, count = 0; i < watched_count; i++)
    {
        n = snd_ctl_poll_descriptors_count(watched_ctls[i]);
        if (n > 0 && !snd_ctl_poll_descriptors_revents(watched_ctls[i], fds + count, n, &revents) && revents)
            while (snd_ctl_read(watched_ctls[i], event) > 0) changed = TRUE;
        if (n > 0) count += n;
    }
    if (!changed) return S_FALSE;
    *changes = MMDEVAPI_CHANGED_VOLUME;
    return S_OK;
}

const struct backend_ops alsa_backend =
{
    .name = "alsa",
    .probe = alsa_probe,
    .list_endpoints = alsa_list_endpoints,
    .stream_open = alsa_stream_open,
    .stream_close = alsa_stream_close,
    .stream_start = alsa_stream_start,
    .stream_stop = alsa_stream_stop,
    .stream_wait = alsa_stream_wait,
    .stream_write = alsa_stream_write,
    .stream_delay = alsa_stream_delay,
    .volume_get = alsa_volume_get,
    .volume_set = alsa_volume_set,
    .watch = alsa_watch,
    .stream_read = alsa_stream_read,
};
