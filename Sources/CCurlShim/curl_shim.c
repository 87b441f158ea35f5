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
#define _GNU_SOURCE
#include "CCurlShim.h"
#include <dlfcn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>

// libcurl's ABI, without its headers (they are not needed to build, and the values are stable).
typedef void CURL;
typedef void CURLM;
typedef int curl_socket_t;
typedef long long curl_off_t;
typedef int (*socket_callback)(CURL *, curl_socket_t, int what, void *userp, void *socketp);
enum { OPT_OBJECTPOINT = 10000, OPT_OFF_T = 30000, OPT_BLOB = 40000 };
enum { MOPT_SOCKETFUNCTION = 20001, MOPT_SOCKETDATA = 10002 };
enum { OPT_ACCEPT_ENCODING = 10102, OPT_HTTP_CONTENT_DECODING = 136 };
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
        rc = real_easy_setopt()(easy, option, v);
    }
    va_end(ap);
    return rc;
}

int ia_curl_shim_wrapped_multi_handles(void) { return atomic_load(&wrappedCount); }
long ia_curl_shim_undecoded_easy_handles(void) { return atomic_load(&undecodedCount); }
