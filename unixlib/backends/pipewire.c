/* The native PipeWire backend (libpipewire-0.3, as of 0.3.65). Each connection has its own
 * pw_loop, served only by the thread that calls us (the engine thread for a stream), so that the
 * control side's callbacks run on a Wine thread. The graph's data thread of libpipewire calls our
 * process callback: it never calls Wine, it only moves frames between the graph and a
 * single-producer, single-consumer ring whose other end is the engine thread's, and publishes the
 * graph's time for the engine thread to read. The data thread, not the engine thread, meets the
 * graph: at quanta below our period the graph asks several times a period (about 800 times a
 * second at 64 frames, measured), each within the quantum, which the data thread does at real-time
 * priority while the engine thread wakes once a period and, on a loaded machine, ms late. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pipewire/pipewire.h>
#include <pipewire/extensions/metadata.h>
#include <spa/param/audio/format-utils.h>
#include <spa/param/props.h>
#include <spa/pod/iter.h>
/* Its initializers leave fields out, which our warnings flag. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <spa/utils/json.h>
#pragma GCC diagnostic pop
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

/* How long the daemon may take to answer before we treat it as gone. */
#define PIPEWIRE_TIMEOUT_NS (2 * 1000000000ll)
/* Beyond the graph's quantum, what the engine keeps queued for its own wake-ups coming late on a
 * loaded machine: the data thread takes a whole quantum at the start of each cycle. With 5 ms,
 * holes reached the sink at a forced quantum of 64 on a busy machine; with 10 ms, 256-frame holes
 * reached it under AddressSanitizer beside CI's other tests (the pulse backend's least lead is
 * 20 ms for the same reason: Wine's server stalls the engine thread for several ms now and then). */
#define PIPEWIRE_MARGIN_MS 20
/* The least the ring holds: the engine's lead and periods, and a quantum the graph may grow to. */
#define PIPEWIRE_RING_MS 500
/* The Windows process id on our nodes, as the pulse backend names it on its streams. */
#define PIPEWIRE_PROP_WINDOWS_PROCESS_ID "application.process.windows_id"

static UINT64 monotonic_ns(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000ull + now.tv_nsec;
}

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void library_init(void)
{
    pw_init(NULL, NULL);
}

struct pipewire_connection
{
    struct pw_loop *loop;
    struct pw_context *context;
    struct pw_core *core;
    struct spa_hook core_listener;
    int pending_seq;        /* the last sync asked of the daemon */
    BOOL synced;            /* its answer came */
    BOOL broken;            /* the daemon is gone or refused us */
};

static void on_core_done(void *arg, uint32_t id, int seq)
{
    struct pipewire_connection *conn = arg;

    if (id == PW_ID_CORE && seq == conn->pending_seq) conn->synced = TRUE;
}

static void on_core_error(void *arg, uint32_t id, int seq, int res, const char *message)
{
    struct pipewire_connection *conn = arg;

    WINE_WARN("PipeWire error on object %u: %s (%d)\n", id, message, res);
    /* The core's own errors end the connection; an object's (a node gone) concern only it. */
    if (id == PW_ID_CORE) conn->broken = TRUE;
}

static const struct pw_core_events core_events =
{
    PW_VERSION_CORE_EVENTS,
    .done = on_core_done,
    .error = on_core_error,
};

static void pipewire_disconnect(struct pipewire_connection *conn)
{
    if (conn->core)
    {
        spa_hook_remove(&conn->core_listener);
        pw_core_disconnect(conn->core);
    }
    if (conn->context) pw_context_destroy(conn->context);
    if (conn->loop) pw_loop_destroy(conn->loop);
    memset(conn, 0, sizeof(*conn));
}

/* Connects as the application called name; config is the client configuration file
 * (client-rt.conf: the data thread asks for real-time priority). One thread at a time serves the
 * connection's loop. */
static BOOL pipewire_connect(struct pipewire_connection *conn, const char *config, const char *name)
{
    memset(conn, 0, sizeof(*conn));
    pthread_once(&library_once, library_init);
    if (!(conn->loop = pw_loop_new(NULL))) return FALSE;
    if (!(conn->context = pw_context_new(conn->loop, pw_properties_new(PW_KEY_CONFIG_NAME, config,
                                                                       PW_KEY_APP_NAME, name,
                                                                       PW_KEY_APP_ICON_NAME, "wine", NULL), 0)))
        goto fail;
    /* Fails at once when no daemon listens. */
    if (!(conn->core = pw_context_connect(conn->context, NULL, 0))) goto fail;
    pw_core_add_listener(conn->core, &conn->core_listener, &core_events, conn);
    return TRUE;
fail:
    WINE_TRACE("no PipeWire daemon: %s\n", strerror(errno));
    pipewire_disconnect(conn);
    return FALSE;
}

/* Serves the loop once, waiting for the daemon until the deadline at most (0: not at all,
 * UINT64_MAX: no deadline). The loop is entered only meanwhile: one thread may serve several
 * connections in turn. */
static int pipewire_iterate(struct pipewire_connection *conn, UINT64 deadline)
{
    UINT64 now = monotonic_ns();
    int ret, timeout_ms;

    if (deadline == UINT64_MAX) timeout_ms = -1;
    else timeout_ms = deadline > now ? (int)min((deadline - now + 999999) / 1000000, (UINT64)INT_MAX) : 0;
    pw_loop_enter(conn->loop);
    ret = pw_loop_iterate(conn->loop, timeout_ms);
    pw_loop_leave(conn->loop);
    return ret == -EINTR ? 0 : ret;
}

/* Serves the loop until done(arg); FALSE if the daemon went away or the deadline passed first. */
static BOOL pipewire_run_until(struct pipewire_connection *conn, BOOL (*done)(void *), void *arg, UINT64 deadline)
{
    while (!done(arg))
        if (conn->broken || monotonic_ns() >= deadline || pipewire_iterate(conn, deadline) < 0) return FALSE;
    return !conn->broken;
}

static BOOL connection_synced(void *arg)
{
    return ((struct pipewire_connection *)arg)->synced;
}

/* Serves the loop until everything asked before has been answered; FALSE if the daemon did not
 * answer by the deadline or went away. */
static BOOL pipewire_roundtrip(struct pipewire_connection *conn, UINT64 deadline)
{
    conn->synced = FALSE;
    conn->pending_seq = pw_core_sync(conn->core, PW_ID_CORE, conn->pending_seq);
    return pipewire_run_until(conn, connection_synced, conn, deadline);
}

static BOOL pipewire_probe(void)
{
    struct pipewire_connection conn;
    BOOL ok;

    if (!pipewire_connect(&conn, "client.conf", "Wine mmdevapi")) return FALSE;
    ok = pipewire_roundtrip(&conn, monotonic_ns() + PIPEWIRE_TIMEOUT_NS);
    pipewire_disconnect(&conn);
    return ok;
}

/* Windows' speakers in the order of their mask bits, which is the order of a frame's channels. */
static const struct
{
    UINT32 speaker;
    UINT32 position;
}
speakers[] =
{
    { SPEAKER_FRONT_LEFT, SPA_AUDIO_CHANNEL_FL },
    { SPEAKER_FRONT_RIGHT, SPA_AUDIO_CHANNEL_FR },
    { SPEAKER_FRONT_CENTER, SPA_AUDIO_CHANNEL_FC },
    { SPEAKER_LOW_FREQUENCY, SPA_AUDIO_CHANNEL_LFE },
    { SPEAKER_BACK_LEFT, SPA_AUDIO_CHANNEL_RL },
    { SPEAKER_BACK_RIGHT, SPA_AUDIO_CHANNEL_RR },
    { SPEAKER_FRONT_LEFT_OF_CENTER, SPA_AUDIO_CHANNEL_FLC },
    { SPEAKER_FRONT_RIGHT_OF_CENTER, SPA_AUDIO_CHANNEL_FRC },
    { SPEAKER_BACK_CENTER, SPA_AUDIO_CHANNEL_RC },
    { SPEAKER_SIDE_LEFT, SPA_AUDIO_CHANNEL_SL },
    { SPEAKER_SIDE_RIGHT, SPA_AUDIO_CHANNEL_SR },
    { SPEAKER_TOP_CENTER, SPA_AUDIO_CHANNEL_TC },
    { SPEAKER_TOP_FRONT_LEFT, SPA_AUDIO_CHANNEL_TFL },
    { SPEAKER_TOP_FRONT_CENTER, SPA_AUDIO_CHANNEL_TFC },
    { SPEAKER_TOP_FRONT_RIGHT, SPA_AUDIO_CHANNEL_TFR },
    { SPEAKER_TOP_BACK_LEFT, SPA_AUDIO_CHANNEL_TRL },
    { SPEAKER_TOP_BACK_CENTER, SPA_AUDIO_CHANNEL_TRC },
    { SPEAKER_TOP_BACK_RIGHT, SPA_AUDIO_CHANNEL_TRR },
};

/* Windows describes a layout by a mask, one bit a channel; positions that a mask cannot say
 * (aux channels, a position twice, none given) get the usual layout for the channel count. */
