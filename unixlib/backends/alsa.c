/* The ALSA backend: the PCM named "default" (where the user's configuration points), then every
 * PCM device of every card, reached through plughw so that any format can be opened. */
#include <errno.h>
#include <poll.h>
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
            if (stream->state == ALSA_PLAYING) stream->state = ALSA_FILLING;
            /* Everything written was played when the buffer ran dry. */
            stream->heard = stream->written;
            return S_OK;
        }
    }
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

static int alsa_set_params(struct alsa_stream *stream, const struct endpoint_format *format)
{
    snd_pcm_uframes_t period = stream->period_frames, fill, buffer;
    snd_pcm_t *pcm = stream->pcm;
    snd_pcm_hw_params_t *hw;
    snd_pcm_sw_params_t *sw;
    snd_pcm_uframes_t boundary;
    int err;

    fill = max(ALSA_FILL_PERIODS * period, (format->rate * ALSA_MIN_FILL_MS / 1000 + period - 1) / period * period);
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

static HRESULT alsa_stream_open(const char *key, enum mmdevapi_flow flow, const struct endpoint_format *format,
                                UINT32 period_frames, struct backend_stream **out, UINT32 *lead_frames)
{
    struct alsa_stream *stream;
    int err;

    if (!out || !lead_frames) return E_INVALIDARG;
    *out = NULL;
    if (!key || !format || (flow != MMDEVAPI_RENDER && flow != MMDEVAPI_CAPTURE) || !format->is_float
        || format->bits != 32 || !format->channels || format->channels > 32 || !format->rate
        || format->rate > 768000 || !period_frames || period_frames > format->rate)
        return E_INVALIDARG;
    if (flow == MMDEVAPI_CAPTURE) return E_NOTIMPL;

    if (!(stream = calloc(1, sizeof(*stream)))) return E_OUTOFMEMORY;
    stream->rate = format->rate;
    stream->period_frames = period_frames;
    if ((err = snd_pcm_open(&stream->pcm, key, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)) < 0)
    {
        stream->pcm = NULL;
        goto fail;
    }
    if ((err = alsa_set_params(stream, format)) < 0) goto fail;
    set_channel_map(stream->pcm, format->channel_mask, format->channels);
    *out = (struct backend_stream *)stream;
    *lead_frames = stream->fill_frames - stream->period_frames;
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
};
