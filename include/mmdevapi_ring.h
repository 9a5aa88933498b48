/* The memory a stream's two halves share: the ring of frames and what the hot path reads. The
 * PE side writes frames and write_frames (render); the engine reads them and owns read_frames and
 * the clock. Each side publishes with release stores and reads with acquire loads. The engine
 * trusts nothing here: it keeps its own copy of every size and clamps the indices it reads. */
#ifndef MMDEVAPI_RING_H
#define MMDEVAPI_RING_H

#include <windef.h>

#define MMDEVAPI_MAX_CHANNELS 18      /* one a SPEAKER_* position */

struct stream_shared
{
    /* Frames the program has released since the stream was made (render), 64-bit: never wraps. */
    UINT64 write_frames __attribute__((aligned(64)));
    /* Frames the engine has taken from the ring. */
    UINT64 read_frames __attribute__((aligned(64)));

    /* What the listener has heard, as a seqlock: seq is odd while the engine writes. */
    struct
    {
        UINT32 seq;
        UINT32 running;               /* position advances between updates at `rate` */
        UINT32 generation;            /* counts the stream's resets */
        UINT64 position;              /* stream frames heard since the last reset */
        UINT64 limit;                 /* stream frames handed to the device: position never passes it */
        UINT64 qpc;                   /* QueryPerformanceCounter when position was true */
        UINT64 rate;                  /* stream frames a second while running */
    } clock __attribute__((aligned(64)));

    /* Gains the engine applies, written by the PE side: channel volumes (IAudioStreamVolume), the
     * session's volume and mute folded into one factor (ISimpleAudioVolume), and the session's
     * channel volumes (IChannelAudioVolume), by the stream's channel. */
    float volumes[MMDEVAPI_MAX_CHANNELS] __attribute__((aligned(64)));
    float session_volume;
    float session_channels[MMDEVAPI_MAX_CHANNELS];
    /* The peaks of the stream's last period in the mix, its gains applied, per channel: the bits of
     * non-negative floats, written by the engine each period the stream is started (a session's
     * IAudioMeterInformation). */
    UINT32 peak_bits[MMDEVAPI_MAX_CHANNELS];

    /* Set by the engine when the device went away: every call then answers
     * AUDCLNT_E_DEVICE_INVALIDATED, and the program makes a new stream. */
    UINT32 invalidated;

    /* Written once by the engine before the PE side sees the stream. */
    UINT32 buffer_frames;
    UINT32 frame_bytes;
    /* Capture: the engine writes whole packets of packet_frames (one period in the stream's
     * frames) and owns write_frames; the PE side hands them out and owns read_frames. The packet
     * at ring frame n (a multiple of packet_frames) is described by the capture_packet at index
     * n / packet_frames % packet_count, in data at packets_offset; buffer_frames is packet_count
     * packets, so that a packet never wraps. */
    UINT32 packet_frames;
    UINT32 packet_count;
    UINT32 packets_offset;
    BYTE data[] __attribute__((aligned(64)));
};

/* What IAudioCaptureClient::GetBuffer says of a packet. */
struct capture_packet
{
    UINT64 position;          /* the stream's frames captured before the packet's first, since Initialize */
    UINT64 qpc;               /* when its first frame was captured, in 100 ns units of QueryPerformanceCounter */
    UINT32 flags;             /* AUDCLNT_BUFFERFLAGS_* */
    UINT32 reserved;
};

#endif
