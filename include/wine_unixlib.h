/* The parts of Wine's unixlib ABI that Debian's libwine-dev does not ship (it has no
 * wine/unixlib.h). Checked against Wine 8.0: winecrt0 provides the two PE-side symbols,
 * ntdll the dispatcher. */
#ifndef MMDEVAPI_WINE_UNIXLIB_H
#define MMDEVAPI_WINE_UNIXLIB_H

#include <windef.h>
#include <winternl.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))
#endif

typedef UINT64 unixlib_handle_t;
typedef NTSTATUS (*unixlib_entry_t)(void *args);

#ifdef _WIN32
extern NTSTATUS WINAPI __wine_init_unix_call(void);
extern unixlib_handle_t __wine_unixlib_handle;
extern NTSTATUS (WINAPI *__wine_unix_call_dispatcher)(unixlib_handle_t, unsigned int, void *);

static inline NTSTATUS wine_unix_call(unsigned int code, void *args)
{
    return __wine_unix_call_dispatcher(__wine_unixlib_handle, code, args);
}
#endif

#endif
