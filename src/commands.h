/*
 * commands.h: the subcommands, the entry points main.c dispatches to.
 * Each cmd_*.c parses its own options (with cli.h), builds a plan and
 * hands it to the engine, and returns the exit status.
 */
#ifndef FORKLIFT_COMMANDS_H
#define FORKLIFT_COMMANDS_H

#include "cli.h"

int	 cmd_install(int, char **, struct globals *);
int	 cmd_list(int, char **, struct globals *);
int	 cmd_sync(int, char **, struct globals *);
int	 cmd_cache(int, char **, struct globals *);
int	 cmd_uninstall(int, char **, struct globals *);
int	 cmd_verify(int, char **, struct globals *);

#endif
