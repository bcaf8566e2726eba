/*
 * errno.h for flashemu host builds: Zephyr's minimal-libc values, so that
 * errno codes returned by Zephyr code compare equal to flashemu's.
 * (zephyr/lib/libc/minimal/include/errno.h)
 */
#ifndef FLASHEMU_ERRNO_H_
#define FLASHEMU_ERRNO_H_

extern int *__errno_location(void);
#define errno (*__errno_location())

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define ENOTBLK 15
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define ETXTBSY 26
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define EDOM 33
#define ERANGE 34
#define ENOMSG 35
#define EDEADLK 45
#define ENOLCK 46
#define ENOSTR 60
#define ENODATA 61
#define ETIME 62
#define ENOSR 63
#define EPROTO 71
#define EBADMSG 77
#define ENOSYS 88
#define ENOTEMPTY 90
#define ENAMETOOLONG 91
#define ELOOP 92
#define EOPNOTSUPP 95
#define ENOBUFS 105
#define ETIMEDOUT 116
#define EALREADY 120
#define EMSGSIZE 122
#define ENOTSUP 134
#define EILSEQ 138
#define EOVERFLOW 139
#define ECANCELED 140
#define EWOULDBLOCK EAGAIN

#endif /* FLASHEMU_ERRNO_H_ */
