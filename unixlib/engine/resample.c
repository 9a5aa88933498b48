/* Sample-rate conversion: polyphase windowed sinc, exact rational stepping.
 *
 * Two tables of the same filter: one row for each output frame of the cycle the create-time ratio
 * goes through (in / out reduced: 160 frames at 44.1 -> 48 kHz), used as long as the rate is the
 * one given to create, and a finer one (RESAMPLE_PHASES per input frame) interpolated between
 * rows for any other rate (resample_set_input_rate). Both are shared by the resamplers of the same
 * ratio.
 *
 * The exact rows come in groups of RESAMPLE_GROUP consecutive output frames, each row shifted by
 * its frame's distance (in input frames) from the group's first and padded with zeros to a common
 * length: the frames of a group all read the history from one place, so that a SIMD variant loads
 * each history vector once for the whole group (the loads, not the multiplications, bound the dot
 * products), at the price of a few more taps (104 instead of 96 at 44.1 -> 48 kHz).
 *
 * The inner loop (one output frame: a dot product of the history with a row for each channel)
 * comes as a plain C reference and SIMD variants beside it, chosen at run time: SSE2 computes
 * what the reference does, bit for bit; AVX2 with FMA takes a group of exact frames at a time (four
 * interpolated ones), each frame's sums in a register of its own, and adds them all up with one
 * transpose. Every frame comes out the same whichever call it falls in, so that output does not
 * depend on how input and output are cut into calls. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RESAMPLE_X86 1
#endif

#include "channels.h"
#include "resample.h"

/* The filter, chosen by the measurements of tests/engine/resample_compare.c: taps per output frame
 * when upsampling (more in proportion when downsampling), the Kaiser window's beta, the cutoff (-6
 * dB) as a fraction of the lower Nyquist frequency, and the phases of the interpolated table per
 * input frame (fewer in proportion when downsampling: the filter is smoother then). At 44.1 -> 48
 * kHz: THD+N 137 dB below a 1 kHz sine, 131 dB at 15 kHz with the exact rows (122 dB
 * interpolated), -0.24 dB at 20 kHz, aliases 120 dB down; 64 taps cost a third less but fall 3.5
 * dB at 20 kHz, 256 phases halve the interpolated table but lose 12 dB at 15 kHz. */
#define RESAMPLE_TAPS 96
#define RESAMPLE_BETA 12.0
#define RESAMPLE_CUTOFF 0.95
#define RESAMPLE_PHASES 512
/* The exact table's rows at most (11.025 -> 48 kHz has 640, 44.1 -> 48 kHz 160); ratios with more
 * (odd rates) use the interpolated table throughout. */
#define RESAMPLE_EXACT_MAX 1024
/* Input frames appended to the history at a time. */
#define RESAMPLE_BLOCK 1024
/* Rates are counted in thousandths of Hz for resample_set_input_rate. */
#define RESAMPLE_RATE_SCALE 1000
/* Rows and history planes start on a cache line. */
#define RESAMPLE_ALIGN 64
/* Output frames of a group of the exact table; its cycle repeats to at least RESAMPLE_CYCLE_MIN
 * frames, so that the group a short cycle leaves partial costs little. */
#define RESAMPLE_GROUP 8
#define RESAMPLE_CYCLE_MIN 64

/* The filter of one reduced ratio in / out, shared. Immutable once built. */
struct resample_tables
{
    struct resample_tables *next;
    unsigned int refs;
    uint32_t in, out;           /* the ratio, reduced */
    uint32_t taps;              /* a multiple of 8 */
    /* Interpolated: phases + 1 rows; row p is the filter for an output frame p / phases of an input
     * frame after a history frame (the last row repeats the first shifted by one, so that
     * interpolation needs no wrap). */
    uint32_t phases;
    float *table;
    /* Exact, or NULL: a row for each output frame p of the cycle, cycle frames (a multiple of
     * out), and zero rows up to a whole group. Frame p has the phase (p * in mod out) / out of an
     * input frame and sits exact_shift[p] input frames after the first frame of its group; its row
     * holds the filter from tap exact_shift[p] on, exact_taps in all (a multiple of 8). The rows
     * of a group are interleaved by blocks of 8 taps (block b of the group's row k at group + 64 b
     * + 8 k), so that a group's coefficients come in one stream, in the order used. The first
     * frame of the cycle with phase k / out is exact_first[k]; frame p is exact_advance[p] input
     * frames after frame 0 (cycle + 1 entries). */
    float *exact;
    uint32_t cycle, exact_taps, max_shift;
    uint32_t *exact_shift;
    uint32_t *exact_first;
    uint32_t *exact_advance;
};

static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;
static struct resample_tables *tables_list;

struct resample;
/* Produces up to max frames from the history; returns how many. */
typedef uint32_t (*resample_filter_func)(struct resample *r, float *out, uint32_t max);

struct resample
{
    uint32_t channels;
    uint32_t out_rate;
    uint32_t create_rate;       /* the input rate at creation */
    double in_rate;             /* the current one */
    int passthrough;

    const struct resample_tables *tables;
    uint32_t taps;
    uint32_t phases;
    int exact;                  /* the current rate steps through the exact table */
    uint32_t cycle_pos;         /* where in its cycle the next output frame is, when exact */
    uint32_t keep;              /* history frames kept before index: the largest shift */
    float *coefs;               /* the interpolated row for the current output frame (reference) */
    resample_filter_func filter;
    enum resample_variant variant;

    /* The clock: each output frame advances the input by num / den frames, step_int + step_rem /
     * den. The next output frame reads taps history frames from index on, its centre frac / den
     * after frame index + taps / 2 - 1. */
    uint64_t num, den, step_int, step_rem, frac;
    double phase_scale;         /* phases / den */

    /* The history, one plane per channel, stride floats apart: frames [0, fill), at most capacity;
     * index may exceed fill when downsampling skips frames not yet consumed. Beyond capacity, room
     * for the exact rows' zero padding to read (zeros, or frames of the past). */
    float *history;
    uint32_t capacity, stride;
    uint32_t fill;
    uint32_t index;
};

