/* Layer 1: how the Linux side describes endpoints, whatever the backend. */
#include <stdarg.h>
#include <windef.h>

#include "backend.h"
#include "unit.h"

static void test_set_text(void)
{
    char small[6];

    endpoint_set_text(small, sizeof(small), "Sink");
    CHECK_EQ_STR(small, "Sink");
    endpoint_set_text(small, sizeof(small), NULL);
    CHECK_EQ_STR(small, "");
    endpoint_set_text(small, sizeof(small), "abcdefgh");
    CHECK_EQ_STR(small, "abcde");
    /* "abcé…": a cut inside the two bytes of é drops the whole character. */
    endpoint_set_text(small, 5, "abc\xc3\xa9xyz");
    CHECK_EQ_STR(small, "abc");
    endpoint_set_text(small, sizeof(small), "ab\xe2\x82\xac");    /* € fits exactly */
    CHECK_EQ_STR(small, "ab\xe2\x82\xac");
}

int main(void)
{
    test_set_text();
    return unit_summary("endpoint");
}
