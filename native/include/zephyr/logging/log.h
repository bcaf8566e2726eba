/* zephyr/logging/log.h for flashemu host builds: LOG_ERR and LOG_WRN go to
 * flashemu_log; LOG_INF and LOG_DBG too when FLASHEMU_LOG_LEVEL is 3 or 4
 * (default 2). */
#ifndef FLASHEMU_ZEPHYR_LOGGING_LOG_H_
#define FLASHEMU_ZEPHYR_LOGGING_LOG_H_

#include <flashemu.h>

#ifndef FLASHEMU_LOG_LEVEL
#define FLASHEMU_LOG_LEVEL 2
#endif

#define LOG_LEVEL_NONE 0
#define LOG_LEVEL_ERR 1
#define LOG_LEVEL_WRN 2
#define LOG_LEVEL_INF 3
#define LOG_LEVEL_DBG 4

/* flashemu_zlog is flashemu_log without printf format checking: Zephyr
 * sources print uint64_t with %llx, which is right on their 32-bit targets
 * and harmless (same size) on 64-bit hosts. */
void flashemu_zlog(const char *fmt, ...);

#define LOG_MODULE_REGISTER(...) extern int flashemu_log_module_unused_
#define LOG_MODULE_DECLARE(...) extern int flashemu_log_module_unused_
#define Z_FLASHEMU_LOG(lvl, tag, fmt, ...)                                        \
	do {                                                                       \
		if (FLASHEMU_LOG_LEVEL >= (lvl)) {                                 \
			flashemu_zlog("<" tag "> " fmt, ##__VA_ARGS__);             \
		}                                                                  \
	} while (0)
#define LOG_ERR(fmt, ...) Z_FLASHEMU_LOG(1, "err", fmt, ##__VA_ARGS__)
#define LOG_WRN(fmt, ...) Z_FLASHEMU_LOG(2, "wrn", fmt, ##__VA_ARGS__)
#define LOG_INF(fmt, ...) Z_FLASHEMU_LOG(3, "inf", fmt, ##__VA_ARGS__)
#define LOG_DBG(fmt, ...) Z_FLASHEMU_LOG(4, "dbg", fmt, ##__VA_ARGS__)
#define LOG_HEXDUMP_ERR(data, len, str) LOG_ERR("%s (%d bytes)", str, (int)(len))
#define LOG_HEXDUMP_WRN(data, len, str) LOG_WRN("%s (%d bytes)", str, (int)(len))
#define LOG_HEXDUMP_INF(data, len, str) LOG_INF("%s (%d bytes)", str, (int)(len))
#define LOG_HEXDUMP_DBG(data, len, str) LOG_DBG("%s (%d bytes)", str, (int)(len))

#endif
