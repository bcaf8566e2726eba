/*
 * zephyr/device.h for flashemu host builds: one flash device, the emulated
 * one bound to the current call. DEVICE_DT_GET(any node) is that device.
 */
#ifndef FLASHEMU_ZEPHYR_DEVICE_H_
#define FLASHEMU_ZEPHYR_DEVICE_H_

#include <stdbool.h>
#include <stddef.h>

struct device {
	const char *name;
	const void *config;
	const void *api;
	void *data;
};

/* flashemu_flash_device is the emulated flash device. */
extern const struct device flashemu_flash_device;

#define DT_CHOSEN(x) 0
#define DT_NODELABEL(x) 0
#define DT_ALIAS(x) 0
#define DT_INST(n, compat) 0
#define DEVICE_DT_GET(node_id) (&flashemu_flash_device)
#define DEVICE_DT_GET_ONE(compat) (&flashemu_flash_device)
#define DEVICE_DT_GET_OR_NULL(node_id) (&flashemu_flash_device)
#define DEVICE_GET(name) (&flashemu_flash_device)

static inline bool device_is_ready(const struct device *dev) { return dev != NULL; }
const struct device *device_get_binding(const char *name);

#endif
