"""`kheti`: one command line for operators and developers. Each module here holds a few commands; this one puts
them together (and `kheti --help` lists them)."""
from __future__ import annotations

import click

from cli import database, farmers, nlu, operators, outbound, prices, serve, simulate, voice_prompts
from cli.common import KhetiGroup


@click.group(cls=KhetiGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Kheti Sahayak telecom service: USSD, SMS and voice help for farmers."""


for module in (serve, database, operators, farmers, prices, outbound, nlu, simulate, voice_prompts):
    for command in module.COMMANDS:
        main.add_command(command)

if __name__ == "__main__":
    main()
