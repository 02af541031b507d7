/*
 * Progress output of `pitlane run`: one line per step ("[3/7] Challenge from
 * the ECU (29 05) ... 32 bytes"), a spinner on a terminal while a step waits,
 * nothing in --json mode (the command prints one object at the end).
 */
#ifndef PITLANE_AGENT_UI_H
#define PITLANE_AGENT_UI_H

struct ui {
	int quiet; /* --json: no progress lines */
	int tty;   /* stdout is a terminal: spinner */
	int total; /* number of numbered steps */
	int open;  /* a step line is waiting for its result */
	unsigned spin;
	char line[160]; /* the current step's text */
};

void ui_init(struct ui *u, int quiet, int total);
/* Starts step n (0: an unnumbered step) with its text. */
void ui_step(struct ui *u, int n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Ends the current step with its result. */
void ui_done(struct ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Advances the spinner (terminal only). */
void ui_spin(struct ui *u);
/* A line of its own (closes an open step with "..."). */
void ui_say(struct ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
