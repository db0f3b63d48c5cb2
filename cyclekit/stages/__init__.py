"""One module per command, named as the command: options in, a report out."""
