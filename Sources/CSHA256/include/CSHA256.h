/*
 * CSHA256 — streaming SHA-256 (FIPS 180-4) with a portable C implementation
 * and, on x86_64, a SHA-NI implementation selected once at run time.
 */
#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Hashing state. Plain data: copying the struct copies the hash state. */
typedef struct {
    uint32_t state[8];   /* H0..H7 */
    uint64_t length;     /* total bytes fed so far */
    uint8_t buffer[64];  /* partial block */
    uint32_t buffered;   /* bytes valid in buffer, 0..63 */
} csha256_ctx;

/* Which block function to use (the *_using variants; mainly for tests). */
typedef enum {
    CSHA256_IMPL_AUTO = 0,     /* what csha256_update/csha256_final use */
    CSHA256_IMPL_PORTABLE = 1, /* portable C, always available */
    CSHA256_IMPL_SHANI = 2     /* x86 SHA extensions; only if csha256_shani_supported() */
} csha256_impl;

void csha256_init(csha256_ctx *ctx);

/* Feeds len bytes (any size, including 0; data may be NULL when len == 0).
 * Whole blocks are hashed straight from the input without copying. */
void csha256_update(csha256_ctx *ctx, const void *data, size_t len);

/* Writes the 32-byte digest. The ctx is left in an unspecified state:
 * copy it first to keep hashing (the Swift wrapper does this). */
void csha256_final(csha256_ctx *ctx, uint8_t out[32]);

/* One-shot convenience. */
void csha256(const void *data, size_t len, uint8_t out[32]);

/* 1 when csha256_update/csha256_final currently use the SHA-NI path. */
int csha256_accelerated(void);

/* 1 when the CPU (and this build) supports the SHA-NI path, regardless of
 * csha256_force_portable. */
int csha256_shani_supported(void);

/* Non-zero: make csha256_update/csha256_final use the portable code
 * (benchmarks, tests). Zero: back to automatic selection. */
void csha256_force_portable(int on);

/* Same as csha256_update/csha256_final with an explicit implementation.
 * Return 0 on success, -1 (doing nothing) if impl is unavailable. */
int csha256_update_using(csha256_ctx *ctx, const void *data, size_t len, csha256_impl impl);
int csha256_final_using(csha256_ctx *ctx, uint8_t out[32], csha256_impl impl);

#ifdef __cplusplus
}
#endif

#endif /* CSHA256_H */
