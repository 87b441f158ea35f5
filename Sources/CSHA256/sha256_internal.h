/* Internal declarations shared by the CSHA256 implementation files. */
#ifndef CSHA256_INTERNAL_H
#define CSHA256_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 round constants (FIPS 180-4 section 4.2.2). */
extern const uint32_t csha256_K[64];

/* Compress nblocks consecutive 64-byte blocks into state. */
typedef void (*csha256_blocks_fn)(uint32_t state[8], const uint8_t *data, size_t nblocks);

void csha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t nblocks);

/* The SHA-NI path exists only on x86_64; other architectures use the portable
 * code. Defining CSHA256_DISABLE_SHANI builds the portable-only variant on
 * x86_64 too (used to test that configuration). */
#if defined(__x86_64__) && !defined(CSHA256_DISABLE_SHANI)
#define CSHA256_HAVE_SHANI 1
void csha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t nblocks);
#else
#define CSHA256_HAVE_SHANI 0
#endif

#endif
