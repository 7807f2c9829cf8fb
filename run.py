"""Entry point: python run.py --min-score 0.7 (see README.md for every option)."""
import sys

from salesgen.app.cli import main

if __name__ == "__main__":
    sys.exit(main())
