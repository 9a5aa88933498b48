/* Layer 2: the endpoint volume's calls of the Linux side (unix_endpoint_get_volume, _set_volume,
 * unix_endpoints_watch, unix_engine_get_peaks), called as the PE side calls them, against the real backend
 * the harness started: hostile parameters, then the device's own volume as the system's tools see
 * it (pactl; on ALSA through alsa-lib's pulse control plugin, which this test puts behind
 * "default"'s mixer, on the harness's server), and a change made by pactl seen by the wait. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <winerror.h>
#include <audioclient.h>

#include "mmdevapi_unix.h"
#include "unit.h"

extern const unixlib_entry_t __wine_unix_call_funcs[];

static NTSTATUS call(enum mmdevapi_unix_call code, void *params)
{
    return __wine_unix_call_funcs[code](params);
}

static UINT64 now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000ull + now.tv_nsec / 1000000;
}

/* A shell command's first line of output into out; FALSE if it could not run. */
static BOOL run(const char *command, char *out, size_t size)
{
    FILE *pipe = popen(command, "r");
    size_t done;

    out[0] = 0;
    if (!pipe) return FALSE;
    done = fread(out, 1, size - 1, pipe);
    out[done] = 0;
    return pclose(pipe) == 0;
}

static HRESULT get_volume(const char *key, UINT32 flow, UINT32 channels, struct endpoint_volume *volume)
{
    struct endpoint_volume_params params;

    memset(&params, 0xcc, sizeof(params));
    snprintf(params.key, sizeof(params.key), "%s", key);
    params.flow = flow;
    params.volume.channels = channels;
    CHECK(call(unix_endpoint_get_volume, &params) == STATUS_SUCCESS);
    *volume = params.volume;
    return params.result;
}

static HRESULT set_volume(const char *key, UINT32 flow, const struct endpoint_volume *volume)
{
    struct endpoint_volume_params params;

    memset(&params, 0xcc, sizeof(params));
    snprintf(params.key, sizeof(params.key), "%s", key);
    params.flow = flow;
    params.volume = *volume;
    CHECK(call(unix_endpoint_set_volume, &params) == STATUS_SUCCESS);
    return params.result;
}

/* S_OK when something of wanted (MMDEVAPI_CHANGED_*) changed within timeout_ms; S_FALSE when nothing
 * of it did: what else changes meanwhile (a sink's state, say) is passed over. */
static HRESULT wait_change(UINT32 wanted, UINT32 timeout_ms)
{
    struct endpoints_watch_params params;
    UINT64 deadline = now_ms() + timeout_ms;

    do
    {
        params.timeout_ms = deadline - min(now_ms(), deadline);
        params.changes = 0xdead;
        CHECK(call(unix_endpoints_watch, &params) == STATUS_SUCCESS);
        CHECK(params.result == S_OK ? params.changes && !(params.changes & ~3u) : !params.changes);
        if (params.result != S_OK) return params.result;
    } while (!(params.changes & wanted));
    return S_OK;
}

