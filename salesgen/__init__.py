"""salesgen: synthetic sales conversations from two LLM agents, judged, filtered and evaluated.

The command line is `salesgen run|judge|report` (or `python run.py` in a checkout); from code, salesgen.api."""
__version__ = "0.1.0"
