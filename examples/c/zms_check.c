/*
 * zms_check.c: a workload and check for Zephyr's ZMS, compiled together
 * with Zephyr's own, unmodified subsys/fs/zms/zms.c (see docs/native.md):
 *
 *   ZB=$ZEPHYR_BASE
 *   cc $(flashemu cc-flags) -I$ZB/include -I$ZB/subsys/fs/zms -shared -fPIC \
 *      -o libzms.so $ZB/subsys/fs/zms/zms.c zms_check.c
 *   flashemu sweep zms_sweep.lua
 *
 * The same counter-and-filler workload and check as nvs_check.c.
 */
#include <zephyr/kernel.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/fs/zms.h>

#ifndef WRITES
#define WRITES 40
#endif

#define ID_COUNTER 1
#define ID_FILLER 2

static struct zms_fs fs;

static int mount(void)
{
	const struct flash_area *fa;
	struct flash_pages_info info;
	int rc = flash_area_open(FIXED_PARTITION_ID(storage_partition), &fa);

	if (rc) {
		return rc;
	}
	fs.flash_device = flash_area_get_device(fa);
	fs.offset = fa->fa_off;
	rc = flash_get_page_info_by_offs(fs.flash_device, fs.offset, &info);
	if (rc) {
		return rc;
	}
	fs.sector_size = info.size;
	fs.sector_count = fa->fa_size / info.size;
	return zms_mount(&fs);
}

int flashemu_workload(void)
{
	uint8_t filler[48];
	int rc = mount();

	if (rc) {
		flashemu_fail("zms_mount: %d", rc);
		return rc;
	}
	for (uint32_t v = 1; v <= WRITES; v++) {
		rc = zms_write(&fs, ID_COUNTER, &v, sizeof(v));
		if (rc != sizeof(v)) {
			flashemu_fail("zms_write counter %u: %d", v, rc);
			return 1;
		}
		flashemu_ack(v);
		memset(filler, (int)v, sizeof(filler));
		rc = zms_write(&fs, ID_FILLER, filler, sizeof(filler));
		if (rc != sizeof(filler)) {
			flashemu_fail("zms_write filler %u: %d", v, rc);
			return 1;
		}
	}
	return 0;
}

int flashemu_check(void)
{
	size_t n = flashemu_acked_count();
	uint32_t last = n ? (uint32_t)flashemu_acked(n - 1) : 0;
	uint32_t v = 0;
	int rc = mount();

	if (rc) {
		flashemu_fail("zms_mount after the cut: %d", rc);
		return 1;
	}
	rc = zms_read(&fs, ID_COUNTER, &v, sizeof(v));
	if (rc == -ENOENT && last == 0) {
		return 0;
	}
	if (rc != sizeof(v)) {
		flashemu_fail("zms_read counter: %d (last acknowledged %u)", rc, last);
		return 1;
	}
	if (v != last && v != last + 1) {
		flashemu_fail("counter is %u, last acknowledged %u", v, last);
		return 1;
	}
	return 0;
}
