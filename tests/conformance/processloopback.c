/*
 * Process loopback (Windows 10 build 20348): ActivateAudioInterfaceAsync of
 * VIRTUAL_AUDIO_DEVICE_PROCESS_LOOPBACK with AUDIOCLIENT_ACTIVATION_PARAMS. Other Wine processes of
 * ours play tones of their own frequencies (this program started again with --play, or with
 * --spawn, which starts a child that plays: a process tree); an include-mode capture of one process
 * must hold its tone and nothing of the others', an exclude-mode capture every tone but its own. The
 * tones are told apart by their energy at each frequency (Goertzel), which fails where a capture
 * holds another process's tone at 1 % of its own level.
 *
 * HRESULTs: a blob of another size, another activation type or mode, no process: E_INVALIDARG, on
 * every backend. GetMixFormat answers E_NOTIMPL, as on Windows: the program gives its format
 * (Microsoft's sample: 44.1 kHz int16 stereo, LOOPBACK | EVENTCALLBACK | AUTOCONVERTPCM). Where the
 * backend cannot tell whose a stream is (ALSA, the native PipeWire backend, none) the activation
 * completes with E_NOTIMPL, our choice where Windows always can.
 */
#define COBJMACROS
#define CONST_VTABLE
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <objbase.h>
#include <propsys.h>
#include <initguid.h>
#include <mmdeviceapi.h>
#include <audioclient.h>
#include <mmreg.h>
#include "activate_async.h"
#include "process_loopback.h"

#define TONE_AMPLITUDE 0.25
#define CAPTURE_RATE 44100
/* What the captures skip (the taps start) and then measure. */
#define CAPTURE_SKIP_MS 500
#define CAPTURE_MS 1000

static struct test_env env;
static activate_async_func activate;

/* Set by the test once it is done with the players, which end then (the grandchild too, which the
 * test does not know). */
#define STOP_EVENT L"mmdevtest-processloopback-stop"

/* --play: a tone of freq Hz on the default render endpoint until the test says stop, ms at most. */
static int play_tone(double freq, DWORD ms)
{
    IMMDeviceEnumerator *mme = NULL;
    IAudioRenderClient *render = NULL;
    IAudioClient *ac = NULL;
    IMMDevice *device = NULL;
    WAVEFORMATEX *wfx = NULL;
    UINT32 buffer, padding, i, c;
    UINT64 written = 0;
    HANDLE stop = OpenEventW(SYNCHRONIZE, FALSE, STOP_EVENT);
    DWORD start;
    float *data;
    HRESULT hr;

    hr = CoCreateInstance(&CLSID_MMDeviceEnumerator, NULL, CLSCTX_INPROC_SERVER, &IID_IMMDeviceEnumerator,
                          (void **)&mme);
    if (SUCCEEDED(hr)) hr = IMMDeviceEnumerator_GetDefaultAudioEndpoint(mme, eRender, eConsole, &device);
    if (SUCCEEDED(hr)) hr = IMMDevice_Activate(device, &IID_IAudioClient, CLSCTX_INPROC_SERVER, NULL, (void **)&ac);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetMixFormat(ac, &wfx);
    /* The mix format is float32. */
    if (SUCCEEDED(hr)) hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, 0, 2000000, 0, wfx, NULL);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetBufferSize(ac, &buffer);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetService(ac, &IID_IAudioRenderClient, (void **)&render);
    if (SUCCEEDED(hr)) hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "the player of %.0f Hz: got %08lx\n", freq, hr);
    for (start = GetTickCount(); SUCCEEDED(hr) && GetTickCount() - start < ms && WaitForSingleObject(stop, 10);)
    {
        if (FAILED(hr = IAudioClient_GetCurrentPadding(ac, &padding))) break;
        if (buffer - padding < 64) continue;
        if (FAILED(hr = IAudioRenderClient_GetBuffer(render, buffer - padding, (BYTE **)&data))) break;
        for (i = 0; i < buffer - padding; i++, written++)
            for (c = 0; c < wfx->nChannels; c++)
                data[i * wfx->nChannels + c] = TONE_AMPLITUDE * sin(2 * M_PI * freq * written / wfx->nSamplesPerSec);
        hr = IAudioRenderClient_ReleaseBuffer(render, buffer - padding, 0);
    }
    ok(hr == S_OK, "the player of %.0f Hz stopped: %08lx\n", freq, hr);
    if (render) IAudioRenderClient_Release(render);
    if (ac) IAudioClient_Release(ac);
    CoTaskMemFree(wfx);
    if (device) IMMDevice_Release(device);
    if (mme) IMMDeviceEnumerator_Release(mme);
    if (stop) CloseHandle(stop);
    return test_summary();
}

