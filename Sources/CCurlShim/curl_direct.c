// The media transport's engine: one transfer at a time on one libcurl easy handle of its own multi handle,
// driven from the calling thread (docs/performance.md, "A media transport on libcurl"). FoundationNetworking
// already loads libcurl into every process; its functions are looked up past the executable (RTLD_NEXT), so
// the interposed entry points of curl_shim.c, which are FoundationNetworking's, are never involved.
//
// Why a multi handle for one transfer: curl_multi_poll can be woken from another thread (curl_multi_wakeup),
// which is how a cancelled transfer stops at once; and the multi handle keeps the connections and the parsed
// CA bundle from one transfer to the next (libcurl caches the bundle per multi handle when no CApath is set).
//
// Redirects are not followed here: each response comes back to the caller, which decides (credentials must
// not cross origins; Imgur's removed-media redirect is an answer, not a hop).
#define _GNU_SOURCE
#include "CCurlShim.h"
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

typedef void CURL;
typedef void CURLM;
struct curl_slist;
typedef struct { int msg; CURL *easy_handle; union { void *whatever; int result; } data; } Message;
enum {
    OPT_WRITEDATA = 10001, OPT_URL = 10002, OPT_ERRORBUFFER = 10010, OPT_HTTPHEADER = 10023,
    OPT_HEADERDATA = 10029, OPT_CUSTOMREQUEST = 10036, OPT_CAPATH = 10097, OPT_PROTOCOLS_STR = 10318,
    OPT_REDIR_PROTOCOLS_STR = 10319, OPT_WRITEFUNCTION = 20011, OPT_HEADERFUNCTION = 20079,
    OPT_NOPROGRESS = 43, OPT_NOBODY = 44, OPT_FOLLOWLOCATION = 52, OPT_HTTPGET = 80, OPT_NOSIGNAL = 99,
    OPT_HTTP_CONTENT_DECODING = 158, OPT_TCP_KEEPALIVE = 213, OPT_SUPPRESS_CONNECT_HEADERS = 265, OPT_QUICK_EXIT = 322,
};
enum { OPT_CAINFO = 10065, OPT_SSL_CTX_FUNCTION = 20108, OPT_SSL_CTX_DATA = 10109, INFO_CAINFO = 0x100000 + 61 };
enum { MSG_DONE = 1, E_OK = 0, M_OK = 0, ERROR_SIZE = 256 };

typedef CURL *(*easy_init_fn)(void);
typedef void (*easy_void_fn)(CURL *);
typedef int (*easy_setopt_fn)(CURL *, int, ...);
typedef const char *(*easy_strerror_fn)(int);
typedef CURLM *(*multi_init_fn)(void);
typedef int (*multi_cleanup_fn)(CURLM *);
typedef int (*multi_handle_fn)(CURLM *, CURL *);
typedef int (*multi_perform_fn)(CURLM *, int *);
typedef int (*multi_poll_fn)(CURLM *, void *, unsigned, int, int *);
typedef Message *(*multi_info_read_fn)(CURLM *, int *);
typedef int (*easy_getinfo_fn)(CURL *, int, ...);
/// The start of curl_version_info_data, the same in every libcurl since 7.10.
typedef struct { int age; const char *version; unsigned int version_num; const char *host; int features;
                 const char *ssl_version; long ssl_version_num; } version_info;
typedef version_info *(*version_info_fn)(int);
typedef struct curl_slist *(*slist_append_fn)(struct curl_slist *, const char *);
typedef void (*slist_free_fn)(struct curl_slist *);

/// libcurl's functions, looked up once.
static struct {
    easy_init_fn easy_init; easy_void_fn easy_cleanup, easy_reset; easy_setopt_fn easy_setopt;
    easy_strerror_fn easy_strerror; easy_getinfo_fn easy_getinfo; version_info_fn version_info; multi_init_fn multi_init; multi_cleanup_fn multi_cleanup, multi_wakeup;
    multi_handle_fn multi_add, multi_remove; multi_perform_fn multi_perform; multi_poll_fn multi_poll;
    multi_info_read_fn multi_info_read; slist_append_fn slist_append; slist_free_fn slist_free;
} curl;
static atomic_int looked_up;  // 0: not yet, 1: all found, -1: something missing

