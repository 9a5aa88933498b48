/* Says what a recording of a played tone holds: level, frequency and glitches. Reads raw
 * interleaved float32 (what the test harness records from the null sink's monitor). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: analyze-recording FILE [RATE [CHANNELS]]\n"
                 "  FILE: raw float32 little-endian interleaved frames (default 48000 Hz, 2 channels).\n"
                 "  Prints the audible part's length, RMS and peak level, the tone's frequency, and\n"
                 "  the glitches in it: jumps a sine of that frequency cannot make, and dropouts.\n");
}

int main(int argc, char **argv)
{
    unsigned int rate = 48000, channels = 2, c;
    size_t frames, first = 0, last = 0, i, crossings = 0, jumps = 0, dropouts = 0, zeros = 0;
    double sum = 0, peak = 0, frequency, max_step;
    float *samples;
    long size;
    FILE *file;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
    {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (argc > 2) rate = strtoul(argv[2], NULL, 10);
    if (argc > 3) channels = strtoul(argv[3], NULL, 10);
    if (!rate || !channels || channels > 32)
    {
        usage(stderr);
        return 2;
    }
    if (!(file = fopen(argv[1], "rb")) || fseek(file, 0, SEEK_END) || (size = ftell(file)) < 0)
    {
        perror(argv[1]);
        return 1;
    }
    rewind(file);
    frames = size / (sizeof(float) * channels);
    if (!(samples = malloc(frames * channels * sizeof(float) + 1))
        || fread(samples, sizeof(float) * channels, frames, file) != frames)
    {
        fprintf(stderr, "%s: cannot read %zu frames\n", argv[1], frames);
        return 1;
    }
    fclose(file);

    /* The audible part: from the first to the last frame above -60 dBFS on the first channel. */
    for (i = 0; i < frames; i++)
        if (fabsf(samples[i * channels]) > 0.001f)
        {
            if (!last) first = i;
            last = i + 1;
        }
    if (last <= first + rate / 100)
    {
        printf("silence: %zu frames (%.2f s), nothing audible\n", frames, (double)frames / rate);
        return 1;
    }

    for (i = first; i < last; i++)
    {
        double x = samples[i * channels];
        for (c = 0; c < channels; c++)
        {
            double v = fabs(samples[i * channels + c]);
            if (v > peak) peak = v;
        }
        sum += x * x;
        if (i > first && (samples[(i - 1) * channels] < 0) != (x < 0)) crossings++;
    }
    frequency = crossings / 2.0 * rate / (last - first);
    /* A sine of amplitude A moves at most 2 pi f A / rate a sample; a glitch jumps further. */
    max_step = 2 * M_PI * frequency * peak / rate * 1.5 + 1e-4;
    for (i = first + 1; i < last; i++)
    {
        if (fabs(samples[i * channels] - samples[(i - 1) * channels]) > max_step) jumps++;
        /* A dropout: a millisecond or more of exact zeros inside the tone. */
        if (samples[i * channels] == 0.0f) zeros++;
        else
        {
            if (zeros >= rate / 1000) dropouts++;
            zeros = 0;
        }
    }

    printf("audible: %.3f s from %.3f s (of %.3f s recorded)\n", (double)(last - first) / rate,
           (double)first / rate, (double)frames / rate);
    printf("level: RMS %.1f dBFS, peak %.1f dBFS\n", 10 * log10(sum / (last - first) + 1e-20),
           20 * log10(peak + 1e-20));
    printf("frequency: %.1f Hz\n", frequency);
    printf("glitches: %zu jumps, %zu dropouts\n", jumps, dropouts);
    free(samples);
    return jumps || dropouts ? 3 : 0;
}