static UINT32 channel_mask_of_positions(const UINT32 *positions, UINT32 count, UINT32 channels)
{
    UINT32 mask = 0, speaker, i, j;

    if (count != channels) return channels_layout(channels, 0);
    if (channels == 1 && positions[0] == SPA_AUDIO_CHANNEL_MONO) return SPEAKER_FRONT_CENTER;
    for (i = 0; i < count; i++)
    {
        for (j = 0, speaker = 0; j < ARRAY_SIZE(speakers) && !speaker; j++)
            if (speakers[j].position == positions[i]) speaker = speakers[j].speaker;
        if (!speaker || (mask & speaker)) return channels_layout(channels, 0);
        mask |= speaker;
    }
    return mask;
}

/* The layout a Windows mask describes, channel by channel: the mask's speakers in bit order, then
 * aux channels for any the mask leaves without a speaker. A lone channel is mono, which the graph
 * spreads to every speaker rather than to the centre only. */
static void positions_of_mask(UINT32 mask, UINT32 channels, UINT32 *positions)
{
    UINT32 count = 0, i;

    if (!mask) mask = channels_layout(channels, 0);
    if (channels == 1 && (!mask || mask == SPEAKER_FRONT_CENTER))
    {
        positions[0] = SPA_AUDIO_CHANNEL_MONO;
        return;
    }
    for (i = 0; i < ARRAY_SIZE(speakers) && count < channels; i++)
        if (mask & speakers[i].speaker) positions[count++] = speakers[i].position;
    for (i = count; i < channels; i++) positions[i] = SPA_AUDIO_CHANNEL_AUX0 + (i - count);
}

/* The sample format a device runs, as the daemon names it; the graph converts anything else. */
static void set_sample_format(struct endpoint_format *format, UINT32 sample)
{
    format->is_float = FALSE;
    switch (sample)
    {
    case SPA_AUDIO_FORMAT_U8: case SPA_AUDIO_FORMAT_U8P: format->bits = format->valid_bits = 8; break;
    case SPA_AUDIO_FORMAT_S24_LE: case SPA_AUDIO_FORMAT_S24P: format->bits = format->valid_bits = 24; break;
    case SPA_AUDIO_FORMAT_S24_32_LE: case SPA_AUDIO_FORMAT_S24_32P: format->bits = 32; format->valid_bits = 24; break;
    case SPA_AUDIO_FORMAT_S32_LE: case SPA_AUDIO_FORMAT_S32P: format->bits = format->valid_bits = 32; break;
    case SPA_AUDIO_FORMAT_F32_LE: case SPA_AUDIO_FORMAT_F32P:
        format->bits = format->valid_bits = 32;
        format->is_float = TRUE;
        break;
    default: format->bits = format->valid_bits = 16; break;
    }
}

struct endpoint_list;

/* A node of the flow asked, while its format is on its way. */
struct listed_node
{
    struct endpoint_list *list;
    struct pw_proxy *proxy;
    struct spa_hook listener;
    UINT32 index;           /* in list->endpoints */
    BOOL has_format;
};

struct endpoint_list
{
    enum mmdevapi_flow flow;
    struct pw_registry *registry;
    struct endpoint_info *endpoints;
    struct listed_node *nodes;
    UINT32 capacity;
    UINT32 count;
    struct pw_proxy *metadata;
    struct spa_hook metadata_listener;
    char default_name[MMDEVAPI_DEVICE_KEY_MAX];
};

/* The first value of a property: the default of a choice, the value itself otherwise. */
static const struct spa_pod *pod_value(const struct spa_pod *pod)
{
    uint32_t count, choice;

    return spa_pod_get_values(pod, &count, &choice);
}

/* Takes the device's format from the first EnumFormat the node offers. */
static void on_node_param(void *arg, int seq, uint32_t id, uint32_t index, uint32_t next, const struct spa_pod *param)
{
    struct listed_node *node = arg;
    struct endpoint_info *info = &node->list->endpoints[node->index];
    UINT32 positions[SPA_AUDIO_MAX_CHANNELS], count = 0, media_type, media_subtype, value;
    const struct spa_pod_prop *prop;
    const struct spa_pod *pod;
    int32_t number;

    if (node->has_format || id != SPA_PARAM_EnumFormat || !spa_pod_is_object_type(param, SPA_TYPE_OBJECT_Format))
        return;
    if (spa_format_parse(param, &media_type, &media_subtype) < 0 || media_type != SPA_MEDIA_TYPE_audio
        || media_subtype != SPA_MEDIA_SUBTYPE_raw)
        return;
    SPA_POD_OBJECT_FOREACH((const struct spa_pod_object *)param, prop)
    {
        pod = pod_value(&prop->value);
        switch (prop->key)
        {
        case SPA_FORMAT_AUDIO_format:
            if (!spa_pod_get_id(pod, &value)) set_sample_format(&info->format, value);
            break;
        case SPA_FORMAT_AUDIO_rate:
            if (!spa_pod_get_int(pod, &number) && number > 0) info->format.rate = number;
            break;
        case SPA_FORMAT_AUDIO_channels:
            if (!spa_pod_get_int(pod, &number) && number > 0 && number <= MMDEVAPI_MAX_CHANNELS)
                info->format.channels = number;
            break;
        case SPA_FORMAT_AUDIO_position:
            count = spa_pod_copy_array(&prop->value, SPA_TYPE_Id, positions, ARRAY_SIZE(positions));
            break;
        }
    }
    info->format.channel_mask = channel_mask_of_positions(positions, count, info->format.channels);
    node->has_format = TRUE;
}

static const struct pw_node_events node_events =
{
    PW_VERSION_NODE_EVENTS,
    .param = on_node_param,
};

/* The default's value is JSON: {"name":"<node.name>"}. */
static int on_metadata_property(void *arg, uint32_t subject, const char *key, const char *type, const char *value)
{
    struct endpoint_list *list = arg;
    const char *wanted = list->flow == MMDEVAPI_RENDER ? "default.audio.sink" : "default.audio.source";
    struct spa_json json, object;
    char name[16];
    const char *item;
    int len;

    if (subject != PW_ID_CORE || !key || strcmp(key, wanted) || !value) return 0;
    spa_json_init(&json, value, strlen(value));
    if (spa_json_enter_object(&json, &object) <= 0) return 0;
    while (spa_json_get_string(&object, name, sizeof(name)) > 0)
    {
        if ((len = spa_json_next(&object, &item)) <= 0) break;
        if (!strcmp(name, "name") && spa_json_is_string(item, len))
            spa_json_parse_stringn(item, len, list->default_name, sizeof(list->default_name));
    }
    return 0;
}

static const struct pw_metadata_events metadata_events =
{
    PW_VERSION_METADATA_EVENTS,
    .property = on_metadata_property,
};

/* A sink for render and loopback (which records what the sink plays), a source for capture. */
static BOOL node_of_flow(const char *media_class, enum mmdevapi_flow flow)
{
    if (!media_class) return FALSE;
    if (flow != MMDEVAPI_CAPTURE) return !strcmp(media_class, "Audio/Sink");
    /* A virtual source (a null source, an echo canceller's) is a microphone to programs too. */
    return !strcmp(media_class, "Audio/Source") || !strcmp(media_class, "Audio/Source/Virtual");
}

static void on_global(void *arg, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
                      const struct spa_dict *props)
{
    struct endpoint_list *list = arg;
    struct endpoint_info *info;
    struct listed_node *node;
    const char *name, *description;

    if (!props) return;
    if (!strcmp(type, PW_TYPE_INTERFACE_Metadata))
    {
        name = spa_dict_lookup(props, PW_KEY_METADATA_NAME);
        if (list->metadata || !name || strcmp(name, "default")) return;
        if (!(list->metadata = pw_registry_bind(list->registry, id, type, PW_VERSION_METADATA, 0))) return;
        pw_metadata_add_listener((struct pw_metadata *)list->metadata, &list->metadata_listener, &metadata_events,
                                 list);
        return;
    }
    if (strcmp(type, PW_TYPE_INTERFACE_Node) || !node_of_flow(spa_dict_lookup(props, PW_KEY_MEDIA_CLASS), list->flow)
        || !(name = spa_dict_lookup(props, PW_KEY_NODE_NAME)) || list->count == list->capacity)
        return;

    node = &list->nodes[list->count];
    info = &list->endpoints[list->count];
    memset(info, 0, sizeof(*info));
    endpoint_set_text(info->key, sizeof(info->key), name);
    if (!(description = spa_dict_lookup(props, PW_KEY_NODE_DESCRIPTION))) description = name;
    endpoint_set_text(info->name, sizeof(info->name), description);
    info->form_factor = endpoint_form_factor(spa_dict_lookup(props, PW_KEY_DEVICE_FORM_FACTOR), list->flow);
    /* What the graph runs when the node tells nothing else. */
    info->format.rate = 48000;
    info->format.channels = 2;
    info->format.channel_mask = channels_layout(2, 0);
    set_sample_format(&info->format, SPA_AUDIO_FORMAT_F32_LE);

    node->list = list;
    node->index = list->count++;
    if (!(node->proxy = pw_registry_bind(list->registry, id, type, PW_VERSION_NODE, 0))) return;
    pw_proxy_add_object_listener(node->proxy, &node->listener, &node_events, node);
    pw_node_enum_params((struct pw_node *)node->proxy, 0, SPA_PARAM_EnumFormat, 0, 1, NULL);
}