static void *find(const char *name, int *missing) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) f = dlsym(RTLD_DEFAULT, name);
    if (!f) *missing = 1;
    return f;
}

static int look_up(void) {
    int state = atomic_load(&looked_up);
    if (state != 0) return state > 0;
    int missing = 0;
    curl.easy_init = (easy_init_fn)find("curl_easy_init", &missing);
    curl.easy_cleanup = (easy_void_fn)find("curl_easy_cleanup", &missing);
    curl.easy_reset = (easy_void_fn)find("curl_easy_reset", &missing);
    curl.easy_setopt = (easy_setopt_fn)find("curl_easy_setopt", &missing);
    curl.easy_strerror = (easy_strerror_fn)find("curl_easy_strerror", &missing);
    curl.easy_getinfo = (easy_getinfo_fn)find("curl_easy_getinfo", &missing);
    curl.version_info = (version_info_fn)find("curl_version_info", &missing);
    curl.multi_init = (multi_init_fn)find("curl_multi_init", &missing);
    curl.multi_cleanup = (multi_cleanup_fn)find("curl_multi_cleanup", &missing);
    curl.multi_wakeup = (multi_cleanup_fn)find("curl_multi_wakeup", &missing);
    curl.multi_add = (multi_handle_fn)find("curl_multi_add_handle", &missing);
    curl.multi_remove = (multi_handle_fn)find("curl_multi_remove_handle", &missing);
    curl.multi_perform = (multi_perform_fn)find("curl_multi_perform", &missing);
    curl.multi_poll = (multi_poll_fn)find("curl_multi_poll", &missing);
    curl.multi_info_read = (multi_info_read_fn)find("curl_multi_info_read", &missing);
    curl.slist_append = (slist_append_fn)find("curl_slist_append", &missing);
    curl.slist_free = (slist_free_fn)find("curl_slist_free_all", &missing);
    atomic_store(&looked_up, missing ? -1 : 1);
    return !missing;
}

// ---- One CA store for every handle
//
// libcurl parses its CA bundle once per multi handle (~35 ms of CPU with OpenSSL 3.0), and every worker has
// a multi handle of its own: eight workers parsed it eight times a run. Where libcurl uses OpenSSL, the bundle
// libcurl would load (CURLINFO_CAINFO) is parsed once into one X509_STORE, and each new TLS context gets that
// store (CURLOPT_SSL_CTX_FUNCTION) instead of loading the file (CURLOPT_CAINFO NULL). Peer and host checks
// stay libcurl's: an empty or missing store fails every handshake, it never lets one through. When anything
// needed is missing (another TLS library, an older libcurl), libcurl loads the bundle itself as before.
typedef void X509_STORE;
typedef void SSL_CTX;
static struct {
    pthread_once_t once;
    X509_STORE *store;  // NULL: not shared, libcurl loads the bundle
    void (*set1_cert_store)(SSL_CTX *, X509_STORE *);
} ca = { PTHREAD_ONCE_INIT, NULL, NULL };

/// Whether this libcurl and the OpenSSL found by name are ones the shared store is right for: libcurl sets
/// up its own store before calling CURLOPT_SSL_CTX_FUNCTION in 7.x and from 8.3.0 on (8.1 and 8.2 set it up
/// after, on whatever store the callback gave: that one would be changed from several threads), and the
/// X509_* functions must be those of the libcrypto libcurl uses, not of another one loaded beside it.
static int store_can_be_shared(void) {
    version_info *v = curl.version_info(0);
    if (!v || !v->ssl_version) return 0;
    if (v->version_num >= 0x080100 && v->version_num < 0x080300) return 0;
    unsigned major, minor, patch;
    if (sscanf(v->ssl_version, "OpenSSL/%u.%u.%u", &major, &minor, &patch) != 3) return 0;
    unsigned long (*number)(void) = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "OpenSSL_version_num");
    if (!number) return 0;
    unsigned long n = number();  // 0xMNN00PP0 from OpenSSL 3.0 on, 0xMNNFFPPS before
    if (major >= 3) return ((n >> 28) & 0xF) == major && ((n >> 20) & 0xFF) == minor && ((n >> 4) & 0xFF) == patch;
    return ((n >> 28) & 0xF) == major && ((n >> 20) & 0xFF) == minor && ((n >> 12) & 0xFF) == patch;
}

