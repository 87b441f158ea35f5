#ifndef CCURLSHIM_H
#define CCURLSHIM_H
#include <stddef.h>
/// How many libcurl multi handles had their socket callback wrapped (0: the shim is not in effect).
int ia_curl_shim_wrapped_multi_handles(void);
/// How many easy handles had content decoding switched off.
long ia_curl_shim_undecoded_easy_handles(void);
/// Body pieces libcurl handed over, and pieces passed on to FoundationNetworking after gathering.
long ia_curl_shim_gathered_pieces(void);
long ia_curl_shim_passed_pieces(void);
/// curl_easy_pause calls on a handle without a connection, answered CURLE_OK instead of 43.
long ia_curl_shim_pauses_without_connection(void);
/// Limits glibc's malloc to `count` arenas (mallopt M_ARENA_MAX) unless the environment sets it
/// (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in GLIBC_TUNABLES); returns whether it was applied. Call before other threads start.
int ia_limit_malloc_arenas(int count);

// ---- The media transport's engine (curl_direct.c)

/// One libcurl easy handle on a multi handle of its own, for one transfer at a time.
typedef struct ia_direct ia_direct;

/// A transfer to perform. The callbacks run on the performing thread; a non-zero return stops it.
typedef struct {
    unsigned long long transfer;  // a number unique to this transfer (never 0), for ia_direct_cancel
    const char *url;
    const char *method;           // GET or HEAD
    const char *const *headers;   // "Name: value"
    int header_count;
    long long idle_ms;            // no byte for this long: IA_DIRECT_IDLE
    long long deadline_ms;        // not done this long after the start: IA_DIRECT_DEADLINE
    void *context;
    int (*on_header)(void *context, const char *line, size_t length);  // each line, status line and blank line too
    int (*on_body)(void *context, const char *bytes, size_t length);   // gathered into pieces of up to 256 KiB
} ia_direct_request;

enum {
    IA_DIRECT_DONE = 0,       // libcurl finished the transfer (the status may be anything)
    IA_DIRECT_FAILED = 1,     // libcurl failed: `code` is the CURLcode, `reason` its text
    IA_DIRECT_CANCELLED = 2,  // ia_direct_cancel
    IA_DIRECT_IDLE = 3,
    IA_DIRECT_DEADLINE = 4,
    IA_DIRECT_STOPPED = 5,    // a callback returned non-zero
};

typedef struct {
    int outcome;
    int code;
    int multi_code;      // a CURLMcode when the multi interface failed (code is then 2), else 0
    char reason[256];
} ia_direct_result;

/// Whether libcurl's functions were found in this process.
int ia_direct_available(void);
/// NULL when libcurl is missing or memory is short.
ia_direct *ia_direct_new(void);
void ia_direct_free(ia_direct *direct);
/// Runs `request` to its end on the calling thread.
void ia_direct_perform(ia_direct *direct, const ia_direct_request *request, ia_direct_result *result);
/// Stops transfer number `transfer` if it is the one in progress, or the next to start with that number; any thread.
void ia_direct_cancel(ia_direct *direct, unsigned long long transfer);
#endif
