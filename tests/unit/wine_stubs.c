/* What ntdll.so gives mmdevapi.so inside Wine, for native test programs: debug output off, or on
 * stderr with MMDEVAPI_TEST_TRACE=1. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ntstatus.h>
#define WIN32_NO_STATUS
#include <windef.h>
#include <winbase.h>
#include <wine/debug.h>

unsigned char __cdecl __wine_dbg_get_channel_flags(struct __wine_debug_channel *channel)
{
    return getenv("MMDEVAPI_TEST_TRACE") ? 0xff : 0;
}

/* The debugstr helpers format into their own stack and hand it here: it must outlive them, as
 * ntdll's copy does (a few per thread, reused in turn). */
const char * __cdecl __wine_dbg_strdup(const char *str)
{
    static __thread char copies[8][1024];
    static __thread unsigned int next;
    char *copy = copies[next++ % 8];

    snprintf(copy, sizeof(copies[0]), "%s", str);
    return copy;
}

int __cdecl __wine_dbg_output(const char *str)
{
    return fputs(str, stderr);
}

int __cdecl __wine_dbg_header(enum __wine_debug_class cls, struct __wine_debug_channel *channel,
                              const char *function)
{
    static const char *const classes[] = { "fixme", "err", "warn", "trace" };

    return fprintf(stderr, "%s:%s:%s ", (unsigned)cls < 4 ? classes[cls] : "?", channel->name, function);
}

/* The ntdll calls the engine makes, in their plain Linux form. */
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>
#include <winternl.h>

/* What was mapped, so that a free unmaps it whole (MEM_RELEASE gives no length): the fuzzer makes
 * streams by the million. */
#define MAPPINGS_MAX 4096
static struct { void *base; SIZE_T size; } mappings[MAPPINGS_MAX];
static pthread_mutex_t mappings_lock = PTHREAD_MUTEX_INITIALIZER;

/* zero_bits asks for an address a 32-bit program reaches: MAP_32BIT gives the low 2 GiB. */
NTSTATUS WINAPI NtAllocateVirtualMemory(HANDLE process, PVOID *base, ULONG_PTR zero_bits, SIZE_T *size,
                                        ULONG type, ULONG protect)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    unsigned int i;
    void *memory;

#ifdef MAP_32BIT
    if (zero_bits) flags |= MAP_32BIT;
#endif
    memory = mmap(NULL, *size, PROT_READ | PROT_WRITE, flags, -1, 0);

    if (memory == MAP_FAILED) return STATUS_NO_MEMORY;
    pthread_mutex_lock(&mappings_lock);
    for (i = 0; i < MAPPINGS_MAX && mappings[i].base; i++) {}
    if (i < MAPPINGS_MAX)
    {
        mappings[i].base = memory;
        mappings[i].size = *size;
    }
    pthread_mutex_unlock(&mappings_lock);
    *base = memory;
    return STATUS_SUCCESS;
}

NTSTATUS WINAPI NtFreeVirtualMemory(HANDLE process, PVOID *base, SIZE_T *size, ULONG type)
{
    unsigned int i;

    if (!*base) return STATUS_SUCCESS;
    pthread_mutex_lock(&mappings_lock);
    for (i = 0; i < MAPPINGS_MAX && mappings[i].base != *base; i++) {}
    if (i < MAPPINGS_MAX)
    {
        munmap(mappings[i].base, mappings[i].size);
        mappings[i].base = NULL;
    }
    pthread_mutex_unlock(&mappings_lock);
    return STATUS_SUCCESS;
}

NTSTATUS WINAPI NtQueryPerformanceCounter(PLARGE_INTEGER counter, PLARGE_INTEGER frequency)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    counter->QuadPart = (LONGLONG)now.tv_sec * 10000000 + now.tv_nsec / 100;
    if (frequency) frequency->QuadPart = 10000000;
    return STATUS_SUCCESS;
}

LONG native_events_set;

NTSTATUS WINAPI NtSetEvent(HANDLE event, LONG *previous)
{
    __atomic_add_fetch(&native_events_set, 1, __ATOMIC_RELAXED);
    return STATUS_SUCCESS;
}

NTSTATUS WINAPI NtClose(HANDLE handle)
{
    return STATUS_SUCCESS;
}
