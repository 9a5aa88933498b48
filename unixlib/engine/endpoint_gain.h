/* IAudioEndpointVolume's and IAudioMeterInformation's part of the Linux side: the endpoint's
 * volume through the backend, with the engine's own gain standing in where the device has no
 * control of its own; and the meter of the engine's mix. */
#ifndef MMDEVAPI_ENGINE_ENDPOINT_GAIN_H
#define MMDEVAPI_ENGINE_ENDPOINT_GAIN_H

#include "backend.h"

/* The engine's own gain of one endpoint, for the life of the process. */
struct endpoint_gain;

/* get: volume->channels comes in as the endpoint's channel count, for the engine's own gain. */
HRESULT endpoint_volume_get(const struct backend_ops *backend, const char *key, enum mmdevapi_flow flow,
                            struct endpoint_volume *volume);
HRESULT endpoint_volume_set(const struct backend_ops *backend, const char *key, enum mmdevapi_flow flow,
                            const struct endpoint_volume *volume);

/* The engine's gain of the endpoint, made at unity if new; NULL when out of memory. */
struct endpoint_gain *endpoint_gain_get(const char *key, enum mmdevapi_flow flow);

/* The peaks of the last period the engine handed the device, per channel (IAudioMeterInformation
 * reports the last device period's, as Windows' documentation says), kept as the bits of
 * non-negative floats so that the engine thread and a reader need no lock. */
struct endpoint_meter
{
    UINT32 peak_bits[MMDEVAPI_MAX_CHANNELS];
    UINT64 measured_ns;             /* monotonic, when the engine measured them */
    UINT64 period_ns;               /* the length of that period */
};

/* The engine thread, on each period it hands the device: measures the period's peaks, then applies
 * the engine's gain where it stands in for the device's (gain may be NULL). Render endpoints meter
 * before the endpoint's volume, as on Windows. */
void endpoint_gain_apply(const struct endpoint_gain *gain, struct endpoint_meter *meter, float *mix,
                         UINT32 channels, UINT32 frames, UINT32 rate);
/* The engine thread, for each started stream's period: the peaks of frames times gains (one a channel)
 * into peak_bits (a stream's shared memory). */
void endpoint_meter_stream(UINT32 *peak_bits, const float *frames, const float *gains, UINT32 channels,
                           UINT32 count);
/* The last period's peaks, channels of them; 0 once the engine stopped handing periods over. */
void endpoint_meter_read(const struct endpoint_meter *meter, UINT32 channels, float *peaks);

#endif