/* The zeroth-order modified Bessel function of the first kind, by its power series. */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, k;

    for (k = 1.0; term > sum * 1e-17; k += 1.0)
    {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
    }
    return sum;
}

/* One row for a cutoff of fc (fraction of the input Nyquist frequency), centred offset (0 to 1)
 * of an input frame after tap taps / 2 - 1; normalised to a gain of exactly 1 at DC. */
static void make_row(float *row, uint32_t taps, double fc, double offset)
{
    const double half = taps / 2, i0_beta = bessel_i0(RESAMPLE_BETA);
    double sum = 0.0;
    uint32_t j;

    for (j = 0; j < taps; j++)
    {
        double t = j - (half - 1.0) - offset, u = t / half, x = M_PI * fc * t;
        double h = fc * (x == 0.0 ? 1.0 : sin(x) / x);

        h *= u * u < 1.0 ? bessel_i0(RESAMPLE_BETA * sqrt(1.0 - u * u)) / i0_beta : 0.0;
        row[j] = (float)h;
        sum += h;
    }
    for (j = 0; j < taps; j++) row[j] = (float)(row[j] / sum);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b)
    {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void *alloc_aligned(size_t size)
{
    return aligned_alloc(RESAMPLE_ALIGN, (size + RESAMPLE_ALIGN - 1) & ~(size_t)(RESAMPLE_ALIGN - 1));
}

static void tables_free(struct resample_tables *t)
{
    free(t->table);
    free(t->exact);
    free(t->exact_shift);
    free(t->exact_first);
    free(t->exact_advance);
    free(t);
}

static struct resample_tables *tables_build(uint32_t in, uint32_t out)
{
    const double fc = in > out ? (double)out / in : 1.0;
    struct resample_tables *t;
    uint32_t p;

    if (!(t = calloc(1, sizeof(*t)))) return NULL;
    t->refs = 1;
    t->in = in;
    t->out = out;
    /* A multiple of 8 for the dot product's blocks; the phases scale down with the cutoff. */
    t->taps = ((uint32_t)ceil(RESAMPLE_TAPS / fc) + 7) & ~7u;
    t->phases = (uint32_t)ceil(RESAMPLE_PHASES * fc);
    if (t->phases < 16) t->phases = 16;
    if (!(t->table = alloc_aligned((size_t)(t->phases + 1) * t->taps * sizeof(float)))) goto fail;
    for (p = 0; p <= t->phases; p++)
        make_row(t->table + (size_t)p * t->taps, t->taps, fc * RESAMPLE_CUTOFF, (double)p / t->phases);
    if (out <= RESAMPLE_EXACT_MAX)
    {
        uint32_t repeat = out >= RESAMPLE_CYCLE_MIN ? 1 : (RESAMPLE_CYCLE_MIN + out - 1) / out, rows;
        float *row;

        t->cycle = out * repeat;
        rows = (t->cycle + RESAMPLE_GROUP - 1) / RESAMPLE_GROUP * RESAMPLE_GROUP;
        if (!(t->exact_shift = calloc(rows, sizeof(*t->exact_shift)))) goto fail;
        if (!(t->exact_first = malloc((size_t)out * sizeof(*t->exact_first)))) goto fail;
        if (!(t->exact_advance = malloc((size_t)(t->cycle + 1) * sizeof(*t->exact_advance)))) goto fail;
        for (p = 0; p <= t->cycle; p++) t->exact_advance[p] = (uint32_t)((uint64_t)p * in / out);
        for (p = 0; p < t->cycle; p++)
        {
            uint64_t first = p - p % RESAMPLE_GROUP;
            t->exact_shift[p] = (uint32_t)((uint64_t)p * in / out - first * in / out);
            if (t->exact_shift[p] > t->max_shift) t->max_shift = t->exact_shift[p];
            if (p < out) t->exact_first[(uint64_t)p * in % out] = p;
        }
        t->exact_taps = (t->taps + t->max_shift + 7) & ~7u;
        if (!(t->exact = alloc_aligned((size_t)rows * t->exact_taps * sizeof(float)))) goto fail;
        memset(t->exact, 0, (size_t)rows * t->exact_taps * sizeof(float));
        if (!(row = calloc(t->exact_taps, sizeof(float)))) goto fail;
        for (p = 0; p < t->cycle; p++)
        {
            float *group = t->exact + (size_t)(p - p % RESAMPLE_GROUP) * t->exact_taps;
            uint32_t j;

            memset(row, 0, t->exact_taps * sizeof(float));
            make_row(row + t->exact_shift[p], t->taps, fc * RESAMPLE_CUTOFF, (double)((uint64_t)p * in % out) / out);
            for (j = 0; j < t->exact_taps; j++)
                group[j / 8 * 8 * RESAMPLE_GROUP + p % RESAMPLE_GROUP * 8 + j % 8] = row[j];
        }
        free(row);
    }
    return t;

fail:
    tables_free(t);
    return NULL;
}

/* The tables of the ratio in / out if built, with one more user; under tables_lock. */
static struct resample_tables *tables_find(uint32_t in, uint32_t out)
{
    struct resample_tables *t;

    for (t = tables_list; t; t = t->next)
        if (t->in == in && t->out == out)
        {
            t->refs++;
            return t;
        }
    return NULL;
}

/* The tables for in_rate -> out_rate, shared with other resamplers of the same ratio. */
static const struct resample_tables *tables_get(uint32_t in_rate, uint32_t out_rate)
{
    const uint32_t g = (uint32_t)gcd(in_rate, out_rate), in = in_rate / g, out = out_rate / g;
    struct resample_tables *t, *built;

    pthread_mutex_lock(&tables_lock);
    t = tables_find(in, out);
    pthread_mutex_unlock(&tables_lock);
    if (t) return t;

    /* Built without the lock (a few ms), so that other creates and destroys need not wait; if
     * another thread built the same meanwhile, its tables serve and these go. */
    if (!(built = tables_build(in, out))) return NULL;
    pthread_mutex_lock(&tables_lock);
    if (!(t = tables_find(in, out)))
    {
        t = built;
        t->next = tables_list;
        tables_list = t;
        built = NULL;
    }
    pthread_mutex_unlock(&tables_lock);
    if (built) tables_free(built);
    return t;
}

static void tables_put(const struct resample_tables *tables)
{
    struct resample_tables **t;

    pthread_mutex_lock(&tables_lock);
    for (t = &tables_list; *t; t = &(*t)->next)
        if (*t == tables)
        {
            if (!--(*t)->refs)
            {
                struct resample_tables *dead = *t;
                *t = dead->next;
                tables_free(dead);
            }
            break;
        }
    pthread_mutex_unlock(&tables_lock);
}

/* Sets the clock to in_rate, keeping the position of the next output frame. */
static void set_step(struct resample *r, double in_rate)
{
    uint64_t num = (uint64_t)llround(in_rate * RESAMPLE_RATE_SCALE);
    uint64_t den = (uint64_t)r->out_rate * RESAMPLE_RATE_SCALE, g = gcd(num, den);

    num /= g;
    den /= g;
    if (r->den) r->frac = r->frac * den / r->den;
    r->in_rate = in_rate;
    r->num = num;
    r->den = den;
    r->step_int = num / den;
    r->step_rem = num % den;
    r->phase_scale = (double)r->phases / den;
    /* The ratio of the tables, reduced as they are: its den phases are the exact table's rows. */
    r->exact = r->tables->exact && num == r->tables->in && den == r->tables->out;
    if (r->exact) r->cycle_pos = r->tables->exact_first[r->frac];
}

/* The history frames kept while passing through: what the filter needs before the next frame. */
static uint32_t passthrough_history(const struct resample *r)
{
    return r->taps / 2 - 1;
}

void resample_reset(struct resample *r)
{
    r->passthrough = r->num == r->den;
    memset(r->history, 0, (size_t)r->channels * r->stride * sizeof(float));
    /* Zeros before the first frame: output starts at once, half a filter late. */
    r->fill = r->passthrough ? passthrough_history(r) : r->keep + r->taps - 1;
    r->index = r->passthrough ? 0 : r->keep;
    r->frac = 0;
    r->cycle_pos = 0;
}

static enum resample_variant best_variant(void);

struct resample *resample_create(uint32_t in_rate, uint32_t out_rate, uint32_t channels)
{
    struct resample *r;

    if (in_rate < 1000 || in_rate > 768000 || out_rate < 1000 || out_rate > 768000) return NULL;
    if (!channels || channels > CHANNELS_MAX) return NULL;
    if (!(r = calloc(1, sizeof(*r)))) return NULL;

    r->channels = channels;
    r->out_rate = out_rate;
    r->create_rate = in_rate;
    if (!(r->tables = tables_get(in_rate, out_rate)))
    {
        free(r);
        return NULL;
    }
    r->taps = r->tables->taps;
    r->phases = r->tables->phases;
    r->keep = r->tables->max_shift;
    /* Room for the history and what is kept before it, a block, and the frames a rate twice as
     * fast may skip; each plane a whole number of cache lines, with the padding's room after. */
    r->capacity = r->keep + r->taps + RESAMPLE_BLOCK + 2 * (in_rate / out_rate + 1);
    r->stride = r->capacity + r->tables->exact_taps;
    r->stride = (r->stride + RESAMPLE_ALIGN / sizeof(float) - 1) & ~(uint32_t)(RESAMPLE_ALIGN / sizeof(float) - 1);
    r->coefs = alloc_aligned((size_t)r->taps * sizeof(float));
    r->history = alloc_aligned((size_t)channels * r->stride * sizeof(float));
    if (!r->coefs || !r->history)
    {
        resample_destroy(r);
        return NULL;
    }
    resample_set_variant(r, best_variant());
    set_step(r, in_rate);
    resample_reset(r);
    return r;
}

void resample_destroy(struct resample *r)
{
    if (!r) return;
    if (r->tables) tables_put(r->tables);
    free(r->coefs);
    free(r->history);
    free(r);
}

int resample_set_input_rate(struct resample *r, double in_rate)
{
    if (!(in_rate >= r->create_rate / 2.0 && in_rate <= r->create_rate * 2.0)) return -1;
    if (in_rate == r->in_rate) return 0;
    if (r->passthrough)
    {
        /* The history holds the frames before the next one: filter from there on, with the
         * frames kept before index (zeros) in front. */
        uint32_t c;

        for (c = 0; c < r->channels; c++)
        {
            float *plane = r->history + (size_t)c * r->stride;
            memmove(plane + r->keep, plane, r->fill * sizeof(float));
            memset(plane, 0, r->keep * sizeof(float));
        }
        r->passthrough = 0;
        r->fill += r->keep;
        r->index = r->keep;
        r->frac = 0;
    }
    set_step(r, in_rate);
    return 0;
}

uint32_t resample_in_frames_for(const struct resample *r, uint32_t out_frames)
{
    uint64_t last, needed;

    if (r->passthrough) return out_frames;
    if (!out_frames) return 0;
    /* The last of out_frames sits at index + (frac + (out_frames - 1) * num) / den and reads taps
     * frames from there; num split in its whole and remainder parts cannot overflow. */
    last = r->index + (uint64_t)(out_frames - 1) * r->step_int
           + (r->frac + (uint64_t)(out_frames - 1) * r->step_rem) / r->den;
    needed = last + r->taps;
    return needed > r->fill ? (uint32_t)(needed - r->fill) : 0;
}

double resample_delay(const struct resample *r)
{
    double next;

    if (r->passthrough) return 0.0;
    next = r->index + (r->taps / 2 - 1) + (double)r->frac / r->den;
    return (r->fill - next) * r->out_rate / r->in_rate;
}

/* The frame loops of a variant: for each output frame, FRAME(h0, h1, w, interp, step, x, stride,
 * channels, taps, out, coefs) writes out[0 .. channels) from the history at x (one plane every
 * stride floats) and the row h0 (its blocks of 8 taps step floats apart), or, when interp, the
 * row h0 + w * (h1 - h0) (both contiguous; coefs: taps floats of scratch, aligned). interp is a
 * constant in each call, and channels is in the calls for mono and stereo, so that each case has
 * its own code. */
#define RESAMPLE_STEP() \
    do \
    { \
        index += step_int; \
        frac += step_rem; \
        if (frac >= den) \
        { \
            frac -= den; \
            index++; \
        } \
    } while (0)

#define DEFINE_FRAME_LOOPS(name, attributes, FRAME) \
    static inline __attribute__((always_inline)) attributes uint32_t name##_exact(struct resample *r, float *out, \
                                                                                uint32_t max, uint32_t channels) \
    { \
        const struct resample_tables *t = r->tables; \
        const uint32_t taps = r->taps, exact_taps = t->exact_taps, cycle = t->cycle, fill = r->fill; \
        const uint64_t den = r->den, step_int = r->step_int, step_rem = r->step_rem; \
        uint32_t index = r->index, pos = r->cycle_pos, done; \
        uint64_t frac = r->frac; \
        \
        for (done = 0; done < max && index + taps <= fill; done++, out += channels) \
        { \
            FRAME(t->exact + (size_t)(pos - pos % RESAMPLE_GROUP) * exact_taps + pos % RESAMPLE_GROUP * 8, NULL, 0.0f, \
                  0, 8 * RESAMPLE_GROUP, r->history + index - t->exact_shift[pos], \
                  r->stride, channels, exact_taps, out, r->coefs); \
            if (++pos == cycle) pos = 0; \
            RESAMPLE_STEP(); \
        } \
        r->index = index; \
        r->frac = frac; \
        r->cycle_pos = pos; \
        return done; \
    } \
    \
    static inline __attribute__((always_inline)) attributes uint32_t name##_interp(struct resample *r, float *out, \
                                                                                 uint32_t max, uint32_t channels) \
    { \
        const uint32_t taps = r->taps, fill = r->fill; \
        const uint64_t den = r->den, step_int = r->step_int, step_rem = r->step_rem; \
        const float *table = r->tables->table; \
        const double phase_scale = r->phase_scale; \
        uint32_t index = r->index, done; \
        uint64_t frac = r->frac; \
        \
        for (done = 0; done < max && index + taps <= fill; done++, out += channels) \
        { \
            double at = frac * phase_scale; \
            uint32_t p = (uint32_t)at; \
            const float *h0 = table + (size_t)p * taps; \
            FRAME(h0, h0 + taps, (float)(at - p), 1, 8, r->history + index, r->stride, channels, taps, out, r->coefs); \
            RESAMPLE_STEP(); \
        } \
        r->index = index; \
        r->frac = frac; \
        return done; \
    }

