"""Runs a Nemo program (nemo-python) and prints the number of derived tuples.

The program counts each derived predicate into an output predicate
`count_<pred>` with Nemo's #count aggregate; this prints their sum.
Usage: python3 nemo_run.py program.rls   (run in the workload's folder)
"""

import sys

import nmo_python


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: nemo_run.py PROGRAM", file=sys.stderr)
        return 2
    program = nmo_python.load_file(sys.argv[1])
    engine = nmo_python.NemoEngine(program)
    engine.reason()
    total = 0
    for predicate in program.output_predicates():
        for row in engine.result(predicate):
            total += int(row[0])
    print(total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
