"""python -m salesgen.evaluate RUN_DIR [flags]: the same command as `python run.py report RUN_DIR [flags]`.

An entry point, like run.py: the flags and what is printed live in app/ (app/subcommands.py)."""
import sys

from salesgen.app.cli import main

if __name__ == "__main__":
    sys.exit(main(["report", *sys.argv[1:]]))
