/*
 * zephyr_fs_check.c: one workload and check for Zephyr's NVS and ZMS (their
 * APIs have the same shape), compiled together with Zephyr's own,
 * unmodified subsys/fs/nvs/nvs.c or subsys/fs/zms/zms.c (see docs/native.md):
 *
 *   ZB=$ZEPHYR_BASE
 *   cc $(flashemu cc-flags) -I$ZB/include -I$ZB/subsys/fs/nvs -shared -fPIC \
 *      -o libnvs.so $ZB/subsys/fs/nvs/nvs.c zephyr_fs_check.c
 *   cc $(flashemu cc-flags) -DFS_ZMS -I$ZB/include -I$ZB/subsys/fs/zms -shared -fPIC \
 *      -o libzms.so $ZB/subsys/fs/zms/zms.c zephyr_fs_check.c
 *   flashemu sweep nvs_sweep.lua      # or zms_sweep.lua
 *
 * The workload writes a counter under one ID (and a filler under another,
 * so that sectors fill and garbage collection runs) and acknowledges each
 * counter value the write returned for. The check mounts and reads the
 * counter: it must be the last acknowledged value or the one in flight.
 */
#include <zephyr/kernel.h>
#include <zephyr/storage/flash_map.h>

#ifdef FS_ZMS
#include <zephyr/fs/zms.h>
#define FS_NAME "zms"
typedef struct zms_fs fs_t;
#define fs_mount zms_mount
#define fs_write zms_write
#define fs_read zms_read
#else
#include <zephyr/fs/nvs.h>
#define FS_NAME "nvs"
typedef struct nvs_fs fs_t;
#define fs_mount nvs_mount
#define fs_write nvs_write
#define fs_read nvs_read
#endif

#ifndef WRITES
#define WRITES 40
#endif

#define ID_COUNTER 1
#define ID_FILLER 2

static fs_t fs;

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
	return fs_mount(&fs);
}

int flashemu_workload(void)
{
	uint8_t filler[48];
	int rc = mount();

	if (rc) {
		flashemu_fail(FS_NAME "_mount: %d", rc);
		return rc;
	}
	for (uint32_t v = 1; v <= WRITES; v++) {
		rc = fs_write(&fs, ID_COUNTER, &v, sizeof(v));
		if (rc != sizeof(v)) {
			flashemu_fail(FS_NAME "_write counter %u: %d", v, rc);
			return 1;
		}
		flashemu_ack(v);
		memset(filler, (int)v, sizeof(filler));
		rc = fs_write(&fs, ID_FILLER, filler, sizeof(filler));
		if (rc != sizeof(filler)) {
			flashemu_fail(FS_NAME "_write filler %u: %d", v, rc);
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
		flashemu_fail(FS_NAME "_mount after the cut: %d", rc);
		return 1;
	}
	rc = fs_read(&fs, ID_COUNTER, &v, sizeof(v));
	if (rc == -ENOENT && last == 0) {
		return 0;
	}
	if (rc != sizeof(v)) {
		flashemu_fail(FS_NAME "_read counter: %d (last acknowledged %u)", rc, last);
		return 1;
	}
	if (v != last && v != last + 1) {
		flashemu_fail("counter is %u, last acknowledged %u", v, last);
		return 1;
	}
	return 0;
}
