/*
 * Lifetime of a loaded policy and the "current policy" slot of a threaded
 * server. A policy is immutable; readers hold a reference while they decide.
 * The slot's mutex guards only the pointer swap and the reference increment
 * (a few instructions), never a decision or a load: policy_slot_reload()
 * loads the new directory without the lock and installs the result only when
 * it loaded cleanly, so a bad file never replaces a good policy.
 */
#include <pthread.h>
#include <stdlib.h>

#include "pl_err.h"
#include "policy_int.h"

struct policy *policy_ref(struct policy *p)
{
	if (p != NULL)
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void policy_unref(struct policy *p)
{
	if (p == NULL)
		return;
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
		pol_free(p);
}

void policy_free(struct policy *p)
{
	policy_unref(p);
}

struct policy_slot {
	pthread_mutex_t mu;
	struct policy *cur;
};

int policy_slot_new(struct policy *initial, struct policy_slot **out)
{
	struct policy_slot *s;

	if (out == NULL)
		return PL_E_INVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PL_E_NOMEM;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return PL_E_INTERNAL;
	}
	s->cur = initial;
	*out = s;
	return 0;
}

void policy_slot_free(struct policy_slot *s)
{
	if (s == NULL)
		return;
	policy_unref(s->cur);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

struct policy *policy_slot_get(struct policy_slot *s)
{
	struct policy *p;

	if (s == NULL)
		return NULL;
	pthread_mutex_lock(&s->mu);
	p = policy_ref(s->cur);
	pthread_mutex_unlock(&s->mu);
	return p;
}

void policy_slot_set(struct policy_slot *s, struct policy *p)
{
	struct policy *old;

	pthread_mutex_lock(&s->mu);
	old = s->cur;
	s->cur = p;
	pthread_mutex_unlock(&s->mu);
	policy_unref(old); /* freed here only if no request still holds it */
}

int policy_slot_reload(struct policy_slot *s, const char *dir, const struct policy_load_opts *opts,
                       struct policy_diag *diag)
{
	struct policy *p = NULL;
	int r;

	if (s == NULL || dir == NULL)
		return PL_E_INVAL;
	r = policy_load_dir_opts(dir, opts, &p, diag);
	if (r != 0)
		return r;
	policy_slot_set(s, p);
	return 0;
}
