/* zephyr/sys/__assert.h for flashemu host builds: a failed __ASSERT fails the
 * current workload or check with file:line and leaves it. */
#ifndef FLASHEMU_ZEPHYR_SYS_ASSERT_H_
#define FLASHEMU_ZEPHYR_SYS_ASSERT_H_

#include <flashemu.h>

#define __ASSERT(test, fmt, ...)                                                   \
	do {                                                                       \
		if (!(test)) {                                                     \
			flashemu_assert_fail(__FILE__, __LINE__, #test, "" fmt, ##__VA_ARGS__); \
		}                                                                  \
	} while (0)
#define __ASSERT_NO_MSG(test) __ASSERT(test, "")
#define __ASSERT_EVAL(expr1, expr2, test, fmt, ...) __ASSERT(test, fmt, ##__VA_ARGS__)
#define __ASSERT_POST_ACTION()
#define __ASSERT_ON 1

#endif
