/*
 * A small test framework for the conformance programs (PE, run under Wine).
 *
 *   ok(cond, fmt, ...)         a check; prints "file:line: Test failed: ..." when cond is false;
 *                              returns cond, so that dependent checks can follow an if
 *   todo_ok(cond, fmt, ...)    a check known to differ from Windows: a failure is counted as todo,
 *                              a success is a failure ("Test succeeded inside todo block")
 *   todo_ok_if(todo, cond, ...) todo_ok when todo is true, ok otherwise
 *   skip(fmt, ...)             says why some checks were not run
 *   trace(fmt, ...)            information, no count
 *   return test_summary();     prints "<name>: N tests executed (T marked as todo, F failures),
 *                              S skipped." and returns the exit code (1 if F > 0)
 *
 * HRESULTs are printed with %08lx (an HRESULT is a long in these headers). The harness describes
 * the backend through environment variables, read by test_read_env() into struct test_env.
 */

#ifndef MMDEVAPI_TESTS_TEST_H
#define MMDEVAPI_TESTS_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static LONG test_executed, test_failures, test_todos, test_skipped;

static inline void test_vprint(const char *file, int line, const char *what, const char *fmt, va_list args)
{
    const char *base = strrchr(file, '/');

    if (!base) base = strrchr(file, '\\');
    printf("%s:%d: %s", base ? base + 1 : file, line, what);
    vprintf(fmt, args);
    fflush(stdout);
}

static inline int __attribute__((format(printf, 5, 6)))
test_ok(const char *file, int line, BOOL todo, BOOL cond, const char *fmt, ...)
{
    va_list args;

    InterlockedIncrement(&test_executed);
    if (cond && !todo) return cond;

    va_start(args, fmt);
    if (!todo)
    {
        InterlockedIncrement(&test_failures);
        test_vprint(file, line, "Test failed: ", fmt, args);
    }
    else if (cond)
    {
        InterlockedIncrement(&test_failures);
        test_vprint(file, line, "Test succeeded inside todo block: ", fmt, args);
    }
    else
    {
        InterlockedIncrement(&test_todos);
        test_vprint(file, line, "Test marked todo: ", fmt, args);
    }
    va_end(args);
    return cond;
}

static inline void __attribute__((format(printf, 4, 5)))
test_note(const char *file, int line, BOOL is_skip, const char *fmt, ...)
{
    va_list args;

    if (is_skip) InterlockedIncrement(&test_skipped);
    va_start(args, fmt);
    test_vprint(file, line, is_skip ? "Tests skipped: " : "", fmt, args);
    va_end(args);
}

#define ok(cond, ...)               test_ok(__FILE__, __LINE__, FALSE, !!(cond), __VA_ARGS__)
#define todo_ok(cond, ...)          test_ok(__FILE__, __LINE__, TRUE, !!(cond), __VA_ARGS__)
#define todo_ok_if(todo, cond, ...) test_ok(__FILE__, __LINE__, !!(todo), !!(cond), __VA_ARGS__)
#define skip(...)                   test_note(__FILE__, __LINE__, TRUE, __VA_ARGS__)
#define trace(...)                  test_note(__FILE__, __LINE__, FALSE, __VA_ARGS__)

/* Whether the references to a COM object of ours (a sink a callback thread holds) came back to
 * ours alone, *ref 1, within 10 s: calls on their way hold one each, and a busy machine delivers them
 * late. A test that gets FALSE must leave the object alive (static), as a call may still come. */
static inline BOOL test_wait_released(LONG *ref)
{
    unsigned int i;

    for (i = 0; i < 1000 && ReadAcquire(ref) != 1; i++) Sleep(10);
    return ReadAcquire(ref) == 1;
}

static inline int test_summary(void)
{
    char path[MAX_PATH], *name, *p;

    GetModuleFileNameA(NULL, path, sizeof(path));
    name = (p = strrchr(path, '\\')) ? p + 1 : path;
    if ((p = strrchr(name, '.')) && !_stricmp(p, ".exe")) *p = 0;

    printf("%s: %ld tests executed (%ld marked as todo, %ld failures), %ld skipped.\n",
           name, test_executed, test_todos, test_failures, test_skipped);
    fflush(stdout);
    return test_failures ? 1 : 0;
}

/* A printable copy of a wide string for messages: quoted, \" and \\ escaped, other characters
 * beyond printable ASCII as \x{...}. Rotates over a few static buffers, so a message can hold
 * several; not for use from two threads at once. */
