/*
 * zephyr/storage/flash_map.h for flashemu host builds. Areas come from the
 * host: native.load's areas option (or the default: area 0,
 * "storage_partition", the whole device). FIXED_PARTITION_ID(label) looks
 * the label up at run time (-ENOENT when absent), so it is not a constant
 * expression.
 */
#ifndef FLASHEMU_ZEPHYR_STORAGE_FLASH_MAP_H_
#define FLASHEMU_ZEPHYR_STORAGE_FLASH_MAP_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <flashemu.h>
#include <zephyr/device.h>
#include <zephyr/drivers/flash.h>

#define SOC_FLASH_0_ID 0
#define SPI_FLASH_0_ID 1

struct flash_area {
	uint8_t fa_id;
	uint8_t fa_device_id;
	uint16_t pad16;
	off_t fa_off;
	size_t fa_size;
	const struct device *fa_dev;
	const char *fa_label;
};

struct flash_sector {
	off_t fs_off;
	size_t fs_size;
};

typedef void (*flash_area_cb_t)(const struct flash_area *fa, void *user_data);

int flash_area_open(uint8_t id, const struct flash_area **fa);
void flash_area_close(const struct flash_area *fa);
int flash_area_read(const struct flash_area *fa, off_t off, void *dst, size_t len);
int flash_area_write(const struct flash_area *fa, off_t off, const void *src, size_t len);
int flash_area_erase(const struct flash_area *fa, off_t off, size_t len);
int flash_area_flatten(const struct flash_area *fa, off_t off, size_t len);
uint32_t flash_area_align(const struct flash_area *fa);
uint8_t flash_area_erased_val(const struct flash_area *fa);
int flash_area_get_sectors(int fa_id, uint32_t *count, struct flash_sector *sectors);
int flash_area_sectors(const struct flash_area *fa, uint32_t *count, struct flash_sector *sectors);
const struct device *flash_area_get_device(const struct flash_area *fa);
bool flash_area_device_is_ready(const struct flash_area *fa);
const struct flash_parameters *flash_area_get_parameters(const struct flash_area *fa);
void flash_area_foreach(flash_area_cb_t user_cb, void *user_data);
int flash_area_has_driver(const struct flash_area *fa);
const char *flash_area_label(const struct flash_area *fa);

#define FIXED_PARTITION_ID(label) flashemu_area_id(#label)
#define FIXED_PARTITION_OFFSET(label) flashemu_area_offset(#label)
#define FIXED_PARTITION_SIZE(label) flashemu_area_size(#label)
#define FIXED_PARTITION_DEVICE(label) (&flashemu_flash_device)
#define FIXED_PARTITION_NODE_DEVICE(node) (&flashemu_flash_device)
#define FLASH_AREA_ID(label) flashemu_area_id(#label)
#define FLASH_AREA_OFFSET(label) flashemu_area_offset(#label)
#define FLASH_AREA_SIZE(label) flashemu_area_size(#label)

#endif
