// Interposes the two libcurl entry points FoundationNetworking configures libcurl with, to work around two
// FoundationNetworking 6.3.1 defects we cannot patch (docs/urlsession-linux.md §10). The executable exports
// both symbols (linker flag --export-dynamic-symbol, Package.swift) so that libFoundationNetworking.so binds
// to them instead of libcurl's; each passes on to libcurl's own (dlsym RTLD_NEXT).
//
// 1. MultiHandle.register(socket:for:what:socketSourcePtr:) only ever adds dispatch sources and removes them
//    only on CURL_POLL_REMOVE. When libcurl narrows its interest (CURL_POLL_OUT while connecting, then
//    CURL_POLL_IN once the request is sent) the write source stays armed on an always-writable socket and
//    fires continuously: every response wait and every slow body costs a full core. Any narrowing is turned
//    into REMOVE followed by a fresh registration, the path FoundationNetworking already handles.
// 2. HTTPURLProtocol.configureEasyHandle always calls set(automaticBodyDecompression: true), i.e.
//    CURLOPT_ACCEPT_ENCODING "" and CURLOPT_HTTP_CONTENT_DECODING 1: libcurl inflates whatever
//    Content-Encoding a server sends, whatever Accept-Encoding we asked for. Decoding is switched off, so the
//    delegate receives the wire bytes (and libcurl no longer adds its own Accept-Encoding header).
//
// And two costs (docs/performance.md, "Where the CPU goes over TLS"):
//
// 3. Debian's libcurl has a default CApath (/etc/ssl/certs) besides its CA bundle, and libcurl caches the
//    parsed bundle per multi handle only when no CApath is set. So every new TLS connection parsed the whole
//    bundle again: ~35 ms of CPU with OpenSSL 3.0 (14% of a 500 MB run's samples). The CApath is cleared on
//    every easy handle (when its URL is set): trust comes from the bundle alone, which on Debian is built
//    from the same certificates, and it is parsed once per session.
// 4. FoundationNetworking does a lot for every piece libcurl hands over (a Data copy, rebuilding its timeout
//    timer as a new dispatch source, the delegate call), and libcurl hands over at most 16 KB
//    (CURL_MAX_WRITE_SIZE; over TLS also one record). CURLOPT_BUFFERSIZE cannot change that. The write
//    callback is therefore wrapped: body bytes are gathered per easy handle and passed on in pieces of
//    COALESCE_BYTES, or sooner once the first gathered byte is COALESCE_MS old (so the idle timer and the
//    progress keep moving on a slow link). What is gathered is passed on before any header callback (a
//    redirect's next response), and when libcurl reports the transfer done (curl_multi_info_read); it is
//    dropped when the handle is removed before that (a cancelled task: FoundationNetworking must not get
//    body bytes then).
#define _GNU_SOURCE
#include "CCurlShim.h"
#include <dlfcn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <pthread.h>

// libcurl's ABI, without its headers (they are not needed to build, and the values are stable).
typedef void CURL;
typedef void CURLM;
typedef int curl_socket_t;
typedef long long curl_off_t;
typedef int (*socket_callback)(CURL *, curl_socket_t, int what, void *userp, void *socketp);
enum { OPT_OBJECTPOINT = 10000, OPT_OFF_T = 30000, OPT_BLOB = 40000 };
enum { MOPT_SOCKETFUNCTION = 20001, MOPT_SOCKETDATA = 10002 };
enum { OPT_ACCEPT_ENCODING = 10102, OPT_HTTP_CONTENT_DECODING = 158 };
enum { OPT_WRITEDATA = 10001, OPT_URL = 10002, OPT_HEADERDATA = 10029, OPT_CAPATH = 10097,
       OPT_WRITEFUNCTION = 20011, OPT_HEADERFUNCTION = 20079 };
enum { MSG_DONE = 1, E_WRITE_ERROR = 23 };
typedef size_t (*write_callback)(char *, size_t, size_t, void *);
typedef struct { int msg; CURL *easy_handle; union { void *whatever; int result; } data; } Message;
enum { POLL_NONE = 0, POLL_INOUT = 3, POLL_REMOVE = 4 };

typedef int (*multi_setopt_fn)(CURLM *, int, ...);
typedef int (*easy_setopt_fn)(CURL *, int, ...);
typedef int (*multi_assign_fn)(CURLM *, curl_socket_t, void *);

