/* crc32.c — CRC-32 (IEEE 802.3; zlib's crc32(), PNG's, gzip's), byte-wise with a 256-entry table
 * that each rb_crc32 computes for itself: the library keeps no global state, and 2,048 shifts
 * per model file cost nothing beside its I/O. */
#include "util/util.h"

void rb_crc32_init(rb_crc32 *c)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t r = i;
        for (int k = 0; k < 8; k++)
            r = (r >> 1) ^ (0xEDB88320u & (0u - (r & 1u)));
        c->table[i] = r;
    }
    c->crc = 0xFFFFFFFFu;
}

void rb_crc32_update(rb_crc32 *c, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t r = c->crc;
    for (size_t i = 0; i < n; i++)
        r = c->table[(r ^ b[i]) & 0xFFu] ^ (r >> 8);
    c->crc = r;
}
