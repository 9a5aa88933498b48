/* What ntdll.so gives mmdevapi.so inside Wine, for native test programs: debug output off. */
#include <stdarg.h>
#include <windef.h>
#include <winbase.h>
#include <wine/debug.h>

unsigned char __cdecl __wine_dbg_get_channel_flags(struct __wine_debug_channel *channel)
{
    return 0;
}

const char * __cdecl __wine_dbg_strdup(const char *str)
{
    return str;
}

int __cdecl __wine_dbg_output(const char *str)
{
    return 0;
}

int __cdecl __wine_dbg_header(enum __wine_debug_class cls, struct __wine_debug_channel *channel,
                              const char *function)
{
    return -1;
}
