/*
 * kv.c: a tiny append-only value log, written in C against Zephyr's flash
 * map API, to show flashemu sweeping C code. Build and sweep:
 *
 *   cc $(flashemu cc-flags) -shared -fPIC -o libkv.so kv.c
 *   cc $(flashemu cc-flags) -shared -fPIC -DKV_BROKEN -o libkv_broken.so kv.c
 *   flashemu sweep kv_sweep.lua --depth 2
 *   flashemu sweep kv_broken_sweep.lua        (fails; replay with --only ID)
 *
 * Format: 16-byte records from the start of the area:
 *   u32 seq (1, 2, 3, ...), i64 value, then a commit word: u8 crc8 of the
 *   12 bytes before it and three 0x00 marker bytes.
 * An append programs the 12 data bytes, then the commit word. A record
 * counts only if its commit word is exact (marker and CRC), so a record
 * torn by a power cut is skipped; mount never writes.
 *
 * KV_BROKEN programs the commit word first and trusts the marker without
 * the CRC: a cut between the two programs leaves a committed record whose
 * data is still erased.
 */
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/crc.h>

#define REC 16
#ifndef VALUES
#define VALUES 6 /* appended by the workload; -DVALUES=N for more */
#endif

struct rec {
	uint32_t seq;
	int64_t value;
	uint8_t crc;
	uint8_t pad[3];
} __packed;

BUILD_ASSERT(sizeof(struct rec) == REC, "record size");

/* The mounted state: static, so flashemu restores it before every call. */
static const struct flash_area *fa;
static off_t next_off;
static uint32_t next_seq = 1;
static int64_t values[64];
static int nvalues;

static int erased(const uint8_t *p, size_t n, uint8_t ev)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != ev) {
			return 0;
		}
	}
	return 1;
}

static int valid(const struct rec *r)
{
	if (r->pad[0] != 0 || r->pad[1] != 0 || r->pad[2] != 0) {
		return 0;
	}
#ifdef KV_BROKEN
	return 1;
#else
	return r->crc == crc8_ccitt(0xff, r, offsetof(struct rec, crc));
#endif
}

/* kv_mount scans the log (reads only). */
static int kv_mount(void)
{
	uint8_t ev;
	int rc = flash_area_open(FIXED_PARTITION_ID(storage_partition), &fa);

	if (rc) {
		return rc;
	}
	ev = flash_area_erased_val(fa);
	nvalues = 0;
	next_seq = 1;
	for (next_off = 0; next_off + REC <= (off_t)fa->fa_size; next_off += REC) {
		struct rec r;

		rc = flash_area_read(fa, next_off, &r, sizeof(r));
		if (rc) {
			return rc;
		}
		if (erased((const uint8_t *)&r, sizeof(r), ev)) {
			break;
		}
		if (!valid(&r)) {
			continue; /* torn: skipped, never reused */
		}
		if (nvalues < (int)ARRAY_SIZE(values)) {
			values[nvalues++] = r.value;
		}
		next_seq = r.seq + 1;
	}
	return 0;
}

/* kv_append writes one record; when it returns 0 the value is durable. */
static int kv_append(int64_t v)
{
	struct rec r;

	if (next_off + REC > (off_t)fa->fa_size) {
		return -ENOSPC;
	}
	memset(&r, 0, sizeof(r));
	r.seq = next_seq;
	r.value = v;
	r.crc = crc8_ccitt(0xff, &r, offsetof(struct rec, crc));
#ifdef KV_BROKEN
	int rc = flash_area_write(fa, next_off + 12, &r.crc, 4);

	if (rc == 0) {
		rc = flash_area_write(fa, next_off, &r, 12);
	}
#else
	int rc = flash_area_write(fa, next_off, &r, 12);

	if (rc == 0) {
		rc = flash_area_write(fa, next_off + 12, &r.crc, 4);
	}
#endif
	next_off += REC; /* a failed write leaves a torn record: skip it */
	if (rc) {
		return rc;
	}
	next_seq++;
	return 0;
}

int flashemu_workload(void)
{
	int rc = kv_mount();

	if (rc) {
		flashemu_fail("mount: %d", rc);
		return rc;
	}
	for (int64_t v = 1; v <= VALUES; v++) {
		rc = kv_append(v * 1000);
		if (rc) {
			flashemu_fail("append %lld: %d", (long long)v, rc);
			return rc;
		}
		flashemu_ack(v * 1000);
	}
	return 0;
}

/* flashemu_check: mount, every acknowledged value is there in order (one
 * more, the append in flight, may follow), then append once more and read
 * it back. */
int flashemu_check(void)
{
	size_t acked = flashemu_acked_count();
	int rc = kv_mount();

	if (rc) {
		flashemu_fail("mount after the cut: %d", rc);
		return rc;
	}
	/* values: 1000, 2000, ... (at least the acknowledged ones, at most
	 * one more), then any number of 424242 appended by earlier recoveries
	 * (a depth-2 sweep cuts those). */
	int k = 0;

	while (k < nvalues && values[k] == (int64_t)(k + 1) * 1000) {
		k++;
	}
	if ((size_t)k < acked || (size_t)k > acked + 1) {
		flashemu_fail("%d values recovered in sequence, %zu acknowledged", k, acked);
		return 1;
	}
	for (int i = k; i < nvalues; i++) {
		if (values[i] != 424242) {
			flashemu_fail("value %d is %lld, want %lld", i + 1, (long long)values[i],
				      (long long)(i + 1) * 1000);
			return 1;
		}
	}
	rc = kv_append(424242);
	if (rc) {
		flashemu_fail("append after recovery: %d", rc);
		return rc;
	}
	rc = kv_mount();
	if (rc || nvalues == 0 || values[nvalues - 1] != 424242) {
		flashemu_fail("the value appended after recovery is not there (rc %d)", rc);
		return 1;
	}
	return 0;
}

/* kv_count is an extra entry point (lib:call): values in the log. */
int kv_count(void)
{
	int rc = kv_mount();

	return rc ? rc : nvalues;
}
