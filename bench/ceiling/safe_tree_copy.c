// The system calls Copy-SpliceItem -Recurse makes for a fresh tree of regular files (a walk's
// statx, the source opened without following links and checked by statx on its descriptor, the
// destination made O_EXCL with its mode, copy_file_range by the size seen, the times set through
// the descriptor, two closes), on N threads taking one directory at a time, with nothing else:
// what two cores can do with these calls, against which the module's figures are read.
// Trees of the shape bench/ab/run.sh makes: <source>/d1 .. d<dirs>, regular files inside.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct dirent64 { unsigned long long ino; long long off; unsigned short reclen; unsigned char type; char name[]; };

static int source_root, destination_root, directories;
static atomic_int next_directory = 1;

static void copy_directory(int source, int destination)
{
    char listing[65536];
    long got;
    while ((got = syscall(SYS_getdents64, source, listing, sizeof listing)) > 0) {
        for (long at = 0; at < got;) {
            struct dirent64 *entry = (void *)(listing + at);
            at += entry->reclen;
            if (entry->name[0] == '.') continue;
            struct statx walked, opened;
            statx(source, entry->name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &walked);
            int in = openat(source, entry->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            statx(in, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &opened);
            if (opened.stx_ino != walked.stx_ino) { fprintf(stderr, "changed: %s\n", entry->name); exit(1); }
            int out = openat(destination, entry->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, opened.stx_mode & 07777);
            copy_file_range(in, NULL, out, NULL, opened.stx_size, 0);
            struct timespec times[2] = {{opened.stx_atime.tv_sec, opened.stx_atime.tv_nsec}, {opened.stx_mtime.tv_sec, opened.stx_mtime.tv_nsec}};
            futimens(out, times);
            close(in);
            close(out);
        }
    }
}

static void *worker(void *unused)
{
    (void)unused;
    for (int d; (d = atomic_fetch_add(&next_directory, 1)) <= directories;) {
        char name[32];
        snprintf(name, sizeof name, "d%d", d);
        int source = openat(source_root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        mkdirat(destination_root, name, 0700);
        int destination = openat(destination_root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        copy_directory(source, destination);
        close(source);
        close(destination);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: %s <source> <new destination> <threads> <directories>\n", argv[0]); return 2; }
    int threads = atoi(argv[3]);
    directories = atoi(argv[4]);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    source_root = open(argv[1], O_RDONLY | O_DIRECTORY);
    if (source_root < 0 || mkdir(argv[2], 0700) != 0) { perror("setup"); return 1; }
    destination_root = open(argv[2], O_RDONLY | O_DIRECTORY);
    pthread_t running[64];
    for (int t = 0; t < threads && t < 64; t++) pthread_create(&running[t], NULL, worker, NULL);
    for (int t = 0; t < threads && t < 64; t++) pthread_join(running[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("%.4f\n", (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
    return 0;
}
