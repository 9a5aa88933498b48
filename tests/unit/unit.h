/* Checks for native test programs: each failure says what was expected and what came. */
#ifndef MMDEVAPI_UNIT_H
#define MMDEVAPI_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned int unit_checks, unit_failures;

#define UNIT_FAIL(...) (unit_failures++, printf("%s:%d: ", __FILE__, __LINE__), printf(__VA_ARGS__), printf("\n"))
#define CHECK(cond) (unit_checks++, (cond) ? (void)0 : (void)UNIT_FAIL("check failed: %s", #cond))
/* A check of time or CPU: what a sanitizer's build (tools/bootstrap test) slows down is reported,
 * not failed; the plain build holds it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CHECK_TIMING(cond) ((cond) ? (void)0 : (void)printf("%s:%d: timing not held under a sanitizer: %s\n", \
                                                             __FILE__, __LINE__, #cond))
#else
#define CHECK_TIMING(cond) CHECK(cond)
#endif
#define CHECK_EQ_UINT(got, want) do { unsigned long long g_ = (got), w_ = (want); unit_checks++; \
    if (g_ != w_) UNIT_FAIL("%s: expected %llu, got %llu", #got, w_, g_); } while (0)
#define CHECK_EQ_HEX(got, want) do { unsigned long long g_ = (unsigned int)(got), w_ = (unsigned int)(want); unit_checks++; \
    if (g_ != w_) UNIT_FAIL("%s: expected %#llx, got %#llx", #got, w_, g_); } while (0)
#define CHECK_EQ_STR(got, want) do { const char *g_ = (got), *w_ = (want); unit_checks++; \
    if (!g_ || !w_ || strcmp(g_, w_)) UNIT_FAIL("%s: expected \"%s\", got \"%s\"", #got, w_ ? w_ : "(null)", g_ ? g_ : "(null)"); } while (0)

/* Floats compare by their bits: -0.0 differs from 0.0, a NaN equals only the same NaN. */
#define CHECK_EQ_FLOAT(got, want) do { float g_ = (got), w_ = (want); unsigned int gb_, wb_; unit_checks++; \
    memcpy(&gb_, &g_, sizeof(gb_)); memcpy(&wb_, &w_, sizeof(wb_)); \
    if (gb_ != wb_) UNIT_FAIL("%s: expected %.9g (%#x), got %.9g (%#x)", #got, w_, wb_, g_, gb_); } while (0)
#define CHECK_NEAR(got, want, tolerance) do { double g_ = (got), w_ = (want), t_ = (tolerance); unit_checks++; \
    if (!(g_ >= w_ - t_ && g_ <= w_ + t_)) UNIT_FAIL("%s: expected %.9g +- %g, got %.9g", #got, w_, t_, g_); } while (0)
#define CHECK_GE(got, min) do { double g_ = (got), m_ = (min); unit_checks++; \
    if (!(g_ >= m_)) UNIT_FAIL("%s: expected at least %.9g, got %.9g", #got, m_, g_); } while (0)

/* The module's backend that the harness's MMDEVAPI_TEST_BACKEND exercises (NULL when unset):
 * PipeWire's PulseAudio server is served by the pulse backend, its ALSA plugin by the alsa one. */
static inline const char *unit_backend(void)
{
    const char *name = getenv("MMDEVAPI_TEST_BACKEND");

    if (name && !strcmp(name, "pipewire-pulse")) return "pulse";
    if (name && !strcmp(name, "pipewire-alsa")) return "alsa";
    return name;
}

static inline int unit_summary(const char *name)
{
    printf("%s: %u checks, %u failures\n", name, unit_checks, unit_failures);
    return unit_failures ? 1 : 0;
}

#endif
