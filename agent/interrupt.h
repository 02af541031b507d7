/*
 * Ctrl-C during `pitlane run`: the first SIGINT or SIGTERM only raises a
 * flag, so the run can end its exchange with the vehicle properly (29 00:
 * end of authentication) instead of leaving an authenticated extended
 * session open until the ECU's S3 timer runs out; a second signal ends the
 * program at once. Commands that do not call agent_interrupt_catch() keep
 * the default behaviour.
 */
#ifndef PITLANE_AGENT_INTERRUPT_H
#define PITLANE_AGENT_INTERRUPT_H

void agent_interrupt_catch(void);
/* The signal caught (SIGINT, SIGTERM) or 0. */
int agent_interrupted(void);

#endif
