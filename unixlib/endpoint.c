/* Describing endpoints the same way whatever the backend. */
#include <string.h>
#include <windef.h>

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
