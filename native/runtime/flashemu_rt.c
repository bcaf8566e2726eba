/*
 * flashemu_rt.c: flashemu's host runtime, compiled into every library that
 * flashemu loads (cc-flags lists it). It implements flashemu.h, Zephyr's
 * flash driver and flash map API, and the CRCs on top of one callback into
 * the flashemu process. Its state lives in the library's writable data
 * segment, which flashemu restores before every call.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <flashemu.h>
#include <zephyr/device.h>
#include <zephyr/drivers/flash.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/crc.h>

/* Host operations (keep in step with native/host.go). */
enum {
	OP_READ = 1,
	OP_PROGRAM = 2,
	OP_ERASE = 3,
	OP_GEOMETRY = 4, /* buf: int64[4] size, write block, erase value, units */
	OP_UNIT = 5,     /* a: index; buf: int64[2] start, size */
	OP_AREA_ID = 6,  /* buf, n: label; result: id or -ENOENT */
	OP_AREA = 7,     /* a: id; buf: int64[2] offset, size; result 0 or -ENOENT */
	OP_NOW = 8,
	OP_ACK = 9,
	OP_ACKED_COUNT = 10,
	OP_ACKED = 11, /* a: index; buf: int64 value */
	OP_FAIL = 12,  /* buf, n: message */
	OP_LOG = 13,   /* buf, n: message */
	OP_AREA_LABEL = 14, /* a: id; buf, n: room for the label; result: length */
};

typedef int64_t (*flashemu_host_fn)(uintptr_t handle, uintptr_t op, int64_t a, int64_t b,
				    void *buf, int64_t n);

static flashemu_host_fn host;
static uintptr_t host_handle;
static jmp_buf assert_jmp;
static int failed;

static int64_t call_host(uintptr_t op, int64_t a, int64_t b, void *buf, int64_t n)
{
	if (host == NULL) {
		return -ENODEV;
	}
	return host(host_handle, op, a, b, buf, n);
}

/*
 * flashemu_rt_enter runs entry with the host callback bound; flashemu calls
 * it for every workload, check and lib:call. An __ASSERT failure longjmps
 * back here (C frames only) and the call returns -1.
 */
int64_t flashemu_rt_enter(flashemu_host_fn fn, uintptr_t handle, int (*entry)(void))
{
	host = fn;
	host_handle = handle;
	failed = 0;
	if (setjmp(assert_jmp) != 0) {
		return -1;
	}
	return entry();
}

/* flashemu_rt_abi is the runtime's FLASHEMU_ABI (checked at load). */
int flashemu_rt_abi(void) { return FLASHEMU_ABI; }

/* --- flashemu.h --- */

static void vmessage(uintptr_t op, const char *fmt, va_list ap)
{
	char msg[512];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (n < 0) {
		n = 0;
	}
	if (n >= (int)sizeof(msg)) {
		n = sizeof(msg) - 1;
	}
	call_host(op, 0, 0, msg, n);
}

void flashemu_ack(int64_t v) { call_host(OP_ACK, v, 0, NULL, 0); }

size_t flashemu_acked_count(void)
{
	int64_t n = call_host(OP_ACKED_COUNT, 0, 0, NULL, 0);

	return n < 0 ? 0 : (size_t)n;
}

int64_t flashemu_acked(size_t i)
{
	int64_t v = 0;

	call_host(OP_ACKED, (int64_t)i, 0, &v, sizeof(v));
	return v;
}

void flashemu_fail(const char *fmt, ...)
{
	va_list ap;

	failed = 1;
	va_start(ap, fmt);
	vmessage(OP_FAIL, fmt, ap);
	va_end(ap);
}

void flashemu_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(OP_LOG, fmt, ap);
	va_end(ap);
}

void flashemu_zlog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(OP_LOG, fmt, ap);
	va_end(ap);
}

int flashemu_failed(void) { return failed; }

void flashemu_assert_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s:%d: ASSERTION FAIL [%s]", file, line, expr);

	if (n > 0 && n < (int)sizeof(msg) - 2 && fmt != NULL && fmt[0] != 0) {
		va_list ap;

		msg[n++] = ':';
		msg[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
		va_end(ap);
	}
	failed = 1;
	call_host(OP_FAIL, 0, 0, msg, (int64_t)strnlen(msg, sizeof(msg)));
	longjmp(assert_jmp, 1);
}

int64_t flashemu_now_ns(void) { return call_host(OP_NOW, 0, 0, NULL, 0); }

int flashemu_read(int64_t off, void *buf, size_t len)
{
	return (int)call_host(OP_READ, off, 0, buf, (int64_t)len);
}

