/*
 * Portable SHA-256 (FIPS 180-4), streaming API and run-time dispatch.
 */
#include "CSHA256.h"
#include "sha256_internal.h"

#include <string.h>

#if CSHA256_HAVE_SHANI
#include <cpuid.h>
#endif

const uint32_t csha256_K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

/* ---------------------------------------------------------------------------
 * Portable block function
 * ------------------------------------------------------------------------- */

static inline uint32_t load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BSIG0(x) (ROTR((x), 2) ^ ROTR((x), 13) ^ ROTR((x), 22))
#define BSIG1(x) (ROTR((x), 6) ^ ROTR((x), 11) ^ ROTR((x), 25))
#define SSIG0(x) (ROTR((x), 7) ^ ROTR((x), 18) ^ ((x) >> 3))
#define SSIG1(x) (ROTR((x), 17) ^ ROTR((x), 19) ^ ((x) >> 10))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

/* One round; the caller rotates the variable names instead of moving values. */
#define ROUND(a, b, c, d, e, f, g, h, i, w)                                    \
    do {                                                                       \
        uint32_t t1_ = (h) + BSIG1(e) + CH((e), (f), (g)) + csha256_K[i] + (w); \
        uint32_t t2_ = BSIG0(a) + MAJ((a), (b), (c));                          \
        (d) += t1_;                                                            \
        (h) = t1_ + t2_;                                                       \
    } while (0)

/* Message word i for rounds 0..15 (already loaded into W). */
#define WLOAD(i) (W[(i)])
/* Message word i for rounds 16..63, computed in place in a 16-word ring. */
#define WSCHED(i) \
    (W[(i) & 15] += SSIG1(W[((i) - 2) & 15]) + W[((i) - 7) & 15] + SSIG0(W[((i) - 15) & 15]))

#define ROUNDS8(i, WX)                                 \
    ROUND(a, b, c, d, e, f, g, h, (i) + 0, WX((i) + 0)); \
    ROUND(h, a, b, c, d, e, f, g, (i) + 1, WX((i) + 1)); \
    ROUND(g, h, a, b, c, d, e, f, (i) + 2, WX((i) + 2)); \
    ROUND(f, g, h, a, b, c, d, e, (i) + 3, WX((i) + 3)); \
    ROUND(e, f, g, h, a, b, c, d, (i) + 4, WX((i) + 4)); \
    ROUND(d, e, f, g, h, a, b, c, (i) + 5, WX((i) + 5)); \
    ROUND(c, d, e, f, g, h, a, b, (i) + 6, WX((i) + 6)); \
    ROUND(b, c, d, e, f, g, h, a, (i) + 7, WX((i) + 7))

void csha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t nblocks) {
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    uint32_t W[16];

    while (nblocks--) {
        for (int i = 0; i < 16; i++) W[i] = load_be32(data + 4 * i);

        ROUNDS8(0, WLOAD);
        ROUNDS8(8, WLOAD);
        ROUNDS8(16, WSCHED);
        ROUNDS8(24, WSCHED);
        ROUNDS8(32, WSCHED);
        ROUNDS8(40, WSCHED);
        ROUNDS8(48, WSCHED);
        ROUNDS8(56, WSCHED);

        a = state[0] += a;
        b = state[1] += b;
        c = state[2] += c;
        d = state[3] += d;
        e = state[4] += e;
        f = state[5] += f;
        g = state[6] += g;
        h = state[7] += h;
        data += 64;
    }
}

/* ---------------------------------------------------------------------------
 * Run-time dispatch
 * ------------------------------------------------------------------------- */

static int force_portable_flag; /* accessed with __atomic builtins */

#if CSHA256_HAVE_SHANI
/* -1: not probed yet, 0: unsupported, 1: supported. Probing is idempotent,
 * so a race between threads only repeats the cpuid work. */
static int shani_cached = -1;

static int probe_shani(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int ssse3 = (ecx & bit_SSSE3) != 0;
    int sse41 = (ecx & bit_SSE4_1) != 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int sha = (ebx & bit_SHA) != 0;
    return ssse3 && sse41 && sha;
}
#endif

int csha256_shani_supported(void) {
#if CSHA256_HAVE_SHANI
    int v = __atomic_load_n(&shani_cached, __ATOMIC_RELAXED);
    if (v < 0) {
        v = probe_shani();
        __atomic_store_n(&shani_cached, v, __ATOMIC_RELAXED);
    }
    return v;
#else
    return 0;
#endif
}

