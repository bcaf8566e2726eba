/* zephyr/toolchain.h for flashemu host builds (GCC/Clang attributes). */
#ifndef FLASHEMU_ZEPHYR_TOOLCHAIN_H_
#define FLASHEMU_ZEPHYR_TOOLCHAIN_H_

#ifndef __packed
#define __packed __attribute__((__packed__))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((__aligned__(x)))
#endif
#define __unused __attribute__((__unused__))
#define __maybe_unused __attribute__((__unused__))
#define __weak __attribute__((__weak__))
#define __deprecated __attribute__((deprecated))
#define __printf_like(f, a) __attribute__((format(printf, f, a)))
#define __used __attribute__((__used__))
#define __noinit
#define __fallthrough __attribute__((fallthrough))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define FUNC_NORETURN __attribute__((__noreturn__))
#define CODE_UNREACHABLE __builtin_unreachable()
#ifndef likely
#define likely(x) (__builtin_expect((bool)!!(x), true) != 0L)
#define unlikely(x) (__builtin_expect((bool)!!(x), false) != 0L)
#endif
#define __syscall static inline
#define __subsystem

#if defined(__cplusplus)
#define BUILD_ASSERT(EXPR, MSG...) static_assert(EXPR, "" MSG)
#else
#define BUILD_ASSERT(EXPR, MSG...) _Static_assert(EXPR, "" MSG)
#endif

#endif