static void *next_symbol(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) { fprintf(stderr, "imgur-archive: libcurl's %s not found\n", name); abort(); }
    return f;
}
static multi_setopt_fn real_multi_setopt(void) {
    static _Atomic(multi_setopt_fn) f;
    multi_setopt_fn g = atomic_load(&f);
    if (!g) { g = (multi_setopt_fn)next_symbol("curl_multi_setopt"); atomic_store(&f, g); }
    return g;
}
static easy_setopt_fn real_easy_setopt(void) {
    static _Atomic(easy_setopt_fn) f;
    easy_setopt_fn g = atomic_load(&f);
    if (!g) { g = (easy_setopt_fn)next_symbol("curl_easy_setopt"); atomic_store(&f, g); }
    return g;
}
static multi_assign_fn real_multi_assign(void) {
    static _Atomic(multi_assign_fn) f;
    multi_assign_fn g = atomic_load(&f);
    if (!g) { g = (multi_assign_fn)next_symbol("curl_multi_assign"); atomic_store(&f, g); }
    return g;
}

/// One per multi handle: FoundationNetworking's callback and user data. Never freed (a few per process).
typedef struct Wrapper { CURLM *multi; socket_callback callback; void *userp; struct Wrapper *next; } Wrapper;
static Wrapper *wrappers;
static pthread_mutex_t wrappersLock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int wrappedCount;
static atomic_long undecodedCount;

static Wrapper *wrapper_for(CURLM *multi) {
    pthread_mutex_lock(&wrappersLock);
    Wrapper *w = wrappers;
    while (w && w->multi != multi) w = w->next;
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w) abort();
        w->multi = multi; w->next = wrappers; wrappers = w;
        atomic_fetch_add(&wrappedCount, 1);
    }
    pthread_mutex_unlock(&wrappersLock);
    return w;
}

// The interest FoundationNetworking has sources for, per descriptor. Each multi handle calls back on its own
// serial queue and a descriptor belongs to one connection at a time, so no lock is needed.
#define TRACKED_FDS 65536
static unsigned char interest[TRACKED_FDS];

static int socket_trampoline(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
    Wrapper *w = userp;
    int tracked = s >= 0 && s < TRACKED_FDS;
    int before = tracked ? interest[s] : POLL_INOUT;  // untracked: assume both, so any change re-registers
    if (what == POLL_REMOVE || what == POLL_NONE) {
        if (tracked) interest[s] = 0;
        return w->callback(easy, s, what, w->userp, socketp);
    }
    if (tracked) interest[s] = (unsigned char)what;
    if (socketp && (before & ~what)) {
        // Drops FoundationNetworking's sources (and releases the object it stored with curl_multi_assign),
        // then makes libcurl forget that object so that the registration below starts afresh.
        w->callback(easy, s, POLL_REMOVE, w->userp, socketp);
        real_multi_assign()(w->multi, s, NULL);
        socketp = NULL;
    }
    return w->callback(easy, s, what, w->userp, socketp);
}

// ---- 4. Gathering body pieces

enum { COALESCE_BYTES = 256 * 1024, COALESCE_MS = 50, POOLED_BUFFERS = 32, BUCKETS = 256 };

/// One per easy handle that FoundationNetworking gave callbacks to; freed by curl_easy_cleanup. The write
/// and header callbacks, curl_multi_info_read and curl_multi_remove_handle all run on the session's serial
/// queue, so the fields need no lock; the table does (handles are made and freed on other threads).
typedef struct Gatherer {
    CURL *easy;
    write_callback body; void *bodyData;
    write_callback header; void *headerData;
    char *buffer; size_t used;
    struct timespec first;  // when the oldest gathered byte came
    int refused;            // FoundationNetworking took fewer bytes than given: fail the transfer
    struct Gatherer *next;
} Gatherer;
static Gatherer *gatherers[BUCKETS];
static pthread_mutex_t gatherersLock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long gatheredPieces, passedPieces;

static size_t bucket(CURL *easy) { return ((uintptr_t)easy >> 4) % BUCKETS; }

static Gatherer *gatherer_for(CURL *easy, int create) {
    pthread_mutex_lock(&gatherersLock);
    Gatherer *g = gatherers[bucket(easy)];
    while (g && g->easy != easy) g = g->next;
    if (!g && create) {
        g = calloc(1, sizeof *g);
        if (!g) abort();
        g->easy = easy; g->next = gatherers[bucket(easy)]; gatherers[bucket(easy)] = g;
    }
    pthread_mutex_unlock(&gatherersLock);
    return g;
}

// Buffers go back to a small pool so that each is faulted in once, not once per transfer (mapped, not
// malloc'ed, for the reason given in DurableFiles/BufferedWriter.swift).
static char *pool[POOLED_BUFFERS];
static int pooled;
static pthread_mutex_t poolLock = PTHREAD_MUTEX_INITIALIZER;