int flashemu_program(int64_t off, const void *buf, size_t len)
{
	return (int)call_host(OP_PROGRAM, off, 0, (void *)buf, (int64_t)len);
}

int flashemu_erase(int64_t off, int64_t len) { return (int)call_host(OP_ERASE, off, len, NULL, 0); }

static int geometry(int64_t g[4])
{
	memset(g, 0, 4 * sizeof(int64_t));
	return (int)call_host(OP_GEOMETRY, 0, 0, g, 4 * sizeof(int64_t));
}

int64_t flashemu_size(void)
{
	int64_t g[4];

	geometry(g);
	return g[0];
}

size_t flashemu_write_block(void)
{
	int64_t g[4];

	geometry(g);
	return (size_t)g[1];
}

uint8_t flashemu_erase_value(void)
{
	int64_t g[4];

	geometry(g);
	return (uint8_t)g[2];
}

size_t flashemu_unit_count(void)
{
	int64_t g[4];

	geometry(g);
	return (size_t)g[3];
}

int flashemu_unit(size_t i, int64_t *start, int64_t *size)
{
	int64_t u[2] = {0, 0};
	int rc = (int)call_host(OP_UNIT, (int64_t)i, 0, u, sizeof(u));

	if (start) {
		*start = u[0];
	}
	if (size) {
		*size = u[1];
	}
	return rc;
}

int flashemu_area_id(const char *label)
{
	return (int)call_host(OP_AREA_ID, 0, 0, (void *)label, (int64_t)strlen(label));
}

static int area_span(int id, int64_t a[2])
{
	a[0] = a[1] = 0;
	return (int)call_host(OP_AREA, id, 0, a, 2 * sizeof(int64_t));
}

int64_t flashemu_area_offset(const char *label)
{
	int64_t a[2];
	int id = flashemu_area_id(label);

	if (id < 0) {
		return id;
	}
	area_span(id, a);
	return a[0];
}

int64_t flashemu_area_size(const char *label)
{
	int64_t a[2];
	int id = flashemu_area_id(label);

	if (id < 0) {
		return id;
	}
	area_span(id, a);
	return a[1];
}

/* --- zephyr/device.h --- */

const struct device flashemu_flash_device = {.name = "flashemu"};

const struct device *device_get_binding(const char *name)
{
	(void)name;
	return &flashemu_flash_device;
}

/* --- zephyr/drivers/flash.h --- */

static struct flash_parameters params;

int flash_read(const struct device *dev, off_t offset, void *data, size_t len)
{
	(void)dev;
	return flashemu_read(offset, data, len);
}

int flash_write(const struct device *dev, off_t offset, const void *data, size_t len)
{
	(void)dev;
	return flashemu_program(offset, data, len);
}

int flash_erase(const struct device *dev, off_t offset, size_t size)
{
	(void)dev;
	return flashemu_erase(offset, (int64_t)size);
}

int flash_fill(const struct device *dev, uint8_t val, off_t offset, size_t size)
{
	uint8_t buf[32];
	size_t wbs = flash_get_write_block_size(dev);
	int rc = 0;

	if (wbs == 0 || wbs > sizeof(buf) || offset < 0 || ((size | (size_t)offset) & (wbs - 1))) {
		return -EINVAL;
	}
	memset(buf, val, sizeof(buf));
	while (size > 0 && rc == 0) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);

		rc = flash_write(dev, offset, buf, n);
		offset += n;
		size -= n;
	}
	return rc;
}

int flash_flatten(const struct device *dev, off_t offset, size_t size)
{
	const struct flash_parameters *p = flash_get_parameters(dev);

	if (flash_params_get_erase_cap(p) & FLASH_ERASE_C_EXPLICIT) {
		return flash_erase(dev, offset, size);
	}
	return flash_fill(dev, p->erase_value, offset, size);
}

const struct flash_parameters *flash_get_parameters(const struct device *dev)
{
	int64_t g[4];

	(void)dev;
	if (geometry(g) != 0) {
		return NULL;
	}
	params.write_block_size = (size_t)g[1];
	params.erase_value = (uint8_t)g[2];
	params.caps.no_explicit_erase = 0;
	return &params;
}

size_t flash_get_write_block_size(const struct device *dev)
{
	(void)dev;
	return flashemu_write_block();
}

int flash_get_page_info_by_idx(const struct device *dev, uint32_t page_index,
			       struct flash_pages_info *info)
{
	int64_t start, size;