static const struct pw_registry_events registry_events =
{
    PW_VERSION_REGISTRY_EVENTS,
    .global = on_global,
};

static UINT32 pipewire_list_endpoints(enum mmdevapi_flow flow, struct endpoint_info *endpoints, UINT32 capacity,
                                      UINT32 *default_index)
{
    struct endpoint_list list = { .flow = flow, .endpoints = endpoints, .capacity = capacity };
    UINT64 deadline = monotonic_ns() + PIPEWIRE_TIMEOUT_NS;
    struct pipewire_connection conn;
    struct spa_hook registry_listener;
    UINT32 i;

    *default_index = MMDEVAPI_NO_DEFAULT;
    if (!capacity || !(list.nodes = calloc(capacity, sizeof(*list.nodes)))) return 0;
    if (!pipewire_connect(&conn, "client.conf", "Wine mmdevapi"))
    {
        free(list.nodes);
        return 0;
    }
    if ((list.registry = pw_core_get_registry(conn.core, PW_VERSION_REGISTRY, 0)))
    {
        pw_registry_add_listener(list.registry, &registry_listener, &registry_events, &list);
        /* The first answer brings the objects, the second what we asked of them. */
        if (!pipewire_roundtrip(&conn, deadline) || !pipewire_roundtrip(&conn, deadline)) list.count = 0;
        spa_hook_remove(&registry_listener);
    }
    for (i = 0; i < list.count; i++)
        if (list.nodes[i].proxy)
        {
            spa_hook_remove(&list.nodes[i].listener);
            pw_proxy_destroy(list.nodes[i].proxy);
        }
    if (list.metadata)
    {
        spa_hook_remove(&list.metadata_listener);
        pw_proxy_destroy(list.metadata);
    }
    if (list.registry) pw_proxy_destroy((struct pw_proxy *)list.registry);
    pipewire_disconnect(&conn);
    free(list.nodes);

    for (i = 0; i < list.count; i++)
        if (!strcmp(endpoints[i].key, list.default_name)) *default_index = i;
    /* Without a default (no session manager), the first endpoint stands in. */
    if (*default_index == MMDEVAPI_NO_DEFAULT && list.count) *default_index = 0;
    return list.count;
}

/* The graph's clock settings, from the "settings" metadata, and whether the endpoint is there. */
struct graph_settings
{
    const char *key;        /* the endpoint's node.name */
    enum mmdevapi_flow flow;
    BOOL found;             /* its node is in the registry */
    struct pw_registry *registry;
    struct pw_proxy *metadata;
    struct spa_hook metadata_listener;
    UINT32 rate;            /* clock.rate */
    UINT32 min_quantum;     /* clock.min-quantum */
    UINT32 max_quantum;     /* clock.max-quantum */
    UINT32 force_quantum;   /* clock.force-quantum, 0 when none is forced */
};

static int on_settings_property(void *arg, uint32_t subject, const char *key, const char *type, const char *value)
{
    struct graph_settings *settings = arg;
    UINT32 number;

    if (subject != PW_ID_CORE || !key || !value) return 0;
    number = strtoul(value, NULL, 10);
    if (!strcmp(key, "clock.rate") && number) settings->rate = number;
    else if (!strcmp(key, "clock.min-quantum") && number) settings->min_quantum = number;
    else if (!strcmp(key, "clock.max-quantum") && number) settings->max_quantum = number;
    else if (!strcmp(key, "clock.force-quantum")) settings->force_quantum = number;
    return 0;
}

static const struct pw_metadata_events settings_events =
{
    PW_VERSION_METADATA_EVENTS,
    .property = on_settings_property,
};

static void on_settings_global(void *arg, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
                               const struct spa_dict *props)
{
    struct graph_settings *settings = arg;
    const char *name;

    if (!props) return;
    if (!strcmp(type, PW_TYPE_INTERFACE_Node) && (name = spa_dict_lookup(props, PW_KEY_NODE_NAME))
        && !strcmp(name, settings->key) && node_of_flow(spa_dict_lookup(props, PW_KEY_MEDIA_CLASS), settings->flow))
        settings->found = TRUE;
    if (settings->metadata || strcmp(type, PW_TYPE_INTERFACE_Metadata)
        || !(name = spa_dict_lookup(props, PW_KEY_METADATA_NAME)) || strcmp(name, "settings"))
        return;
    if (!(settings->metadata = pw_registry_bind(settings->registry, id, type, PW_VERSION_METADATA, 0))) return;
    pw_metadata_add_listener((struct pw_metadata *)settings->metadata, &settings->metadata_listener,
                             &settings_events, settings);
}

static const struct pw_registry_events settings_registry_events =
{
    PW_VERSION_REGISTRY_EVENTS,
    .global = on_settings_global,
};

/* Reads the clock settings, PipeWire's own defaults standing where the daemon says nothing, and
 * looks for the endpoint's node: the session manager would link a stream whose target is gone to
 * another device, where Windows says the device is gone. */
static void read_graph_settings(struct pipewire_connection *conn, const char *key, enum mmdevapi_flow flow,
                                struct graph_settings *settings, UINT64 deadline)
{
    struct spa_hook registry_listener;

    memset(settings, 0, sizeof(*settings));
    settings->key = key;
    settings->flow = flow;
    settings->rate = 48000;
    settings->min_quantum = 32;
    settings->max_quantum = 2048;
    if (!(settings->registry = pw_core_get_registry(conn->core, PW_VERSION_REGISTRY, 0))) return;
    pw_registry_add_listener(settings->registry, &registry_listener, &settings_registry_events, settings);
    if (pipewire_roundtrip(conn, deadline)) pipewire_roundtrip(conn, deadline);
    spa_hook_remove(&registry_listener);
    if (settings->metadata)
    {
        spa_hook_remove(&settings->metadata_listener);
        pw_proxy_destroy(settings->metadata);
    }
    pw_proxy_destroy((struct pw_proxy *)settings->registry);
}

/* What the data thread last saw of the graph, for the engine thread (a sequence lock). */
struct graph_time
{
    UINT32 seq;                 /* odd while being written */
    INT64 now;                  /* monotonic ns of the cycle */
    INT64 heard;                /* playback: ring frames heard at now (negative: the first not yet);
                                 * capture: frames captured before now that the ring does not hold yet */
    UINT64 handed;              /* playback: ring frames handed to the graph up to this cycle */
    UINT32 cycle_frames;        /* frames of one cycle: how far the position may move on without one */
};

/* One engine thread's stream with its own connection: streams share nothing. */
struct pipewire_stream
{
    struct pipewire_connection conn;
    struct pw_stream *stream;
    struct spa_hook stream_listener;
    UINT32 rate;
    UINT32 channels;
    UINT32 period_frames;
    BOOL capture;               /* records a source, or a sink's output for loopback */
    BOOL playing;               /* active: the data thread moves frames each cycle */
    BOOL broken;                /* the stream failed or lost its node for good */
    UINT64 written;             /* frames written since the last stop */
    UINT64 heard;               /* of those, the most that were reported heard */

    /* The ring: for playback the engine thread writes at write_index and the data thread reads at
     * read_index; for capture the other way round. */
    float *ring;
    UINT32 ring_frames;         /* a power of two */
    UINT64 write_index;
    UINT64 read_index;

    /* The data thread's, reset on the data thread when the stream stops. */
    BOOL running;               /* move frames (set by the engine thread) */
    UINT64 underruns;           /* playback: cycles the ring ran dry in; capture: cycles it overflowed */
    struct graph_time time;
};

static struct pipewire_stream *pipewire_stream_from(struct backend_stream *stream)
{
    return (struct pipewire_stream *)stream;
}

static void publish_time(struct pipewire_stream *stream, INT64 now, INT64 heard, UINT64 handed, UINT32 cycle_frames)
{
    struct graph_time *time = &stream->time;
    UINT32 seq = time->seq;

    __atomic_store_n(&time->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&time->now, now, __ATOMIC_RELAXED);
    __atomic_store_n(&time->heard, heard, __ATOMIC_RELAXED);
    __atomic_store_n(&time->handed, handed, __ATOMIC_RELAXED);
    __atomic_store_n(&time->cycle_frames, cycle_frames, __ATOMIC_RELAXED);
    __atomic_store_n(&time->seq, seq + 2, __ATOMIC_RELEASE);
}

static BOOL read_time(struct pipewire_stream *stream, struct graph_time *out)
{
    struct graph_time *time = &stream->time;
    UINT32 seq, i;

    for (i = 0; i < 100; i++)
    {
        seq = __atomic_load_n(&time->seq, __ATOMIC_ACQUIRE);
        if (seq & 1) continue;
        out->now = __atomic_load_n(&time->now, __ATOMIC_RELAXED);
        out->heard = __atomic_load_n(&time->heard, __ATOMIC_RELAXED);
        out->handed = __atomic_load_n(&time->handed, __ATOMIC_RELAXED);
        out->cycle_frames = __atomic_load_n(&time->cycle_frames, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&time->seq, __ATOMIC_RELAXED) == seq) return TRUE;
    }
    return FALSE;
}