/* This program again with arguments, in a process of its own. */
static BOOL start_self(const char *args, PROCESS_INFORMATION *child)
{
    STARTUPINFOA startup = { sizeof(startup) };
    char exe[MAX_PATH], command[MAX_PATH + 64];

    GetModuleFileNameA(NULL, exe, sizeof(exe));
    snprintf(command, sizeof(command), "\"%s\" %s", exe, args);
    return ok(CreateProcessA(exe, command, NULL, NULL, FALSE, 0, NULL, NULL, &startup, child),
              "CreateProcess(%s): %lu\n", args, GetLastError());
}

static void end_child(PROCESS_INFORMATION *child)
{
    ok(WaitForSingleObject(child->hProcess, 10000) == WAIT_OBJECT_0, "a player did not end\n");
    CloseHandle(child->hProcess);
    CloseHandle(child->hThread);
}

/* --spawn: a child that plays, waited for: this process's tree plays, this process does not. */
static int spawn_player(const char *freq, const char *ms)
{
    PROCESS_INFORMATION child;
    char args[64];

    snprintf(args, sizeof(args), "--play %s %s", freq, ms);
    if (start_self(args, &child))
    {
        WaitForSingleObject(child.hProcess, INFINITE);
        end_child(&child);
    }
    return test_summary();
}

static HRESULT activate_blob(const void *blob, ULONG size, IAudioClient **ac)
{
    PROPVARIANT params;

    PropVariantInit(&params);
    params.vt = VT_BLOB;
    params.blob.cbSize = size;
    params.blob.pBlobData = (BYTE *)blob;
    return activate_async_params(activate, VIRTUAL_AUDIO_DEVICE_PROCESS_LOOPBACK, &IID_IAudioClient, &params,
                                 (IUnknown **)ac);
}

static HRESULT activate_process(DWORD pid, PROCESS_LOOPBACK_MODE mode, IAudioClient **ac)
{
    AUDIOCLIENT_ACTIVATION_PARAMS params;

    params.ActivationType = AUDIOCLIENT_ACTIVATION_TYPE_PROCESS_LOOPBACK;
    params.ProcessLoopbackParams.TargetProcessId = pid;
    params.ProcessLoopbackParams.ProcessLoopbackMode = mode;
    return activate_blob(&params, sizeof(params), ac);
}