/* A variant's filter from its loops for the exact table and for interpolation. */
#define DEFINE_FILTER(name, attributes, EXACT, INTERP) \
    static attributes uint32_t name(struct resample *r, float *out, uint32_t max) \
    { \
        if (r->exact) \
        { \
            if (r->channels == 1) return EXACT(r, out, max, 1); \
            if (r->channels == 2) return EXACT(r, out, max, 2); \
            return EXACT(r, out, max, r->channels); \
        } \
        if (r->channels == 1) return INTERP(r, out, max, 1); \
        if (r->channels == 2) return INTERP(r, out, max, 2); \
        return INTERP(r, out, max, r->channels); \
    }

/* A variant's loop over groups of the exact table: GROUP_FUNC(rows, taps, x, stride, channels,
 * from, to, out) writes frames [from, to) of the group whose rows start at rows, from the
 * history at x (its first frame's), to out; it may compute the group's other frames, and must
 * give each frame the same bits whichever others it is asked for. */
#define DEFINE_EXACT_GROUPS(name, attributes, GROUP_FUNC) \
    static inline __attribute__((always_inline)) attributes uint32_t name(struct resample *r, float *out, \
                                                                        uint32_t max, uint32_t channels) \
    { \
        const struct resample_tables *t = r->tables; \
        const uint32_t taps = r->taps, exact_taps = t->exact_taps, cycle = t->cycle, fill = r->fill; \
        const uint32_t *shift = t->exact_shift, *advance = t->exact_advance; \
        uint32_t index = r->index, pos = r->cycle_pos, done = 0; \
        \
        while (done < max) \
        { \
            const uint32_t first = pos - pos % RESAMPLE_GROUP, from = pos % RESAMPLE_GROUP; \
            const uint32_t base = index - shift[pos]; \
            const uint32_t end = cycle - first < RESAMPLE_GROUP ? cycle - first : RESAMPLE_GROUP; \
            uint32_t to = end; \
            \
            /* The whole rest of the group, or the frames that fit. */ \
            if (done + (end - from) > max || base + shift[first + end - 1] + taps > fill) \
                for (to = from; to < end && done + (to - from) < max; to++) \
                    if (base + shift[first + to] + taps > fill) break; \
            if (to == from) break; \
            GROUP_FUNC(t->exact + (size_t)first * exact_taps, exact_taps, r->history + base, r->stride, channels, \
                       from, to, out); \
            done += to - from; \
            out += (to - from) * channels; \
            index += advance[first + to] - advance[pos]; \
            if ((pos = first + to) == cycle) pos = 0; \
            if (to < end) break; \
        } \
        r->index = index; \
        r->frac = (uint64_t)pos * t->in - (uint64_t)advance[pos] * t->out; \
        r->cycle_pos = pos; \
        return done; \
    }

