/* zephyr/sys/util_macro.h for flashemu host builds: the macros live in
 * zephyr/sys/util.h (IS_ENABLED, COND_CODE_1, BIT, ...). */
#ifndef FLASHEMU_ZEPHYR_SYS_UTIL_MACRO_H_
#define FLASHEMU_ZEPHYR_SYS_UTIL_MACRO_H_
#include <zephyr/sys/util.h>
#endif