static void load_shared_store(void) {
    if (!store_can_be_shared()) return;
    // The bundle libcurl would load: its default, not something of a handle's.
    CURL *probe = curl.easy_init();
    if (!probe) return;
    char *found = NULL;
    char path[4096] = "";
    if (curl.easy_getinfo(probe, INFO_CAINFO, &found) == E_OK && found) snprintf(path, sizeof path, "%s", found);
    curl.easy_cleanup(probe);
    if (!*path) return;
    X509_STORE *(*store_new)(void) = (X509_STORE *(*)(void))dlsym(RTLD_DEFAULT, "X509_STORE_new");
    void (*store_free)(X509_STORE *) = (void (*)(X509_STORE *))dlsym(RTLD_DEFAULT, "X509_STORE_free");
    int (*load)(X509_STORE *, const char *, const char *) =
        (int (*)(X509_STORE *, const char *, const char *))dlsym(RTLD_DEFAULT, "X509_STORE_load_locations");
    int (*set_flags)(X509_STORE *, unsigned long) =
        (int (*)(X509_STORE *, unsigned long))dlsym(RTLD_DEFAULT, "X509_STORE_set_flags");
    ca.set1_cert_store = (void (*)(SSL_CTX *, X509_STORE *))dlsym(RTLD_DEFAULT, "SSL_CTX_set1_cert_store");
    if (!store_new || !store_free || !load || !set_flags || !ca.set1_cert_store) return;
    X509_STORE *store = store_new();
    if (!store) return;
    if (load(store, path, NULL) != 1) { store_free(store); return; }
    // What libcurl sets on a store it loads: X509_V_FLAG_TRUSTED_FIRST, X509_V_FLAG_PARTIAL_CHAIN.
    set_flags(store, 0x8000UL | 0x80000UL);
    ca.store = store;  // kept for the life of the process
}

static int give_shared_store(CURL *easy, void *ssl_ctx, void *userp) {
    (void)easy; (void)userp;
    ca.set1_cert_store(ssl_ctx, ca.store);
    return E_OK;
}

/// Makes `easy` use the shared store; false to let libcurl load its bundle.
static int share_ca_store(CURL *easy) {
    pthread_once(&ca.once, load_shared_store);
    if (!ca.store) return 0;
    if (curl.easy_setopt(easy, OPT_SSL_CTX_FUNCTION, give_shared_store) != E_OK) return 0;
    curl.easy_setopt(easy, OPT_SSL_CTX_DATA, (void *)NULL);
    curl.easy_setopt(easy, OPT_CAINFO, (void *)NULL);
    return 1;
}

enum { GATHER_BYTES = 256 * 1024, GATHER_MS = 50, POLL_MS = 1000 };

struct ia_direct {
    CURLM *multi;
    CURL *easy;
    atomic_ullong cancelled;  // the number of the transfer to stop, 0 for none
    // The transfer in progress (only the thread in ia_direct_perform touches these).
    const ia_direct_request *request;
    char *gathered;
    size_t used;
    long long first_gathered_ms;  // when the oldest gathered byte came
    long long last_byte_ms;       // when the last byte (head or body) came
    int stopped;                  // a callback of the caller asked to stop
    char error[ERROR_SIZE];
};

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int ia_direct_available(void) { return look_up(); }

ia_direct *ia_direct_new(void) {
    if (!look_up()) return NULL;
    ia_direct *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->gathered = malloc(GATHER_BYTES);
    d->multi = curl.multi_init();
    d->easy = curl.easy_init();
    if (!d->gathered || !d->multi || !d->easy) { ia_direct_free(d); return NULL; }
    return d;
}

void ia_direct_free(ia_direct *d) {
    if (!d) return;
    if (d->easy) curl.easy_cleanup(d->easy);
    if (d->multi) curl.multi_cleanup(d->multi);
    free(d->gathered);
    free(d);
}

void ia_direct_cancel(ia_direct *d, unsigned long long transfer) {
    atomic_store(&d->cancelled, transfer);
    curl.multi_wakeup(d->multi);
}

