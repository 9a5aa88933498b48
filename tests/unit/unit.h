/* Checks for native test programs: each failure says what was expected and what came. */
#ifndef MMDEVAPI_UNIT_H
#define MMDEVAPI_UNIT_H

#include <stdio.h>
#include <string.h>

static unsigned int unit_checks, unit_failures;

#define UNIT_FAIL(...) (unit_failures++, printf("%s:%d: ", __FILE__, __LINE__), printf(__VA_ARGS__), printf("\n"))
#define CHECK(cond) (unit_checks++, (cond) ? (void)0 : (void)UNIT_FAIL("check failed: %s", #cond))
#define CHECK_EQ_UINT(got, want) do { unsigned long long g_ = (got), w_ = (want); unit_checks++; \
    if (g_ != w_) UNIT_FAIL("%s: expected %llu, got %llu", #got, w_, g_); } while (0)
#define CHECK_EQ_HEX(got, want) do { unsigned long long g_ = (unsigned int)(got), w_ = (unsigned int)(want); unit_checks++; \
    if (g_ != w_) UNIT_FAIL("%s: expected %#llx, got %#llx", #got, w_, g_); } while (0)
#define CHECK_EQ_STR(got, want) do { const char *g_ = (got), *w_ = (want); unit_checks++; \
    if (!g_ || !w_ || strcmp(g_, w_)) UNIT_FAIL("%s: expected \"%s\", got \"%s\"", #got, w_ ? w_ : "(null)", g_ ? g_ : "(null)"); } while (0)

static inline int unit_summary(const char *name)
{
    printf("%s: %u checks, %u failures\n", name, unit_checks, unit_failures);
    return unit_failures ? 1 : 0;
}

#endif