/* The reference. */

/* The dot product over eight running sums, which the compiler keeps in vector registers; the
 * blocks of 8 coefficients step floats apart. */
static inline float dot(const float *x, const float *h, uint32_t n, uint32_t step)
{
    float acc[8] = {0};
    const float *end = x + n;
    int k;

    for (; x < end; x += 8, h += step)
        for (k = 0; k < 8; k++) acc[k] += x[k] * h[k];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/* coefs = h0 + w * (h1 - h0), in blocks of 8 as dot. */
static inline void interpolate(float *restrict coefs, const float *restrict h0, const float *restrict h1,
                               float w, uint32_t n)
{
    const float *end = h0 + n;
    int k;

    for (; h0 < end; coefs += 8, h0 += 8, h1 += 8)
        for (k = 0; k < 8; k++) coefs[k] = h0[k] + w * (h1[k] - h0[k]);
}

static inline void frame_c(const float *h0, const float *h1, float w, int interp, uint32_t step, const float *x,
                           size_t stride, uint32_t channels, uint32_t taps, float *out, float *coefs)
{
    uint32_t c;

    if (interp)
    {
        interpolate(coefs, h0, h1, w, taps);
        h0 = coefs;
        step = 8;
    }
    for (c = 0; c < channels; c++) out[c] = dot(x + c * stride, h0, taps, step);
}

DEFINE_FRAME_LOOPS(loops_c, , frame_c)
DEFINE_FILTER(filter_c, , loops_c_exact, loops_c_interp)

#ifdef RESAMPLE_X86

/* SSE2: the reference's eight sums in two registers, its products, interpolation and order of
 * summing: the same bits. Channels go in pairs, which share the coefficients' loads. */
#define SSE2_INLINE static inline __attribute__((always_inline, target("sse2")))

SSE2_INLINE void coefs_sse2(const float *h0, const float *h1, __m128 w, int interp, uint32_t step, uint32_t j,
                            __m128 *lo, __m128 *hi)
{
    *lo = _mm_load_ps(h0 + j / 8 * step);
    *hi = _mm_load_ps(h0 + j / 8 * step + 4);
    if (interp)
    {
        *lo = _mm_add_ps(*lo, _mm_mul_ps(w, _mm_sub_ps(_mm_load_ps(h1 + j), *lo)));
        *hi = _mm_add_ps(*hi, _mm_mul_ps(w, _mm_sub_ps(_mm_load_ps(h1 + j + 4), *hi)));
    }
}

/* ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)) in the first lane. */
SSE2_INLINE __m128 sum_sse2(__m128 lo, __m128 hi)
{
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_shuffle_ps(s, s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_add_ss(s, _mm_movehl_ps(s, s));
}

SSE2_INLINE void frame_sse2(const float *h0, const float *h1, float w, int interp, uint32_t step, const float *x,
                            size_t stride, uint32_t channels, uint32_t taps, float *out, float *coefs)
{
    const __m128 wv = _mm_set1_ps(w);
    uint32_t c, j;

    for (c = 0; c + 2 <= channels; c += 2)
    {
        const float *x0 = x + c * stride, *x1 = x0 + stride;
        __m128 a0 = _mm_setzero_ps(), b0 = _mm_setzero_ps(), a1 = _mm_setzero_ps(), b1 = _mm_setzero_ps();

        for (j = 0; j < taps; j += 8)
        {
            __m128 lo, hi;
            coefs_sse2(h0, h1, wv, interp, step, j, &lo, &hi);
            a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_loadu_ps(x0 + j), lo));
            b0 = _mm_add_ps(b0, _mm_mul_ps(_mm_loadu_ps(x0 + j + 4), hi));
            a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_loadu_ps(x1 + j), lo));
            b1 = _mm_add_ps(b1, _mm_mul_ps(_mm_loadu_ps(x1 + j + 4), hi));
        }
        _mm_store_ss(out + c, sum_sse2(a0, b0));
        _mm_store_ss(out + c + 1, sum_sse2(a1, b1));
    }
    if (c < channels)
    {
        const float *x0 = x + c * stride;
        __m128 a0 = _mm_setzero_ps(), b0 = _mm_setzero_ps();

        for (j = 0; j < taps; j += 8)
        {
            __m128 lo, hi;
            coefs_sse2(h0, h1, wv, interp, step, j, &lo, &hi);
            a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_loadu_ps(x0 + j), lo));
            b0 = _mm_add_ps(b0, _mm_mul_ps(_mm_loadu_ps(x0 + j + 4), hi));
        }
        _mm_store_ss(out + c, sum_sse2(a0, b0));
    }
}

