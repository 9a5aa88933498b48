/* Property keys the endpoints carry that Wine's headers name only as DEVPKEY_*, and the keys of
 * this module's own. Include <initguid.h> first in the one file that defines them. */
#ifndef MMDEVAPI_PKEYS_H
#define MMDEVAPI_PKEYS_H

#include <propkeydef.h>

DEFINE_PROPERTYKEY(PKEY_Device_DeviceDesc, 0xa45c254e, 0xdf1c, 0x4efd, 0x80, 0x20, 0x67, 0xd1, 0x46, 0xa8, 0x50, 0xe0, 2);
DEFINE_PROPERTYKEY(PKEY_Device_FriendlyName, 0xa45c254e, 0xdf1c, 0x4efd, 0x80, 0x20, 0x67, 0xd1, 0x46, 0xa8, 0x50, 0xe0, 14);
DEFINE_PROPERTYKEY(PKEY_DeviceInterface_FriendlyName, 0x026e516e, 0xb814, 0x414b, 0x83, 0xcd, 0x85, 0x6d, 0x6f, 0xef, 0x48, 0x22, 2);

/* This module's own: the backend serving the endpoint ("pulse", "alsa") and the backend's name for
 * it (a sink, a source, a PCM). Wine's module has neither, which lets a test tell the two apart. */
DEFINE_PROPERTYKEY(PKEY_MMDevapi_Backend, 0x3521834e, 0xb99a, 0x4c0c, 0xae, 0x72, 0x27, 0x4e, 0x03, 0x71, 0x95, 0x6c, 1);
DEFINE_PROPERTYKEY(PKEY_MMDevapi_BackendDevice, 0x3521834e, 0xb99a, 0x4c0c, 0xae, 0x72, 0x27, 0x4e, 0x03, 0x71, 0x95, 0x6c, 2);

#endif
