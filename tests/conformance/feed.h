/*
 * The harness's capture feed: a file whose frames reach a capture endpoint (pulse: a FIFO into a
 * pipe source; alsa: the infile of alsa-lib's file plugin, appended to), from
 * MMDEVAPI_TEST_CAPTURE_FEED, MMDEVAPI_TEST_FEED_NAME (the endpoint's friendly name) and
 * MMDEVAPI_TEST_FEED_FORMAT. The signal written into it: nonzero pseudo-random 16-bit values, the
 * negative on odd channels, so that it aligns at one place only, and survives int16 -> float ->
 * int16 exactly.
 */
#ifndef MMDEVAPI_TESTS_FEED_H
#define MMDEVAPI_TESTS_FEED_H

#include "test.h"

struct feed
{
    WCHAR path[MAX_PATH + 4];   /* the file, through Wine's Z: drive */
    WCHAR name[256];
    struct test_format format;
};

/* FALSE when the harness offers no feed here. */
static inline BOOL feed_find(struct feed *feed)
{
    WCHAR unix_path[MAX_PATH], format[64];
    UINT32 i;

    if (!test_getenv("MMDEVAPI_TEST_CAPTURE_FEED", unix_path, ARRAY_SIZE(unix_path))
        || !test_getenv("MMDEVAPI_TEST_FEED_NAME", feed->name, ARRAY_SIZE(feed->name))
        || !test_getenv("MMDEVAPI_TEST_FEED_FORMAT", format, ARRAY_SIZE(format))
        || !test_parse_format(format, &feed->format))
        return FALSE;
    swprintf(feed->path, ARRAY_SIZE(feed->path), L"Z:%s", unix_path);
    for (i = 0; feed->path[i]; i++) if (feed->path[i] == '/') feed->path[i] = '\\';
    return TRUE;
}

static inline short feed_sample(UINT32 frame, UINT32 channel)
{
    UINT32 x = (frame + 1) * 2654435761u;
    short value = (short)(x >> 16);

    if (!value) value = 1;
    return channel % 2 ? -value : value;
}

/* frames of the signal in a format of the feed's channels: float32 (value / 32768) or int16. */
static inline void *feed_signal(UINT32 frames, UINT32 channels, BOOL is_float)
{
    BYTE *signal = malloc((size_t)frames * channels * (is_float ? 4 : 2));
    UINT32 i, j;

    for (i = 0; signal && i < frames; i++)
        for (j = 0; j < channels; j++)
        {
            if (is_float) ((float *)signal)[i * channels + j] = feed_sample(i, j) / 32768.0f;
            else ((short *)signal)[i * channels + j] = feed_sample(i, j);
        }
    return signal;
}

/* Writes frames of the signal into the feed, in its format. */
static inline BOOL feed_write(const struct feed *feed, UINT32 frames)
{
    UINT32 bytes = frames * feed->format.channels * feed->format.bits / 8;
    void *signal = feed_signal(frames, feed->format.channels, feed->format.is_float);
    HANDLE file;
    DWORD written = 0;

    file = CreateFileW(feed->path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    ok(file != INVALID_HANDLE_VALUE, "cannot open the feed %s: %lu\n", dbgstr_w(feed->path), GetLastError());
    if (file != INVALID_HANDLE_VALUE)
    {
        ok(WriteFile(file, signal, bytes, &written, NULL) && written == bytes, "wrote %lu of %u bytes into the feed\n",
           written, bytes);
        CloseHandle(file);
    }
    free(signal);
    return written == bytes;
}

/* Finds the signal's first frame in what was captured (frames of block bytes, in the format
 * feed_signal gives, float samples times scale) and compares signal_frames from there; reports and
 * returns the mismatches (signal_frames when it is not found). */
static inline UINT32 feed_compare(const char *who, const BYTE *captured, UINT32 frames, UINT32 signal_frames,
                                  UINT32 channels, BOOL is_float, float scale)
{
    BYTE *signal = feed_signal(signal_frames, channels, is_float);
    UINT32 block = channels * (is_float ? 4 : 2), at, i, mismatches = 0;

    for (i = 0; is_float && i < signal_frames * channels; i++) ((float *)signal)[i] *= scale;

    for (at = 0; at + signal_frames <= frames; at++)
        if (!memcmp(captured + (size_t)at * block, signal, block)) break;
    if (!ok(at + signal_frames <= frames, "%s: the signal's first frame is not in the %u frames captured\n", who, frames))
        mismatches = signal_frames;
    else
    {
        for (i = 0; i < signal_frames; i++)
            if (memcmp(captured + (size_t)(at + i) * block, signal + (size_t)i * block, block) && !mismatches++)
                trace("%s: first difference at signal frame %u\n", who, i);
        ok(!mismatches, "%s: %u of %u frames differ from what was fed\n", who, mismatches, signal_frames);
        trace("%s: the signal began %u frames into the capture\n", who, at);
    }
    free(signal);
    return mismatches;
}

#endif
