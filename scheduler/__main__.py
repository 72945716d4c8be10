"""`python -m scheduler` is the `briefing` command."""

from scheduler.cli import main

main()
