/*
 * zephyr/kernel.h for flashemu host builds: a single-threaded kernel.
 * Mutexes and semaphores always succeed; k_uptime_get reads the bound
 * device's simulated clock; k_sleep does not advance it.
 */
#ifndef FLASHEMU_ZEPHYR_KERNEL_H_
#define FLASHEMU_ZEPHYR_KERNEL_H_

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <flashemu.h>
#include <zephyr/toolchain.h>
#include <zephyr/sys/util.h>
#include <zephyr/sys/__assert.h>
#include <zephyr/device.h>

typedef struct {
	int64_t ticks;
} k_timeout_t;

#define K_NO_WAIT ((k_timeout_t){0})
#define K_FOREVER ((k_timeout_t){-1})
#define K_MSEC(ms) ((k_timeout_t){(ms)})
#define K_SECONDS(s) K_MSEC((s) * 1000)
#define K_USEC(us) ((k_timeout_t){(us) / 1000})

struct k_mutex {
	int lock_count;
};
#define K_MUTEX_DEFINE(name) struct k_mutex name = {0}
static inline int k_mutex_init(struct k_mutex *m) { m->lock_count = 0; return 0; }
static inline int k_mutex_lock(struct k_mutex *m, k_timeout_t t) { (void)t; m->lock_count++; return 0; }
static inline int k_mutex_unlock(struct k_mutex *m) { if (m->lock_count > 0) m->lock_count--; return 0; }

struct k_sem {
	unsigned int count, limit;
};
#define K_SEM_DEFINE(name, init, lim) struct k_sem name = {(init), (lim)}
static inline int k_sem_init(struct k_sem *s, unsigned int init, unsigned int limit)
{
	s->count = init;
	s->limit = limit;
	return 0;
}
static inline int k_sem_take(struct k_sem *s, k_timeout_t t) { (void)t; if (s->count) s->count--; return 0; }
static inline void k_sem_give(struct k_sem *s) { if (s->count < s->limit) s->count++; }

struct k_spinlock {
	int unused;
};
typedef struct {
	int key;
} k_spinlock_key_t;
static inline k_spinlock_key_t k_spin_lock(struct k_spinlock *l) { (void)l; return (k_spinlock_key_t){0}; }
static inline void k_spin_unlock(struct k_spinlock *l, k_spinlock_key_t k) { (void)l; (void)k; }

static inline int64_t k_uptime_get(void) { return flashemu_now_ns() / 1000000; }
static inline uint32_t k_uptime_get_32(void) { return (uint32_t)k_uptime_get(); }
static inline uint64_t k_uptime_ticks(void) { return (uint64_t)flashemu_now_ns() / 1000; }
static inline uint32_t k_cycle_get_32(void) { return (uint32_t)flashemu_now_ns(); }
static inline int32_t k_sleep(k_timeout_t t) { (void)t; return 0; }
static inline int32_t k_msleep(int32_t ms) { (void)ms; return 0; }
static inline void k_yield(void) {}
static inline bool k_is_in_isr(void) { return false; }
static inline void *k_malloc(size_t n) { extern void *malloc(size_t); return malloc(n); }
static inline void k_free(void *p) { extern void free(void *); free(p); }

#endif