/* The graph's delay, in the stream's frames. */
static UINT64 graph_delay(const struct pipewire_stream *stream, const struct pw_time *time)
{
    if (time->delay <= 0 || !time->rate.denom) return 0;
    return (UINT64)time->delay * stream->rate * time->rate.num / time->rate.denom;
}

/* The data thread's turn for capture: what the graph captured goes into the ring as far as it has
 * room (the engine reads a period a period; a full ring means it stopped reading). */
static void capture_cycle(struct pipewire_stream *stream, const struct pw_time *time)
{
    UINT32 frame_bytes = stream->channels * sizeof(float), count, put, first, offset, start, size;
    struct pw_buffer *buffer;
    struct spa_data *data;
    const BYTE *src;
    UINT64 room;

    if (!(buffer = pw_stream_dequeue_buffer(stream->stream))) return;
    data = &buffer->buffer->datas[0];
    if (data->data && data->chunk)
    {
        start = min(data->chunk->offset, data->maxsize);
        size = min(data->chunk->size, data->maxsize - start);
        src = (const BYTE *)data->data + start;
        count = size / frame_bytes;
        room = stream->ring_frames - (stream->write_index - __atomic_load_n(&stream->read_index, __ATOMIC_ACQUIRE));
        put = (UINT32)min((UINT64)count, room);
        if (put < count) stream->underruns++;
        offset = stream->write_index & (stream->ring_frames - 1);
        first = min(put, stream->ring_frames - offset);
        memcpy(stream->ring + (size_t)offset * stream->channels, src, (size_t)first * frame_bytes);
        memcpy(stream->ring, src + (size_t)first * frame_bytes, (size_t)(put - first) * frame_bytes);
        /* The newest of them was captured the graph's delay before the cycle began. */
        if (time->now) publish_time(stream, time->now, graph_delay(stream, time), 0, count);
        __atomic_store_n(&stream->write_index, stream->write_index + put, __ATOMIC_RELEASE);
    }
    pw_stream_queue_buffer(stream->stream, buffer);
}

/* The data thread, once a graph cycle: hands the graph what the ring holds, up to what it asks,
 * silence after it where the ring ran dry. Not a Wine thread: it touches only the ring and the
 * published time. */
static void on_process(void *arg)
{
    struct pipewire_stream *stream = arg;
    UINT32 frame_bytes = stream->channels * sizeof(float), want, take, first, offset;
    struct pw_buffer *buffer;
    struct spa_data *data;
    struct pw_time time;
    UINT64 available;
    float *dst;

    if (!__atomic_load_n(&stream->running, __ATOMIC_ACQUIRE)) return;
    if (pw_stream_get_time_n(stream->stream, &time, sizeof(time)) < 0) time.now = 0;
    if (stream->capture)
    {
        capture_cycle(stream, &time);
        return;
    }
    if (!(buffer = pw_stream_dequeue_buffer(stream->stream))) return;
    data = &buffer->buffer->datas[0];
    if (!(dst = data->data))
    {
        pw_stream_queue_buffer(stream->stream, buffer);
        return;
    }
    want = data->maxsize / frame_bytes;
    if (buffer->requested && buffer->requested < want) want = buffer->requested;

    available = __atomic_load_n(&stream->write_index, __ATOMIC_ACQUIRE) - stream->read_index;
    take = (UINT32)min((UINT64)want, available);
    offset = stream->read_index & (stream->ring_frames - 1);
    first = min(take, stream->ring_frames - offset);
    memcpy(dst, stream->ring + (size_t)offset * stream->channels, (size_t)first * frame_bytes);
    memcpy(dst + (size_t)first * stream->channels, stream->ring, (size_t)(take - first) * frame_bytes);
    memset(dst + (size_t)take * stream->channels, 0, (size_t)(want - take) * frame_bytes);
    data->chunk->offset = 0;
    data->chunk->stride = frame_bytes;
    data->chunk->size = want * frame_bytes;

    /* The first frame of this cycle reaches the listener after the graph's delay and what is still
     * queued before it. Silence the graph got where the ring ran dry only makes the ring's frames
     * later than this says: the position may lag then, never lead. */
    if (time.now)
        publish_time(stream, time.now, (INT64)stream->read_index - (INT64)(graph_delay(stream, &time)
                     + time.queued / frame_bytes + time.buffered), stream->read_index + take, want);
    if (take < want) stream->underruns++;
    __atomic_store_n(&stream->read_index, stream->read_index + take, __ATOMIC_RELEASE);
    pw_stream_queue_buffer(stream->stream, buffer);
}

static void on_stream_state(void *arg, enum pw_stream_state old, enum pw_stream_state state, const char *error)
{
    struct pipewire_stream *stream = arg;

    WINE_TRACE("stream %p: %s -> %s%s%s\n", stream, pw_stream_state_as_string(old), pw_stream_state_as_string(state),
               error ? ": " : "", error ? error : "");
    if (state == PW_STREAM_STATE_ERROR || state == PW_STREAM_STATE_UNCONNECTED) stream->broken = TRUE;
}

static const struct pw_stream_events stream_events =
{
    PW_VERSION_STREAM_EVENTS,
    .state_changed = on_stream_state,
    .process = on_process,
};

static BOOL pipewire_stream_alive(struct pipewire_stream *stream)
{
    return !stream->broken && !stream->conn.broken;
}

/* Serves what the daemon sent, without waiting. */
static void pipewire_stream_dispatch(struct pipewire_stream *stream)
{
    unsigned int i;

    for (i = 0; i < 4 && pipewire_iterate(&stream->conn, 0) > 0; i++) {}
}

static void pipewire_stream_close(struct backend_stream *iface)
{
    struct pipewire_stream *stream = pipewire_stream_from(iface);

    if (!stream) return;
    if (stream->stream)
    {
        spa_hook_remove(&stream->stream_listener);
        pw_stream_destroy(stream->stream);
    }
    pipewire_disconnect(&stream->conn);
    if (stream->underruns)
        WINE_TRACE("stream %p: the ring ran %s in %llu cycles\n", stream, stream->capture ? "over" : "dry",
                   (unsigned long long)stream->underruns);
    free(stream->ring);
    free(stream);
}

static BOOL stream_settled(void *arg)
{
    struct pipewire_stream *stream = arg;
    enum pw_stream_state state = pw_stream_get_state(stream->stream, NULL);

    return state == PW_STREAM_STATE_PAUSED || state == PW_STREAM_STATE_STREAMING || stream->broken;
}

static BOOL stream_streaming(void *arg)
{
    struct pipewire_stream *stream = arg;

    return pw_stream_get_state(stream->stream, NULL) == PW_STREAM_STATE_STREAMING || stream->broken;
}

