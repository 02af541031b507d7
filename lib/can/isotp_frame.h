/* ISO-TP frame helpers shared by the rx and tx state machines (private). */
#ifndef PITLANE_ISOTP_FRAME_H
#define PITLANE_ISOTP_FRAME_H

#include <stddef.h>

#include "can_transport.h"

/* Sets f->len to used (or 8 with padding) and fills the rest of data. */
void isotp_frame_finish(struct can_frame_pl *f, size_t used, int padding, uint8_t pad_byte);

#endif
