// SPDX-License-Identifier: GPL-2.0-only
/* Who guests run as. */
#include <errno.h>
#include <pwd.h>

#include "engine/rem.h"

int rem_guest_ids(uid_t *ret_uid, gid_t *ret_gid)
{
	const struct passwd *pw = getpwnam(REM_GUEST_USER);

	/* never root's: a user of that name with uid 0 would be no guest's */
	if (pw && pw->pw_uid != 0 && pw->pw_gid != 0) {
		*ret_uid = pw->pw_uid;
		*ret_gid = pw->pw_gid;
		return 0;
	}
	*ret_uid = REM_GUEST_UID;
	*ret_gid = REM_GUEST_UID;
	return -ENOENT;
}