/* Frames [from, to) of a group of the exact table, four frames of a channel at a time: the
 * history vectors loaded once for the four. Each frame's sums are the reference's. */
SSE2_INLINE void group_sse2(const float *rows, uint32_t taps, const float *x, size_t stride, uint32_t channels,
                            uint32_t from, uint32_t to, float *out)
{
    uint32_t c, j, k, quarter;

    for (c = 0; c < channels; c++, x += stride)
        for (quarter = 0; quarter < RESAMPLE_GROUP; quarter += 4)
        {
            const float *h = rows + quarter * 8;
            __m128 a0, a1, a2, a3, b0, b1, b2, b3;
            float v[4];

            if (to <= quarter || from >= quarter + 4) continue;
            a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = _mm_setzero_ps();
            for (j = 0; j < taps; j += 8, h += 8 * RESAMPLE_GROUP)
            {
                __m128 lo = _mm_loadu_ps(x + j), hi = _mm_loadu_ps(x + j + 4);
                a0 = _mm_add_ps(a0, _mm_mul_ps(lo, _mm_load_ps(h)));
                b0 = _mm_add_ps(b0, _mm_mul_ps(hi, _mm_load_ps(h + 4)));
                a1 = _mm_add_ps(a1, _mm_mul_ps(lo, _mm_load_ps(h + 8)));
                b1 = _mm_add_ps(b1, _mm_mul_ps(hi, _mm_load_ps(h + 12)));
                a2 = _mm_add_ps(a2, _mm_mul_ps(lo, _mm_load_ps(h + 16)));
                b2 = _mm_add_ps(b2, _mm_mul_ps(hi, _mm_load_ps(h + 20)));
                a3 = _mm_add_ps(a3, _mm_mul_ps(lo, _mm_load_ps(h + 24)));
                b3 = _mm_add_ps(b3, _mm_mul_ps(hi, _mm_load_ps(h + 28)));
            }
            _mm_store_ss(v, sum_sse2(a0, b0));
            _mm_store_ss(v + 1, sum_sse2(a1, b1));
            _mm_store_ss(v + 2, sum_sse2(a2, b2));
            _mm_store_ss(v + 3, sum_sse2(a3, b3));
            for (k = from > quarter ? from : quarter; k < to && k < quarter + 4; k++)
                out[(k - from) * channels + c] = v[k - quarter];
        }
}