static inline const char *dbgstr_w(const WCHAR *str)
{
    static char buffers[8][512];
    static unsigned int next;
    char *buf = buffers[next++ % ARRAY_SIZE(buffers)], *end = buf + sizeof(buffers[0]) - 16;
    char *p = buf;

    if (!str) return "(null)";
    *p++ = '"';
    for (; *str && p < end; str++)
    {
        if (*str == '"' || *str == '\\') p += sprintf(p, "\\%c", (char)*str);
        else if (*str >= 0x20 && *str < 0x7f) *p++ = (char)*str;
        else p += sprintf(p, "\\x{%04x}", *str);
    }
    if (*str) p += sprintf(p, "...");
    strcpy(p, "\"");
    return buf;
}

/* A wide environment variable into buf; FALSE (and an empty buf) when it is unset or too long. */
static inline BOOL test_getenv(const char *name, WCHAR *buf, DWORD size)
{
    WCHAR wname[64];
    DWORD len;

    buf[0] = 0;
    MultiByteToWideChar(CP_ACP, 0, name, -1, wname, ARRAY_SIZE(wname));
    len = GetEnvironmentVariableW(wname, buf, size);
    if (!len || len >= size)
    {
        buf[0] = 0;
        return FALSE;
    }
    return TRUE;
}

struct test_format
{
    BOOL is_float;      /* float32, else s16 */
    WORD bits;
    DWORD rate;
    WORD channels;
};

/* "<float32|s16>:<rate>:<channels>", as MMDEVAPI_TEST_*_FORMAT. */
static inline BOOL test_parse_format(const WCHAR *str, struct test_format *fmt)
{
    WCHAR type[16];
    unsigned long rate, channels;
    int consumed = 0;

    if (swscanf(str, L"%15[^:]:%lu:%lu%n", type, &rate, &channels, &consumed) != 3
            || str[consumed] || !rate || !channels || channels > 32)
        return FALSE;
    if (!wcscmp(type, L"float32"))
    {
        fmt->is_float = TRUE;
        fmt->bits = 32;
    }
    else if (!wcscmp(type, L"s16"))
    {
        fmt->is_float = FALSE;
        fmt->bits = 16;
    }
    else return FALSE;
    fmt->rate = rate;
    fmt->channels = channels;
    return TRUE;
}

enum test_backend
{
    TEST_BACKEND_UNSET,     /* not run by the harness: backend-independent checks only */
    TEST_BACKEND_NONE,      /* no backend reachable: no endpoint at all */
    TEST_BACKEND_PULSE,
    TEST_BACKEND_ALSA,
    TEST_BACKEND_ALSA_NULL, /* ALSA's default is alsa-lib's null PCM: a device without a clock */
    TEST_BACKEND_PIPEWIRE,  /* the native PipeWire backend; the sink is recorded as with pulse */
};

/* What the harness promises about the endpoints, from MMDEVAPI_TEST_*. */
struct test_env
{
    enum test_backend backend;
    WCHAR backend_name[16];             /* the module's backend: "pulse", "alsa", "alsa-null", "pipewire", "none" or "" */
    WCHAR render_name[256];             /* PKEY_DeviceInterface_FriendlyName of the endpoints */
    WCHAR capture_name[256];
    struct test_format render_format;   /* the backend's own format of each endpoint */
    struct test_format capture_format;
};

/* Fills env; FALSE (after a failed ok) when the variables are set but inconsistent. */
static inline BOOL test_read_env(struct test_env *env)
{
    WCHAR buf[64];
    BOOL good = TRUE;

    memset(env, 0, sizeof(*env));
    if (!test_getenv("MMDEVAPI_TEST_BACKEND", env->backend_name, ARRAY_SIZE(env->backend_name)))
        return TRUE;

    if (!wcscmp(env->backend_name, L"none")) env->backend = TEST_BACKEND_NONE;
    else if (!wcscmp(env->backend_name, L"pulse")) env->backend = TEST_BACKEND_PULSE;
    else if (!wcscmp(env->backend_name, L"alsa")) env->backend = TEST_BACKEND_ALSA;
    /* PipeWire's PulseAudio server and ALSA plugin are served by the pulse and alsa backends. */
    else if (!wcscmp(env->backend_name, L"pipewire-pulse"))
    {
        env->backend = TEST_BACKEND_PULSE;
        wcscpy(env->backend_name, L"pulse");
    }
    else if (!wcscmp(env->backend_name, L"pipewire-alsa"))
    {
        env->backend = TEST_BACKEND_ALSA;
        wcscpy(env->backend_name, L"alsa");
    }
    else if (!wcscmp(env->backend_name, L"alsa-null")) env->backend = TEST_BACKEND_ALSA_NULL;
    else if (!wcscmp(env->backend_name, L"pipewire")) env->backend = TEST_BACKEND_PIPEWIRE;
    else
    {
        ok(0, "unknown MMDEVAPI_TEST_BACKEND %s\n", dbgstr_w(env->backend_name));
        return FALSE;
    }
    if (env->backend == TEST_BACKEND_NONE) return TRUE;

    good &= test_getenv("MMDEVAPI_TEST_RENDER_NAME", env->render_name, ARRAY_SIZE(env->render_name));
    good &= test_getenv("MMDEVAPI_TEST_CAPTURE_NAME", env->capture_name, ARRAY_SIZE(env->capture_name));
    good &= test_getenv("MMDEVAPI_TEST_RENDER_FORMAT", buf, ARRAY_SIZE(buf))
            && test_parse_format(buf, &env->render_format);
    good &= test_getenv("MMDEVAPI_TEST_CAPTURE_FORMAT", buf, ARRAY_SIZE(buf))
            && test_parse_format(buf, &env->capture_format);
    ok(good, "MMDEVAPI_TEST_{RENDER,CAPTURE}_{NAME,FORMAT} missing or malformed\n");
    return good;
}