static void test_hostile(const char *key)
{
    struct endpoint_volume_params params;
    struct engine_get_peaks_params peaks;
    struct endpoint_volume volume;

    /* A flow that is neither, a key without its terminator. */
    CHECK_EQ_HEX(get_volume(key, 2, 2, &volume), E_INVALIDARG);
    memset(&params, 'x', sizeof(params));
    params.flow = MMDEVAPI_RENDER;
    params.volume.channels = 2;
    call(unix_endpoint_get_volume, &params);
    CHECK(FAILED(params.result) || params.volume.channels <= MMDEVAPI_MAX_CHANNELS);

    /* Channels none or too many, levels outside 0..1 and NaN: refused before the device. */
    memset(&volume, 0, sizeof(volume));
    volume.channels = 0;
    CHECK_EQ_HEX(set_volume(key, MMDEVAPI_RENDER, &volume), E_INVALIDARG);
    volume.channels = MMDEVAPI_MAX_CHANNELS + 1;
    CHECK_EQ_HEX(set_volume(key, MMDEVAPI_RENDER, &volume), E_INVALIDARG);
    volume.channels = 2;
    volume.levels[0] = 1.5f;
    CHECK_EQ_HEX(set_volume(key, MMDEVAPI_RENDER, &volume), E_INVALIDARG);
    volume.levels[0] = -0.25f;
    CHECK_EQ_HEX(set_volume(key, MMDEVAPI_RENDER, &volume), E_INVALIDARG);
    volume.levels[0] = NAN;
    CHECK_EQ_HEX(set_volume(key, MMDEVAPI_RENDER, &volume), E_INVALIDARG);
    volume.levels[0] = 1.0f;
    CHECK_EQ_HEX(set_volume(key, 7, &volume), E_INVALIDARG);

    /* A made-up engine has no meter. */
    memset(&peaks, 0xcc, sizeof(peaks));
    peaks.engine = 0x123456789ull;
    CHECK(call(unix_engine_get_peaks, &peaks) == STATUS_SUCCESS);
    CHECK_EQ_HEX(peaks.result, E_INVALIDARG);
    CHECK_EQ_UINT(peaks.channels, 0);
}

/* The sink's volume in the server's units (0..65536), as pactl reports it: on ALSA too, where the
 * mixer's control is the pulse plugin's on that sink. */
static BOOL device_volume(UINT32 *left, UINT32 *right)
{
    char out[2048], *p;

    if (!run("pactl get-sink-volume mmdevtest_sink", out, sizeof(out))) return FALSE;
    return (p = strstr(out, "front-left: ")) && sscanf(p, "front-left: %u", left) == 1
           && (p = strstr(out, "front-right: ")) && sscanf(p, "front-right: %u", right) == 1;
}

static void test_device(const char *backend, const char *key)
{
    struct endpoint_volume volume, now;
    UINT32 left = 0, right = 0;
    char command[256], out[256];
    UINT64 start;
    HRESULT hr;

    hr = get_volume(key, MMDEVAPI_RENDER, 2, &volume);
    CHECK_EQ_HEX(hr, S_OK);
    if (FAILED(hr)) return;
    CHECK_EQ_UINT(volume.channels, 2);
    CHECK_EQ_UINT(volume.hardware & ~3u, 0);
    CHECK(volume.min_db < volume.max_db && volume.increment_db > 0 && volume.step_count >= 2);
    printf("%s: levels %g %g, mute %u, range [%g, %g] / %g dB, %u steps, hardware %#x\n", key, volume.levels[0],
           volume.levels[1], volume.mute, volume.min_db, volume.max_db, volume.increment_db, volume.step_count,
           volume.hardware);

    /* The first wait takes up its watch; what it reports then is only "look again". */
    CHECK(SUCCEEDED(wait_change(MMDEVAPI_CHANGED_VOLUME, 0)));

    volume.levels[0] = 0.5f;
    volume.levels[1] = 0.25f;
    volume.mute = 0;
    CHECK_EQ_HEX(set_volume(key, MMDEVAPI_RENDER, &volume), S_OK);
    CHECK(device_volume(&left, &right));
    CHECK_EQ_UINT(left, 32768);
    CHECK_EQ_UINT(right, 16384);
    CHECK_EQ_HEX(get_volume(key, MMDEVAPI_RENDER, 2, &now), S_OK);
    CHECK_EQ_FLOAT(now.levels[0], 0.5f);
    CHECK_EQ_FLOAT(now.levels[1], 0.25f);
    /* Our own change is a change too, for the volume thread to compare. */
    CHECK_EQ_HEX(wait_change(MMDEVAPI_CHANGED_VOLUME, 2000), S_OK);

    volume.mute = 1;
    CHECK_EQ_HEX(set_volume(key, MMDEVAPI_RENDER, &volume), S_OK);
    CHECK_EQ_HEX(get_volume(key, MMDEVAPI_RENDER, 2, &now), S_OK);
    CHECK_EQ_UINT(now.mute, 1);
    CHECK(run("pactl get-sink-mute mmdevtest_sink", out, sizeof(out)));
    CHECK(strstr(out, "Mute: yes") != NULL);
    while (wait_change(MMDEVAPI_CHANGED_VOLUME | MMDEVAPI_CHANGED_ENDPOINTS, 100) == S_OK) {}

    /* From outside (on ALSA, the server behind the card's control): seen, and read as it is. */
    snprintf(command, sizeof(command), "pactl set-sink-volume mmdevtest_sink 19661 26214");
    CHECK(run(command, out, sizeof(out)));
    start = now_ms();
    CHECK_EQ_HEX(wait_change(MMDEVAPI_CHANGED_VOLUME, 2000), S_OK);
    printf("%s: the wait saw the change %llu ms after the tool ended\n", command, (unsigned long long)(now_ms() - start));
    CHECK_EQ_HEX(get_volume(key, MMDEVAPI_RENDER, 2, &now), S_OK);
    CHECK_EQ_FLOAT(now.levels[0], 19661 / 65536.0f);
    CHECK_EQ_FLOAT(now.levels[1], 26214 / 65536.0f);

    volume.levels[0] = volume.levels[1] = 1.0f;
    volume.mute = 0;
    CHECK_EQ_HEX(set_volume(key, MMDEVAPI_RENDER, &volume), S_OK);
    /* The wrong channel count for the sink (ALSA's control maps any count onto its own channels). */
    volume.channels = 3;
    if (!strcmp(backend, "pulse")) CHECK_EQ_HEX(set_volume(key, MMDEVAPI_RENDER, &volume), E_INVALIDARG);
}

