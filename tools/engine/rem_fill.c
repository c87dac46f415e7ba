// SPDX-License-Identifier: GPL-2.0-only
/*
 * The image's pages into the staged guest, in two stages that overlap:
 * this thread receives and decrypts a PAGES record while a second one puts
 * the record before it into the guest's memory. Either alone costs about
 * as much per byte as the other, so a node with a core for each moves
 * memory nearly twice as fast as one doing them in turn. The second thread
 * lives only while the pages arrive; the supervisor is single-threaded
 * again before the guest runs.
 */
#include <errno.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine/rem.h"

#define NSLOT 3		/* one being filled, one received, one arriving */
/*
 * The channel puts 5 bytes before a payload decrypted in place: receiving
 * at this offset puts the payload on an 8-byte boundary.
 */
#define SLOT_SKEW (8 - MIG_CHAN_OPEN_PAYLOAD)
#define SLOT_BYTES (MIG_CHAN_MAX + 16)

struct slot {
	uint8_t *buf;
	uint64_t dst;		/* where in the guest */
	const uint8_t *src;	/* in buf */
	uint64_t len;
};

struct filler {
	struct rem *r;
	pthread_mutex_t mu;
	pthread_cond_t more, room;	/* a slot was queued / freed */
	struct slot slot[NSLOT];
	unsigned head, count;	/* the next to queue; how many queued */
	bool threaded;		/* else queue() fills at once */
	bool done;		/* nothing more will be queued */
	int err;		/* the first failed fill */
};

/*
 * @len bytes at @src into the guest's staged memory at @dst: by
 * UFFDIO_COPY where the guest's userfaultfd covers it (the kernel puts a
 * new page in place with our bytes: no fault, no zeroing first), else, or
 * for pages already there (a file's), by process_vm_writev. 0 or -errno.
 */
static int write_mem(const struct rem *r, uint64_t dst, const uint8_t *src, uint64_t len)
{
	struct iovec l = { (void *)src, len }, rv = { (void *)(uintptr_t)dst, len };

	return process_vm_writev(r->guest, &l, 1, &rv, 1, 0) == (ssize_t)len ? 0 : -ENOMEM;
}

static int fill(const struct rem *r, uint64_t dst, const uint8_t *src, uint64_t len)
{
	while (len && r->uffd >= 0) {
		struct uffdio_copy c = { .dst = dst, .src = (uint64_t)(uintptr_t)src,
					 .len = len };
		uint64_t n;
		int e;

		if (!ioctl(r->uffd, UFFDIO_COPY, &c))
			return 0;
		if (c.copy > 0) {	/* a part went in */
			dst += (uint64_t)c.copy;
			src += c.copy;
			len -= (uint64_t)c.copy;
		}
		if (errno == EAGAIN)
			continue;
		/* a VMA of a file the guest maps (mig_files.h): not registered */
		if (errno == ENOENT)
			break;
		if (errno != EEXIST)
			return -errno;
		/*
		 * This page is there already (the staging code touched it):
		 * written in place; the rest may still be missing, where a
		 * write from here would wait on the userfaultfd for ever.
		 */
		n = len < MIG_PAGE ? len : MIG_PAGE;
		e = write_mem(r, dst, src, n);
		if (e)
			return e;
		dst += n;
		src += n;
		len -= n;
	}
	return len ? write_mem(r, dst, src, len) : 0;
}

static void *filler_main(void *arg)
{
	struct filler *f = arg;
	unsigned tail = 0;

	for (;;) {
		struct slot *s;
		int e = 0;

		pthread_mutex_lock(&f->mu);
		while (!f->count && !f->done)
			pthread_cond_wait(&f->more, &f->mu);
		if (!f->count) {
			pthread_mutex_unlock(&f->mu);
			return NULL;
		}
		s = &f->slot[tail];
		pthread_mutex_unlock(&f->mu);
		/* after a failure the rest is only taken off the queue */
		if (!__atomic_load_n(&f->err, __ATOMIC_RELAXED))
			e = fill(f->r, s->dst, s->src, s->len);
		pthread_mutex_lock(&f->mu);
		if (e && !f->err)
			f->err = e;
		tail = (tail + 1) % NSLOT;
		f->count--;
		pthread_cond_signal(&f->room);
		pthread_mutex_unlock(&f->mu);
	}
}

/* A free slot, or NULL once the filler failed. */
static struct slot *next_slot(struct filler *f)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&f->mu);
	while (f->count == NSLOT)
		pthread_cond_wait(&f->room, &f->mu);
	if (!f->err)
		s = &f->slot[f->head];
	pthread_mutex_unlock(&f->mu);
	return s;
}