/// Hands the gathered body bytes to the caller; false once the caller asked to stop.
static int pass_on(ia_direct *d) {
    if (d->stopped) return 0;
    if (d->used == 0) return 1;
    size_t n = d->used;
    d->used = 0;
    if (d->request->on_body(d->request->context, d->gathered, n) != 0) d->stopped = 1;
    // Time the caller spent with the bytes (a full disk's wait, --limit-rate) is not the server's silence.
    d->last_byte_ms = now_ms();
    return !d->stopped;
}

static size_t on_body(char *data, size_t size, size_t count, void *userp) {
    ia_direct *d = userp;
    size_t n = size * count;
    d->last_byte_ms = now_ms();
    if (d->used + n > GATHER_BYTES && !pass_on(d)) return 0;
    if (n >= GATHER_BYTES) {  // too big to gather: as it came
        if (d->request->on_body(d->request->context, data, n) != 0) { d->stopped = 1; return 0; }
        d->last_byte_ms = now_ms();
        return n;
    }
    if (d->used == 0) d->first_gathered_ms = d->last_byte_ms;
    memcpy(d->gathered + d->used, data, n);
    d->used += n;
    if ((d->used == GATHER_BYTES || d->last_byte_ms - d->first_gathered_ms >= GATHER_MS) && !pass_on(d)) return 0;
    return n;
}

static size_t on_header(char *data, size_t size, size_t count, void *userp) {
    ia_direct *d = userp;
    size_t n = size * count;
    d->last_byte_ms = now_ms();
    if (!pass_on(d)) return 0;  // a previous response's body, all of it, before the next head
    if (d->request->on_header(d->request->context, data, n) != 0) { d->stopped = 1; return 0; }
    d->last_byte_ms = now_ms();  // the caller's time with the head (a durable write) is not the server's silence
    return n;
}