static char *buffer_take(void) {
    char *b = NULL;
    pthread_mutex_lock(&poolLock);
    if (pooled > 0) b = pool[--pooled];
    pthread_mutex_unlock(&poolLock);
    if (!b) {
        b = mmap(NULL, COALESCE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (b == MAP_FAILED) b = NULL;
    }
    return b;
}

static void buffer_give_back(Gatherer *g) {
    char *b = g->buffer;
    g->buffer = NULL;
    g->used = 0;
    if (!b) return;
    pthread_mutex_lock(&poolLock);
    if (pooled < POOLED_BUFFERS) { pool[pooled++] = b; b = NULL; }
    pthread_mutex_unlock(&poolLock);
    if (b) munmap(b, COALESCE_BYTES);
}

/// Hands what is gathered to FoundationNetworking; false once it has refused bytes.
static int pass_on(Gatherer *g) {
    if (g->used > 0 && !g->refused) {
        size_t n = g->used;
        g->used = 0;
        atomic_fetch_add(&passedPieces, 1);
        if (g->body(g->buffer, 1, n, g->bodyData) != n) g->refused = 1;
    }
    return !g->refused;
}

static long milliseconds_since(const struct timespec *then) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return (long)(now.tv_sec - then->tv_sec) * 1000 + (now.tv_nsec - then->tv_nsec) / 1000000;
}

static size_t gather_body(char *data, size_t size, size_t count, void *userp) {
    Gatherer *g = userp;
    size_t n = size * count;
    atomic_fetch_add(&gatheredPieces, 1);
    if (g->refused) return 0;
    if (g->used + n > COALESCE_BYTES && !pass_on(g)) return 0;
    if (!g->buffer) g->buffer = buffer_take();
    if (!g->buffer || n >= COALESCE_BYTES) {  // no memory, or a piece too big to gather: as it came
        atomic_fetch_add(&passedPieces, 1);
        return g->body(data, size, count, g->bodyData);
    }
    if (g->used == 0) clock_gettime(CLOCK_MONOTONIC_COARSE, &g->first);
    memcpy(g->buffer + g->used, data, n);
    g->used += n;
    if ((g->used == COALESCE_BYTES || milliseconds_since(&g->first) >= COALESCE_MS) && !pass_on(g)) return 0;
    return n;
}

static size_t gather_header(char *data, size_t size, size_t count, void *userp) {
    Gatherer *g = userp;
    if (!pass_on(g)) return 0;
    return g->header(data, size, count, g->headerData);
}

/// Wraps FoundationNetworking's write and header callbacks (it sets the data pointer, then the function).
/// Returns the value to pass to libcurl instead of `value`.
static void *wrap_callbacks(CURL *easy, int option, void *value) {
    Gatherer *g = gatherer_for(easy, 1);
    switch (option) {
    case OPT_WRITEFUNCTION:
        g->body = (write_callback)value;
        if (!value) { real_easy_setopt()(easy, OPT_WRITEDATA, g->bodyData); return NULL; }
        real_easy_setopt()(easy, OPT_WRITEDATA, (void *)g);
        return (void *)gather_body;
    case OPT_HEADERFUNCTION:
        g->header = (write_callback)value;
        if (!value) { real_easy_setopt()(easy, OPT_HEADERDATA, g->headerData); return NULL; }
        real_easy_setopt()(easy, OPT_HEADERDATA, (void *)g);
        return (void *)gather_header;
    case OPT_WRITEDATA:
        g->bodyData = value;
        return g->body ? (void *)g : value;
    default:  // OPT_HEADERDATA
        g->headerData = value;
        return g->header ? (void *)g : value;
    }
}

typedef Message *(*info_read_fn)(CURLM *, int *);
typedef int (*remove_handle_fn)(CURLM *, CURL *);
typedef void (*cleanup_fn)(CURL *);

Message *curl_multi_info_read(CURLM *multi, int *queued) {
    static _Atomic(info_read_fn) f;
    info_read_fn real = atomic_load(&f);
    if (!real) { real = (info_read_fn)next_symbol("curl_multi_info_read"); atomic_store(&f, real); }
    Message *m = real(multi, queued);
    if (!m || m->msg != MSG_DONE) return m;
    Gatherer *g = gatherer_for(m->easy_handle, 0);
    if (!g) return m;
    pass_on(g);  // every byte received reaches the task before it completes, failed or not
    int refused = g->refused;
    g->refused = 0;
    buffer_give_back(g);
    if (refused && m->data.result == 0) {
        static __thread Message failed;
        failed = *m;
        failed.data.result = E_WRITE_ERROR;
        return &failed;
    }
    return m;
}

int curl_multi_remove_handle(CURLM *multi, CURL *easy) {
    static _Atomic(remove_handle_fn) f;
    remove_handle_fn real = atomic_load(&f);
    if (!real) { real = (remove_handle_fn)next_symbol("curl_multi_remove_handle"); atomic_store(&f, real); }
    Gatherer *g = gatherer_for(easy, 0);
    if (g) { g->refused = 0; buffer_give_back(g); }  // removed before done (cancelled): drop, never deliver
    return real(multi, easy);
}

