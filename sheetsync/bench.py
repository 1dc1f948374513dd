"""`python -m sheetsync.bench`: the benchmark (sheetsync/ops/bench.py), under the name the
README and the project's notes have always used."""

from sheetsync.ops.bench import main

if __name__ == "__main__":
    main()