DEFINE_EXACT_GROUPS(exact_sse2, __attribute__((target("sse2"))), group_sse2)
DEFINE_FRAME_LOOPS(loops_sse2, __attribute__((target("sse2"))), frame_sse2)
DEFINE_FILTER(filter_sse2, __attribute__((target("sse2"))), exact_sse2, loops_sse2_interp)

/* AVX2 with FMA: the reference's eight sums in one register, each product added without
 * rounding it first (and the interpolation fused likewise), the same order of summing. */
#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/* The lanes of each of a0 ... a7 summed: (sum a0, sum a1, ..., sum a7). */
AVX2_INLINE __m256 sum8_avx2(__m256 a0, __m256 a1, __m256 a2, __m256 a3, __m256 a4, __m256 a5, __m256 a6, __m256 a7)
{
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a4, a5), _mm256_hadd_ps(a6, a7));
    return _mm256_add_ps(_mm256_permute2f128_ps(s, t, 0x20), _mm256_permute2f128_ps(s, t, 0x31));
}

/* Frames [from, to) of a group of the exact table (rows: taps each, interleaved) from the history at x
 * (the group's first frame's), to out. Each frame's sums run in a register of their own, so that a
 * frame comes out the same whichever frames of its group are asked for. */
AVX2_INLINE void group_avx2(const float *rows, uint32_t taps, const float *x, size_t stride, uint32_t channels,
                            uint32_t from, uint32_t to, float *out)
{
    _Alignas(32) float v[RESAMPLE_GROUP];
    uint32_t c, j, k, half;
    /* Sums in variables, not an array: the compiler would zero an array in memory. */
    __m256 a0, a1, a2, a3, a4, a5, a6, a7;

    /* Channel pairs: four frames of both at a time, which loads each history vector once. */
    for (c = 0; c + 2 <= channels; c += 2)
        for (half = 0; half < RESAMPLE_GROUP; half += 4)
        {
            const float *x0 = x + c * stride, *x1 = x0 + stride, *h = rows + half * 8;

            if (to <= half || from >= half + 4) continue;
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = _mm256_setzero_ps();
            for (j = 0; j < taps; j += 8, h += 8 * RESAMPLE_GROUP)
            {
                __m256 l = _mm256_loadu_ps(x0 + j), r = _mm256_loadu_ps(x1 + j), h0 = _mm256_load_ps(h);
                __m256 h1 = _mm256_load_ps(h + 8), h2 = _mm256_load_ps(h + 16), h3 = _mm256_load_ps(h + 24);

                /* Loaded once for both channels: left to itself, the compiler folds each load into
                 * both multiply-adds, and the loads are what bounds this loop. */
                __asm__("" : "+x"(h0), "+x"(h1), "+x"(h2), "+x"(h3));
                a0 = _mm256_fmadd_ps(l, h0, a0);
                a1 = _mm256_fmadd_ps(r, h0, a1);
                a2 = _mm256_fmadd_ps(l, h1, a2);
                a3 = _mm256_fmadd_ps(r, h1, a3);
                a4 = _mm256_fmadd_ps(l, h2, a4);
                a5 = _mm256_fmadd_ps(r, h2, a5);
                a6 = _mm256_fmadd_ps(l, h3, a6);
                a7 = _mm256_fmadd_ps(r, h3, a7);
            }
            /* Frame by frame, left and right: stereo's own order. */
            if (channels == 2 && from <= half && to >= half + 4)
                _mm256_storeu_ps(out + (half - from) * 2, sum8_avx2(a0, a1, a2, a3, a4, a5, a6, a7));
            else
            {
                _mm256_store_ps(v, sum8_avx2(a0, a1, a2, a3, a4, a5, a6, a7));
                for (k = from > half ? from : half; k < to && k < half + 4; k++)
                {
                    out[(k - from) * channels + c] = v[2 * (k - half)];
                    out[(k - from) * channels + c + 1] = v[2 * (k - half) + 1];
                }
            }
        }
    /* One channel: all eight frames at a time. */
    if (c < channels)
    {
        const float *x0 = x + c * stride, *h = rows;

        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = _mm256_setzero_ps();
        for (j = 0; j < taps; j += 8, h += 8 * RESAMPLE_GROUP)
        {
            __m256 l = _mm256_loadu_ps(x0 + j);
            a0 = _mm256_fmadd_ps(l, _mm256_load_ps(h), a0);
            a1 = _mm256_fmadd_ps(l, _mm256_load_ps(h + 8), a1);
            a2 = _mm256_fmadd_ps(l, _mm256_load_ps(h + 16), a2);
            a3 = _mm256_fmadd_ps(l, _mm256_load_ps(h + 24), a3);
            a4 = _mm256_fmadd_ps(l, _mm256_load_ps(h + 32), a4);
            a5 = _mm256_fmadd_ps(l, _mm256_load_ps(h + 40), a5);
            a6 = _mm256_fmadd_ps(l, _mm256_load_ps(h + 48), a6);
            a7 = _mm256_fmadd_ps(l, _mm256_load_ps(h + 56), a7);
        }
        if (channels == 1 && from == 0 && to == RESAMPLE_GROUP)
            _mm256_storeu_ps(out, sum8_avx2(a0, a1, a2, a3, a4, a5, a6, a7));
        else
        {
            _mm256_store_ps(v, sum8_avx2(a0, a1, a2, a3, a4, a5, a6, a7));
            for (k = from; k < to; k++) out[(k - from) * channels + c] = v[k];
        }
    }
}