// ---- 5. Pausing a transfer that has no connection
//
// libcurl 7.88's curl_easy_pause answers CURLE_BAD_FUNCTION_ARGUMENT (43) for a handle that has no
// connection (yet, or any more), and FoundationNetworking calls it through `try!`: cancelling an upload
// whose answer has not come (a SIGTERM while Imgur is silent) crashed the process with "Fatal error:
// 'try!' expression unexpectedly raised an error: libcurl.Easy Code=43". Pausing or unpausing a
// transfer that has no connection changes nothing, so that answer becomes CURLE_OK.
typedef int (*pause_fn)(CURL *, int);
static atomic_long pauseWithoutConnection;

int curl_easy_pause(CURL *easy, int bitmask) {
    static _Atomic(pause_fn) f;
    pause_fn real = atomic_load(&f);
    if (!real) { real = (pause_fn)next_symbol("curl_easy_pause"); atomic_store(&f, real); }
    int rc = real(easy, bitmask);
    if (rc == 43 && easy != NULL) {
        atomic_fetch_add(&pauseWithoutConnection, 1);
        return 0;
    }
    return rc;
}

long ia_curl_shim_pauses_without_connection(void) { return atomic_load(&pauseWithoutConnection); }

void curl_easy_cleanup(CURL *easy) {
    static _Atomic(cleanup_fn) f;
    cleanup_fn real = atomic_load(&f);
    if (!real) { real = (cleanup_fn)next_symbol("curl_easy_cleanup"); atomic_store(&f, real); }
    pthread_mutex_lock(&gatherersLock);
    Gatherer **p = &gatherers[bucket(easy)];
    while (*p && (*p)->easy != easy) p = &(*p)->next;
    Gatherer *g = *p;
    if (g) *p = g->next;
    pthread_mutex_unlock(&gatherersLock);
    if (g) { buffer_give_back(g); free(g); }
    real(easy);
}

// ---- the two setopt entry points

int curl_multi_setopt(CURLM *multi, int option, ...) {
    va_list ap;
    va_start(ap, option);
    int rc;
    if (option < OPT_OBJECTPOINT) {
        long v = va_arg(ap, long);
        rc = real_multi_setopt()(multi, option, v);
    } else if (option >= OPT_OFF_T && option < OPT_BLOB) {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = real_multi_setopt()(multi, option, v);
    } else {
        void *v = va_arg(ap, void *);
        if (option == MOPT_SOCKETDATA) {
            Wrapper *w = wrapper_for(multi);
            w->userp = v;
            rc = real_multi_setopt()(multi, option, (void *)w);
        } else if (option == MOPT_SOCKETFUNCTION && v) {
            Wrapper *w = wrapper_for(multi);
            w->callback = (socket_callback)v;
            real_multi_setopt()(multi, MOPT_SOCKETDATA, (void *)w);
            rc = real_multi_setopt()(multi, option, (void *)socket_trampoline);
        } else {
            rc = real_multi_setopt()(multi, option, v);
        }
    }
    va_end(ap);
    return rc;
}

int curl_easy_setopt(CURL *easy, int option, ...) {
    va_list ap;
    va_start(ap, option);
    int rc;
    if (option < OPT_OBJECTPOINT) {
        long v = va_arg(ap, long);
        if (option == OPT_HTTP_CONTENT_DECODING) v = 0;
        rc = real_easy_setopt()(easy, option, v);
    } else if (option >= OPT_OFF_T && option < OPT_BLOB) {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = real_easy_setopt()(easy, option, v);
    } else {
        void *v = va_arg(ap, void *);
        if (option == OPT_ACCEPT_ENCODING) { v = NULL; atomic_fetch_add(&undecodedCount, 1); }
        if (option == OPT_URL) real_easy_setopt()(easy, OPT_CAPATH, (void *)NULL);
        if (option == OPT_WRITEFUNCTION || option == OPT_WRITEDATA || option == OPT_HEADERFUNCTION
            || option == OPT_HEADERDATA) {
            v = wrap_callbacks(easy, option, v);
        }
        rc = real_easy_setopt()(easy, option, v);
    }
    va_end(ap);
    return rc;
}

int ia_curl_shim_wrapped_multi_handles(void) { return atomic_load(&wrappedCount); }
long ia_curl_shim_undecoded_easy_handles(void) { return atomic_load(&undecodedCount); }
long ia_curl_shim_gathered_pieces(void) { return atomic_load(&gatheredPieces); }
long ia_curl_shim_passed_pieces(void) { return atomic_load(&passedPieces); }