	(void)dev;
	if (flashemu_unit(page_index, &start, &size) != 0) {
		return -EINVAL;
	}
	info->start_offset = start;
	info->size = (size_t)size;
	info->index = page_index;
	return 0;
}

int flash_get_page_info_by_offs(const struct device *dev, off_t offset,
				struct flash_pages_info *info)
{
	size_t lo = 0, hi = flash_get_page_count(dev);

	/* Binary search over the erase units (sorted by start). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t start, size;

		if (flashemu_unit(mid, &start, &size) != 0) {
			return -EINVAL;
		}
		if (offset < start) {
			hi = mid;
		} else if (offset >= start + size) {
			lo = mid + 1;
		} else {
			return flash_get_page_info_by_idx(dev, (uint32_t)mid, info);
		}
	}
	return -EINVAL;
}

size_t flash_get_page_count(const struct device *dev)
{
	(void)dev;
	return flashemu_unit_count();
}

void flash_page_foreach(const struct device *dev, flash_page_cb cb, void *data)
{
	size_t n = flash_get_page_count(dev);
	struct flash_pages_info info;

	for (size_t i = 0; i < n; i++) {
		if (flash_get_page_info_by_idx(dev, (uint32_t)i, &info) != 0 || !cb(&info, data)) {
			return;
		}
	}
}

int flash_get_size(const struct device *dev, uint64_t *size)
{
	(void)dev;
	*size = (uint64_t)flashemu_size();
	return 0;
}

/* --- zephyr/storage/flash_map.h --- */

#define FLASHEMU_MAX_AREAS 32

static struct flash_area areas[FLASHEMU_MAX_AREAS];
static char area_labels[FLASHEMU_MAX_AREAS][48];

int flash_area_open(uint8_t id, const struct flash_area **fa)
{
	int64_t span[2];
	struct flash_area *a;
	int n;

	if (id >= FLASHEMU_MAX_AREAS || area_span(id, span) != 0) {
		return -ENOENT;
	}
	a = &areas[id];
	a->fa_id = id;
	a->fa_device_id = 0;
	a->fa_off = span[0];
	a->fa_size = (size_t)span[1];
	a->fa_dev = &flashemu_flash_device;
	n = (int)call_host(OP_AREA_LABEL, id, 0, area_labels[id], sizeof(area_labels[id]) - 1);
	area_labels[id][n > 0 ? n : 0] = 0;
	a->fa_label = area_labels[id];
	*fa = a;
	return 0;
}

void flash_area_close(const struct flash_area *fa) { (void)fa; }

static int area_in_bounds(const struct flash_area *fa, off_t off, size_t len)
{
	return off >= 0 && (size_t)off <= fa->fa_size && len <= fa->fa_size - (size_t)off;
}

int flash_area_read(const struct flash_area *fa, off_t off, void *dst, size_t len)
{
	if (!area_in_bounds(fa, off, len)) {
		return -EINVAL;
	}
	return flash_read(fa->fa_dev, fa->fa_off + off, dst, len);
}

int flash_area_write(const struct flash_area *fa, off_t off, const void *src, size_t len)
{
	if (!area_in_bounds(fa, off, len)) {
		return -EINVAL;
	}
	return flash_write(fa->fa_dev, fa->fa_off + off, src, len);
}

int flash_area_erase(const struct flash_area *fa, off_t off, size_t len)
{
	if (!area_in_bounds(fa, off, len)) {
		return -EINVAL;
	}
	return flash_erase(fa->fa_dev, fa->fa_off + off, len);
}

int flash_area_flatten(const struct flash_area *fa, off_t off, size_t len)
{
	if (!area_in_bounds(fa, off, len)) {
		return -EINVAL;
	}
	return flash_flatten(fa->fa_dev, fa->fa_off + off, len);
}

uint32_t flash_area_align(const struct flash_area *fa)
{
	return (uint32_t)flash_get_write_block_size(fa->fa_dev);
}

uint8_t flash_area_erased_val(const struct flash_area *fa)
{
	return flash_get_parameters(fa->fa_dev)->erase_value;
}

int flash_area_sectors(const struct flash_area *fa, uint32_t *count, struct flash_sector *sectors)
{
	size_t n = flash_get_page_count(fa->fa_dev);
	uint32_t k = 0;
	int64_t end = fa->fa_off + (int64_t)fa->fa_size;

	for (size_t i = 0; i < n; i++) {
		int64_t start, size;

		if (flashemu_unit(i, &start, &size) != 0) {
			return -EINVAL;
		}
		if (start + size <= fa->fa_off || start >= end) {
			continue;
		}
		if (k >= *count) {
			return -ENOMEM;
		}
		sectors[k].fs_off = start - fa->fa_off;
		sectors[k].fs_size = (size_t)size;
		k++;
	}
	*count = k;
	return 0;
}

int flash_area_get_sectors(int fa_id, uint32_t *count, struct flash_sector *sectors)
{
	const struct flash_area *fa;
	int rc = flash_area_open((uint8_t)fa_id, &fa);

	if (rc != 0) {
		return rc;
	}
	return flash_area_sectors(fa, count, sectors);
}

const struct device *flash_area_get_device(const struct flash_area *fa) { return fa->fa_dev; }

bool flash_area_device_is_ready(const struct flash_area *fa) { return fa != NULL && fa->fa_dev != NULL; }

int flash_area_has_driver(const struct flash_area *fa) { return flash_area_device_is_ready(fa) ? 1 : -ENODEV; }

const struct flash_parameters *flash_area_get_parameters(const struct flash_area *fa)
{
	return flash_get_parameters(fa->fa_dev);
}

const char *flash_area_label(const struct flash_area *fa) { return fa->fa_label; }

void flash_area_foreach(flash_area_cb_t user_cb, void *user_data)
{
	for (int id = 0; id < FLASHEMU_MAX_AREAS; id++) {
		const struct flash_area *fa;

		if (flash_area_open((uint8_t)id, &fa) == 0) {
			user_cb(fa, user_data);
		}
	}
}

/* --- zephyr/sys/crc.h (Zephyr lib/crc definitions) --- */

uint8_t crc8(const uint8_t *src, size_t len, uint8_t polynomial, uint8_t initial_value,
	     bool reversed)
{
	uint8_t crc = initial_value;

	for (size_t i = 0; i < len; i++) {
		crc ^= src[i];
		for (int j = 0; j < 8; j++) {
			if (reversed) {
				crc = (crc & 0x01) ? (uint8_t)((crc >> 1) ^ polynomial) : (uint8_t)(crc >> 1);
			} else {
				crc = (crc & 0x80) ? (uint8_t)((crc << 1) ^ polynomial) : (uint8_t)(crc << 1);
			}
		}
	}
	return crc;
}

uint8_t crc8_ccitt(uint8_t initial_value, const void *buf, size_t len)
{
	static const uint8_t tab[16] = {0x00, 0x07, 0x0e, 0x09, 0x1c, 0x1b, 0x12, 0x15,
					0x38, 0x3f, 0x36, 0x31, 0x24, 0x23, 0x2a, 0x2d};
	const uint8_t *p = buf;
	uint8_t val = initial_value;

	for (size_t i = 0; i < len; i++) {
		val ^= p[i];
		val = (uint8_t)(val << 4) ^ tab[val >> 4];
		val = (uint8_t)(val << 4) ^ tab[val >> 4];
	}
	return val;
}

uint16_t crc16(uint16_t poly, uint16_t seed, const uint8_t *src, size_t len)
{
	uint16_t crc = seed;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(src[i] << 8);
		for (int b = 0; b < 8; b++) {
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ poly) : (uint16_t)(crc << 1);
		}
	}
	return crc;
}