DEFINE_EXACT_GROUPS(exact_avx2, __attribute__((target("avx2,fma"))), group_avx2)

/* The lanes of each of a0 ... a3 summed, in the order sum8_avx2 adds each one's. */
AVX2_INLINE __m128 sum4_avx2(__m256 a0, __m256 a1, __m256 a2, __m256 a3)
{
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

/* Where an interpolated output frame reads: the history from index on, the row h0 + w * (h1 - h0)
 * where h1 is the row after h0. */
struct resample_pos
{
    const float *h0;
    float w;
    uint32_t index;
};

AVX2_INLINE __m256 interp_coefs_avx2(const float *h0, uint32_t taps, __m256 w, uint32_t j)
{
    __m256 h = _mm256_load_ps(h0 + j);
    return _mm256_fmadd_ps(w, _mm256_sub_ps(_mm256_load_ps(h0 + taps + j), h), h);
}

/* One interpolated frame. Each channel's sum runs in one register, added up in sum8_avx2's order:
 * the same bits as interp4_avx2 gives the frame. */
AVX2_INLINE void interp1_avx2(const struct resample_pos *pos, const float *history, size_t stride, uint32_t channels,
                              uint32_t taps, float *out)
{
    const __m256 w = _mm256_set1_ps(pos->w);
    const float *x = history + pos->index;
    uint32_t c, j;

    for (c = 0; c < channels; c++, x += stride)
    {
        __m256 a = _mm256_setzero_ps();
        __m128 s;

        for (j = 0; j < taps; j += 8)
            a = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), interp_coefs_avx2(pos->h0, taps, w, j), a);
        a = _mm256_hadd_ps(a, a);
        a = _mm256_hadd_ps(a, a);
        s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        _mm_store_ss(out + c, s);
    }
}

/* Four interpolated frames: their sums side by side, added up together. */
AVX2_INLINE void interp4_avx2(const struct resample_pos *pos, const float *history, size_t stride, uint32_t channels,
                              uint32_t taps, float *out)
{
    const __m256 w0 = _mm256_set1_ps(pos[0].w), w1 = _mm256_set1_ps(pos[1].w);
    const __m256 w2 = _mm256_set1_ps(pos[2].w), w3 = _mm256_set1_ps(pos[3].w);
    const float *x0 = history + pos[0].index, *x1 = history + pos[1].index;
    const float *x2 = history + pos[2].index, *x3 = history + pos[3].index;
    __m256 a0, a1, a2, a3, a4, a5, a6, a7;
    uint32_t c, j;

    for (c = 0; c + 2 <= channels; c += 2, x0 += 2 * stride, x1 += 2 * stride, x2 += 2 * stride, x3 += 2 * stride)
    {
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = _mm256_setzero_ps();
        for (j = 0; j < taps; j += 8)
        {
            __m256 h0 = interp_coefs_avx2(pos[0].h0, taps, w0, j), h1 = interp_coefs_avx2(pos[1].h0, taps, w1, j);
            __m256 h2 = interp_coefs_avx2(pos[2].h0, taps, w2, j), h3 = interp_coefs_avx2(pos[3].h0, taps, w3, j);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + j), h0, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + stride + j), h0, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + j), h1, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + stride + j), h1, a3);
            a4 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + j), h2, a4);
            a5 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + stride + j), h2, a5);
            a6 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + j), h3, a6);
            a7 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + stride + j), h3, a7);
        }
        if (channels == 2) _mm256_storeu_ps(out, sum8_avx2(a0, a1, a2, a3, a4, a5, a6, a7));
        else
        {
            __m256 s = sum8_avx2(a0, a1, a2, a3, a4, a5, a6, a7);
            __m128 lo = _mm256_castps256_ps128(s), hi = _mm256_extractf128_ps(s, 1);
            _mm_storel_pi((__m64 *)(out + c), lo);
            _mm_storeh_pi((__m64 *)(out + channels + c), lo);
            _mm_storel_pi((__m64 *)(out + 2 * channels + c), hi);
            _mm_storeh_pi((__m64 *)(out + 3 * channels + c), hi);
        }
    }
    if (c < channels)
    {
        _Alignas(16) float v[4];

        a0 = a1 = a2 = a3 = _mm256_setzero_ps();
        for (j = 0; j < taps; j += 8)
        {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + j), interp_coefs_avx2(pos[0].h0, taps, w0, j), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + j), interp_coefs_avx2(pos[1].h0, taps, w1, j), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + j), interp_coefs_avx2(pos[2].h0, taps, w2, j), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + j), interp_coefs_avx2(pos[3].h0, taps, w3, j), a3);
        }
        if (channels == 1) _mm_storeu_ps(out, sum4_avx2(a0, a1, a2, a3));
        else
        {
            _mm_store_ps(v, sum4_avx2(a0, a1, a2, a3));
            for (j = 0; j < 4; j++) out[j * channels + c] = v[j];
        }
    }
}

