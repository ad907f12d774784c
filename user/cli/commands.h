/* SPDX-License-Identifier: MIT */
/* The CLI's subcommands: each parses its own options and returns the exit status. */
#ifndef GMT_COMMANDS_H
#define GMT_COMMANDS_H

int cmd_info(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);

#endif
