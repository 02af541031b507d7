/*
 * The signer's hard limits from the policy (see signer_limits.c).
 */
#ifndef PITLANE_BROKER_SIGNER_LIMITS_H
#define PITLANE_BROKER_SIGNER_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "policy.h"
#include "ps_config.h"
#include "signer.h"

/* Fills lim from p's operations catalogue; 0, or PL_E_CONFIG / a policy code with err. */
int signer_limits_from_policy(const struct policy *p, uint32_t max_exi, struct signer_limits *lim,
                              char *err, size_t errlen);
/* Gives s the limits of p (logs signer_limits_reloaded or _refused: old limits kept). */
int signer_limits_apply(struct signer *s, const struct policy *p, uint32_t max_exi);
/* The signer process on SIGHUP: loads policy_dir and applies it; a bad policy changes nothing. */
int signer_limits_reload(const char *policy_dir, uint32_t max_exi, struct signer *s);

/*
 * The signer process's module (pitlaned -n opens it the same way): its own
 * copy of the hard limits from the policy's operations catalogue, then the
 * PIN file and the HSM. err gets one sentence on failure.
 */
int signer_open_conf(const struct broker_config *c, struct signer **out, char *err, size_t errlen);

/* The signer process (never returns). ctl: the channel to the monitor. */
void ps_signer_main(const struct broker_config *c, const struct ps_config *pc, int ctl)
    __attribute__((noreturn));

#endif