AVX2_INLINE uint32_t interp_avx2(struct resample *r, float *out, uint32_t max, uint32_t channels)
{
    const uint32_t taps = r->taps, fill = r->fill;
    const uint64_t den = r->den, step_int = r->step_int, step_rem = r->step_rem;
    const float *table = r->tables->table;
    const double phase_scale = r->phase_scale;
    struct resample_pos pos[4];
    uint32_t index = r->index, done = 0, k, i;
    uint64_t frac = r->frac;

    for (;;)
    {
        for (k = 0; k < 4 && done + k < max && index + taps <= fill; k++)
        {
            double at = frac * phase_scale;
            uint32_t p = (uint32_t)at;

            pos[k].h0 = table + (size_t)p * taps;
            pos[k].w = (float)(at - p);
            pos[k].index = index;
            RESAMPLE_STEP();
        }
        if (k == 4) interp4_avx2(pos, r->history, r->stride, channels, taps, out);
        else
            for (i = 0; i < k; i++) interp1_avx2(pos + i, r->history, r->stride, channels, taps, out + i * channels);
        done += k;
        out += k * channels;
        if (k < 4) break;
    }
    r->index = index;
    r->frac = frac;
    return done;
}

DEFINE_FILTER(filter_avx2, __attribute__((target("avx2,fma"))), exact_avx2, interp_avx2)

#endif

static const struct
{
    const char *name;
    resample_filter_func filter;
}
variants[RESAMPLE_VARIANT_COUNT] =
{
    [RESAMPLE_VARIANT_C] = {"c", filter_c},
#ifdef RESAMPLE_X86
    [RESAMPLE_VARIANT_SSE2] = {"sse2", filter_sse2},
    [RESAMPLE_VARIANT_AVX2] = {"avx2+fma", filter_avx2},
#else
    [RESAMPLE_VARIANT_SSE2] = {"sse2", NULL},
    [RESAMPLE_VARIANT_AVX2] = {"avx2+fma", NULL},
#endif
};

const char *resample_variant_name(enum resample_variant variant)
{
    return (unsigned int)variant < RESAMPLE_VARIANT_COUNT ? variants[variant].name : NULL;
}

int resample_variant_supported(enum resample_variant variant)
{
    if ((unsigned int)variant >= RESAMPLE_VARIANT_COUNT || !variants[variant].filter) return 0;
#ifdef RESAMPLE_X86
    __builtin_cpu_init();
    if (variant == RESAMPLE_VARIANT_SSE2) return __builtin_cpu_supports("sse2");
    if (variant == RESAMPLE_VARIANT_AVX2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return 1;
}

static enum resample_variant best_variant(void)
{
    int v;

    for (v = RESAMPLE_VARIANT_COUNT - 1; v > RESAMPLE_VARIANT_C; v--)
        if (resample_variant_supported(v)) return v;
    return RESAMPLE_VARIANT_C;
}

int resample_set_variant(struct resample *r, enum resample_variant variant)
{
    if (!resample_variant_supported(variant)) return -1;
    r->variant = variant;
    r->filter = variants[variant].filter;
    return 0;
}

enum resample_variant resample_get_variant(const struct resample *r)
{
    return r->variant;
}

/* Drops the first frames of the history. */
static void drop_history(struct resample *r, uint32_t frames)
{
    uint32_t c;

    if (!frames) return;
    for (c = 0; c < r->channels; c++)
    {
        float *plane = r->history + (size_t)c * r->stride;
        memmove(plane, plane + frames, (r->fill - frames) * sizeof(float));
    }
    r->fill -= frames;
    r->index -= frames;
}

/* Drops the history before index, but for the frames kept before it. */
static void shift_history(struct resample *r)
{
    uint32_t drop = r->index > r->keep ? r->index - r->keep : 0;

    if (drop >= r->fill)
    {
        r->index -= r->fill;
        r->fill = 0;
        return;
    }
    drop_history(r, drop);
}

static void append_history(struct resample *r, const float *in, uint32_t frames)
{
    uint32_t c, f;

    if (r->channels == 2)
    {
        float *left = r->history + r->fill, *right = left + r->stride;

        f = 0;
#ifdef RESAMPLE_X86
        /* Four frames at a time (SSE2 is part of x86-64): the same bits, moved. */
        for (; f + 4 <= frames; f += 4)
        {
            __m128 a = _mm_loadu_ps(in + 2 * f), b = _mm_loadu_ps(in + 2 * f + 4);
            _mm_storeu_ps(left + f, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
            _mm_storeu_ps(right + f, _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
        }
#endif
        for (; f < frames; f++)
        {
            left[f] = in[2 * f];
            right[f] = in[2 * f + 1];
        }
    }
    else
        for (c = 0; c < r->channels; c++)
        {
            float *plane = r->history + (size_t)c * r->stride + r->fill;
            for (f = 0; f < frames; f++) plane[f] = in[(size_t)f * r->channels + c];
        }
    r->fill += frames;
}

/* Keeps the last frames that passed through as the history a switch to filtering starts from. */
static void passthrough(struct resample *r, const float *in, float *out, uint32_t frames)
{
    const uint32_t keep = passthrough_history(r);

    memcpy(out, in, (size_t)frames * r->channels * sizeof(float));
    if (frames >= keep)
    {
        r->fill = 0;
        append_history(r, in + (size_t)(frames - keep) * r->channels, keep);
    }
    else
    {
        r->index = frames;
        drop_history(r, frames);
        append_history(r, in, frames);
    }
}

void resample_process(struct resample *r, const float *in, uint32_t *in_frames, float *out, uint32_t *out_frames)
{
    uint32_t in_done = 0, out_done = 0;

    if (r->passthrough)
    {
        uint32_t frames = *in_frames < *out_frames ? *in_frames : *out_frames;
        passthrough(r, in, out, frames);
        *in_frames = *out_frames = frames;
        return;
    }

    for (;;)
    {
        uint32_t want;

        out_done += r->filter(r, out + (size_t)out_done * r->channels, *out_frames - out_done);
        if (out_done == *out_frames || in_done == *in_frames) break;

        shift_history(r);
        want = resample_in_frames_for(r, *out_frames - out_done);
        if (want > *in_frames - in_done) want = *in_frames - in_done;
        if (want > r->capacity - r->fill) want = r->capacity - r->fill;
        append_history(r, in + (size_t)in_done * r->channels, want);
        in_done += want;
    }
    *in_frames = in_done;
    *out_frames = out_done;
}
