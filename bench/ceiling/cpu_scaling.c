// The same fixed piece of work on 1 and on N threads at once: on a machine whose processors
// give N times the throughput of one, N threads take as long as one. A VM's processors may not
// (shared host cores, frequency): this is the ceiling any parallel copy meets there.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static int system_calls;

static void *work(void *unused)
{
    (void)unused;
    if (system_calls) {
        struct stat status;
        for (long i = 0; i < 400000; i++) fstat(0, &status);
    } else {
        volatile unsigned long sum = 0;
        for (unsigned long i = 0; i < 400000000UL; i++) sum += i;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s <threads> <0: arithmetic, 1: system calls>\n", argv[0]); return 2; }
    int threads = atoi(argv[1]);
    system_calls = atoi(argv[2]);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pthread_t running[64];
    for (int t = 0; t < threads && t < 64; t++) pthread_create(&running[t], NULL, work, NULL);
    for (int t = 0; t < threads && t < 64; t++) pthread_join(running[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("%.4f\n", (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
    return 0;
}