static HRESULT pipewire_stream_open(const char *key, enum mmdevapi_flow flow, const struct endpoint_format *format,
                                    UINT32 period_frames, struct backend_stream **out, UINT32 *lead_frames)
{
    UINT64 deadline = monotonic_ns() + PIPEWIRE_TIMEOUT_NS;
    struct spa_audio_info_raw raw = { .format = SPA_AUDIO_FORMAT_F32 };
    struct graph_settings settings;
    struct pipewire_stream *stream;
    const struct spa_pod *params[1];
    struct spa_pod_builder builder;
    struct pw_properties *props;
    UINT32 quantum, lead, ring, process_id;
    char name[MMDEVAPI_DEVICE_NAME_MAX];
    BYTE pod_buffer[1024];

    if (!out || !lead_frames) return E_INVALIDARG;
    *out = NULL;
    if (!key || !format || (flow != MMDEVAPI_RENDER && flow != MMDEVAPI_CAPTURE && flow != MMDEVAPI_LOOPBACK)
        || !format->is_float
        || format->bits != 32 || !format->channels || format->channels > MMDEVAPI_MAX_CHANNELS
        || format->channels > SPA_AUDIO_MAX_CHANNELS || !format->rate || format->rate > 768000)
        return E_INVALIDARG;
    if (!period_frames || period_frames > format->rate) return E_INVALIDARG;

    if (!(stream = calloc(1, sizeof(*stream)))) return E_OUTOFMEMORY;
    stream->rate = format->rate;
    stream->channels = format->channels;
    stream->period_frames = period_frames;
    stream->capture = flow != MMDEVAPI_RENDER;
    backend_program(name, sizeof(name), &process_id);
    if (!name[0]) backend_process_name(name, sizeof(name));
    if (!pipewire_connect(&stream->conn, "client-rt.conf", name))
    {
        free(stream);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }

    /* The graph runs at the smallest latency its nodes ask, unless one is forced: ours is a period,
     * so a quantum is at most a period, or the least or forced quantum where that is more. */
    read_graph_settings(&stream->conn, key, flow, &settings, deadline);
    if (!settings.found) goto fail;
    quantum = settings.force_quantum ? settings.force_quantum
              : max(settings.min_quantum, (UINT32)((UINT64)period_frames * settings.rate / stream->rate));
    quantum = (UINT32)(((UINT64)quantum * stream->rate + settings.rate - 1) / settings.rate);
    lead = quantum + stream->rate * PIPEWIRE_MARGIN_MS / 1000;
    lead = stream->capture ? 0 : (lead + period_frames - 1) / period_frames * period_frames;
    for (ring = 1024; ring < stream->rate * PIPEWIRE_RING_MS / 1000 || ring < 2 * (lead + 2 * period_frames + quantum);)
        ring *= 2;
    stream->ring_frames = ring;
    if (!(stream->ring = calloc((size_t)ring * stream->channels, sizeof(float)))) goto oom;

    if (!(props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio",
                                    PW_KEY_MEDIA_CATEGORY, stream->capture ? "Capture" : "Playback",
                                    PW_KEY_APP_NAME, name, PW_KEY_NODE_NAME, name, PW_KEY_NODE_DESCRIPTION, name,
                                    PW_KEY_MEDIA_NAME, name, PW_KEY_TARGET_OBJECT, key, NULL)))
        goto oom;
    /* One stream carries the mix of every client of this endpoint in the process: no media.role,
     * which would have the session manager route or duck the whole mix by one client's kind. */
    pw_properties_setf(props, PW_KEY_NODE_LATENCY, "%u/%u", period_frames, stream->rate);
    /* Loopback records what the sink plays (its monitor ports). */
    if (flow == MMDEVAPI_LOOPBACK) pw_properties_set(props, PW_KEY_STREAM_CAPTURE_SINK, "true");
    /* The process ids, Linux's and Windows', which process loopback will look streams up by
     * (the client's properties carry the first, not the node's). */
    pw_properties_setf(props, PW_KEY_APP_PROCESS_ID, "%d", (int)getpid());
    if (process_id) pw_properties_setf(props, PIPEWIRE_PROP_WINDOWS_PROCESS_ID, "%u", process_id);
    if (!(stream->stream = pw_stream_new(stream->conn.core, name, props))) goto oom;
    pw_stream_add_listener(stream->stream, &stream->stream_listener, &stream_events, stream);

    raw.rate = stream->rate;
    raw.channels = stream->channels;
    positions_of_mask(format->channel_mask, stream->channels, raw.position);
    builder = SPA_POD_BUILDER_INIT(pod_buffer, sizeof(pod_buffer));
    params[0] = spa_format_audio_raw_build(&builder, SPA_PARAM_EnumFormat, &raw);
    if (pw_stream_connect(stream->stream, stream->capture ? PW_DIRECTION_INPUT : PW_DIRECTION_OUTPUT, PW_ID_ANY,
                          PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_RT_PROCESS
                          | PW_STREAM_FLAG_INACTIVE, params, 1) < 0)
        goto fail;
    pipewire_run_until(&stream->conn, stream_settled, stream, deadline);
    if (pw_stream_get_state(stream->stream, NULL) != PW_STREAM_STATE_PAUSED
        && pw_stream_get_state(stream->stream, NULL) != PW_STREAM_STATE_STREAMING)
        goto fail;

    WINE_TRACE("%s: period %u, quantum %u (graph %u Hz%s), lead %u, ring %u frames\n", key, period_frames, quantum,
               settings.rate, settings.force_quantum ? ", forced" : "", lead, ring);
    *out = (struct backend_stream *)stream;
    *lead_frames = lead;
    return S_OK;

fail:
    WINE_WARN("cannot open %s\n", key);
    pipewire_stream_close((struct backend_stream *)stream);
    return AUDCLNT_E_DEVICE_INVALIDATED;
oom:
    pipewire_stream_close((struct backend_stream *)stream);
    return E_OUTOFMEMORY;
}

/* The node runs once the daemon has set it running: until then the graph's time stands, and
 * the engine would take the wait for a device that stalled. */
