/*
 * SHA-256 block function using the x86 SHA extensions (SHA-NI).
 *
 * Compiled with per-function target attributes, so the rest of the package
 * needs no special flags; only called after csha256_shani_supported() said yes.
 */
#include "sha256_internal.h"

#if CSHA256_HAVE_SHANI /* i.e. defined(__x86_64__) */

#include <immintrin.h>

/*
 * Register layout used by SHA256RNDS2: one register holds {A,B,E,F} and the
 * other {C,D,G,H}, with A / C in the most significant lane:
 *   abef = [F, E, B, A]   (lane 0 .. lane 3)
 *   cdgh = [H, G, D, C]
 */

/* Four rounds (g*4 .. g*4+3) using message vector m. */
#define QROUND(g, m)                                                              \
    do {                                                                          \
        __m128i wk_ = _mm_add_epi32((m), _mm_loadu_si128((const __m128i *)(const void *)(csha256_K + 4 * (g)))); \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_);                            \
        wk_ = _mm_shuffle_epi32(wk_, 0x0E);                                       \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, wk_);                            \
    } while (0)

/* Next message vector: w[16..19] from w[0..3]=m0, w[4..7]=m1, w[8..11]=m2, w[12..15]=m3,
 * written over m0. */
#define SCHED4(m0, m1, m2, m3)                                                    \
    do {                                                                          \
        (m0) = _mm_sha256msg1_epu32((m0), (m1));                                  \
        (m0) = _mm_add_epi32((m0), _mm_alignr_epi8((m3), (m2), 4));               \
        (m0) = _mm_sha256msg2_epu32((m0), (m3));                                  \
    } while (0)

__attribute__((target("sha,sse4.1,ssse3")))
void csha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t nblocks) {
    /* Byte order shuffle: big-endian message words within each 32-bit lane. */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);

    __m128i dcba = _mm_loadu_si128((const __m128i *)(const void *)&state[0]); /* [A,B,C,D] */
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(const void *)&state[4]); /* [E,F,G,H] */
    dcba = _mm_shuffle_epi32(dcba, 0xB1);                       /* [B,A,D,C] */
    hgfe = _mm_shuffle_epi32(hgfe, 0x1B);                       /* [H,G,F,E] */
    __m128i abef = _mm_alignr_epi8(dcba, hgfe, 8);              /* [F,E,B,A] */
    __m128i cdgh = _mm_blend_epi16(hgfe, dcba, 0xF0);           /* [H,G,D,C] */

    while (nblocks--) {
        const __m128i abef_save = abef;
        const __m128i cdgh_save = cdgh;

        __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(data + 0)), bswap);
        __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(data + 16)), bswap);
        __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(data + 32)), bswap);
        __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(data + 48)), bswap);

        QROUND(0, m0);
        QROUND(1, m1);
        QROUND(2, m2);
        QROUND(3, m3);

        SCHED4(m0, m1, m2, m3); QROUND(4, m0);
        SCHED4(m1, m2, m3, m0); QROUND(5, m1);
        SCHED4(m2, m3, m0, m1); QROUND(6, m2);
        SCHED4(m3, m0, m1, m2); QROUND(7, m3);

        SCHED4(m0, m1, m2, m3); QROUND(8, m0);
        SCHED4(m1, m2, m3, m0); QROUND(9, m1);
        SCHED4(m2, m3, m0, m1); QROUND(10, m2);
        SCHED4(m3, m0, m1, m2); QROUND(11, m3);

        SCHED4(m0, m1, m2, m3); QROUND(12, m0);
        SCHED4(m1, m2, m3, m0); QROUND(13, m1);
        SCHED4(m2, m3, m0, m1); QROUND(14, m2);
        SCHED4(m3, m0, m1, m2); QROUND(15, m3);

        abef = _mm_add_epi32(abef, abef_save);
        cdgh = _mm_add_epi32(cdgh, cdgh_save);
        data += 64;
    }

    /* Back to [A,B,C,D] / [E,F,G,H]. */
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B); /* [A,B,E,F] */
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1); /* [G,H,C,D] */
    _mm_storeu_si128((__m128i *)(void *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0)); /* [A,B,C,D] */
    _mm_storeu_si128((__m128i *)(void *)&state[4], _mm_alignr_epi8(dchg, feba, 8));    /* [E,F,G,H] */
}

#else

/* Keep the translation unit non-empty on other architectures (ISO C). */
typedef int csha256_shani_unused;

#endif