/* What is refused before any backend is asked, on every backend. */
static void test_bad_params(void)
{
    struct { AUDIOCLIENT_ACTIVATION_PARAMS params; DWORD more; } big;
    AUDIOCLIENT_ACTIVATION_PARAMS params;
    IAudioClient *ac;
    PROPVARIANT empty;
    HRESULT hr;

    params.ActivationType = AUDIOCLIENT_ACTIVATION_TYPE_PROCESS_LOOPBACK;
    params.ProcessLoopbackParams.TargetProcessId = GetCurrentProcessId();
    params.ProcessLoopbackParams.ProcessLoopbackMode = PROCESS_LOOPBACK_MODE_INCLUDE_TARGET_PROCESS_TREE;
    hr = activate_blob(&params, sizeof(params) - 1, &ac);
    ok(hr == E_INVALIDARG && !ac, "a short blob: got %08lx %p, expected E_INVALIDARG\n", hr, ac);
    big.params = params;
    big.more = 0;
    hr = activate_blob(&big, sizeof(big), &ac);
    ok(hr == E_INVALIDARG && !ac, "a long blob: got %08lx %p, expected E_INVALIDARG\n", hr, ac);

    params.ActivationType = AUDIOCLIENT_ACTIVATION_TYPE_DEFAULT;
    hr = activate_blob(&params, sizeof(params), &ac);
    ok(hr == E_INVALIDARG && !ac, "the default activation type: got %08lx %p, expected E_INVALIDARG\n", hr, ac);
    params.ActivationType = 2;
    hr = activate_blob(&params, sizeof(params), &ac);
    ok(hr == E_INVALIDARG && !ac, "an unknown activation type: got %08lx %p, expected E_INVALIDARG\n", hr, ac);

    params.ActivationType = AUDIOCLIENT_ACTIVATION_TYPE_PROCESS_LOOPBACK;
    params.ProcessLoopbackParams.ProcessLoopbackMode = 2;
    hr = activate_blob(&params, sizeof(params), &ac);
    ok(hr == E_INVALIDARG && !ac, "an unknown mode: got %08lx %p, expected E_INVALIDARG\n", hr, ac);
    params.ProcessLoopbackParams.ProcessLoopbackMode = PROCESS_LOOPBACK_MODE_EXCLUDE_TARGET_PROCESS_TREE;
    params.ProcessLoopbackParams.TargetProcessId = 0;
    hr = activate_blob(&params, sizeof(params), &ac);
    ok(hr == E_INVALIDARG && !ac, "no process: got %08lx %p, expected E_INVALIDARG\n", hr, ac);

    PropVariantInit(&empty);
    hr = activate_async_params(activate, VIRTUAL_AUDIO_DEVICE_PROCESS_LOOPBACK, &IID_IAudioClient, &empty,
                               (IUnknown **)&ac);
    ok(hr == E_INVALIDARG && !ac, "no params: got %08lx %p, expected E_INVALIDARG\n", hr, ac);
}

/* Microsoft's sample's format: 44.1 kHz int16 stereo. */
static void sample_format(WAVEFORMATEX *wfx)
{
    pcm_format(wfx, WAVE_FORMAT_PCM, 16, CAPTURE_RATE, 2);
}

/* What the client answers besides the packets. */
static void test_client(IAudioClient *ac)
{
    REFERENCE_TIME period, min_period;
    WAVEFORMATEX *mix = (void *)0xdeadbeef, wfx, *closest;
    IAudioCaptureClient *capture;
    UINT32 frames;
    HRESULT hr;

    hr = IAudioClient_GetMixFormat(ac, &mix);
    ok(hr == E_NOTIMPL && !mix, "GetMixFormat: got %08lx %p, expected E_NOTIMPL\n", hr, mix);
    hr = IAudioClient_GetDevicePeriod(ac, &period, &min_period);
    ok(hr == S_OK && period > 0 && min_period > 0, "GetDevicePeriod: got %08lx\n", hr);
    sample_format(&wfx);
    hr = IAudioClient_IsFormatSupported(ac, AUDCLNT_SHAREMODE_SHARED, &wfx, &closest);
    ok(hr == S_OK, "IsFormatSupported: got %08lx\n", hr);
    hr = IAudioClient_GetBufferSize(ac, &frames);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED, "GetBufferSize before Initialize: got %08lx\n", hr);
    hr = IAudioClient_GetService(ac, &IID_IAudioCaptureClient, (void **)&capture);
    ok(hr == AUDCLNT_E_NOT_INITIALIZED, "GetService before Initialize: got %08lx\n", hr);
}

/* The amplitude of a sine of freq in samples, through a Hann window (its side lobes fall fast: a
 * tone 220 Hz away leaves less than 0.1 % in a block of 50 ms). */