static int configure(ia_direct *d, const ia_direct_request *r, struct curl_slist *headers) {
    CURL *e = d->easy;
    // Reset keeps the connections, the DNS cache and the TLS sessions (libcurl's documentation).
    curl.easy_reset(e);
    int rc = 0;
    rc |= curl.easy_setopt(e, OPT_URL, r->url);
    // Older libcurls lack these two (7.85): there the URL's scheme was checked by the caller.
    curl.easy_setopt(e, OPT_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(e, OPT_REDIR_PROTOCOLS_STR, "http,https");
    rc |= curl.easy_setopt(e, OPT_FOLLOWLOCATION, 0L);
    rc |= curl.easy_setopt(e, OPT_NOSIGNAL, 1L);
    rc |= curl.easy_setopt(e, OPT_TCP_KEEPALIVE, 1L);
    rc |= curl.easy_setopt(e, OPT_SUPPRESS_CONNECT_HEADERS, 1L);
    // Removing a handle does not wait for a hanging name lookup (libcurl 7.87+; older ones ignore it): a
    // cancelled or timed-out transfer ends at once.
    curl.easy_setopt(e, OPT_QUICK_EXIT, 1L);
    // Wire bytes only: nothing is inflated (no Accept-Encoding is set, and decoding is off).
    rc |= curl.easy_setopt(e, OPT_HTTP_CONTENT_DECODING, 0L);
    // Trust from the CA bundle alone (curl_shim.c, 3), parsed once for all handles.
    rc |= curl.easy_setopt(e, OPT_CAPATH, (void *)NULL);
    share_ca_store(e);
    rc |= curl.easy_setopt(e, OPT_HTTPHEADER, headers);
    rc |= curl.easy_setopt(e, OPT_ERRORBUFFER, d->error);
    rc |= curl.easy_setopt(e, OPT_WRITEFUNCTION, on_body);
    rc |= curl.easy_setopt(e, OPT_WRITEDATA, (void *)d);
    rc |= curl.easy_setopt(e, OPT_HEADERFUNCTION, on_header);
    rc |= curl.easy_setopt(e, OPT_HEADERDATA, (void *)d);
    rc |= curl.easy_setopt(e, OPT_NOPROGRESS, 1L);
    if (strcmp(r->method, "HEAD") == 0) {
        rc |= curl.easy_setopt(e, OPT_NOBODY, 1L);
    } else {
        rc |= curl.easy_setopt(e, OPT_HTTPGET, 1L);
        if (strcmp(r->method, "GET") != 0) rc |= curl.easy_setopt(e, OPT_CUSTOMREQUEST, r->method);
    }
    return rc;
}

static long min_long(long a, long long b) { return b < a ? (long)(b < 0 ? 0 : b) : a; }

void ia_direct_perform(ia_direct *d, const ia_direct_request *r, ia_direct_result *out) {
    memset(out, 0, sizeof *out);
    d->request = r;
    d->used = 0;
    d->stopped = 0;
    d->error[0] = 0;
    struct curl_slist *headers = NULL;
    for (int i = 0; i < r->header_count; i++) {
        struct curl_slist *next = curl.slist_append(headers, r->headers[i]);
        if (!next) { out->outcome = IA_DIRECT_FAILED; out->code = 27; goto done; }  // out of memory
        headers = next;
    }
    if (configure(d, r, headers) != 0) { out->outcome = IA_DIRECT_FAILED; out->code = 48; goto done; }
    long long start = now_ms();
    d->last_byte_ms = start;
    int ac = curl.multi_add(d->multi, d->easy);
    if (ac != M_OK) { out->outcome = IA_DIRECT_FAILED; out->code = 2; out->multi_code = ac; goto done; }
    for (;;) {
        if (atomic_load(&d->cancelled) == r->transfer) { out->outcome = IA_DIRECT_CANCELLED; break; }
        int running = 0;
        int mc = curl.multi_perform(d->multi, &running);
        if (mc != M_OK) { out->outcome = IA_DIRECT_FAILED; out->code = 2; out->multi_code = mc; break; }
        int queued = 0, finished = 0;
        Message *m;
        while ((m = curl.multi_info_read(d->multi, &queued))) {
            if (m->msg == MSG_DONE && m->easy_handle == d->easy) { finished = 1; out->code = m->data.result; }
        }
        if (finished) {
            // Every byte received reaches the caller, failed transfer or not (a resumed download counts on it).
            int delivered = pass_on(d);
            if (!delivered) out->outcome = IA_DIRECT_STOPPED;
            else out->outcome = out->code == E_OK ? IA_DIRECT_DONE : IA_DIRECT_FAILED;
            break;
        }
        if (d->stopped) { out->outcome = IA_DIRECT_STOPPED; break; }
        long long now = now_ms();
        if (now - start >= r->deadline_ms) { out->outcome = IA_DIRECT_DEADLINE; break; }
        if (now - d->last_byte_ms >= r->idle_ms) { out->outcome = IA_DIRECT_IDLE; break; }
        if (d->used > 0 && now - d->first_gathered_ms >= GATHER_MS && !pass_on(d)) {
            out->outcome = IA_DIRECT_STOPPED;
            break;
        }
        long wait = POLL_MS;
        wait = min_long(wait, start + r->deadline_ms - now);
        wait = min_long(wait, d->last_byte_ms + r->idle_ms - now);
        if (d->used > 0) wait = min_long(wait, d->first_gathered_ms + GATHER_MS - now);
        int pc = curl.multi_poll(d->multi, NULL, 0, (int)(wait < 1 ? 1 : wait), NULL);
        if (pc != M_OK) {
            out->outcome = IA_DIRECT_FAILED;
            out->code = 2;
            out->multi_code = pc;
            break;
        }
    }
    // Removing a handle mid-transfer closes its connection: nothing more of it is read or delivered.
    curl.multi_remove(d->multi, d->easy);
done:
    if (headers) curl.slist_free(headers);
    if (out->outcome == IA_DIRECT_FAILED && out->multi_code != 0) {
        snprintf(out->reason, sizeof out->reason, "libcurl multi interface error %d", out->multi_code);
    } else if (out->outcome == IA_DIRECT_FAILED) {
        const char *text = d->error[0] ? d->error : curl.easy_strerror(out->code);
        snprintf(out->reason, sizeof out->reason, "%s", text ? text : "libcurl error");
    }
    d->request = NULL;
    d->used = 0;
}
