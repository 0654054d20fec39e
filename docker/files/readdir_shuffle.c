/*
 * readdir_shuffle: an LD_PRELOAD shim that changes the order in which readdir()/readdir64()
 * return directory entries, to expose builds that depend on directory order.
 *
 * Compiled into the pinned image as /usr/local/lib/repro/libreaddir_shuffle.so.
 *
 * Controlled by environment variables read at the first readdir() of each directory stream:
 *   REPRO_SHUFFLE_READDIR = 1 | shuffle   entries sorted by name, then shuffled with a fixed
 *                                         seed (deterministic: the same directory contents give
 *                                         the same order on every run)
 *                         = reverse       the file system's own order, reversed
 *                         = 0 | unset     no change (the shim is transparent)
 *   REPRO_SHUFFLE_SEED    = integer       seed of the shuffle (default 1)
 *
 * On the first readdir() of a stream the shim reads the whole directory through the real
 * readdir64(), keeps copies of the entries, reorders them and serves them from memory;
 * rewinddir() starts over, closedir() frees them. telldir()/seekdir() on a shuffled stream are
 * not supported (seekdir() restarts the stream). Thread-safe (one mutex around the table).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64), "dirent and dirent64 must match");

struct stream {
    DIR *dir;
    struct dirent64 **entries;
    size_t len;
    size_t pos;
    struct stream *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct stream *streams;

static struct dirent64 *(*real_readdir64)(DIR *);
static int (*real_closedir)(DIR *);
static void (*real_rewinddir)(DIR *);
static void (*real_seekdir)(DIR *, long);

static void init_real(void) {
    if (!real_readdir64) {
        real_readdir64 = (struct dirent64 * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir64");
        real_closedir = (int (*)(DIR *))dlsym(RTLD_NEXT, "closedir");
        real_rewinddir = (void (*)(DIR *))dlsym(RTLD_NEXT, "rewinddir");
        real_seekdir = (void (*)(DIR *, long))dlsym(RTLD_NEXT, "seekdir");
    }
}

/* 0 = off, 1 = shuffle, 2 = reverse */
static int mode(void) {
    const char *v = getenv("REPRO_SHUFFLE_READDIR");
    if (!v || !*v || strcmp(v, "0") == 0) return 0;
    if (strcmp(v, "reverse") == 0) return 2;
    return 1;
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int by_name(const void *a, const void *b) {
    const struct dirent64 *x = *(struct dirent64 *const *)a;
    const struct dirent64 *y = *(struct dirent64 *const *)b;
    return strcmp(x->d_name, y->d_name);
}

static void free_stream(struct stream *s) {
    for (size_t i = 0; i < s->len; i++) free(s->entries[i]);
    free(s->entries);
    free(s);
}

/* Unlinks and returns the stream record of `dir`, or NULL. Caller holds the lock. */
static struct stream *take(DIR *dir) {
    for (struct stream **p = &streams; *p; p = &(*p)->next) {
        if ((*p)->dir == dir) {
            struct stream *s = *p;
            *p = s->next;
            return s;
        }
    }
    return NULL;
}

static struct stream *find(DIR *dir) {
    for (struct stream *s = streams; s; s = s->next)
        if (s->dir == dir) return s;
    return NULL;
}

/* Reads the whole directory and reorders it. Returns NULL on allocation failure. */
static struct stream *load(DIR *dir, int m) {
    struct stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->dir = dir;
    size_t cap = 0;
    struct dirent64 *e;
    while ((e = real_readdir64(dir)) != NULL) {
        if (s->len == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct dirent64 **n = realloc(s->entries, ncap * sizeof *n);
            if (!n) { free_stream(s); return NULL; }
            s->entries = n;
            cap = ncap;
        }
        size_t size = e->d_reclen > sizeof *e ? e->d_reclen : sizeof *e;
        struct dirent64 *copy = malloc(size);
        if (!copy) { free_stream(s); return NULL; }
        memcpy(copy, e, e->d_reclen < size ? e->d_reclen : size);
        s->entries[s->len++] = copy;
    }
    if (m == 2) {
        for (size_t i = 0; i < s->len / 2; i++) {
            struct dirent64 *t = s->entries[i];
            s->entries[i] = s->entries[s->len - 1 - i];
            s->entries[s->len - 1 - i] = t;
        }
    } else if (s->len > 1) {
        qsort(s->entries, s->len, sizeof *s->entries, by_name);
        const char *seed_s = getenv("REPRO_SHUFFLE_SEED");
        uint64_t state = seed_s ? strtoull(seed_s, NULL, 10) : 1;
        for (size_t i = s->len - 1; i > 0; i--) {
            size_t j = (size_t)(splitmix64(&state) % (uint64_t)(i + 1));
            struct dirent64 *t = s->entries[i];
            s->entries[i] = s->entries[j];
            s->entries[j] = t;
        }
    }
    s->next = streams;
    streams = s;
    return s;
}

struct dirent64 *readdir64(DIR *dir) {
    init_real();
    int m = mode();
    if (!m) {
        pthread_mutex_lock(&lock);
        struct stream *s = find(dir);
        pthread_mutex_unlock(&lock);
        if (!s) return real_readdir64(dir);
        m = 1;
    }
    pthread_mutex_lock(&lock);
    struct stream *s = find(dir);
    if (!s) s = load(dir, m);
    struct dirent64 *r = NULL;
    if (!s) {
        pthread_mutex_unlock(&lock);
        return real_readdir64(dir);
    }
    if (s->pos < s->len) r = s->entries[s->pos++];
    pthread_mutex_unlock(&lock);
    return r;
}

struct dirent *readdir(DIR *dir) {
    return (struct dirent *)readdir64(dir);
}

int closedir(DIR *dir) {
    init_real();
    pthread_mutex_lock(&lock);
    struct stream *s = take(dir);
    pthread_mutex_unlock(&lock);
    if (s) free_stream(s);
    return real_closedir(dir);
}

void rewinddir(DIR *dir) {
    init_real();
    pthread_mutex_lock(&lock);
    struct stream *s = take(dir);
    pthread_mutex_unlock(&lock);
    if (s) free_stream(s);
    real_rewinddir(dir);
}

void seekdir(DIR *dir, long loc) {
    init_real();
    pthread_mutex_lock(&lock);
    struct stream *s = take(dir);
    pthread_mutex_unlock(&lock);
    if (s) {
        free_stream(s);
        real_rewinddir(dir);
        return;
    }
    real_seekdir(dir, loc);
}