/* The render endpoints' keys and which is the default ("" if none). */
static UINT32 list_render(struct endpoint_info *endpoints, char *default_key)
{
    struct get_endpoints_params params = { .flow = MMDEVAPI_RENDER, .capacity = MMDEVAPI_ENDPOINTS_MAX,
                                           .endpoints = endpoints };

    CHECK(call(unix_get_endpoints, &params) == STATUS_SUCCESS);
    default_key[0] = 0;
    if (params.default_index < params.count) strcpy(default_key, endpoints[params.default_index].key);
    return params.count;
}

static BOOL listed(const struct endpoint_info *endpoints, UINT32 count, const char *key)
{
    while (count--) if (!strcmp(endpoints[count].key, key)) return TRUE;
    return FALSE;
}

/* On PulseAudio, a sink that comes, becomes the default and goes: each is an endpoints' change
 * the watch reports, and the list then shows it. */
static void test_endpoint_changes(void)
{
    static struct endpoint_info endpoints[MMDEVAPI_ENDPOINTS_MAX];
    char out[256], old_default[MMDEVAPI_DEVICE_KEY_MAX], now_default[MMDEVAPI_DEVICE_KEY_MAX];
    char command[MMDEVAPI_DEVICE_KEY_MAX + 64];
    unsigned int module;
    UINT32 count;
    UINT64 start;

    while (wait_change(MMDEVAPI_CHANGED_VOLUME | MMDEVAPI_CHANGED_ENDPOINTS, 100) == S_OK) {}
    list_render(endpoints, old_default);
    CHECK(run("pactl load-module module-null-sink sink_name=mmdevtest_extra", out, sizeof(out)));
    CHECK(sscanf(out, "%u", &module) == 1);
    if (sscanf(out, "%u", &module) != 1) return;
    start = now_ms();
    CHECK_EQ_HEX(wait_change(MMDEVAPI_CHANGED_ENDPOINTS, 2000), S_OK);
    printf("a sink loaded: seen %llu ms after pactl ended\n", (unsigned long long)(now_ms() - start));
    count = list_render(endpoints, now_default);
    CHECK(listed(endpoints, count, "mmdevtest_extra"));

    CHECK(run("pactl set-default-sink mmdevtest_extra", out, sizeof(out)));
    CHECK_EQ_HEX(wait_change(MMDEVAPI_CHANGED_ENDPOINTS, 2000), S_OK);
    list_render(endpoints, now_default);
    CHECK_EQ_STR(now_default, "mmdevtest_extra");

    snprintf(command, sizeof(command), "pactl set-default-sink %s; pactl unload-module %u", old_default, module);
    CHECK(run(command, out, sizeof(out)));
    CHECK_EQ_HEX(wait_change(MMDEVAPI_CHANGED_ENDPOINTS, 2000), S_OK);
    while (wait_change(MMDEVAPI_CHANGED_ENDPOINTS, 100) == S_OK) {}
    count = list_render(endpoints, now_default);
    CHECK(!listed(endpoints, count, "mmdevtest_extra"));
    CHECK_EQ_STR(now_default, old_default);
}

