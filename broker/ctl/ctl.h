/* pitlanectl subcommands implemented in broker/ctl (argv[0] is the command name). */
#ifndef PITLANE_BROKER_CTL_H
#define PITLANE_BROKER_CTL_H

/* `pitlanectl token inspect FILE`: exit 0 decoded, 1 not a token, 2 usage/I/O. */
int ctl_token_main(int argc, char **argv);
/* `pitlanectl status -f broker.conf | --admin ADDR:PORT`: exit 0 ready, 1 not ready, 2
 * usage/unreachable. */
int ctl_status_main(int argc, char **argv);

#endif
