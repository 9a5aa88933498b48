/* The ALSA backend: the PCM named "default" (where the user's configuration points), then every
 * PCM device of every card, reached through plughw so that any format can be opened. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <alsa/asoundlib.h>
#include <windef.h>
#include <winbase.h>
#include <mmdeviceapi.h>
#include <wine/debug.h>

#include "backend.h"

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
    format->channel_mask = endpoint_default_channel_mask(format->channels);

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

const struct backend_ops alsa_backend =
{
    .name = "alsa",
    .probe = alsa_probe,
    .list_endpoints = alsa_list_endpoints,
};
