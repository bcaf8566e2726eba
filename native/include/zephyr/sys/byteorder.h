/* zephyr/sys/byteorder.h for flashemu host builds (little-endian hosts). */
#ifndef FLASHEMU_ZEPHYR_SYS_BYTEORDER_H_
#define FLASHEMU_ZEPHYR_SYS_BYTEORDER_H_

#include <stdint.h>

#define sys_le16_to_cpu(val) (val)
#define sys_cpu_to_le16(val) (val)
#define sys_le32_to_cpu(val) (val)
#define sys_cpu_to_le32(val) (val)
#define sys_le64_to_cpu(val) (val)
#define sys_cpu_to_le64(val) (val)
#define sys_be16_to_cpu(val) __builtin_bswap16(val)
#define sys_cpu_to_be16(val) __builtin_bswap16(val)
#define sys_be32_to_cpu(val) __builtin_bswap32(val)
#define sys_cpu_to_be32(val) __builtin_bswap32(val)

static inline void sys_put_le16(uint16_t val, uint8_t dst[2]) { dst[0] = val; dst[1] = val >> 8; }
static inline void sys_put_le32(uint32_t val, uint8_t dst[4])
{
	sys_put_le16(val, dst);
	sys_put_le16(val >> 16, &dst[2]);
}
static inline uint16_t sys_get_le16(const uint8_t src[2]) { return ((uint16_t)src[1] << 8) | src[0]; }
static inline uint32_t sys_get_le32(const uint8_t src[4])
{
	return ((uint32_t)sys_get_le16(&src[2]) << 16) | sys_get_le16(&src[0]);
}
static inline void sys_put_be16(uint16_t val, uint8_t dst[2]) { dst[0] = val >> 8; dst[1] = val; }
static inline void sys_put_be32(uint32_t val, uint8_t dst[4])
{
	sys_put_be16(val >> 16, dst);
	sys_put_be16(val, &dst[2]);
}
static inline uint16_t sys_get_be16(const uint8_t src[2]) { return ((uint16_t)src[0] << 8) | src[1]; }
static inline uint32_t sys_get_be32(const uint8_t src[4])
{
	return ((uint32_t)sys_get_be16(&src[0]) << 16) | sys_get_be16(&src[2]);
}

#endif