uint16_t crc16_reflect(uint16_t poly, uint16_t seed, const uint8_t *src, size_t len)
{
	uint16_t crc = seed;

	for (size_t i = 0; i < len; i++) {
		crc ^= src[i];
		for (int b = 0; b < 8; b++) {
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ poly) : (uint16_t)(crc >> 1);
		}
	}
	return crc;
}

uint16_t crc16_ccitt(uint16_t seed, const uint8_t *src, size_t len)
{
	return crc16_reflect(0x8408, seed, src, len);
}

uint16_t crc16_itu_t(uint16_t seed, const uint8_t *src, size_t len)
{
	return crc16(0x1021, seed, src, len);
}

uint16_t crc16_ansi(const uint8_t *src, size_t len) { return crc16_reflect(0xa001, 0xffff, src, len); }

uint32_t crc32_ieee_update(uint32_t crc, const uint8_t *data, size_t len)
{
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (int b = 0; b < 8; b++) {
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
		}
	}
	return ~crc;
}

uint32_t crc32_ieee(const uint8_t *data, size_t len) { return crc32_ieee_update(0, data, len); }

uint32_t crc32_c(uint32_t crc, const uint8_t *data, size_t len, bool first_pkt, bool last_pkt)
{
	if (first_pkt) {
		crc = 0xffffffffu;
	}
	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (int b = 0; b < 8; b++) {
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
		}
	}
	return last_pkt ? ~crc : crc;
}