int csha256_accelerated(void) {
    return csha256_shani_supported() && !__atomic_load_n(&force_portable_flag, __ATOMIC_RELAXED);
}

void csha256_force_portable(int on) {
    __atomic_store_n(&force_portable_flag, on ? 1 : 0, __ATOMIC_RELAXED);
}

static csha256_blocks_fn blocks_for(csha256_impl impl) {
    switch (impl) {
    case CSHA256_IMPL_AUTO:
#if CSHA256_HAVE_SHANI
        if (csha256_accelerated()) return csha256_blocks_shani;
#endif
        return csha256_blocks_portable;
    case CSHA256_IMPL_PORTABLE:
        return csha256_blocks_portable;
    case CSHA256_IMPL_SHANI:
#if CSHA256_HAVE_SHANI
        if (csha256_shani_supported()) return csha256_blocks_shani;
#endif
        return NULL;
    }
    return NULL;
}

/* ---------------------------------------------------------------------------
 * Streaming API
 * ------------------------------------------------------------------------- */

static const uint32_t initial_state[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

void csha256_init(csha256_ctx *ctx) {
    memcpy(ctx->state, initial_state, sizeof initial_state);
    ctx->length = 0;
    ctx->buffered = 0;
    memset(ctx->buffer, 0, sizeof ctx->buffer);
}

static void update_with(csha256_ctx *ctx, const uint8_t *p, size_t len, csha256_blocks_fn blocks) {
    if (len == 0) return;
    ctx->length += (uint64_t)len;

    size_t have = ctx->buffered;
    if (have) {
        size_t need = 64 - have;
        if (len < need) {
            memcpy(ctx->buffer + have, p, len);
            ctx->buffered = (uint32_t)(have + len);
            return;
        }
        memcpy(ctx->buffer + have, p, need);
        blocks(ctx->state, ctx->buffer, 1);
        p += need;
        len -= need;
        ctx->buffered = 0;
    }

    /* Whole blocks straight from the caller's memory. */
    size_t nblocks = len / 64;
    if (nblocks) {
        blocks(ctx->state, p, nblocks);
        p += nblocks * 64;
        len -= nblocks * 64;
    }

    if (len) {
        memcpy(ctx->buffer, p, len);
        ctx->buffered = (uint32_t)len;
    }
}

static void final_with(csha256_ctx *ctx, uint8_t out[32], csha256_blocks_fn blocks) {
    uint64_t bits = ctx->length << 3; /* length in bits, mod 2^64 */
    size_t n = ctx->buffered & 63;

    ctx->buffer[n++] = 0x80;
    if (n > 56) {
        memset(ctx->buffer + n, 0, 64 - n);
        blocks(ctx->state, ctx->buffer, 1);
        n = 0;
    }
    memset(ctx->buffer + n, 0, 56 - n);
    store_be32(ctx->buffer + 56, (uint32_t)(bits >> 32));
    store_be32(ctx->buffer + 60, (uint32_t)bits);
    blocks(ctx->state, ctx->buffer, 1);

    for (int i = 0; i < 8; i++) store_be32(out + 4 * i, ctx->state[i]);
    ctx->buffered = 0;
}

void csha256_update(csha256_ctx *ctx, const void *data, size_t len) {
    update_with(ctx, (const uint8_t *)data, len, blocks_for(CSHA256_IMPL_AUTO));
}

void csha256_final(csha256_ctx *ctx, uint8_t out[32]) {
    final_with(ctx, out, blocks_for(CSHA256_IMPL_AUTO));
}

int csha256_update_using(csha256_ctx *ctx, const void *data, size_t len, csha256_impl impl) {
    csha256_blocks_fn blocks = blocks_for(impl);
    if (!blocks) return -1;
    update_with(ctx, (const uint8_t *)data, len, blocks);
    return 0;
}

int csha256_final_using(csha256_ctx *ctx, uint8_t out[32], csha256_impl impl) {
    csha256_blocks_fn blocks = blocks_for(impl);
    if (!blocks) return -1;
    final_with(ctx, out, blocks);
    return 0;
}

void csha256(const void *data, size_t len, uint8_t out[32]) {
    csha256_ctx ctx;
    csha256_init(&ctx);
    csha256_update(&ctx, data, len);
    csha256_final(&ctx, out);
}