static HRESULT pipewire_stream_start(struct backend_stream *iface)
{
    struct pipewire_stream *stream = pipewire_stream_from(iface);
    UINT64 deadline = monotonic_ns() + PIPEWIRE_TIMEOUT_NS;

    if (!stream) return E_INVALIDARG;
    if (!pipewire_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (stream->playing) return S_OK;
    /* Before the engine writes its lead: a cycle that comes first finds the ring empty, which
     * only puts silence before the stream's first frame. */
    __atomic_store_n(&stream->running, TRUE, __ATOMIC_RELEASE);
    stream->playing = TRUE;
    pw_stream_set_active(stream->stream, true);
    pipewire_run_until(&stream->conn, stream_streaming, stream, deadline);
    return pipewire_stream_alive(stream) ? S_OK : AUDCLNT_E_DEVICE_INVALIDATED;
}

/* On the data thread, between two cycles: the ring and the graph's time start over. */
static int reset_on_data_thread(struct spa_loop *loop, bool async, uint32_t seq, const void *data, size_t size,
                                void *arg)
{
    struct pipewire_stream *stream = arg;

    stream->running = FALSE;
    stream->read_index = stream->write_index = 0;
    publish_time(stream, 0, 0, 0, 0);
    return 0;
}

static HRESULT pipewire_stream_stop(struct backend_stream *iface)
{
    struct pipewire_stream *stream = pipewire_stream_from(iface);
    struct pw_loop *data_loop;

    if (!stream) return E_INVALIDARG;
    if (!pipewire_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    pw_stream_set_active(stream->stream, false);
    data_loop = pw_data_loop_get_loop(pw_context_get_data_loop(stream->conn.context));
    pw_loop_invoke(data_loop, reset_on_data_thread, 0, NULL, 0, true, stream);
    stream->playing = FALSE;
    stream->written = stream->heard = 0;
    return S_OK;
}

static HRESULT pipewire_stream_wait(struct backend_stream *iface, int wake_fd, INT64 timeout_ns)
{
    struct pipewire_stream *stream = pipewire_stream_from(iface);
    UINT64 deadline = timeout_ns >= 0 ? monotonic_ns() + timeout_ns : 0, now;
    struct pollfd fds[2];

    if (!stream) return E_INVALIDARG;
    fds[0].fd = wake_fd;
    fds[0].events = POLLIN;
    fds[1].fd = pw_loop_get_fd(stream->conn.loop);
    fds[1].events = POLLIN;
    /* The daemon's messages are served as they come, until the engine's fd or the timeout. */
    for (;;)
    {
        pipewire_stream_dispatch(stream);
        if (!pipewire_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
        now = monotonic_ns();
        if (timeout_ns >= 0 && now >= deadline) return S_OK;
        fds[0].revents = fds[1].revents = 0;
        if (wake_fd >= 0) backend_poll(fds, 2, timeout_ns >= 0 ? (INT64)(deadline - now) : -1);
        else backend_poll(fds + 1, 1, timeout_ns >= 0 ? (INT64)(deadline - now) : -1);
        if (fds[0].revents) return S_OK;
    }
}

static HRESULT pipewire_stream_write(struct backend_stream *iface, const float *frames, UINT32 count)
{
    struct pipewire_stream *stream = pipewire_stream_from(iface);
    UINT32 offset, first;
    UINT64 queued;

    if (!stream || stream->capture || (!frames && count)) return E_INVALIDARG;
    if (!pipewire_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    queued = stream->write_index - __atomic_load_n(&stream->read_index, __ATOMIC_ACQUIRE);
    if (count > stream->ring_frames - queued) return E_INVALIDARG;
    if (!count) return S_OK;
    offset = stream->write_index & (stream->ring_frames - 1);
    first = min(count, stream->ring_frames - offset);
    memcpy(stream->ring + (size_t)offset * stream->channels, frames, (size_t)first * stream->channels * sizeof(float));
    memcpy(stream->ring, frames + (size_t)first * stream->channels,
           (size_t)(count - first) * stream->channels * sizeof(float));
    __atomic_store_n(&stream->write_index, stream->write_index + count, __ATOMIC_RELEASE);
    stream->written += count;
    return S_OK;
}

/* Capture: the frames the ring holds, and those captured since the last cycle or still on their way
 * through the graph, which the next cycles bring. */
static HRESULT capture_delay(struct pipewire_stream *stream, UINT64 *frames, UINT32 *room)
{
    UINT64 ready = __atomic_load_n(&stream->write_index, __ATOMIC_ACQUIRE) - stream->read_index;
    struct graph_time time;
    INT64 elapsed;

    *frames = ready;
    if (stream->playing && read_time(stream, &time) && time.now)
    {
        elapsed = ((INT64)monotonic_ns() - time.now) * stream->rate / 1000000000;
        *frames += time.heard + max(0, min(elapsed, (INT64)time.cycle_frames));
    }
    if (room) *room = (UINT32)ready;
    return S_OK;
}

/* Capture: takes the oldest frames the ring holds; more than stream_delay's room is refused whole. */
static HRESULT pipewire_stream_read(struct backend_stream *iface, float *frames, UINT32 count)
{
    struct pipewire_stream *stream = pipewire_stream_from(iface);
    UINT32 offset, first;

    if (!stream || !stream->capture || (!frames && count)) return E_INVALIDARG;
    if (!pipewire_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (count > __atomic_load_n(&stream->write_index, __ATOMIC_ACQUIRE) - stream->read_index)
        return AUDCLNT_E_BUFFER_ERROR;
    offset = stream->read_index & (stream->ring_frames - 1);
    first = min(count, stream->ring_frames - offset);
    memcpy(frames, stream->ring + (size_t)offset * stream->channels, (size_t)first * stream->channels * sizeof(float));
    memcpy(frames + (size_t)first * stream->channels, stream->ring,
           (size_t)(count - first) * stream->channels * sizeof(float));
    __atomic_store_n(&stream->read_index, stream->read_index + count, __ATOMIC_RELEASE);
    return S_OK;
}

/* What the listener has heard: the graph's word at its last cycle, moved on by the monotonic
 * clock since, by at most one cycle and never past what the ring handed over. */
static HRESULT pipewire_stream_delay(struct backend_stream *iface, UINT64 *frames, UINT32 *room)
{
    struct pipewire_stream *stream = pipewire_stream_from(iface);
    struct graph_time time;
    INT64 heard, elapsed;

    if (frames) *frames = 0;
    if (!stream || !frames) return E_INVALIDARG;
    if (!pipewire_stream_alive(stream)) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (stream->capture) return capture_delay(stream, frames, room);
    if (stream->playing && read_time(stream, &time) && time.now)
    {
        elapsed = ((INT64)monotonic_ns() - time.now) * stream->rate / 1000000000;
        heard = time.heard + max(0, min(elapsed, (INT64)time.cycle_frames));
        heard = min(heard, (INT64)time.handed);
        if (heard > (INT64)stream->heard) stream->heard = heard;
        if (stream->heard > stream->written) stream->heard = stream->written;
    }
    *frames = stream->written - stream->heard;
    if (room)
        *room = stream->ring_frames
                - (UINT32)(stream->write_index - __atomic_load_n(&stream->read_index, __ATOMIC_ACQUIRE));
    return S_OK;
}

/* ---- The endpoint's volume: the node's own Props, which the desktop's mixer shows ---- */

/* The node's channelVolumes are amplitudes, the cubes of struct endpoint_volume's levels, and go
 * above 1.0, which Windows' scalar cannot: that reads as 1.0. Its range here is that of the
 * pulse backend's, which shows the same nodes: -120 dB to 0 dB in 101 steps. */
#define PIPEWIRE_VOLUME_STEPS 101
#define PIPEWIRE_VOLUME_MIN_DB -120.0f

/* One endpoint's node and what its Props say. */
struct volume_query
{
    const char *key;
    enum mmdevapi_flow flow;
    struct pw_registry *registry;
    struct pw_proxy *node;
    struct spa_hook node_listener;
    BOOL found;             /* its Props came, with a volume for each channel */
    UINT32 channels;
    float amplitudes[MMDEVAPI_MAX_CHANNELS];
    BOOL mute;
};

/* Takes the channel volumes and mute of a node's Props; TRUE if it had volumes. */
static BOOL parse_volume_props(const struct spa_pod *param, UINT32 *channels, float *amplitudes, BOOL *mute)
{
    float volumes[SPA_AUDIO_MAX_CHANNELS];
    const struct spa_pod_prop *prop;
    UINT32 count = 0;
    bool muted;

    if (!spa_pod_is_object_type(param, SPA_TYPE_OBJECT_Props)) return FALSE;
    SPA_POD_OBJECT_FOREACH((const struct spa_pod_object *)param, prop)
    {
        if (prop->key == SPA_PROP_channelVolumes)
            count = spa_pod_copy_array(&prop->value, SPA_TYPE_Float, volumes, ARRAY_SIZE(volumes));
        else if (prop->key == SPA_PROP_mute && !spa_pod_get_bool(&prop->value, &muted))
            *mute = muted;
    }
    if (!count || count > MMDEVAPI_MAX_CHANNELS) return FALSE;
    *channels = count;
    memcpy(amplitudes, volumes, count * sizeof(*volumes));
    return TRUE;
}

static void on_volume_param(void *arg, int seq, uint32_t id, uint32_t index, uint32_t next, const struct spa_pod *param)
{
    struct volume_query *query = arg;

    /* An adapter also lists its follower's Props: the first with volumes is the node's. */
    if (id == SPA_PARAM_Props && !query->found)
        query->found = parse_volume_props(param, &query->channels, query->amplitudes, &query->mute);
}

static const struct pw_node_events volume_node_events =
{
    PW_VERSION_NODE_EVENTS,
    .param = on_volume_param,
};

static void on_volume_global(void *arg, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
                             const struct spa_dict *props)
{
    struct volume_query *query = arg;
    const char *name;

    if (query->node || strcmp(type, PW_TYPE_INTERFACE_Node) || !props
        || !(name = spa_dict_lookup(props, PW_KEY_NODE_NAME)) || strcmp(name, query->key)
        || !node_of_flow(spa_dict_lookup(props, PW_KEY_MEDIA_CLASS), query->flow))
        return;
    if (!(query->node = pw_registry_bind(query->registry, id, type, PW_VERSION_NODE, 0))) return;
    pw_proxy_add_object_listener(query->node, &query->node_listener, &volume_node_events, query);
    pw_node_enum_params((struct pw_node *)query->node, 0, SPA_PARAM_Props, 0, UINT32_MAX, NULL);
}

static const struct pw_registry_events volume_registry_events =
{
    PW_VERSION_REGISTRY_EVENTS,
    .global = on_volume_global,
};

/* Finds the endpoint's node and reads its volume; the node stays bound for a set. */
static BOOL query_volume(struct pipewire_connection *conn, const char *key, enum mmdevapi_flow flow,
                         struct volume_query *query, struct spa_hook *registry_listener)
{
    UINT64 deadline = monotonic_ns() + PIPEWIRE_TIMEOUT_NS;

    memset(query, 0, sizeof(*query));
    query->key = key;
    query->flow = flow;
    if (!(query->registry = pw_core_get_registry(conn->core, PW_VERSION_REGISTRY, 0))) return FALSE;
    pw_registry_add_listener(query->registry, registry_listener, &volume_registry_events, query);
    /* The first answer brings the node, the second its Props. */
    return pipewire_roundtrip(conn, deadline) && pipewire_roundtrip(conn, deadline) && query->found;
}

static void query_volume_done(struct volume_query *query, struct spa_hook *registry_listener)
{
    if (query->node)
    {
        spa_hook_remove(&query->node_listener);
        pw_proxy_destroy(query->node);
    }
    if (query->registry)
    {
        spa_hook_remove(registry_listener);
        pw_proxy_destroy((struct pw_proxy *)query->registry);
    }
}

static HRESULT pipewire_volume_get(const char *key, enum mmdevapi_flow flow, struct endpoint_volume *volume)
{
    struct pipewire_connection conn;
    struct spa_hook registry_listener;
    struct volume_query query;
    BOOL found;
    UINT32 i;

    memset(volume, 0, sizeof(*volume));
    if (!pipewire_connect(&conn, "client.conf", "Wine mmdevapi")) return AUDCLNT_E_DEVICE_INVALIDATED;
    found = query_volume(&conn, key, flow, &query, &registry_listener);
    query_volume_done(&query, &registry_listener);
    pipewire_disconnect(&conn);
    if (!found) return AUDCLNT_E_DEVICE_INVALIDATED;

    volume->channels = query.channels;
    volume->mute = query.mute;
    for (i = 0; i < query.channels; i++)
        volume->levels[i] = query.amplitudes[i] >= 1.0f ? 1.0f : cbrtf(max(query.amplitudes[i], 0.0f));
    volume->min_db = PIPEWIRE_VOLUME_MIN_DB;
    volume->max_db = 0.0f;
    volume->increment_db = -PIPEWIRE_VOLUME_MIN_DB / (PIPEWIRE_VOLUME_STEPS - 1);
    volume->step_count = PIPEWIRE_VOLUME_STEPS;
    volume->hardware = 0;   /* the graph applies it, whatever the device can */
    return S_OK;
}

/* Sets a node's channel volumes (amplitudes) and mute, its Props. */
static void set_node_volume(struct pw_proxy *node, const float *amplitudes, UINT32 channels, BOOL mute)
{
    struct spa_pod_builder builder;
    struct spa_pod_frame frame;
    const struct spa_pod *param;
    BYTE pod_buffer[1024];

    builder = SPA_POD_BUILDER_INIT(pod_buffer, sizeof(pod_buffer));
    spa_pod_builder_push_object(&builder, &frame, SPA_TYPE_OBJECT_Props, SPA_PARAM_Props);
    spa_pod_builder_prop(&builder, SPA_PROP_channelVolumes, 0);
    spa_pod_builder_array(&builder, sizeof(float), SPA_TYPE_Float, channels, amplitudes);
    spa_pod_builder_prop(&builder, SPA_PROP_mute, 0);
    spa_pod_builder_bool(&builder, mute);
    param = spa_pod_builder_pop(&builder, &frame);
    pw_node_set_param((struct pw_node *)node, SPA_PARAM_Props, 0, param);
}

static HRESULT pipewire_volume_set(const char *key, enum mmdevapi_flow flow, const struct endpoint_volume *volume)
{
    float amplitudes[MMDEVAPI_MAX_CHANNELS], level;
    struct pipewire_connection conn;
    struct spa_hook registry_listener;
    struct volume_query query;
    HRESULT hr = S_OK;
    UINT32 i;

    if (!pipewire_connect(&conn, "client.conf", "Wine mmdevapi")) return AUDCLNT_E_DEVICE_INVALIDATED;
    if (!query_volume(&conn, key, flow, &query, &registry_listener)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    else if (volume->channels != query.channels) hr = E_INVALIDARG;
    else
    {
        /* A channel above 100 % stays there when 1.0 is asked: that is what reads as 1.0. */
        for (i = 0; i < query.channels; i++)
        {
            level = volume->levels[i] >= 0.0f ? min(volume->levels[i], 1.0f) : 0.0f;
            amplitudes[i] = level >= 1.0f && query.amplitudes[i] >= 1.0f ? query.amplitudes[i] : level * level * level;
        }
        set_node_volume(query.node, amplitudes, query.channels, !!volume->mute);
        if (!pipewire_roundtrip(&conn, monotonic_ns() + PIPEWIRE_TIMEOUT_NS)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    }
    query_volume_done(&query, &registry_listener);
    pipewire_disconnect(&conn);
    return hr;
}

/* The watch thread's connection: every sink's and source's Props, the nodes that come and go, and
 * the "default" metadata. */
#define WATCHED_NODES_MAX (2 * MMDEVAPI_ENDPOINTS_MAX)

struct watched_node
{
    UINT32 id;
    struct pw_proxy *proxy;
    struct spa_hook listener;
};

static struct
{
    struct pipewire_connection conn;
    struct pw_registry *registry;
    struct spa_hook registry_listener;
    struct watched_node nodes[WATCHED_NODES_MAX];
    struct pw_proxy *metadata;
    struct spa_hook metadata_listener;
    BOOL connected;                 /* the first answers came: what comes now is a change */
    UINT32 changes;                 /* MMDEVAPI_CHANGED_* */
} watch;

static void on_watched_param(void *arg, int seq, uint32_t id, uint32_t index, uint32_t next,
                             const struct spa_pod *param)
{
    if (id == SPA_PARAM_Props) watch.changes |= MMDEVAPI_CHANGED_VOLUME;
}

static int on_watched_default(void *arg, uint32_t subject, const char *key, const char *type, const char *value)
{
    if (subject == PW_ID_CORE && key && (!strcmp(key, "default.audio.sink") || !strcmp(key, "default.audio.source")))
        watch.changes |= MMDEVAPI_CHANGED_ENDPOINTS;
    return 0;
}

static const struct pw_metadata_events watched_default_events =
{
    PW_VERSION_METADATA_EVENTS,
    .property = on_watched_default,
};

static const struct pw_node_events watched_node_events =
{
    PW_VERSION_NODE_EVENTS,
    .param = on_watched_param,
};

static void on_watch_global(void *arg, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
                            const struct spa_dict *props)
{
    uint32_t props_id = SPA_PARAM_Props;
    struct watched_node *node = NULL;
    const char *media_class;
    const char *name;
    UINT32 i;

    if (!props) return;
    if (!strcmp(type, PW_TYPE_INTERFACE_Metadata))
    {
        name = spa_dict_lookup(props, PW_KEY_METADATA_NAME);
        if (watch.metadata || !name || strcmp(name, "default")) return;
        if (!(watch.metadata = pw_registry_bind(watch.registry, id, type, PW_VERSION_METADATA, 0))) return;
        pw_metadata_add_listener((struct pw_metadata *)watch.metadata, &watch.metadata_listener,
                                 &watched_default_events, NULL);
        return;
    }
    if (strcmp(type, PW_TYPE_INTERFACE_Node)) return;
    media_class = spa_dict_lookup(props, PW_KEY_MEDIA_CLASS);
    if (!node_of_flow(media_class, MMDEVAPI_RENDER) && !node_of_flow(media_class, MMDEVAPI_CAPTURE)) return;
    if (watch.connected) watch.changes |= MMDEVAPI_CHANGED_ENDPOINTS;
    for (i = 0; i < WATCHED_NODES_MAX && !node; i++)
        if (!watch.nodes[i].proxy) node = &watch.nodes[i];
    if (!node || !(node->proxy = pw_registry_bind(watch.registry, id, type, PW_VERSION_NODE, 0))) return;
    node->id = id;
    pw_proxy_add_object_listener(node->proxy, &node->listener, &watched_node_events, node);
    pw_node_subscribe_params((struct pw_node *)node->proxy, &props_id, 1);
}

static void forget_watched_node(struct watched_node *node)
{
    spa_hook_remove(&node->listener);
    pw_proxy_destroy(node->proxy);
    memset(node, 0, sizeof(*node));
}

/* A device gone is a change too: its volume is no longer there. */
static void on_watch_global_remove(void *arg, uint32_t id)
{
    UINT32 i;

    for (i = 0; i < WATCHED_NODES_MAX; i++)
        if (watch.nodes[i].proxy && watch.nodes[i].id == id)
        {
            forget_watched_node(&watch.nodes[i]);
            watch.changes |= MMDEVAPI_CHANGED_VOLUME | MMDEVAPI_CHANGED_ENDPOINTS;
        }
}

static const struct pw_registry_events watch_registry_events =
{
    PW_VERSION_REGISTRY_EVENTS,
    .global = on_watch_global,
    .global_remove = on_watch_global_remove,
};

static void watch_disconnect(void)
{
    UINT32 i;

    for (i = 0; i < WATCHED_NODES_MAX; i++)
        if (watch.nodes[i].proxy) forget_watched_node(&watch.nodes[i]);
    if (watch.metadata)
    {
        spa_hook_remove(&watch.metadata_listener);
        pw_proxy_destroy(watch.metadata);
    }
    if (watch.registry)
    {
        spa_hook_remove(&watch.registry_listener);
        pw_proxy_destroy((struct pw_proxy *)watch.registry);
    }
    pipewire_disconnect(&watch.conn);
    memset(&watch, 0, sizeof(watch));
}

static HRESULT pipewire_watch(INT64 timeout_ns, UINT32 *changes)
{
    UINT64 deadline = timeout_ns < 0 ? UINT64_MAX : monotonic_ns() + timeout_ns;

    if (watch.conn.core && watch.conn.broken) watch_disconnect();
    if (!watch.conn.core)
    {
        if (!pipewire_connect(&watch.conn, "client.conf", "Wine mmdevapi")) return AUDCLNT_E_SERVICE_NOT_RUNNING;
        if (!(watch.registry = pw_core_get_registry(watch.conn.core, PW_VERSION_REGISTRY, 0)))
        {
            watch_disconnect();
            return AUDCLNT_E_SERVICE_NOT_RUNNING;
        }
        pw_registry_add_listener(watch.registry, &watch.registry_listener, &watch_registry_events, NULL);
        /* The first answer brings the nodes, the second their present Props. */
        if (!pipewire_roundtrip(&watch.conn, monotonic_ns() + PIPEWIRE_TIMEOUT_NS)
            || !pipewire_roundtrip(&watch.conn, monotonic_ns() + PIPEWIRE_TIMEOUT_NS))
        {
            watch_disconnect();
            return AUDCLNT_E_SERVICE_NOT_RUNNING;
        }
        /* Changes made before the subscription were not seen: the caller looks again. */
        watch.connected = TRUE;
        *changes = MMDEVAPI_CHANGED_VOLUME | MMDEVAPI_CHANGED_ENDPOINTS;
        return S_OK;
    }
    watch.changes = 0;
    while (!watch.changes)
    {
        if (monotonic_ns() >= deadline) return S_FALSE;
        if (watch.conn.broken || pipewire_iterate(&watch.conn, deadline) < 0)
        {
            watch_disconnect();
            return AUDCLNT_E_SERVICE_NOT_RUNNING;
        }
    }
    *changes = watch.changes;
    return S_OK;
}

/* Other programs' streams on an endpoint: the stream nodes linked to its node, their process,
 * state and volume. */
#define SESSION_STREAMS_MAX 64
#define SESSION_LINKS_MAX 256

struct session_stream
{
    uint32_t id;
    UINT32 process_id, windows_process_id;
    char name[MMDEVAPI_DEVICE_NAME_MAX];
    struct pw_proxy *proxy;
    struct spa_hook listener;
    BOOL running;
    BOOL has_volume;
    UINT32 channels;
    float amplitudes[MMDEVAPI_MAX_CHANNELS];
    BOOL mute;
};

struct session_query
{
    const char *key;
    enum mmdevapi_flow flow;
    UINT32 self;
    struct pw_registry *registry;
    uint32_t device;        /* the endpoint's node; SPA_ID_INVALID until seen */
    struct session_stream streams[SESSION_STREAMS_MAX];
    UINT32 stream_count;
    struct { uint32_t output, input; } links[SESSION_LINKS_MAX];
    UINT32 link_count;
};

/* The node's own properties: the registry's leave out whose process it is. */
static void on_session_stream_info(void *arg, const struct pw_node_info *info)
{
    struct session_stream *stream = arg;
    const char *pid, *windows_pid, *name;

    stream->running = info->state == PW_NODE_STATE_RUNNING;
    if (!info->props) return;
    if ((pid = spa_dict_lookup(info->props, PW_KEY_APP_PROCESS_ID))) stream->process_id = strtoul(pid, NULL, 10);
    if ((windows_pid = spa_dict_lookup(info->props, PIPEWIRE_PROP_WINDOWS_PROCESS_ID)))
        stream->windows_process_id = strtoul(windows_pid, NULL, 10);
    if (!(name = spa_dict_lookup(info->props, PW_KEY_APP_NAME)))
        name = spa_dict_lookup(info->props, PW_KEY_APP_PROCESS_BINARY);
    if (name) endpoint_set_text(stream->name, sizeof(stream->name), name);
}

static void on_session_stream_param(void *arg, int seq, uint32_t id, uint32_t index, uint32_t next,
                                    const struct spa_pod *param)
{
    struct session_stream *stream = arg;

    if (id == SPA_PARAM_Props && !stream->has_volume)
        stream->has_volume = parse_volume_props(param, &stream->channels, stream->amplitudes, &stream->mute);
}

static const struct pw_node_events session_stream_events =
{
    PW_VERSION_NODE_EVENTS,
    .info = on_session_stream_info,
    .param = on_session_stream_param,
};

static void on_session_global(void *arg, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
                              const struct spa_dict *props)
{
    struct session_query *query = arg;
    const char *media_class, *name, *output, *input;
    struct session_stream *stream;

    if (!props) return;
    if (!strcmp(type, PW_TYPE_INTERFACE_Link))
    {
        if (query->link_count == SESSION_LINKS_MAX || !(output = spa_dict_lookup(props, PW_KEY_LINK_OUTPUT_NODE))
            || !(input = spa_dict_lookup(props, PW_KEY_LINK_INPUT_NODE)))
            return;
        query->links[query->link_count].output = strtoul(output, NULL, 10);
        query->links[query->link_count++].input = strtoul(input, NULL, 10);
        return;
    }
    if (strcmp(type, PW_TYPE_INTERFACE_Node)) return;
    media_class = spa_dict_lookup(props, PW_KEY_MEDIA_CLASS);
    if ((name = spa_dict_lookup(props, PW_KEY_NODE_NAME)) && !strcmp(name, query->key)
        && node_of_flow(media_class, query->flow))
        query->device = id;
    /* A program's stream that plays (records); whose it is, its node's info says. */
    if (!media_class || strcmp(media_class, query->flow == MMDEVAPI_RENDER ? "Stream/Output/Audio" : "Stream/Input/Audio")
        || query->stream_count == SESSION_STREAMS_MAX)
        return;
    stream = &query->streams[query->stream_count++];
    memset(stream, 0, sizeof(*stream));
    stream->id = id;
}

static const struct pw_registry_events session_registry_events =
{
    PW_VERSION_REGISTRY_EVENTS,
    .global = on_session_global,
};

/* Whether the graph links stream to the endpoint's node. */
static BOOL session_stream_linked(const struct session_query *query, const struct session_stream *stream)
{
    UINT32 i;

    for (i = 0; i < query->link_count; i++)
        if (query->flow == MMDEVAPI_RENDER ? query->links[i].output == stream->id && query->links[i].input == query->device
                                           : query->links[i].output == query->device && query->links[i].input == stream->id)
            return TRUE;
    return FALSE;
}

/* Whether stream is another program's (a stream without a process is no program's), and of
 * process_id if not 0. */
static BOOL session_stream_wanted(const struct session_query *query, const struct session_stream *stream,
                                  UINT32 process_id)
{
    return stream->proxy && stream->process_id && stream->process_id != query->self
           && (!process_id || stream->process_id == process_id);
}

/* The programs' streams linked to the endpoint, bound, with their process, state and volume; FALSE
 * if the endpoint is gone or the graph did not answer. */
static BOOL query_sessions(struct pipewire_connection *conn, struct session_query *query, struct spa_hook *registry_listener)
{
    UINT64 deadline = monotonic_ns() + PIPEWIRE_TIMEOUT_NS;
    struct session_stream *stream;
    UINT32 i;

    if (!(query->registry = pw_core_get_registry(conn->core, PW_VERSION_REGISTRY, 0))) return FALSE;
    pw_registry_add_listener(query->registry, registry_listener, &session_registry_events, query);
    if (!pipewire_roundtrip(conn, deadline) || query->device == SPA_ID_INVALID) return FALSE;
    for (i = 0; i < query->stream_count; i++)
    {
        stream = &query->streams[i];
        if (!session_stream_linked(query, stream)
            || !(stream->proxy = pw_registry_bind(query->registry, stream->id, PW_TYPE_INTERFACE_Node, PW_VERSION_NODE, 0)))
            continue;
        pw_proxy_add_object_listener(stream->proxy, &stream->listener, &session_stream_events, stream);
        pw_node_enum_params((struct pw_node *)stream->proxy, 0, SPA_PARAM_Props, 0, UINT32_MAX, NULL);
    }
    /* The first answer brings the nodes' info, the second their Props. */
    return pipewire_roundtrip(conn, deadline) && pipewire_roundtrip(conn, deadline);
}

static void query_sessions_done(struct session_query *query, struct spa_hook *registry_listener)
{
    UINT32 i;

    for (i = 0; i < query->stream_count; i++)
        if (query->streams[i].proxy)
        {
            spa_hook_remove(&query->streams[i].listener);
            pw_proxy_destroy(query->streams[i].proxy);
        }
    if (query->registry)
    {
        spa_hook_remove(registry_listener);
        pw_proxy_destroy((struct pw_proxy *)query->registry);
    }
}

static UINT32 pipewire_list_sessions(const char *key, enum mmdevapi_flow flow, struct endpoint_session *sessions,
                                     UINT32 capacity)
{
    struct pipewire_connection conn;
    struct spa_hook registry_listener;
    struct endpoint_session *session;
    struct session_stream *stream;
    struct session_query *query;
    UINT32 count = 0, i, j, c;
    float loudest;

    if (!(query = calloc(1, sizeof(*query)))) return 0;
    query->key = key;
    query->flow = flow;
    query->self = getpid();
    query->device = SPA_ID_INVALID;
    if (!pipewire_connect(&conn, "client.conf", "Wine mmdevapi"))
    {
        free(query);
        return 0;
    }
    if (query_sessions(&conn, query, &registry_listener))
        for (i = 0; i < query->stream_count; i++)
        {
            stream = &query->streams[i];
            if (!session_stream_wanted(query, stream, 0)) continue;
            for (j = 0; j < count && sessions[j].process_id != stream->process_id; j++) ;
            if (j == count)
            {
                if (count == capacity) continue;
                session = &sessions[count++];
                memset(session, 0, sizeof(*session));
                session->process_id = stream->process_id;
                session->windows_process_id = stream->windows_process_id;
                memcpy(session->name, stream->name, sizeof(session->name));
                for (c = 0, loudest = stream->has_volume ? 0.0f : 1.0f; c < stream->channels; c++)
                    loudest = max(loudest, stream->amplitudes[c]);
                session->volume = min(loudest, 1.0f);
                session->mute = stream->mute;
            }
            sessions[j].active |= stream->running;
        }
    query_sessions_done(query, &registry_listener);
    pipewire_disconnect(&conn);
    free(query);
    return count;
}

static HRESULT pipewire_set_session_volume(const char *key, enum mmdevapi_flow flow, UINT32 process_id, float volume,
                                           BOOL mute)
{
    float amplitudes[MMDEVAPI_MAX_CHANNELS];
    struct pipewire_connection conn;
    struct spa_hook registry_listener;
    struct session_stream *stream;
    struct session_query *query;
    HRESULT hr = S_OK;
    UINT32 i, c;

    if (!(query = calloc(1, sizeof(*query)))) return E_OUTOFMEMORY;
    query->key = key;
    query->flow = flow;
    query->self = getpid();
    query->device = SPA_ID_INVALID;
    if (!pipewire_connect(&conn, "client.conf", "Wine mmdevapi"))
    {
        free(query);
        return AUDCLNT_E_DEVICE_INVALIDATED;
    }
    if (!query_sessions(&conn, query, &registry_listener)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    else
    {
        for (i = 0; i < query->stream_count; i++)
        {
            stream = &query->streams[i];
            if (!session_stream_wanted(query, stream, process_id) || !stream->has_volume) continue;
            for (c = 0; c < stream->channels; c++) amplitudes[c] = volume;
            set_node_volume(stream->proxy, amplitudes, stream->channels, mute);
        }
        if (!pipewire_roundtrip(&conn, monotonic_ns() + PIPEWIRE_TIMEOUT_NS)) hr = AUDCLNT_E_DEVICE_INVALIDATED;
    }
    query_sessions_done(query, &registry_listener);
    pipewire_disconnect(&conn);
    free(query);
    return hr;
}

const struct backend_ops pipewire_backend =
{
    .name = "pipewire",
    .probe = pipewire_probe,
    .list_endpoints = pipewire_list_endpoints,
    .stream_open = pipewire_stream_open,
    .stream_close = pipewire_stream_close,
    .stream_start = pipewire_stream_start,
    .stream_stop = pipewire_stream_stop,
    .stream_wait = pipewire_stream_wait,
    .stream_write = pipewire_stream_write,
    .stream_delay = pipewire_stream_delay,
    .stream_read = pipewire_stream_read,
    .volume_get = pipewire_volume_get,
    .volume_set = pipewire_volume_set,
    .watch = pipewire_watch,
    .list_sessions = pipewire_list_sessions,
    .set_session_volume = pipewire_set_session_volume,
};