static double amplitude_at(const float *samples, UINT32 count, double freq)
{
    double coeff = 2 * cos(2 * M_PI * freq / CAPTURE_RATE), s0, s1 = 0, s2 = 0, w, gain = 0;
    UINT32 i;

    for (i = 0; i < count; i++)
    {
        w = 0.5 - 0.5 * cos(2 * M_PI * i / count);
        gain += w;
        s0 = samples[i] * w + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return 2 * sqrt(max(0.0, s1 * s1 + s2 * s2 - coeff * s1 * s2)) / gain;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of the tone's amplitude over the blocks of 50 ms of samples: a player's own hiccup
 * (its process not scheduled on a loaded machine: its tone stops for a moment) spoils a block or
 * two, not the answer. */
static double median_amplitude(const float *samples, UINT32 count, double freq)
{
    UINT32 block = CAPTURE_RATE / 20, blocks = count / block, i;
    double levels[64];

    blocks = min(blocks, ARRAY_SIZE(levels));
    for (i = 0; i < blocks; i++) levels[i] = amplitude_at(samples + i * block, block, freq);
    qsort(levels, blocks, sizeof(*levels), compare_double);
    return levels[blocks / 2];
}

/* Records CAPTURE_MS of the process tree of pid (or everything but it) as the sample does, after
 * CAPTURE_SKIP_MS; the left channel, as floats, into samples. FALSE if it could not. */
static BOOL record_process(DWORD pid, PROCESS_LOOPBACK_MODE mode, float *samples, UINT32 count)
{
    IAudioCaptureClient *capture = NULL;
    UINT32 skip = CAPTURE_RATE * CAPTURE_SKIP_MS / 1000, got = 0, frames, i;
    IAudioClient *ac = NULL;
    UINT64 position, qpc;
    HANDLE event = CreateEventW(NULL, FALSE, FALSE, NULL);
    WAVEFORMATEX wfx;
    DWORD flags, start = GetTickCount();
    short *data;
    HRESULT hr;

    hr = activate_process(pid, mode, &ac);
    ok(hr == S_OK && ac, "activation for process %lu, mode %u: got %08lx\n", pid, mode, hr);
    if (hr != S_OK) return FALSE;
    test_client(ac);
    sample_format(&wfx);
    hr = IAudioClient_Initialize(ac, AUDCLNT_SHAREMODE_SHARED, AUDCLNT_STREAMFLAGS_LOOPBACK
                                 | AUDCLNT_STREAMFLAGS_EVENTCALLBACK | AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM,
                                 2000000, 0, &wfx, NULL);
    ok(hr == S_OK, "Initialize: got %08lx\n", hr);
    if (SUCCEEDED(hr)) hr = IAudioClient_SetEventHandle(ac, event);
    if (SUCCEEDED(hr)) hr = IAudioClient_GetService(ac, &IID_IAudioCaptureClient, (void **)&capture);
    if (SUCCEEDED(hr)) hr = IAudioClient_Start(ac);
    ok(hr == S_OK, "the capture: got %08lx\n", hr);
    while (SUCCEEDED(hr) && got < count && GetTickCount() - start < 5000)
    {
        WaitForSingleObject(event, 100);
        while ((hr = IAudioCaptureClient_GetBuffer(capture, (BYTE **)&data, &frames, &flags, &position, &qpc)) == S_OK)
        {
            for (i = 0; i < frames && got < count; i++)
            {
                if (skip) skip--;
                else samples[got++] = (flags & AUDCLNT_BUFFERFLAGS_SILENT) ? 0 : data[i * 2] / 32768.0f;
            }
            if (FAILED(hr = IAudioCaptureClient_ReleaseBuffer(capture, frames))) break;
        }
        if (hr == AUDCLNT_S_BUFFER_EMPTY) hr = S_OK;
    }
    ok(hr == S_OK && got == count, "captured %u frames of %u: %08lx\n", got, count, hr);
    if (capture) IAudioCaptureClient_Release(capture);
    IAudioClient_Stop(ac);
    IAudioClient_Release(ac);
    CloseHandle(event);
    return got == count;
}

/* What a capture holds of each tone: those of heard at about the level played, the others at less
 * than 1 % of it (a capture that holds a tone it must not holds it whole, in every block). */
static void check_tones(const char *what, DWORD pid, PROCESS_LOOPBACK_MODE mode, const double *freqs,
                        const BOOL *heard, UINT32 count)
{
    UINT32 frames = CAPTURE_RATE * CAPTURE_MS / 1000, i;
    float *samples = calloc(frames, sizeof(*samples));
    double level;

    if (samples && record_process(pid, mode, samples, frames))
        for (i = 0; i < count; i++)
        {
            level = median_amplitude(samples, frames, freqs[i]);
            trace("%s: %.0f Hz at %.5f\n", what, freqs[i], level);
            if (heard[i])
                ok(level > 0.5 * TONE_AMPLITUDE && level < 1.5 * TONE_AMPLITUDE,
                   "%s: the tone of %.0f Hz at %.4f, played at %.2f\n", what, freqs[i], level, TONE_AMPLITUDE);
            else
                ok(level < 0.01 * TONE_AMPLITUDE, "%s: the tone of %.0f Hz is there at %.4f, it must not be\n",
                   what, freqs[i], level);
        }
    free(samples);
}

static void test_processes(void)
{
    static const double freqs[] = { 440, 1000, 660 };
    static const BOOL only_a[] = { TRUE, FALSE, FALSE }, all_but_a[] = { FALSE, TRUE, TRUE };
    static const BOOL only_tree[] = { FALSE, FALSE, TRUE }, all_but_tree[] = { TRUE, TRUE, FALSE };
    static const char *const players[] = { "--play 440 20000", "--play 1000 20000", "--spawn 660 20000" };
    HANDLE stop = CreateEventW(NULL, TRUE, FALSE, STOP_EVENT);
    PROCESS_INFORMATION children[ARRAY_SIZE(players)];
    BOOL started[ARRAY_SIZE(players)];
    UINT32 i;

    /* Each plays until stopped, for longer than the captures take. */
    for (i = 0; i < ARRAY_SIZE(players); i++) started[i] = start_self(players[i], &children[i]);
    if (started[0] && started[1] && started[2])
    {
        Sleep(1500);
        check_tones("include the first player", children[0].dwProcessId,
                    PROCESS_LOOPBACK_MODE_INCLUDE_TARGET_PROCESS_TREE, freqs, only_a, ARRAY_SIZE(freqs));
        check_tones("exclude the first player", children[0].dwProcessId,
                    PROCESS_LOOPBACK_MODE_EXCLUDE_TARGET_PROCESS_TREE, freqs, all_but_a, ARRAY_SIZE(freqs));
        check_tones("include the tree (its child plays)", children[2].dwProcessId,
                    PROCESS_LOOPBACK_MODE_INCLUDE_TARGET_PROCESS_TREE, freqs, only_tree, ARRAY_SIZE(freqs));
        check_tones("exclude the tree", children[2].dwProcessId, PROCESS_LOOPBACK_MODE_EXCLUDE_TARGET_PROCESS_TREE,
                    freqs, all_but_tree, ARRAY_SIZE(freqs));
    }
    SetEvent(stop);
    for (i = 0; i < ARRAY_SIZE(players); i++)
        if (started[i]) end_child(&children[i]);
    CloseHandle(stop);
}

int main(int argc, char **argv)
{
    IAudioClient *ac;
    HRESULT hr;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (!test_read_env(&env)) return test_summary();
    if (argc > 3 && !strcmp(argv[1], "--play")) return play_tone(atof(argv[2]), atoi(argv[3]));
    if (argc > 3 && !strcmp(argv[1], "--spawn")) return spawn_player(argv[2], argv[3]);

    activate = (void *)GetProcAddress(LoadLibraryA("mmdevapi.dll"), "ActivateAudioInterfaceAsync");
    if (!ok(activate != NULL, "no ActivateAudioInterfaceAsync\n")) return test_summary();
    test_bad_params();
    hr = activate_process(GetCurrentProcessId(), PROCESS_LOOPBACK_MODE_INCLUDE_TARGET_PROCESS_TREE, &ac);
    if (env.backend == TEST_BACKEND_PULSE)
    {
        ok(hr == S_OK && ac, "activation: got %08lx %p, expected S_OK\n", hr, ac);
        if (ac) IAudioClient_Release(ac);
        test_processes();
    }
    else
    {
        /* The backend cannot tell whose a stream is (or there is none). */
        ok(hr == E_NOTIMPL && !ac, "activation on %s: got %08lx %p, expected E_NOTIMPL\n",
           dbgstr_w(env.backend_name), hr, ac);
    }
    CoUninitialize();
    return test_summary();
}
