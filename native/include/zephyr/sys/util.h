/* zephyr/sys/util.h for flashemu host builds: the common helper macros. */
#ifndef FLASHEMU_ZEPHYR_SYS_UTIL_H_
#define FLASHEMU_ZEPHYR_SYS_UTIL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zephyr/toolchain.h>

#ifndef MIN
#define MIN(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) (((a) > (b)) ? (a) : (b))
#endif
#define CLAMP(val, low, high) (((val) <= (low)) ? (low) : MIN(val, high))
#define ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))
#define ROUND_UP(x, align) ((((unsigned long)(x) + ((unsigned long)(align) - 1)) / \
			     (unsigned long)(align)) * (unsigned long)(align))
#define ROUND_DOWN(x, align) (((unsigned long)(x) / (unsigned long)(align)) * (unsigned long)(align))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define CEIL_DIV(n, d) DIV_ROUND_UP(n, d)
#define BIT(n) (1UL << (n))
#define BIT64(n) (1ULL << (n))
#define BIT_MASK(n) (BIT(n) - 1UL)
#define GENMASK(h, l) (((~0UL) - (1UL << (l)) + 1) & (~0UL >> (sizeof(long) * 8 - 1 - (h))))
#define GENMASK64(h, l) (((~0ULL) - (1ULL << (l)) + 1) & (~0ULL >> (63 - (h))))
#define BIT64_MASK(n) (BIT64(n) - 1ULL)
#define LSB_GET(value) ((value) & -(value))
#define FIELD_GET(mask, value) (((value) & (mask)) / LSB_GET(mask))
#define FIELD_PREP(mask, value) (((value) * LSB_GET(mask)) & (mask))
#define IS_POWER_OF_TWO(x) (((x) != 0U) && (((x) & ((x) - 1U)) == 0U))
#define IS_ALIGNED(x, a) (((uintptr_t)(x) & ((a) - 1)) == 0)
#define KB(x) ((x) << 10)
#define MB(x) (KB(x) << 10)
#define ARG_UNUSED(x) (void)(x)
#define CONTAINER_OF(ptr, type, field) ((type *)(((char *)(ptr)) - offsetof(type, field)))
#define SIZEOF_FIELD(type, member) sizeof((((type *)0)->member))
#define POINTER_TO_UINT(x) ((uintptr_t)(x))
#define UINT_TO_POINTER(x) ((void *)(uintptr_t)(x))
#define POINTER_TO_INT(x) ((intptr_t)(x))
#define INT_TO_POINTER(x) ((void *)(intptr_t)(x))
#define STRINGIFY(s) Z_STRINGIFY(s)
#define Z_STRINGIFY(s) #s
#define CONCAT(a, b) Z_CONCAT(a, b)
#define Z_CONCAT(a, b) a##b

/* IS_ENABLED(CONFIG_X) is 1 when CONFIG_X is defined to 1, else 0 (usable in C and #if). */
#define IS_ENABLED(config_macro) Z_IS_ENABLED1(config_macro)
#define Z_IS_ENABLED1(config_macro) Z_IS_ENABLED2(_XXXX##config_macro)
#define _XXXX1 _YYYY,
#define Z_IS_ENABLED2(one_or_two_args) Z_IS_ENABLED3(one_or_two_args 1, 0)
#define Z_IS_ENABLED3(ignore_this, val, ...) val

/* COND_CODE_1(CONFIG_X, (if), (else)) */
#define COND_CODE_1(flag, if_1_code, else_code) Z_COND_CODE_1(flag, if_1_code, else_code)
#define Z_COND_CODE_1(_flag, _if_1_code, _else_code) \
	Z_COND_CODE_1_2(_XXXX##_flag, _if_1_code, _else_code)
#define Z_COND_CODE_1_2(one_or_two_args, _if_code, _else_code) \
	Z_COND_CODE_1_3(one_or_two_args _if_code, _else_code)
#define Z_COND_CODE_1_3(ignore_this, val, ...) Z_DEBRACKET val
#define Z_DEBRACKET(...) __VA_ARGS__
#define IF_ENABLED(_flag, _code) COND_CODE_1(_flag, _code, ())

static inline bool is_power_of_two(unsigned int x) { return IS_POWER_OF_TWO(x); }

#endif