/* On ALSA, "default"'s control: alsa-lib's pulse plugin on the harness's server, beside the harness's
 * configuration. The plugin of this program's architecture: both may be installed. */
static BOOL alsa_mixer_setup(void)
{
#ifdef __i386__
    static const char *const dirs[] = { "/usr/lib/i386-linux-gnu/alsa-lib", "/usr/lib32/alsa-lib", "/usr/lib/alsa-lib" };
#else
    static const char *const dirs[] = { "/usr/lib/x86_64-linux-gnu/alsa-lib", "/usr/lib64/alsa-lib", "/usr/lib/alsa-lib" };
#endif
    const char *dir = getenv("MMDEVAPI_TEST_DIR"), *config = getenv("ALSA_CONFIG_PATH");
    char path[1024], plugin[512], paths[2048];
    FILE *file;
    size_t i;

    if (!dir || !config) return FALSE;
    for (i = 0; i < ARRAY_SIZE(dirs); i++)
    {
        snprintf(plugin, sizeof(plugin), "%s/libasound_module_ctl_pulse.so", dirs[i]);
        if (!access(plugin, R_OK)) break;
    }
    if (i == ARRAY_SIZE(dirs)) return FALSE;
    snprintf(path, sizeof(path), "%s/asound-mixer.conf", dir);
    if (!(file = fopen(path, "w"))) return FALSE;
    fprintf(file, "ctl_type.pulse { lib \"%s\" }\n", plugin);
    fprintf(file, "ctl.default { type pulse; sink \"mmdevtest_sink\"; source \"mmdevtest_source\" }\n");
    fclose(file);
    snprintf(paths, sizeof(paths), "%s:%s", config, path);
    setenv("ALSA_CONFIG_PATH", paths, 1);
    return TRUE;
}

int main(void)
{
    struct process_attach_params attach;
    const char *backend = unit_backend();
    struct get_endpoints_params params;
    static struct endpoint_info endpoints[MMDEVAPI_ENDPOINTS_MAX];

    if (!backend || (strcmp(backend, "pulse") && strcmp(backend, "alsa")))
    {
        printf("endpoint-volume: pulse and alsa only\n");
        return 77;
    }
    if (!strcmp(backend, "alsa") && !alsa_mixer_setup())
    {
        printf("endpoint-volume: alsa-lib's pulse control plugin is not installed\n");
        return 77;
    }
    memset(&attach, 0, sizeof(attach));
    attach.has_request = 1;
    snprintf(attach.request, sizeof(attach.request), "%s", backend);
    CHECK(call(unix_process_attach, &attach) == STATUS_SUCCESS);
    CHECK_EQ_STR(attach.backend, backend);

    memset(&params, 0, sizeof(params));
    params.flow = MMDEVAPI_RENDER;
    params.capacity = MMDEVAPI_ENDPOINTS_MAX;
    params.endpoints = endpoints;
    CHECK(call(unix_get_endpoints, &params) == STATUS_SUCCESS);
    CHECK(params.count && params.default_index < params.count);
    if (params.count && params.default_index < params.count)
    {
        test_hostile(endpoints[params.default_index].key);
        test_device(backend, endpoints[params.default_index].key);
    }
    if (!strcmp(backend, "pulse")) test_endpoint_changes();
    return unit_summary("endpoint-volume");
}
