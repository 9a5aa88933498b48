/* Test signals and their analysis, for the resampler's tests and measurements. */
#ifndef MMDEVAPI_TESTS_SIGNAL_H
#define MMDEVAPI_TESTS_SIGNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* amplitude * sin(2 pi freq n / rate) into every channel of frames interleaved frames. */
static inline void signal_sine(float *dst, size_t frames, uint32_t channels, double freq, uint32_t rate,
                               double amplitude)
{
    size_t i;
    uint32_t c;

    for (i = 0; i < frames; i++)
    {
        float v = (float)(amplitude * sin(2.0 * M_PI * freq * i / rate));
        for (c = 0; c < channels; c++) dst[i * channels + c] = v;
    }
}

struct signal_fit
{
    double amplitude;
    double phase;           /* y[i] = amplitude * sin(w i + phase) + dc */
    double dc;
    double residual;        /* power of what the sine and DC leave */
};

/* Least-squares fit of a sine at a known frequency plus DC to n samples y[i * stride]. */
static inline struct signal_fit signal_fit_sine(const float *y, size_t n, size_t stride, double freq, uint32_t rate)
{
    double m[3][4] = {{0}}, s[3], coef[3], res = 0.0;
    struct signal_fit fit;
    size_t i;
    int r, k, col;

    for (i = 0; i < n; i++)
    {
        double w = 2.0 * M_PI * freq * i / rate;
        s[0] = sin(w);
        s[1] = cos(w);
        s[2] = 1.0;
        for (r = 0; r < 3; r++)
        {
            for (k = 0; k < 3; k++) m[r][k] += s[r] * s[k];
            m[r][3] += s[r] * y[i * stride];
        }
    }
    /* Gaussian elimination: the matrix is well conditioned over many periods. */
    for (col = 0; col < 3; col++)
        for (r = col + 1; r < 3; r++)
        {
            double f = m[r][col] / m[col][col];
            for (k = col; k < 4; k++) m[r][k] -= f * m[col][k];
        }
    for (r = 2; r >= 0; r--)
    {
        coef[r] = m[r][3];
        for (k = r + 1; k < 3; k++) coef[r] -= m[r][k] * coef[k];
        coef[r] /= m[r][r];
    }
    for (i = 0; i < n; i++)
    {
        double w = 2.0 * M_PI * freq * i / rate;
        double e = y[i * stride] - (coef[0] * sin(w) + coef[1] * cos(w) + coef[2]);
        res += e * e;
    }
    fit.amplitude = sqrt(coef[0] * coef[0] + coef[1] * coef[1]);
    fit.phase = atan2(coef[1], coef[0]);
    fit.dc = coef[2];
    fit.residual = res / n;
    return fit;
}

/* THD+N in dB below the sine: positive, higher is better. */
static inline double signal_snr(const struct signal_fit *fit)
{
    return 10.0 * log10(fit->amplitude * fit->amplitude / 2.0 / fit->residual);
}

/* The peak fourth difference of n samples y[i * stride], over what a sine of amplitude at w
 * radians per sample has (A w^4). A fourth difference is a high-pass a sine barely passes but a
 * step in value or slope does: a smooth signal stays at a few units, a repeated or skipped frame
 * in a 1 kHz sine at 48 kHz gives well over a thousand. */
static inline double signal_click(const float *y, size_t n, size_t stride, double amplitude, double w)
{
    double peak = 0.0;
    size_t i;

    for (i = 2; i + 2 < n; i++)
    {
        double d4 = fabs(y[(i - 2) * stride] - 4.0 * y[(i - 1) * stride] + 6.0 * y[i * stride]
                         - 4.0 * y[(i + 1) * stride] + y[(i + 2) * stride]);
        if (d4 > peak) peak = d4;
    }
    return peak / (amplitude * w * w * w * w);
}

#endif
