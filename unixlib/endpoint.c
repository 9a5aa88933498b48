/* Describing endpoints the same way whatever the backend. */
#include <string.h>
#include <windef.h>
#include <wingdi.h>
#include <mmreg.h>
#include <ks.h>
#include <ksmedia.h>

#include "backend.h"

/* Copies a backend's string, truncated at a character boundary of UTF-8 and always terminated. */
void endpoint_set_text(char *dst, size_t size, const char *src)
{
    size_t len = src ? strlen(src) : 0;

    if (len >= size)
    {
        len = size - 1;
        while (len && ((unsigned char)src[len] & 0xc0) == 0x80) len--;
    }
    memcpy(dst, src ? src : "", len);
    dst[len] = 0;
}

/* The speaker positions Windows assumes for a channel count when nothing better is known. */
UINT32 endpoint_default_channel_mask(UINT32 channels)
{
    switch (channels)
    {
    case 1: return KSAUDIO_SPEAKER_MONO;
    case 2: return KSAUDIO_SPEAKER_STEREO;
    case 3: return KSAUDIO_SPEAKER_STEREO | SPEAKER_LOW_FREQUENCY;
    case 4: return KSAUDIO_SPEAKER_QUAD;
    case 5: return KSAUDIO_SPEAKER_QUAD | SPEAKER_LOW_FREQUENCY;
    case 6: return KSAUDIO_SPEAKER_5POINT1;
    case 7: return KSAUDIO_SPEAKER_5POINT1 | SPEAKER_BACK_CENTER;
    case 8: return KSAUDIO_SPEAKER_7POINT1_SURROUND;
    default: return 0;
    }
}
