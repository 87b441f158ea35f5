#ifndef CCURLSHIM_H
#define CCURLSHIM_H
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
#endif
