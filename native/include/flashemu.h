/*
 * flashemu.h: the host contract between C code under test and flashemu.
 *
 * Build a shared library with `cc $(flashemu cc-flags) -shared -fPIC ...`,
 * define the entry points below and load it from Lua with native.load.
 * Every flash operation issued here goes through flashemu's emulated device
 * (fault hooks, torn programs, simulated time, traces, sweeps).
 */
#ifndef FLASHEMU_H_
#define FLASHEMU_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* FLASHEMU_ABI is the version of the host interface this header describes. */
#define FLASHEMU_ABI 1

/*
 * Entry points a library defines (any subset). Each runs with the library's
 * global and static variables as they were when it was loaded. A non-zero
 * result, or a call to flashemu_fail, fails the workload or check.
 */
int flashemu_workload(void);
int flashemu_check(void);

/* flashemu_ack records that v is durable (workload only). */
void flashemu_ack(int64_t v);
/* flashemu_acked_count is the number of values acknowledged before the cut (check only). */
size_t flashemu_acked_count(void);
/* flashemu_acked returns acknowledged value i (0-based; 0 when out of range). */
int64_t flashemu_acked(size_t i);
/* flashemu_fail sets the failure message; the call then fails. The first message wins. */
void flashemu_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* flashemu_log writes a line to the host's log (print output of the Lua state). */
void flashemu_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* flashemu_failed reports whether flashemu_fail or an __ASSERT fired in this call. */
int flashemu_failed(void);

/* flashemu_now_ns is the bound device's simulated clock in nanoseconds. */
int64_t flashemu_now_ns(void);

/* Raw access to the bound device at absolute offsets; 0 or a negative Zephyr errno. */
int flashemu_read(int64_t off, void *buf, size_t len);
int flashemu_program(int64_t off, const void *buf, size_t len);
int flashemu_erase(int64_t off, int64_t len);
int64_t flashemu_size(void);
size_t flashemu_write_block(void);
uint8_t flashemu_erase_value(void);
/* Erase units (pages in Zephyr's page layout). */
size_t flashemu_unit_count(void);
int flashemu_unit(size_t i, int64_t *start, int64_t *size);

/* Flash areas the host defined (native.load's areas option): id by label or -ENOENT. */
int flashemu_area_id(const char *label);
int64_t flashemu_area_offset(const char *label);
int64_t flashemu_area_size(const char *label);

/* flashemu_assert_fail is what __ASSERT calls: it records the failure and
 * leaves the current entry point (longjmp inside C only). */
void flashemu_assert_fail(const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* FLASHEMU_H_ */