static void queue(struct filler *f)
{
	if (!f->threaded) {
		struct slot *s = &f->slot[f->head];

		f->err = fill(f->r, s->dst, s->src, s->len);
		return;
	}
	pthread_mutex_lock(&f->mu);
	f->head = (f->head + 1) % NSLOT;
	f->count++;
	pthread_cond_signal(&f->more);
	pthread_mutex_unlock(&f->mu);
}

/* Wait until everything queued is filled; the filler's first error. */
static int finish(struct filler *f, pthread_t t)
{
	if (!f->threaded)
		return f->err;
	pthread_mutex_lock(&f->mu);
	f->done = true;
	pthread_cond_signal(&f->more);
	pthread_mutex_unlock(&f->mu);
	pthread_join(t, NULL);
	return f->err;
}

static int say(struct mig_reason *why, int e, const char *what)
{
	why->err = e;
	why->step = MIG_STAGE_WAIT;
	snprintf(why->text, sizeof(why->text), "%s", what);
	return e;
}

/*
 * Receive and check one record into @s; 1 at END (its payload copied to
 * @end), 0 for PAGES, or -errno with @why set.
 */
static int receive_one(struct rem *r, struct slot *s, uint32_t *vma, struct mig_end *end,
		       size_t *end_len, struct mig_reason *why)
{
	const struct mig_stage_shared *sh = r->sh;
	struct mig_pages_hdr ph;
	const uint8_t *p;
	uint32_t type;
	size_t len;
	int e;

	e = mig_chan_recv_at(r->ch, &type, s->buf + SLOT_SKEW, MIG_CHAN_MAX, &p, &len);
	if (e)
		return say(why, e, "the stream broke");
	if ((uintptr_t)p % 8) {	/* not decrypted in place: align it */
		memmove(s->buf + 8, p, len);
		p = s->buf + 8;
	}
	if (type == MIG_M_END) {
		*end_len = len;
		memcpy(end, p, len < sizeof(*end) ? len : sizeof(*end));
		return 1;
	}
	if (type != MIG_M_PAGES)
		return say(why, -EPROTO, "unexpected record");
	if (len < sizeof(ph))
		return say(why, -EBADMSG, "malformed pages");
	memcpy(&ph, p, sizeof(ph));
	while (*vma < sh->nvma && ph.addr >= sh->vmas[*vma].end)
		(*vma)++;
	if (*vma == sh->nvma || mig_pages_check(p, len, &sh->vmas[*vma]))
		return say(why, -EBADMSG, "malformed pages");
	s->dst = sh->stage[*vma] + ph.addr - sh->vmas[*vma].start;
	s->src = p + sizeof(ph);
	s->len = ph.len;
	return 0;
}

int rem_receive_pages(struct rem *r, struct mig_reason *why)
{
	struct filler f = { .r = r };
	struct mig_end end = { 0 };
	uint64_t pages = 0;
	size_t end_len = 0;
	uint32_t vma = 0;
	unsigned n = 0;
	pthread_t t = 0;
	int e = 0, fe;

	for (n = 0; n < NSLOT; n++) {
		f.slot[n].buf = malloc(SLOT_BYTES);
		if (!f.slot[n].buf) {
			e = say(why, -ENOMEM, "no memory for the pages");
			goto out_free;
		}
	}
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.more, NULL);
	pthread_cond_init(&f.room, NULL);
	/* without a second thread (namespaces for children not ours, no
	 * memory) the pages are filled in turn: slower, the same result */
	e = pthread_create(&t, NULL, filler_main, &f);
	f.threaded = !e;
	if (e)
		fprintf(stderr, "mosix-migd: process %d of node %u: pages filled without a "
			"second thread: %s\n", r->hello.home_pid, r->hello.home_node, strerror(e));
	e = 0;
	for (;;) {
		struct slot *s = next_slot(&f);

		if (!s)
			break;	/* the filler failed: finish() says why */
		e = receive_one(r, s, &vma, &end, &end_len, why);
		if (e)
			break;
		pages += s->len / MIG_PAGE;
		queue(&f);
		if (rem_fault(r, "pages") && pages > 16)
			kill(getpid(), SIGKILL);	/* as if this migd died */
	}
	fe = finish(&f, t);
	if (e < 0)
		goto out_sync;
	if (fe) {
		e = say(why, fe, "cannot fill the guest's memory");
		goto out_sync;
	}
	r->image_done = true;
	e = 0;
	if (mig_fixed_check(MIG_M_END, end_len) || end.pages != pages || end.nvma != r->sh->nvma)
		e = say(why, -EBADMSG, "the image is incomplete");
out_sync:
	pthread_cond_destroy(&f.room);
	pthread_cond_destroy(&f.more);
	pthread_mutex_destroy(&f.mu);
out_free:
	while (n--)
		free(f.slot[n].buf);
	return e;
}
