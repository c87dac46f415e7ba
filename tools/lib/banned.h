/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MOSIX_BANNED_H
#define MOSIX_BANNED_H

/*
 * Functions that overflow buffers or keep hidden state. Forced into every
 * compilation unit by the Makefile, so using one is a compile error that
 * names the safer choice.
 */

/* declared first, so the macros below do not rewrite the prototypes */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) BANNED(strcpy_use_snprintf)
#undef strcat
#define strcat(x, y) BANNED(strcat_use_snprintf)
#undef sprintf
#define sprintf(...) BANNED(sprintf_use_snprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf_use_vsnprintf)
#undef gets
#define gets(x) BANNED(gets_use_fgets)
#undef strtok
#define strtok(x, y) BANNED(strtok_use_strtok_r)
#undef atoi
#define atoi(x) BANNED(atoi_use_a_checked_parser)

#endif
