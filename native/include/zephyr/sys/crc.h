/* zephyr/sys/crc.h for flashemu host builds; implemented in flashemu_rt.c
 * with Zephyr's definitions (lib/crc). */
#ifndef FLASHEMU_ZEPHYR_SYS_CRC_H_
#define FLASHEMU_ZEPHYR_SYS_CRC_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRC8_CCITT_INITIAL_VALUE 0xFF
#define CRC8_ROHC_INITIAL_VALUE 0xFF
#define CRC16_CCITT_INITIAL_VALUE 0xFFFF

/* crc8_ccitt: polynomial 0x07, MSB first, no final xor. */
uint8_t crc8_ccitt(uint8_t initial_value, const void *buf, size_t len);
/* crc8: generic CRC-8. */
uint8_t crc8(const uint8_t *src, size_t len, uint8_t polynomial, uint8_t initial_value,
	     bool reversed);
/* crc16: MSB-first CRC-16 with poly and seed, no final xor. */
uint16_t crc16(uint16_t poly, uint16_t seed, const uint8_t *src, size_t len);
/* crc16_reflect: LSB-first CRC-16 (poly given reflected). */
uint16_t crc16_reflect(uint16_t poly, uint16_t seed, const uint8_t *src, size_t len);
/* crc16_ccitt: reflected 0x1021 (0x8408), as Zephyr. */
uint16_t crc16_ccitt(uint16_t seed, const uint8_t *src, size_t len);
/* crc16_itu_t: MSB-first 0x1021. */
uint16_t crc16_itu_t(uint16_t seed, const uint8_t *src, size_t len);
/* crc16_ansi: reflected 0x8005 with seed 0xffff. */
uint16_t crc16_ansi(const uint8_t *src, size_t len);
/* crc32_ieee: the CRC-32 of zlib/Ethernet. */
uint32_t crc32_ieee(const uint8_t *data, size_t len);
uint32_t crc32_ieee_update(uint32_t crc, const uint8_t *data, size_t len);
/* crc32_c: Castagnoli. */
uint32_t crc32_c(uint32_t crc, const uint8_t *data, size_t len, bool first_pkt, bool last_pkt);

#endif
