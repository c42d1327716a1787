/* fuzz_load.c — libFuzzer harness of rnnbptt_model_load (built with RNNBPTT_FUZZ=ON, clang only;
 * scripts/test.sh's leg `fuzz` runs it on the seeds of make_seeds.c).
 *
 * Each input is loaded twice through a file in a directory of this process's own (under $TMPDIR,
 * else /dev/shm, else /tmp): as it is, and with its last 4 bytes replaced by the CRC-32 of the
 * rest, so that mutations reach past the CRC (into a successful load and its round trip) instead
 * of dying at it. For each load:
 *   - an error is RNNBPTT_EFORMAT (the file exists and is readable: never EIO), *m and *o are
 *     untouched and the allocation balance (rb_fault_get().live) is back where it was;
 *   - a success round-trips: saving the loaded model and optimizer gives the input's bytes
 *     exactly (the format leaves no byte free).
 * Any violation aborts (a crash for libFuzzer). ASan and UBSan watch every access, and the run's
 * -malloc_limit_mb catches an allocation that the input's size does not justify. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rnnbptt.h"
#include "util/util.h" /* rb_crc32, rb_fault_get */

#define MARK_M ((rnnbptt_model *)(uintptr_t)0xA5A5A5A5u)
#define MARK_O ((rnnbptt_optim *)(uintptr_t)0x5A5A5A5Au)

static char dir[256], in_path[300], out_path[300];

static void remove_dir(void)
{
    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
}

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_load: %s\n", what);
        abort();
    }
}

static void put_file(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    must(f && fwrite(b, 1, n, f) == n && fclose(f) == 0, "cannot write the input file");
}

/* The bytes of the file at path equal b[n]. */
static int file_is(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "rb");
    must(f != NULL, "cannot read the saved file");
    int same = 1;
    for (size_t i = 0; i < n && same; i++)
        same = getc(f) == b[i];
    same = same && getc(f) == EOF;
    fclose(f);
    return same;
}

static void load_one(const uint8_t *b, size_t n)
{
    put_file(in_path, b, n);
    rnnbptt_model *m = MARK_M;
    rnnbptt_optim *o = MARK_O;
    const long live = rb_fault_get().live;
    rnnbptt_status st = rnnbptt_model_load(in_path, 0, &m, &o);
    if (st != RNNBPTT_OK) {
        must(st == RNNBPTT_EFORMAT, "an error other than EFORMAT");
        must(m == MARK_M && o == MARK_O, "an output written on an error");
        must(rb_fault_get().live == live, "an allocation left on an error");
        return;
    }
    must(rnnbptt_model_save(m, o, out_path) == RNNBPTT_OK, "cannot save what was loaded");
    must(file_is(out_path, b, n), "the loaded model saves to other bytes");
    rnnbptt_optim_destroy(o);
    rnnbptt_model_destroy(m);
    must(rb_fault_get().live == live, "destroy left an allocation");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* $TMPDIR, else /dev/shm (tmpfs: the round trip's fsyncs cost nothing there; on a disk they
     * cut the rate 25-fold), else /tmp */
    const char *tmp = getenv("TMPDIR");
    const char *const where[] = {tmp && *tmp ? tmp : "/dev/shm", "/dev/shm", "/tmp"};
    int made = 0;
    for (int i = 0; i < 3 && !made; i++) {
        snprintf(dir, sizeof dir, "%s/rnnbptt-fuzz-XXXXXX", where[i]);
        made = mkdtemp(dir) != NULL;
    }
    must(made, "cannot create a directory");
    snprintf(in_path, sizeof in_path, "%s/in.bin", dir);
    snprintf(out_path, sizeof out_path, "%s/out.bin", dir);
    atexit(remove_dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_one(data, size);
    if (size >= 4) {
        uint8_t *b = malloc(size);
        must(b != NULL, "out of memory");
        memcpy(b, data, size);
        rb_crc32 c;
        rb_crc32_init(&c);
        rb_crc32_update(&c, b, size - 4);
        const uint32_t crc = rb_crc32_value(&c);
        for (int i = 0; i < 4; i++)
            b[size - 4 + i] = (uint8_t)(crc >> 8 * i);
        load_one(b, size);
        free(b);
    }
    return 0;
}
