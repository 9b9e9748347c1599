"""`python -m cli`: the same as `kheti`."""
from cli import main

main()
