/* What the PE side's files share. */
#ifndef MMDEVAPI_PRIVATE_H
#define MMDEVAPI_PRIVATE_H

#define COBJMACROS
#define CONST_VTABLE
#include <stdarg.h>
#include <windef.h>
#include <winbase.h>
#include <winreg.h>
#include <objbase.h>
#include <mmdeviceapi.h>
#include <wine/debug.h>

#include "mmdevapi_unix.h"

/* Wine's short debug macros exist only for its own tree (__WINESRC__). */
#define TRACE WINE_TRACE
#define WARN WINE_WARN
#define FIXME WINE_FIXME
#define ERR WINE_ERR
#define debugstr_a wine_dbgstr_a
#define debugstr_w wine_dbgstr_w
#define debugstr_guid wine_dbgstr_guid

/* An endpoint. Programs may hold one for the life of the process and across device changes, so
 * endpoints are never freed: an endpoint that goes away only changes state. */
struct mmdevice
{
    IMMDevice IMMDevice_iface;
    IMMEndpoint IMMEndpoint_iface;
    EDataFlow flow;
    DWORD state;        /* DEVICE_STATE_* */
    GUID guid;
    WCHAR id[64];       /* "{0.0.F.00000000}.{guid}" */
};

/* devices.c */
HRESULT devices_init(void);
extern SRWLOCK devices_lock;
extern struct mmdevice **devices;
extern UINT devices_count;
struct mmdevice *device_default(EDataFlow flow);
struct mmdevice *device_find(const WCHAR *id);
HKEY device_open_key(const struct mmdevice *device, const WCHAR *subkey, REGSAM access);

/* devenum.c */
HRESULT enumerator_create(REFIID riid, void **out);

/* propstore.c */
HRESULT property_store_create(struct mmdevice *device, DWORD access, IPropertyStore **out);
HRESULT property_write(HKEY properties, const PROPERTYKEY *key, const PROPVARIANT *value);

#endif
