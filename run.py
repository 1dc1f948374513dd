#!/usr/bin/env python3
"""Entry point: `python run.py --help`."""

from sheetsync.ops.cli import main

if __name__ == "__main__":
    main()
