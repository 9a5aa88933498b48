/* What the harness recorded of the audio that reached the backend: raw float32 48 kHz stereo, in
 * the file MMDEVAPI_TEST_ALSA_FILE (ALSA: alsa-lib's file plugin) or MMDEVAPI_TEST_PULSE_RECORDING
 * (PulseAudio: the null sink's monitor), both Unix paths, read here through drive Z:. Also the
 * pseudo-random generator the signals are made of. */
#ifndef MMDEVAPI_TESTS_RECORDING_H
#define MMDEVAPI_TESTS_RECORDING_H

#include "test.h"

#define RECORDING_RATE 48000
#define RECORDING_CHANNELS 2

/* The recording's Windows path for the harness's backend; FALSE when the harness gives none. */
static inline BOOL recording_find(const struct test_env *env, WCHAR *recording, size_t size)
{
    WCHAR path[MAX_PATH];
    size_t i;

    if (!test_getenv(env->backend == TEST_BACKEND_ALSA ? "MMDEVAPI_TEST_ALSA_FILE" : "MMDEVAPI_TEST_PULSE_RECORDING",
                     path, ARRAY_SIZE(path)) || path[0] != '/')
        return FALSE;
    _snwprintf(recording, size, L"Z:%s", path);
    recording[size - 1] = 0;
    for (i = 0; recording[i]; i++) if (recording[i] == '/') recording[i] = '\\';
    return TRUE;
}

/* Whole frames recorded so far; 0 if there is no recording yet. */
static inline UINT64 recording_frames(const WCHAR *recording)
{
    WIN32_FILE_ATTRIBUTE_DATA data;

    if (!GetFileAttributesExW(recording, GetFileExInfoStandard, &data)) return 0;
    return (((UINT64)data.nFileSizeHigh << 32) | data.nFileSizeLow) / (RECORDING_CHANNELS * sizeof(float));
}

/* The frames recorded from frame start on, at most max_frames (free() them); NULL if none. */
static inline float *recording_read(const WCHAR *recording, UINT64 start, UINT32 max_frames, UINT32 *frames)
{
    UINT64 end = recording_frames(recording);
    LARGE_INTEGER offset;
    DWORD size, done = 0;
    float *buf;
    HANDLE file;

    *frames = 0;
    if (end <= start) return NULL;
    if (end - start > max_frames) end = start + max_frames;
    file = CreateFileW(recording, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                       OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) return NULL;
    size = (end - start) * RECORDING_CHANNELS * sizeof(float);
    offset.QuadPart = start * RECORDING_CHANNELS * sizeof(float);
    if ((buf = malloc(size)) && SetFilePointerEx(file, offset, NULL, FILE_BEGIN))
        ReadFile(file, buf, size, &done, NULL);
    CloseHandle(file);
    *frames = done / (RECORDING_CHANNELS * sizeof(float));
    return buf;
}

/* xorshift32: the same sequence from the same seed, whatever the platform. */
static inline UINT32 test_random(UINT32 *state)
{
    UINT32 x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

#endif
