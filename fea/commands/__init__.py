"""One module per CLI command: add_parser(subparsers) -> parser, run(args) -> exit status."""