/* A file of the harness's temporary directory, by its Windows path; FALSE if there is none. */
static inline BOOL test_file(const char *name, char *unix_path, char *dos_path, size_t size)
{
    WCHAR dir[MAX_PATH];
    size_t i;

    if (!test_getenv("MMDEVAPI_TEST_DIR", dir, ARRAY_SIZE(dir))) return FALSE;
    snprintf(unix_path, size, "%ls/%s", dir, name);
    snprintf(dos_path, size, "Z:%s", unix_path);
    for (i = 0; dos_path[i]; i++) if (dos_path[i] == '/') dos_path[i] = '\\';
    return TRUE;
}

/* Runs a shell command line as a Unix program (Wine runs those through CreateProcess), its output
 * into out (NUL-terminated; may be NULL). Wine's handle of a Unix process cannot be waited for: the
 * command leaves a mark when it is done. FALSE when it could not run, or did not end in 10 s. */
static inline BOOL run_unix(const char *command, char *out, DWORD size)
{
    char line[1024], out_unix[MAX_PATH], out_dos[MAX_PATH], mark_unix[MAX_PATH], mark_dos[MAX_PATH];
    STARTUPINFOA startup = { sizeof(startup) };
    PROCESS_INFORMATION info = { 0 };
    DWORD start, done = 0;
    HANDLE file;

    if (out) out[0] = 0;
    if (!test_file("unix-command.out", out_unix, out_dos, MAX_PATH)
        || !test_file("unix-command.done", mark_unix, mark_dos, MAX_PATH))
        return FALSE;
    DeleteFileA(mark_dos);
    snprintf(line, sizeof(line), "/bin/sh -c \"%s > %s 2>&1; echo > %s\"", command, out_unix, mark_unix);
    if (!CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &info)) return FALSE;
    /* For a Unix program Wine gives no process handle, and its thread handle is garbage: closing
     * it closed whatever handle had that value (a stream's event, once). */
    if (info.hProcess)
    {
        CloseHandle(info.hProcess);
        CloseHandle(info.hThread);
    }
    start = GetTickCount();
    while (GetFileAttributesA(mark_dos) == INVALID_FILE_ATTRIBUTES)
    {
        if (GetTickCount() - start > 10000) return FALSE;
        Sleep(1);
    }
    if (!out) return TRUE;
    file = CreateFileA(out_dos, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                       OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) return FALSE;
    ReadFile(file, out, size - 1, &done, NULL);
    out[done] = 0;
    CloseHandle(file);
    return TRUE;
}

/* run_unix, its output cut at the end of its first line. */
static inline BOOL run_unix_line(const char *command, char *out, DWORD size)
{
    char *end;

    if (!run_unix(command, out, size)) return FALSE;
    if ((end = strpbrk(out, "\r\n"))) *end = 0;
    return TRUE;
}

/* A WAVEFORMATEX of PCM or float (tag) samples. */
static inline void pcm_format(WAVEFORMATEX *format, WORD tag, WORD bits, DWORD rate, WORD channels)
{
    format->wFormatTag = tag;
    format->nChannels = channels;
    format->nSamplesPerSec = rate;
    format->wBitsPerSample = bits;
    format->nBlockAlign = channels * bits / 8;
    format->nAvgBytesPerSec = rate * format->nBlockAlign;
    format->cbSize = 0;
}

#endif /* MMDEVAPI_TESTS_TEST_H */
